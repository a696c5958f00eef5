package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// referenceOrder sorts docs by the full sort order (sort plus id) with the
// port's rules: nulls first ascending, last descending.
func referenceOrder(docs []store.Doc, sort []store.SortKey) []store.Doc {
	full := store.FullSort(sort)
	out := slices.Clone(docs)
	slices.SortStableFunc(out, func(a, b store.Doc) int {
		for _, k := range full {
			c := compareNullsFirst(store.Lookup(a, k.Field), store.Lookup(b, k.Field))
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

func compareNullsFirst(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	c, _ := store.Compare(a, b)
	return c
}

// pagingDocs returns n documents with many duplicate and absent sort keys.
func pagingDocs(rnd *rand.Rand, n int) []store.Doc {
	docs := make([]store.Doc, n)
	perm := rnd.Perm(n)
	for i := range docs {
		d := store.Doc{"id": fmt.Sprintf("p%04d", perm[i])}
		if rnd.Intn(5) > 0 {
			d["grp"] = pick(rnd, []any{"a", "b", "c"})
		}
		if rnd.Intn(5) > 0 {
			d["n"] = pick(rnd, []any{int64(-1), int64(0), int64(1), 1.5, int64(2), int64(3), 2.5})
		}
		if rnd.Intn(5) > 0 {
			d["s"] = fmt.Sprintf("s%02d", rnd.Intn(15))
		}
		if rnd.Intn(5) > 0 {
			d["b"] = rnd.Intn(2) == 0
		}
		if rnd.Intn(5) > 0 {
			d["when"] = fmt.Sprintf("2026-%02d-%02dT10:00:00.000Z", 1+rnd.Intn(3), 1+rnd.Intn(28))
		}
		d["nested"] = map[string]any{"k": int64(rnd.Intn(6))}
		docs[i] = d
	}
	return docs
}

func findCases() []testCase {
	return []testCase{
		{"keyset paging returns every document once in the reference order", func(t *testing.T, e *env) {
			docs := pagingDocs(rand.New(rand.NewSource(3)), 120)
			e.ensure(t, "rows")
			e.insert(t, "rows", docs...)
			orders := []struct {
				name string
				sort []store.SortKey
			}{
				{"by id only", nil},
				{"by id descending", []store.SortKey{{Field: "id", Desc: true}}},
				{"string ascending with nulls", []store.SortKey{{Field: "s"}}},
				{"string descending with nulls", []store.SortKey{{Field: "s", Desc: true}}},
				{"mixed numbers ascending", []store.SortKey{{Field: "n"}}},
				{"mixed numbers descending", []store.SortKey{{Field: "n", Desc: true}}},
				{"bool then number descending", []store.SortKey{{Field: "b"}, {Field: "n", Desc: true}}},
				{"group then datetime descending then string", []store.SortKey{{Field: "grp"}, {Field: "when", Desc: true}, {Field: "s"}}},
				{"descending group then ascending number", []store.SortKey{{Field: "grp", Desc: true}, {Field: "n"}}},
				{"nested path", []store.SortKey{{Field: "nested.k", Desc: true}}},
				{"field no document has", []store.SortKey{{Field: "nowhere"}}},
			}
			for _, o := range orders {
				for _, size := range []int{7, 50} {
					t.Run(fmt.Sprintf("%s pages of %d", o.name, size), func(t *testing.T) {
						want := ids(referenceOrder(docs, o.sort))
						got := ids(e.findAll(t, "rows", nil, o.sort, size))
						if !equalStrings(got, want) {
							t.Errorf("paged ids\n%v\nwant\n%v", got, want)
						}
					})
				}
			}
		}},
		{"keyset paging with a filter", func(t *testing.T, e *env) {
			docs := pagingDocs(rand.New(rand.NewSource(4)), 100)
			e.ensure(t, "rows")
			e.insert(t, "rows", docs...)
			f := store.Or{store.Cmp{Field: "grp", Op: store.OpNe, Value: "a"}, store.Cmp{Field: "n", Op: store.OpGte, Value: int64(1)}}
			sort := []store.SortKey{{Field: "n", Desc: true}, {Field: "s"}}
			var matching []store.Doc
			for _, d := range docs {
				if store.Match(f, d) {
					matching = append(matching, d)
				}
			}
			want := ids(referenceOrder(matching, sort))
			if got := ids(e.findAll(t, "rows", f, sort, 6)); !equalStrings(got, want) {
				t.Errorf("paged ids\n%v\nwant\n%v", got, want)
			}
		}},
		{"Next is the keyset of the last item and survives JSON", func(t *testing.T, e *env) {
			docs := pagingDocs(rand.New(rand.NewSource(5)), 30)
			e.ensure(t, "rows")
			e.insert(t, "rows", docs...)
			sort := []store.SortKey{{Field: "n"}, {Field: "when", Desc: true}}
			full := store.FullSort(sort)
			want := ids(referenceOrder(docs, sort))
			var got []string
			var after []any
			for range 100 {
				p, err := e.s.Find(e.ctx, e.tenant, "rows", store.Query{Sort: sort, Limit: 4, After: after})
				noErr(t, "Find", err)
				got = append(got, ids(p.Items)...)
				if p.Next == nil {
					break
				}
				last := p.Items[len(p.Items)-1]
				keys := store.KeysetOf(full, last)
				if len(p.Next) != len(keys) {
					t.Fatalf("Next = %#v, want %d values", p.Next, len(keys))
				}
				for i := range keys {
					if compareNullsFirst(store.NormalizeValue(p.Next[i]), keys[i]) != 0 {
						t.Fatalf("Next = %#v, want the keyset of the last item %#v", p.Next, keys)
					}
				}
				raw, err := json.Marshal(p.Next)
				noErr(t, "marshal Next", err)
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				after = nil
				noErr(t, "unmarshal Next", dec.Decode(&after))
			}
			if !equalStrings(got, want) {
				t.Errorf("paged ids through JSON cursors\n%v\nwant\n%v", got, want)
			}
		}},
		{"paging continues correctly across concurrent inserts", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			for i := range 20 {
				e.insert(t, "rows", store.Doc{"id": fmt.Sprintf("r%02d", i), "k": fmt.Sprintf("k%02d", i*2)})
			}
			sort := []store.SortKey{{Field: "k"}}
			p, err := e.s.Find(e.ctx, e.tenant, "rows", store.Query{Sort: sort, Limit: 5})
			noErr(t, "first page", err)
			if got := ids(p.Items); !equalStrings(got, []string{"r00", "r01", "r02", "r03", "r04"}) {
				t.Fatalf("first page = %v", got)
			}
			// Before the cursor (k08 is the last key seen), at it with a
			// smaller id, at it with a larger id, and after it.
			e.insert(t, "rows",
				store.Doc{"id": "x-before", "k": "k03"},
				store.Doc{"id": "r00a", "k": "k08"},
				store.Doc{"id": "r04a", "k": "k08"},
				store.Doc{"id": "x-after", "k": "k09"},
				store.Doc{"id": "x-null"},
				store.Doc{"id": "x-last", "k": "k99"},
			)
			noErr(t, "Delete", e.s.Delete(e.ctx, e.tenant, "rows", "r06", 0))
			var rest []store.Doc
			after := p.Next
			for after != nil {
				p, err = e.s.Find(e.ctx, e.tenant, "rows", store.Query{Sort: sort, Limit: 5, After: after})
				noErr(t, "next page", err)
				rest = append(rest, p.Items...)
				after = p.Next
			}
			want := []string{"r04a", "x-after", "r05", "r07", "r08", "r09", "r10", "r11", "r12", "r13",
				"r14", "r15", "r16", "r17", "r18", "r19", "x-last"}
			if got := ids(rest); !equalStrings(got, want) {
				t.Errorf("later pages = %v\nwant %v", got, want)
			}
		}},
		{"a bad cursor is ErrBadCursor", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			e.insert(t, "rows", store.Doc{"id": "a", "k": "x"})
			sort := []store.SortKey{{Field: "k"}}
			for name, after := range map[string][]any{
				"too few values":  {"x"},
				"too many values": {"x", "a", "b"},
				"a map value":     {map[string]any{"$gt": ""}, "a"},
				"a slice value":   {[]any{"x"}, "a"},
				"a numeric id":    {"x", int64(5)},
				"an empty id":     {"x", ""},
				"a null id":       {"x", nil},
				"a struct value":  {struct{}{}, "a"},
			} {
				_, err := e.s.Find(e.ctx, e.tenant, "rows", store.Query{Sort: sort, After: after})
				wantErr(t, "Find after "+name, err, store.ErrBadCursor)
			}
		}},
		{"limit 0 returns a page of DefaultLimit", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			for i := range store.DefaultLimit + 3 {
				e.insert(t, "rows", store.Doc{"id": fmt.Sprintf("r%03d", i)})
			}
			p, err := e.s.Find(e.ctx, e.tenant, "rows", store.Query{})
			noErr(t, "Find", err)
			if len(p.Items) != store.DefaultLimit || p.Next == nil {
				t.Fatalf("Find without limit returned %d items, Next %v; want %d and a cursor", len(p.Items), p.Next, store.DefaultLimit)
			}
			p, err = e.s.Find(e.ctx, e.tenant, "rows", store.Query{After: p.Next})
			noErr(t, "Find", err)
			if len(p.Items) != 3 || p.Next != nil {
				t.Errorf("second page has %d items, Next %v; want 3 and none", len(p.Items), p.Next)
			}
		}},
		{"a page that ends the result has no Next", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			p, err := e.s.Find(e.ctx, e.tenant, "rows", store.Query{Limit: 5})
			noErr(t, "Find in an empty collection", err)
			if len(p.Items) != 0 || p.Next != nil {
				t.Errorf("empty collection: %d items, Next %v", len(p.Items), p.Next)
			}
			for i := range 10 {
				e.insert(t, "rows", store.Doc{"id": fmt.Sprintf("r%02d", i)})
			}
			p, err = e.s.Find(e.ctx, e.tenant, "rows", store.Query{Limit: 5})
			noErr(t, "first page", err)
			if p.Next == nil {
				t.Fatal("first of two full pages has no Next")
			}
			p, err = e.s.Find(e.ctx, e.tenant, "rows", store.Query{Limit: 5, After: p.Next})
			noErr(t, "second page", err)
			if len(p.Items) != 5 || p.Next != nil {
				t.Errorf("exactly full last page: %d items, Next %v; want 5 and none", len(p.Items), p.Next)
			}
			p, err = e.s.Find(e.ctx, e.tenant, "rows", store.Query{Limit: 1000})
			noErr(t, "big page", err)
			if len(p.Items) != 10 || p.Next != nil {
				t.Errorf("limit above the count: %d items, Next %v", len(p.Items), p.Next)
			}
		}},
		{"projection keeps id and version and whole documents otherwise", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			full := store.Doc{"id": "a", "x": "1", "y": int64(2), "z": map[string]any{"q": true}}
			e.insert(t, "rows", full)
			p, err := e.s.Find(e.ctx, e.tenant, "rows", store.Query{Fields: []string{"y", "z"}})
			noErr(t, "Find", err)
			want := store.Doc{"id": "a", "version": int64(1), "y": int64(2), "z": map[string]any{"q": true}}
			if len(p.Items) != 1 || !sameDoc(p.Items[0], want) {
				t.Errorf("projected Find = %#v, want %#v", p.Items, want)
			}
			p, err = e.s.Find(e.ctx, e.tenant, "rows", store.Query{})
			noErr(t, "Find", err)
			full["version"] = int64(1)
			if len(p.Items) != 1 || !sameDoc(p.Items[0], full) {
				t.Errorf("Find = %#v, want %#v", p.Items, full)
			}
		}},
		{"sort by a projected-out field still pages", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			for i := range 9 {
				e.insert(t, "rows", store.Doc{"id": fmt.Sprintf("r%d", i), "k": int64(9 - i), "v": "x"})
			}
			var got []string
			var after []any
			for range 10 {
				p, err := e.s.Find(e.ctx, e.tenant, "rows", store.Query{
					Sort: []store.SortKey{{Field: "k"}}, Limit: 4, After: after, Fields: []string{"v"}})
				noErr(t, "Find", err)
				got = append(got, ids(p.Items)...)
				if after = p.Next; after == nil {
					break
				}
			}
			want := []string{"r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"}
			if !equalStrings(got, want) {
				t.Errorf("ids = %v, want %v", got, want)
			}
		}},
	}
}

func countCases() []testCase {
	return []testCase{
		{"counts all or the matching documents", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			n, err := e.s.Count(e.ctx, e.tenant, "rows", nil)
			noErr(t, "Count of an empty collection", err)
			if n != 0 {
				t.Errorf("empty Count = %d", n)
			}
			docs := filterDocs()
			e.insert(t, "rows", docs...)
			for name, f := range map[string]store.Filter{
				"nil":        nil,
				"empty and":  store.And{},
				"empty or":   store.Or{},
				"status new": store.Eq("status", "new"),
				"not new":    store.Cmp{Field: "status", Op: store.OpNe, Value: "new"},
			} {
				want := 0
				for _, d := range docs {
					if store.Match(f, d) {
						want++
					}
				}
				n, err := e.s.Count(e.ctx, e.tenant, "rows", f)
				noErr(t, "Count "+name, err)
				if n != int64(want) {
					t.Errorf("Count(%s) = %d, want %d", name, n, want)
				}
			}
		}},
	}
}

func deleteManyCases() []testCase {
	return []testCase{
		{"removes the matching documents and reports how many", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			docs := filterDocs()
			e.insert(t, "rows", docs...)
			f := store.Cmp{Field: "status", Op: store.OpNe, Value: "new"}
			var want []string
			for _, d := range docs {
				if !store.Match(f, d) {
					want = append(want, d["id"].(string))
				}
			}
			n, err := e.s.DeleteMany(e.ctx, e.tenant, "rows", f)
			noErr(t, "DeleteMany", err)
			if n != int64(len(docs)-len(want)) {
				t.Errorf("DeleteMany reported %d, want %d", n, len(docs)-len(want))
			}
			if got := ids(e.findAll(t, "rows", nil, nil, 100)); !equalStrings(got, want) {
				t.Errorf("left %v, want %v", got, want)
			}
			n, err = e.s.DeleteMany(e.ctx, e.tenant, "rows", store.Or{})
			noErr(t, "DeleteMany of nothing", err)
			if n != 0 {
				t.Errorf("DeleteMany(empty OR) reported %d", n)
			}
		}},
		{"a nil filter removes everything", func(t *testing.T, e *env) {
			e.ensure(t, "rows")
			e.insert(t, "rows", filterDocs()...)
			n, err := e.s.DeleteMany(e.ctx, e.tenant, "rows", nil)
			noErr(t, "DeleteMany", err)
			if n != int64(len(filterDocs())) {
				t.Errorf("DeleteMany(nil) reported %d, want %d", n, len(filterDocs()))
			}
			if c, _ := e.s.Count(e.ctx, e.tenant, "rows", nil); c != 0 {
				t.Errorf("Count after DeleteMany(nil) = %d", c)
			}
			e.insert(t, "rows", store.Doc{"id": "d01"})
		}},
	}
}
