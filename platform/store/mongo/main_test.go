package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// backend is a server the tests run against.
type backend struct {
	name string
	uri  string
}

// backends lists the embedded FerretDB (always) and a real MongoDB when
// CRM_TEST_MONGODB_URI names one. TestMain fills it; tests only read it.
var backends []backend

// dbSeq makes database prefixes unique within the test process; runID
// makes them unique across runs sharing one MongoDB.
var (
	dbSeq atomic.Int64
	runID = randomHex(3)
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "crm-ferretdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		return 1
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	defer func() {
		stop()
		<-done
	}()
	backends = append(backends, backend{name: "ferretdb", uri: f.MongoDBURI()})
	if uri := os.Getenv("CRM_TEST_MONGODB_URI"); uri != "" {
		backends = append(backends, backend{name: "mongodb", uri: uri})
	}
	return m.Run()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// openStore opens a store on b with a database prefix of its own and drops
// every database under that prefix when the test ends.
func openStore(t testing.TB, b backend) *Store {
	t.Helper()
	prefix := fmt.Sprintf("x%s%d_", runID, dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{URI: b.uri, DatabasePrefix: prefix})
	if err != nil {
		t.Fatalf("Open(%s): %v", b.name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		names, err := s.client.ListDatabaseNames(ctx, bson.D{})
		if err == nil {
			for _, n := range names {
				if strings.HasPrefix(n, prefix) {
					_ = s.client.Database(n).Drop(ctx)
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// eachBackend runs fn as a subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, openStore(t, b)) })
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
