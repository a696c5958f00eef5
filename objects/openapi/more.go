package openapi

import "github.com/opencrm/crm/objects/schema"

// The routes the generic platform serves beyond API.md's list: CSV import
// and export, related lists, layouts and list views, automation (workflows,
// their runs, notifications, settings, jobs, script runs) and packages.
// Their bodies belong to other packages and change with them, so most are
// described loosely (an object with its main members); the paths, the
// parameters and the statuses are exact. Installed apps' own routes (the
// sales plugin's) are not part of this document.

var (
	moreSchemaNames = []string{"ImportRequest", "ImportJob", "View", "ViewList", "Workflow", "WorkflowList",
		"WorkflowVersionList", "WorkflowRun", "WorkflowRunList", "NotificationList", "WorkflowSettings", "Job", "JobList",
		"ScriptRunList", "PluginCatalog", "PluginRequest", "PluginPlan", "PluginResult"}
	moreOperationIDs = []string{"getImport", "listLayouts", "getLayout", "putLayout", "deleteLayout", "listListViews",
		"getListView", "putListView", "deleteListView", "listWorkflows", "getWorkflow", "putWorkflow", "deleteWorkflow",
		"getWorkflowHistory", "listWorkflowRuns", "listNotifications", "getWorkflowSettings", "putWorkflowSettings",
		"listJobs", "getJob", "retryJob", "cancelJob", "listScriptRuns", "listRunsOfScript", "listPlugins", "planPlugin",
		"installPlugin", "upgradePlugin", "uninstallPlugin"}
	moreTagNames = []string{"Views", "Automation", "Plugins"}
)

func moreTags() []obj {
	return []obj{
		{"name": "Views", "description": "Page layouts and list views of each object (studio metadata)."},
		{"name": "Automation", "description": "Workflows, their runs, notifications, the jobs that run them, and script runs (admins, except notifications and a record's runs)."},
		{"name": "Plugins", "description": "Packages (apps) the tenant can install, upgrade or uninstall (admins)."},
	}
}

func looseObject(desc string, props obj) obj {
	o := obj{"type": "object", "description": desc, "additionalProperties": true}
	if props != nil {
		o["properties"] = props
	}
	return o
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "string"}}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func ok(desc, schemaName string) obj {
	return obj{"200": obj{"description": desc, "content": jsonContent(schemaRef(schemaName))}}
}

func itemList(item string) obj {
	return obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": schemaRef(item)}}}
}

// more adds the generic routes that are not per object.
func (g *gen) more() {
	str := obj{"type": "string"}
	runLimit := queryParam("limit", "How many, newest first.", obj{"type": "integer", "minimum": 1, "maximum": 500})

	g.schemas["ImportRequest"] = obj{"type": "object", "required": []any{"csv"}, "additionalProperties": false,
		"properties": obj{
			"csv": obj{"type": "string", "description": "The file: a header row, then one record per row (RFC 4180: quoted cells may hold commas, quotes and line breaks; a UTF-8 byte order mark is ignored)."},
			"mapping": obj{"type": "object", "additionalProperties": str,
				"description": "CSV column -> field API name; a column not mapped is ignored. Empty maps every column to the field of the same name. A column the CSV lacks is 400."},
			"mode":            obj{"type": "string", "enum": []any{"create", "upsert"}, "default": "create"},
			"externalIdField": obj{"type": "string", "description": "The unique field that identifies records in an upsert."}}}
	g.schemas["ImportJob"] = obj{"type": "object", "required": []any{"id", "object", "status"},
		"properties": obj{"id": str, "object": str,
			"status": obj{"type": "string", "enum": []any{"running", "done", "interrupted", "failed"}},
			"rows":   obj{"type": "integer"}, "processed": obj{"type": "integer"}, "created": obj{"type": "integer"},
			"updated": obj{"type": "integer"}, "failed": obj{"type": "integer"},
			"errors": obj{"type": "array", "description": "Rows not imported (rows count from 1 after the header), at most 1000.",
				"items": obj{"type": "object", "required": []any{"row", "code", "message"}, "properties": obj{
					"row": obj{"type": "integer"}, "code": str, "message": str, "errors": obj{"type": "array", "items": schemaRef("FieldError")}}}},
			"startedAt": obj{"type": "string", "format": "date-time"}, "endedAt": obj{"type": "string", "format": "date-time"}, "by": str}}
	g.paths["/imports/{id}"] = obj{"get": obj{"operationId": "getImport", "tags": []any{"Objects"},
		"summary":    "Progress and report of a CSV import",
		"parameters": []any{pathParam("id", "The import's id, from the Location of its start.")},
		"responses":  responses(ok("The import.", "ImportJob"), authed(404)...)}}

	g.schemas["View"] = looseObject("A layout or list view: its name, object, definition and version, as the studio stores it.", obj{"name": str, "object": str, "version": obj{"type": "integer"}})
	g.schemas["ViewList"] = itemList("View")
	apiName := pathParam("apiName", "The object's API name.")
	for _, v := range []struct{ path, one, many string }{{"layouts", "Layout", "Layouts"}, {"listviews", "ListView", "ListViews"}} {
		tags := []any{"Views"}
		g.paths["/objects/{apiName}/"+v.path] = obj{"parameters": []any{apiName}, "get": obj{"operationId": "list" + v.many, "tags": tags,
			"summary": "List the object's " + v.path, "responses": responses(ok("The list.", "ViewList"), authed(404)...)}}
		g.paths["/objects/{apiName}/"+v.path+"/{name}"] = obj{"parameters": []any{apiName, pathParam("name", "The view's name.")},
			"get": obj{"operationId": "get" + v.one, "tags": tags, "summary": "Read one",
				"responses": responses(ok("Found.", "View"), authed(404)...)},
			"put": obj{"operationId": "put" + v.one, "tags": tags, "summary": "Create or replace one (admins and studio roles)",
				"requestBody": obj{"required": true, "content": jsonContent(schemaRef("View"))},
				"responses": responses(obj{"200": obj{"description": "Replaced.", "content": jsonContent(schemaRef("View"))},
					"201": obj{"description": "Created.", "content": jsonContent(schemaRef("View"))}}, authed(400, 404, 413, 422)...)},
			"delete": obj{"operationId": "delete" + v.one, "tags": tags, "summary": "Delete one (admins and studio roles)",
				"responses": responses(obj{"204": obj{"description": "Deleted."}}, authed(404)...)}}
	}

	auto := []any{"Automation"}
	etag := obj{"ETag": ref("headers", "ETag")}
	g.schemas["Workflow"] = looseObject("A workflow: a trigger (record event with a condition, a time relative to a date field, or a schedule) and its actions.",
		obj{"name": str, "object": str, "active": obj{"type": "boolean"}, "trigger": obj{"type": "object"},
			"actions": obj{"type": "array", "items": obj{"type": "object"}}, "version": obj{"type": "integer"}})
	g.schemas["WorkflowList"] = itemList("Workflow")
	g.schemas["WorkflowVersionList"] = itemList("Workflow")
	g.schemas["WorkflowRun"] = obj{"type": "object", "required": []any{"id", "workflow", "status"},
		"properties": obj{"id": str, "workflow": str, "workflowVersion": obj{"type": "integer"}, "trigger": str, "object": str,
			"record": str, "status": str, "attempts": obj{"type": "integer"}, "startedAt": str, "finishedAt": str, "error": str,
			"actions": obj{"type": "array", "items": obj{"type": "object"}}}}
	g.schemas["WorkflowRunList"] = itemList("WorkflowRun")
	g.schemas["NotificationList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": looseObject("A notification a workflow sent to the caller.", nil)}}}
	g.schemas["WorkflowSettings"] = looseObject("The tenant's automation settings (business hours, allow-listed webhook hosts...).", nil)
	g.schemas["Job"] = obj{"type": "object", "required": []any{"id", "kind", "state"},
		"properties": obj{"id": str, "kind": str, "key": str, "group": str, "state": str, "runAt": str,
			"attempts": obj{"type": "integer"}, "maxAttempts": obj{"type": "integer"}, "lastError": str,
			"payload": obj{"type": "object"}, "createdAt": str, "updatedAt": str, "finishedAt": str, "version": obj{"type": "integer"}}}
	g.schemas["JobList"] = itemList("Job")
	g.schemas["ScriptRunList"] = obj{"type": "object", "required": []any{"items"},
		"properties": obj{"items": obj{"type": "array", "items": looseObject("One run of a script: event, record, outcome, logs and usage.", nil)}}}
	name := pathParam("name", "The workflow's name.")
	g.paths["/workflows"] = obj{"get": obj{"operationId": "listWorkflows", "tags": auto, "summary": "List workflows",
		"responses": responses(ok("The workflows.", "WorkflowList"), authed()...)}}
	g.paths["/workflows/{name}"] = obj{"parameters": []any{name},
		"get": obj{"operationId": "getWorkflow", "tags": auto, "summary": "Read a workflow",
			"responses": responses(obj{"200": obj{"description": "The workflow.", "content": jsonContent(schemaRef("Workflow")), "headers": etag}}, authed(404)...)},
		"put": obj{"operationId": "putWorkflow", "tags": auto, "summary": "Create or replace a workflow",
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef("Workflow"))},
			"responses": responses(obj{"200": obj{"description": "Replaced.", "content": jsonContent(schemaRef("Workflow")), "headers": etag},
				"201": obj{"description": "Created.", "content": jsonContent(schemaRef("Workflow")), "headers": etag}}, authed(400, 413, 422)...)},
		"delete": obj{"operationId": "deleteWorkflow", "tags": auto, "summary": "Delete a workflow",
			"responses": responses(obj{"204": obj{"description": "Deleted."}}, authed(404)...)}}
	g.paths["/workflows/{name}/history"] = obj{"parameters": []any{name}, "get": obj{"operationId": "getWorkflowHistory", "tags": auto,
		"summary": "Versions of a workflow", "responses": responses(ok("The versions.", "WorkflowVersionList"), authed(404)...)}}
	g.paths["/workflows/{name}/runs"] = obj{"parameters": []any{name}, "get": obj{"operationId": "listWorkflowRuns", "tags": auto,
		"summary": "Runs of a workflow, newest first", "parameters": []any{runLimit},
		"responses": responses(ok("The runs.", "WorkflowRunList"), authed(400, 404)...)}}
	g.paths["/notifications"] = obj{"get": obj{"operationId": "listNotifications", "tags": auto, "summary": "The caller's notifications, newest first",
		"parameters": []any{runLimit}, "responses": responses(ok("The notifications.", "NotificationList"), authed(400)...)}}
	g.paths["/workflow-settings"] = obj{
		"get": obj{"operationId": "getWorkflowSettings", "tags": auto, "summary": "The tenant's automation settings",
			"responses": responses(ok("The settings.", "WorkflowSettings"), authed()...)},
		"put": obj{"operationId": "putWorkflowSettings", "tags": auto, "summary": "Change the tenant's automation settings",
			"requestBody": obj{"required": true, "content": jsonContent(schemaRef("WorkflowSettings"))},
			"responses":   responses(ok("The settings.", "WorkflowSettings"), authed(400, 413, 422)...)}}
	jobID := pathParam("id", "The job's id.")
	g.paths["/jobs"] = obj{"get": obj{"operationId": "listJobs", "tags": auto, "summary": "The tenant's background jobs",
		"parameters": []any{queryParam("state", "Only jobs in this state.", str), queryParam("kind", "Only jobs of this kind.", str), runLimit},
		"responses":  responses(ok("The jobs.", "JobList"), authed(400)...)}}
	g.paths["/jobs/{id}"] = obj{"parameters": []any{jobID}, "get": obj{"operationId": "getJob", "tags": auto, "summary": "Read a job",
		"responses": responses(ok("The job.", "Job"), authed(404)...)}}
	g.paths["/jobs/{id}/retry"] = obj{"parameters": []any{jobID}, "post": obj{"operationId": "retryJob", "tags": auto,
		"summary": "Run a failed or dead job again", "responses": responses(ok("The job.", "Job"), authed(404, 409)...)}}
	g.paths["/jobs/{id}/cancel"] = obj{"parameters": []any{jobID}, "post": obj{"operationId": "cancelJob", "tags": auto,
		"summary": "Cancel a job that has not finished", "responses": responses(ok("The job.", "Job"), authed(404, 409)...)}}
	g.paths["/script-runs"] = obj{"get": obj{"operationId": "listScriptRuns", "tags": []any{"Scripts"}, "summary": "Recent runs of every script",
		"responses": responses(ok("The runs.", "ScriptRunList"), authed()...)}}
	g.paths["/scripts/{name}/runs"] = obj{"parameters": []any{pathParam("name", "The script's name.")},
		"get": obj{"operationId": "listRunsOfScript", "tags": []any{"Scripts"}, "summary": "Recent runs of one script",
			"responses": responses(ok("The runs.", "ScriptRunList"), authed(404)...)}}

	plug := []any{"Plugins"}
	g.schemas["PluginCatalog"] = obj{"type": "object", "required": []any{"available", "installed"},
		"properties": obj{"available": obj{"type": "array", "items": looseObject("A package's manifest, with the tenant's installed version and state.", nil)},
			"installed": obj{"type": "array", "items": looseObject("A package installed in the tenant.", nil)}}}
	g.schemas["PluginRequest"] = obj{"type": "object", "properties": obj{
		"action":  obj{"type": "string", "enum": []any{"install", "upgrade", "uninstall"}, "description": "For plan: the action to plan."},
		"purge":   obj{"type": "boolean", "description": "Uninstall: delete the package's objects with their records."},
		"package": obj{"type": "object", "additionalProperties": str, "description": "A package given inline as its files (path -> content) instead of the catalog's."}}}
	g.schemas["PluginPlan"] = looseObject("What the action would change.", nil)
	g.schemas["PluginResult"] = looseObject("What the action changed.", nil)
	pname := pathParam("name", "The package's name.")
	g.paths["/plugins"] = obj{"get": obj{"operationId": "listPlugins", "tags": plug, "summary": "Packages available and installed",
		"responses": responses(ok("The catalog.", "PluginCatalog"), authed()...)}}
	body := obj{"required": false, "content": jsonContent(schemaRef("PluginRequest"))}
	g.paths["/plugins/{name}/plan"] = obj{"parameters": []any{pname}, "post": obj{"operationId": "planPlugin", "tags": plug,
		"summary": "Plan an install, upgrade or uninstall without applying it", "requestBody": body,
		"responses": responses(ok("The plan.", "PluginPlan"), authed(400, 404, 409, 413, 422)...)}}
	for _, a := range []struct{ action, id string }{{"install", "installPlugin"}, {"upgrade", "upgradePlugin"}, {"uninstall", "uninstallPlugin"}} {
		g.paths["/plugins/{name}/"+a.action] = obj{"parameters": []any{pname}, "post": obj{"operationId": a.id, "tags": plug,
			"summary": a.action + " a package", "requestBody": body,
			"responses": responses(ok("Done.", "PluginResult"), authed(400, 404, 409, 413, 422)...)}}
	}
}

// moreRecordPaths adds an object's CSV import and export, its related
// lists and its records' workflow runs.
func (g *gen) moreRecordPaths(o *schema.Object, n objectNames, fields []*schema.Field) {
	base := "/records/" + o.APIName
	tags := []any{n.Base}
	idParam := ref("parameters", "RecordId")
	g.paths[base+"/import"] = obj{"post": obj{"operationId": "import" + n.Plural, "tags": tags,
		"summary":     "Start a CSV import",
		"description": "Checks the CSV and the mapping, then imports in the background through the same pipeline as single writes (create, or upsert by externalIdField). Each row succeeds or fails on its own; follow the Location for progress and the per-row error report.",
		"requestBody": obj{"required": true, "content": jsonContent(schemaRef("ImportRequest"))},
		"responses": responses(obj{"202": obj{"description": "Started.", "content": jsonContent(schemaRef("ImportJob")),
			"headers": obj{"Location": ref("headers", "Location")}}}, authed(400, 404, 413, 422)...)}}
	g.paths[base+"/export"] = obj{"get": obj{"operationId": "export" + n.Plural, "tags": tags,
		"summary":     "Export records as CSV",
		"description": "Streams the records a list with the same filter, sort and fields would page through, as CSV with a header row (fields= chooses the columns after id). Lists are cells joined by ';'. A bad filter is 400 before the stream starts.",
		"parameters":  []any{ref("parameters", "Filter"), g.sortParam(fields), g.fieldsParam(fields)},
		"responses": responses(obj{"200": obj{"description": "The CSV.", "content": obj{"text/csv": obj{"schema": obj{"type": "string"}}}}},
			authed(400, 404)...)}}
	g.paths[base+"/{id}/related/{child}"] = obj{"parameters": []any{idParam, pathParam("child", "The API name of an object with a lookup to this one.")},
		"get": obj{"operationId": "listRelatedOf" + n.Base, "tags": tags, "summary": "List the records of another object that point at this one",
			"parameters": []any{queryParam("field", "The child's lookup field, when it has several pointing here.", obj{"type": "string"}),
				ref("parameters", "Filter"), queryParam("sort", "Sort keys of the child, as in its list.", obj{"type": "string"}),
				ref("parameters", "Limit"), ref("parameters", "Cursor"),
				queryParam("fields", "The child's fields to return.", obj{"type": "string"}),
				queryParam("expand", "The child's lookups to inline.", obj{"type": "string"})},
			"responses": responses(obj{"200": obj{"description": "A page of the child's records, in the list format.",
				"content": jsonContent(obj{"type": "object", "required": []any{"items", "nextCursor"}, "properties": obj{
					"items": obj{"type": "array", "items": obj{"type": "object"}}, "nextCursor": obj{"type": []any{"string", "null"}}}})}},
				authed(400, 404)...)}}
	g.paths[base+"/{id}/workflow-runs"] = obj{"parameters": []any{idParam},
		"get": obj{"operationId": "list" + n.Base + "WorkflowRuns", "tags": tags, "summary": "Workflow runs of a record, newest first",
			"parameters": []any{queryParam("limit", "How many.", obj{"type": "integer", "minimum": 1, "maximum": 500})},
			"responses":  responses(ok("The runs.", "WorkflowRunList"), authed(400, 404)...)}}
}
