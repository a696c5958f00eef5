package openapi

import (
	"strconv"
	"strings"

	"github.com/opencrm/crm/objects/schema"
)

// object adds an object's schemas, tag and record routes.
func (g *gen) object(o *schema.Object) {
	n := g.names[o.APIName]
	fields := liveFields(o)
	g.recordSchemas(o, n, fields)
	tag := obj{"name": n.Base, "description": tagDescription(o), "x-crm-object": o.APIName}
	g.tags = append(g.tags, tag)
	g.recordPaths(o, n, fields)
	g.moreRecordPaths(o, n, fields)
}

func tagDescription(o *schema.Object) string {
	plural := o.PluralLabel
	if plural == "" {
		plural = o.APIName
	}
	d := plural + " (object `" + o.APIName + "`, sharing " + string(o.Sharing) + ")."
	if o.Description != "" {
		d += " " + o.Description
	}
	return d
}

// recordSchemas adds <Base>, <Base>Input, <Base>Patch and the list, bulk
// and aggregate wrappers of one object.
func (g *gen) recordSchemas(o *schema.Object, n objectNames, fields []*schema.Field) {
	read, create, patch, bulkRec := obj{}, obj{}, obj{}, obj{}
	bulkRec["id"] = obj{"type": "string", "pattern": recordIDPattern,
		"description": "The record's id: required by update and delete, refused by create."}
	var required, uniques []any
	for _, f := range fields {
		read[f.Name] = g.fieldSchema(f, viewRead)
		if !writable(f) {
			continue
		}
		create[f.Name] = g.fieldSchema(f, viewCreate)
		patch[f.Name] = g.fieldSchema(f, viewPatch)
		bulkRec[f.Name] = g.fieldSchema(f, viewPatch)
		if f.Required {
			required = append(required, f.Name)
		}
		if f.Unique {
			uniques = append(uniques, f.Name)
		}
	}
	label := o.Label
	if label == "" {
		label = o.APIName
	}
	rs := obj{"type": "object", "title": label, "properties": read, "required": []any{"id", "version"},
		"x-crm-object": o.APIName, "x-crm-sharing": string(o.Sharing)}
	if o.Description != "" {
		rs["description"] = o.Description
	}
	g.schemas[n.Base] = rs
	cs := obj{"type": "object", "title": label + " (create)", "properties": create, "additionalProperties": false,
		"description": "The body of a create. Unknown fields are refused with 422; system fields other than owner are read-only."}
	if len(required) > 0 {
		cs["required"] = required
	}
	g.schemas[n.Base+"Input"] = cs
	g.schemas[n.Base+"Patch"] = obj{"type": "object", "title": label + " (merge patch)", "properties": patch,
		"additionalProperties": false,
		"description":          "A JSON merge patch (RFC 7396): the fields sent are set, null clears an optional field, absent fields keep their value."}
	g.schemas[n.Base+"List"] = obj{"type": "object", "required": []any{"items", "nextCursor"},
		"properties": obj{
			"items":      obj{"type": "array", "items": schemaRef(n.Base)},
			"nextCursor": obj{"type": []any{"string", "null"}, "description": "The cursor of the next page; null on the last page."},
		}}

	g.schemas[n.Base+"BulkRecord"] = obj{"type": "object", "properties": bulkRec, "additionalProperties": false,
		"description": "One record of a bulk request: a create body, an update's id and merge patch, a delete's id, or an upsert body with its external id field."}
	ops := []any{"create", "update", "upsert", "delete"}
	ext := obj{"type": "string", "description": "The unique field that identifies records in an upsert."}
	if len(uniques) > 0 {
		ext["enum"] = uniques
	} else {
		ops = []any{"create", "update", "delete"}
		ext["description"] = "The unique field that identifies records in an upsert; this object has none, so it cannot be upserted."
	}
	withID := obj{"properties": obj{"records": obj{"items": obj{"required": []any{"id"},
		"properties": obj{"id": obj{"type": "string"}}}}}}
	g.schemas[n.Base+"BulkRequest"] = obj{"type": "object", "required": []any{"operation", "records"},
		"properties": obj{
			"operation":       obj{"type": "string", "enum": ops},
			"externalIdField": ext,
			"records": obj{"type": "array", "minItems": 1, "maxItems": g.lim.MaxBulk,
				"items": schemaRef(n.Base + "BulkRecord")},
		},
		"additionalProperties": false,
		"allOf": []any{
			obj{"if": obj{"properties": obj{"operation": obj{"const": "create"}}},
				"then": obj{"properties": obj{"records": obj{"items": schemaRef(n.Base + "Input")}}}},
			obj{"if": obj{"properties": obj{"operation": obj{"const": "update"}}}, "then": withID},
			obj{"if": obj{"properties": obj{"operation": obj{"const": "delete"}}}, "then": withID},
			obj{"if": obj{"properties": obj{"operation": obj{"const": "upsert"}}}, "then": obj{"required": []any{"externalIdField"},
				"properties": obj{"externalIdField": obj{"type": "string"}}}},
		}}
	g.schemas[n.Base+"BulkResult"] = obj{"type": "object", "required": []any{"index", "status"},
		"properties": obj{
			"index":  obj{"type": "integer", "minimum": 0, "description": "The position of the record in the request."},
			"id":     obj{"type": "string"},
			"status": obj{"type": "integer", "minimum": 200, "maximum": 499, "description": "201 created, 200 updated, 204 deleted, or the status of the error."},
			"record": schemaRef(n.Base),
			"error":  schemaRef("BulkError"),
		}}
	g.schemas[n.Base+"BulkResponse"] = obj{"type": "object", "required": []any{"results"},
		"properties": obj{"results": obj{"type": "array", "items": schemaRef(n.Base + "BulkResult")}}}
	g.schemas[n.Base+"AggregateRequest"] = g.aggregateRequest(n, fields)
}

// aggregateRequest is the body of an aggregate: group keys and measures
// limited to the object's fields.
func (g *gen) aggregateRequest(n objectNames, fields []*schema.Field) obj {
	var all, dates, numbers []any
	for _, f := range fields {
		all = append(all, f.Name)
		switch f.Kind() {
		case schema.KindDate, schema.KindDateTime:
			dates = append(dates, f.Name)
		case schema.KindNumber:
			numbers = append(numbers, f.Name)
		}
	}
	groupKey := []any{obj{"type": "string", "enum": all, "description": "A field: one group per value."}}
	if len(dates) > 0 {
		groupKey = append(groupKey, obj{"type": "object", "required": []any{"field", "by"}, "additionalProperties": false,
			"description": "A date field bucketed by day, month, quarter or year.",
			"properties": obj{"field": obj{"type": "string", "enum": dates},
				"by": obj{"type": "string", "enum": []any{"day", "month", "quarter", "year"}}}})
	}
	measure := obj{"type": "object", "required": []any{"op"}, "additionalProperties": false,
		"properties": obj{"op": obj{"type": "string", "enum": []any{"count", "sum", "avg", "min", "max"}},
			"field": obj{"type": "string", "enum": all, "description": "The field measured; not used by count. sum and avg need a number field."}},
		"allOf": []any{obj{"if": obj{"properties": obj{"op": obj{"enum": []any{"sum", "avg", "min", "max"}}}, "required": []any{"op"}},
			"then": obj{"required": []any{"field"}, "properties": obj{"field": obj{"type": "string"}}}}}}
	if len(numbers) > 0 {
		measure["allOf"] = append(measure["allOf"].([]any), obj{
			"if":   obj{"properties": obj{"op": obj{"enum": []any{"sum", "avg"}}}, "required": []any{"op"}},
			"then": obj{"properties": obj{"field": obj{"enum": numbers}}}})
	}
	return obj{"type": "object", "additionalProperties": false,
		"properties": obj{
			"filter":   obj{"type": "string", "description": "Which records to aggregate, in the filter language of the list route."},
			"groupBy":  obj{"type": "array", "items": obj{"anyOf": groupKey}},
			"measures": obj{"type": "array", "items": measure, "description": "Default: [{\"op\":\"count\"}]."},
		}}
}

// recordPaths adds the record routes of one object.
func (g *gen) recordPaths(o *schema.Object, n objectNames, fields []*schema.Field) {
	base := "/records/" + o.APIName
	tags := []any{n.Base}
	one := schemaRef(n.Base)
	etag := obj{"ETag": ref("headers", "ETag")}
	idParam := []any{ref("parameters", "RecordId")}
	fieldsParam, expandParam := g.fieldsParam(fields), g.expandParam(fields)
	readParams := []any{fieldsParam}
	if expandParam != nil {
		readParams = append(readParams, expandParam)
	}
	label := strings.ToLower(o.Label)
	if label == "" {
		label = o.APIName
	}
	plural := strings.ToLower(o.PluralLabel)
	if plural == "" {
		plural = label
	}

	listParams := append([]any{ref("parameters", "Filter"), g.sortParam(fields), ref("parameters", "Limit"), ref("parameters", "Cursor")}, readParams...)
	g.paths[base] = obj{
		"get": obj{"operationId": "list" + n.Plural, "tags": tags, "summary": "List " + plural,
			"description": "Lists the " + plural + " the caller may see, one page at a time, in a stable keyset order. " +
				"Fields to filter by: " + joinNames(names(fields, nil)) + ".",
			"parameters": listParams,
			"responses":  responses(obj{"200": obj{"description": "A page of " + plural + ".", "content": jsonContent(schemaRef(n.Base + "List"))}}, authed(400, 404)...)},
		"post": obj{"operationId": "create" + n.Base, "tags": tags, "summary": "Create " + article(label),
			"parameters":  []any{ref("parameters", "IdempotencyKey")},
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef(n.Base + "Input"))},
			"responses": responses(obj{"201": obj{"description": "Created.", "content": jsonContent(one),
				"headers": obj{"ETag": ref("headers", "ETag"), "Location": ref("headers", "Location"),
					"Idempotent-Replayed": ref("headers", "IdempotentReplayed")}}}, authed(400, 404, 409, 413, 422)...)},
	}
	g.paths[base+"/{id}"] = obj{
		"parameters": idParam,
		"get": obj{"operationId": "get" + n.Base, "tags": tags, "summary": "Read " + article(label),
			"parameters": append([]any{ref("parameters", "IfNoneMatch")}, readParams...),
			"responses": responses(obj{"200": obj{"description": "The record.", "content": jsonContent(one), "headers": etag},
				"304": obj{"description": "Not modified: If-None-Match named the current version.", "headers": etag}}, authed(400, 404)...)},
		"patch": obj{"operationId": "update" + n.Base, "tags": tags, "summary": "Update " + article(label),
			"description": "Applies a JSON merge patch. With If-Match the update happens only if the record is still at that version. A patch that changes nothing (an empty one, or the values the record has) writes nothing: the answer is the record at its current version, with no history entry and no workflow event.",
			"parameters":  []any{ref("parameters", "IfMatch")},
			"requestBody": obj{"required": true, "content": obj{
				"application/json":             obj{"schema": schemaRef(n.Base + "Patch")},
				"application/merge-patch+json": obj{"schema": schemaRef(n.Base + "Patch")}}},
			"responses": responses(obj{"200": obj{"description": "The updated record.", "content": jsonContent(one), "headers": etag}},
				authed(400, 404, 409, 412, 413, 422)...)},
		"delete": obj{"operationId": "delete" + n.Base, "tags": tags, "summary": "Delete " + article(label),
			"description": "Moves the record to the recycle bin, from which it can be restored.",
			"parameters":  []any{ref("parameters", "IfMatch")},
			"responses":   responses(obj{"204": obj{"description": "Deleted."}}, authed(400, 404, 412, 422)...)},
	}
	g.paths[base+"/{id}/restore"] = obj{
		"parameters": idParam,
		"post": obj{"operationId": "restore" + n.Base, "tags": tags, "summary": "Restore " + article("deleted "+label),
			"responses": responses(obj{"200": obj{"description": "The restored record.", "content": jsonContent(one), "headers": etag}},
				authed(404, 409, 422)...)},
	}
	g.schemas[n.Base+"DeletedList"] = obj{"type": "object", "required": []any{"items", "nextCursor"},
		"properties": obj{
			"items": obj{"type": "array", "items": obj{"type": "object", "required": []any{"id", "object", "deletedAt", "deletedBy", "record"},
				"properties": obj{"id": obj{"type": "string"}, "object": obj{"type": "string"},
					"deletedAt": obj{"type": "string", "format": "date-time"}, "deletedBy": obj{"type": "string"}, "record": one}}},
			"nextCursor": obj{"type": []any{"string", "null"}, "description": "The cursor of the next page; null on the last page."},
		}}
	g.paths["/recyclebin/"+o.APIName] = obj{
		"get": obj{"operationId": "listDeleted" + n.Plural, "tags": tags, "summary": "List deleted " + plural,
			"description": "The recycle bin: deleted " + plural + " the caller could restore, newest first (details deleted with their master come back with it and are not listed). Entries are purged 30 days after deletion.",
			"parameters":  []any{ref("parameters", "Limit"), ref("parameters", "Cursor")},
			"responses":   responses(obj{"200": obj{"description": "A page of the recycle bin.", "content": jsonContent(schemaRef(n.Base + "DeletedList"))}}, authed(400, 404)...)},
	}
	g.paths[base+"/{id}/history"] = obj{
		"parameters": idParam,
		"get": obj{"operationId": "get" + n.Base + "History", "tags": tags, "summary": "Field history of " + article(label),
			"description": "Who changed the record's tracked fields, newest first.",
			"responses":   responses(obj{"200": obj{"description": "The changes.", "content": jsonContent(schemaRef("FieldChangeList"))}}, authed(404)...)},
	}
	g.paths[base+"/bulk"] = obj{
		"post": obj{"operationId": "bulk" + n.Plural, "tags": tags, "summary": "Create, update, upsert or delete many " + plural,
			"description": "Each record succeeds or fails on its own; the answer lists the outcome of each, in order. The request as a whole is refused when it is malformed: an unknown operation (400), more than " + strconv.Itoa(g.lim.MaxBulk) + " records (413), an unknown member or a record that is not a JSON object (422 naming records[i]).",
			"parameters":  []any{ref("parameters", "IdempotencyKey")},
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef(n.Base + "BulkRequest"))},
			"responses": responses(obj{"200": obj{"description": "The outcome of each record.", "content": jsonContent(schemaRef(n.Base + "BulkResponse")),
				"headers": obj{"Idempotent-Replayed": ref("headers", "IdempotentReplayed")}}},
				authed(400, 404, 413, 422)...)},
	}
	g.paths[base+"/aggregate"] = obj{
		"post": obj{"operationId": "aggregate" + n.Plural, "tags": tags, "summary": "Group and measure " + plural,
			"description": "Date buckets are computed in UTC (day 2026-01-31, month 2026-01, quarter 2026-Q1, year 2026); records without a value form a group whose key is null. Without groupBy the answer is one row, also when no record matches (count 0, sum 0, avg/min/max null); with groupBy no record means no rows. An unknown member of the request is 422.",
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef(n.Base + "AggregateRequest"))},
			"responses": responses(obj{"200": obj{"description": "One row per group.", "content": jsonContent(schemaRef("AggregateResponse"))}},
				authed(400, 404, 413, 422)...)},
	}
}

// names lists field names for descriptions.
func names(fields []*schema.Field, keep func(*schema.Field) bool) []any {
	var out []any
	for _, f := range fields {
		if keep == nil || keep(f) {
			out = append(out, f.Name)
		}
	}
	return out
}

func joinNames(list []any) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = v.(string)
	}
	return strings.Join(parts, ", ")
}

const filterLanguage = "A filter in the SOQL-like filter language (keywords are case-insensitive): comparisons " +
	"`field = value`, `!=`, `<`, `<=`, `>`, `>=`, `field IN (v1, v2)`, `NOT IN`, `field LIKE '%@acme.com'`, " +
	"`field IS NULL`, `IS NOT NULL`, combined with AND, OR, NOT and parentheses. Literals are 'strings', numbers, " +
	"true/false, dates (2026-01-31) and date-times (2026-01-31T10:00:00Z). Example: `status = 'new' AND " +
	"(score >= 50 OR source IN ('web','seo'))`. An unknown field, a type mismatch or a syntax error is 400 " +
	"naming the position."

func (g *gen) sortParam(fields []*schema.Field) obj {
	var keys []any
	for _, f := range fields {
		if sortable(f) {
			keys = append(keys, f.Name, "-"+f.Name)
		}
	}
	return obj{"name": "sort", "in": "query", "required": false, "style": "form", "explode": false,
		"description": "Sort keys, comma-separated, most significant first; a leading - sorts descending. Example: -createdAt,name.",
		"schema":      obj{"type": "array", "items": obj{"type": "string", "enum": keys}}}
}

func (g *gen) fieldsParam(fields []*schema.Field) obj {
	return obj{"name": "fields", "in": "query", "required": false, "style": "form", "explode": false,
		"description": "The fields to return, comma-separated; id and version are always returned. Default: every field the caller may read.",
		"schema":      obj{"type": "array", "items": obj{"type": "string", "enum": names(fields, nil)}}}
}

// expandParam lists the lookups whose target records can be inlined; nil
// when the object has none.
func (g *gen) expandParam(fields []*schema.Field) obj {
	list := names(fields, func(f *schema.Field) bool { _, ok := g.expandable(f); return ok })
	if len(list) == 0 {
		return nil
	}
	return obj{"name": "expand", "in": "query", "required": false, "style": "form", "explode": false,
		"description": "Lookup fields whose target record is inlined in place of its id, one level deep. A target the caller may not see stays an id.",
		"schema":      obj{"type": "array", "items": obj{"type": "string", "enum": list}}}
}

// article puts "a" or "an" before a noun, by its first letter.
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}
