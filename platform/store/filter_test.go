package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

func TestNormalize_pushesNotToTheLeaves(t *testing.T) {
	eq := store.Eq("a", int64(1))
	cmp := func(op store.CmpOp) store.Cmp { return store.Cmp{Field: "a", Op: op, Value: int64(1)} }
	null := store.Null{Field: "a"}
	for _, c := range []struct {
		name string
		in   store.Filter
		want store.Filter
	}{
		{"nil stays nil", nil, nil},
		{"a leaf without NOT is unchanged", eq, eq},
		{"NOT = is !=", store.Not{F: eq}, cmp(store.OpNe)},
		{"NOT != is =", store.Not{F: cmp(store.OpNe)}, cmp(store.OpEq)},
		{"NOT < is >= or null", store.Not{F: cmp(store.OpLt)}, store.Or{cmp(store.OpGte), null}},
		{"NOT <= is > or null", store.Not{F: cmp(store.OpLte)}, store.Or{cmp(store.OpGt), null}},
		{"NOT > is <= or null", store.Not{F: cmp(store.OpGt)}, store.Or{cmp(store.OpLte), null}},
		{"NOT >= is < or null", store.Not{F: cmp(store.OpGte)}, store.Or{cmp(store.OpLt), null}},
		{"NOT IN is NOT IN", store.Not{F: store.In{Field: "a", Values: []any{"x"}}}, store.In{Field: "a", Values: []any{"x"}, Not: true}},
		{"NOT NOT IN is IN", store.Not{F: store.In{Field: "a", Values: []any{"x"}, Not: true}}, store.In{Field: "a", Values: []any{"x"}}},
		{"NOT LIKE flips", store.Not{F: store.Like{Field: "a", Pattern: "x%"}}, store.Like{Field: "a", Pattern: "x%", Not: true}},
		{"NOT IS NULL is IS NOT NULL", store.Not{F: null}, store.Null{Field: "a", Not: true}},
		{"double NOT cancels", store.Not{F: store.Not{F: eq}}, eq},
		{"De Morgan on AND", store.Not{F: store.And{eq, null}}, store.Or{cmp(store.OpNe), store.Null{Field: "a", Not: true}}},
		{"De Morgan on OR", store.Not{F: store.Or{eq, null}}, store.And{cmp(store.OpNe), store.Null{Field: "a", Not: true}}},
		{"NOT of an empty AND is an empty OR", store.Not{F: store.And{}}, store.Or{}},
		{"NOT of an empty OR is an empty AND", store.Not{F: store.Or{}}, store.And{}},
		{"NOT deep inside AND", store.And{eq, store.Not{F: eq}}, store.And{eq, cmp(store.OpNe)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := store.Normalize(c.in)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Normalize(%#v) = %#v, want %#v", c.in, got, c.want)
			}
		})
	}
}

func TestNormalize_keepsTheMeaningOfGeneratedFilters(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	docs := genDocs(rnd, 60)
	for i := range 500 {
		f := genFilter(rnd, 4)
		n, err := store.Normalize(f)
		if err != nil {
			t.Fatalf("filter %d: Normalize: %v", i, err)
		}
		if hasNot(n) {
			t.Fatalf("filter %d: Normalize left a NOT in %#v", i, n)
		}
		for _, d := range docs {
			if store.Match(f, d) != store.Match(n, d) {
				t.Fatalf("filter %d %#v normalised to %#v changes the match of %#v", i, f, n, d)
			}
		}
	}
}

func TestNormalize_normalisesValues(t *testing.T) {
	in := store.And{
		store.Eq("a", 5),
		store.Eq("b", json.Number("7")),
		store.Eq("c", json.Number("1.5")),
		store.Not{F: store.In{Field: "d", Values: []any{int32(1), uint8(2), float32(0.5)}}},
	}
	want := store.And{
		store.Eq("a", int64(5)),
		store.Eq("b", int64(7)),
		store.Eq("c", 1.5),
		store.In{Field: "d", Values: []any{int64(1), int64(2), 0.5}, Not: true},
	}
	got, err := store.Normalize(in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %#v, want %#v", got, want)
	}
}

// foreign is a filter node the port does not know.
type foreign struct{ store.Filter }

func TestNormalize_rejectsBadFilters(t *testing.T) {
	for _, c := range []struct {
		name string
		f    store.Filter
		want error
	}{
		{"injected field name", store.Eq(`a"); drop table x;--`, "x"), store.ErrInvalidName},
		{"operator as a field name", store.Eq("$where", "x"), store.ErrInvalidName},
		{"bad field deep inside NOT", store.Not{F: store.Or{store.Null{Field: "a b"}}}, store.ErrInvalidName},
		{"bad LIKE field", store.Like{Field: "", Pattern: "%"}, store.ErrInvalidName},
		{"bad IN field", store.In{Field: "1a"}, store.ErrInvalidName},
		{"map value", store.Eq("a", map[string]any{"$gt": ""}), store.ErrInvalidQuery},
		{"nil value", store.Cmp{Field: "a", Op: store.OpEq}, store.ErrInvalidQuery},
		{"NaN value", store.Eq("a", math.NaN()), store.ErrInvalidQuery},
		{"infinite value", store.Eq("a", math.Inf(1)), store.ErrInvalidQuery},
		{"slice in IN", store.In{Field: "a", Values: []any{[]any{1}}}, store.ErrInvalidQuery},
		{"unknown operator", store.Cmp{Field: "a", Op: "~", Value: "x"}, store.ErrInvalidQuery},
		{"NOT without operand", store.Not{}, store.ErrInvalidQuery},
		{"unknown node", foreign{}, store.ErrInvalidQuery},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := store.Normalize(c.f)
			if !errors.Is(err, c.want) {
				t.Fatalf("Normalize = %v, want %v", err, c.want)
			}
		})
	}
}

func TestValidNames(t *testing.T) {
	for _, c := range []struct {
		kind, name string
		ok         bool
	}{
		{"tenant", "acme", true},
		{"tenant", "0-a_b", true},
		{"tenant", "Acme", false},
		{"tenant", "-acme", false},
		{"tenant", "a.b", false},
		{"tenant", "", false},
		{"tenant", "a" + string(make([]byte, 64)), false},
		{"collection", "Lead__c", true},
		{"collection", "_x", true},
		{"collection", "9x", false},
		{"collection", "a.b", false},
		{"collection", `a"); drop table x;--`, false},
		{"field", "a.b.c", true},
		{"field", "$where", false},
		{"field", "a..b", false},
		{"field", "a.", false},
		{"field", "a.b.c.d.e.f.g.h", true},
		{"field", "a.b.c.d.e.f.g.h.i", false},
	} {
		t.Run(c.kind+" "+c.name, func(t *testing.T) {
			var err error
			switch c.kind {
			case "tenant":
				err = store.ValidTenant(c.name)
			case "collection":
				err = store.ValidCollection(c.name)
			default:
				err = store.ValidField(c.name)
			}
			if c.ok && err != nil {
				t.Fatalf("valid name refused: %v", err)
			}
			if !c.ok && !errors.Is(err, store.ErrInvalidName) {
				t.Fatalf("got %v, want ErrInvalidName", err)
			}
		})
	}
}

func TestFullSort_appendsIDUnlessLast(t *testing.T) {
	id := store.SortKey{Field: "id"}
	for _, c := range []struct {
		name string
		in   []store.SortKey
		want []store.SortKey
	}{
		{"empty", nil, []store.SortKey{id}},
		{"one key", []store.SortKey{{Field: "a", Desc: true}}, []store.SortKey{{Field: "a", Desc: true}, id}},
		{"already ends with id", []store.SortKey{{Field: "a"}, {Field: "id", Desc: true}}, []store.SortKey{{Field: "a"}, {Field: "id", Desc: true}}},
		{"id not last", []store.SortKey{{Field: "id"}, {Field: "a"}}, []store.SortKey{{Field: "id"}, {Field: "a"}, id}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := store.FullSort(c.in); !reflect.DeepEqual(got, c.want) {
				t.Errorf("FullSort = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAfterFilter_selectsExactlyTheDocumentsAfterEachPosition(t *testing.T) {
	rnd := rand.New(rand.NewSource(2))
	docs := genDocs(rnd, 80)
	for _, sort := range [][]store.SortKey{
		nil,
		{{Field: "id", Desc: true}},
		{{Field: "n"}},
		{{Field: "n", Desc: true}},
		{{Field: "s"}, {Field: "n", Desc: true}},
		{{Field: "s", Desc: true}, {Field: "b"}},
		{{Field: "b", Desc: true}, {Field: "nested.x"}, {Field: "s", Desc: true}},
		{{Field: "absent"}, {Field: "n"}},
	} {
		t.Run(fmt.Sprint(sort), func(t *testing.T) {
			full := store.FullSort(sort)
			ordered := sortDocs(docs, full)
			for i, d := range ordered {
				f, err := store.AfterFilter(full, store.KeysetOf(full, d))
				if err != nil {
					t.Fatalf("AfterFilter after %v: %v", d["id"], err)
				}
				var got []string
				for _, o := range ordered {
					if store.Match(f, o) {
						got = append(got, o["id"].(string))
					}
				}
				want := idsOf(ordered[i+1:])
				if !slices.Equal(got, want) {
					t.Fatalf("after %v (position %d) the filter %#v selects %v, want %v", d["id"], i, f, got, want)
				}
			}
		})
	}
}

func TestAfterFilter_leadsWithAnIndexableBound(t *testing.T) {
	f, err := store.AfterFilter([]store.SortKey{{Field: "a"}, {Field: "id"}}, []any{int64(5), "x"})
	if err != nil {
		t.Fatal(err)
	}
	and, ok := f.(store.And)
	if !ok || len(and) != 2 || !reflect.DeepEqual(and[0], store.Cmp{Field: "a", Op: store.OpGte, Value: int64(5)}) {
		t.Errorf("AfterFilter = %#v, want And{a >= 5, ...}", f)
	}
}

func TestAfterFilter_acceptsJSONDecodedValues(t *testing.T) {
	sort := store.FullSort([]store.SortKey{{Field: "n"}})
	f, err := store.AfterFilter(sort, []any{json.Number("2"), "id5"})
	if err != nil {
		t.Fatal(err)
	}
	if !store.Match(f, store.Doc{"id": "id6", "n": int64(2)}) || store.Match(f, store.Doc{"id": "id4", "n": 2.0}) {
		t.Errorf("the filter %#v does not treat json.Number 2 as the number 2", f)
	}
}

func TestAfterFilter_rejectsBadCursors(t *testing.T) {
	sort := store.FullSort([]store.SortKey{{Field: "a"}})
	for name, after := range map[string][]any{
		"nil":            nil,
		"too short":      {"x"},
		"too long":       {"x", "y", "z"},
		"map value":      {map[string]any{"$gt": 1}, "id"},
		"slice value":    {[]any{1}, "id"},
		"NaN":            {math.NaN(), "id"},
		"numeric id":     {"x", int64(1)},
		"empty id":       {"x", ""},
		"null id":        {"x", nil},
		"struct as a id": {"x", struct{}{}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := store.AfterFilter(sort, after)
			if !errors.Is(err, store.ErrBadCursor) {
				t.Fatalf("AfterFilter(%#v) = %v, want ErrBadCursor", after, err)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	doc := store.Doc{"a": int64(1), "m": map[string]any{"b": map[string]any{"c": "deep"}}, "s": "flat"}
	for path, want := range map[string]any{
		"a": int64(1), "m.b.c": "deep", "missing": nil, "m.missing": nil, "s.x": nil, "a.b": nil,
	} {
		if got := store.Lookup(doc, path); !reflect.DeepEqual(got, want) {
			t.Errorf("Lookup(%q) = %#v, want %#v", path, got, want)
		}
	}
}

func TestDuplicateError_namesTheFieldAndIsErrDuplicate(t *testing.T) {
	cause := errors.New("UNIQUE constraint failed")
	err := store.DuplicateError("email", cause)
	if !errors.Is(err, store.ErrDuplicate) || !errors.Is(err, cause) {
		t.Fatalf("DuplicateError = %v, want ErrDuplicate wrapping the cause", err)
	}
	e := errs.As(err)
	if len(e.Fields) != 1 || e.Fields[0].Field != "email" || e.Kind != errs.Conflict {
		t.Errorf("DuplicateError fields %+v kind %v", e.Fields, e.Kind)
	}
	if len(store.ErrDuplicate.Fields) != 0 {
		t.Errorf("DuplicateError changed the sentinel: %+v", store.ErrDuplicate.Fields)
	}
}

func TestCapabilitiesHas(t *testing.T) {
	c := store.Capabilities{AggregateMeasures: []store.Op{store.OpCount, store.OpSum}}
	if !c.Has(store.OpSum) || c.Has(store.OpAvg) {
		t.Errorf("Has is wrong for %v", c.AggregateMeasures)
	}
}

// genDocs returns documents whose fields are absent a quarter of the time and
// drawn from small pools (with int64 and float64 numbers mixed).
func genDocs(rnd *rand.Rand, n int) []store.Doc {
	docs := make([]store.Doc, n)
	for i := range docs {
		d := store.Doc{"id": fmt.Sprintf("d%03d", rnd.Intn(1000)*1000+i)}
		if rnd.Intn(4) > 0 {
			d["n"] = []any{int64(-1), int64(0), int64(1), 1.0, 1.5, int64(2)}[rnd.Intn(6)]
		}
		if rnd.Intn(4) > 0 {
			d["s"] = []string{"a", "A", "ab", "b%", "", "é"}[rnd.Intn(6)]
		}
		if rnd.Intn(4) > 0 {
			d["b"] = rnd.Intn(2) == 0
		}
		if rnd.Intn(4) > 0 {
			d["nested"] = map[string]any{"x": int64(rnd.Intn(3))}
		}
		docs[i] = d
	}
	return docs
}

func genFilter(rnd *rand.Rand, depth int) store.Filter {
	if depth > 0 && rnd.Intn(2) == 0 {
		kids := make([]store.Filter, rnd.Intn(3))
		for i := range kids {
			kids[i] = genFilter(rnd, depth-1)
		}
		switch rnd.Intn(3) {
		case 0:
			return store.And(kids)
		case 1:
			return store.Or(kids)
		default:
			return store.Not{F: genFilter(rnd, depth-1)}
		}
	}
	ops := []store.CmpOp{store.OpEq, store.OpNe, store.OpLt, store.OpLte, store.OpGt, store.OpGte}
	field := []string{"n", "nested.x", "absent"}[rnd.Intn(3)]
	num := []any{int64(0), int64(1), 1.5, int64(2)}[rnd.Intn(4)]
	switch rnd.Intn(5) {
	case 0:
		return store.Cmp{Field: field, Op: ops[rnd.Intn(len(ops))], Value: num}
	case 1:
		return store.Cmp{Field: "s", Op: ops[rnd.Intn(len(ops))], Value: []string{"a", "b", ""}[rnd.Intn(3)]}
	case 2:
		return store.In{Field: field, Values: []any{num, int64(rnd.Intn(3))}[:rnd.Intn(3)], Not: rnd.Intn(2) == 0}
	case 3:
		return store.Like{Field: "s", Pattern: []string{"a%", "_", `b\%`, "%"}[rnd.Intn(4)], Not: rnd.Intn(2) == 0}
	default:
		return store.Null{Field: []string{"s", "b", field}[rnd.Intn(3)], Not: rnd.Intn(2) == 0}
	}
}

func hasNot(f store.Filter) bool {
	switch f := f.(type) {
	case store.Not:
		return true
	case store.And:
		return slices.ContainsFunc(f, hasNot)
	case store.Or:
		return slices.ContainsFunc(f, hasNot)
	}
	return false
}

// sortDocs orders docs by a full sort with nulls first ascending and last
// descending, written independently of AfterFilter.
func sortDocs(docs []store.Doc, full []store.SortKey) []store.Doc {
	out := slices.Clone(docs)
	slices.SortFunc(out, func(a, b store.Doc) int {
		for _, k := range full {
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
	})
	return out
}

func idsOf(docs []store.Doc) []string {
	out := []string{}
	for _, d := range docs {
		out = append(out, d["id"].(string))
	}
	return out
}
