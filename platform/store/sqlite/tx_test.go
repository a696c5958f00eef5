package sqlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

func TestTx_commitsRollsBackAndNests(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "c")
	boom := errors.New("boom")
	exists := func(id string) bool {
		_, err := s.Get(ctx, "acme", "c", id, nil)
		return err == nil
	}

	t.Run("a nested transaction joins the outer one and both commit", func(t *testing.T) {
		err := s.Tx(ctx, "acme", func(ctx context.Context) error {
			if _, err := s.Insert(ctx, "acme", "c", store.Doc{"id": "outer"}); err != nil {
				return err
			}
			if _, err := s.Get(ctx, "acme", "c", "outer", nil); err != nil {
				t.Errorf("the transaction does not see its own write: %v", err)
			}
			if exists("outer") {
				t.Error("another context sees an uncommitted write")
			}
			return s.Tx(ctx, "acme", func(ctx context.Context) error {
				_, err := s.Insert(ctx, "acme", "c", store.Doc{"id": "inner"})
				return err
			})
		})
		if err != nil || !exists("outer") || !exists("inner") {
			t.Errorf("Tx = %v, outer %v, inner %v", err, exists("outer"), exists("inner"))
		}
	})
	t.Run("an error rolls back every write, sequences included", func(t *testing.T) {
		err := s.Tx(ctx, "acme", func(ctx context.Context) error {
			s.Insert(ctx, "acme", "c", store.Doc{"id": "lost"})
			s.NextSequence(ctx, "acme", "seq")
			s.EnsureCollection(ctx, "acme", "made_in_tx")
			return boom
		})
		if !errors.Is(err, boom) || exists("lost") {
			t.Errorf("Tx = %v, lost exists %v", err, exists("lost"))
		}
		if n, _ := s.NextSequence(ctx, "acme", "seq"); n != 1 {
			t.Errorf("sequence = %d after the rollback, want 1", n)
		}
		if _, err := s.Find(ctx, "acme", "made_in_tx", store.Query{}); !errors.Is(err, store.ErrUnknownCollection) {
			t.Errorf("collection created in a rolled back transaction: %v", err)
		}
	})
	t.Run("a panic rolls back and propagates", func(t *testing.T) {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic did not propagate")
				}
			}()
			s.Tx(ctx, "acme", func(ctx context.Context) error {
				s.Insert(ctx, "acme", "c", store.Doc{"id": "panicked"})
				panic("boom")
			})
		}()
		if exists("panicked") {
			t.Error("the write of a panicking transaction was committed")
		}
		if _, err := s.Insert(ctx, "acme", "c", store.Doc{"id": "after-panic"}); err != nil {
			t.Errorf("the store is unusable after a panic: %v", err)
		}
	})
}

func TestConcurrency_compareAndSetHasOneWinnerPerVersion(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	mustCollection(t, s, "acme", "c")
	mustInsert(t, s, "acme", "c", store.Doc{"id": "counter", "n": int64(0)})
	const workers, rounds = 8, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, seqs := 0, map[int64]bool{}
	for range workers {
		wg.Go(func() {
			for range rounds {
				d, err := s.Get(ctx, "acme", "c", "counter", nil)
				if err != nil {
					t.Error(err)
					return
				}
				d["n"] = d["n"].(int64) + 1
				_, err = s.Update(ctx, "acme", "c", d, d["version"].(int64))
				seq, serr := s.NextSequence(ctx, "acme", "inv")
				mu.Lock()
				if err == nil {
					wins++
				} else if !errors.Is(err, store.ErrVersionConflict) {
					t.Errorf("Update: %v", err)
				}
				if serr != nil || seqs[seq] {
					t.Errorf("NextSequence = %d, %v (duplicate %v)", seq, serr, seqs[seq])
				}
				seqs[seq] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	d, err := s.Get(ctx, "acme", "c", "counter", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d["n"] != int64(wins) || d["version"] != int64(wins+1) || wins == 0 {
		t.Errorf("n = %v, version = %v after %d successful updates", d["n"], d["version"], wins)
	}
	if len(seqs) != workers*rounds {
		t.Errorf("%d distinct sequence values, want %d", len(seqs), workers*rounds)
	}
}

func TestDurability_reopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mustCollection(t, s, "acme", "c", store.Index{Name: "u", Keys: []store.IndexKey{{Field: "u"}}, Unique: true})
	mustInsert(t, s, "acme", "c", store.Doc{"id": "1", "u": "x"})
	s.Close()
	if _, err := s.Get(ctx, "acme", "c", "1", nil); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get after Close = %v, want unavailable", err)
	}
	s, err = Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.Get(ctx, "acme", "c", "1", nil); err != nil || d["u"] != "x" {
		t.Errorf("Get after reopen = %v, %v", d, err)
	}
	if ix, err := s.Indexes(ctx, "acme", "c"); err != nil || len(ix) != 1 || !ix[0].Unique {
		t.Errorf("Indexes after reopen = %v, %v", ix, err)
	}
	if err := s.DropTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir + "/tenants"); len(entries) != 0 {
		t.Errorf("DropTenant left files: %v", entries)
	}
	if list, err := s.Collections(ctx, "acme"); err != nil || len(list) != 0 {
		t.Errorf("Collections after DropTenant = %v, %v", list, err)
	}
}

// killEnv names the directory a child process writes to in
// TestDurability_acknowledgedWritesSurviveKill.
const killEnv = "CRM_SQLITE_KILL_DIR"

func TestDurability_acknowledgedWritesSurviveKill(t *testing.T) {
	if dir := os.Getenv(killEnv); dir != "" {
		writeUntilKilled(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurability_acknowledgedWritesSurviveKill$")
	cmd.Env = append(os.Environ(), killEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for len(acked) < 300 && lines.Scan() {
		acked = append(acked, lines.Text())
	}
	cmd.Process.Kill() // SIGKILL: no deferred Close, no checkpoint
	cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("the child acknowledged only %d writes", len(acked))
	}
	s, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range acked {
		if _, err := s.Get(context.Background(), "acme", "c", id, nil); err != nil {
			t.Fatalf("acknowledged write %s lost after kill -9: %v", id, err)
		}
	}
}

// writeUntilKilled inserts documents and prints each id once Insert has
// returned, until the parent kills the process.
func writeUntilKilled(dir string) {
	s, err := Open(Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := s.EnsureCollection(ctx, "acme", "c"); err != nil {
		panic(err)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("d%06d", i)
		if _, err := s.Insert(ctx, "acme", "c", store.Doc{"id": id, "i": i}); err != nil {
			panic(err)
		}
		fmt.Println(id)
	}
}
