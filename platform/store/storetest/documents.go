package storetest

import (
	"encoding/json"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

func basicCases() []testCase {
	return []testCase{
		{"ping answers", func(t *testing.T, e *env) {
			noErr(t, "Ping", e.s.Ping(e.ctx))
		}},
		{"capabilities name the backend and include count", func(t *testing.T, e *env) {
			if e.caps.Name == "" {
				t.Fatal("Capabilities().Name is empty")
			}
			if !e.caps.Has(store.OpCount) {
				t.Fatalf("%s: AggregateMeasures %v lack count, which is always there", e.caps.Name, e.caps.AggregateMeasures)
			}
		}},
	}
}

func insertCases() []testCase {
	return []testCase{
		{"round trip keeps every value type", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			doc := store.Doc{
				"id":      "a1",
				"int":     int64(42),
				"neg":     int64(-7),
				"big":     int64(9007199254740993), // 2^53+1: not representable as float64
				"float":   3.25,
				"true":    true,
				"false":   false,
				"str":     `quote " backslash \ unicode é ✓`,
				"empty":   "",
				"zero":    int64(0),
				"nested":  map[string]any{"city": "Oslo", "zip": int64(150), "deep": map[string]any{"x": 1.5}},
				"array":   []any{int64(1), "two", 3.5, false, map[string]any{"k": "v"}},
				"emptyMp": map[string]any{},
				"emptyAr": []any{},
			}
			got, err := e.s.Insert(e.ctx, e.tenant, "things", copyDoc(doc))
			noErr(t, "Insert", err)
			want := copyDoc(doc)
			want["version"] = int64(1)
			if !sameDoc(got, want) {
				t.Errorf("Insert returned\n%#v\nwant\n%#v", got, want)
			}
			if read := e.get(t, "things", "a1"); !sameDoc(read, want) {
				t.Errorf("Get returned\n%#v\nwant\n%#v", read, want)
			}
		}},
		{"integral float64 stays float64", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "f", "x": 3.0, "y": -0.0 + 100.0})
			got := e.get(t, "things", "f")
			for _, k := range []string{"x", "y"} {
				if _, ok := got[k].(float64); !ok {
					t.Errorf("%s = %#v (%T), want a float64", k, got[k], got[k])
				}
			}
		}},
		{"integer types and json.Number are normalised", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{
				"id": "n", "i": 5, "i32": int32(-3), "u8": uint8(200),
				"jn": json.Number("12"), "jf": json.Number("1.5"), "f32": float32(0.5),
			})
			want := store.Doc{"id": "n", "version": int64(1), "i": int64(5), "i32": int64(-3), "u8": int64(200),
				"jn": int64(12), "jf": 1.5, "f32": 0.5}
			if got := e.get(t, "things", "n"); !sameDoc(got, want) {
				t.Errorf("Get returned %#v, want %#v", got, want)
			}
		}},
		{"sets version 1 whatever the caller sent", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			got, err := e.s.Insert(e.ctx, e.tenant, "things", store.Doc{"id": "v", "version": int64(7), "a": "b"})
			noErr(t, "Insert", err)
			if got["version"] != int64(1) {
				t.Errorf("Insert returned version %#v, want int64 1", got["version"])
			}
			if v := e.get(t, "things", "v")["version"]; v != int64(1) {
				t.Errorf("stored version %#v, want int64 1", v)
			}
		}},
		{"nil fields are not stored", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "z", "gone": nil, "kept": "x"})
			got := e.get(t, "things", "z")
			if _, ok := got["gone"]; ok {
				t.Errorf("nil field stored: %#v", got)
			}
			n, err := e.s.Count(e.ctx, e.tenant, "things", store.Null{Field: "gone"})
			noErr(t, "Count IS NULL", err)
			if n != 1 {
				t.Errorf("Count(gone IS NULL) = %d, want 1", n)
			}
		}},
		{"missing or empty id is an invalid document", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			for _, d := range []store.Doc{{"a": int64(1)}, {"id": ""}, {"id": int64(5)}} {
				_, err := e.s.Insert(e.ctx, e.tenant, "things", d)
				wantErr(t, "Insert without a string id", err, store.ErrInvalidDocument)
			}
		}},
		{"duplicate id is ErrDuplicate naming id", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "d", "n": int64(1)})
			_, err := e.s.Insert(e.ctx, e.tenant, "things", store.Doc{"id": "d", "n": int64(2)})
			wantErr(t, "second Insert", err, store.ErrDuplicate)
			wantField(t, err, "id")
			if got := e.get(t, "things", "d"); got["n"] != int64(1) {
				t.Errorf("the first document changed: %#v", got)
			}
		}},
		{"duplicate unique index value is ErrDuplicate naming the field", func(t *testing.T, e *env) {
			e.ensure(t, "people")
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "people", []store.Index{
				{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true},
			}))
			e.insert(t, "people", store.Doc{"id": "p1", "email": "ann@example.com"})
			_, err := e.s.Insert(e.ctx, e.tenant, "people", store.Doc{"id": "p2", "email": "ann@example.com"})
			wantErr(t, "Insert of a duplicate email", err, store.ErrDuplicate)
			wantField(t, err, "email")
			_, err = e.s.Get(e.ctx, e.tenant, "people", "p2", nil)
			wantErr(t, "Get of the refused document", err, store.ErrNotFound)
			e.insert(t, "people", store.Doc{"id": "p3", "email": "bob@example.com"})
		}},
		{"unique index allows several documents lacking the field", func(t *testing.T, e *env) {
			e.skipUnless(t, e.caps.UniqueMissing, "UniqueMissing", "its unique index allows only one document without the field")
			e.ensure(t, "people")
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "people", []store.Index{
				{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true},
			}))
			e.insert(t, "people",
				store.Doc{"id": "p1"},
				store.Doc{"id": "p2", "email": nil},
				store.Doc{"id": "p3", "name": "x"},
			)
			n, err := e.s.Count(e.ctx, e.tenant, "people", nil)
			noErr(t, "Count", err)
			if n != 3 {
				t.Errorf("Count = %d, want 3", n)
			}
		}},
	}
}

func getCases() []testCase {
	return []testCase{
		{"missing id is ErrNotFound", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			_, err := e.s.Get(e.ctx, e.tenant, "things", "nope", nil)
			wantErr(t, "Get", err, store.ErrNotFound)
		}},
		{"projection keeps id and version", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "g", "a": "x", "b": int64(2), "c": true})
			got, err := e.s.Get(e.ctx, e.tenant, "things", "g", []string{"b", "missing"})
			noErr(t, "Get", err)
			want := store.Doc{"id": "g", "version": int64(1), "b": int64(2)}
			if !sameDoc(got, want) {
				t.Errorf("Get with fields [b missing] = %#v, want %#v", got, want)
			}
		}},
	}
}

func updateCases() []testCase {
	return []testCase{
		{"replaces the whole document and increments the version", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "u", "a": "x", "b": int64(1)})
			got, err := e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "u", "a": "y", "c": 2.5, "d": nil}, 0)
			noErr(t, "Update", err)
			want := store.Doc{"id": "u", "version": int64(2), "a": "y", "c": 2.5}
			if !sameDoc(got, want) {
				t.Errorf("Update returned %#v, want %#v", got, want)
			}
			if read := e.get(t, "things", "u"); !sameDoc(read, want) {
				t.Errorf("Get after Update = %#v, want %#v", read, want)
			}
			got, err = e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "u", "a": "z", "version": int64(99)}, 0)
			noErr(t, "second Update", err)
			if got["version"] != int64(3) {
				t.Errorf("second Update returned version %#v, want 3 (the caller's version is ignored)", got["version"])
			}
		}},
		{"compare-and-set with the current version succeeds", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "c", "n": int64(1)})
			for v := int64(1); v <= 3; v++ {
				got, err := e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "c", "n": v + 1}, v)
				noErr(t, "Update", err)
				if got["version"] != v+1 {
					t.Fatalf("Update expecting %d returned version %#v", v, got["version"])
				}
			}
		}},
		{"compare-and-set with a stale version is ErrVersionConflict", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "c", "n": int64(1)})
			_, err := e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "c", "n": int64(2)}, 1)
			noErr(t, "first Update", err)
			_, err = e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "c", "n": int64(3)}, 1)
			wantErr(t, "Update with stale version 1", err, store.ErrVersionConflict)
			got := e.get(t, "things", "c")
			if got["n"] != int64(2) || got["version"] != int64(2) {
				t.Errorf("a refused Update changed the document: %#v", got)
			}
		}},
		{"missing id is ErrNotFound", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			for _, v := range []int64{0, 1} {
				_, err := e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "nope", "a": "b"}, v)
				wantErr(t, "Update of a missing id", err, store.ErrNotFound)
			}
			if n, _ := e.s.Count(e.ctx, e.tenant, "things", nil); n != 0 {
				t.Errorf("Update of a missing id created a document (Count %d)", n)
			}
		}},
		{"unique index value taken by another document is ErrDuplicate", func(t *testing.T, e *env) {
			e.ensure(t, "people")
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "people", []store.Index{
				{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true},
			}))
			e.insert(t, "people", store.Doc{"id": "p1", "email": "a@x"}, store.Doc{"id": "p2", "email": "b@x"})
			_, err := e.s.Update(e.ctx, e.tenant, "people", store.Doc{"id": "p2", "email": "a@x"}, 1)
			wantErr(t, "Update to a taken email", err, store.ErrDuplicate)
			wantField(t, err, "email")
			if got := e.get(t, "people", "p2"); got["email"] != "b@x" || got["version"] != int64(1) {
				t.Errorf("refused Update changed the document: %#v", got)
			}
		}},
	}
}

func deleteCases() []testCase {
	return []testCase{
		{"removes the document", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "d"}, store.Doc{"id": "k"})
			noErr(t, "Delete", e.s.Delete(e.ctx, e.tenant, "things", "d", 0))
			_, err := e.s.Get(e.ctx, e.tenant, "things", "d", nil)
			wantErr(t, "Get after Delete", err, store.ErrNotFound)
			e.get(t, "things", "k")
		}},
		{"compare-and-set delete checks the version", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "d"})
			_, err := e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "d", "x": int64(1)}, 0)
			noErr(t, "Update", err)
			wantErr(t, "Delete with stale version", e.s.Delete(e.ctx, e.tenant, "things", "d", 1), store.ErrVersionConflict)
			e.get(t, "things", "d")
			noErr(t, "Delete with current version", e.s.Delete(e.ctx, e.tenant, "things", "d", 2))
		}},
		{"missing id is ErrNotFound", func(t *testing.T, e *env) {
			e.ensure(t, "things")
			wantErr(t, "Delete", e.s.Delete(e.ctx, e.tenant, "things", "nope", 0), store.ErrNotFound)
			e.insert(t, "things", store.Doc{"id": "d"})
			noErr(t, "Delete", e.s.Delete(e.ctx, e.tenant, "things", "d", 0))
			wantErr(t, "second Delete", e.s.Delete(e.ctx, e.tenant, "things", "d", 0), store.ErrNotFound)
		}},
	}
}
