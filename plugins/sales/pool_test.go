package sales_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

func TestPool_claimReleaseAssign(t *testing.T) {
	e := newEnv(t)
	e.call(t, "admin", "PUT", "/api/v1/sales/settings", `{"claimCap":2}`, 200)
	leads := make([]string, 5)
	for i := range leads {
		leads[i] = e.newLead(t, "admin", map[string]any{"name": fmt.Sprintf("Pooled %d", i), "source": "website"})
	}
	claim := func(as string, i int) testenv.Response {
		return e.Do(t, "POST", "/api/v1/records/lead/"+leads[i]+"/claim", e.Tokens[as], "")
	}
	expect := func(t *testing.T, res testenv.Response, status int, code string) {
		t.Helper()
		if res.Status != status || (code != "" && !strings.Contains(string(res.Body), `"code":"`+code+`"`)) {
			t.Fatalf("status %d, body %s; want %d %s", res.Status, res.Body, status, code)
		}
	}

	t.Run("only an admin changes the settings", func(t *testing.T) {
		expect(t, e.Do(t, "PUT", "/api/v1/sales/settings", e.Tokens["ann"], `{"claimCap":100}`), 403, "sales.settings_forbidden")
		if got := e.call(t, "ann", "GET", "/api/v1/sales/settings", "", 200)["claimCap"]; got != 2.0 {
			t.Fatalf("claim cap %v", got)
		}
	})
	t.Run("a rep claims a pooled lead: it becomes theirs and the clocks start", func(t *testing.T) {
		res := claim("ann", 0)
		expect(t, res, 200, "")
		lead := e.call(t, "ann", "GET", "/api/v1/records/lead/"+leads[0], "", 200)
		if lead["owner"] != e.users["ann"].ID || lead["poolStatus"] != "private" || lead["assignedAt"] == nil ||
			lead["lastActivityAt"] != lead["assignedAt"] || lead["firstContactAt"] != nil {
			t.Fatalf("claimed lead %v", lead)
		}
	})
	t.Run("a held lead cannot be claimed", func(t *testing.T) {
		expect(t, claim("bob", 0), 409, "lead.not_in_pool")
	})
	t.Run("the cap stops a rep at the tenant's number of open leads", func(t *testing.T) {
		expect(t, claim("ann", 1), 200, "")
		expect(t, claim("ann", 2), 409, "lead.claim_cap_reached")
	})
	t.Run("another rep cannot release a lead they cannot see", func(t *testing.T) {
		expect(t, e.Do(t, "POST", "/api/v1/records/lead/"+leads[1]+"/release", e.Tokens["bob"], ""), 404, "record.not_found")
	})
	t.Run("releasing returns the lead to the pool and frees a place", func(t *testing.T) {
		out := e.call(t, "ann", "POST", "/api/v1/records/lead/"+leads[1]+"/release", "", 200)
		if out["poolStatus"] != "public" || out["assignedAt"] != nil {
			t.Fatalf("released lead %v", out)
		}
		expect(t, e.Do(t, "POST", "/api/v1/records/lead/"+leads[1]+"/release", e.Tokens["ann"], ""), 409, "lead.not_held")
		expect(t, claim("ann", 2), 200, "")
	})
	t.Run("a closed lead is not claimed", func(t *testing.T) {
		e.call(t, "admin", "PATCH", "/api/v1/records/lead/"+leads[3], `{"stage":"disqualified"}`, 200)
		expect(t, claim("bob", 3), 409, "lead.closed")
	})
	t.Run("reps do not assign", func(t *testing.T) {
		expect(t, e.Do(t, "POST", "/api/v1/records/lead/"+leads[4]+"/assign", e.Tokens["ann"], `{"user":"`+e.users["bob"].ID+`"}`),
			403, "lead.assign_forbidden")
	})
	t.Run("a manager assigns a pooled lead to a rep", func(t *testing.T) {
		out := e.call(t, "manager", "POST", "/api/v1/records/lead/"+leads[4]+"/assign", `{"user":"`+e.users["bob"].ID+`"}`, 200)
		if out["owner"] != e.users["bob"].ID || out["poolStatus"] != "private" || out["assignedAt"] == nil {
			t.Fatalf("assigned lead %v", out)
		}
	})
	t.Run("a manager cannot assign past a rep's cap", func(t *testing.T) {
		expect(t, e.Do(t, "POST", "/api/v1/records/lead/"+leads[1]+"/assign", e.Tokens["manager"], `{"user":"`+e.users["ann"].ID+`"}`),
			409, "lead.claim_cap_reached")
	})
	t.Run("assigning to nobody is refused", func(t *testing.T) {
		expect(t, e.Do(t, "POST", "/api/v1/records/lead/"+leads[1]+"/assign", e.Tokens["manager"], `{}`), 422, "lead.assign_invalid")
	})
}

func TestPool_concurrentClaimsOfOneLeadHaveOneWinner(t *testing.T) {
	e := newEnv(t)
	lead := e.newLead(t, "admin", map[string]any{"name": "Popular", "source": "sem"})
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, rep := range []string{"ann", "bob"} {
		wg.Go(func() { statuses[i] = e.Do(t, "POST", "/api/v1/records/lead/"+lead+"/claim", e.Tokens[rep], "").Status })
	}
	wg.Wait()
	if !(statuses[0] == 200 && statuses[1] == 409) && !(statuses[0] == 409 && statuses[1] == 200) {
		t.Fatalf("statuses %v, want one 200 and one 409", statuses)
	}
}

func TestPool_aPooledLeadThatInquiresAgainGoesBackToItsLastOwner(t *testing.T) {
	e := newEnv(t)
	first := e.call(t, "admin", "POST", "/api/v1/sales/leads/intake", `{"name":"Wei Chen","email":"wei@chen.example","source":"website"}`, 201)
	lead := first["lead"].(map[string]any)["id"].(string)
	e.call(t, "ann", "POST", "/api/v1/records/lead/"+lead+"/claim", "", 200)
	e.call(t, "ann", "POST", "/api/v1/records/lead/"+lead+"/release", "", 200)

	again := e.call(t, "admin", "POST", "/api/v1/sales/leads/intake", `{"name":"W. Chen","email":"wei@chen.example","source":"community"}`, 200)
	t.Run("no duplicate is made", func(t *testing.T) {
		if n := e.count(t, "lead", "email = 'wei@chen.example'"); n != 1 {
			t.Fatalf("%d leads with the email", n)
		}
		if again["reactivated"] != true || again["lead"].(map[string]any)["id"] != lead {
			t.Fatalf("intake %v", again)
		}
	})
	t.Run("the lead is the last owner's again, freshly assigned", func(t *testing.T) {
		l := e.call(t, "ann", "GET", "/api/v1/records/lead/"+lead, "", 200)
		if l["owner"] != e.users["ann"].ID || l["poolStatus"] != "private" || l["assignedAt"] == nil {
			t.Fatalf("lead %v", l)
		}
	})
	t.Run("the last owner has a follow-up task", func(t *testing.T) {
		tasks := e.call(t, "ann", "GET", "/api/v1/records/task?filter="+strings.ReplaceAll("lead = '"+lead+"'", " ", "%20"), "", 200)["items"].([]any)
		if len(tasks) != 1 {
			t.Fatalf("tasks %v", tasks)
		}
		task := tasks[0].(map[string]any)
		if task["owner"] != e.users["ann"].ID || task["priority"] != "high" || !strings.Contains(task["description"].(string), "via community") {
			t.Fatalf("task %v", task)
		}
	})
	t.Run("a new email makes a new lead", func(t *testing.T) {
		out := e.call(t, "admin", "POST", "/api/v1/sales/leads/intake", `{"name":"New Person","email":"new@person.example","source":"app"}`, 201)
		if out["reactivated"] != false {
			t.Fatalf("intake %v", out)
		}
	})
}

func TestReports_seeOnlyWhatTheCallerMaySee(t *testing.T) {
	e := newEnv(t)
	for i, as := range []string{"ann", "ann", "bob"} {
		// Held leads: pooled ones are shared with every rep.
		e.newLead(t, as, map[string]any{"name": fmt.Sprintf("Mine %d", i), "source": "seo", "stage": "mql", "poolStatus": "private"})
	}
	total := func(as string) float64 {
		out := e.call(t, as, "GET", "/api/v1/reports/sales/funnel?period=year", "", 200)
		return out["total"].(map[string]any)["mql"].(float64)
	}
	for as, want := range map[string]float64{"ann": 2, "bob": 1, "manager": 3, "admin": 3} {
		if got := total(as); got != want {
			t.Errorf("%s sees %v MQLs, want %v", as, got, want)
		}
	}
	for _, name := range []string{"rep-conversion", "pipeline", "forecast", "response-time", "channel-quality"} {
		e.call(t, "manager", "GET", "/api/v1/reports/sales/"+name, "", 200)
	}
	res := e.Do(t, "GET", "/api/v1/reports/sales/nonsense", e.Tokens["admin"], "")
	if res.Status != 404 || !strings.Contains(string(res.Body), "report.not_found") {
		t.Errorf("unknown report: %d %s", res.Status, res.Body)
	}
	res = e.Do(t, "GET", "/api/v1/reports/sales/funnel?period=week", e.Tokens["admin"], "")
	if res.Status != 400 || !strings.Contains(string(res.Body), "report.bad_query") {
		t.Errorf("bad period: %d %s", res.Status, res.Body)
	}
}

// TestPool_everyRepSeesThePool: leads are private, but the package's
// sharing rule lets every sales rep read the open leads in the public
// pool, so the pool list view shows them to a second rep; a lead someone
// holds stays its holder's.
func TestPool_everyRepSeesThePool(t *testing.T) {
	e := newEnv(t)
	pooled := e.newLead(t, "ann", map[string]any{"name": "Made By Ann", "source": "website"})
	held := e.newLead(t, "ann", map[string]any{"name": "Held By Ann", "source": "website"})
	e.call(t, "ann", "POST", "/api/v1/records/lead/"+held+"/claim", "", 200)
	visible := func(as string) map[string]bool {
		out := map[string]bool{}
		q := "/api/v1/records/lead?filter=" + strings.ReplaceAll("poolStatus = 'public' OR owner = '"+e.users["ann"].ID+"'", " ", "%20")
		for _, it := range e.call(t, as, "GET", q, "", 200)["items"].([]any) {
			out[it.(map[string]any)["id"].(string)] = true
		}
		return out
	}
	t.Run("a second rep sees the pooled lead, not the held one", func(t *testing.T) {
		v := visible("bob")
		if !v[pooled] || v[held] {
			t.Fatalf("bob sees %v; pooled %s, held %s", v, pooled, held)
		}
		e.call(t, "bob", "GET", "/api/v1/records/lead/"+pooled, "", 200)
		e.call(t, "bob", "GET", "/api/v1/records/lead/"+held, "", 404)
	})
	t.Run("the share is read-only", func(t *testing.T) {
		res := e.Do(t, "PATCH", "/api/v1/records/lead/"+pooled, e.Tokens["bob"], `{"score":99}`)
		if res.Status != 404 && res.Status != 403 {
			t.Fatalf("bob changed a pooled lead: %d %s", res.Status, res.Body)
		}
	})
	t.Run("a released lead joins the pool for everyone", func(t *testing.T) {
		e.call(t, "ann", "POST", "/api/v1/records/lead/"+held+"/release", "", 200)
		if !visible("bob")[held] {
			t.Fatal("bob does not see the released lead")
		}
	})
	t.Run("a claimed lead leaves the others' pool", func(t *testing.T) {
		e.call(t, "bob", "POST", "/api/v1/records/lead/"+pooled+"/claim", "", 200)
		if visible("ann")[pooled] {
			t.Fatal("ann still sees the lead bob claimed")
		}
	})
}
