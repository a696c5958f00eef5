package mongo

import (
	"errors"
	"reflect"
	"regexp"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/opencrm/crm/platform/store"
)

func d(k string, v any) bson.D { return bson.D{{Key: k, Value: v}} }

func TestCompileFilter_translatesEveryNode(t *testing.T) {
	re := func(p string) bson.Regex { return bson.Regex{Pattern: p, Options: "s"} }
	for _, c := range []struct {
		name string
		f    store.Filter
		want bson.D
	}{
		{"nil matches everything", nil, bson.D{}},
		{"equal", store.Eq("n", int64(2)), d("n", d("$eq", int64(2)))},
		{"int is normalised to int64", store.Eq("n", 2), d("n", d("$eq", int64(2)))},
		{"not equal", store.Cmp{Field: "s", Op: store.OpNe, Value: "x"}, d("s", d("$ne", "x"))},
		{"less than", store.Cmp{Field: "n", Op: store.OpLt, Value: 1.5}, d("n", d("$lt", 1.5))},
		{"less or equal", store.Cmp{Field: "n", Op: store.OpLte, Value: 1.5}, d("n", d("$lte", 1.5))},
		{"greater than", store.Cmp{Field: "b", Op: store.OpGt, Value: false}, d("b", d("$gt", false))},
		{"greater or equal", store.Cmp{Field: "s", Op: store.OpGte, Value: "m"}, d("s", d("$gte", "m"))},
		{"id is _id", store.Eq("id", "a1"), d("_id", d("$eq", "a1"))},
		{"a top-level _id field is escaped", store.Eq("_id", "a1"), d("~_id", d("$eq", "a1"))},
		{"dotted path", store.Eq("a.b.c", "x"), d("a.b.c", d("$eq", "x"))},
		{"in", store.In{Field: "s", Values: []any{"a", int64(1)}}, d("s", d("$in", bson.A{"a", int64(1)}))},
		{"empty in matches nothing", store.In{Field: "s"}, matchNothing()},
		{"not in", store.In{Field: "s", Values: []any{"a"}, Not: true}, d("s", d("$nin", bson.A{"a"}))},
		{"empty not in", store.In{Field: "s", Not: true}, d("s", d("$nin", bson.A{}))},
		{"like", store.Like{Field: "s", Pattern: "a%"}, d("s", re(`\A[Aa].*\z`))},
		{"not like matches null or non-matching strings", store.Like{Field: "s", Pattern: "a", Not: true},
			d("$or", bson.A{d("s", d("$eq", nil)), bson.D{{Key: "s", Value: bson.D{{Key: "$type", Value: "string"}, {Key: "$not", Value: re(`\A[Aa]\z`)}}}}})},
		{"is null", store.Null{Field: "s"}, d("s", d("$eq", nil))},
		{"is not null", store.Null{Field: "s", Not: true}, d("s", d("$ne", nil))},
		{"and", store.And{store.Eq("a", int64(1)), store.Eq("b", int64(2))},
			d("$and", bson.A{d("a", d("$eq", int64(1))), d("b", d("$eq", int64(2)))})},
		{"and of one is its member", store.And{store.Eq("a", int64(1))}, d("a", d("$eq", int64(1)))},
		{"empty and matches everything", store.And{}, bson.D{}},
		{"and with an empty or matches nothing", store.And{store.Eq("a", int64(1)), store.Or{}}, matchNothing()},
		{"or", store.Or{store.Eq("a", int64(1)), store.Eq("b", int64(2))},
			d("$or", bson.A{d("a", d("$eq", int64(1))), d("b", d("$eq", int64(2)))})},
		{"empty or matches nothing", store.Or{}, matchNothing()},
		{"or with an empty and matches everything", store.Or{store.Eq("a", int64(1)), store.And{}}, bson.D{}},
		{"not is pushed to the leaves", store.Not{F: store.Cmp{Field: "n", Op: store.OpLt, Value: int64(2)}},
			d("$or", bson.A{d("n", d("$gte", int64(2))), d("n", d("$eq", nil))})},
		{"not of and", store.Not{F: store.And{store.Eq("a", "x"), store.In{Field: "b", Values: []any{"y"}}}},
			d("$or", bson.A{d("a", d("$ne", "x")), d("b", d("$nin", bson.A{"y"}))})},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := compileFilter(c.f)
			if err != nil {
				t.Fatalf("compileFilter: %v", err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("compileFilter(%#v)\n got %v\nwant %v", c.f, got, c.want)
			}
		})
	}
}

func TestCompileFilter_refusesInjectedNamesAndOperators(t *testing.T) {
	for _, c := range []struct {
		name string
		f    store.Filter
		want error
	}{
		{"operator as field", store.Eq("$where", "1"), store.ErrInvalidName},
		{"operator inside a path", store.Eq("a.$gt", "1"), store.ErrInvalidName},
		{"NUL in a name", store.Eq("a\x00b", "1"), store.ErrInvalidName},
		{"empty path segment", store.Null{Field: "a..b"}, store.ErrInvalidName},
		{"like on a bad name", store.Like{Field: "a b", Pattern: "%"}, store.ErrInvalidName},
		{"operator document as value", store.Eq("a", map[string]any{"$gt": ""}), store.ErrInvalidQuery},
		{"bson document as value", store.Eq("a", bson.D{{Key: "$ne", Value: nil}}), store.ErrInvalidQuery},
		{"operator document in IN", store.In{Field: "a", Values: []any{bson.M{"$ne": 1}}}, store.ErrInvalidQuery},
		{"regex value", store.Eq("a", bson.Regex{Pattern: ".*"}), store.ErrInvalidQuery},
		{"unknown operator", store.Cmp{Field: "a", Op: "$regex", Value: ".*"}, store.ErrInvalidQuery},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := compileFilter(c.f)
			if !errors.Is(err, c.want) {
				t.Fatalf("compileFilter = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestCompileFilter_keepsOperatorLookingStringsAsValues(t *testing.T) {
	got, err := compileFilter(store.Eq("a", `{"$gt": ""}`))
	if err != nil {
		t.Fatal(err)
	}
	want := d("a", d("$eq", `{"$gt": ""}`))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestLikeRegex_agreesWithTheReference checks the translated pattern with
// Go's RE2 (FerretDB's engine; PCRE reads these constructs the same way)
// against store.LikeMatch.
func TestLikeRegex_agreesWithTheReference(t *testing.T) {
	patterns := []string{"", "%", "_", "a%", "%A", "_pple", "%\\%", `a\%b`, `%\_%`, `back\\%`, ".*", "[a]", "(x)|y",
		"é%", "É%", "_clair", "%$", "^a", "a\\", "\\", "%\n%", "x\x00y", "a+b?", "{1}", "%~%"}
	values := []string{"", "a", "A", "apple", "APPLE", "Apple pie", "100%", "a%b", "axb", "50_50", `back\slash`,
		".*", "x.*", "[a]", "a", "(x)|y", "y", "éclair", "Éclair", "ÉCLAIR", "cost$", "^a", "a\\", "\\", "one\ntwo", "x\x00y",
		"a+b?", "aab", "{1}", "a~b"}
	for _, p := range patterns {
		rx, err := regexp.Compile("(?s)" + likeRegex(p))
		if err != nil {
			t.Fatalf("pattern %q: regex %q does not compile: %v", p, likeRegex(p), err)
		}
		for _, v := range values {
			if got, want := rx.MatchString(v), store.LikeMatch(p, v); got != want {
				t.Errorf("LIKE %q on %q: regex %q says %v, reference %v", p, v, likeRegex(p), got, want)
			}
		}
	}
}

func TestSortDocAndProjection_mapIDAndRefuseBadNames(t *testing.T) {
	got, err := sortDoc([]store.SortKey{{Field: "a.b", Desc: true}, {Field: "id"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (bson.D{{Key: "a.b", Value: -1}, {Key: "_id", Value: 1}}); !reflect.DeepEqual(got, want) {
		t.Errorf("sortDoc = %v, want %v", got, want)
	}
	if _, err := sortDoc([]store.SortKey{{Field: "$natural"}}); !errors.Is(err, store.ErrInvalidName) {
		t.Errorf("sortDoc($natural) = %v, want ErrInvalidName", err)
	}
	proj, err := projection([]string{"a", "a.b", "id", "version", "c.d", "c.d"})
	if err != nil {
		t.Fatal(err)
	}
	want := bson.D{{Key: "_id", Value: 1}, {Key: "version", Value: 1}, {Key: "a", Value: 1}, {Key: "c.d", Value: 1}}
	if !reflect.DeepEqual(proj, want) {
		t.Errorf("projection = %v, want %v (sub-paths of listed paths dropped)", proj, want)
	}
	if _, err := projection([]string{"ok", "$where"}); !errors.Is(err, store.ErrInvalidName) {
		t.Errorf("projection($where) = %v, want ErrInvalidName", err)
	}
}
