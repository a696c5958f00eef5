package storetest

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// filterDocs is a small hand-made data set whose rows each exercise a
// semantic corner: mixed int64/float64 numbers, absent fields, empty
// strings, LIKE metacharacters in values, non-ASCII case pairs, a nested
// document and a scalar where a nested document is elsewhere.
func filterDocs() []store.Doc {
	return []store.Doc{
		{"id": "d01", "n": int64(1), "s": "Apple", "b": true, "status": "new", "nested": map[string]any{"x": int64(1), "city": "Oslo"}},
		{"id": "d02", "n": 2.5, "s": "apple pie", "b": false, "status": "open", "nested": map[string]any{"x": int64(2)}},
		{"id": "d03", "n": int64(2), "s": "Banana", "b": true, "status": "new"},
		{"id": "d04", "n": int64(-3), "s": "100%", "nested": map[string]any{"x": int64(3), "city": "Bergen"}},
		{"id": "d05", "s": "50_50", "b": false, "status": "closed"},
		{"id": "d06", "n": int64(0), "s": `back\slash`, "status": "NEW"},
		{"id": "d07", "n": int64(10), "s": "ÉCLAIR", "b": true},
		{"id": "d08", "n": 2.0, "s": "éclair", "status": "open"},
		{"id": "d09"},
		{"id": "d10", "n": int64(7), "s": "", "b": true, "nested": "flat"},
		{"id": "d11", "n": int64(100), "s": "a%b", "nested": map[string]any{"x": -1.5}},
		{"id": "d12", "n": int64(2), "s": "APPLE", "b": false, "nested": map[string]any{}},
		{"id": "d13", "n": -0.5, "s": "zebra", "status": "new", "nested": map[string]any{"x": int64(2), "city": "oslo"}},
	}
}

// filterCase is one named filter checked against store.Match.
type filterCase struct {
	name string
	f    store.Filter
}

func filterCases() []testCase {
	named := func(cases ...filterCase) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			docs := filterDocs()
			e.ensure(t, "items")
			e.insert(t, "items", docs...)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { checkFilter(t, e, "items", docs, c.f) })
			}
		}
	}
	return []testCase{
		{"comparison operators agree with the reference", named(
			filterCase{"int equal", store.Eq("n", int64(2))},
			filterCase{"int equal matches an equal float", store.Eq("n", 2.0)},
			filterCase{"float equal", store.Eq("n", 2.5)},
			filterCase{"less than", store.Cmp{Field: "n", Op: store.OpLt, Value: int64(2)}},
			filterCase{"less or equal", store.Cmp{Field: "n", Op: store.OpLte, Value: int64(2)}},
			filterCase{"greater than float", store.Cmp{Field: "n", Op: store.OpGt, Value: 1.5}},
			filterCase{"greater or equal", store.Cmp{Field: "n", Op: store.OpGte, Value: int64(7)}},
			filterCase{"string equal is case-sensitive", store.Eq("s", "apple pie")},
			filterCase{"string less than compares bytes", store.Cmp{Field: "s", Op: store.OpLt, Value: "a"}},
			filterCase{"string greater than compares bytes", store.Cmp{Field: "s", Op: store.OpGt, Value: "Z"}},
			filterCase{"empty string is a value", store.Eq("s", "")},
			filterCase{"bool equal", store.Eq("b", false)},
			filterCase{"false is less than true", store.Cmp{Field: "b", Op: store.OpLt, Value: true}},
			filterCase{"id equal", store.Eq("id", "d03")},
			filterCase{"id range", store.Cmp{Field: "id", Op: store.OpGte, Value: "d10"}},
		)},
		{"null semantics: != NOT IN and NOT LIKE match absent fields", named(
			filterCase{"not equal matches absent", store.Cmp{Field: "status", Op: store.OpNe, Value: "new"}},
			filterCase{"not equal number matches absent", store.Cmp{Field: "n", Op: store.OpNe, Value: int64(2)}},
			filterCase{"equal never matches absent", store.Eq("status", "closed")},
			filterCase{"range never matches absent", store.Cmp{Field: "n", Op: store.OpLt, Value: int64(1000)}},
			filterCase{"not in matches absent", store.In{Field: "status", Values: []any{"new", "open"}, Not: true}},
			filterCase{"not like matches absent", store.Like{Field: "status", Pattern: "n%", Not: true}},
			filterCase{"like never matches absent", store.Like{Field: "status", Pattern: "%"}},
			filterCase{"comparison on a field no document has", store.Cmp{Field: "nowhere", Op: store.OpNe, Value: "x"}},
		)},
		{"IS NULL and IS NOT NULL", named(
			filterCase{"is null", store.Null{Field: "b"}},
			filterCase{"is not null", store.Null{Field: "b", Not: true}},
			filterCase{"empty string is not null", store.Null{Field: "s"}},
			filterCase{"nested is null", store.Null{Field: "nested.city"}},
			filterCase{"nested is not null", store.Null{Field: "nested.x", Not: true}},
		)},
		{"IN and NOT IN including empty lists", named(
			filterCase{"in strings", store.In{Field: "status", Values: []any{"new", "closed"}}},
			filterCase{"in mixed numbers", store.In{Field: "n", Values: []any{int64(1), 2.0, 2.5}}},
			filterCase{"in one value", store.In{Field: "id", Values: []any{"d09"}}},
			filterCase{"empty in matches nothing", store.In{Field: "status", Values: []any{}}},
			filterCase{"nil in matches nothing", store.In{Field: "status"}},
			filterCase{"empty not in matches everything", store.In{Field: "status", Values: []any{}, Not: true}},
			filterCase{"not in numbers", store.In{Field: "n", Values: []any{int64(2), int64(7)}, Not: true}},
			filterCase{"in bools", store.In{Field: "b", Values: []any{true}}},
		)},
		{"LIKE with wildcards escapes and ASCII case folding", named(
			filterCase{"prefix", store.Like{Field: "s", Pattern: "app%"}},
			filterCase{"case-insensitive", store.Like{Field: "s", Pattern: "APPLE"}},
			filterCase{"contains", store.Like{Field: "s", Pattern: "%an%"}},
			filterCase{"suffix", store.Like{Field: "s", Pattern: "%A"}},
			filterCase{"single character", store.Like{Field: "s", Pattern: "_pple"}},
			filterCase{"underscore counts characters", store.Like{Field: "s", Pattern: "______"}},
			filterCase{"underscore matches one non-ASCII character", store.Like{Field: "s", Pattern: "_clair"}},
			filterCase{"escaped percent", store.Like{Field: "s", Pattern: `%\%`}},
			filterCase{"escaped percent in the middle", store.Like{Field: "s", Pattern: `a\%b`}},
			filterCase{"escaped underscore", store.Like{Field: "s", Pattern: `%\_%`}},
			filterCase{"escaped backslash", store.Like{Field: "s", Pattern: `back\\%`}},
			filterCase{"whole value only", store.Like{Field: "s", Pattern: "pple"}},
			filterCase{"percent alone matches every string including empty", store.Like{Field: "s", Pattern: "%"}},
			filterCase{"empty pattern matches the empty string", store.Like{Field: "s", Pattern: ""}},
			filterCase{"regex characters are literal", store.Like{Field: "s", Pattern: ".*"}},
			filterCase{"not like", store.Like{Field: "s", Pattern: "%a%", Not: true}},
			filterCase{"nested path", store.Like{Field: "nested.city", Pattern: "OSLO"}},
		)},
		{"LIKE folds only ASCII letters", named(
			filterCase{"non-ASCII capital does not match small", store.Like{Field: "s", Pattern: "éclair"}},
			filterCase{"non-ASCII prefix with ASCII rest", store.Like{Field: "s", Pattern: "É%"}},
		)},
		{"AND and OR including empty ones", named(
			filterCase{"and", store.And{store.Eq("status", "new"), store.Cmp{Field: "n", Op: store.OpGt, Value: int64(1)}}},
			filterCase{"or", store.Or{store.Eq("status", "closed"), store.Eq("b", true)}},
			filterCase{"empty and matches everything", store.And{}},
			filterCase{"empty or matches nothing", store.Or{}},
			filterCase{"and containing an empty or", store.And{store.Eq("b", true), store.Or{}}},
			filterCase{"or containing an empty and", store.Or{store.Eq("b", true), store.And{}}},
			filterCase{"nested and or", store.Or{store.And{store.Eq("b", true), store.Null{Field: "status"}}, store.In{Field: "n", Values: []any{2.5, int64(100)}}}},
		)},
		{"NOT is pushed down with null semantics", named(
			filterCase{"not equal", store.Not{F: store.Eq("status", "new")}},
			filterCase{"not not equal", store.Not{F: store.Cmp{Field: "status", Op: store.OpNe, Value: "new"}}},
			filterCase{"not less than includes absent", store.Not{F: store.Cmp{Field: "n", Op: store.OpLt, Value: int64(2)}}},
			filterCase{"not less or equal", store.Not{F: store.Cmp{Field: "n", Op: store.OpLte, Value: int64(2)}}},
			filterCase{"not greater than", store.Not{F: store.Cmp{Field: "n", Op: store.OpGt, Value: int64(2)}}},
			filterCase{"not greater or equal", store.Not{F: store.Cmp{Field: "n", Op: store.OpGte, Value: int64(2)}}},
			filterCase{"not in", store.Not{F: store.In{Field: "status", Values: []any{"new"}}}},
			filterCase{"not not in", store.Not{F: store.In{Field: "status", Values: []any{"new"}, Not: true}}},
			filterCase{"not like", store.Not{F: store.Like{Field: "s", Pattern: "a%"}}},
			filterCase{"not is null", store.Not{F: store.Null{Field: "b"}}},
			filterCase{"not and", store.Not{F: store.And{store.Eq("b", true), store.Eq("status", "new")}}},
			filterCase{"not or", store.Not{F: store.Or{store.Eq("b", true), store.Eq("status", "new")}}},
			filterCase{"double not", store.Not{F: store.Not{F: store.Eq("b", true)}}},
			filterCase{"not empty and matches nothing", store.Not{F: store.And{}}},
			filterCase{"not empty or matches everything", store.Not{F: store.Or{}}},
			filterCase{"not empty in matches everything", store.Not{F: store.In{Field: "n"}}},
		)},
		{"dotted paths reach into nested documents", named(
			filterCase{"nested equal", store.Eq("nested.x", int64(2))},
			filterCase{"nested range", store.Cmp{Field: "nested.x", Op: store.OpLt, Value: int64(2)}},
			filterCase{"nested not equal matches absent and scalar parents", store.Cmp{Field: "nested.x", Op: store.OpNe, Value: int64(2)}},
			filterCase{"nested string", store.Eq("nested.city", "Oslo")},
			filterCase{"nested in", store.In{Field: "nested.x", Values: []any{int64(1), int64(3)}}},
			filterCase{"path through a scalar is null", store.Null{Field: "nested.x"}},
		)},
		{"generated filters agree with the reference", func(t *testing.T, e *env) {
			rnd := rand.New(rand.NewSource(7))
			docs := generatedDocs(rnd, 150)
			e.ensure(t, "gen")
			e.insert(t, "gen", docs...)
			for i := range 120 {
				f := randomFilter(rnd, 3)
				t.Run(fmt.Sprintf("filter_%03d", i), func(t *testing.T) { checkFilter(t, e, "gen", docs, f) })
			}
		}},
	}
}

// checkFilter compares the ids Find and Count return for f with the ids
// store.Match selects from docs.
func checkFilter(t *testing.T, e *env, coll string, docs []store.Doc, f store.Filter) {
	t.Helper()
	var want []string
	for _, d := range docs {
		if store.Match(f, d) {
			want = append(want, d["id"].(string))
		}
	}
	slices.Sort(want)
	got := ids(e.findAll(t, coll, f, nil, 1000))
	if !equalStrings(got, want) {
		t.Errorf("Find(%s) ids = %v, want %v", formatFilter(f), got, want)
	}
	n, err := e.s.Count(e.ctx, e.tenant, coll, f)
	noErr(t, "Count", err)
	if n != int64(len(want)) {
		t.Errorf("Count(%s) = %d, want %d", formatFilter(f), n, len(want))
	}
}

// generatedDocs returns n documents whose fields are each present with
// probability 3/4 and drawn from small pools, so that filters hit duplicates,
// nulls and mixed number types.
func generatedDocs(rnd *rand.Rand, n int) []store.Doc {
	docs := make([]store.Doc, n)
	for i := range docs {
		d := store.Doc{"id": fmt.Sprintf("g%04d", i)}
		if rnd.Intn(4) > 0 {
			d["n"] = pick(rnd, numberPool())
		}
		if rnd.Intn(4) > 0 {
			d["s"] = pick(rnd, stringPool())
		}
		if rnd.Intn(4) > 0 {
			d["b"] = rnd.Intn(2) == 0
		}
		if rnd.Intn(4) > 0 {
			d["status"] = pick(rnd, []any{"new", "open", "closed", "NEW"})
		}
		if rnd.Intn(4) > 0 {
			nested := map[string]any{}
			if rnd.Intn(4) > 0 {
				nested["x"] = pick(rnd, numberPool())
			}
			d["nested"] = nested
		}
		docs[i] = d
	}
	return docs
}

func numberPool() []any {
	return []any{int64(-3), int64(0), int64(1), int64(2), 2.0, 2.5, int64(7), -0.25, int64(100)}
}

func stringPool() []any {
	return []any{"Apple", "apple", "apricot", "b", "new", "", "éclair", "z_z", "a%c", "Zoo"}
}

func pick(rnd *rand.Rand, pool []any) any { return pool[rnd.Intn(len(pool))] }

// randomFilter builds a filter of the given depth over the generated fields;
// every comparison value has the type family of its field.
func randomFilter(rnd *rand.Rand, depth int) store.Filter {
	if depth > 0 && rnd.Intn(3) == 0 {
		kids := make([]store.Filter, rnd.Intn(4))
		for i := range kids {
			kids[i] = randomFilter(rnd, depth-1)
		}
		switch rnd.Intn(3) {
		case 0:
			return store.And(kids)
		case 1:
			return store.Or(kids)
		default:
			return store.Not{F: randomFilter(rnd, depth-1)}
		}
	}
	field, pool := "n", numberPool()
	switch rnd.Intn(6) {
	case 1:
		field, pool = "s", stringPool()
	case 2:
		field, pool = "b", []any{true, false}
	case 3:
		field, pool = "status", []any{"new", "open", "closed", "NEW", "zzz"}
	case 4:
		field = "nested.x"
	case 5:
		field = "absent"
	}
	ops := []store.CmpOp{store.OpEq, store.OpNe, store.OpLt, store.OpLte, store.OpGt, store.OpGte}
	switch rnd.Intn(5) {
	case 0, 1:
		return store.Cmp{Field: field, Op: ops[rnd.Intn(len(ops))], Value: pick(rnd, pool)}
	case 2:
		vals := make([]any, rnd.Intn(4))
		for i := range vals {
			vals[i] = pick(rnd, pool)
		}
		return store.In{Field: field, Values: vals, Not: rnd.Intn(2) == 0}
	case 3:
		patterns := []string{"a%", "%E%", "_pple", "%", "", `%\%%`, "APPLE", "%_%", "z\\_z", "__"}
		if field != "s" && field != "status" {
			field = "s"
		}
		return store.Like{Field: field, Pattern: patterns[rnd.Intn(len(patterns))], Not: rnd.Intn(2) == 0}
	default:
		return store.Null{Field: field, Not: rnd.Intn(2) == 0}
	}
}

// formatFilter renders a filter for failure messages.
func formatFilter(f store.Filter) string {
	switch f := f.(type) {
	case nil:
		return "nil"
	case store.And:
		return "AND" + formatList(f)
	case store.Or:
		return "OR" + formatList(f)
	case store.Not:
		return "NOT(" + formatFilter(f.F) + ")"
	case store.Cmp:
		return fmt.Sprintf("%s %s %#v", f.Field, f.Op, f.Value)
	case store.In:
		not := ""
		if f.Not {
			not = "NOT "
		}
		return fmt.Sprintf("%s %sIN %#v", f.Field, not, f.Values)
	case store.Like:
		not := ""
		if f.Not {
			not = "NOT "
		}
		return fmt.Sprintf("%s %sLIKE %q", f.Field, not, f.Pattern)
	case store.Null:
		if f.Not {
			return f.Field + " IS NOT NULL"
		}
		return f.Field + " IS NULL"
	}
	return fmt.Sprintf("%#v", f)
}

func formatList[T ~[]store.Filter](fs T) string {
	s := "("
	for i, c := range fs {
		if i > 0 {
			s += ", "
		}
		s += formatFilter(c)
	}
	return s + ")"
}
