package sales_test

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
	"github.com/opencrm/crm/plugins"
	"github.com/opencrm/crm/plugins/sales"
)

// clockEnv is the automation platform over a real embedded store, every
// part reading one manual clock (as objects/workflows' tests build it),
// with the sales package installed: the package's recycle workflows run
// on the job runner when the test moves the clock.
type clockEnv struct {
	t      *testing.T
	clock  *clock.Manual
	st     store.Store
	ids    *identity.Service
	recs   *records.Service
	jobs   *jobs.Service
	wf     *workflows.Service
	svc    *sales.Service
	tenant string
	admin  identity.User
	ann    identity.User
	bob    identity.User
	runner *jobs.Runner
}

// monday is 2026-03-02 10:00 UTC.
var monday = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newClockEnv(t *testing.T) *clockEnv {
	t.Helper()
	e := &clockEnv{t: t, clock: clock.NewManual(monday)}
	ctx := context.Background()
	st, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	reg, err := tenant.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := identity.New(st, reg, identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}})
	if err != nil {
		t.Fatal(err)
	}
	e.ids = ids
	meta, err := metadata.New(st, metadata.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if e.jobs, err = jobs.New(st, jobs.Config{Clock: e.clock, BackoffBase: time.Minute}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	e.wf = workflows.New(st, e.jobs, meta, ids, workflows.Config{Log: log})
	if e.recs, err = records.New(st, meta, ids, records.Config{CursorKey: []byte(strings.Repeat("k", 32)), Now: e.clock.Now},
		records.WithHooks(e.wf.Hook())); err != nil {
		t.Fatal(err)
	}
	e.wf.Bind(e.recs)
	if e.svc, err = sales.New(e.recs, st, sales.Config{Clock: e.clock}); err != nil {
		t.Fatal(err)
	}
	cat, err := plugins.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plugins.New(plugins.Deps{Store: st, Meta: meta, Records: e.recs, Workflows: e.wf, Catalog: cat}, plugins.Config{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ids.Onboard(ctx, "acme", identity.NewUser{Email: "admin@acme.test", Password: "correct horse", Name: "Ada"},
		meta.Provision, e.recs.Provision, e.jobs.Provision, e.wf.Provision, pl.Provision, e.svc.Provision)
	if err != nil {
		t.Fatal(err)
	}
	e.tenant, e.admin = out.Tenant.ID, out.Admin
	if e.ann, err = ids.CreateUser(ctx, e.tenant, identity.NewUser{Email: "ann@acme.test", Password: "a long password", Name: "Ann",
		Roles: []string{"sales_rep"}}); err != nil {
		t.Fatal(err)
	}
	if e.bob, err = ids.CreateUser(ctx, e.tenant, identity.NewUser{Email: "bob@acme.test", Password: "a long password", Name: "Bob",
		Roles: []string{"sales_rep"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.Apply(e.as(e.admin), e.tenant, plugins.Install, "sales", nil, plugins.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Automate(sales.Automation{Jobs: e.jobs, Users: ids}); err != nil {
		t.Fatal(err)
	}
	runner := jobs.NewRunner(e.jobs, jobs.RunnerConfig{Poll: 5 * time.Millisecond, Log: log,
		Tenants: func(context.Context) ([]string, error) { return []string{e.tenant}, nil }})
	e.wf.Register(runner)
	e.svc.Register(runner)
	e.runner = runner
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(runner.Stop)
	return e
}

func (e *clockEnv) as(u identity.User) context.Context {
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: e.tenant, UserID: u.ID,
		Email: u.Email, Roles: u.Roles, CredentialKind: "apikey"})
}

func (e *clockEnv) lead(id string) map[string]any {
	e.t.Helper()
	r, err := e.recs.Get(e.as(e.admin), "lead", id, records.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Data
}

// idle waits until no job is due or running at the clock's time.
func (e *clockEnv) idle() {
	e.t.Helper()
	eventually(e.t, "the runner is idle", func() bool {
		n, err := e.st.Count(context.Background(), e.tenant, jobs.Coll, store.Or{
			store.Eq("state", jobs.Running),
			store.And{store.Eq("state", jobs.Queued), store.Cmp{Field: "runAt", Op: store.OpLte, Value: clock.Stamp(e.clock.Now())}}})
		return err == nil && n == 0
	})
}

// timerDue waits for the workflow's timer on the lead and returns when it
// is due.
func (e *clockEnv) timerDue(workflow, lead string) string {
	e.t.Helper()
	var due string
	eventually(e.t, "the "+workflow+" timer is scheduled", func() bool {
		list, err := e.jobs.List(context.Background(), e.tenant, jobs.ListOptions{Kind: workflows.KindTimer, State: jobs.Queued, Limit: 100})
		if err != nil {
			return false
		}
		for _, j := range list {
			if j.Group == "timer:"+workflow+":"+lead {
				due = j.RunAt
				return true
			}
		}
		return false
	})
	return due
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

func TestRecycle_notContacted24HoursAfterAssignmentReturnsToThePool(t *testing.T) {
	e := newClockEnv(t)
	r, err := e.recs.Create(e.as(e.admin), "lead", map[string]any{"name": "Slow Lane", "source": "website"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Claim(e.as(e.ann), r.ID); err != nil {
		t.Fatal(err)
	}
	if due, want := e.timerDue("lead_first_contact_sla", r.ID), clock.Stamp(monday.Add(24*time.Hour)); due != want {
		t.Fatalf("timer due %s, want %s", due, want)
	}
	e.clock.Set(monday.Add(24*time.Hour - time.Second))
	e.idle()
	if l := e.lead(r.ID); l["poolStatus"] != "private" || l["owner"] != e.ann.ID {
		t.Fatalf("returned before its time: %v", l)
	}
	e.clock.Set(monday.Add(24 * time.Hour))
	eventually(t, "the lead is back in the pool", func() bool { return e.lead(r.ID)["poolStatus"] == "public" })
	l := e.lead(r.ID)
	if l["assignedAt"] != nil || l["firstContactAt"] != nil {
		t.Errorf("the assignment is not cleared: %v", l)
	}
	notes, err := e.wf.Notifications(context.Background(), e.tenant, e.ann.ID, 10)
	if err != nil || len(notes) != 1 || notes[0].Title != "Slow Lane went back to the pool" {
		t.Errorf("notifications to the last owner %+v, %v", notes, err)
	}
	// Back in the pool, another claim restarts the clock.
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Claim(e.as(e.ann), r.ID); err != nil {
		t.Fatalf("claim again: %v", err)
	}
	if due, want := e.timerDue("lead_first_contact_sla", r.ID), clock.Stamp(monday.Add(49*time.Hour)); due != want {
		t.Fatalf("new timer due %s, want %s", due, want)
	}
}

func TestRecycle_aContactedLeadStaysUntil15DaysWithoutActivity(t *testing.T) {
	e := newClockEnv(t)
	r, err := e.recs.Create(e.as(e.admin), "lead", map[string]any{"name": "Long Haul", "source": "referral"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Claim(e.as(e.ann), r.ID); err != nil {
		t.Fatal(err)
	}
	e.timerDue("lead_first_contact_sla", r.ID)
	contacted := e.clock.Advance(2 * time.Hour)
	if _, err := e.recs.Update(e.as(e.ann), "lead", r.ID, map[string]any{"firstContactAt": clock.Stamp(contacted),
		"lastActivityAt": clock.Stamp(contacted), "stage": "mql"}, 0); err != nil {
		t.Fatal(err)
	}
	// The claim scheduled the timer from the claim; the contact moves it.
	want := clock.Stamp(contacted.Add(15 * 24 * time.Hour))
	eventually(t, "the inactivity timer moves to 15 days after the contact", func() bool {
		return e.timerDue("lead_inactivity_recycle", r.ID) == want
	})
	e.clock.Set(monday.Add(48 * time.Hour))
	e.idle()
	if l := e.lead(r.ID); l["poolStatus"] != "private" {
		t.Fatalf("a contacted lead went back after 24 h: %v", l)
	}
	e.clock.Set(contacted.Add(15*24*time.Hour - time.Minute))
	e.idle()
	if l := e.lead(r.ID); l["poolStatus"] != "private" {
		t.Fatalf("returned before 15 days: %v", l)
	}
	e.clock.Set(contacted.Add(15 * 24 * time.Hour))
	eventually(t, "the lead is back in the pool", func() bool { return e.lead(r.ID)["poolStatus"] == "public" })
	if l := e.lead(r.ID); l["assignedAt"] != nil || l["firstContactAt"] != nil || l["stage"] != "mql" {
		t.Errorf("lead after recycling %v", l)
	}
}
