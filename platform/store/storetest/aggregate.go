package storetest

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// dealDocs returns n deal-like documents: stage and owner with absent values,
// integer amounts, float probabilities, a date and a datetime spread over two
// years.
func dealDocs(rnd *rand.Rand, n int) []store.Doc {
	docs := make([]store.Doc, n)
	for i := range docs {
		d := store.Doc{
			"id":     fmt.Sprintf("deal%03d", i),
			"owner":  pick(rnd, []any{"u1", "u2", "u3"}),
			"amount": int64(rnd.Intn(1000) - 100),
			"prob":   float64(rnd.Intn(100)) / 8,
			"size":   pick(rnd, []any{int64(1), int64(2), int64(3)}),
			"region": map[string]any{"code": pick(rnd, []any{"EU", "US"})},
		}
		if rnd.Intn(6) > 0 {
			d["stage"] = pick(rnd, []any{"won", "lost", "open"})
		}
		if rnd.Intn(6) > 0 {
			d["closeDate"] = fmt.Sprintf("%d-%02d-%02d", 2025+rnd.Intn(2), 1+rnd.Intn(12), 1+rnd.Intn(28))
		}
		d["createdAt"] = fmt.Sprintf("%d-%02d-%02dT%02d:%02d:00.000Z", 2025+rnd.Intn(2), 1+rnd.Intn(12), 1+rnd.Intn(28), rnd.Intn(24), rnd.Intn(60))
		if i%10 == 9 {
			delete(d, "amount") // absent values are left out of sums, averages, minima and maxima
		}
		docs[i] = d
	}
	return docs
}

// bucket is the reference date bucketing of Group.By.
func bucket(v any, by string) any {
	s, ok := v.(string)
	if !ok || by == "" {
		return v
	}
	switch by {
	case "day":
		return s[:10]
	case "month":
		return s[:7]
	case "quarter":
		var m int
		fmt.Sscanf(s[5:7], "%d", &m)
		return fmt.Sprintf("%s-Q%d", s[:4], (m+2)/3)
	case "year":
		return s[:4]
	}
	return nil
}

// referenceAggregate computes what Aggregate must return.
func referenceAggregate(docs []store.Doc, q store.AggregateQuery) []store.AggregateRow {
	type acc struct {
		keys []any
		docs []store.Doc
	}
	var groups []*acc
	for _, d := range docs {
		if !store.Match(q.Filter, d) {
			continue
		}
		keys := make([]any, len(q.GroupBy))
		for i, g := range q.GroupBy {
			keys[i] = bucket(store.Lookup(d, g.Field), g.By)
		}
		i := slices.IndexFunc(groups, func(a *acc) bool { return compareKeys(a.keys, keys) == 0 })
		if i < 0 {
			groups = append(groups, &acc{keys: keys})
			i = len(groups) - 1
		}
		groups[i].docs = append(groups[i].docs, d)
	}
	slices.SortFunc(groups, func(a, b *acc) int { return compareKeys(a.keys, b.keys) })
	if q.Limit > 0 && len(groups) > q.Limit {
		groups = groups[:q.Limit]
	}
	rows := make([]store.AggregateRow, len(groups))
	for i, g := range groups {
		vals := make([]any, len(q.Measures))
		for j, m := range q.Measures {
			vals[j] = referenceMeasure(g.docs, m)
		}
		rows[i] = store.AggregateRow{Keys: g.keys, Values: vals}
	}
	return rows
}

func compareKeys(a, b []any) int {
	for i := range a {
		if c := compareNullsFirst(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func referenceMeasure(docs []store.Doc, m store.Measure) any {
	if m.Op == store.OpCount {
		return int64(len(docs))
	}
	var vals []any
	for _, d := range docs {
		if v := store.Lookup(d, m.Field); v != nil {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	switch m.Op {
	case store.OpSum, store.OpAvg:
		var isum int64
		var fsum float64
		allInt := true
		for _, v := range vals {
			switch v := v.(type) {
			case int64:
				isum += v
				fsum += float64(v)
			case float64:
				allInt = false
				fsum += v
			}
		}
		if m.Op == store.OpAvg {
			return fsum / float64(len(vals))
		}
		if allInt {
			return isum
		}
		return fsum
	case store.OpMin, store.OpMax:
		best := vals[0]
		for _, v := range vals[1:] {
			c, _ := store.Compare(v, best)
			if (m.Op == store.OpMin && c < 0) || (m.Op == store.OpMax && c > 0) {
				best = v
			}
		}
		return best
	}
	return nil
}

// sameValue compares an aggregate value with the reference: counts and sums
// of integers must be int64, averages and other sums float64 (within a
// relative 1e-9), minima and maxima equal by value.
func sameValue(op store.Op, got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case int64:
		if op == store.OpCount || op == store.OpSum {
			g, ok := got.(int64)
			return ok && g == w
		}
		c, ok := store.Compare(got, w)
		return ok && c == 0
	case float64:
		g, ok := store.NormalizeValue(got).(float64)
		if !ok {
			if op == store.OpMin || op == store.OpMax {
				c, ok := store.Compare(got, w)
				return ok && c == 0
			}
			return false
		}
		return math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
	case string:
		return got == w
	}
	return false
}

// checkAggregate runs q and compares the rows with the reference.
func checkAggregate(t *testing.T, e *env, coll string, docs []store.Doc, q store.AggregateQuery) {
	t.Helper()
	got, err := e.s.Aggregate(e.ctx, e.tenant, coll, q)
	noErr(t, "Aggregate", err)
	want := referenceAggregate(docs, q)
	if len(got) != len(want) {
		t.Fatalf("Aggregate returned %d rows, want %d\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		if len(got[i].Keys) != len(want[i].Keys) || compareKeys(got[i].Keys, want[i].Keys) != 0 || !sameKeyTypes(got[i].Keys, want[i].Keys) {
			t.Fatalf("row %d keys = %#v, want %#v (rows in key order, nil first)\ngot  %v\nwant %v", i, got[i].Keys, want[i].Keys, got, want)
		}
		if len(got[i].Values) != len(want[i].Values) {
			t.Fatalf("row %d has %d values, want %d", i, len(got[i].Values), len(want[i].Values))
		}
		for j, m := range q.Measures {
			if !sameValue(m.Op, got[i].Values[j], want[i].Values[j]) {
				t.Errorf("row %v %s(%s) = %#v (%T), want %#v (%T)", want[i].Keys, m.Op, m.Field,
					got[i].Values[j], got[i].Values[j], want[i].Values[j], want[i].Values[j])
			}
		}
	}
}

func sameKeyTypes(got, want []any) bool {
	for i := range want {
		if _, ok := want[i].(string); ok {
			if _, ok := got[i].(string); !ok {
				return false
			}
		}
		if want[i] == nil && got[i] != nil {
			return false
		}
	}
	return true
}

func aggregateCases() []testCase {
	withDeals := func(run func(t *testing.T, e *env, docs []store.Doc)) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			docs := dealDocs(rand.New(rand.NewSource(11)), 80)
			e.ensure(t, "deals")
			e.insert(t, "deals", docs...)
			run(t, e, docs)
		}
	}
	count := []store.Measure{{Op: store.OpCount}}
	return []testCase{
		{"count grouped by one field with a nil group first", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			checkAggregate(t, e, "deals", docs, store.AggregateQuery{GroupBy: []store.Group{{Field: "stage"}}, Measures: count})
		})},
		{"count grouped by several fields", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			checkAggregate(t, e, "deals", docs, store.AggregateQuery{
				GroupBy: []store.Group{{Field: "owner"}, {Field: "stage"}, {Field: "size"}}, Measures: count})
		})},
		{"count grouped by a nested path", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			checkAggregate(t, e, "deals", docs, store.AggregateQuery{
				GroupBy: []store.Group{{Field: "region.code"}}, Measures: count})
		})},
		{"date buckets of a date field", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			for _, by := range []string{"day", "month", "quarter", "year"} {
				t.Run(by, func(t *testing.T) {
					checkAggregate(t, e, "deals", docs, store.AggregateQuery{
						GroupBy: []store.Group{{Field: "closeDate", By: by}}, Measures: count})
				})
			}
		})},
		{"date buckets of a datetime field", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			for _, by := range []string{"day", "month", "quarter", "year"} {
				t.Run(by, func(t *testing.T) {
					checkAggregate(t, e, "deals", docs, store.AggregateQuery{
						GroupBy: []store.Group{{Field: "createdAt", By: by}, {Field: "owner"}}, Measures: count})
				})
			}
		})},
		{"each measure by itself", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			for _, m := range []store.Measure{
				{Op: store.OpCount},
				{Op: store.OpSum, Field: "amount"},
				{Op: store.OpSum, Field: "prob"},
				{Op: store.OpAvg, Field: "amount"},
				{Op: store.OpAvg, Field: "prob"},
				{Op: store.OpMin, Field: "amount"},
				{Op: store.OpMax, Field: "amount"},
				{Op: store.OpMin, Field: "prob"},
				{Op: store.OpMax, Field: "prob"},
				{Op: store.OpMin, Field: "createdAt"},
				{Op: store.OpMax, Field: "closeDate"},
			} {
				t.Run(fmt.Sprintf("%s of %s", m.Op, m.Field), func(t *testing.T) {
					e.skipUnless(t, e.caps.Has(m.Op), "the "+string(m.Op)+" measure", "not in Capabilities.AggregateMeasures")
					checkAggregate(t, e, "deals", docs, store.AggregateQuery{
						GroupBy: []store.Group{{Field: "owner"}}, Measures: []store.Measure{m}})
				})
			}
		})},
		{"sum of integers is an int64", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			e.skipUnless(t, e.caps.Has(store.OpSum), "the sum measure", "not in Capabilities.AggregateMeasures")
			rows, err := e.s.Aggregate(e.ctx, e.tenant, "deals", store.AggregateQuery{
				Measures: []store.Measure{{Op: store.OpSum, Field: "size"}}})
			noErr(t, "Aggregate", err)
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			if _, ok := rows[0].Values[0].(int64); !ok {
				t.Errorf("sum of int64 values = %#v (%T), want an int64", rows[0].Values[0], rows[0].Values[0])
			}
		})},
		{"several measures in one call", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			e.skipUnless(t, e.caps.MultiMeasure, "MultiMeasure", "it computes only one measure per Aggregate call correctly")
			var ms []store.Measure
			for _, m := range []store.Measure{
				{Op: store.OpCount}, {Op: store.OpSum, Field: "amount"}, {Op: store.OpAvg, Field: "prob"},
				{Op: store.OpMin, Field: "amount"}, {Op: store.OpMax, Field: "createdAt"},
			} {
				if e.caps.Has(m.Op) {
					ms = append(ms, m)
				}
			}
			checkAggregate(t, e, "deals", docs, store.AggregateQuery{GroupBy: []store.Group{{Field: "stage"}}, Measures: ms})
		})},
		{"the filter selects documents before grouping", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			checkAggregate(t, e, "deals", docs, store.AggregateQuery{
				Filter:   store.And{store.Cmp{Field: "stage", Op: store.OpNe, Value: "lost"}, store.Cmp{Field: "amount", Op: store.OpGte, Value: int64(100)}},
				GroupBy:  []store.Group{{Field: "owner"}},
				Measures: count,
			})
		})},
		{"without grouping one row covers all documents", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			checkAggregate(t, e, "deals", docs, store.AggregateQuery{Measures: count})
		})},
		{"limit caps the groups in key order", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			checkAggregate(t, e, "deals", docs, store.AggregateQuery{
				GroupBy: []store.Group{{Field: "closeDate", By: "month"}}, Measures: count, Limit: 5})
		})},
		{"an empty match gives no rows", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			rows, err := e.s.Aggregate(e.ctx, e.tenant, "deals", store.AggregateQuery{
				Filter: store.Eq("stage", "nope"), GroupBy: []store.Group{{Field: "owner"}}, Measures: count})
			noErr(t, "Aggregate", err)
			if len(rows) != 0 {
				t.Errorf("rows = %v, want none", rows)
			}
		})},
		{"an unknown bucket or measure is ErrInvalidQuery", withDeals(func(t *testing.T, e *env, docs []store.Doc) {
			for name, q := range map[string]store.AggregateQuery{
				"bucket week":   {GroupBy: []store.Group{{Field: "closeDate", By: "week"}}, Measures: count},
				"op median":     {Measures: []store.Measure{{Op: "median", Field: "amount"}}},
				"injected op":   {Measures: []store.Measure{{Op: "$function", Field: "amount"}}},
				"bucket syntax": {GroupBy: []store.Group{{Field: "closeDate", By: strings.Repeat("x", 3)}}, Measures: count},
			} {
				_, err := e.s.Aggregate(e.ctx, e.tenant, "deals", q)
				wantErr(t, "Aggregate "+name, err, store.ErrInvalidQuery)
			}
		})},
	}
}
