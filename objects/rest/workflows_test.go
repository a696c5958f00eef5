package rest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/jobs"
)

func TestWorkflowsAPI(t *testing.T) {
	env := testenv.New(t)
	admin := env.Tokens["admin"]
	env.MustDo(t, "PUT", "/api/v1/objects/account", admin, accountDef, 201, nil)
	// The real server enforces roles and sharing: the rep reads the admin's
	// private account (for its workflow runs) through viewAll.
	env.MustDo(t, "PUT", "/api/v1/roles/sales", admin, `{"permissions":{"account":{"read":true,"viewAll":true}}}`, 200, nil)
	var rep struct{ ID string }
	env.MustDo(t, "POST", "/api/v1/users", admin, `{"email":"rep@acme.test","password":"rep password","roles":["sales"]}`, 201, &rep)
	var key struct{ Key string }
	env.MustDo(t, "POST", "/api/v1/apikeys", admin, `{"name":"rep","user":"`+rep.ID+`"}`, 201, &key)
	env.Tokens["rep"] = key.Key

	notifyRep := `{"label":"Tell the rep","active":true,"object":"account","trigger":{"type":"created"},
	  "condition":"region = 'north'",
	  "actions":[{"type":"notify","users":["` + rep.ID + `"],"title":"New northern account {{record.name}}"},
	             {"type":"script","script":"enrich"}]}`
	for _, s := range []testenv.Scenario{
		{Name: "only admins write workflows", As: "rep", Method: "PUT", URL: "/api/v1/workflows/tell_rep", Body: notifyRep, Status: 403, Problem: "auth.forbidden"},
		{Name: "a workflow is created", As: "admin", Method: "PUT", URL: "/api/v1/workflows/tell_rep", Body: notifyRep, Status: 201,
			Contains: []string{`"name":"tell_rep"`, `"version":1`}},
		{Name: "a changed workflow is a new version", As: "admin", Method: "PUT", URL: "/api/v1/workflows/tell_rep",
			Body: strings.Replace(notifyRep, "Tell the rep", "Tell the rep!", 1), Status: 200, Contains: []string{`"version":2`}},
		{Name: "history lists versions", As: "admin", Method: "GET", URL: "/api/v1/workflows/tell_rep/history", Status: 200,
			Contains: []string{`"op":"created"`, `"op":"updated"`, `"version":2`}},
		{Name: "a bad condition points at its position", As: "admin", Method: "PUT", URL: "/api/v1/workflows/bad",
			Body: strings.Replace(notifyRep, "region = 'north'", "region = ", 1), Status: 422,
			Contains: []string{`"field":"/condition"`}, Problem: "workflow.invalid"},
		{Name: "an unknown workflow is 404", As: "admin", Method: "GET", URL: "/api/v1/workflows/nope", Status: 404, Problem: "workflow.not_found"},
		{Name: "the jobs API is for admins", As: "rep", Method: "GET", URL: "/api/v1/jobs", Status: 403},
		{Name: "a bad job state is refused", As: "admin", Method: "GET", URL: "/api/v1/jobs?state=weird", Status: 400},
		{Name: "settings hide nothing from admins", As: "admin", Method: "GET", URL: "/api/v1/workflow-settings", Status: 200,
			Contains: []string{`"webhookSecret"`, `"timeZone":"UTC"`}},
		{Name: "a bad time zone is refused", As: "admin", Method: "PUT", URL: "/api/v1/workflow-settings",
			Body: `{"timeZone":"Mars/Olympus","businessHours":{"days":[1],"start":"09:00","end":"17:00"}}`, Status: 422},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}

	var acct struct{ ID string }
	env.MustDo(t, "POST", "/api/v1/records/account", admin, `{"name":"Fjord AS","region":"north"}`, 201, &acct)
	var runs struct{ Items []workflows.Run }
	waitFor(t, "the run is dead (the script does not exist)", func() bool {
		env.MustDo(t, "GET", "/api/v1/records/account/"+acct.ID+"/workflow-runs", key.Key, "", 200, &runs)
		return len(runs.Items) == 1 && runs.Items[0].Status == workflows.RunFailed && runs.Items[0].Actions[0].Status == "done"
	})
	if !strings.Contains(runs.Items[0].Error, `no script named "enrich"`) {
		t.Fatalf("run error %q", runs.Items[0].Error)
	}
	env.Run(t, testenv.Scenario{Name: "the rep sees the notification", As: "rep", Method: "GET", URL: "/api/v1/notifications",
		Status: 200, Contains: []string{`"title":"New northern account Fjord AS"`}})
	env.Run(t, testenv.Scenario{Name: "the admin has none", As: "admin", Method: "GET", URL: "/api/v1/notifications",
		Status: 200, Contains: []string{`"items":[]`}})
	env.Run(t, testenv.Scenario{Name: "runs per workflow", As: "admin", Method: "GET", URL: "/api/v1/workflows/tell_rep/runs",
		Status: 200, Contains: []string{`"record":"` + acct.ID + `"`, `"workflowVersion":2`}})

	var dead struct{ Items []jobs.Job }
	waitFor(t, "the run's job is dead", func() bool {
		env.MustDo(t, "GET", "/api/v1/jobs?state=dead&kind=workflow.run", admin, "", 200, &dead)
		return len(dead.Items) == 1
	})
	env.Run(t, testenv.Scenario{Name: "a dead job is retried", As: "admin", Method: "POST", URL: "/api/v1/jobs/" + dead.Items[0].ID + "/retry",
		Status: 200, Contains: []string{`"state":"queued"`}})
	waitFor(t, "the retried job is dead again", func() bool {
		var j jobs.Job
		env.MustDo(t, "GET", "/api/v1/jobs/"+dead.Items[0].ID, admin, "", 200, &j)
		return j.State == jobs.Dead
	})
	env.Run(t, testenv.Scenario{Name: "a dead job is cancelled", As: "admin", Method: "POST", URL: "/api/v1/jobs/" + dead.Items[0].ID + "/cancel",
		Status: 200, Contains: []string{`"state":"cancelled"`}})
	env.Run(t, testenv.Scenario{Name: "a cancelled job cannot be cancelled", As: "admin", Method: "POST", URL: "/api/v1/jobs/" + dead.Items[0].ID + "/cancel",
		Status: 409, Problem: "job.not_cancellable"})
	env.MustDo(t, "GET", "/api/v1/records/account/"+acct.ID+"/workflow-runs", admin, "", 200, &runs)
	if n := len(runs.Items[0].Actions); n != 2 || runs.Items[0].Attempts != 2 {
		t.Fatalf("after the retry: %+v", runs.Items[0])
	}
	env.Run(t, testenv.Scenario{Name: "the notification was not sent twice", As: "rep", Method: "GET", URL: "/api/v1/notifications",
		Status: 200, Absent: []string{`},{`}})
	env.Run(t, testenv.Scenario{Name: "a deleted workflow is gone", As: "admin", Method: "DELETE", URL: "/api/v1/workflows/tell_rep", Status: 204})
	env.Run(t, testenv.Scenario{Name: "its history keeps the deletion", As: "admin", Method: "GET", URL: "/api/v1/workflows/tell_rep/history",
		Status: 200, Contains: []string{`"op":"deleted"`}})
	env.Run(t, testenv.Scenario{Name: "runs of an invisible record are 404", As: "rep", Method: "GET", URL: "/api/v1/records/account/nope/workflow-runs",
		Status: 404})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
