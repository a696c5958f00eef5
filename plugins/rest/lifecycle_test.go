package rest_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/opencrm/crm/plugins"
)

// ticketV1 is a small fixture package; ticketV2 its next version.
var ticketV1 = map[string]string{
	"manifest.json": `{"name":"ticketing","version":"1.0.0","description":"Support tickets",
		"permissions":{"objects":["ticket"],"studio":true}}`,
	"objects/ticket.json": `{"title":"Ticket","x-crm-plural":"Tickets","type":"object","properties":{
		"subject":{"type":"string","x-crm-type":"text"},
		"status":{"type":"string","x-crm-type":"picklist","enum":["new","open","closed"],"default":"new"},
		"legacy":{"type":"string","x-crm-type":"text"}},
		"required":["subject"]}`,
	"layouts/ticket/main.json":   `{"name":"main","object":"ticket","sections":[{"items":[{"field":"subject"},{"field":"status"}]}]}`,
	"listviews/ticket/open.json": `{"name":"open","object":"ticket","columns":["subject","status"],"filter":"status = 'open'"}`,
	"listviews/ticket/all.json":  `{"name":"all","object":"ticket","columns":["subject"]}`,
	"seed/ticket.json":           `[{"subject":"Welcome to ticketing"}]`,
}

func ticketV2() map[string]string {
	v2 := maps.Clone(ticketV1)
	v2["manifest.json"] = strings.Replace(v2["manifest.json"], `"1.0.0"`, `"2.0.0"`, 1)
	// v2 adds a field and a picklist value and drops legacy.
	v2["objects/ticket.json"] = `{"title":"Ticket","x-crm-plural":"Tickets","type":"object","properties":{
		"subject":{"type":"string","x-crm-type":"text"},
		"status":{"type":"string","x-crm-type":"picklist","enum":["new","open","waiting","closed"],"default":"new"},
		"channel":{"type":"string","x-crm-type":"picklist","enum":["email","phone"]}},
		"required":["subject"]}`
	v2["layouts/ticket/main.json"] = `{"name":"main","object":"ticket","sections":[{"items":[{"field":"subject"},{"field":"status"},{"field":"channel"}]}]}`
	v2["listviews/ticket/open.json"] = `{"name":"open","object":"ticket","columns":["subject","status","channel"],"filter":"status IN ('open', 'waiting')"}`
	return v2
}

func step(p plugins.Plan, kind, name string) plugins.Step {
	for _, s := range p.Steps {
		if s.Kind == kind && s.Name == name {
			return s
		}
	}
	return plugins.Step{}
}

func TestUpgradeKeepsTheTenantsCustomisations(t *testing.T) {
	e := start(t)
	e.admin(t, "POST", "/api/v1/plugins/ticketing/install", packageBody(t, ticketV1, ""), 200, nil)

	// The tenant adds a field to the package's object and changes a list view.
	def := definition(t, e, "ticket")
	def["properties"].(map[string]any)["severity"] = map[string]any{"type": "integer", "x-crm-type": "number", "minimum": 1, "maximum": 5}
	b, _ := json.Marshal(def)
	e.admin(t, "PUT", "/api/v1/objects/ticket", string(b), 200, nil)
	e.admin(t, "PUT", "/api/v1/objects/ticket/listviews/open", `{"name":"open","object":"ticket","columns":["subject","severity"],"filter":"status = 'open'"}`, 200, nil)
	e.admin(t, "POST", "/api/v1/records/ticket", `{"subject":"Printer on fire","severity":5,"legacy":"x"}`, 201, nil)

	var plan plugins.Plan
	e.admin(t, "POST", "/api/v1/plugins/ticketing/plan", packageBody(t, ticketV2(), `"action":"upgrade"`), 200, &plan)
	t.Run("the plan lists the object's changes from the dry run", func(t *testing.T) {
		s := step(plan, "object", "ticket")
		if s.Op != plugins.OpUpdate || plan.From != "1.0.0" || plan.To != "2.0.0" {
			t.Fatalf("plan %+v", plan)
		}
		var added, values bool
		for _, c := range s.Changes {
			added = added || (c.Field == "channel" && c.Op == "added")
			values = values || (c.Field == "status" && c.Op == "changed")
		}
		if !added || !values {
			t.Errorf("changes %+v lack the new field or the new picklist value", s.Changes)
		}
		if len(s.Deprecated) != 1 || s.Deprecated[0] != "legacy" {
			t.Errorf("deprecated %v, want legacy kept as deleted", s.Deprecated)
		}
	})
	t.Run("a view the tenant left alone is updated, one it changed is kept", func(t *testing.T) {
		if s := step(plan, "layout", "ticket/main"); s.Op != plugins.OpUpdate {
			t.Errorf("layout step %+v", s)
		}
		if s := step(plan, "listview", "ticket/open"); s.Op != plugins.OpKeep || !strings.Contains(s.Reason, "both changed") {
			t.Errorf("list view step %+v", s)
		}
		if s := step(plan, "listview", "ticket/all"); s.Op != plugins.OpKeep || s.Reason != "" {
			t.Errorf("unchanged list view step %+v", s)
		}
	})
	t.Run("the upgrade seeds nothing again", func(t *testing.T) {
		if s := step(plan, "seed", "ticket"); s.Op != "" {
			t.Errorf("seed step %+v", s)
		}
	})

	e.admin(t, "POST", "/api/v1/plugins/ticketing/upgrade", packageBody(t, ticketV2(), ""), 200, nil)

	t.Run("the tenant's field survives next to the package's new ones", func(t *testing.T) {
		res := e.admin(t, "GET", "/api/v1/objects/ticket", "", 200, nil)
		for _, s := range []string{`"severity":`, `"channel":`, `"waiting"`, `"x-crm-package":"ticketing"`} {
			if !strings.Contains(string(res.Body), s) {
				t.Errorf("definition lacks %s: %s", s, res.Body)
			}
		}
		res = e.admin(t, "GET", "/api/v1/records/ticket?filter=severity%20%3D%205", "", 200, nil)
		if !strings.Contains(string(res.Body), `"Printer on fire"`) {
			t.Errorf("the tenant's record lost its value: %s", res.Body)
		}
	})
	t.Run("a dropped field is kept as deleted, not dropped with its data", func(t *testing.T) {
		var d map[string]any
		e.admin(t, "GET", "/api/v1/objects/ticket", "", 200, &d)
		legacy, _ := d["properties"].(map[string]any)["legacy"].(map[string]any)
		if legacy["x-crm-deleted"] != true {
			t.Errorf("legacy is %v", legacy)
		}
	})
	t.Run("the views follow the plan", func(t *testing.T) {
		res := e.admin(t, "GET", "/api/v1/objects/ticket/layouts/main", "", 200, nil)
		if !strings.Contains(string(res.Body), `"channel"`) {
			t.Errorf("layout not upgraded: %s", res.Body)
		}
		res = e.admin(t, "GET", "/api/v1/objects/ticket/listviews/open", "", 200, nil)
		if !strings.Contains(string(res.Body), `"severity"`) {
			t.Errorf("the tenant's list view was replaced: %s", res.Body)
		}
	})
	t.Run("the tenant has 2.0.0", func(t *testing.T) {
		res := e.admin(t, "GET", "/api/v1/plugins", "", 200, nil)
		if !strings.Contains(string(res.Body), `"version":"2.0.0"`) {
			t.Errorf("installed: %s", res.Body)
		}
	})
	t.Run("upgrading to the same version again is a conflict", func(t *testing.T) {
		problem(t, e.Do(t, "POST", "/api/v1/plugins/ticketing/upgrade", e.token, packageBody(t, ticketV2(), "")), 409, "plugin.not_newer")
	})
}

func TestUpgradeConflictsKeepTheTenantsValue(t *testing.T) {
	e := start(t)
	e.admin(t, "POST", "/api/v1/plugins/ticketing/install", packageBody(t, ticketV1, ""), 200, nil)
	def := definition(t, e, "ticket")
	def["title"] = "Case" // the tenant renames the object; v2 renames it too
	b, _ := json.Marshal(def)
	e.admin(t, "PUT", "/api/v1/objects/ticket", string(b), 200, nil)
	v2 := ticketV2()
	v2["objects/ticket.json"] = strings.Replace(v2["objects/ticket.json"], `"title":"Ticket"`, `"title":"Issue"`, 1)

	var plan plugins.Plan
	e.admin(t, "POST", "/api/v1/plugins/ticketing/plan", packageBody(t, v2, `"action":"upgrade"`), 200, &plan)
	s := step(plan, "object", "ticket")
	if len(s.Conflicts) != 1 || s.Conflicts[0].Path != "/title" || string(s.Conflicts[0].Tenant) != `"Case"` {
		t.Fatalf("conflicts %+v", s.Conflicts)
	}
	e.admin(t, "POST", "/api/v1/plugins/ticketing/upgrade", packageBody(t, v2, ""), 200, nil)
	res := e.admin(t, "GET", "/api/v1/objects/ticket", "", 200, nil)
	if !strings.Contains(string(res.Body), `"title":"Case"`) || !strings.Contains(string(res.Body), `"channel"`) {
		t.Errorf("definition %s", res.Body)
	}
}

func TestUninstall(t *testing.T) {
	e := start(t)
	e.admin(t, "POST", "/api/v1/plugins/ticketing/install", packageBody(t, ticketV1, ""), 200, nil)
	e.admin(t, "PUT", "/api/v1/objects/note", `{"title":"Note","type":"object","properties":{"text":{"type":"string","x-crm-type":"text"}}}`, 201, nil)

	t.Run("untouched seed records do not hold the package back", func(t *testing.T) {
		var plan plugins.Plan
		e.admin(t, "POST", "/api/v1/plugins/ticketing/plan", `{"action":"uninstall"}`, 200, &plan)
		if s := step(plan, "object", "ticket"); s.Op != plugins.OpDelete || s.Records != 0 || len(plan.Blockers) > 0 {
			t.Fatalf("plan %+v", plan)
		}
	})
	e.admin(t, "POST", "/api/v1/records/ticket", `{"subject":"Real work"}`, 201, nil)
	t.Run("it is refused while the package's objects hold the tenant's records", func(t *testing.T) {
		res := e.Do(t, "POST", "/api/v1/plugins/ticketing/uninstall", e.token, "")
		problem(t, res, 409, "plugin.has_records")
		if !strings.Contains(string(res.Body), `"plan":`) || !strings.Contains(string(res.Body), "1 records") {
			t.Errorf("the refusal does not carry the plan: %s", res.Body)
		}
		e.admin(t, "GET", "/api/v1/objects/ticket", "", 200, nil)
	})
	t.Run("a tenant object pointing at a package object blocks even a purge", func(t *testing.T) {
		e.admin(t, "PUT", "/api/v1/objects/link", `{"title":"Link","type":"object","properties":{"ticket":{"type":"string","x-crm-type":"lookup","x-crm-target":"ticket"}}}`, 201, nil)
		problem(t, e.Do(t, "POST", "/api/v1/plugins/ticketing/uninstall", e.token, `{"purge":true}`), 409, "plugin.blocked")
		e.admin(t, "DELETE", "/api/v1/objects/link", "", 204, nil)
	})
	t.Run("purge removes the package's objects and views, never the tenant's", func(t *testing.T) {
		e.admin(t, "POST", "/api/v1/plugins/ticketing/uninstall", `{"purge":true}`, 200, nil)
		e.admin(t, "GET", "/api/v1/objects/ticket", "", 404, nil)
		e.admin(t, "GET", "/api/v1/objects/note", "", 200, nil)
		res := e.admin(t, "GET", "/api/v1/plugins", "", 200, nil)
		if !strings.Contains(string(res.Body), `"installed":[]`) {
			t.Errorf("still installed: %s", res.Body)
		}
	})
	t.Run("uninstalling what is not installed is 404", func(t *testing.T) {
		problem(t, e.Do(t, "POST", "/api/v1/plugins/ticketing/uninstall", e.token, ""), 404, "plugin.not_installed")
	})
	t.Run("it can be installed again", func(t *testing.T) {
		e.admin(t, "POST", "/api/v1/plugins/ticketing/install", packageBody(t, ticketV1, ""), 200, nil)
	})
}

func TestBadPackagesAreRefused(t *testing.T) {
	e := start(t)
	for _, c := range []struct {
		name     string
		files    map[string]string
		code     string
		contains []string
	}{
		{"a manifest with a bad name and version", map[string]string{"manifest.json": `{"name":"Bad Name","version":"1.0","permissions":{"objects":[]}}`},
			"plugin.invalid_manifest", []string{`"field":"name"`, `"field":"version"`}},
		{"a manifest with an unknown member", map[string]string{"manifest.json": `{"name":"x","version":"1.0.0","permissions":{"objects":[]},"nope":1}`},
			"plugin.invalid_manifest", nil},
		{"a bad dependency constraint", map[string]string{"manifest.json": `{"name":"x","version":"1.0.0","dependencies":{"sales":"about one"},"permissions":{"objects":[]}}`},
			"plugin.invalid_manifest", []string{`"field":"dependencies/sales"`}},
		{"no manifest", map[string]string{"objects/a.json": `{}`}, "plugin.invalid_manifest", []string{`"field":"manifest.json"`}},
		{"an object the manifest does not declare", map[string]string{
			"manifest.json":  `{"name":"x","version":"1.0.0","permissions":{"objects":[]}}`,
			"objects/a.json": `{"title":"A","type":"object","properties":{}}`},
			"plugin.invalid_package", []string{`"code":"permission_undeclared"`}},
		{"a bad object definition names the file and keyword", map[string]string{
			"manifest.json":  `{"name":"x","version":"1.0.0","permissions":{"objects":["a"]}}`,
			"objects/a.json": `{"title":"A","type":"object","properties":{"f":{"x-crm-type":"nope"}}}`},
			"plugin.invalid_package", []string{`objects/a.json#/properties/f/x-crm-type`}},
		{"a script without studio rights", map[string]string{
			"manifest.json":  `{"name":"x","version":"1.0.0","permissions":{"objects":["a"]}}`,
			"objects/a.json": `{"title":"A","type":"object","properties":{}}`,
			"scripts/s.json": `{"object":"a","events":["beforeCreate"]}`, "scripts/s.js": `function beforeCreate(ctx) {}`},
			"plugin.invalid_package", []string{`manifest.json#/permissions/studio`}},
		{"an unknown file", map[string]string{
			"manifest.json": `{"name":"x","version":"1.0.0","permissions":{"objects":[]}}`, "junk/a.txt": "x"},
			"plugin.invalid_package", []string{`"field":"junk/a.txt"`}},
	} {
		t.Run(c.name+" is a 422", func(t *testing.T) {
			res := e.Do(t, "POST", "/api/v1/plugins/x/plan", e.token, packageBody(t, c.files, `"action":"install"`))
			problem(t, res, 422, c.code)
			for _, s := range c.contains {
				if !strings.Contains(string(res.Body), s) {
					t.Errorf("body lacks %s: %s", s, res.Body)
				}
			}
		})
	}
	t.Run("a missing dependency blocks the install", func(t *testing.T) {
		files := map[string]string{"manifest.json": `{"name":"x","version":"1.0.0","dependencies":{"sales":">=1.0"},"permissions":{"objects":[]}}`}
		var plan plugins.Plan
		e.admin(t, "POST", "/api/v1/plugins/x/plan", packageBody(t, files, `"action":"install"`), 200, &plan)
		if len(plan.Blockers) != 1 || plan.Blockers[0].Code != "plugin.dependency_missing" {
			t.Fatalf("blockers %+v", plan.Blockers)
		}
		problem(t, e.Do(t, "POST", "/api/v1/plugins/x/install", e.token, packageBody(t, files, "")), 409, "plugin.blocked")
	})
	t.Run("an unknown package is 404", func(t *testing.T) {
		problem(t, e.Do(t, "POST", "/api/v1/plugins/nope/plan", e.token, `{"action":"install"}`), 404, "plugin.not_found")
	})
}

// definition reads an object's definition as a client edits it: the
// description without the members GET adds.
func definition(t *testing.T, e *env, object string) map[string]any {
	t.Helper()
	var def map[string]any
	e.admin(t, "GET", "/api/v1/objects/"+object, "", 200, &def)
	for _, k := range []string{"apiName", "version", "updatedAt", "updatedBy"} {
		delete(def, k)
	}
	return def
}
