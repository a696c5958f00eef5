package sqlite

import (
	"context"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// openTest opens a store in a fresh temporary directory and closes it when
// the test ends.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustCollection creates a collection with the given indexes.
func mustCollection(t testing.TB, s *Store, tenant, coll string, indexes ...store.Index) {
	t.Helper()
	ctx := context.Background()
	if err := s.EnsureCollection(ctx, tenant, coll); err != nil {
		t.Fatalf("EnsureCollection: %v", err)
	}
	if err := s.SyncIndexes(ctx, tenant, coll, indexes); err != nil {
		t.Fatalf("SyncIndexes: %v", err)
	}
}

func mustInsert(t testing.TB, s *Store, tenant, coll string, doc store.Doc) store.Doc {
	t.Helper()
	out, err := s.Insert(context.Background(), tenant, coll, doc)
	if err != nil {
		t.Fatalf("Insert %v: %v", doc["id"], err)
	}
	return out
}
