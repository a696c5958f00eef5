package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/store"
)

const workers = 8

func sequenceCases() []testCase {
	return []testCase{
		{"a new counter starts at 1 and increments", func(t *testing.T, e *env) {
			for want := int64(1); want <= 5; want++ {
				got, err := e.s.NextSequence(e.ctx, e.tenant, "invoice")
				noErr(t, "NextSequence", err)
				if got != want {
					t.Fatalf("NextSequence call %d = %d", want, got)
				}
			}
		}},
		{"counters are separate per name and per tenant", func(t *testing.T, e *env) {
			next := func(tenant, name string) int64 {
				t.Helper()
				v, err := e.s.NextSequence(e.ctx, tenant, name)
				noErr(t, "NextSequence", err)
				return v
			}
			next(e.tenant, "invoice")
			next(e.tenant, "invoice")
			if v := next(e.tenant, "quote"); v != 1 {
				t.Errorf("another name started at %d, want 1", v)
			}
			if v := next(e.other, "invoice"); v != 1 {
				t.Errorf("another tenant started at %d, want 1", v)
			}
			if v := next(e.tenant, "invoice"); v != 3 {
				t.Errorf("third invoice number = %d, want 3", v)
			}
		}},
		{"concurrent increments never repeat or skip a value", func(t *testing.T, e *env) {
			e.skipUnless(t, e.caps.AtomicUpdate, "AtomicUpdate", "its single-document updates are not atomic under concurrency")
			const each = 25
			var mu sync.Mutex
			var got []int64
			var wg sync.WaitGroup
			errc := make(chan error, workers)
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						v, err := e.s.NextSequence(e.ctx, e.tenant, "ticket")
						if err != nil {
							errc <- err
							return
						}
						mu.Lock()
						got = append(got, v)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatalf("NextSequence under concurrency: %v", err)
			}
			slices.Sort(got)
			for i, v := range got {
				if v != int64(i+1) {
					t.Fatalf("values under concurrency are not 1..%d: position %d holds %d (sorted: %v)", workers*each, i, v, got)
				}
			}
		}},
	}
}

func concurrencyCases() []testCase {
	return []testCase{
		{"concurrent compare-and-set updates have exactly one winner per version", func(t *testing.T, e *env) {
			e.skipUnless(t, e.caps.AtomicUpdate, "AtomicUpdate", "its compare-and-set update is not atomic under concurrency")
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "hot", "winner": int64(-1)})
			for version := int64(1); version <= 5; version++ {
				var wg sync.WaitGroup
				start := make(chan struct{})
				results := make([]error, workers)
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, results[w] = e.s.Update(e.ctx, e.tenant, "things", store.Doc{"id": "hot", "winner": int64(w)}, version)
					}()
				}
				close(start)
				wg.Wait()
				winner := -1
				for w, err := range results {
					switch {
					case err == nil && winner >= 0:
						t.Fatalf("version %d: workers %d and %d both won", version, winner, w)
					case err == nil:
						winner = w
					case !errors.Is(err, store.ErrVersionConflict):
						t.Fatalf("version %d: worker %d failed with %v, want success or ErrVersionConflict", version, w, err)
					}
				}
				if winner < 0 {
					t.Fatalf("version %d: no worker won", version)
				}
				got := e.get(t, "things", "hot")
				if got["version"] != version+1 || got["winner"] != int64(winner) {
					t.Fatalf("after round %d the document is %#v, want version %d written by worker %d", version, got, version+1, winner)
				}
			}
		}},
		{"concurrent inserts of one unique value have one winner", func(t *testing.T, e *env) {
			e.ensure(t, "people")
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "people", []store.Index{
				{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true}}))
			var wg sync.WaitGroup
			start := make(chan struct{})
			results := make([]error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, results[w] = e.s.Insert(e.ctx, e.tenant, "people", store.Doc{"id": fmt.Sprintf("p%d", w), "email": "same@x"})
				}()
			}
			close(start)
			wg.Wait()
			wins := 0
			for w, err := range results {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, store.ErrDuplicate):
					t.Errorf("worker %d failed with %v, want success or ErrDuplicate", w, err)
				}
			}
			if n, _ := e.s.Count(e.ctx, e.tenant, "people", nil); wins != 1 || n != 1 {
				t.Errorf("%d inserts won and %d documents exist, want 1 and 1", wins, n)
			}
		}},
	}
}

// needTx asserts that a store without transactions refuses Tx without
// running fn, and skips the test; it returns when the store has them.
func (e *env) needTx(t *testing.T) {
	t.Helper()
	if e.caps.Transactions {
		return
	}
	ran := false
	err := e.s.Tx(e.ctx, e.tenant, func(context.Context) error { ran = true; return nil })
	wantErr(t, "Tx without transactions", err, store.ErrNoTransactions)
	if ran {
		t.Fatal("Tx without transactions ran its function")
	}
	t.Skipf("%s lacks Transactions: Tx returned %v as it must", e.caps.Name, err)
}

func txCases() []testCase {
	return []testCase{
		{"commit makes every write visible", func(t *testing.T, e *env) {
			e.needTx(t)
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "old", "n": int64(1)}, store.Doc{"id": "gone"})
			var seen store.Doc
			err := e.s.Tx(e.ctx, e.tenant, func(ctx context.Context) error {
				if _, err := e.s.Insert(ctx, e.tenant, "things", store.Doc{"id": "new", "n": int64(2)}); err != nil {
					return err
				}
				if _, err := e.s.Update(ctx, e.tenant, "things", store.Doc{"id": "old", "n": int64(3)}, 1); err != nil {
					return err
				}
				if err := e.s.Delete(ctx, e.tenant, "things", "gone", 0); err != nil {
					return err
				}
				var err error
				seen, err = e.s.Get(ctx, e.tenant, "things", "new", nil)
				return err
			})
			noErr(t, "Tx", err)
			if seen["n"] != int64(2) {
				t.Errorf("inside the transaction Get saw %#v, want its own insert", seen)
			}
			if got := e.get(t, "things", "new"); got["n"] != int64(2) {
				t.Errorf("committed insert reads %#v", got)
			}
			if got := e.get(t, "things", "old"); got["n"] != int64(3) || got["version"] != int64(2) {
				t.Errorf("committed update reads %#v", got)
			}
			_, err = e.s.Get(e.ctx, e.tenant, "things", "gone", nil)
			wantErr(t, "Get of a document deleted in a committed transaction", err, store.ErrNotFound)
		}},
		{"an error rolls back every write and is returned", func(t *testing.T, e *env) {
			e.needTx(t)
			e.ensure(t, "things")
			e.insert(t, "things", store.Doc{"id": "old", "n": int64(1)})
			boom := errors.New("boom")
			outside := make(chan error, 1)
			outsideDone := false
			err := e.s.Tx(e.ctx, e.tenant, func(ctx context.Context) error {
				if _, err := e.s.Insert(ctx, e.tenant, "things", store.Doc{"id": "new"}); err != nil {
					return err
				}
				if _, err := e.s.Update(ctx, e.tenant, "things", store.Doc{"id": "old", "n": int64(9)}, 1); err != nil {
					return err
				}
				if _, err := e.s.NextSequence(ctx, e.tenant, "seq"); err != nil {
					return err
				}
				// A reader outside the transaction may wait for it, but
				// must not see its uncommitted insert.
				go func() {
					_, err := e.s.Get(e.ctx, e.tenant, "things", "new", nil)
					outside <- err
				}()
				select {
				case err := <-outside:
					outsideDone = true
					if !errors.Is(err, store.ErrNotFound) {
						t.Errorf("a reader outside the transaction got %v for an uncommitted insert, want ErrNotFound", err)
					}
				case <-time.After(300 * time.Millisecond): // it waits for the transaction: allowed
				}
				return fmt.Errorf("step failed: %w", boom)
			})
			if !outsideDone {
				if err := <-outside; !errors.Is(err, store.ErrNotFound) {
					t.Errorf("a reader that waited for the rolled-back transaction got %v, want ErrNotFound", err)
				}
			}
			if !errors.Is(err, boom) {
				t.Fatalf("Tx returned %v, want the function's error", err)
			}
			_, err = e.s.Get(e.ctx, e.tenant, "things", "new", nil)
			wantErr(t, "Get of a rolled-back insert", err, store.ErrNotFound)
			if got := e.get(t, "things", "old"); got["n"] != int64(1) || got["version"] != int64(1) {
				t.Errorf("rolled-back update left %#v", got)
			}
			e.insert(t, "things", store.Doc{"id": "after"})
		}},
		{"a panic rolls back every write", func(t *testing.T, e *env) {
			e.needTx(t)
			e.ensure(t, "things")
			var err error
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				err = e.s.Tx(e.ctx, e.tenant, func(ctx context.Context) error {
					if _, err := e.s.Insert(ctx, e.tenant, "things", store.Doc{"id": "new"}); err != nil {
						return err
					}
					panic("boom")
				})
			}()
			if recovered == nil && err == nil {
				t.Fatal("Tx whose function panicked neither panicked nor returned an error")
			}
			_, err = e.s.Get(e.ctx, e.tenant, "things", "new", nil)
			wantErr(t, "Get of an insert rolled back by a panic", err, store.ErrNotFound)
			e.insert(t, "things", store.Doc{"id": "after"})
			noErr(t, "Tx after the panic", e.s.Tx(e.ctx, e.tenant, func(ctx context.Context) error {
				_, err := e.s.Insert(ctx, e.tenant, "things", store.Doc{"id": "after2"})
				return err
			}))
			e.get(t, "things", "after2")
		}},
	}
}

func tenantCases() []testCase {
	return []testCase{
		{"the same collection in two tenants is separate", func(t *testing.T, e *env) {
			for _, tn := range []string{e.tenant, e.other} {
				noErr(t, "EnsureCollection", e.s.EnsureCollection(e.ctx, tn, "things"))
				_, err := e.s.Insert(e.ctx, tn, "things", store.Doc{"id": "x", "owner": tn, "email": "same@x"})
				noErr(t, "Insert", err)
			}
			noErr(t, "SyncIndexes", e.s.SyncIndexes(e.ctx, e.tenant, "things", []store.Index{
				{Name: "by_email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true}}))
			_, err := e.s.Insert(e.ctx, e.other, "things", store.Doc{"id": "y", "email": "same@x"})
			noErr(t, "Insert of a value unique only in the other tenant", err)
			idx, err := e.s.Indexes(e.ctx, e.other, "things")
			noErr(t, "Indexes", err)
			if len(idx) != 0 {
				t.Errorf("other tenant's indexes = %+v", idx)
			}
			if d, _ := e.s.Get(e.ctx, e.other, "things", "x", nil); d["owner"] != e.other {
				t.Errorf("other tenant reads %#v", d)
			}
			noErr(t, "Delete", e.s.Delete(e.ctx, e.tenant, "things", "x", 0))
			if d, err := e.s.Get(e.ctx, e.other, "things", "x", nil); err != nil || d["owner"] != e.other {
				t.Errorf("deleting in one tenant touched the other: %#v, %v", d, err)
			}
			if n, _ := e.s.Count(e.ctx, e.other, "things", nil); n != 2 {
				t.Errorf("other tenant Count = %d, want 2", n)
			}
			if n, _ := e.s.DeleteMany(e.ctx, e.tenant, "things", nil); n != 0 {
				t.Errorf("DeleteMany in the emptied tenant removed %d", n)
			}
			if n, _ := e.s.Count(e.ctx, e.other, "things", nil); n != 2 {
				t.Errorf("other tenant Count after DeleteMany elsewhere = %d, want 2", n)
			}
		}},
		{"drop tenant removes all its data and nothing else", func(t *testing.T, e *env) {
			for _, tn := range []string{e.tenant, e.other} {
				for _, c := range []string{"a", "b"} {
					noErr(t, "EnsureCollection", e.s.EnsureCollection(e.ctx, tn, c))
					_, err := e.s.Insert(e.ctx, tn, c, store.Doc{"id": "x"})
					noErr(t, "Insert", err)
				}
				_, err := e.s.NextSequence(e.ctx, tn, "seq")
				noErr(t, "NextSequence", err)
			}
			noErr(t, "DropTenant", e.s.DropTenant(e.ctx, e.tenant))
			colls, err := e.s.Collections(e.ctx, e.tenant)
			noErr(t, "Collections", err)
			if len(colls) != 0 {
				t.Errorf("dropped tenant still has %v", colls)
			}
			_, err = e.s.Get(e.ctx, e.tenant, "a", "x", nil)
			wantErr(t, "Get in a dropped tenant", err, store.ErrUnknownCollection)
			if v, err := e.s.NextSequence(e.ctx, e.tenant, "seq"); err != nil || v != 1 {
				t.Errorf("sequence after DropTenant = %d, %v; want 1", v, err)
			}
			colls, err = e.s.Collections(e.ctx, e.other)
			noErr(t, "Collections", err)
			if !equalStrings(colls, []string{"a", "b"}) {
				t.Errorf("other tenant's collections = %v", colls)
			}
			if v, err := e.s.NextSequence(e.ctx, e.other, "seq"); err != nil || v != 2 {
				t.Errorf("other tenant's sequence = %d, %v; want 2", v, err)
			}
			noErr(t, "DropTenant again", e.s.DropTenant(e.ctx, e.tenant))
			noErr(t, "DropTenant of a tenant without data", e.s.DropTenant(e.ctx, "never-seen"))
			noErr(t, "EnsureCollection after DropTenant", e.s.EnsureCollection(e.ctx, e.tenant, "a"))
			if n, _ := e.s.Count(e.ctx, e.tenant, "a", nil); n != 0 {
				t.Errorf("re-created collection has %d documents", n)
			}
		}},
	}
}
