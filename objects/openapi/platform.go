package openapi

import (
	"github.com/opencrm/crm/objects/schema"
)

// The names the platform's own routes use. Objects get other names when
// theirs would collide (an object "user" gets User2).
var (
	platformSchemaNames = []string{"Problem", "FieldError", "BulkError", "FieldChange", "FieldChangeList",
		"AggregateResponse", "ObjectSummary", "ObjectSummaryList", "ObjectDefinition", "FieldDefinition",
		"ObjectChangePlan", "ObjectDryRun", "ObjectVersion", "ObjectVersionList", "NewTenant", "TenantCreated",
		"User", "NewUser", "UserList", "LoginRequest", "Session", "Principal", "ApiKey", "NewApiKey",
		"ApiKeyCreated", "ApiKeyList", "OpenApiDocument"}
	platformOperationIDs = []string{"listObjects", "getObject", "putObject", "deleteObject", "getObjectHistory",
		"createTenant", "login", "logout", "getCurrentPrincipal", "createApiKey", "listApiKeys", "revokeApiKey",
		"createUser", "listUsers", "getUser", "getOpenApiDocument"}
	platformTagNames = []string{"Objects", "Auth", "ApiKeys", "Users", "Tenants", "OpenApi"}
)

func platformTags() []obj {
	return []obj{
		{"name": "Objects", "description": "Object definitions: JSON Schema (2020-12) documents with x-crm-* keywords."},
		{"name": "Auth", "description": "Sign-in, sign-out and the current caller."},
		{"name": "ApiKeys", "description": "The tenant's API keys (admins only)."},
		{"name": "Users", "description": "The tenant's users (admins only)."},
		{"name": "Tenants", "description": "Tenant onboarding by the operator."},
		{"name": "OpenApi", "description": "This document."},
	}
}

// platform adds the generic routes and their schemas.
func (g *gen) platform() {
	g.metadataSchemas()
	g.identitySchemas()
	apiName := obj{"name": "apiName", "in": "path", "required": true, "description": "The object's API name.",
		"schema": obj{"type": "string", "pattern": `^[a-z][a-z0-9_]{0,39}$`}}
	boolQuery := func(name, desc string) obj {
		return obj{"name": name, "in": "query", "required": false, "description": desc,
			"schema": obj{"type": "boolean", "default": false}}
	}
	objTags := []any{"Objects"}
	g.paths["/objects"] = obj{"get": obj{"operationId": "listObjects", "tags": objTags, "summary": "List the objects",
		"responses": responses(obj{"200": obj{"description": "The objects.", "content": jsonContent(schemaRef("ObjectSummaryList"))}}, authed()...)}}
	g.paths["/objects/{apiName}"] = obj{
		"parameters": []any{apiName},
		"get": obj{"operationId": "getObject", "tags": objTags, "summary": "Describe an object",
			"description": "The definition as stored, with the system fields, its version and when it last changed.",
			"responses":   responses(obj{"200": obj{"description": "The definition.", "content": jsonContent(schemaRef("ObjectDefinition"))}}, authed(404)...)},
		"put": obj{"operationId": "putObject", "tags": objTags, "summary": "Create or change an object",
			"description": "A change that would lose data or break records is refused with 409 saying why. With dryRun=true nothing changes and the answer is the plan.",
			"parameters":  []any{boolQuery("dryRun", "Check the change and answer its plan without applying it.")},
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef("ObjectDefinition"))},
			"responses": responses(obj{
				"200": obj{"description": "Changed (or, with dryRun, the plan).",
					"content": jsonContent(obj{"anyOf": []any{schemaRef("ObjectDefinition"), schemaRef("ObjectDryRun")}})},
				"201": obj{"description": "Created.", "content": jsonContent(schemaRef("ObjectDefinition"))},
			}, authed(400, 409, 413, 422)...)},
		"delete": obj{"operationId": "deleteObject", "tags": objTags, "summary": "Delete an object",
			"parameters": []any{boolQuery("purge", "Delete the object's records too; without it an object with records is refused with 409.")},
			"responses":  responses(obj{"204": obj{"description": "Deleted."}}, authed(400, 404, 409)...)},
	}
	g.paths["/objects/{apiName}/history"] = obj{
		"parameters": []any{apiName},
		"get": obj{"operationId": "getObjectHistory", "tags": objTags, "summary": "Versions of an object's definition",
			"responses": responses(obj{"200": obj{"description": "The versions, newest first.", "content": jsonContent(schemaRef("ObjectVersionList"))}}, authed(404)...)},
	}

	g.paths["/platform/tenants"] = obj{"post": obj{"operationId": "createTenant", "tags": []any{"Tenants"},
		"summary":     "Create a tenant",
		"description": "Only with the operator's bootstrap token (CRM_BOOTSTRAP_TOKEN) as the bearer credential. The answer holds an API key that acts as the tenant's admin; it is shown once.",
		"requestBody": obj{"required": true, "content": jsonContent(schemaRef("NewTenant"))},
		"responses": responses(obj{"201": obj{"description": "Created.", "content": jsonContent(schemaRef("TenantCreated")), "headers": noStore()}},
			400, 401, 409, 413, 422, 500, 503)}}
	authTags := []any{"Auth"}
	g.paths["/auth/login"] = obj{"post": obj{"operationId": "login", "tags": authTags, "summary": "Sign in",
		"security":    []any{},
		"requestBody": obj{"required": true, "content": jsonContent(schemaRef("LoginRequest"))},
		"responses": responses(obj{"200": obj{"description": "A session token to send as the bearer credential.", "content": jsonContent(schemaRef("Session")), "headers": noStore()}},
			400, 401, 413, 422, 429, 500, 503)}}
	g.paths["/auth/logout"] = obj{"post": obj{"operationId": "logout", "tags": authTags, "summary": "Sign out",
		"description": "Ends the session whose token is the credential.",
		"responses":   responses(obj{"204": obj{"description": "Signed out."}}, authed()...)}}
	g.paths["/auth/me"] = obj{"get": obj{"operationId": "getCurrentPrincipal", "tags": authTags, "summary": "The caller",
		"responses": responses(obj{"200": obj{"description": "Who the credential is.", "content": jsonContent(schemaRef("Principal"))}}, authed()...)}}

	keyTags := []any{"ApiKeys"}
	g.paths["/apikeys"] = obj{
		"get": obj{"operationId": "listApiKeys", "tags": keyTags, "summary": "List API keys",
			"responses": responses(obj{"200": obj{"description": "The keys (never the secrets).", "content": jsonContent(schemaRef("ApiKeyList"))}}, authed()...)},
		"post": obj{"operationId": "createApiKey", "tags": keyTags, "summary": "Create an API key",
			"description": "The key acts as the user it names (default: the caller). It is shown once.",
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef("NewApiKey"))},
			"responses": responses(obj{"201": obj{"description": "Created.", "content": jsonContent(schemaRef("ApiKeyCreated")), "headers": withLocation(noStore())}},
				authed(400, 404, 413, 422)...)},
	}
	g.paths["/apikeys/{id}"] = obj{"delete": obj{"operationId": "revokeApiKey", "tags": keyTags, "summary": "Revoke an API key",
		"parameters": []any{obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string"}}},
		"responses":  responses(obj{"204": obj{"description": "Revoked."}}, authed(404)...)}}

	userTags := []any{"Users"}
	g.paths["/users"] = obj{
		"get": obj{"operationId": "listUsers", "tags": userTags, "summary": "List users",
			"responses": responses(obj{"200": obj{"description": "The users.", "content": jsonContent(schemaRef("UserList"))}}, authed()...)},
		"post": obj{"operationId": "createUser", "tags": userTags, "summary": "Create a user",
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef("NewUser"))},
			"responses": responses(obj{"201": obj{"description": "Created.", "content": jsonContent(schemaRef("User")), "headers": withLocation(obj{})}},
				authed(400, 409, 413, 422)...)},
	}
	g.paths["/users/{id}"] = obj{"get": obj{"operationId": "getUser", "tags": userTags, "summary": "Read a user",
		"parameters": []any{obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string"}}},
		"responses":  responses(obj{"200": obj{"description": "The user.", "content": jsonContent(schemaRef("User"))}}, authed(404)...)}}

	g.paths["/openapi.json"] = obj{"get": obj{"operationId": "getOpenApiDocument", "tags": []any{"OpenApi"},
		"summary": "This document", "description": "The OpenAPI 3.1 document of this tenant's API as it is now.",
		"responses": responses(obj{"200": obj{"description": "The document.", "content": jsonContent(schemaRef("OpenApiDocument"))}}, authed()...)}}
}

func (g *gen) metadataSchemas() {
	str := obj{"type": "string"}
	g.schemas["ObjectSummary"] = obj{"type": "object", "required": []any{"apiName", "label", "pluralLabel", "custom", "version"},
		"properties": obj{"apiName": str, "label": str, "pluralLabel": str, "custom": obj{"type": "boolean"},
			"version": obj{"type": "integer", "minimum": 1}}}
	g.schemas["ObjectSummaryList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": schemaRef("ObjectSummary")}}}
	types := make([]any, 0, 24)
	for _, t := range schema.Types() {
		types = append(types, t)
	}
	g.schemas["FieldDefinition"] = obj{"type": "object", "required": []any{"x-crm-type"},
		"description": "A field: a JSON Schema property with x-crm-* keywords.",
		"properties": obj{
			"x-crm-type":    obj{"type": "string", "enum": types},
			"type":          str,
			"title":         str,
			"description":   str,
			"x-crm-label":   str,
			"x-crm-help":    str,
			"x-crm-target":  obj{"type": "string", "description": "lookup and masterdetail: the target object."},
			"x-crm-format":  obj{"type": "string", "description": "autonumber: a prefix, zeros in braces and a suffix, like INV-{0000}."},
			"x-crm-scale":   obj{"type": "integer", "minimum": 0},
			"x-crm-values":  obj{"type": "object", "description": "picklist values' labels, colors and inactive flags, by value."},
			"x-crm-formula": obj{"type": "string"},
			"x-crm-result":  obj{"type": "string"},
			"x-crm-rollup":  obj{"type": "object"},
			"x-crm-indexed": obj{"type": "boolean"},
			"x-crm-unique":  obj{"type": "boolean"},
			"x-crm-history": obj{"type": "boolean"},
			"x-crm-deleted": obj{"type": "boolean"},
			"x-crm-system":  obj{"type": "boolean", "readOnly": true},
			"enum":          obj{"type": "array", "items": str},
		}, "additionalProperties": true}
	g.schemas["ObjectDefinition"] = obj{"type": "object", "required": []any{"type", "properties"},
		"description": "An object: a JSON Schema (2020-12) document with x-crm-* keywords. Answers add apiName, version, updatedAt and the system fields.",
		"properties": obj{
			"title":         str,
			"description":   str,
			"x-crm-plural":  str,
			"x-crm-sharing": obj{"type": "string", "enum": []any{"private", "read", "readwrite"}, "default": "private"},
			"type":          obj{"const": "object"},
			"properties":    obj{"type": "object", "additionalProperties": schemaRef("FieldDefinition")},
			"required":      obj{"type": "array", "items": str},
			"apiName":       obj{"type": "string", "readOnly": true},
			"version":       obj{"type": "integer", "minimum": 1, "readOnly": true},
			"updatedAt":     obj{"type": "string", "format": "date-time", "readOnly": true},
		}, "additionalProperties": true}
	g.schemas["ObjectChangePlan"] = obj{"type": "object", "required": []any{"created", "changes"},
		"properties": obj{
			"created": obj{"type": "boolean"},
			"changes": obj{"type": []any{"array", "null"}, "items": obj{"type": "object", "required": []any{"op"},
				"properties": obj{"field": str, "op": obj{"type": "string", "enum": []any{"added", "removed", "changed"}},
					"what": str, "check": str, "removed": obj{"type": "array", "items": str}}}},
			"fields": obj{"type": "array", "items": obj{"type": "object", "required": []any{"field", "checks", "records", "failures"},
				"properties": obj{"field": str, "checks": obj{"type": "array", "items": str},
					"records": obj{"type": "integer"}, "failures": obj{"type": "integer"},
					"examples": obj{"type": "array", "items": obj{"type": "object",
						"properties": obj{"id": str, "value": obj{}, "message": str}}}}}},
		}}
	g.schemas["ObjectDryRun"] = obj{"type": "object", "required": []any{"dryRun", "plan"},
		"properties": obj{"dryRun": obj{"const": true}, "plan": schemaRef("ObjectChangePlan")}}
	g.schemas["ObjectVersion"] = obj{"type": "object", "required": []any{"version", "op", "at", "by"},
		"properties": obj{"version": obj{"type": "integer", "minimum": 1}, "op": str,
			"at": obj{"type": "string", "format": "date-time"}, "by": str,
			"changes": obj{"type": []any{"array", "null"}, "items": obj{"type": "object"}}}}
	g.schemas["ObjectVersionList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": []any{"array", "null"}, "items": schemaRef("ObjectVersion")}}}
	g.schemas["OpenApiDocument"] = obj{"type": "object", "required": []any{"openapi", "info", "paths"},
		"properties":           obj{"openapi": obj{"const": Version}, "info": obj{"type": "object"}, "paths": obj{"type": "object"}},
		"additionalProperties": true}
}

func (g *gen) identitySchemas() {
	str := obj{"type": "string"}
	email := obj{"type": "string", "format": "email"}
	roles := obj{"type": "array", "items": str}
	at := obj{"type": "string", "format": "date-time"}
	g.schemas["User"] = obj{"type": "object", "required": []any{"id", "email", "name", "roles", "active", "createdAt"},
		"properties": obj{"id": str, "email": email, "name": str, "roles": roles,
			"manager": obj{"type": "string", "description": "The id of the user's manager."},
			"active":  obj{"type": "boolean"}, "createdAt": at}}
	g.schemas["UserList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": schemaRef("User")}}}
	g.schemas["NewUser"] = obj{"type": "object", "required": []any{"email", "password"},
		"properties": obj{"email": email, "password": obj{"type": "string", "format": "password", "writeOnly": true},
			"name": str, "roles": roles, "manager": obj{"type": "string", "description": "The id of the user's manager."}}}
	g.schemas["LoginRequest"] = obj{"type": "object", "required": []any{"tenant", "email", "password"},
		"properties": obj{"tenant": obj{"type": "string", "pattern": tenantNamePattern}, "email": email,
			"password": obj{"type": "string", "format": "password", "writeOnly": true}}}
	g.schemas["Session"] = obj{"type": "object", "required": []any{"token", "expiresAt", "user"},
		"properties": obj{"token": str, "expiresAt": at, "user": schemaRef("User")}}
	g.schemas["Principal"] = obj{"type": "object", "required": []any{"tenantId", "tenantName", "userId", "roles", "credentialKind", "credentialId"},
		"properties": obj{"tenantId": str, "tenantName": str, "userId": str, "email": str, "name": str, "roles": roles,
			"manager": str, "credentialKind": obj{"type": "string", "enum": []any{"apikey", "session"}}, "credentialId": str}}
	g.schemas["ApiKey"] = obj{"type": "object", "required": []any{"id", "name", "user", "prefix", "createdAt"},
		"properties": obj{"id": str, "name": str, "user": str,
			"prefix":    obj{"type": "string", "description": "The first characters of the key, to recognise it."},
			"createdAt": at, "lastUsedAt": at}}
	g.schemas["ApiKeyList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": schemaRef("ApiKey")}}}
	g.schemas["NewApiKey"] = obj{"type": "object", "required": []any{"name"},
		"properties": obj{"name": str, "user": obj{"type": "string", "description": "The user the key acts as; default the caller."}}}
	g.schemas["ApiKeyCreated"] = obj{"type": "object", "required": []any{"id", "key"},
		"properties": obj{"id": str, "key": obj{"type": "string", "description": "The secret, shown only in this answer."},
			"name": str, "user": str, "prefix": str, "createdAt": at}}
	g.schemas["NewTenant"] = obj{"type": "object", "required": []any{"name", "admin"},
		"properties": obj{"name": obj{"type": "string", "pattern": tenantNamePattern}, "admin": schemaRef("NewUser")}}
	g.schemas["TenantCreated"] = obj{"type": "object", "required": []any{"tenant", "admin", "apiKey"},
		"properties": obj{
			"tenant": obj{"type": "object", "required": []any{"id", "name"}, "properties": obj{"id": str, "name": str}},
			"admin":  schemaRef("User"),
			"apiKey": obj{"type": "string", "description": "An API key acting as the tenant's admin, shown only in this answer."}}}
}

// tenantNamePattern is the syntax of tenant names.
const tenantNamePattern = `^[a-z][a-z0-9-]{1,39}$`

// noStore is the Cache-Control header of answers that hold a secret.
func noStore() obj {
	return obj{"Cache-Control": obj{"description": "no-store: the answer holds a secret that no cache may keep.",
		"schema": obj{"type": "string", "const": "no-store"}}}
}

// withLocation adds the Location of a created resource to headers.
func withLocation(headers obj) obj {
	headers["Location"] = ref("headers", "Location")
	return headers
}
