package workflows_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/sqlite"
	"github.com/opencrm/crm/platform/tenant"
)

const leadDef = `{"title":"Lead","x-crm-plural":"Leads","type":"object",
 "properties":{"name":{"type":"string","x-crm-type":"text"},
  "status":{"type":"string","x-crm-type":"picklist","enum":["new","working","closed","pool"],"default":"new"},
  "region":{"type":"string","x-crm-type":"picklist","enum":["north","south"]},
  "assignedAt":{"type":"string","x-crm-type":"datetime"}},
 "required":["name"]}`

const taskDef = `{"title":"Task","x-crm-plural":"Tasks","type":"object",
 "properties":{"subject":{"type":"string","x-crm-type":"text"},"lead":{"type":"string","x-crm-type":"lookup","x-crm-target":"lead"}},
 "required":["subject"]}`

// env is the platform's automation over a real embedded store: identity,
// metadata, the record service with the workflow hook, jobs and a runner,
// all reading one manual clock.
type env struct {
	t      *testing.T
	dir    string
	clock  *clock.Manual
	st     store.Store
	ids    *identity.Service
	meta   *metadata.Service
	jobs   *jobs.Service
	wf     *workflows.Service
	recs   *records.Service
	runner *jobs.Runner
	tenant string
	admin  identity.User
}

// monday 2026-03-02 10:00 UTC.
var monday = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clock: clock.NewManual(monday)}
	e.open()
	ctx := context.Background()
	out, err := e.ids.Onboard(ctx, "acme", identity.NewUser{Email: "admin@acme.test", Password: "correct horse", Name: "Ada"},
		e.meta.Provision, e.recs.Provision, e.jobs.Provision, e.wf.Provision)
	if err != nil {
		t.Fatal(err)
	}
	e.tenant, e.admin = out.Tenant.ID, out.Admin
	for name, def := range map[string]string{"lead": leadDef} {
		if _, _, err := e.meta.Put(ctx, e.tenant, name, []byte(def), metadata.PutOptions{By: e.admin.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.meta.Put(ctx, e.tenant, "task", []byte(taskDef), metadata.PutOptions{By: e.admin.ID}); err != nil {
		t.Fatal(err)
	}
	e.start()
	return e
}

// open builds every service over the store in e.dir, as a process does.
func (e *env) open() {
	t := e.t
	st, err := sqlite.Open(sqlite.Config{Dir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	reg, err := tenant.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if e.ids, err = identity.New(st, reg, identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}}); err != nil {
		t.Fatal(err)
	}
	if e.meta, err = metadata.New(st, metadata.Config{}); err != nil {
		t.Fatal(err)
	}
	if e.jobs, err = jobs.New(st, jobs.Config{Clock: e.clock, BackoffBase: time.Minute}); err != nil {
		t.Fatal(err)
	}
	e.wf = workflows.New(st, e.jobs, e.meta, e.ids, workflows.Config{Log: testLog(t)})
	e.recs, err = records.New(st, e.meta, e.ids, records.Config{CursorKey: []byte(strings.Repeat("k", 32)), Now: e.clock.Now},
		records.WithHooks(e.wf.Hook()))
	if err != nil {
		t.Fatal(err)
	}
	e.wf.Bind(e.recs)
}

func (e *env) start() {
	e.runner = jobs.NewRunner(e.jobs, jobs.RunnerConfig{Poll: 5 * time.Millisecond, Log: testLog(e.t),
		Tenants: func(context.Context) ([]string, error) { return []string{e.tenant}, nil }})
	e.wf.Register(e.runner)
	if err := e.runner.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(e.runner.Stop)
}

// restart stops the runner and closes the store, then opens everything
// anew over the same files without starting a runner.
func (e *env) stop() {
	e.runner.Stop()
	e.st.Close()
}

func (e *env) as(u identity.User) context.Context {
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: e.tenant, UserID: u.ID,
		Email: u.Email, Roles: u.Roles, CredentialKind: "apikey"})
}

func (e *env) put(name, def string) {
	e.t.Helper()
	if _, _, err := e.wf.Put(context.Background(), e.tenant, name, []byte(def), e.admin.ID); err != nil {
		e.t.Fatalf("put workflow %s: %v", name, err)
	}
}

func (e *env) user(email string) identity.User {
	e.t.Helper()
	u, err := e.ids.CreateUser(context.Background(), e.tenant, identity.NewUser{Email: email, Password: "rep password", Name: email, Roles: []string{"sales"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) create(object string, values map[string]any) *records.Record {
	e.t.Helper()
	r, err := e.recs.Create(e.as(e.admin), object, values)
	if err != nil {
		e.t.Fatalf("create %s: %v", object, err)
	}
	return r
}

func (e *env) update(object, id string, patch map[string]any) {
	e.t.Helper()
	if _, err := e.recs.Update(e.as(e.admin), object, id, patch, 0); err != nil {
		e.t.Fatalf("update %s: %v", object, err)
	}
}

func (e *env) get(object, id string) map[string]any {
	e.t.Helper()
	r, err := e.recs.Get(e.as(e.admin), object, id, records.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Data
}

func (e *env) jobsOf(kind, state string) []*jobs.Job {
	e.t.Helper()
	list, err := e.jobs.List(context.Background(), e.tenant, jobs.ListOptions{Kind: kind, State: state, Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func (e *env) runs(workflow string) []workflows.Run {
	e.t.Helper()
	rs, err := e.wf.Runs(context.Background(), e.tenant, workflow, "", "", 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// idle waits until no job is queued and due, or running.
func (e *env) idle() {
	e.t.Helper()
	eventually(e.t, "the runner is idle", func() bool {
		now := clock.Stamp(e.clock.Now())
		n, err := e.st.Count(context.Background(), e.tenant, jobs.Coll, store.Or{
			store.Eq("state", jobs.Running),
			store.And{store.Eq("state", jobs.Queued), store.Cmp{Field: "runAt", Op: store.OpLte, Value: now}}})
		return err == nil && n == 0
	})
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
