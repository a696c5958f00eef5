package openapi

import (
	"slices"
	"strconv"
	"strings"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
)

// Version is the OpenAPI version of the documents this package writes.
const Version = "3.1.0"

// Dialect is the JSON Schema dialect of every schema in the document.
const Dialect = "https://json-schema.org/draft/2020-12/schema"

// Input is what one tenant's document is made of. The zero value of every
// setting has a documented default.
type Input struct {
	// Title is info.title (default "CRM API").
	Title string
	// Version is info.version, the version of this tenant's API as
	// described: callers pass the tenant's metadata version (default "1").
	Version string
	// ServerURL is the base URL every path is relative to, /api/v1
	// included (default "/api/v1").
	ServerURL string
	// Objects are the tenant's object definitions. Their order does not
	// matter: the document lists them by API name.
	Objects []*schema.Object
	// Limits are the limits the server enforces, shown in the schemas.
	Limits Limits
}

// Limits mirror the server's configuration. Zero values mean the platform
// defaults.
type Limits struct {
	// MaxPageSize caps limit on lists (default 200); DefaultPageSize is the
	// page size without one (default 50).
	MaxPageSize     int
	DefaultPageSize int
	// MaxBulk caps the records of one bulk request (default 1000).
	MaxBulk int
	// BodyLimit is the largest request body in bytes (default 1 MiB).
	BodyLimit int
}

func (l Limits) withDefaults() Limits {
	if l.MaxPageSize <= 0 {
		l.MaxPageSize = 200
	}
	if l.DefaultPageSize <= 0 {
		l.DefaultPageSize = min(50, l.MaxPageSize)
	}
	if l.MaxBulk <= 0 {
		l.MaxBulk = 1000
	}
	if l.BodyLimit <= 0 {
		l.BodyLimit = 1 << 20
	}
	return l
}

// obj is a JSON object of the document. The encoder writes its members in
// key order, which is what makes the output deterministic.
type obj = map[string]any

// document holds the top-level members, written in this order; everything
// below is in key order.
type document struct {
	OpenAPI           string
	Info              obj
	JSONSchemaDialect string
	Servers           []obj
	Security          []obj
	Tags              []obj
	Paths             obj
	Components        obj
}

// gen holds the document while it is built.
type gen struct {
	lim     Limits
	objects []*schema.Object
	names   map[string]objectNames // by API name
	schemas obj
	paths   obj
	tags    []obj
}

// Generate builds the OpenAPI 3.1 document of one tenant as compact JSON.
// The same input gives byte-identical output. It fails only for an input
// that cannot describe an API: a nil object or two objects with the same
// API name. For example, with the tenant's current objects:
//
//	doc, err := openapi.Generate(openapi.Input{Version: strconv.FormatInt(metaVersion, 10), Objects: objects})
//
// Each object gets the schemas <Name> (a record as read), <Name>Input (a
// create body), <Name>Patch (a merge patch), <Name>List, <Name>Bulk* and
// <Name>AggregateRequest, and the operations list<Names>, create<Name>,
// get<Name>, update<Name>, delete<Name>, restore<Name>, get<Name>History,
// bulk<Names> and aggregate<Names>, where <Name> is the PascalCase API name
// ("sales_order" is SalesOrder), followed by 2, 3... when it would collide
// with another name of the document.
func Generate(in Input) ([]byte, error) {
	g := &gen{lim: in.Limits.withDefaults(), names: map[string]objectNames{},
		schemas: obj{}, paths: obj{}}
	g.objects = make([]*schema.Object, 0, len(in.Objects))
	for _, o := range in.Objects {
		if o == nil {
			return nil, errs.New(errs.Internal, "openapi.nil_object", "openapi: the object list holds a nil object")
		}
		g.objects = append(g.objects, o)
	}
	slices.SortFunc(g.objects, func(a, b *schema.Object) int { return strings.Compare(a.APIName, b.APIName) })
	for i := 1; i < len(g.objects); i++ {
		if g.objects[i].APIName == g.objects[i-1].APIName {
			return nil, errs.New(errs.Internal, "openapi.duplicate_object", "openapi: object %s is listed twice", g.objects[i].APIName)
		}
	}
	n := newNamer(append(append(append([]string(nil), platformSchemaNames...), extraSchemaNames...), moreSchemaNames...),
		append(append(append([]string(nil), platformOperationIDs...), extraOperationIDs...), moreOperationIDs...),
		append(append(append([]string(nil), platformTagNames...), extraTagNames...), moreTagNames...))
	for _, o := range g.objects {
		g.names[o.APIName] = n.object(o.APIName)
	}

	g.commonSchemas()
	g.platform()
	g.extra()
	g.more()
	for _, o := range g.objects {
		g.object(o)
	}

	title := in.Title
	if title == "" {
		title = "CRM API"
	}
	version := in.Version
	if version == "" {
		version = "1"
	}
	server := in.ServerURL
	if server == "" {
		server = "/api/v1"
	}
	doc := document{
		OpenAPI:           Version,
		Info:              obj{"title": title, "version": version, "description": infoDescription},
		JSONSchemaDialect: Dialect,
		Servers:           []obj{{"url": server}},
		Security:          []obj{{"bearer": []any{}}},
		Tags:              append(append(append(platformTags(), extraTags()...), moreTags()...), g.tags...),
		Paths:             g.paths,
		Components: obj{
			"schemas":         g.schemas,
			"responses":       g.problemResponses(),
			"parameters":      g.commonParameters(),
			"headers":         commonHeaders(),
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "description": bearerDescription}},
		},
	}
	e := &encoder{buf: make([]byte, 0, 16<<10+24<<10*len(g.objects))}
	e.member(true, "openapi", doc.OpenAPI)
	e.member(false, "info", doc.Info)
	e.member(false, "jsonSchemaDialect", doc.JSONSchemaDialect)
	e.member(false, "servers", doc.Servers)
	e.member(false, "security", doc.Security)
	e.member(false, "tags", doc.Tags)
	e.member(false, "paths", doc.Paths)
	e.member(false, "components", doc.Components)
	e.buf = append(e.buf, '}')
	if e.err != nil {
		return nil, errs.Wrap(e.err, errs.Internal, "openapi.encode", "openapi: the document does not encode")
	}
	return e.buf, nil
}

const infoDescription = "The API of this tenant's objects as they are now. Every record route exists once per object " +
	"with that object's schemas. Bodies are JSON; errors are RFC 9457 problem+json documents whose `code` is stable " +
	"and whose `errors` name the offending fields. A field the caller may not read is absent from every answer, so " +
	"every record field is optional in answers except `id` and `version`. Records carry an ETag (their version): send " +
	"it back in If-Match to update or delete only the version you read. Every answer carries an X-Request-Id header."

const bearerDescription = "An API key or a session token from POST /auth/login, as `Authorization: Bearer <token>`. " +
	"The tenant comes from the credential. POST /platform/tenants takes the operator's bootstrap token instead."

// ref is a JSON reference to a component.
func ref(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }

func schemaRef(name string) obj { return ref("schemas", name) }

// jsonBody is a request or response content of application/json.
func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

// problemStatuses names the reusable problem response of each status.
var problemStatuses = []struct {
	status      string
	name        string
	description string
}{
	{"400", "BadRequest", "The request is malformed: bad JSON, a query parameter the route does not take (request.unknown_parameter) or a bad value of one, a filter with a syntax error (its position is in `errors`), a bad cursor or If-Match."},
	{"401", "Unauthorized", "No credential, or one that is not valid."},
	{"403", "Forbidden", "The credential may not do this, or may not edit a field it sent (named in `errors`)."},
	{"404", "NotFound", "No such object or record, or one the caller may not see."},
	{"409", "Conflict", "The request conflicts with the current state: a duplicate value of a unique field (named in `errors`), or a change that would lose data."},
	{"412", "PreconditionFailed", "If-Match named a version that is no longer current: read the record again."},
	{"413", "ContentTooLarge", "The body or the batch is larger than the limit."},
	{"422", "UnprocessableContent", "The input is invalid: `errors` lists each field with a stable code (required, unknown_field, read_only, type, format, enum, minimum, scale...). A member a request body (bulk, aggregate, composite, import) does not take is request.unknown_member."},
	{"429", "TooManyRequests", "Too many requests for this credential: retry after the Retry-After delay."},
	{"500", "InternalError", "A bug. The details are logged; quote the requestId when reporting it."},
	{"503", "ServiceUnavailable", "The server is shutting down, or the request took too long."},
}

func (g *gen) problemResponses() obj {
	out := obj{}
	for _, p := range problemStatuses {
		d := p.description
		if p.status == "413" {
			d = "The body is larger than " + strconv.Itoa(g.lim.BodyLimit) + " bytes, or the batch larger than its limit."
		}
		r := obj{"description": d,
			"content": obj{"application/problem+json": obj{"schema": schemaRef("Problem")}}}
		switch p.status {
		case "401":
			r["headers"] = obj{"WWW-Authenticate": ref("headers", "WWWAuthenticate")}
		case "429":
			r["headers"] = obj{"Retry-After": ref("headers", "RetryAfter")}
		}
		out[p.name] = r
	}
	return out
}

// responses builds an operation's responses: the success ones given and a
// problem response for each status listed.
func responses(success obj, statuses ...int) obj {
	out := obj{}
	for k, v := range success {
		out[k] = v
	}
	for _, s := range statuses {
		for _, p := range problemStatuses {
			if p.status == strconv.Itoa(s) {
				out[p.status] = ref("responses", p.name)
			}
		}
	}
	return out
}

// authed adds the statuses every authenticated route can answer.
func authed(statuses ...int) []int {
	return append(statuses, 401, 403, 429, 500, 503)
}

func commonHeaders() obj {
	return obj{
		"ETag": obj{"description": "The record's version as an entity tag, like \"3\". Send it in If-Match.",
			"schema": obj{"type": "string", "examples": []any{`"3"`}}},
		"Location":           obj{"description": "The URL of the created resource.", "schema": obj{"type": "string", "format": "uri-reference"}},
		"RetryAfter":         obj{"description": "Seconds to wait before retrying.", "schema": obj{"type": "integer", "minimum": 0}},
		"IdempotentReplayed": obj{"description": "Present when the answer is the stored answer of an earlier request with the same Idempotency-Key.", "schema": obj{"type": "string", "enum": []any{"true"}}},
		"WWWAuthenticate":    obj{"description": "The authentication scheme: Bearer.", "schema": obj{"type": "string"}},
	}
}

func (g *gen) commonParameters() obj {
	return obj{
		"RecordId": obj{"name": "id", "in": "path", "required": true, "description": "The record's id.",
			"schema": obj{"type": "string", "pattern": recordIDPattern}},
		"IfMatch": obj{"name": "If-Match", "in": "header", "required": false,
			"description": "The ETag of the version read (or a comma-separated list of ETags, or * for any version; a weak ETag is compared by its version). When none is current the request fails with 412 and changes nothing.",
			"schema":      obj{"type": "string", "examples": []any{`"3"`}}},
		"IfNoneMatch": obj{"name": "If-None-Match", "in": "header", "required": false,
			"description": "ETags already held (comma-separated, weak ones allowed, or *). When one is the record's current version the answer is 304 without a body. Not applied with expand=, whose expanded records change on their own.",
			"schema":      obj{"type": "string", "examples": []any{`"3"`}}},
		"IdempotencyKey": obj{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "A key unique to this operation, per user and route. The same key with the same body (compared as JSON values: spacing and member order do not matter) within 24 hours returns the first answer, with Idempotent-Replayed: true, without running again; the same key with another body is 422. An answer that is an error is not kept, so a corrected retry may reuse the key.",
			"schema":      obj{"type": "string", "minLength": 1, "maxLength": 255}},
		"Limit": obj{"name": "limit", "in": "query", "required": false,
			"description": "The page size.",
			"schema":      obj{"type": "integer", "minimum": 1, "maximum": g.lim.MaxPageSize, "default": g.lim.DefaultPageSize}},
		"Filter": obj{"name": "filter", "in": "query", "required": false, "description": filterLanguage,
			"schema": obj{"type": "string"}},
		"Cursor": obj{"name": "cursor", "in": "query", "required": false,
			"description": "The nextCursor of the previous page, with the same filter and sort. Keyset cursors: a page is stable under concurrent inserts.",
			"schema":      obj{"type": "string"}},
	}
}

// recordIDPattern is the syntax of record ids (and of lookup values).
const recordIDPattern = `^[A-Za-z0-9_-]{1,64}$`

// commonSchemas adds the schemas shared by every object's routes.
func (g *gen) commonSchemas() {
	g.schemas["FieldError"] = obj{"type": "object", "description": "One problem with one field of the input.",
		"required": []any{"field", "code", "message"},
		"properties": obj{
			"field":    obj{"type": "string", "description": "The field, parameter or JSON pointer concerned; empty for the whole input."},
			"code":     obj{"type": "string", "description": "A stable word: required, unknown_field, read_only, type, format, enum, minimum, duplicate..."},
			"message":  obj{"type": "string"},
			"position": obj{"type": "integer", "minimum": 1, "description": "The 1-based character offset in a filter or formula."},
			"line":     obj{"type": "integer", "minimum": 1},
			"column":   obj{"type": "integer", "minimum": 1},
		}}
	g.schemas["Problem"] = obj{"type": "object", "description": "An RFC 9457 problem document.",
		"required": []any{"type", "title", "status", "code"},
		"properties": obj{
			"type": obj{"type": "string", "format": "uri", "examples": []any{"https://crm.example/problems/validation"},
				"description": "The problem type: https://crm.example/problems/ followed by malformed (400), unauthenticated (401), forbidden (403), not_found (404), method_not_allowed (405), conflict (409), stale (412), too_large (413), validation (422), failed_dependency (424, composite), rate_limited (429), internal (500) or unavailable (503). Match on it, on status and on code; title and detail are for people."},
			"title":     obj{"type": "string"},
			"status":    obj{"type": "integer", "minimum": 400, "maximum": 599},
			"detail":    obj{"type": "string"},
			"code":      obj{"type": "string", "description": "The stable error code, like record.not_found.", "examples": []any{"record.invalid"}},
			"errors":    obj{"type": "array", "items": schemaRef("FieldError")},
			"requestId": obj{"type": "string", "description": "The X-Request-Id of the request."},
		}, "additionalProperties": true}
	g.schemas["BulkError"] = obj{"$ref": "#/components/schemas/Problem",
		"description": "Why one record of a bulk request failed: the problem document the record would have had on its own (no requestId)."}
	g.schemas["FieldChange"] = obj{"type": "object", "description": "One change of a tracked field (x-crm-history).",
		"required": []any{"field", "from", "to", "at", "by"},
		"properties": obj{
			"field": obj{"type": "string"},
			"from":  obj{"description": "The value before, or null."},
			"to":    obj{"description": "The value after, or null."},
			"at":    obj{"type": "string", "format": "date-time"},
			"by":    obj{"type": "string", "description": "The id of the user who made the change."},
		}}
	g.schemas["FieldChangeList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": schemaRef("FieldChange")}}}
	g.schemas["AggregateResponse"] = obj{"type": "object", "required": []any{"rows"},
		"properties": obj{"rows": obj{"type": "array", "items": obj{"type": "object",
			"description":          "One group: a member per groupBy field, and a member per measure named count or <op>_<field> (sum_amount).",
			"additionalProperties": true}}}}
}
