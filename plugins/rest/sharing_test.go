package rest_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/opencrm/crm/plugins"
)

// deskV1 ships an object, a role and a sharing rule that lets the role
// read the open records; deskV2 narrows the rule.
var deskV1 = map[string]string{
	"manifest.json": `{"name":"desk","version":"1.0.0",
		"permissions":{"objects":["case"],"studio":true,"roles":true,"sharing":true}}`,
	"objects/case.json": `{"title":"Case","x-crm-plural":"Cases","x-crm-sharing":"private","type":"object","properties":{
		"subject":{"type":"string","x-crm-type":"text"},
		"status":{"type":"string","x-crm-type":"picklist","enum":["open","closed"],"default":"open","x-crm-indexed":true}},
		"required":["subject"]}`,
	"roles/agent.json":        `{"permissions":{"case":{"read":true,"create":true,"update":true}}}`,
	"sharing/open_cases.json": `{"object":"case","filter":"status = 'open'","role":"agent","access":"read"}`,
}

func deskV2() map[string]string {
	v2 := maps.Clone(deskV1)
	v2["manifest.json"] = strings.Replace(v2["manifest.json"], `"1.0.0"`, `"2.0.0"`, 1)
	v2["sharing/open_cases.json"] = `{"object":"case","filter":"status = 'open' AND subject != ''","role":"agent","access":"read"}`
	return v2
}

func TestPackagesShipSharingRules(t *testing.T) {
	e := start(t)
	var plan plugins.Plan
	e.admin(t, "POST", "/api/v1/plugins/desk/plan", packageBody(t, deskV1, `"action":"install"`), 200, &plan)
	t.Run("the install plan creates the rule after the object and the role", func(t *testing.T) {
		order := map[string]int{}
		for i, s := range plan.Steps {
			order[s.Kind+"/"+s.Name] = i
		}
		i, ok := order["sharingrule/open_cases"]
		if !ok || step(plan, "sharingrule", "open_cases").Op != plugins.OpCreate {
			t.Fatalf("no rule step: %+v", plan.Steps)
		}
		if order["object/case"] > i || order["role/agent"] > i {
			t.Errorf("the rule comes before what it needs: %v", order)
		}
	})
	e.admin(t, "POST", "/api/v1/plugins/desk/install", packageBody(t, deskV1, ""), 200, nil)
	t.Run("the rule is there, as PUT /sharing-rules makes it", func(t *testing.T) {
		res := e.admin(t, "GET", "/api/v1/sharing-rules/open_cases", "", 200, nil)
		if !strings.Contains(string(res.Body), `"filter":"status = 'open'"`) || !strings.Contains(string(res.Body), `"role":"agent"`) {
			t.Errorf("rule %s", res.Body)
		}
	})
	t.Run("an upgrade updates a rule the tenant left alone", func(t *testing.T) {
		e.admin(t, "POST", "/api/v1/plugins/desk/plan", packageBody(t, deskV2(), `"action":"upgrade"`), 200, &plan)
		if s := step(plan, "sharingrule", "open_cases"); s.Op != plugins.OpUpdate {
			t.Fatalf("step %+v", s)
		}
		e.admin(t, "POST", "/api/v1/plugins/desk/upgrade", packageBody(t, deskV2(), ""), 200, nil)
		res := e.admin(t, "GET", "/api/v1/sharing-rules/open_cases", "", 200, nil)
		if !strings.Contains(string(res.Body), `subject != ''`) {
			t.Errorf("rule %s", res.Body)
		}
	})
	t.Run("a rule the tenant changed is kept on uninstall; the others go", func(t *testing.T) {
		e.admin(t, "PUT", "/api/v1/sharing-rules/open_cases", `{"object":"case","filter":"status = 'closed'","role":"agent","access":"read"}`, 200, nil)
		e.admin(t, "POST", "/api/v1/plugins/desk/plan", `{"action":"uninstall"}`, 200, &plan)
		if s := step(plan, "sharingrule", "open_cases"); s.Op != plugins.OpDelete || s.Reason != "its object is removed" {
			t.Fatalf("a rule on a removed object must go: %+v", s)
		}
	})
	t.Run("uninstall removes the rule with its object", func(t *testing.T) {
		e.admin(t, "POST", "/api/v1/plugins/desk/uninstall", "", 200, nil)
		e.admin(t, "GET", "/api/v1/sharing-rules/open_cases", "", 404, nil)
	})
}

func TestPackageSharingRulesAreChecked(t *testing.T) {
	e := start(t)
	for _, c := range []struct {
		name, file, content, code string
	}{
		{"a rule needs the sharing permission", "manifest.json",
			`{"name":"desk","version":"1.0.0","permissions":{"objects":["case"],"studio":true,"roles":true}}`, "plugin.invalid_package"},
		{"a rule's access is read or readwrite", "sharing/open_cases.json",
			`{"object":"case","filter":"status = 'open'","role":"agent","access":"all"}`, "plugin.invalid_package"},
		{"a rule's filter must parse against its object", "sharing/open_cases.json",
			`{"object":"case","filter":"colour = 'red'","role":"agent","access":"read"}`, "plugin.blocked"},
		{"a rule's role must exist", "sharing/open_cases.json",
			`{"object":"case","filter":"status = 'open'","role":"nobody","access":"read"}`, "plugin.blocked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := maps.Clone(deskV1)
			files[c.file] = c.content
			res := e.Do(t, "POST", "/api/v1/plugins/desk/install", e.token, packageBody(t, files, ""))
			if !strings.Contains(string(res.Body), `"code":"`+c.code+`"`) {
				t.Fatalf("%d %s, want %s", res.Status, res.Body, c.code)
			}
		})
	}
	e.admin(t, "GET", "/api/v1/objects/case", "", 404, nil)
}
