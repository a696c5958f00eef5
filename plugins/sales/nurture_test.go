package sales_test

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/plugins/sales"
)

func (e *clockEnv) tasksOf(lead string) []string {
	e.t.Helper()
	page, err := e.recs.List(e.as(e.admin), "task", records.ListOptions{Filter: "lead = '" + lead + "'", Limit: 50})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, t := range page.Items {
		out = append(out, str(t.Data["dueDate"])+" "+str(t.Data["subject"])+" @"+str(t.Data["owner"]))
	}
	sort.Strings(out)
	return out
}

func TestNurture_touchesAreMadeOnTheirDaysOnce(t *testing.T) {
	e := newClockEnv(t)
	lead := e.newLead(map[string]any{"name": "Warm Later", "source": "seo", "owner": e.ann.ID, "poolStatus": "private",
		"stage": "disqualified", "nurture": true})
	e.settings(`{"nurture": {"enabled": true}}`)
	eventually(t, "the cadence starts", func() bool { return e.lead(lead)["nurtureStartedAt"] != nil })
	started := monday // the first tick ran at the settings' save
	want := []string{}
	for _, c := range []struct {
		day     int
		subject string
	}{{1, "brand"}, {3, "product"}, {7, "case study"}, {10, "offer"}} {
		due := started.Add(time.Duration(c.day) * 24 * time.Hour)
		e.clock.Set(due.Add(-time.Minute))
		e.idle()
		if got := e.tasksOf(lead); len(got) != len(want) {
			t.Fatalf("before day %d: tasks %v", c.day, got)
		}
		e.clock.Set(due)
		want = append(want, due.Format(time.DateOnly)+" Nurture day "+strconv.Itoa(c.day)+": "+c.subject+" @"+e.ann.ID)
		sort.Strings(want)
		eventually(t, "the day's touch", func() bool { return len(e.tasksOf(lead)) == len(want) })
		if got := e.tasksOf(lead); !equal(got, want) {
			t.Fatalf("day %d: tasks %v, want %v", c.day, got, want)
		}
	}
	t.Run("a touch delivered again makes no second task", func(t *testing.T) {
		// Jobs are delivered at least once: run each touch's handler again
		// as a fresh job with the same payload.
		stamp := str(e.lead(lead)["nurtureStartedAt"])
		for _, c := range []struct {
			day   int64
			topic string
		}{{1, "brand"}, {3, "product"}, {7, "case study"}, {10, "offer"}} {
			if _, _, err := e.jobs.Enqueue(context.Background(), e.tenant, jobs.Spec{Kind: sales.KindTouch,
				Payload: map[string]any{"lead": lead, "startedAt": stamp, "day": c.day, "topic": c.topic}}); err != nil {
				t.Fatal(err)
			}
		}
		e.idle()
		eventually(t, "the redeliveries ran", func() bool {
			n, err := e.st.Count(context.Background(), e.tenant, jobs.Coll, store.And{store.Eq("kind", sales.KindTouch),
				store.In{Field: "state", Values: []any{jobs.Queued, jobs.Running, jobs.Dead}}})
			return err == nil && n == 0
		})
		if got := e.tasksOf(lead); !equal(got, want) {
			t.Errorf("tasks after redelivery %v", got)
		}
	})
	t.Run("leaving nurture cancels the touches not made yet", func(t *testing.T) {
		other := e.newLead(map[string]any{"name": "Changed Mind", "source": "seo", "owner": e.bob.ID, "poolStatus": "private", "nurture": true})
		e.tick()
		eventually(t, "its cadence starts", func() bool { return e.lead(other)["nurtureStartedAt"] != nil })
		if _, err := e.recs.Update(e.as(e.admin), "lead", other, map[string]any{"nurture": false}, 0); err != nil {
			t.Fatal(err)
		}
		e.tick()
		eventually(t, "its cadence ends", func() bool { return e.lead(other)["nurtureStartedAt"] == nil })
		e.clock.Advance(11 * 24 * time.Hour)
		e.idle()
		if got := e.tasksOf(other); len(got) != 0 {
			t.Errorf("tasks of a lead that left nurture: %v", got)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
