package openapi

// The routes that arrived after the first generator: composite requests,
// metadata migrations, user changes, roles and sharing rules, scripts, and
// the security audit log. Their bodies are described by small schemas; the
// record shapes inside composite answers are the objects' own.

var (
	extraSchemaNames = []string{"CompositeRequest", "CompositeResponse", "Migration", "UserPatch", "Role", "RoleList",
		"SharingRule", "SharingRuleList", "Script", "ScriptList", "ScriptTestRequest", "ScriptTestResult",
		"AuditEventList", "Dashboard", "DashboardList"}
	extraOperationIDs = []string{"runComposite", "getMigration", "updateUser", "deactivateUser", "listRoles", "getRole",
		"putRole", "deleteRole", "listSharingRules", "getSharingRule", "putSharingRule", "deleteSharingRule",
		"listScripts", "getScript", "putScript", "deleteScript", "testScript", "getScriptTypes", "listAuditEvents",
		"listDashboards", "getDashboard", "putDashboard", "deleteDashboard"}
	extraTagNames = []string{"Composite", "Roles", "Scripts", "Audit", "Dashboards"}
)

func extraTags() []obj {
	return []obj{
		{"name": "Composite", "description": "Several record requests in one call, optionally all or none."},
		{"name": "Roles", "description": "Roles, field access and sharing rules (admins and studio roles)."},
		{"name": "Scripts", "description": "JavaScript hooks that run in the record pipeline."},
		{"name": "Audit", "description": "The tenant's security audit log (admins only)."},
		{"name": "Dashboards", "description": "Users' saved dashboards: charts of the aggregate API, private or shared."},
	}
}

func (g *gen) extra() {
	str := obj{"type": "string"}
	anyObj := obj{"type": "object"}
	pathParam := func(name string) obj {
		return obj{"name": name, "in": "path", "required": true, "schema": str}
	}
	list := func(item string) obj {
		return obj{"type": "object", "required": []any{"items"},
			"properties": obj{"items": obj{"type": "array", "items": schemaRef(item)}}}
	}

	g.schemas["CompositeRequest"] = obj{"type": "object", "required": []any{"requests"}, "additionalProperties": false,
		"properties": obj{"allOrNone": obj{"type": "boolean", "default": false},
			"requests": obj{"type": "array", "minItems": 1, "maxItems": 25, "items": obj{"type": "object",
				"required": []any{"ref", "method", "url"},
				"properties": obj{"ref": str, "method": obj{"type": "string", "enum": []any{"GET", "POST", "PATCH", "DELETE"}},
					"url":  obj{"type": "string", "description": "A record URL under /api/v1/records/: {object} (GET lists, POST creates), {object}/{id} (GET, PATCH, DELETE) or {object}/{id}/restore (POST), with the query parameters of those routes. @{ref.path} is replaced by a value of an earlier answer: a dotted path whose whole-number segments index arrays, like @{acc.id} or @{list.items.0.id}."},
					"body": obj{"type": "object", "description": "The body of a POST or PATCH (default {}). A string that is exactly one @{ref.path} takes the referenced value with its type."}},
				"additionalProperties": false}}}}
	g.schemas["CompositeResponse"] = obj{"type": "object", "required": []any{"results", "rolledBack"},
		"properties": obj{"rolledBack": obj{"type": "boolean"},
			"results": obj{"type": "array", "items": obj{"type": "object", "required": []any{"ref", "status"},
				"properties": obj{"ref": str, "status": obj{"type": "integer"},
					"body": obj{"description": "What the request alone would have answered: a record, a page, or a problem document (no requestId) when status is 400 or more. Absent for 204."}}}}}}
	g.paths["/composite"] = obj{"post": obj{"operationId": "runComposite", "tags": []any{"Composite"},
		"summary":     "Run up to 25 record requests in order",
		"description": "With allOrNone every request takes effect or none does (one store transaction); the first failure keeps its status, the later requests answer 424 (composite.not_run) and rolledBack is true: the answers of the requests before the failure show what they did before it was rolled back. A store without transactions answers allOrNone with 409. An unknown member is 422. The answer is 200 also when the batch rolled back, so with an Idempotency-Key it is kept like any answer: retry a rolled-back batch with a new key.",
		"parameters":  []any{ref("parameters", "IdempotencyKey")},
		"requestBody": obj{"required": true, "content": jsonContent(schemaRef("CompositeRequest"))},
		"responses": responses(obj{"200": obj{"description": "Each request's answer.", "content": jsonContent(schemaRef("CompositeResponse")),
			"headers": obj{"Idempotent-Replayed": ref("headers", "IdempotentReplayed")}}}, authed(400, 409, 413, 422)...)}}

	g.schemas["Migration"] = obj{"type": "object", "required": []any{"id", "object", "status"},
		"properties": obj{"id": str, "object": str, "status": obj{"type": "string", "enum": []any{"running", "done", "failed", "interrupted"}},
			"total": obj{"type": "integer"}, "done": obj{"type": "integer"}, "failed": obj{"type": "integer"},
			"examples": obj{"type": "array", "items": anyObj}}}
	g.paths["/migrations/{id}"] = obj{"get": obj{"operationId": "getMigration", "tags": []any{"Objects"},
		"summary":     "Progress of a definition change that converts records",
		"description": "PUT /objects/{apiName} answers 202 with a Location here when a type change converts many records; the new definition applies when every record converted.",
		"parameters":  []any{pathParam("id")},
		"responses":   responses(obj{"200": obj{"description": "The migration.", "content": jsonContent(schemaRef("Migration"))}}, authed(404)...)}}
	if put, ok := g.paths["/objects/{apiName}"].(obj)["put"].(obj); ok {
		put["responses"].(obj)["202"] = obj{"description": "Accepted: the records are being converted; follow the Location.",
			"content": jsonContent(schemaRef("Migration"))}
	}

	g.schemas["UserPatch"] = obj{"type": "object", "properties": obj{"name": str, "roles": obj{"type": "array", "items": str},
		"manager": obj{"type": "string", "description": "A user id; \"\" removes the manager."}, "password": str, "active": obj{"type": "boolean"}}}
	if u, ok := g.paths["/users/{id}"].(obj); ok {
		u["patch"] = obj{"operationId": "updateUser", "tags": []any{"Users"}, "summary": "Change a user",
			"parameters":  []any{pathParam("id")},
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef("UserPatch"))},
			"responses":   responses(obj{"200": obj{"description": "The user.", "content": jsonContent(schemaRef("User"))}}, authed(400, 404, 413, 422)...)}
		u["delete"] = obj{"operationId": "deactivateUser", "tags": []any{"Users"}, "summary": "Deactivate a user",
			"description": "The user can no longer sign in and their sessions and keys stop working; their records keep them as owner.",
			"parameters":  []any{pathParam("id")},
			"responses":   responses(obj{"204": obj{"description": "Deactivated."}}, authed(404, 409)...)}
	}

	g.schemas["Role"] = obj{"type": "object", "properties": obj{"name": str, "parent": str, "studio": obj{"type": "boolean"},
		"permissions": obj{"type": "object", "additionalProperties": obj{"type": "object", "properties": obj{
			"read": obj{"type": "boolean"}, "create": obj{"type": "boolean"}, "update": obj{"type": "boolean"},
			"delete": obj{"type": "boolean"}, "viewAll": obj{"type": "boolean"}, "modifyAll": obj{"type": "boolean"},
			"fields": obj{"type": "object", "additionalProperties": obj{"type": "string", "enum": []any{"edit", "read", "none"}}}}}}}}
	g.schemas["RoleList"] = list("Role")
	g.schemas["SharingRule"] = obj{"type": "object", "properties": obj{"name": str, "object": str,
		"filter": obj{"type": "string", "description": "In the filter language of record lists."}, "role": str,
		"access": obj{"type": "string", "enum": []any{"read", "readwrite"}}}}
	g.schemas["SharingRuleList"] = list("SharingRule")
	crud := func(tag, base, one, listID, getID, putID, delID, schemaName, listName string) {
		roleTags := []any{tag}
		g.paths[base] = obj{"get": obj{"operationId": listID, "tags": roleTags, "summary": "List",
			"responses": responses(obj{"200": obj{"description": "The list.", "content": jsonContent(schemaRef(listName))}}, authed()...)}}
		g.paths[one] = obj{"parameters": []any{pathParam("name")},
			"get": obj{"operationId": getID, "tags": roleTags, "summary": "Read",
				"responses": responses(obj{"200": obj{"description": "Found.", "content": jsonContent(schemaRef(schemaName))}}, authed(404)...)},
			"put": obj{"operationId": putID, "tags": roleTags, "summary": "Create or replace",
				"requestBody": obj{"required": true, "content": jsonContent(schemaRef(schemaName))},
				"responses":   responses(obj{"200": obj{"description": "Stored.", "content": jsonContent(schemaRef(schemaName))}}, authed(400, 409, 413, 422)...)},
			"delete": obj{"operationId": delID, "tags": roleTags, "summary": "Delete",
				"responses": responses(obj{"204": obj{"description": "Deleted."}}, authed(404, 409)...)}}
	}
	crud("Roles", "/roles", "/roles/{name}", "listRoles", "getRole", "putRole", "deleteRole", "Role", "RoleList")
	crud("Roles", "/sharing-rules", "/sharing-rules/{name}", "listSharingRules", "getSharingRule", "putSharingRule", "deleteSharingRule", "SharingRule", "SharingRuleList")

	g.schemas["Dashboard"] = obj{"type": "object", "required": []any{"label"}, "properties": obj{
		"name": obj{"type": "string", "readOnly": true}, "label": obj{"type": "string", "maxLength": 200},
		"shared": obj{"type": "boolean", "default": false, "description": "Readable by every user of the tenant; only the owner changes it."},
		"charts": obj{"type": "array", "maxItems": 50, "items": anyObj, "description": "The studio's chart definitions, kept as given."},
		"owner":  obj{"type": "string", "readOnly": true}, "updatedAt": obj{"type": "string", "readOnly": true},
		"version": obj{"type": "integer", "readOnly": true}}}
	g.schemas["DashboardList"] = list("Dashboard")
	crud("Dashboards", "/dashboards", "/dashboards/{name}", "listDashboards", "getDashboard", "putDashboard", "deleteDashboard", "Dashboard", "DashboardList")
	if put, ok := g.paths["/dashboards/{name}"].(obj)["put"].(obj); ok {
		put["summary"] = "Save one of the caller's dashboards"
		put["responses"].(obj)["201"] = obj{"description": "Created.", "content": jsonContent(schemaRef("Dashboard"))}
	}

	g.schemas["Script"] = obj{"type": "object", "required": []any{"object", "events", "source"},
		"properties": obj{"name": str, "object": str, "source": str, "active": obj{"type": "boolean"}, "order": obj{"type": "integer"},
			"events": obj{"type": "array", "items": obj{"type": "string", "enum": []any{"beforeCreate", "afterCreate", "beforeUpdate",
				"afterUpdate", "beforeDelete", "afterDelete", "onWorkflow"}}},
			"runAs": obj{"type": "string", "enum": []any{"caller", "system"}}, "version": obj{"type": "integer"}}}
	g.schemas["ScriptList"] = list("Script")
	g.schemas["ScriptTestRequest"] = obj{"type": "object", "required": []any{"event"},
		"properties": obj{"event": str, "record": anyObj, "old": anyObj}}
	g.schemas["ScriptTestResult"] = obj{"type": "object", "properties": obj{"record": anyObj,
		"logs": obj{"type": "array", "items": str}, "error": obj{"type": []any{"object", "null"}}, "usage": anyObj, "limits": anyObj}}
	scriptTags := []any{"Scripts"}
	name := []any{pathParam("name")}
	g.paths["/scripts"] = obj{"get": obj{"operationId": "listScripts", "tags": scriptTags, "summary": "List scripts",
		"responses": responses(obj{"200": obj{"description": "The scripts.", "content": jsonContent(schemaRef("ScriptList"))}}, authed()...)}}
	g.paths["/scripts/{name}"] = obj{"parameters": name,
		"get": obj{"operationId": "getScript", "tags": scriptTags, "summary": "Read a script",
			"responses": responses(obj{"200": obj{"description": "The script.", "content": jsonContent(schemaRef("Script"))}}, authed(404)...)},
		"put": obj{"operationId": "putScript", "tags": scriptTags, "summary": "Create or replace a script",
			"description": "A script that does not compile is refused with 422 naming the line and column.",
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef("Script"))},
			"responses": responses(obj{"200": obj{"description": "Replaced.", "content": jsonContent(schemaRef("Script"))},
				"201": obj{"description": "Created.", "content": jsonContent(schemaRef("Script"))}}, authed(400, 413, 422)...)},
		"delete": obj{"operationId": "deleteScript", "tags": scriptTags, "summary": "Delete a script",
			"responses": responses(obj{"204": obj{"description": "Deleted."}}, authed(404)...)}}
	g.paths["/scripts/{name}/test"] = obj{"parameters": name, "post": obj{"operationId": "testScript", "tags": scriptTags,
		"summary":     "Run one event against a sample record; nothing is saved",
		"requestBody": obj{"required": true, "content": jsonContent(schemaRef("ScriptTestRequest"))},
		"responses":   responses(obj{"200": obj{"description": "The outcome.", "content": jsonContent(schemaRef("ScriptTestResult"))}}, authed(400, 404, 413, 422)...)}}
	g.paths["/scripts/types.d.ts"] = obj{"get": obj{"operationId": "getScriptTypes", "tags": scriptTags,
		"summary": "TypeScript declarations of the ctx scripts receive",
		"responses": responses(obj{"200": obj{"description": "The declarations.",
			"content": obj{"application/typescript": obj{"schema": str}}}}, authed()...)}}

	g.schemas["AuditEventList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": obj{"type": "object", "required": []any{"id", "at", "kind"},
			"properties": obj{"id": str, "at": obj{"type": "string", "format": "date-time"}, "kind": str, "actor": str, "target": str, "detail": anyObj}}},
			"nextCursor": obj{"type": []any{"string", "null"}}}}
	g.paths["/audit"] = obj{"get": obj{"operationId": "listAuditEvents", "tags": []any{"Audit"}, "summary": "The security audit log, newest first",
		"parameters": []any{
			obj{"name": "kind", "in": "query", "required": false, "schema": str},
			obj{"name": "limit", "in": "query", "required": false, "schema": obj{"type": "integer", "minimum": 1, "maximum": 500}},
			obj{"name": "cursor", "in": "query", "required": false, "schema": str}},
		"responses": responses(obj{"200": obj{"description": "Events.", "content": jsonContent(schemaRef("AuditEventList"))}}, authed(400)...)}}
}
