package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// InstrumentStore returns s decorated so that every call of the store port
// is timed into crm_store_operation_duration_seconds{op,outcome}. op is the
// method name in snake case ("insert", "find", "next_sequence", "tx"; a Tx
// is timed as a whole, including fn). outcome is "ok", "canceled" or
// "timeout" for a context error, the errs.Kind name of a domain error
// ("not_found", "conflict", "stale", ...), or "error" for anything else.
//
// Contexts are passed through untouched, so the transaction a Tx puts in its
// context reaches the inner store: inside fn, call the decorated store with
// fn's context as usual. Capabilities and Close are passed through untimed.
func InstrumentStore(s store.Store, r *Registry) store.Store {
	return &instrumented{next: s, m: r}
}

// instrumented is the decorator made by InstrumentStore.
type instrumented struct {
	next store.Store
	m    *Registry
}

// Unwrap returns the decorated store, for callers that need the adapter.
func (s *instrumented) Unwrap() store.Store { return s.next }

// observe records the call that began at start with its error.
func (s *instrumented) observe(op string, start time.Time, err error) {
	s.m.ObserveStore(op, Outcome(err), time.Since(start))
}

// Outcome classifies an error into the bounded set of outcome label values
// used by the store metrics.
func Outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	if e := errs.As(err); e != nil {
		return e.Kind.String()
	}
	return "error"
}

func (s *instrumented) Capabilities() store.Capabilities { return s.next.Capabilities() }

func (s *instrumented) EnsureCollection(ctx context.Context, tenant, coll string) error {
	start := time.Now()
	err := s.next.EnsureCollection(ctx, tenant, coll)
	s.observe("ensure_collection", start, err)
	return err
}

func (s *instrumented) DropCollection(ctx context.Context, tenant, coll string) error {
	start := time.Now()
	err := s.next.DropCollection(ctx, tenant, coll)
	s.observe("drop_collection", start, err)
	return err
}

func (s *instrumented) Collections(ctx context.Context, tenant string) ([]string, error) {
	start := time.Now()
	out, err := s.next.Collections(ctx, tenant)
	s.observe("collections", start, err)
	return out, err
}

func (s *instrumented) SyncIndexes(ctx context.Context, tenant, coll string, indexes []store.Index) error {
	start := time.Now()
	err := s.next.SyncIndexes(ctx, tenant, coll, indexes)
	s.observe("sync_indexes", start, err)
	return err
}

func (s *instrumented) Indexes(ctx context.Context, tenant, coll string) ([]store.Index, error) {
	start := time.Now()
	out, err := s.next.Indexes(ctx, tenant, coll)
	s.observe("indexes", start, err)
	return out, err
}

func (s *instrumented) Insert(ctx context.Context, tenant, coll string, doc store.Doc) (store.Doc, error) {
	start := time.Now()
	out, err := s.next.Insert(ctx, tenant, coll, doc)
	s.observe("insert", start, err)
	return out, err
}

func (s *instrumented) Get(ctx context.Context, tenant, coll, id string, fields []string) (store.Doc, error) {
	start := time.Now()
	out, err := s.next.Get(ctx, tenant, coll, id, fields)
	s.observe("get", start, err)
	return out, err
}

func (s *instrumented) Update(ctx context.Context, tenant, coll string, doc store.Doc, expectVersion int64) (store.Doc, error) {
	start := time.Now()
	out, err := s.next.Update(ctx, tenant, coll, doc, expectVersion)
	s.observe("update", start, err)
	return out, err
}

func (s *instrumented) Delete(ctx context.Context, tenant, coll, id string, expectVersion int64) error {
	start := time.Now()
	err := s.next.Delete(ctx, tenant, coll, id, expectVersion)
	s.observe("delete", start, err)
	return err
}

func (s *instrumented) DeleteMany(ctx context.Context, tenant, coll string, filter store.Filter) (int64, error) {
	start := time.Now()
	n, err := s.next.DeleteMany(ctx, tenant, coll, filter)
	s.observe("delete_many", start, err)
	return n, err
}

func (s *instrumented) Find(ctx context.Context, tenant, coll string, q store.Query) (store.Page, error) {
	start := time.Now()
	p, err := s.next.Find(ctx, tenant, coll, q)
	s.observe("find", start, err)
	return p, err
}

func (s *instrumented) Count(ctx context.Context, tenant, coll string, filter store.Filter) (int64, error) {
	start := time.Now()
	n, err := s.next.Count(ctx, tenant, coll, filter)
	s.observe("count", start, err)
	return n, err
}

func (s *instrumented) Aggregate(ctx context.Context, tenant, coll string, q store.AggregateQuery) ([]store.AggregateRow, error) {
	start := time.Now()
	rows, err := s.next.Aggregate(ctx, tenant, coll, q)
	s.observe("aggregate", start, err)
	return rows, err
}

func (s *instrumented) NextSequence(ctx context.Context, tenant, name string) (int64, error) {
	start := time.Now()
	n, err := s.next.NextSequence(ctx, tenant, name)
	s.observe("next_sequence", start, err)
	return n, err
}

func (s *instrumented) Tx(ctx context.Context, tenant string, fn func(ctx context.Context) error) error {
	start := time.Now()
	err := s.next.Tx(ctx, tenant, fn)
	s.observe("tx", start, err)
	return err
}

func (s *instrumented) DropTenant(ctx context.Context, tenant string) error {
	start := time.Now()
	err := s.next.DropTenant(ctx, tenant)
	s.observe("drop_tenant", start, err)
	return err
}

func (s *instrumented) Ping(ctx context.Context) error {
	start := time.Now()
	err := s.next.Ping(ctx)
	s.observe("ping", start, err)
	return err
}

func (s *instrumented) Close() error { return s.next.Close() }
