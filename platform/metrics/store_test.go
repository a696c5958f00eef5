package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/metrics"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/sqlite"
)

// storeSamples returns the count and sum of the store histogram for one op
// and outcome.
func storeSamples(t *testing.T, m *metrics.Registry, op, outcome string) (uint64, float64) {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "crm_store_operation_duration_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range mt.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["op"] == op && labels["outcome"] == outcome {
				return mt.GetHistogram().GetSampleCount(), mt.GetHistogram().GetSampleSum()
			}
		}
	}
	return 0, 0
}

// openSQLite opens the embedded adapter (the real one, not a fake) in a
// temporary directory.
func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestInstrumentStore_timesEveryCallByOperationAndOutcome(t *testing.T) {
	m := metrics.New()
	s := metrics.InstrumentStore(openSQLite(t), m)
	ctx := context.Background()
	const tenant, coll = "acme", "lead"

	if err := s.EnsureCollection(ctx, tenant, coll); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.Insert(ctx, tenant, coll, store.Doc{"id": fmt.Sprint("l", i), "name": "Ann"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Insert(ctx, tenant, coll, store.Doc{"id": "l0"}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate insert: %v", err)
	}
	if _, err := s.Get(ctx, tenant, coll, "missing", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := s.Find(ctx, tenant, coll, store.Query{}); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, cancelErr := s.Find(cancelled, tenant, coll, store.Query{})

	for _, tc := range []struct {
		op, outcome string
		count       uint64
	}{
		{"ensure_collection", "ok", 1},
		{"insert", "ok", 3},
		{"insert", "conflict", 1},
		{"get", "not_found", 1},
		{"find", "ok", 1},
	} {
		t.Run(tc.op+"/"+tc.outcome, func(t *testing.T) {
			n, sum := storeSamples(t, m, tc.op, tc.outcome)
			if n != tc.count {
				t.Fatalf("count = %d, want %d", n, tc.count)
			}
			if sum <= 0 {
				t.Fatalf("no time recorded (sum %v)", sum)
			}
		})
	}
	t.Run("cancelled context is its own outcome", func(t *testing.T) {
		if cancelErr == nil {
			t.Skip("the adapter answered a cancelled context; nothing to classify")
		}
		if n, _ := storeSamples(t, m, "find", "canceled"); n != 1 {
			t.Fatalf("find canceled count = %d (err %v, outcome %q)", n, cancelErr, metrics.Outcome(cancelErr))
		}
	})
}

func TestInstrumentStore_passesTheTransactionContextThrough(t *testing.T) {
	m := metrics.New()
	inner := openSQLite(t)
	if !inner.Capabilities().Transactions {
		t.Fatal("the sqlite adapter is expected to have transactions")
	}
	s := metrics.InstrumentStore(inner, m)
	ctx := context.Background()
	const tenant, coll = "acme", "account"
	if err := s.EnsureCollection(ctx, tenant, coll); err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("roll back")
	err := s.Tx(ctx, tenant, func(tx context.Context) error {
		if _, err := s.Insert(tx, tenant, coll, store.Doc{"id": "a1"}); err != nil {
			return err
		}
		// Inside the transaction the decorated store sees its own write.
		if _, err := s.Get(tx, tenant, coll, "a1", nil); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("Tx = %v, want the rollback error", err)
	}
	if _, err := s.Get(ctx, tenant, coll, "a1", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("insert made inside a rolled-back Tx survived: %v", err)
	}
	if err := s.Tx(ctx, tenant, func(tx context.Context) error {
		_, err := s.Insert(tx, tenant, coll, store.Doc{"id": "a2"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, tenant, coll, "a2", nil); err != nil {
		t.Fatalf("committed insert missing: %v", err)
	}
	if n, _ := storeSamples(t, m, "tx", "error"); n != 1 {
		t.Fatalf("rolled-back tx count = %d, want 1 with outcome error", n)
	}
	if n, _ := storeSamples(t, m, "tx", "ok"); n != 1 {
		t.Fatalf("committed tx count = %d, want 1", n)
	}
	if n, _ := storeSamples(t, m, "insert", "ok"); n != 2 {
		t.Fatalf("inserts inside transactions not timed: %d", n)
	}
}

func TestOutcome_classifiesIntoBoundedLabels(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil is ok", nil, "ok"},
		{"cancel", fmt.Errorf("q: %w", context.Canceled), "canceled"},
		{"deadline", context.DeadlineExceeded, "timeout"},
		{"domain error wrapping a deadline is a timeout", store.ErrUnavailable.WithCause(context.DeadlineExceeded), "timeout"},
		{"domain kind", fmt.Errorf("x: %w", store.ErrVersionConflict), "stale"},
		{"internal kind", errs.New(errs.Internal, "x.y", "z"), "internal"},
		{"plain error", errors.New("disk on fire"), "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := metrics.Outcome(tc.err); got != tc.want {
				t.Fatalf("Outcome = %q, want %q", got, tc.want)
			}
		})
	}
}
