package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/store"
)

// walkFixture is a collection large enough for the planner to weigh its
// plans: 6,000 leads of 200 owners, half north and half south (some
// without a region), created three to a minute.
func walkFixture(t *testing.T) (*Store, []store.Doc) {
	t.Helper()
	s := openTest(t)
	ix := func(f string) store.Index {
		return store.Index{Name: "ix_" + f, Keys: []store.IndexKey{{Field: f}, {Field: "id"}}}
	}
	mustCollection(t, s, "acme", "lead", ix("owner"), ix("createdAt"), ix("region"))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var docs []store.Doc
	err := s.Tx(context.Background(), "acme", func(ctx context.Context) error {
		for i := range 6000 {
			d := store.Doc{"id": fmt.Sprintf("r%05d", (i*7919)%6000), "owner": fmt.Sprintf("u%d", i%200),
				"createdAt": base.Add(time.Duration(i/3) * time.Minute).Format("2006-01-02T15:04:05.000Z"), "score": int64(i % 100)}
			if i%50 != 0 {
				d["region"] = []string{"north", "south"}[(i/200)%2]
			}
			saved, err := s.Insert(ctx, "acme", "lead", d)
			if err != nil {
				return err
			}
			docs = append(docs, saved)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, docs
}

func TestFind_walksTheSortIndexWhenTheFilterIsNotSelective(t *testing.T) {
	s, _ := walkFixture(t)
	newest := []store.SortKey{{Field: "createdAt", Desc: true}}
	index := func(name string) string { return "USING INDEX " + strings.Trim(indexName("lead", name), `"`) }
	for _, tc := range []struct {
		name    string
		query   store.Query
		want    string // in the plan
		notWant string
	}{
		{"half the records, newest first: walk the date index", store.Query{Filter: store.Eq("region", "north"), Sort: newest, Limit: 50},
			index("ix_createdAt"), index("ix_region")},
		{"own records or a sharing rule's, newest first: walk the date index", store.Query{
			Filter: store.Or{store.In{Field: "owner", Values: []any{"u5"}}, store.Eq("region", "north")}, Sort: newest, Limit: 50},
			index("ix_createdAt"), "MULTI-INDEX OR"},
		{"the next page walks on from the cursor", store.Query{Filter: store.Eq("region", "north"), Sort: newest, Limit: 50,
			After: []any{"2025-01-01T10:00:00.000Z", "r00100"}}, index("ix_createdAt") + " (<expr><?)", index("ix_region")},
		{"half the records in id order: walk the table", store.Query{Filter: store.Eq("region", "south"), Limit: 50},
			"SCAN " + strings.Trim(tableName("lead"), `"`), index("ix_region")},
		{"one owner's 40 records: select by the owner index and sort them", store.Query{Filter: store.Eq("owner", "u7"), Sort: newest, Limit: 50},
			index("ix_owner"), index("ix_createdAt")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := queryPlan(t, s, "acme", "lead", tc.query)
			t.Logf("plan:\n%s", plan)
			if !strings.Contains(plan, tc.want) {
				t.Errorf("plan lacks %q:\n%s", tc.want, plan)
			}
			if strings.Contains(plan, tc.notWant) {
				t.Errorf("plan has %q:\n%s", tc.notWant, plan)
			}
		})
	}
}

func TestFind_walkedPlansReturnWhatTheFilterSelectsInOrder(t *testing.T) {
	s, docs := walkFixture(t)
	ctx := context.Background()
	filters := map[string]store.Filter{
		"equality":                      store.Eq("region", "north"),
		"own or shared":                 store.Or{store.In{Field: "owner", Values: []any{"u5", "u6"}}, store.Eq("region", "north")},
		"and with a range":              store.And{store.Eq("region", "south"), store.Cmp{Field: "score", Op: store.OpGte, Value: int64(20)}},
		"not in":                        store.In{Field: "region", Values: []any{"north"}, Not: true},
		"null region":                   store.Null{Field: "region"},
		"range on the sort field":       store.And{store.Eq("region", "north"), store.Cmp{Field: "createdAt", Op: store.OpLt, Value: "2025-01-02T00:00:00.000Z"}},
		"like":                          store.Or{store.Like{Field: "owner", Pattern: "u1%"}, store.Eq("region", "south")},
		"selective owner, for contrast": store.Eq("owner", "u9"),
		"none":                          nil,
	}
	sorts := map[string][]store.SortKey{
		"newest first":                     {{Field: "createdAt", Desc: true}},
		"oldest first":                     {{Field: "createdAt"}},
		"by id":                            nil,
		"by region descending, nulls last": {{Field: "region", Desc: true}, {Field: "score"}},
	}
	for fname, f := range filters {
		for sname, sort := range sorts {
			t.Run(fname+"/"+sname, func(t *testing.T) {
				nf, err := store.Normalize(f)
				if err != nil {
					t.Fatal(err)
				}
				var matching []store.Doc
				for _, d := range docs {
					if store.Match(nf, d) {
						matching = append(matching, d)
					}
				}
				full := store.FullSort(sort)
				slices.SortFunc(matching, func(a, b store.Doc) int { return compareBy(full, a, b) })
				want := make([]string, len(matching))
				for i, d := range matching {
					want[i] = d["id"].(string)
				}
				var got []string
				q := store.Query{Filter: f, Sort: sort, Limit: 400}
				for pages := 0; ; pages++ {
					page, err := s.Find(ctx, "acme", "lead", q)
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range page.Items {
						got = append(got, d["id"].(string))
					}
					if page.Next == nil || pages > 100 {
						break
					}
					q.After = page.Next
				}
				if !slices.Equal(got, want) {
					t.Fatalf("got %d records, want %d, or another order", len(got), len(want))
				}
			})
		}
	}
}

// compareBy orders documents as the port does: by each key in turn, nulls
// first ascending and last descending.
func compareBy(sort []store.SortKey, a, b store.Doc) int {
	for _, k := range sort {
		x, y := store.Lookup(a, k.Field), store.Lookup(b, k.Field)
		c := 0
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

func TestFind_aShapeOfSelectiveFiltersStopsBeingProbed(t *testing.T) {
	s, _ := walkFixture(t)
	ctx := context.Background()
	tdb, err := s.tenant("acme")
	if err != nil {
		t.Fatal(err)
	}
	newest := []store.SortKey{{Field: "createdAt", Desc: true}}
	probes := func() int {
		tdb.plans.mu.Lock()
		defer tdb.plans.mu.Unlock()
		return len(tdb.plans.decisions)
	}
	for i := range 6 { // one owner's 30 records: far under K
		if _, err := s.Find(ctx, "acme", "lead", store.Query{Filter: store.Eq("owner", fmt.Sprintf("u%d", i)), Sort: newest, Limit: 50}); err != nil {
			t.Fatal(err)
		}
	}
	if got := probes(); got != shapeHits {
		t.Fatalf("%d owners probed, want %d: the shape is selective after that", got, shapeHits)
	}
	// One value of a shape that matches many records keeps every value of
	// that shape probed, and the unselective one walks the sort.
	for _, region := range []string{"east", "north", "west", "south"} {
		if _, err := s.Find(ctx, "acme", "lead", store.Query{Filter: store.Eq("region", region), Sort: newest, Limit: 50}); err != nil {
			t.Fatal(err)
		}
	}
	if got := probes(); got != shapeHits+4 {
		t.Fatalf("%d decisions, want every region probed", got-shapeHits)
	}
	if plan := queryPlan(t, s, "acme", "lead", store.Query{Filter: store.Eq("region", "south"), Sort: newest, Limit: 50}); !strings.Contains(plan, "ix__created_at") {
		t.Fatalf("the unselective region does not walk the sort:\n%s", plan)
	}
}
