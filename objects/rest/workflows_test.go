package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	objrest "github.com/opencrm/crm/objects/rest"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/idempotency"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/metrics"
	"github.com/opencrm/crm/platform/rest"
	"github.com/opencrm/crm/platform/store/sqlite"
	"github.com/opencrm/crm/platform/tenant"
)

// automationEnv starts a real server wired as cmd/crm/app should wire the
// automation (app.go does not yet): the workflow hook on the record
// service, the provisioners, the routes and a job runner.
func automationEnv(t *testing.T) *apiEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tenant.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := identity.New(st, reg, identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}})
	if err != nil {
		t.Fatal(err)
	}
	meta, err := metadata.New(st, metadata.Config{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jobs.New(st, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	wf := workflows.New(st, js, meta, ids, workflows.Config{})
	recs, err := records.New(st, meta, ids, records.Config{CursorKey: []byte(strings.Repeat("c", 32))}, records.WithHooks(wf.Hook()))
	if err != nil {
		t.Fatal(err)
	}
	wf.Bind(recs)
	keeper := idempotency.New(st, idempotency.Config{})
	provisioners := []identity.Provisioner{meta.Provision, recs.Provision, keeper.Provision, js.Provision, wf.Provision}

	runner := jobs.NewRunner(js, jobs.RunnerConfig{Poll: 10 * time.Millisecond, Tenants: func(ctx context.Context) ([]string, error) {
		ts, err := reg.List(ctx)
		ids := make([]string, 0, len(ts))
		for _, t := range ts {
			if t.Active() {
				ids = append(ids, t.ID)
			}
		}
		return ids, err
	}})
	wf.Register(runner)
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}

	srv := httpx.New(httpx.Config{}, nil, metrics.New())
	api := srv.API()
	rest.Mount(api, rest.Deps{Identity: ids, BootstrapToken: testenv.BootstrapToken, Provisioners: provisioners})
	objrest.Mount(api, objrest.Deps{Meta: meta, Records: recs, Idempotency: keeper})
	objrest.MountWorkflows(api, objrest.WorkflowDeps{Workflows: wf, Jobs: js, Records: recs})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		runner.Stop()
		st.Close()
	})
	env := &apiEnv{url: "http://" + ln.Addr().String(), Tokens: map[string]string{}}
	var out struct{ APIKey string }
	env.MustDo(t, "POST", "/api/v1/platform/tenants", testenv.BootstrapToken,
		`{"name":"acme","admin":{"email":"admin@acme.test","password":"correct horse","name":"Ada Admin"}}`, 201, &out)
	env.Tokens["admin"] = out.APIKey
	return env
}

// apiEnv is a client of a server that testenv did not start (testenv.Env
// runs app.New, which does not wire automation yet).
type apiEnv struct {
	url    string
	Tokens map[string]string
}

func (e *apiEnv) do(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (e *apiEnv) MustDo(t *testing.T, method, path, token, body string, want int, out any) {
	t.Helper()
	status, b := e.do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
}

// Run checks one testenv.Scenario as testenv.Env.Run does.
func (e *apiEnv) Run(t *testing.T, s testenv.Scenario) {
	t.Helper()
	status, b := e.do(t, s.Method, s.URL, e.Tokens[s.As], s.Body)
	if status != s.Status {
		t.Fatalf("status %d, want %d; body %s", status, s.Status, b)
	}
	for _, c := range s.Contains {
		if !bytes.Contains(b, []byte(c)) {
			t.Errorf("body lacks %s: %s", c, b)
		}
	}
	for _, c := range s.Absent {
		if bytes.Contains(b, []byte(c)) {
			t.Errorf("body has %s: %s", c, b)
		}
	}
	if s.Problem != "" {
		var p struct{ Code string }
		if json.Unmarshal(b, &p) != nil || p.Code != s.Problem {
			t.Errorf("problem code %q, want %s; body %s", p.Code, s.Problem, b)
		}
	}
}

func TestWorkflowsAPI(t *testing.T) {
	env := automationEnv(t)
	admin := env.Tokens["admin"]
	env.MustDo(t, "PUT", "/api/v1/objects/account", admin, accountDef, 201, nil)
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
	waitFor(t, "the run is dead (no script runner)", func() bool {
		env.MustDo(t, "GET", "/api/v1/records/account/"+acct.ID+"/workflow-runs", key.Key, "", 200, &runs)
		return len(runs.Items) == 1 && runs.Items[0].Status == workflows.RunFailed && runs.Items[0].Actions[0].Status == "done"
	})
	if !strings.Contains(runs.Items[0].Error, "no script runner configured") {
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
