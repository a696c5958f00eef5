package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// This file is a focused structural validator of OpenAPI 3.1 documents (the
// official schema cannot be fetched here): the member sets of the objects
// we write, references, operation ids, path parameters, tags, security,
// and every component schema compiled as a JSON Schema 2020-12 schema.

var (
	methods        = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	operationKeys  = set("tags", "summary", "description", "externalDocs", "operationId", "parameters", "requestBody", "responses", "callbacks", "deprecated", "security", "servers")
	pathItemKeys   = set(append([]string{"$ref", "summary", "description", "servers", "parameters"}, methods...)...)
	parameterKeys  = set("name", "in", "description", "required", "deprecated", "allowEmptyValue", "style", "explode", "allowReserved", "schema", "example", "examples", "content")
	headerKeys     = set("description", "required", "deprecated", "style", "explode", "schema", "example", "examples", "content")
	responseKeys   = set("description", "headers", "content", "links")
	mediaTypeKeys  = set("schema", "example", "examples", "encoding")
	bodyKeys       = set("description", "content", "required")
	componentKinds = set("schemas", "responses", "parameters", "examples", "requestBodies", "headers", "securitySchemes", "links", "callbacks", "pathItems")
	topKeys        = set("openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags", "externalDocs")
	componentName  = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	statusKey      = regexp.MustCompile(`^([1-5][0-9X][0-9X]|default)$`)
	opIDRe         = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	templateRe     = regexp.MustCompile(`\{([^{}]+)\}`)
)

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// checker collects problems with a document.
type checker struct {
	doc      map[string]any
	problems []string
	opIDs    map[string]string
}

func (c *checker) bad(where, format string, args ...any) {
	c.problems = append(c.problems, where+": "+fmt.Sprintf(format, args...))
}

func (c *checker) keys(where string, m map[string]any, allowed map[string]bool) {
	for k := range m {
		if !allowed[k] && !strings.HasPrefix(k, "x-") {
			c.bad(where, "unknown member %q", k)
		}
	}
}

// resolve follows a local $ref (JSON pointer) through the document.
func (c *checker) resolve(refStr string) (any, bool) {
	if !strings.HasPrefix(refStr, "#/") {
		return nil, false
	}
	var v any = c.doc
	for _, tok := range strings.Split(refStr[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return v, true
}

// deref returns the object a reference object points at (or the object).
func (c *checker) deref(where string, v any, kind string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		c.bad(where, "not an object")
		return nil
	}
	if r, ok := m["$ref"].(string); ok {
		if !strings.HasPrefix(r, "#/components/"+kind+"/") {
			c.bad(where, "$ref %s does not point at components.%s", r, kind)
		}
		t, ok := c.resolve(r)
		if !ok {
			return nil // reported by the walk over every $ref
		}
		m, _ = t.(map[string]any)
	}
	return m
}

// refs checks that every $ref anywhere in the document resolves.
func (c *checker) refs(where string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["$ref"].(string); ok {
			if _, ok := c.resolve(r); !ok {
				c.bad(where, "$ref %s does not resolve", r)
			}
		}
		for k, e := range x {
			c.refs(where+"/"+k, e)
		}
	case []any:
		for i, e := range x {
			c.refs(fmt.Sprintf("%s/%d", where, i), e)
		}
	}
}

func (c *checker) parameter(where string, v any) (name, in string, required bool) {
	p := c.deref(where, v, "parameters")
	if p == nil {
		return "", "", false
	}
	c.keys(where, p, parameterKeys)
	name, _ = p["name"].(string)
	in, _ = p["in"].(string)
	required, _ = p["required"].(bool)
	if name == "" {
		c.bad(where, "parameter without a name")
	}
	if !set("query", "header", "path", "cookie")[in] {
		c.bad(where, "parameter %s: bad in %q", name, in)
	}
	if in == "path" && !required {
		c.bad(where, "path parameter %s must be required", name)
	}
	_, hasSchema := p["schema"]
	_, hasContent := p["content"]
	if hasSchema == hasContent {
		c.bad(where, "parameter %s needs exactly one of schema and content", name)
	}
	if s, ok := p["style"].(string); ok && !set("matrix", "label", "form", "simple", "spaceDelimited", "pipeDelimited", "deepObject")[s] {
		c.bad(where, "parameter %s: bad style %q", name, s)
	}
	return name, in, required
}

func (c *checker) content(where string, v any) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		c.bad(where, "content must be a non-empty map")
		return
	}
	for mt, e := range m {
		if !strings.Contains(mt, "/") {
			c.bad(where, "bad media type %q", mt)
		}
		me, ok := e.(map[string]any)
		if !ok {
			c.bad(where+"/"+mt, "not an object")
			continue
		}
		c.keys(where+"/"+mt, me, mediaTypeKeys)
		if _, ok := me["schema"]; !ok {
			c.bad(where+"/"+mt, "no schema")
		}
	}
}

func (c *checker) response(where string, v any) {
	r := c.deref(where, v, "responses")
	if r == nil {
		return
	}
	c.keys(where, r, responseKeys)
	if d, ok := r["description"].(string); !ok || d == "" {
		c.bad(where, "a response needs a description")
	}
	if ct, ok := r["content"]; ok {
		c.content(where+"/content", ct)
	}
	if hs, ok := r["headers"].(map[string]any); ok {
		for name, h := range hs {
			if strings.EqualFold(name, "Content-Type") {
				c.bad(where, "header Content-Type is ignored by OpenAPI")
			}
			hm := c.deref(where+"/headers/"+name, h, "headers")
			if hm != nil {
				c.keys(where+"/headers/"+name, hm, headerKeys)
				if _, ok := hm["schema"]; !ok {
					c.bad(where+"/headers/"+name, "no schema")
				}
			}
		}
	}
}

func (c *checker) operation(where, path string, op map[string]any, pathParams map[string]bool, tags map[string]bool) {
	c.keys(where, op, operationKeys)
	id, _ := op["operationId"].(string)
	switch {
	case !opIDRe.MatchString(id):
		c.bad(where, "operationId %q is not a camelCase identifier", id)
	case c.opIDs[strings.ToLower(id)] != "":
		c.bad(where, "operationId %s is also used by %s", id, c.opIDs[strings.ToLower(id)])
	default:
		c.opIDs[strings.ToLower(id)] = where
	}
	declared := map[string]bool{}
	for k := range pathParams {
		declared[k] = true
	}
	seen := map[string]bool{}
	params, _ := op["parameters"].([]any)
	for i, p := range params {
		name, in, _ := c.parameter(fmt.Sprintf("%s/parameters/%d", where, i), p)
		if seen[in+" "+name] {
			c.bad(where, "parameter %s in %s declared twice", name, in)
		}
		seen[in+" "+name] = true
		if in == "path" {
			declared[name] = true
		}
	}
	inTemplate := map[string]bool{}
	for _, m := range templateRe.FindAllStringSubmatch(path, -1) {
		inTemplate[m[1]] = true
		if !declared[m[1]] {
			c.bad(where, "path parameter %s is not declared", m[1])
		}
	}
	for name := range declared {
		if !inTemplate[name] {
			c.bad(where, "path parameter %s is not in the path", name)
		}
	}
	if rb, ok := op["requestBody"]; ok {
		b := c.deref(where+"/requestBody", rb, "requestBodies")
		if b != nil {
			c.keys(where+"/requestBody", b, bodyKeys)
			c.content(where+"/requestBody/content", b["content"])
		}
	}
	rs, ok := op["responses"].(map[string]any)
	if !ok || len(rs) == 0 {
		c.bad(where, "an operation needs responses")
	}
	success := false
	for status, r := range rs {
		if !statusKey.MatchString(status) {
			c.bad(where, "bad response key %q", status)
		}
		success = success || strings.HasPrefix(status, "2")
		c.response(where+"/responses/"+status, r)
	}
	if !success {
		c.bad(where, "no success response")
	}
	ts, _ := op["tags"].([]any)
	for _, t := range ts {
		if !tags[t.(string)] {
			c.bad(where, "tag %v is not declared", t)
		}
	}
	if sec, ok := op["security"]; ok {
		c.security(where+"/security", sec)
	}
}

func (c *checker) security(where string, v any) {
	list, ok := v.([]any)
	if !ok {
		c.bad(where, "security must be an array")
		return
	}
	schemes, _ := c.resolve("#/components/securitySchemes")
	sm, _ := schemes.(map[string]any)
	for _, req := range list {
		for name := range req.(map[string]any) {
			if _, ok := sm[name]; !ok {
				c.bad(where, "security scheme %s is not declared", name)
			}
		}
	}
}

// checkDocument returns every structural problem of an OpenAPI 3.1
// document, and compiles each component schema and each inline schema.
func checkDocument(t testing.TB, raw []byte) []string {
	t.Helper()
	return checkDocumentCompiling(t, raw, func(string) bool { return true })
}

// checkDocumentCompiling checks the structure of the whole document but
// compiles only the schemas whose JSON pointer compile accepts (with what
// they refer to): compiling costs time in proportion to the document's
// size, for each schema.
func checkDocumentCompiling(t testing.TB, raw []byte, compile func(pointer string) bool) []string {
	t.Helper()
	c := &checker{doc: decode(t, raw), opIDs: map[string]string{}}
	c.keys("/", c.doc, topKeys)
	if v := c.doc["openapi"]; v != "3.1.0" {
		c.bad("/openapi", "is %v", v)
	}
	if v := c.doc["jsonSchemaDialect"]; v != "https://json-schema.org/draft/2020-12/schema" {
		c.bad("/jsonSchemaDialect", "is %v", v)
	}
	info, _ := c.doc["info"].(map[string]any)
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			c.bad("/info", "needs %s", k)
		}
	}
	if sv, ok := c.doc["servers"].([]any); ok {
		for i, s := range sv {
			if u, _ := s.(map[string]any)["url"].(string); u == "" {
				c.bad(fmt.Sprintf("/servers/%d", i), "needs a url")
			}
		}
	}
	c.security("/security", c.doc["security"])
	tags := map[string]bool{}
	tl, _ := c.doc["tags"].([]any)
	for _, t := range tl {
		name, _ := t.(map[string]any)["name"].(string)
		if tags[name] || name == "" {
			c.bad("/tags", "tag %q is empty or repeated", name)
		}
		tags[name] = true
	}
	comps, _ := c.doc["components"].(map[string]any)
	for kind, v := range comps {
		if !componentKinds[kind] {
			c.bad("/components", "unknown kind %s", kind)
		}
		for name := range v.(map[string]any) {
			if !componentName.MatchString(name) {
				c.bad("/components/"+kind, "bad name %q", name)
			}
		}
	}
	if ss, ok := comps["securitySchemes"].(map[string]any); ok {
		for name, s := range ss {
			m := s.(map[string]any)
			if !set("apiKey", "http", "mutualTLS", "oauth2", "openIdConnect")[fmt.Sprint(m["type"])] {
				c.bad("/components/securitySchemes/"+name, "bad type %v", m["type"])
			}
			if m["type"] == "http" && m["scheme"] == nil {
				c.bad("/components/securitySchemes/"+name, "http needs a scheme")
			}
		}
	}
	paths, ok := c.doc["paths"].(map[string]any)
	if !ok {
		c.bad("/paths", "missing")
	}
	templates := map[string]string{}
	for path, item := range paths {
		where := "/paths/" + path
		if !strings.HasPrefix(path, "/") {
			c.bad(where, "a path must start with /")
		}
		norm := templateRe.ReplaceAllString(path, "{}")
		if other, dup := templates[norm]; dup {
			c.bad(where, "is the same template as %s", other)
		}
		templates[norm] = path
		pi := item.(map[string]any)
		c.keys(where, pi, pathItemKeys)
		pathParams := map[string]bool{}
		if ps, ok := pi["parameters"].([]any); ok {
			for i, p := range ps {
				name, in, _ := c.parameter(fmt.Sprintf("%s/parameters/%d", where, i), p)
				if in == "path" {
					pathParams[name] = true
				}
			}
		}
		ops := 0
		for _, m := range methods {
			if op, ok := pi[m].(map[string]any); ok {
				ops++
				c.operation(where+"/"+m, path, op, pathParams, tags)
			}
		}
		if ops == 0 {
			c.bad(where, "no operation")
		}
	}
	c.refs("", c.doc)
	c.problems = append(c.problems, compileSchemas(t, raw, comps, compile)...)
	sort.Strings(c.problems)
	return c.problems
}

const docURL = "https://crm.test/openapi.json"

// compiler returns a JSON Schema 2020-12 compiler holding the document.
func compiler(t testing.TB, raw []byte) *jsonschema.Compiler {
	t.Helper()
	comp := jsonschema.NewCompiler()
	comp.Draft = jsonschema.Draft2020
	comp.AssertFormat = true
	comp.AssertContent = true
	if err := comp.AddResource(docURL, bytes.NewReader(raw)); err != nil {
		t.Fatalf("AddResource: %v", err)
	}
	return comp
}

func compileSchemas(t testing.TB, raw []byte, comps map[string]any, keep func(string) bool) []string {
	var problems []string
	comp := compiler(t, raw)
	var pointers []string
	schemas, _ := comps["schemas"].(map[string]any)
	for name := range schemas {
		pointers = append(pointers, "/components/schemas/"+escape(name))
	}
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	inlineSchemas("/paths", doc["paths"], &pointers)
	for _, kind := range []string{"parameters", "headers", "responses"} {
		inlineSchemas("/components/"+kind, comps[kind], &pointers)
	}
	sort.Strings(pointers)
	for _, p := range pointers {
		if !keep(p) {
			continue
		}
		if _, err := comp.Compile(docURL + "#" + p); err != nil {
			problems = append(problems, p+": does not compile: "+err.Error())
		}
	}
	return problems
}

// inlineSchemas collects the pointers of the schema members of parameters,
// headers and media types, without descending into schemas.
func inlineSchemas(where string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "schema" {
				*out = append(*out, where+"/schema")
				continue
			}
			inlineSchemas(where+"/"+escape(k), e, out)
		}
	case []any:
		for i, e := range x {
			inlineSchemas(fmt.Sprintf("%s/%d", where, i), e, out)
		}
	}
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
