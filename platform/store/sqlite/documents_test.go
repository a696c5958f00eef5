package sqlite

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

func TestDocuments_roundTripKeepsTypes(t *testing.T) {
	for _, format := range []struct {
		name string
		text bool
	}{{"jsonb", false}, {"json text", true}} {
		t.Run(format.name, func(t *testing.T) {
			s := openTest(t)
			s.text = format.text
			testRoundTrip(t, s)
		})
	}
}

func testRoundTrip(t *testing.T, s *Store) {
	ctx := context.Background()
	mustCollection(t, s, "acme", "deal")
	in := store.Doc{
		"id": "d1", "version": int64(99), "gone": nil, "int": 7, "big": int64(9007199254740993),
		"float": 2.0, "tiny": 1e-9, "huge": 1e300, "yes": true, "no": false, "text": "a\"b\\c\n\x01é",
		"list": []any{int64(1), 1.5, "x", nil, true}, "tags": []string{"a", "b"},
		"nested": map[string]any{"n": int64(1), "skip": nil, "deep": map[string]any{"f": 0.5}},
		"long":   strings.Repeat("é", 40000), "neg": int64(-9223372036854775808), "emptyList": []any{},
		"emptyMap": map[string]any{},
	}
	want := store.Doc{
		"id": "d1", "version": int64(1), "int": int64(7), "big": int64(9007199254740993),
		"float": 2.0, "tiny": 1e-9, "huge": 1e300, "yes": true, "no": false, "text": "a\"b\\c\n\x01é",
		"list": []any{int64(1), 1.5, "x", nil, true}, "tags": []any{"a", "b"},
		"nested": map[string]any{"n": int64(1), "deep": map[string]any{"f": 0.5}},
		"long":   strings.Repeat("é", 40000), "neg": int64(-9223372036854775808), "emptyList": []any{},
		"emptyMap": map[string]any{},
	}
	got := mustInsert(t, s, "acme", "deal", in)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Insert returned\n%#v\nwant\n%#v", got, want)
	}
	got, err := s.Get(ctx, "acme", "deal", "d1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get returned\n%#v\nwant\n%#v", got, want)
	}
	t.Run("projection keeps dotted paths nested with id and version", func(t *testing.T) {
		got, err := s.Get(ctx, "acme", "deal", "d1", []string{"nested.deep.f", "yes", "absent"})
		if err != nil {
			t.Fatal(err)
		}
		want := store.Doc{"id": "d1", "version": int64(1), "yes": true,
			"nested": map[string]any{"deep": map[string]any{"f": 0.5}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %#v, want %#v", got, want)
		}
	})
	t.Run("a float that is integral still equals the integer in filters", func(t *testing.T) {
		n, err := s.Count(ctx, "acme", "deal", store.Eq("float", int64(2)))
		if err != nil || n != 1 {
			t.Errorf("Count = %d, %v; want 1", n, err)
		}
	})
	t.Run("unsupported values are invalid documents", func(t *testing.T) {
		_, err := s.Insert(ctx, "acme", "deal", store.Doc{"id": "d2", "bad": struct{}{}})
		if !errors.Is(err, store.ErrInvalidDocument) {
			t.Errorf("err = %v, want invalid document", err)
		}
	})
}

func TestDocuments_versionsAndErrors(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "lead", store.Index{Name: "email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true})
	mustInsert(t, s, "acme", "lead", store.Doc{"id": "a", "email": "a@x.test"})
	mustInsert(t, s, "acme", "lead", store.Doc{"id": "b"})
	mustInsert(t, s, "acme", "lead", store.Doc{"id": "c"}) // a second document without email is allowed

	for _, tc := range []struct {
		name  string
		call  func() error
		want  error
		field string
	}{
		{"a second id is a duplicate of id", func() error {
			_, err := s.Insert(ctx, "acme", "lead", store.Doc{"id": "a"})
			return err
		}, store.ErrDuplicate, "id"},
		{"a second unique value is a duplicate naming the field", func() error {
			_, err := s.Insert(ctx, "acme", "lead", store.Doc{"id": "d", "email": "a@x.test"})
			return err
		}, store.ErrDuplicate, "email"},
		{"an update into a unique value is a duplicate", func() error {
			_, err := s.Update(ctx, "acme", "lead", store.Doc{"id": "b", "email": "a@x.test"}, 0)
			return err
		}, store.ErrDuplicate, "email"},
		{"an update with a stale version conflicts", func() error {
			_, err := s.Update(ctx, "acme", "lead", store.Doc{"id": "a"}, 5)
			return err
		}, store.ErrVersionConflict, ""},
		{"an update of a missing document is not found", func() error {
			_, err := s.Update(ctx, "acme", "lead", store.Doc{"id": "zz"}, 1)
			return err
		}, store.ErrNotFound, ""},
		{"a delete with a stale version conflicts", func() error {
			return s.Delete(ctx, "acme", "lead", "a", 3)
		}, store.ErrVersionConflict, ""},
		{"a delete of a missing document is not found", func() error {
			return s.Delete(ctx, "acme", "lead", "zz", 0)
		}, store.ErrNotFound, ""},
		{"a get on a collection never created is an unknown collection", func() error {
			_, err := s.Get(ctx, "acme", "Lead", "a", nil)
			return err
		}, store.ErrUnknownCollection, ""},
		{"a find on a collection never created is an unknown collection", func() error {
			_, err := s.Find(ctx, "acme", "nope", store.Query{})
			return err
		}, store.ErrUnknownCollection, ""},
		{"indexes of a collection never created is an unknown collection", func() error {
			_, err := s.Indexes(ctx, "acme", "nope")
			return err
		}, store.ErrUnknownCollection, ""},
		{"a bad cursor is refused", func() error {
			_, err := s.Find(ctx, "acme", "lead", store.Query{After: []any{"x", "y"}})
			return err
		}, store.ErrBadCursor, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			e := errs.As(err)
			if e.Cause != nil && e.Message == e.Cause.Error() {
				t.Errorf("the driver's text leaked into the message: %q", e.Message)
			}
			if tc.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tc.field) {
				t.Errorf("fields = %v, want %s", e.Fields, tc.field)
			}
		})
	}

	t.Run("each update increments the version", func(t *testing.T) {
		d, err := s.Update(ctx, "acme", "lead", store.Doc{"id": "b", "n": 1}, 1)
		if err != nil || d["version"] != int64(2) {
			t.Fatalf("Update = %v, %v; want version 2", d, err)
		}
		d, err = s.Update(ctx, "acme", "lead", store.Doc{"id": "b", "n": 2}, 0)
		if err != nil || d["version"] != int64(3) {
			t.Fatalf("Update = %v, %v; want version 3", d, err)
		}
		got, _ := s.Get(ctx, "acme", "lead", "b", nil)
		if got["version"] != int64(3) || got["n"] != int64(2) {
			t.Errorf("Get = %v", got)
		}
	})
}

func TestCollections_namesAreCaseSensitive(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, c := range []string{"Lead", "lead", "a_b", "aB", "_x"} {
		mustCollection(t, s, "acme", c)
		mustInsert(t, s, "acme", c, store.Doc{"id": "1", "coll": c})
	}
	for _, c := range []string{"Lead", "lead", "a_b", "aB", "_x"} {
		d, err := s.Get(ctx, "acme", c, "1", nil)
		if err != nil || d["coll"] != c {
			t.Errorf("Get from %s = %v, %v", c, d, err)
		}
	}
	list, err := s.Collections(ctx, "acme")
	if want := []string{"Lead", "_x", "aB", "a_b", "lead"}; err != nil || !reflect.DeepEqual(list, want) {
		t.Errorf("Collections = %v, %v; want %v", list, err, want)
	}
	if err := s.DropCollection(ctx, "acme", "lead"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "acme", "Lead", "1", nil); err != nil {
		t.Errorf("dropping lead touched Lead: %v", err)
	}
}

func TestNames_areValidatedBeforeSQL(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "lead")
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"tenant with a path separator", func() error { return s.EnsureCollection(ctx, "../x", "lead") }},
		{"upper-case tenant", func() error { _, err := s.Collections(ctx, "Acme"); return err }},
		{"collection with a quote", func() error { return s.EnsureCollection(ctx, "acme", `lead"; DROP TABLE x; --`) }},
		{"filter field with a quote", func() error {
			_, err := s.Count(ctx, "acme", "lead", store.Eq("a') OR 1=1 --", "x"))
			return err
		}},
		{"sort field with a space", func() error {
			_, err := s.Find(ctx, "acme", "lead", store.Query{Sort: []store.SortKey{{Field: "a b"}}})
			return err
		}},
		{"projected field with a paren", func() error {
			_, err := s.Find(ctx, "acme", "lead", store.Query{Fields: []string{"x)"}})
			return err
		}},
		{"index key with a quote", func() error {
			return s.SyncIndexes(ctx, "acme", "lead", []store.Index{{Name: "i", Keys: []store.IndexKey{{Field: "a'"}}}})
		}},
		{"index name with a dash", func() error {
			return s.SyncIndexes(ctx, "acme", "lead", []store.Index{{Name: "a-b", Keys: []store.IndexKey{{Field: "a"}}}})
		}},
		{"group field with a quote", func() error {
			_, err := s.Aggregate(ctx, "acme", "lead", store.AggregateQuery{GroupBy: []store.Group{{Field: "x'"}}})
			return err
		}},
		{"measure field with a quote", func() error {
			_, err := s.Aggregate(ctx, "acme", "lead", store.AggregateQuery{Measures: []store.Measure{{Op: store.OpSum, Field: "x'"}}})
			return err
		}},
		{"sequence name with a quote", func() error { _, err := s.NextSequence(ctx, "acme", "s'"); return err }},
		{"drop of a bad tenant", func() error { return s.DropTenant(ctx, "a/b") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, store.ErrInvalidName) {
				t.Errorf("err = %v, want invalid name", err)
			}
		})
	}
}
