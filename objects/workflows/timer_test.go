package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/jobs"
)

const backToPool = `{"label":"Back to pool","active":true,"object":"lead",
 "trigger":{"type":"time","field":"assignedAt","offset":"24h"},
 "condition":"status = 'new'",
 "actions":[{"type":"updateFields","values":{"status":"pool"}},
            {"type":"notify","users":["owner"],"title":"{{record.name}} went back to the pool"}]}`

func TestTimeTrigger_firesOnceAtTheRightMoment(t *testing.T) {
	e := newEnv(t)
	e.put("back_to_pool", backToPool)
	assigned := e.clock.Now()
	lead := e.create("lead", map[string]any{"name": "Ann", "assignedAt": clock.Stamp(assigned)})
	eventually(t, "the timer is scheduled", func() bool { return len(e.jobsOf(workflows.KindTimer, jobs.Queued)) == 1 })
	if got, want := e.jobsOf(workflows.KindTimer, jobs.Queued)[0].RunAt, clock.Stamp(assigned.Add(24*time.Hour)); got != want {
		t.Fatalf("timer due at %s, want %s", got, want)
	}

	e.clock.Set(assigned.Add(24*time.Hour - time.Second))
	e.idle()
	time.Sleep(20 * time.Millisecond)
	if len(e.runs("back_to_pool")) != 0 || e.get("lead", lead.ID)["status"] != "new" {
		t.Fatal("the workflow ran before its time")
	}
	e.clock.Set(assigned.Add(24 * time.Hour))
	eventually(t, "the workflow ran", func() bool {
		rs := e.runs("back_to_pool")
		return len(rs) == 1 && rs[0].Status == workflows.RunSucceeded
	})
	if got := e.get("lead", lead.ID)["status"]; got != "pool" {
		t.Fatalf("status %v, want pool", got)
	}
	// The workflow's own update re-dispatches the record; nothing fires
	// twice, even long after.
	e.clock.Advance(72 * time.Hour)
	e.idle()
	time.Sleep(20 * time.Millisecond)
	rs := e.runs("back_to_pool")
	if len(rs) != 1 || rs[0].Record != lead.ID || rs[0].Trigger != "time" || len(rs[0].Actions) != 2 || rs[0].Actions[1].Status != "done" {
		t.Fatalf("runs: %+v", rs)
	}
	notes, err := e.wf.Notifications(context.Background(), e.tenant, e.admin.ID, 10)
	if err != nil || len(notes) != 1 || notes[0].Title != "Ann went back to the pool" {
		t.Fatalf("notifications %+v, %v", notes, err)
	}
}

func TestTimeTrigger_isCancelledWhenTheConditionStopsHolding(t *testing.T) {
	e := newEnv(t)
	e.put("back_to_pool", backToPool)
	assigned := e.clock.Now()
	lead := e.create("lead", map[string]any{"name": "Ann", "assignedAt": clock.Stamp(assigned)})
	eventually(t, "the timer is scheduled", func() bool { return len(e.jobsOf(workflows.KindTimer, jobs.Queued)) == 1 })

	e.update("lead", lead.ID, map[string]any{"status": "working"})
	eventually(t, "the timer is cancelled", func() bool {
		return len(e.jobsOf(workflows.KindTimer, jobs.Queued)) == 0 && len(e.jobsOf(workflows.KindTimer, jobs.Cancelled)) == 1
	})
	e.clock.Advance(48 * time.Hour)
	e.idle()
	time.Sleep(20 * time.Millisecond)
	if len(e.runs("back_to_pool")) != 0 || e.get("lead", lead.ID)["status"] != "working" {
		t.Fatal("a cancelled timer fired")
	}

	// Qualifying again with a new assignment time schedules a new timer.
	again := e.clock.Now()
	e.update("lead", lead.ID, map[string]any{"status": "new", "assignedAt": clock.Stamp(again)})
	eventually(t, "a new timer is scheduled", func() bool {
		q := e.jobsOf(workflows.KindTimer, jobs.Queued)
		return len(q) == 1 && q[0].RunAt == clock.Stamp(again.Add(24*time.Hour))
	})
	// Moving the date reschedules it.
	moved := again.Add(2 * time.Hour)
	e.update("lead", lead.ID, map[string]any{"assignedAt": clock.Stamp(moved)})
	eventually(t, "the timer is rescheduled", func() bool {
		q := e.jobsOf(workflows.KindTimer, jobs.Queued)
		return len(q) == 1 && q[0].RunAt == clock.Stamp(moved.Add(24*time.Hour))
	})
	e.clock.Set(moved.Add(24 * time.Hour))
	eventually(t, "the rescheduled timer fired", func() bool { return len(e.runs("back_to_pool")) == 1 })
}

// TestTimeTrigger_firesAfterRestart: the timer came due while the platform
// was down; a new process over the same store runs it once on start.
func TestTimeTrigger_firesAfterRestart(t *testing.T) {
	e := newEnv(t)
	e.put("back_to_pool", backToPool)
	assigned := e.clock.Now()
	lead := e.create("lead", map[string]any{"name": "Ann", "assignedAt": clock.Stamp(assigned)})
	eventually(t, "the timer is scheduled", func() bool { return len(e.jobsOf(workflows.KindTimer, jobs.Queued)) == 1 })
	e.stop()

	e.clock.Set(assigned.Add(30 * time.Hour)) // down for the due time
	e.open()
	e.start()
	eventually(t, "the workflow ran after the restart", func() bool {
		rs := e.runs("back_to_pool")
		return len(rs) == 1 && rs[0].Status == workflows.RunSucceeded
	})
	if got := e.get("lead", lead.ID)["status"]; got != "pool" {
		t.Fatalf("status %v, want pool", got)
	}
}

// TestTimeTrigger_backfillsExistingRecords: records that qualify when the
// workflow is saved get their timers too.
func TestTimeTrigger_backfillsExistingRecords(t *testing.T) {
	e := newEnv(t)
	at := e.clock.Now()
	e.create("lead", map[string]any{"name": "Old", "assignedAt": clock.Stamp(at)})
	e.create("lead", map[string]any{"name": "Done", "status": "closed", "assignedAt": clock.Stamp(at)})
	e.create("lead", map[string]any{"name": "Unassigned"})
	e.put("back_to_pool", backToPool)
	eventually(t, "the qualifying record's timer is scheduled", func() bool {
		return len(e.jobsOf(workflows.KindBackfill, jobs.Done)) == 1 && len(e.jobsOf(workflows.KindTimer, jobs.Queued)) == 1
	})
}

func TestTimeTrigger_onlyWritesThatCanChangeATimerLeaveAnEvent(t *testing.T) {
	e := newEnv(t)
	e.put("back_to_pool", backToPool)
	events := func() int { return len(e.jobsOf(workflows.KindEvent, "")) }
	now := clock.Stamp(e.clock.Now())

	e.create("lead", map[string]any{"name": "never assigned"})
	if n := events(); n != 0 {
		t.Fatalf("a lead without the trigger field left %d events", n)
	}
	e.create("lead", map[string]any{"name": "assigned but working", "assignedAt": now, "status": "working"})
	if n := events(); n != 0 {
		t.Fatalf("a lead failing the condition left %d events", n)
	}
	lead := e.create("lead", map[string]any{"name": "assigned", "assignedAt": now})
	if n := events(); n != 1 {
		t.Fatalf("a qualifying lead left %d events, want 1", n)
	}
	e.update("lead", lead.ID, map[string]any{"name": "renamed"})
	if n := events(); n != 1 {
		t.Fatalf("a change to a field neither in the trigger nor in the condition left an event (%d)", n)
	}
	e.update("lead", lead.ID, map[string]any{"status": "working"})
	if n := events(); n != 2 {
		t.Fatalf("a change to the condition's field left %d events, want 2", n)
	}
	eventually(t, "the timer is cancelled", func() bool { return len(e.jobsOf(workflows.KindTimer, jobs.Queued)) == 0 })
}
