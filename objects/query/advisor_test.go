package query

import (
	"reflect"
	"testing"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

func TestAdvise(t *testing.T) {
	indexes := []store.Index{
		{Name: "by_status_created", Keys: []store.IndexKey{{Field: "status"}, {Field: "createdAt", Desc: true}}},
		{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true},
		{Name: "by_score_name", Keys: []store.IndexKey{{Field: "score"}, {Field: "name"}}},
	}
	for _, tc := range []struct {
		name, filter, sort string
		want               Advice
	}{
		{"nothing to filter or sort", "", "", Advice{Served: true, Index: "id"}},
		{"id order only", "", "id", Advice{Served: true, Index: "id"}},
		{"equality on id", "id = 'x' AND closedAt IS NULL", "name", Advice{Served: true, Index: "id"}},
		{"equality on the leading key", "status = 'new'", "", Advice{Served: true, Index: "by_status_created"}},
		{"equality then sort on the next key", "status = 'new'", "-createdAt", Advice{Served: true, Index: "by_status_created"}},
		{"sort scanned backwards", "status = 'new'", "createdAt", Advice{Served: true, Index: "by_status_created"}},
		{"IN one value is equality", "status IN ('new')", "-createdAt", Advice{Served: true, Index: "by_status_created"}},
		{"IS NULL is equality", "status IS NULL", "-createdAt", Advice{Served: true, Index: "by_status_created"}},
		{"range on the leading key", "score >= 50", "", Advice{Served: true, Index: "by_score_name"}},
		{"IN several values is a range", "score IN (1, 2)", "", Advice{Served: true, Index: "by_score_name"}},
		{"sort on the index keys without filter", "", "score,name", Advice{Served: true, Index: "by_score_name"}},
		{"whole index reversed", "converted = true", "-score,-name", Advice{Served: true, Index: "by_score_name"}},
		{"sort key fixed by equality is dropped", "score = 5", "score,name", Advice{Served: true, Index: "by_score_name"}},
		{"trailing id key is the tie-breaker", "", "score,name,id", Advice{Served: true, Index: "by_score_name"}},
		{"date on a datetime field is a range", "status = 'new' AND createdAt = 2026-01-31", "", Advice{Served: true, Index: "by_status_created"}},
		{"OR served branch by branch", "status = 'new' OR email = 'a@b.c'", "", Advice{Served: true, Index: "by_status_created|by_email"}},
		{"sort by an unindexed field", "", "name",
			Advice{Field: "name", Suggest: []store.IndexKey{{Field: "name"}}}},
		{"mixed directions are not an index order", "", "score,-name",
			Advice{Field: "name", Suggest: []store.IndexKey{{Field: "score"}, {Field: "name", Desc: true}}}},
		{"sort not following the equality prefix", "status = 'new'", "name",
			Advice{Field: "name", Suggest: []store.IndexKey{{Field: "status"}, {Field: "name"}}}},
		{"range on a second key does not seek", "createdAt > 2026-01-31T00:00:00Z", "",
			Advice{Field: "createdAt", Suggest: []store.IndexKey{{Field: "createdAt"}}}},
		{"not-equal helps no index", "status != 'new'", "", Advice{Field: "status"}},
		{"LIKE helps no index", "email LIKE '%@acme.com'", "", Advice{Field: "email"}},
		{"served OR within an AND", "(status = 'new' OR email = 'a@b.c') AND name != 'Ann'", "", Advice{Served: true, Index: "by_status_created|by_email"}},
		{"OR with an unindexed branch", "status = 'new' OR name = 'Ann'", "",
			Advice{Field: "name", Suggest: []store.IndexKey{{Field: "name"}}}},
		{"NOT pushed down is a union on one index", "NOT score < 5", "", Advice{Served: true, Index: "by_score_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilter(tc.filter, leadFields())
			if err != nil {
				t.Fatal(err)
			}
			sort, err := ParseSort(tc.sort, leadFields())
			if err != nil {
				t.Fatal(err)
			}
			got := Advise(f, sort, indexes)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Advise(%q, %q) = %+v, want %+v", tc.filter, tc.sort, got, tc.want)
			}
			if (got.Err() == nil) != got.Served {
				t.Fatalf("Err() = %v with Served %v", got.Err(), got.Served)
			}
		})
	}
}

func TestAdvice_errNamesTheField(t *testing.T) {
	a := Advice{Field: "name", Suggest: []store.IndexKey{{Field: "status"}, {Field: "name", Desc: true}}}
	e := errs.As(a.Err())
	if e == nil || e.Kind != errs.Malformed || e.Code != CodeUnindexed {
		t.Fatalf("Err() = %v, want a malformed %s", a.Err(), CodeUnindexed)
	}
	want := "this object is too large to filter or sort on 'name' without an index (an index on status, -name would serve this query)"
	if e.Message != want || len(e.Fields) != 1 || e.Fields[0].Field != "name" {
		t.Fatalf("Err() = %q %+v, want %q on field name", e.Message, e.Fields, want)
	}
}
