package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
)

// receiver is a webhook endpoint that verifies signatures and dedupes by
// delivery id, as the docs tell integrators to.
type receiver struct {
	mu         sync.Mutex
	secret     string
	calls      []string // delivery ids in arrival order
	bad        int      // calls with a bad signature
	effects    map[string]int
	answers    []int // status per call; 200 after the list
	effectThen bool  // apply the effect even when answering an error (a lost response)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts, _ := strconv.ParseInt(req.Header.Get(workflows.HeaderTimestamp), 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !workflows.Verify(r.secret, ts, body, req.Header.Get(workflows.HeaderSignature)) {
		r.bad++
		w.WriteHeader(401)
		return
	}
	id := req.Header.Get(workflows.HeaderDelivery)
	r.calls = append(r.calls, id)
	status := 200
	if len(r.calls) <= len(r.answers) {
		status = r.answers[len(r.calls)-1]
	}
	if status == 200 || r.effectThen {
		if r.effects[id] == 0 { // dedupe: a delivery id takes effect once
			var msg struct{ DeliveryID string }
			if json.Unmarshal(body, &msg) == nil && msg.DeliveryID == id {
				r.effects[id]++
			}
		}
	}
	w.WriteHeader(status)
}

func (e *env) allowWebhooks(host string) string {
	e.t.Helper()
	set, err := e.wf.Settings(context.Background(), e.tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	set.WebhookHosts = []string{host}
	if set, err = e.wf.PutSettings(context.Background(), e.tenant, set); err != nil {
		e.t.Fatal(err)
	}
	return set.WebhookSecret
}

func TestWebhook_signedRetriedWithBackoffAndDedupedByDeliveryID(t *testing.T) {
	e := newEnv(t)
	rcv := &receiver{effects: map[string]int{}, answers: []int{500, 500}, effectThen: true}
	srv := httptest.NewServer(rcv) // listens on 127.0.0.1
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	rcv.secret = e.allowWebhooks(u.Hostname())
	e.put("erp_sync", `{"label":"ERP","active":true,"object":"lead","trigger":{"type":"created"},
	  "actions":[{"type":"webhook","url":"`+srv.URL+`/hooks/crm"}]}`)
	e.create("lead", map[string]any{"name": "Ann"})

	eventually(t, "the first delivery failed", func() bool {
		q := e.jobsOf(workflows.KindWebhook, jobs.Queued)
		return len(q) == 1 && q[0].Attempts == 1
	})
	first := e.jobsOf(workflows.KindWebhook, jobs.Queued)[0]
	if want := clock.Stamp(e.clock.Now().Add(time.Minute)); first.RunAt != want || !strings.Contains(first.LastError, "status 500") {
		t.Fatalf("after a 500: runAt %s (want %s), lastError %q", first.RunAt, want, first.LastError)
	}
	e.clock.Advance(59 * time.Second)
	time.Sleep(30 * time.Millisecond)
	if rcv.callCount() != 1 {
		t.Fatal("retried before the backoff passed")
	}
	e.clock.Advance(time.Second)
	eventually(t, "the second delivery failed", func() bool { return rcv.callCount() == 2 && e.jobsOf(workflows.KindWebhook, jobs.Queued) != nil })
	eventually(t, "the second failure is recorded", func() bool {
		q := e.jobsOf(workflows.KindWebhook, jobs.Queued)
		return len(q) == 1 && q[0].Attempts == 2
	})
	if got, want := e.jobsOf(workflows.KindWebhook, jobs.Queued)[0].RunAt, clock.Stamp(e.clock.Now().Add(2*time.Minute)); got != want {
		t.Fatalf("second backoff: runAt %s, want %s (doubled)", got, want)
	}
	e.clock.Advance(2 * time.Minute)
	eventually(t, "the delivery is done", func() bool { return len(e.jobsOf(workflows.KindWebhook, jobs.Done)) == 1 })

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.bad != 0 || len(rcv.calls) != 3 {
		t.Fatalf("%d calls, %d with a bad signature", len(rcv.calls), rcv.bad)
	}
	if rcv.calls[0] != rcv.calls[1] || rcv.calls[1] != rcv.calls[2] || rcv.calls[0] != first.ID {
		t.Fatalf("delivery ids changed across retries: %v (job %s)", rcv.calls, first.ID)
	}
	if len(rcv.effects) != 1 || rcv.effects[first.ID] != 1 {
		t.Fatalf("effects at the receiver: %v; want one for %s", rcv.effects, first.ID)
	}
}

func (r *receiver) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func TestWebhook_refusesHostsOutsideTheAllowList(t *testing.T) {
	e := newEnv(t)
	e.allowWebhooks("hooks.example.com")
	_, _, err := e.wf.Put(context.Background(), e.tenant, "leak", []byte(`{"label":"x","active":true,"object":"lead",
	  "trigger":{"type":"created"},"actions":[{"type":"webhook","url":"http://127.0.0.1:9/x"}]}`), e.admin.ID)
	if fe := errs.As(err); fe == nil || len(fe.Fields) == 0 || fe.Fields[0].Code != "host_not_allowed" {
		t.Fatalf("err = %v", err)
	}
}

func TestAssignOwner_roundRobinWithinTheCap(t *testing.T) {
	e := newEnv(t)
	u1, u2, u3 := e.user("u1@acme.test"), e.user("u2@acme.test"), e.user("u3@acme.test")
	e.put("assign", fmt.Sprintf(`{"label":"Assign","active":true,"object":"lead","trigger":{"type":"created"},
	  "actions":[{"type":"assignOwner","users":[%q,%q],"maxOpen":2,"openFilter":"status != 'closed'",
	              "rules":[{"when":"region = 'north'","users":[%q]}]}]}`, u1.ID, u2.ID, u3.ID))
	owners := []string{}
	var leads []string
	for i := range 4 {
		r := e.create("lead", map[string]any{"name": fmt.Sprint("lead", i)})
		leads = append(leads, r.ID)
		eventually(t, "the lead is assigned", func() bool { return e.get("lead", r.ID)["owner"] != e.admin.ID })
		owners = append(owners, e.get("lead", r.ID)["owner"].(string))
	}
	if want := []string{u1.ID, u2.ID, u1.ID, u2.ID}; fmt.Sprint(owners) != fmt.Sprint(want) {
		t.Fatalf("owners %v, want %v", owners, want)
	}
	north := e.create("lead", map[string]any{"name": "northern", "region": "north"})
	eventually(t, "the rule picks its group", func() bool { return e.get("lead", north.ID)["owner"] == u3.ID })

	// Both at the cap of 2 open leads: the run fails and retries later.
	full := e.create("lead", map[string]any{"name": "overflow"})
	eventually(t, "the run failed at the cap", func() bool {
		for _, r := range e.runs("assign") {
			if r.Record == full.ID && r.Status == workflows.RunFailed && strings.Contains(r.Error, "workflow.no_assignee") {
				return true
			}
		}
		return false
	})
	e.update("lead", leads[1], map[string]any{"status": "closed"}) // u2 has room again
	e.clock.Advance(time.Minute)
	eventually(t, "the retry assigned the lead", func() bool { return e.get("lead", full.ID)["owner"] == u2.ID })
}

func TestAssignOwner_waitsForBusinessHours(t *testing.T) {
	e := newEnv(t)
	rep := e.user("rep@acme.test")
	set, _ := e.wf.Settings(context.Background(), e.tenant)
	set.TimeZone = "Europe/Paris"
	set.BusinessHours = workflows.BusinessHours{Days: []int{1, 2, 3, 4, 5}, Start: "09:00", End: "17:00"}
	if _, err := e.wf.PutSettings(context.Background(), e.tenant, set); err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	e.clock.Set(time.Date(2026, 3, 7, 10, 0, 0, 0, paris)) // a Saturday
	e.put("assign", fmt.Sprintf(`{"label":"Assign","active":true,"object":"lead","trigger":{"type":"created"},
	  "actions":[{"type":"assignOwner","users":[%q],"businessHours":true}]}`, rep.ID))
	lead := e.create("lead", map[string]any{"name": "weekend lead"})
	opens := time.Date(2026, 3, 9, 9, 0, 0, 0, paris) // Monday 09:00 in Paris
	eventually(t, "the run waits for Monday", func() bool {
		q := e.jobsOf(workflows.KindRun, jobs.Queued)
		return len(q) == 1 && q[0].RunAt == clock.Stamp(opens) && q[0].Attempts == 0
	})
	if rs := e.runs("assign"); len(rs) != 1 || rs[0].Status != workflows.RunDeferred {
		t.Fatalf("runs %+v", rs)
	}
	e.clock.Set(opens.Add(-time.Minute))
	time.Sleep(30 * time.Millisecond)
	if e.get("lead", lead.ID)["owner"] == rep.ID {
		t.Fatal("assigned before the opening")
	}
	e.clock.Set(opens)
	eventually(t, "assigned at the opening", func() bool { return e.get("lead", lead.ID)["owner"] == rep.ID })
}

func TestBusinessHours_nextOpen(t *testing.T) {
	b := workflows.BusinessHours{Days: []int{1, 2, 3, 4, 5}, Start: "09:00", End: "17:30"}
	ny, _ := time.LoadLocation("America/New_York")
	for _, c := range []struct{ name, at, want string }{
		{"within hours is now", "2026-03-04T10:00", "2026-03-04T10:00"},
		{"before opening waits until 9", "2026-03-04T07:00", "2026-03-04T09:00"},
		{"after closing waits for the next day", "2026-03-04T17:30", "2026-03-05T09:00"},
		{"friday evening waits for monday", "2026-03-06T18:00", "2026-03-09T09:00"},
		{"across the DST change in New York", "2026-03-07T12:00", "2026-03-09T09:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			at, _ := time.ParseInLocation("2006-01-02T15:04", c.at, ny)
			want, _ := time.ParseInLocation("2006-01-02T15:04", c.want, ny)
			if got := b.NextOpen(at, ny); !got.Equal(want) {
				t.Fatalf("NextOpen(%s) = %s, want %s", at, got.In(ny), want)
			}
		})
	}
}

func TestScriptAction_withoutRunnerFailsClearly(t *testing.T) {
	e := newEnv(t)
	e.put("scripted", `{"label":"S","active":true,"object":"lead","trigger":{"type":"created"},
	  "actions":[{"type":"script","script":"enrich"}]}`)
	e.create("lead", map[string]any{"name": "Ann"})
	eventually(t, "the run is dead", func() bool { return len(e.jobsOf(workflows.KindRun, jobs.Dead)) == 1 })
	rs := e.runs("scripted")
	if len(rs) != 1 || !strings.Contains(rs[0].Error, "no script runner configured") {
		t.Fatalf("runs %+v", rs)
	}
}

func TestCreateRecord_copiesFieldsFromTheTriggeringRecord(t *testing.T) {
	e := newEnv(t)
	e.put("follow_up", `{"label":"F","active":true,"object":"lead","trigger":{"type":"updated","fields":["status"]},
	  "condition":"status = 'working'",
	  "actions":[{"type":"createRecord","object":"task","values":{"subject":"Call {{record.name}}","lead":"{{record.id}}"}}]}`)
	lead := e.create("lead", map[string]any{"name": "Ann"})
	e.update("lead", lead.ID, map[string]any{"region": "south"}) // status unchanged: no run
	e.update("lead", lead.ID, map[string]any{"status": "working"})
	eventually(t, "the task exists", func() bool {
		n, _ := e.st.Count(context.Background(), e.tenant, "task", nil)
		return n == 1
	})
	page, _ := e.st.Find(context.Background(), e.tenant, "task", store.Query{})
	if got := page.Items[0]; got["subject"] != "Call Ann" || got["lead"] != lead.ID {
		t.Fatalf("task %v", got)
	}
	e.idle()
	if rs := e.runs("follow_up"); len(rs) != 1 {
		t.Fatalf("%d runs, want 1 (the region change must not trigger)", len(rs))
	}
	rs, _ := e.wf.Runs(context.Background(), e.tenant, "", "lead", lead.ID, 10)
	if len(rs) != 1 || rs[0].Workflow != "follow_up" {
		t.Fatalf("record runs %+v", rs)
	}
}

// TestOutbox_eventCommitsWithTheRecordTransaction: inside Atomically the
// event job is written in the same store transaction: a rollback leaves
// neither record nor event.
func TestOutbox_eventCommitsWithTheRecordTransaction(t *testing.T) {
	e := newEnv(t)
	e.runner.Stop() // look at the outbox before anything dispatches it
	e.put("on_create", `{"label":"C","active":true,"object":"lead","trigger":{"type":"created"},
	  "actions":[{"type":"notify","users":["owner"],"title":"new"}]}`)
	boom := errors.New("boom")
	err := e.recs.Atomically(e.as(e.admin), func(ctx context.Context) error {
		if _, err := e.recs.Create(ctx, "lead", map[string]any{"name": "rolled back"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n := len(e.jobsOf(workflows.KindEvent, "")); n != 0 {
		t.Fatalf("%d events after a rollback", n)
	}
	err = e.recs.Atomically(e.as(e.admin), func(ctx context.Context) error {
		_, err := e.recs.Create(ctx, "lead", map[string]any{"name": "kept"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.jobsOf(workflows.KindEvent, jobs.Queued)); n != 1 {
		t.Fatalf("%d events after a commit, want 1", n)
	}
}

func TestSchedule_runsInTheTenantsTimeZone(t *testing.T) {
	e := newEnv(t)
	set, _ := e.wf.Settings(context.Background(), e.tenant)
	set.TimeZone = "Asia/Tokyo"
	if _, err := e.wf.PutSettings(context.Background(), e.tenant, set); err != nil {
		t.Fatal(err)
	}
	e.put("daily", `{"label":"Daily","active":true,"trigger":{"type":"schedule","cron":"30 8 * * 1-5"},
	  "actions":[{"type":"notify","users":["`+e.admin.ID+`"],"title":"good morning"}]}`)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	next := time.Date(2026, 3, 3, 8, 30, 0, 0, tokyo) // monday 19:00 Tokyo -> tuesday 08:30
	eventually(t, "the next run is queued", func() bool {
		q := e.jobsOf(workflows.KindCron, jobs.Queued)
		return len(q) == 1 && q[0].RunAt == clock.Stamp(next)
	})
	e.clock.Set(next)
	eventually(t, "it ran and queued the following one", func() bool {
		q := e.jobsOf(workflows.KindCron, jobs.Queued)
		return len(e.runs("daily")) == 1 && len(q) == 1 && q[0].RunAt == clock.Stamp(next.AddDate(0, 0, 1))
	})
}

func TestPut_refusesInvalidDefinitions(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ name, def, field, code string }{
		{"unknown object", `{"label":"x","active":true,"object":"nope","trigger":{"type":"created"},"actions":[{"type":"notify","users":["owner"],"title":"t"}]}`, "/object", "unknown_object"},
		{"time trigger on a text field", `{"label":"x","active":true,"object":"lead","trigger":{"type":"time","field":"name"},"actions":[{"type":"notify","users":["owner"],"title":"t"}]}`, "/trigger/field", "not_a_date"},
		{"bad cron", `{"label":"x","active":true,"trigger":{"type":"schedule","cron":"61 * * * *"},"actions":[{"type":"notify","users":["owner"],"title":"t"}]}`, "/trigger/cron", "cron"},
		{"condition that does not parse", `{"label":"x","active":true,"object":"lead","trigger":{"type":"created"},"condition":"status = ","actions":[{"type":"notify","users":["owner"],"title":"t"}]}`, "/condition", "formula.syntax"},
		{"condition that is not boolean", `{"label":"x","active":true,"object":"lead","trigger":{"type":"created"},"condition":"name","actions":[{"type":"notify","users":["owner"],"title":"t"}]}`, "/condition", "formula.type"},
		{"update on a schedule", `{"label":"x","active":true,"trigger":{"type":"schedule","cron":"0 * * * *"},"actions":[{"type":"updateFields","values":{}}]}`, "/actions/0/type", "needs_record"},
		{"unknown field in values", `{"label":"x","active":true,"object":"lead","trigger":{"type":"created"},"actions":[{"type":"updateFields","values":{"nmae":"x"}}]}`, "/actions/0/values/nmae", "unknown_field"},
		{"bad open filter", `{"label":"x","active":true,"object":"lead","trigger":{"type":"created"},"actions":[{"type":"assignOwner","users":["u"],"maxOpen":1,"openFilter":"nope = 1"}]}`, "/actions/0/openFilter", ""},
		{"no actions", `{"label":"x","active":true,"object":"lead","trigger":{"type":"created"},"actions":[]}`, "/actions", "required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.wf.Put(context.Background(), e.tenant, "bad", []byte(c.def), e.admin.ID)
			fe := errs.As(err)
			if fe == nil || fe.Kind != errs.Invalid || len(fe.Fields) == 0 || fe.Fields[0].Field != c.field || (c.code != "" && fe.Fields[0].Code != c.code) {
				t.Fatalf("err = %v (%+v)", err, fe)
			}
		})
	}
}
