package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// sampleDocs are documents with absent fields, mixed int and float numbers,
// booleans, nested fields, and strings that exercise LIKE.
func sampleDocs(rnd *rand.Rand, n int) []store.Doc {
	names := []any{"Ann", "ann", "Bob", "b_b", "50%", `a\b`, "Émile", "", nil}
	nums := []any{int64(1), 1.0, 2.5, int64(-3), int64(10), nil}
	docs := make([]store.Doc, n)
	for i := range docs {
		d := store.Doc{"id": fmt.Sprintf("d%03d", i)}
		for k, pool := range map[string][]any{"name": names, "n": nums, "flag": {true, false, nil}} {
			if v := pool[rnd.IntN(len(pool))]; v != nil {
				d[k] = v
			}
		}
		if rnd.IntN(2) == 0 {
			d["sub"] = map[string]any{"x": nums[rnd.IntN(len(nums)-1)]}
		}
		docs[i] = d
	}
	return docs
}

func TestFind_matchesTheReferenceEvaluator(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "c", store.Index{Name: "n", Keys: []store.IndexKey{{Field: "n"}}})
	rnd := rand.New(rand.NewPCG(1, 2))
	docs := sampleDocs(rnd, 120)
	for _, d := range docs {
		mustInsert(t, s, "acme", "c", d)
	}
	filters := []store.Filter{
		nil,
		store.Eq("n", int64(1)),
		store.Eq("n", 1.0),
		store.Cmp{Field: "n", Op: store.OpNe, Value: int64(1)},
		store.Cmp{Field: "n", Op: store.OpGt, Value: 1.5},
		store.Cmp{Field: "n", Op: store.OpLte, Value: int64(1)},
		store.Cmp{Field: "sub.x", Op: store.OpGte, Value: int64(1)},
		store.Eq("flag", true),
		store.Eq("flag", false),
		store.Cmp{Field: "flag", Op: store.OpNe, Value: true},
		store.In{Field: "name", Values: []any{"Ann", "Bob"}},
		store.In{Field: "name", Values: []any{"Ann", "Bob"}, Not: true},
		store.In{Field: "name"},
		store.In{Field: "name", Not: true},
		store.Like{Field: "name", Pattern: "an%"},
		store.Like{Field: "name", Pattern: "AN_"},
		store.Like{Field: "name", Pattern: "b\\_b"},
		store.Like{Field: "name", Pattern: "50\\%"},
		store.Like{Field: "name", Pattern: `a\\b`},
		store.Like{Field: "name", Pattern: `a\`},
		store.Like{Field: "name", Pattern: "_mile"},
		store.Like{Field: "name", Pattern: "%", Not: true},
		store.Like{Field: "n", Pattern: "%"},
		store.Like{Field: "name", Pattern: "a%", Not: true},
		store.Null{Field: "name"},
		store.Null{Field: "sub.x", Not: true},
		store.Not{F: store.Cmp{Field: "n", Op: store.OpLt, Value: int64(2)}},
		store.Not{F: store.Or{store.Eq("flag", true), store.Like{Field: "name", Pattern: "b%"}}},
		store.Or{},
		store.And{},
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("%#v", f), func(t *testing.T) {
			var want []string
			for _, d := range docs {
				if store.Match(f, d) {
					want = append(want, d["id"].(string))
				}
			}
			n, err := s.Count(ctx, "acme", "c", f)
			if err != nil {
				t.Fatal(err)
			}
			page, err := s.Find(ctx, "acme", "c", store.Query{Filter: f, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range page.Items {
				got = append(got, d["id"].(string))
			}
			if n != int64(len(want)) || !slices.Equal(got, want) {
				t.Errorf("Count = %d, Find = %v; want %d %v", n, got, len(want), want)
			}
		})
	}
}

func TestFind_pagesThroughTheTotalOrder(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "c", store.Index{Name: "n_name", Keys: []store.IndexKey{{Field: "n", Desc: true}, {Field: "name"}}})
	rnd := rand.New(rand.NewPCG(3, 4))
	docs := sampleDocs(rnd, 97)
	for _, d := range docs {
		mustInsert(t, s, "acme", "c", d)
	}
	for _, sort := range [][]store.SortKey{
		nil,
		{{Field: "n"}},
		{{Field: "n", Desc: true}, {Field: "name"}},
		{{Field: "flag"}, {Field: "sub.x", Desc: true}},
		{{Field: "name", Desc: true}, {Field: "id", Desc: true}},
	} {
		t.Run(fmt.Sprint(sort), func(t *testing.T) {
			want := slices.Clone(docs)
			full := store.FullSort(sort)
			slices.SortStableFunc(want, func(a, b store.Doc) int { return compareDocs(full, a, b) })
			var got []store.Doc
			var after []any
			for pages := 0; ; pages++ {
				if pages > 50 {
					t.Fatal("paging does not end")
				}
				page, err := s.Find(ctx, "acme", "c", store.Query{Sort: sort, Limit: 7, After: after, Fields: []string{"name"}})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Items...)
				if page.Next == nil {
					break
				}
				after = page.Next
			}
			if len(got) != len(want) {
				t.Fatalf("paged %d documents, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i]["id"] != want[i]["id"] {
					t.Fatalf("position %d: got %v, want %v", i, got[i]["id"], want[i]["id"])
				}
			}
		})
	}
}

// compareDocs orders by a full sort with nulls first ascending.
func compareDocs(sort []store.SortKey, a, b store.Doc) int {
	for _, k := range sort {
		x, y := store.Lookup(a, k.Field), store.Lookup(b, k.Field)
		var c int
		switch {
		case x == nil && y == nil:
		case x == nil:
			c = -1
		case y == nil:
			c = 1
		default:
			c, _ = store.Compare(x, y)
		}
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func TestAggregate_groupsAndMeasures(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "opp")
	for i, d := range []store.Doc{
		{"stage": "won", "amount": int64(10), "close": "2026-01-31", "big": true},
		{"stage": "won", "amount": int64(5), "close": "2026-02-01T09:00:00.000Z", "big": false},
		{"stage": "lost", "amount": 2.5, "close": "2026-04-02"},
		{"amount": int64(1), "close": "2025-12-31"},
		{"stage": "lost"},
	} {
		d["id"] = fmt.Sprint(i)
		mustInsert(t, s, "acme", "opp", d)
	}
	measures := []store.Measure{{Op: store.OpCount}, {Op: store.OpSum, Field: "amount"},
		{Op: store.OpAvg, Field: "amount"}, {Op: store.OpMin, Field: "close"}, {Op: store.OpMax, Field: "amount"}}
	for _, tc := range []struct {
		name string
		q    store.AggregateQuery
		want []store.AggregateRow
	}{
		{"by field with nulls first", store.AggregateQuery{GroupBy: []store.Group{{Field: "stage"}}, Measures: measures},
			[]store.AggregateRow{
				{Keys: []any{nil}, Values: []any{int64(1), int64(1), 1.0, "2025-12-31", int64(1)}},
				{Keys: []any{"lost"}, Values: []any{int64(2), 2.5, 2.5, "2026-04-02", 2.5}},
				{Keys: []any{"won"}, Values: []any{int64(2), int64(15), 7.5, "2026-01-31", int64(10)}},
			}},
		{"by quarter", store.AggregateQuery{GroupBy: []store.Group{{Field: "close", By: "quarter"}}, Measures: measures[:2]},
			[]store.AggregateRow{
				{Keys: []any{nil}, Values: []any{int64(1), int64(0)}},
				{Keys: []any{"2025-Q4"}, Values: []any{int64(1), int64(1)}},
				{Keys: []any{"2026-Q1"}, Values: []any{int64(2), int64(15)}},
				{Keys: []any{"2026-Q2"}, Values: []any{int64(1), 2.5}},
			}},
		{"by month with a filter and a limit", store.AggregateQuery{GroupBy: []store.Group{{Field: "close", By: "month"}},
			Filter: store.Null{Field: "close", Not: true}, Measures: measures[:1], Limit: 2},
			[]store.AggregateRow{
				{Keys: []any{"2025-12"}, Values: []any{int64(1)}},
				{Keys: []any{"2026-01"}, Values: []any{int64(1)}},
			}},
		{"by year and day", store.AggregateQuery{GroupBy: []store.Group{{Field: "close", By: "year"}, {Field: "close", By: "day"}},
			Filter: store.Like{Field: "close", Pattern: "2026%"}, Measures: measures[:1]},
			[]store.AggregateRow{
				{Keys: []any{"2026", "2026-01-31"}, Values: []any{int64(1)}},
				{Keys: []any{"2026", "2026-02-01"}, Values: []any{int64(1)}},
				{Keys: []any{"2026", "2026-04-02"}, Values: []any{int64(1)}},
			}},
		{"booleans stay booleans", store.AggregateQuery{GroupBy: []store.Group{{Field: "big"}}, Measures: measures[:1]},
			[]store.AggregateRow{
				{Keys: []any{nil}, Values: []any{int64(3)}},
				{Keys: []any{false}, Values: []any{int64(1)}},
				{Keys: []any{true}, Values: []any{int64(1)}},
			}},
		{"no group is one row over everything", store.AggregateQuery{Measures: measures[:2]},
			[]store.AggregateRow{{Keys: []any{}, Values: []any{int64(5), 18.5}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Aggregate(ctx, "acme", "opp", tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}
