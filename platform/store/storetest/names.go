package storetest

import (
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// injections returns names that would do harm if an adapter pasted them into
// a query, plus plainly malformed ones.
func injections() []string {
	return []string{
		`a"); drop table x;--`,
		`$where`,
		`a'; DELETE FROM t; --`,
		``,
		`9lives`,
		`has space`,
		`x]`,
		`$set`,
	}
}

func nameCases() []testCase {
	return []testCase{
		{"invalid tenant names are ErrInvalidName everywhere", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "keep"})
			for _, bad := range append([]string{`UPPER`, `../etc`, `a.b`, `-x`}, injections()...) {
				if store.ValidTenant(bad) == nil {
					continue
				}
				for name, call := range docCalls(e, bad, "things") {
					wantErr(t, name+" with tenant "+bad, call(), store.ErrInvalidName)
				}
				_, err := e.s.Collections(e.ctx, bad)
				wantErr(t, "Collections with tenant "+bad, err, store.ErrInvalidName)
				_, err = e.s.NextSequence(e.ctx, bad, "seq")
				wantErr(t, "NextSequence with tenant "+bad, err, store.ErrInvalidName)
				wantErr(t, "DropTenant "+bad, e.s.DropTenant(e.ctx, bad), store.ErrInvalidName)
			}
			e.get(t, "things", "keep")
		}},
		{"invalid collection names are ErrInvalidName everywhere", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "keep"})
			for _, bad := range append([]string{`a.b`, `a-b`, `system.users`}, injections()...) {
				wantErr(t, "EnsureCollection "+bad, e.s.EnsureCollection(e.ctx, e.tenant, bad), store.ErrInvalidName)
				wantErr(t, "DropCollection "+bad, e.s.DropCollection(e.ctx, e.tenant, bad), store.ErrInvalidName)
				for name, call := range docCalls(e, e.tenant, bad) {
					wantErr(t, name+" on collection "+bad, call(), store.ErrInvalidName)
				}
			}
			e.get(t, "things", "keep")
		}},
		{"invalid field names in queries are ErrInvalidName", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "keep"})
			for _, bad := range append([]string{`a..b`, `a.`, `.a`, `a.$b`}, injections()...) {
				calls := map[string]func() error{
					"Find filter": func() error {
						_, err := e.s.Find(e.ctx, e.tenant, "things", store.Query{Filter: store.Eq(bad, "x")})
						return err
					},
					"Find Like": func() error {
						_, err := e.s.Find(e.ctx, e.tenant, "things", store.Query{Filter: store.Like{Field: bad, Pattern: "%"}})
						return err
					},
					"Find sort": func() error {
						_, err := e.s.Find(e.ctx, e.tenant, "things", store.Query{Sort: []store.SortKey{{Field: bad}}})
						return err
					},
					"Find fields": func() error {
						_, err := e.s.Find(e.ctx, e.tenant, "things", store.Query{Fields: []string{bad}})
						return err
					},
					"Get fields": func() error {
						_, err := e.s.Get(e.ctx, e.tenant, "things", "keep", []string{bad})
						return err
					},
					"Count filter": func() error {
						_, err := e.s.Count(e.ctx, e.tenant, "things", store.In{Field: bad, Values: []any{"x"}})
						return err
					},
					"DeleteMany filter": func() error {
						_, err := e.s.DeleteMany(e.ctx, e.tenant, "things", store.Null{Field: bad})
						return err
					},
					"Aggregate group": func() error {
						_, err := e.s.Aggregate(e.ctx, e.tenant, "things", store.AggregateQuery{
							GroupBy: []store.Group{{Field: bad}}, Measures: []store.Measure{{Op: store.OpCount}}})
						return err
					},
					"Aggregate measure": func() error {
						_, err := e.s.Aggregate(e.ctx, e.tenant, "things", store.AggregateQuery{
							Measures: []store.Measure{{Op: store.OpSum, Field: bad}}})
						return err
					},
					"SyncIndexes key": func() error {
						return e.s.SyncIndexes(e.ctx, e.tenant, "things", []store.Index{{Name: "ok", Keys: []store.IndexKey{{Field: bad}}}})
					},
					"SyncIndexes name": func() error {
						return e.s.SyncIndexes(e.ctx, e.tenant, "things", []store.Index{{Name: bad, Keys: []store.IndexKey{{Field: "a"}}}})
					},
				}
				for name, call := range calls {
					wantErr(t, name+" "+bad, call(), store.ErrInvalidName)
				}
			}
			if n, err := e.s.Count(e.ctx, e.tenant, "things", nil); err != nil || n != 1 {
				t.Fatalf("after the attempts Count = %d, %v; want 1", n, err)
			}
			idx, err := e.s.Indexes(e.ctx, e.tenant, "things")
			noErr(t, "Indexes", err)
			if len(idx) != 0 {
				t.Errorf("refused SyncIndexes left indexes %+v", idx)
			}
		}},
		{"malformed filters are ErrInvalidQuery", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			for name, f := range map[string]store.Filter{
				"map value":       store.Eq("a", map[string]any{"$gt": ""}),
				"slice value":     store.Eq("a", []any{"x"}),
				"nil value":       store.Cmp{Field: "a", Op: store.OpEq},
				"unknown op":      store.Cmp{Field: "a", Op: "$regex", Value: ".*"},
				"not without arg": store.Not{},
				"in with a map":   store.In{Field: "a", Values: []any{map[string]any{"$ne": 1}}},
			} {
				_, err := e.s.Find(e.ctx, e.tenant, "things", store.Query{Filter: f})
				wantErr(t, "Find with "+name, err, store.ErrInvalidQuery)
			}
		}},
	}
}

// docCalls returns a call of every collection-level method on tenant and
// coll, for the name and unknown-collection cases.
func docCalls(e *env, tenant, coll string) map[string]func() error {
	ctx := e.ctx
	s := e.s
	return map[string]func() error{
		"Insert": func() error {
			_, err := s.Insert(ctx, tenant, coll, store.Doc{"id": "new", "a": "x"})
			return err
		},
		"Get": func() error {
			_, err := s.Get(ctx, tenant, coll, "keep", nil)
			return err
		},
		"Update": func() error {
			_, err := s.Update(ctx, tenant, coll, store.Doc{"id": "keep", "a": "y"}, 0)
			return err
		},
		"Delete": func() error { return s.Delete(ctx, tenant, coll, "keep", 0) },
		"DeleteMany": func() error {
			_, err := s.DeleteMany(ctx, tenant, coll, nil)
			return err
		},
		"Find": func() error {
			_, err := s.Find(ctx, tenant, coll, store.Query{})
			return err
		},
		"Count": func() error {
			_, err := s.Count(ctx, tenant, coll, nil)
			return err
		},
		"Aggregate": func() error {
			_, err := s.Aggregate(ctx, tenant, coll, store.AggregateQuery{Measures: []store.Measure{{Op: store.OpCount}}})
			return err
		},
		"SyncIndexes": func() error {
			return s.SyncIndexes(ctx, tenant, coll, []store.Index{{Name: "by_a", Keys: []store.IndexKey{{Field: "a"}}}})
		},
		"Indexes": func() error {
			_, err := s.Indexes(ctx, tenant, coll)
			return err
		},
	}
}

func collectionCases() []testCase {
	return []testCase{
		{"every operation on a never-ensured collection is ErrUnknownCollection", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			for name, call := range docCalls(e, e.tenant, "ghosts") {
				wantErr(t, name+" on a never-ensured collection", call(), store.ErrUnknownCollection)
			}
			for name, call := range docCalls(e, e.other, "things") {
				wantErr(t, name+" in a tenant that never ensured it", call(), store.ErrUnknownCollection)
			}
			got, err := e.s.Collections(e.ctx, e.tenant)
			noErr(t, "Collections", err)
			if len(got) != 1 || got[0] != "things" {
				t.Errorf("failed calls created collections: %v", got)
			}
		}},
		{"ensure is idempotent and keeps the documents", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "a"})
			e.ensure(t, "things")
			e.get(t, "things", "a")
		}},
		{"collections are listed in name order without internal ones", func(t *testing.T, e *env) {
			got, err := e.s.Collections(e.ctx, e.tenant)
			noErr(t, "Collections of an unknown tenant", err)
			if len(got) != 0 {
				t.Errorf("Collections of a new tenant = %v, want none", got)
			}
			for _, c := range []string{"zeta", "Alpha", "beta", "_under", "beta"} {
				e.ensure(t, c)
			}
			_, err = e.s.NextSequence(e.ctx, e.tenant, "invoice")
			noErr(t, "NextSequence", err)
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "beta", []store.Index{{Name: "by_x", Keys: []store.IndexKey{{Field: "x"}}}}))
			got, err = e.s.Collections(e.ctx, e.tenant)
			noErr(t, "Collections", err)
			want := []string{"Alpha", "_under", "beta", "zeta"}
			if !equalStrings(got, want) {
				t.Errorf("Collections = %v, want %v", got, want)
			}
		}},
		{"drop removes documents and indexes and is idempotent", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.ensure(t, "others")
			e.insert(t, "things", store.Doc{"id": "a", "x": int64(1)})
			e.insert(t, "others", store.Doc{"id": "a"})
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "things", []store.Index{
				{Name: "by_x", Keys: []store.IndexKey{{Field: "x"}}, Unique: true}}))
			noErr(t, "DropCollection", e.s.DropCollection(e.ctx, e.tenant, "things"))
			_, err := e.s.Get(e.ctx, e.tenant, "things", "a", nil)
			wantErr(t, "Get in a dropped collection", err, store.ErrUnknownCollection)
			noErr(t, "second DropCollection", e.s.DropCollection(e.ctx, e.tenant, "things"))
			noErr(t, "DropCollection of a never-ensured one", e.s.DropCollection(e.ctx, e.tenant, "ghosts"))
			noErr(t, "DropCollection in an unknown tenant", e.s.DropCollection(e.ctx, e.other, "ghosts"))
			e.ensure(t, "things")
			if n, err := e.s.Count(e.ctx, e.tenant, "things", nil); err != nil || n != 0 {
				t.Errorf("re-created collection Count = %d, %v; want 0", n, err)
			}
			idx, err := e.s.Indexes(e.ctx, e.tenant, "things")
			noErr(t, "Indexes", err)
			if len(idx) != 0 {
				t.Errorf("re-created collection has indexes %+v", idx)
			}
			e.insert(t, "things", store.Doc{"id": "b", "x": int64(1)}, store.Doc{"id": "c", "x": int64(1)})
			e.get(t, "others", "a")
			got, err := e.s.Collections(e.ctx, e.tenant)
			noErr(t, "Collections", err)
			if !equalStrings(got, []string{"others", "things"}) {
				t.Errorf("Collections = %v", got)
			}
		}},
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
