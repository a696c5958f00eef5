package storetest

import (
	"reflect"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// The suite's own reference computations are logic too; these cases pin
// them to hand-computed answers.

func TestBucket(t *testing.T) {
	for _, c := range []struct {
		v    any
		by   string
		want any
	}{
		{"2026-01-31", "day", "2026-01-31"},
		{"2026-01-31T23:59:59.000Z", "day", "2026-01-31"},
		{"2026-01-31", "month", "2026-01"},
		{"2026-03-31", "quarter", "2026-Q1"},
		{"2026-04-01", "quarter", "2026-Q2"},
		{"2026-09-30T10:00:00.000Z", "quarter", "2026-Q3"},
		{"2026-12-01", "quarter", "2026-Q4"},
		{"2026-12-01", "year", "2026"},
		{nil, "year", nil},
		{"x", "", "x"},
	} {
		if got := bucket(c.v, c.by); got != c.want {
			t.Errorf("bucket(%v, %q) = %v, want %v", c.v, c.by, got, c.want)
		}
	}
}

func TestReferenceAggregate(t *testing.T) {
	docs := []store.Doc{
		{"id": "1", "g": "b", "n": int64(2), "f": 0.5},
		{"id": "2", "g": "a", "n": int64(3), "f": 1.5},
		{"id": "3", "g": "b", "n": int64(4)},
		{"id": "4", "n": int64(10), "f": 2.0},
		{"id": "5", "g": "b"},
	}
	got := referenceAggregate(docs, store.AggregateQuery{
		GroupBy: []store.Group{{Field: "g"}},
		Measures: []store.Measure{{Op: store.OpCount}, {Op: store.OpSum, Field: "n"}, {Op: store.OpSum, Field: "f"},
			{Op: store.OpAvg, Field: "n"}, {Op: store.OpMin, Field: "n"}, {Op: store.OpMax, Field: "f"}},
	})
	want := []store.AggregateRow{
		{Keys: []any{nil}, Values: []any{int64(1), int64(10), 2.0, 10.0, int64(10), 2.0}},
		{Keys: []any{"a"}, Values: []any{int64(1), int64(3), 1.5, 3.0, int64(3), 1.5}},
		{Keys: []any{"b"}, Values: []any{int64(3), int64(6), 0.5, 3.0, int64(2), 0.5}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("referenceAggregate = %v, want %v", got, want)
	}
}

func TestReferenceOrder(t *testing.T) {
	docs := []store.Doc{
		{"id": "c", "k": int64(1)}, {"id": "a"}, {"id": "b", "k": 1.0}, {"id": "d", "k": int64(0)},
	}
	if got := ids(referenceOrder(docs, []store.SortKey{{Field: "k"}})); !equalStrings(got, []string{"a", "d", "b", "c"}) {
		t.Errorf("ascending = %v", got)
	}
	if got := ids(referenceOrder(docs, []store.SortKey{{Field: "k", Desc: true}})); !equalStrings(got, []string{"b", "c", "d", "a"}) {
		t.Errorf("descending = %v", got)
	}
}

func TestSuiteHasEnoughCases(t *testing.T) {
	if n := CaseCount(); n < 40 {
		t.Errorf("the suite has %d cases, want at least 40", n)
	}
}
