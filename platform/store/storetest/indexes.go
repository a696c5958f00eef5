package storetest

import (
	"reflect"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// wantIndexes fails the test unless the collection's indexes equal want
// (which is in name order).
func (e *env) wantIndexes(t *testing.T, coll string, want []store.Index) {
	t.Helper()
	got, err := e.s.Indexes(e.ctx, e.tenant, coll)
	noErr(t, "Indexes", err)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Indexes = %+v\nwant %+v", got, want)
	}
}

func indexCases() []testCase {
	byEmail := store.Index{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true}
	byOwner := store.Index{Name: "by_owner", Keys: []store.IndexKey{{Field: "owner"}, {Field: "createdAt", Desc: true}}}
	byOwnerChanged := store.Index{Name: "by_owner", Keys: []store.IndexKey{{Field: "owner"}, {Field: "status"}}}
	byCity := store.Index{Name: "a_city", Keys: []store.IndexKey{{Field: "address.city"}}}
	return []testCase{
		{"a new collection has no secondary indexes", func(t *testing.T, e *env) {
			e.ensure(t, "leads")
			e.wantIndexes(t, "leads", nil)
		}},
		{"sync creates lists changes and drops indexes", func(t *testing.T, e *env) {
			e.ensure(t, "leads")
			e.insert(t, "leads", store.Doc{"id": "l1", "email": "a@x", "owner": "u1", "address": map[string]any{"city": "Oslo"}})
			noErr(t, "SyncIndexes create", e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{byOwner, byEmail, byCity}))
			e.wantIndexes(t, "leads", []store.Index{byCity, byEmail, byOwner})
			noErr(t, "SyncIndexes again", e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{byCity, byEmail, byOwner}))
			e.wantIndexes(t, "leads", []store.Index{byCity, byEmail, byOwner})

			noErr(t, "SyncIndexes change", e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{byEmail, byOwnerChanged}))
			e.wantIndexes(t, "leads", []store.Index{byEmail, byOwnerChanged})

			_, err := e.s.Insert(e.ctx, e.tenant, "leads", store.Doc{"id": "l2", "email": "a@x"})
			wantErr(t, "duplicate under the unique index", err, store.ErrDuplicate)

			emailNotUnique := store.Index{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}}
			noErr(t, "SyncIndexes unique to plain", e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{emailNotUnique}))
			e.wantIndexes(t, "leads", []store.Index{emailNotUnique})
			e.insert(t, "leads", store.Doc{"id": "l2", "email": "a@x"})

			noErr(t, "SyncIndexes drop all", e.s.SyncIndexes(e.ctx, e.tenant, "leads", nil))
			e.wantIndexes(t, "leads", nil)
			if n, err := e.s.Count(e.ctx, e.tenant, "leads", store.Eq("email", "a@x")); err != nil || n != 2 {
				t.Errorf("documents after index changes: Count = %d, %v; want 2", n, err)
			}
		}},
		{"an indexed field still answers queries with null semantics", func(t *testing.T, e *env) {
			e.ensure(t, "leads")
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{byOwner, byCity}))
			docs := []store.Doc{
				{"id": "a", "owner": "u1", "createdAt": "2026-01-02T00:00:00.000Z", "address": map[string]any{"city": "Oslo"}},
				{"id": "b", "owner": "u1"},
				{"id": "c", "owner": "u2", "createdAt": "2026-01-01T00:00:00.000Z"},
				{"id": "d", "createdAt": "2026-01-03T00:00:00.000Z", "address": map[string]any{"city": "Bergen"}},
			}
			e.insert(t, "leads", docs...)
			for _, f := range []store.Filter{
				store.Eq("owner", "u1"),
				store.Cmp{Field: "owner", Op: store.OpNe, Value: "u1"},
				store.And{store.Eq("owner", "u1"), store.Cmp{Field: "createdAt", Op: store.OpGt, Value: "2026-01-01"}},
				store.Null{Field: "address.city"},
				store.Eq("address.city", "Oslo"),
			} {
				checkFilter(t, e, "leads", docs, f)
			}
		}},
		{"unique index over duplicate values fails and keeps the old set", func(t *testing.T, e *env) {
			e.ensure(t, "leads")
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{byOwner}))
			e.insert(t, "leads",
				store.Doc{"id": "l1", "email": "same@x", "owner": "u1"},
				store.Doc{"id": "l2", "email": "same@x", "owner": "u2"},
			)
			err := e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{byEmail, byCity})
			wantErr(t, "SyncIndexes with a unique index over duplicates", err, store.ErrDuplicate)
			e.wantIndexes(t, "leads", []store.Index{byOwner})
			e.insert(t, "leads", store.Doc{"id": "l3", "email": "same@x"})
		}},
		{"unique index over several fields", func(t *testing.T, e *env) {
			e.ensure(t, "leads")
			pair := store.Index{Name: "by_pair", Keys: []store.IndexKey{{Field: "a"}, {Field: "b"}}, Unique: true}
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "leads", []store.Index{pair}))
			e.insert(t, "leads",
				store.Doc{"id": "1", "a": "x", "b": int64(1)},
				store.Doc{"id": "2", "a": "x", "b": int64(2)},
				store.Doc{"id": "3", "a": "y", "b": int64(1)},
			)
			_, err := e.s.Insert(e.ctx, e.tenant, "leads", store.Doc{"id": "4", "a": "x", "b": int64(2)})
			wantErr(t, "Insert of a duplicate pair", err, store.ErrDuplicate)
			e.wantIndexes(t, "leads", []store.Index{pair})
		}},
	}
}
