package records_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
)

const orderDef = `{"title":"Order","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"}%s}}`

const lineDef = `{"title":"Line","type":"object","properties":{
  "order":    {"type":"string","x-crm-type":"masterdetail","x-crm-target":"order"},
  "amount":   {"type":"number","x-crm-type":"currency"},
  "shipDate": {"type":"string","x-crm-type":"date"},
  "note":     {"type":"string","x-crm-type":"text"}}}`

const orderRollups = `,
  "lines":     {"x-crm-type":"rollup","x-crm-rollup":{"object":"line","op":"count"}},
  "total":     {"x-crm-type":"rollup","x-crm-result":"currency","x-crm-rollup":{"object":"line","op":"sum","field":"amount"}},
  "bigLines":  {"x-crm-type":"rollup","x-crm-rollup":{"object":"line","op":"count","filter":"amount >= 100"}},
  "smallest":  {"x-crm-type":"rollup","x-crm-result":"currency","x-crm-rollup":{"object":"line","op":"min","field":"amount"}},
  "lastShip":  {"x-crm-type":"rollup","x-crm-result":"date","x-crm-rollup":{"object":"line","op":"max","field":"shipDate"}},
  "withTotal": {"x-crm-type":"formula","x-crm-result":"currency","x-crm-formula":"total * 1.1"}`

// ordersWorld defines order (with roll-ups over its lines) and line.
func ordersWorld(t testing.TB) *world {
	w := newWorld(t)
	w.define(t, "order", fmt.Sprintf(orderDef, ""))
	w.define(t, "line", lineDef)
	w.define(t, "order", fmt.Sprintf(orderDef, orderRollups))
	return w
}

// rollups renders an order's roll-up fields as one comparable string.
func rollups(t testing.TB, w *world, id string) string {
	t.Helper()
	d := w.get(t, "order", id).Data
	return fmt.Sprintf("lines=%s total=%s big=%s min=%s last=%s withTotal=%s", jsonOf(d["lines"]), jsonOf(d["total"]),
		jsonOf(d["bigLines"]), jsonOf(d["smallest"]), jsonOf(d["lastShip"]), jsonOf(d["withTotal"]))
}

func TestRollups_followEveryDetailWrite(t *testing.T) {
	w := ordersWorld(t)
	o1 := w.create(t, "order", `{"name":"one"}`)
	o2 := w.create(t, "order", `{"name":"two"}`)
	if got := jsonOf(o1.Data["lines"]) + " " + jsonOf(o1.Data["total"]); got != "0 0.00" {
		t.Fatalf("a new master starts at %s", got)
	}
	line := func(order string, amount, ship string) *records.Record {
		return w.create(t, "line", fmt.Sprintf(`{"order":%q,"amount":%s,"shipDate":%q}`, order, amount, ship))
	}
	a := line(o1.ID, "100.10", "2024-03-01")
	b := line(o1.ID, "0.20", "2024-05-01")
	line(o2.ID, "5", "2024-01-01")
	want := func(t *testing.T, id, s string) {
		t.Helper()
		if got := rollups(t, w, id); got != s {
			t.Fatalf("roll-ups\n got %s\nwant %s", got, s)
		}
	}
	t.Run("inserts", func(t *testing.T) {
		want(t, o1.ID, `lines=2 total=100.30 big=1 min=0.20 last="2024-05-01" withTotal=110.33`)
		want(t, o2.ID, `lines=1 total=5.00 big=0 min=5.00 last="2024-01-01" withTotal=5.50`)
	})
	t.Run("an update of a summarised field", func(t *testing.T) {
		if _, err := w.svc.Update(w.ctx, "line", b.ID, body(t, `{"amount":200}`), 0); err != nil {
			t.Fatal(err)
		}
		want(t, o1.ID, `lines=2 total=300.10 big=2 min=100.10 last="2024-05-01" withTotal=330.11`)
	})
	t.Run("an update of another field leaves the master alone", func(t *testing.T) {
		before := w.get(t, "order", o1.ID).Version
		if _, err := w.svc.Update(w.ctx, "line", b.ID, body(t, `{"note":"hello"}`), 0); err != nil {
			t.Fatal(err)
		}
		if after := w.get(t, "order", o1.ID).Version; after != before {
			t.Fatalf("master version %d -> %d", before, after)
		}
	})
	t.Run("re-parenting changes both masters", func(t *testing.T) {
		if _, err := w.svc.Update(w.ctx, "line", a.ID, body(t, fmt.Sprintf(`{"order":%q}`, o2.ID)), 0); err != nil {
			t.Fatal(err)
		}
		want(t, o1.ID, `lines=1 total=200.00 big=1 min=200.00 last="2024-05-01" withTotal=220.00`)
		want(t, o2.ID, `lines=2 total=105.10 big=1 min=5.00 last="2024-03-01" withTotal=115.61`)
	})
	t.Run("a delete", func(t *testing.T) {
		if err := w.svc.Delete(w.ctx, "line", b.ID, 0); err != nil {
			t.Fatal(err)
		}
		want(t, o1.ID, `lines=0 total=0.00 big=0 min=null last=null withTotal=0.00`)
	})
	t.Run("a restore", func(t *testing.T) {
		if _, err := w.svc.Restore(w.ctx, "line", b.ID); err != nil {
			t.Fatal(err)
		}
		want(t, o1.ID, `lines=1 total=200.00 big=1 min=200.00 last="2024-05-01" withTotal=220.00`)
	})
	t.Run("roll-ups are read-only", func(t *testing.T) {
		_, err := w.svc.Update(w.ctx, "order", o1.ID, body(t, `{"total":1}`), 0)
		if e := errs.As(err); e == nil || len(e.Fields) == 0 || e.Fields[0].Code != "read_only" {
			t.Fatalf("writing a roll-up: %v", err)
		}
	})
	t.Run("roll-ups can be filtered and sorted", func(t *testing.T) {
		page, err := w.svc.List(w.ctx, "order", records.ListOptions{Filter: "total > 150.5", Sort: "-lines"})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != o1.ID {
			t.Fatalf("list: %v %v", page, err)
		}
	})
}

// TestRollups_stayRightUnderConcurrentDetailWrites runs 8 writers, each
// creating 25 lines on one order and deleting every third, then compares
// the roll-ups with an independent count and sum.
func TestRollups_stayRightUnderConcurrentDetailWrites(t *testing.T) {
	w := ordersWorld(t)
	o := w.create(t, "order", `{"name":"busy"}`)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r, err := w.svc.Create(w.ctx, "line", body(t, fmt.Sprintf(`{"order":%q,"amount":%d.%02d}`, o.ID, g+1, i)))
				if err != nil {
					errc <- err
					return
				}
				if i%3 == 0 {
					if err := w.svc.Delete(w.ctx, "line", r.ID, 0); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	var count, cents int64
	q := records.ListOptions{Limit: 200, Fields: "amount"}
	for {
		page, err := w.svc.List(w.ctx, "line", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			count++
			var units, frac int64
			fmt.Sscanf(string(jsonOf(r.Data["amount"])), "%d.%d", &units, &frac)
			cents += units*100 + frac
		}
		if page.NextCursor == nil {
			break
		}
		q.Cursor = *page.NextCursor
	}
	wantCount := int64(writers * (each - (each+2)/3))
	if count != wantCount {
		t.Fatalf("independent count %d, want %d", count, wantCount)
	}
	d := w.get(t, "order", o.ID).Data
	if got, want := jsonOf(d["lines"]), fmt.Sprint(count); got != want {
		t.Errorf("count roll-up %s, want %s", got, want)
	}
	if got, want := jsonOf(d["total"]), fmt.Sprintf("%d.%02d", cents/100, cents%100); got != want {
		t.Errorf("sum roll-up %s, want %s", got, want)
	}
}

func TestRollups_aggregateAsExactAmounts(t *testing.T) {
	w := ordersWorld(t)
	for i, amount := range []string{"0.10", "0.20"} {
		o := w.create(t, "order", fmt.Sprintf(`{"name":"o%d"}`, i))
		w.create(t, "line", fmt.Sprintf(`{"order":%q,"amount":%s}`, o.ID, amount))
	}
	rows, err := w.svc.Aggregate(w.ctx, "order", records.AggregateRequest{Measures: []records.MeasureIn{{Op: "sum", Field: "total"}}})
	if err != nil || len(rows) != 1 || jsonOf(rows[0]["sum_total"]) != "0.30" {
		t.Fatalf("sum of a currency roll-up: %v %v", rows, err)
	}
}
