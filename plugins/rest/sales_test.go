package rest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrm/crm/plugins"
)

func TestSalesInstallsIntoAFreshTenant(t *testing.T) {
	e := start(t)

	var plan plugins.Plan
	e.admin(t, "POST", "/api/v1/plugins/sales/plan", `{"action":"install"}`, 200, &plan)
	t.Run("the plan shows every object, view, role, workflow and sharing rule it creates", func(t *testing.T) {
		want := map[string]int{"object": 8, "layout": 7, "listview": 10, "role": 2, "workflow": 2, "sharingrule": 1}
		got := map[string]int{}
		for _, st := range plan.Steps {
			if st.Op != plugins.OpCreate {
				t.Errorf("step %s %s is %s, want create", st.Kind, st.Name, st.Op)
			}
			got[st.Kind]++
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%d %s steps, want %d (plan %+v)", got[k], k, n, plan.Steps)
			}
		}
		if len(plan.Blockers) > 0 || len(plan.NotApplied) > 0 {
			t.Errorf("blockers %v, not applied %v", plan.Blockers, plan.NotApplied)
		}
	})
	t.Run("planning wrote nothing", func(t *testing.T) {
		e.admin(t, "GET", "/api/v1/objects/lead", "", 404, nil)
	})
	t.Run("only an admin plans", func(t *testing.T) {
		problem(t, e.Do(t, "POST", "/api/v1/plugins/sales/plan", "", `{"action":"install"}`), 401, "auth.missing_credential")
	})

	e.admin(t, "POST", "/api/v1/plugins/sales/install", "", 200, nil)

	t.Run("package objects are listed as not custom", func(t *testing.T) {
		res := e.admin(t, "GET", "/api/v1/objects", "", 200, nil)
		for _, o := range []string{"lead", "account", "contact", "opportunity", "activity", "campaign", "task"} {
			if !strings.Contains(string(res.Body), `"apiName":"`+o+`","label"`) {
				t.Errorf("object %s not listed: %s", o, res.Body)
			}
		}
		if strings.Contains(string(res.Body), `"custom":true`) {
			t.Errorf("a package object is listed as custom: %s", res.Body)
		}
	})
	t.Run("the tenant lists the package as installed", func(t *testing.T) {
		res := e.admin(t, "GET", "/api/v1/plugins", "", 200, nil)
		for _, s := range []string{`"installed":"1.4.0"`, `"state":"installed"`, `"name":"sales"`} {
			if !strings.Contains(string(res.Body), s) {
				t.Errorf("list lacks %s: %s", s, res.Body)
			}
		}
	})
	t.Run("the list views and layouts are there", func(t *testing.T) {
		e.admin(t, "GET", "/api/v1/objects/lead/listviews/leadPool", "", 200, nil)
		e.admin(t, "GET", "/api/v1/objects/opportunity/listviews/pipelineByStage", "", 200, nil)
		e.admin(t, "GET", "/api/v1/objects/activity/layouts/main", "", 200, nil)
	})
	t.Run("the roles are there", func(t *testing.T) {
		r, err := e.App.Access.Role(context.Background(), e.tenant, "sales_manager")
		if err != nil || r.Parent != "sales_rep" || !r.Permissions["lead"].ModifyAll {
			t.Fatalf("role %+v, %v", r, err)
		}
	})
	t.Run("the duplicate rule refuses a second lead with the same email", func(t *testing.T) {
		e.admin(t, "POST", "/api/v1/records/lead", `{"name":"Li Lei","email":"li@example.com","source":"website"}`, 201, nil)
		res := e.admin(t, "POST", "/api/v1/records/lead", `{"name":"Lei Li","email":"li@example.com","source":"seo"}`, 422, nil)
		if !strings.Contains(string(res.Body), `"field":"email"`) {
			t.Errorf("the error does not name the email: %s", res.Body)
		}
		e.admin(t, "POST", "/api/v1/records/lead", `{"name":"Lei Li","email":"li@example.com","source":"seo","allowDuplicate":true}`, 201, nil)
		e.admin(t, "POST", "/api/v1/records/lead", `{"name":"Han Meimei","phone":"+86 10 5555 0100","source":"app"}`, 201, nil)
		res = e.admin(t, "POST", "/api/v1/records/lead", `{"name":"Mei Han","phone":"+86 10 5555 0100","source":"app"}`, 422, nil)
		if !strings.Contains(string(res.Body), `"field":"phone"`) {
			t.Errorf("the error does not name the phone: %s", res.Body)
		}
	})
	t.Run("a new lead waits in the public pool at UQL", func(t *testing.T) {
		res := e.admin(t, "POST", "/api/v1/records/lead", `{"name":"Wang Fang","company":"Fang Ltd","source":"referral","score":70}`, 201, nil)
		for _, s := range []string{`"poolStatus":"public"`, `"stage":"uql"`} {
			if !strings.Contains(string(res.Body), s) {
				t.Errorf("lead lacks %s: %s", s, res.Body)
			}
		}
	})
	t.Run("a visit needs its check-in", func(t *testing.T) {
		e.admin(t, "POST", "/api/v1/records/activity", `{"type":"visit","subject":"Site visit","occurredAt":"2026-03-02T09:00:00Z"}`, 422, nil)
		e.admin(t, "POST", "/api/v1/records/activity", `{"type":"visit","subject":"Site visit","occurredAt":"2026-03-02T09:00:00Z",
			"checkInAt":"2026-03-02T09:01:00Z","checkInLocation":{"lat":31.23,"lng":121.47}}`, 201, nil)
	})
	t.Run("the default win probability follows the stage", func(t *testing.T) {
		res := e.admin(t, "POST", "/api/v1/records/opportunity", `{"name":"Deal","stage":"proposal","closeDate":"2026-06-30","amount":1200.5}`, 201, nil)
		if !strings.Contains(string(res.Body), `"defaultProbability":50`) {
			t.Errorf("opportunity %s", res.Body)
		}
	})
	t.Run("installing again is a conflict", func(t *testing.T) {
		problem(t, e.Do(t, "POST", "/api/v1/plugins/sales/install", e.token, ""), 409, "plugin.installed")
	})
}
