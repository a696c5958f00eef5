package mongo

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

func TestConfig_Validate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"uri only", Config{URI: "mongodb://localhost:27017"}, true},
		{"srv uri and prefix", Config{URI: "mongodb+srv://db.example.com", DatabasePrefix: "prod_"}, true},
		{"missing uri", Config{}, false},
		{"not a mongodb uri", Config{URI: "postgres://x"}, false},
		{"prefix with a dot", Config{URI: "mongodb://x", DatabasePrefix: "a.b"}, false},
		{"prefix with a slash", Config{URI: "mongodb://x", DatabasePrefix: "a/"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.cfg.Validate(); (err == nil) != c.ok {
				t.Errorf("Validate() = %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestOpen_unreachableServerIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Open(ctx, Config{URI: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
	if e := errs.As(err); e == nil || strings.Contains(e.Message, "127.0.0.1") || e.Cause == nil {
		t.Errorf("the driver's text must stay in the cause, not the message: %#v", e)
	}
}

func TestCapabilities_describeTheBackend(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		caps := s.Capabilities()
		switch caps.Name {
		case "ferretdb":
			want := store.Capabilities{Name: "ferretdb", AggregateMeasures: []store.Op{store.OpCount, store.OpSum}, UniqueMissing: true}
			if !reflect.DeepEqual(caps, want) {
				t.Errorf("Capabilities = %+v, want %+v", caps, want)
			}
		case "mongodb":
			if !caps.AtomicUpdate || !caps.MultiMeasure || !caps.UniqueMissing || len(caps.AggregateMeasures) != 5 {
				t.Errorf("MongoDB capabilities = %+v, want everything", caps)
			}
			t.Logf("MongoDB transactions: %v (true on a replica set or sharded cluster)", caps.Transactions)
		default:
			t.Errorf("Capabilities().Name = %q", caps.Name)
		}
	})
}

func TestTx_withoutTransactionsRunsNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		if s.Capabilities().Transactions {
			t.Skip(s.Capabilities().Name + " has transactions; the conformance suite checks them")
		}
		ran := false
		err := s.Tx(testCtx(t), "acme", func(context.Context) error { ran = true; return nil })
		if !errors.Is(err, store.ErrNoTransactions) || ran {
			t.Errorf("Tx = %v, ran %v; want ErrNoTransactions and nothing run", err, ran)
		}
	})
}

// TestCollections_aSecondNodeSeesCollectionsCreatedByAnother: the cache of
// known collections falls back to the server.
func TestCollections_aSecondNodeSeesCollectionsCreatedByAnother(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *Store) {
		ctx := testCtx(t)
		b, err := Open(ctx, Config{URI: uriOf(t, a), DatabasePrefix: a.prefix})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if _, err := b.Get(ctx, "acme", "leads", "x", nil); !errors.Is(err, store.ErrUnknownCollection) {
			t.Fatalf("Get before EnsureCollection = %v, want ErrUnknownCollection", err)
		}
		if err := a.EnsureCollection(ctx, "acme", "leads"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Insert(ctx, "acme", "leads", store.Doc{"id": "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "acme", "leads", "x", nil); err != nil {
			t.Errorf("Get on the second node = %v", err)
		}
	})
}

func uriOf(t *testing.T, s *Store) string {
	for _, b := range backends {
		if strings.Contains(t.Name(), "/"+b.name) {
			return b.uri
		}
	}
	t.Fatal("no backend for " + t.Name())
	return ""
}

// TestInsert_keysMongoDBWouldMisreadRoundTrip: a JSON Schema document keeps
// "$schema", "$ref" and dotted keys, and its other fields stay queryable.
func TestInsert_keysMongoDBWouldMisreadRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := testCtx(t)
		if err := s.EnsureCollection(ctx, "acme", "meta"); err != nil {
			t.Fatal(err)
		}
		doc := store.Doc{"id": "lead", "$schema": "https://json-schema.org/draft/2020-12/schema", "_id": "mine",
			"properties": map[string]any{"owner": map[string]any{"$ref": "#/$defs/user", "x-crm.type": "lookup"}},
			"title":      "Lead", "~x": int64(1)}
		if _, err := s.Insert(ctx, "acme", "meta", doc); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "acme", "meta", "lead", nil)
		if err != nil {
			t.Fatal(err)
		}
		want := store.Doc{}
		for k, v := range doc {
			want[k] = v
		}
		want["version"] = int64(1)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Get = %#v\nwant %#v", got, want)
		}
		for _, f := range []store.Filter{store.Eq("title", "Lead"), store.Eq("_id", "mine"), store.Eq("id", "lead")} {
			if n, err := s.Count(ctx, "acme", "meta", f); err != nil || n != 1 {
				t.Errorf("Count(%#v) = %d, %v; want 1", f, n, err)
			}
		}
	})
}

// TestSyncIndexes_uniqueOverDuplicatesIsRefusedAndKeepsTheOldSet: the build
// fails (FerretDB with an InternalError the adapter recognises), the
// changed index is restored.
func TestSyncIndexes_uniqueOverDuplicatesIsRefusedAndKeepsTheOldSet(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := testCtx(t)
		if err := s.EnsureCollection(ctx, "acme", "people"); err != nil {
			t.Fatal(err)
		}
		old := []store.Index{{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}}}
		if err := s.SyncIndexes(ctx, "acme", "people", old); err != nil {
			t.Fatal(err)
		}
		for _, d := range []store.Doc{{"id": "a", "email": "x@y", "code": int64(1)}, {"id": "b", "email": "x@y", "code": 1.0}, {"id": "c"}} {
			if _, err := s.Insert(ctx, "acme", "people", d); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name string
			want []store.Index
		}{
			{"new unique index over 1 and 1.0", append(old, store.Index{Name: "u_code", Keys: []store.IndexKey{{Field: "code"}}, Unique: true})},
			{"index made unique", []store.Index{{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true}}},
		} {
			name, want := c.name, c.want
			err := s.SyncIndexes(ctx, "acme", "people", want)
			if !errors.Is(err, store.ErrDuplicate) {
				t.Fatalf("%s: SyncIndexes = %v, want ErrDuplicate", name, err)
			}
			if e := errs.As(err); len(e.Fields) != 1 || e.Fields[0].Field != want[len(want)-1].Keys[0].Field {
				t.Errorf("%s: error fields %+v, want %s", name, e.Fields, want[len(want)-1].Keys[0].Field)
			}
			got, err := s.Indexes(ctx, "acme", "people")
			if err != nil || !reflect.DeepEqual(got, old) {
				t.Errorf("%s: Indexes after the refusal = %+v, %v; want %+v", name, got, err, old)
			}
		}
		if err := s.Delete(ctx, "acme", "people", "b", 0); err != nil {
			t.Fatal(err)
		}
		next := []store.Index{
			{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}, {Field: "name", Desc: true}}, Unique: true},
			{Name: "by_name", Keys: []store.IndexKey{{Field: "name"}}},
		}
		if err := s.SyncIndexes(ctx, "acme", "people", next); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Indexes(ctx, "acme", "people"); err != nil || !reflect.DeepEqual(got, next) {
			t.Errorf("Indexes after a rebuild = %+v, %v; want %+v", got, err, next)
		}
		if err := s.SyncIndexes(ctx, "acme", "people", nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Indexes(ctx, "acme", "people"); len(got) != 0 {
			t.Errorf("Indexes after syncing to none = %+v", got)
		}
	})
}

// TestFerretDB_limitsTheCapabilitiesRecord measures, on FerretDB, the
// behaviours its capabilities declare, so the flags stay honest when
// FerretDB is upgraded.
func TestFerretDB_limitsTheCapabilitiesRecord(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		if !s.ferret {
			t.Skip("FerretDB only")
		}
		ctx := testCtx(t)
		if err := s.EnsureCollection(ctx, "acme", "deals"); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncIndexes(ctx, "acme", "deals", []store.Index{{Name: "u", Keys: []store.IndexKey{{Field: "code"}}, Unique: true}}); err != nil {
			t.Fatal(err)
		}
		for _, d := range []store.Doc{{"id": "a", "n": int64(1)}, {"id": "b", "n": int64(2)}, {"id": "c"}} {
			if _, err := s.Insert(ctx, "acme", "deals", d); err != nil {
				t.Fatalf("UniqueMissing: a second document without the unique field was refused: %v", err)
			}
		}
		c := s.client.Database(s.prefix + "acme").Collection("deals")
		// Several accumulators in one $group: all but one come back 0.
		rows, err := c.Aggregate(ctx, []any{map[string]any{"$group": map[string]any{
			"_id": nil, "s": map[string]any{"$sum": "$n"}, "c": map[string]any{"$sum": 1}}}})
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		if err := rows.All(ctx, &out); err != nil {
			t.Fatal(err)
		}
		if len(out) == 1 && toInt(out[0]["s"]) == 3 && toInt(out[0]["c"]) == 3 {
			t.Errorf("FerretDB now computes several accumulators (%v): MultiMeasure could be true", out)
		}
		for _, op := range []string{"$avg", "$min", "$max"} {
			if _, err := c.Aggregate(ctx, []any{map[string]any{"$group": map[string]any{"_id": nil, "v": map[string]any{op: "$n"}}}}); err == nil {
				t.Errorf("FerretDB now computes %s: AggregateMeasures could include it", op)
			}
		}
		if err := s.Tx(ctx, "acme", func(context.Context) error { return nil }); !errors.Is(err, store.ErrNoTransactions) {
			t.Errorf("Tx = %v, want ErrNoTransactions", err)
		}
	})
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return -1
}

func TestAggregate_refusesWhatTheBackendCannotCompute(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := testCtx(t)
		if err := s.EnsureCollection(ctx, "acme", "deals"); err != nil {
			t.Fatal(err)
		}
		caps := s.Capabilities()
		for _, op := range []store.Op{store.OpAvg, store.OpMin, store.OpMax} {
			_, err := s.Aggregate(ctx, "acme", "deals", store.AggregateQuery{Measures: []store.Measure{{Op: op, Field: "n"}}})
			if caps.Has(op) != (err == nil) {
				t.Errorf("Aggregate %s = %v with capabilities %v", op, err, caps.AggregateMeasures)
			}
		}
		_, err := s.Aggregate(ctx, "acme", "deals", store.AggregateQuery{Measures: []store.Measure{{Op: store.OpCount}, {Op: store.OpSum, Field: "n"}}})
		if caps.MultiMeasure != (err == nil) {
			t.Errorf("Aggregate with two measures = %v with MultiMeasure %v", err, caps.MultiMeasure)
		}
		if err != nil && !errors.Is(err, store.ErrInvalidQuery) {
			t.Errorf("refusal = %v, want ErrInvalidQuery", err)
		}
	})
}

func TestAggregate_sumOfAGroupWithoutTheFieldIsNil(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := testCtx(t)
		if err := s.EnsureCollection(ctx, "acme", "deals"); err != nil {
			t.Fatal(err)
		}
		for _, d := range []store.Doc{
			{"id": "a", "stage": "won", "n": int64(2), "day": "2026-01-05"},
			{"id": "b", "stage": "won", "n": int64(3), "day": "2026-01-20"},
			{"id": "c", "stage": "lost", "day": "2026-02-01"},
		} {
			if _, err := s.Insert(ctx, "acme", "deals", d); err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range []store.Group{{Field: "stage"}, {Field: "day", By: "month"}} {
			rows, err := s.Aggregate(ctx, "acme", "deals", store.AggregateQuery{
				GroupBy: []store.Group{g}, Measures: []store.Measure{{Op: store.OpSum, Field: "n"}}})
			if err != nil {
				t.Fatal(err)
			}
			var want []store.AggregateRow
			if g.By == "" {
				want = []store.AggregateRow{{Keys: []any{"lost"}, Values: []any{nil}}, {Keys: []any{"won"}, Values: []any{int64(5)}}}
			} else {
				want = []store.AggregateRow{{Keys: []any{"2026-01"}, Values: []any{int64(5)}}, {Keys: []any{"2026-02"}, Values: []any{nil}}}
			}
			if !reflect.DeepEqual(rows, want) {
				t.Errorf("group by %+v: rows = %v, want %v", g, rows, want)
			}
		}
	})
}

// TestUpdate_aDocumentWrittenByAnotherToolWithoutVersion gets version 1.
func TestUpdate_aDocumentWrittenByAnotherToolWithoutVersion(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := testCtx(t)
		if err := s.EnsureCollection(ctx, "acme", "imported"); err != nil {
			t.Fatal(err)
		}
		raw := s.client.Database(s.prefix + "acme").Collection("imported")
		if _, err := raw.InsertOne(ctx, map[string]any{"_id": "x", "n": int32(4)}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "acme", "imported", "x", nil)
		if err != nil || !reflect.DeepEqual(got, store.Doc{"id": "x", "n": int64(4)}) {
			t.Fatalf("Get = %#v, %v", got, err)
		}
		got, err = s.Update(ctx, "acme", "imported", store.Doc{"id": "x", "n": int64(5)}, 0)
		if err != nil || got["version"] != int64(1) {
			t.Fatalf("Update = %#v, %v; want version 1", got, err)
		}
	})
}
