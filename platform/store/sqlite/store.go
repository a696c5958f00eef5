// Package sqlite is the embedded default adapter of the store port
// (platform/store), built on the pure-Go SQLite driver modernc.org/sqlite.
//
// It owns the on-disk layout of the embedded store and the translation of the
// port's filter AST into SQL. It imports only platform/store, platform/errs,
// the driver and the standard library; it must not import any other package
// of the project.
//
// # Layout
//
// Each tenant has its own database file, Dir/tenants/<tenant>.db, opened
// lazily on first use and kept open. A database runs in WAL mode with one
// write connection (so writers queue in the process instead of failing with
// SQLITE_BUSY, and transactions begin IMMEDIATE) and a pool of read
// connections that never block the writer. With synchronous=NORMAL, the
// default, a write that returned to the caller is in the WAL file and survives
// a kill -9 of the process; Config.Synchronous "full" adds an fsync per commit
// for power loss.
//
// A collection is one WITHOUT ROWID table (id TEXT PRIMARY KEY, version
// INTEGER, doc BLOB): the document minus id and version, stored as SQLite
// JSONB (written as JSON text through jsonb(?), read back by decoding the
// JSONB blob in Go, see jsonb.go). JSONB was measured against JSON text with
// BenchmarkInsert and BenchmarkRead100k (100k leads, 2 shared cores): an
// insert costs about 20% more (p50 104 vs 85 µs), but every read that looks
// into documents is faster: get by id p50 20 vs 27 µs, an indexed filter +
// sort + limit 50 p50 0.47 vs 1.1 ms, an unindexed count 150 vs 600 ms, a
// group-by 1.2 vs 2.1 s. Being WITHOUT ROWID, every secondary index ends
// with id, so an index also serves the "id ascending" tie-breaker that the
// port appends to each sort (no temporary b-tree for ORDER BY).
//
// A field is addressed in SQL as json_extract(doc,'$.<path>') (id and version
// as their columns); secondary indexes are expression indexes over exactly
// these expressions, so the query planner matches them. Booleans come out of
// json_extract as 1 and 0 and compare as such, which keeps false < true.
//
// Table and index names are derived from validated names with an injective,
// case-preserving encoding (SQLite identifiers are case-insensitive), and
// every value is a bound parameter, so no name or value is ever an injection.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Store is the embedded store. It implements store.Store and is safe for
// concurrent use.
type Store struct {
	cfg Config
	// text stores documents as JSON text instead of JSONB; only the
	// format benchmark sets it.
	text bool

	mu      sync.Mutex
	closed  bool
	tenants map[string]*tenantDB
}

var _ store.Store = (*Store)(nil)

// tenantDB is one tenant's open database.
type tenantDB struct {
	writer  *sql.DB // exactly one connection
	readers *sql.DB
	plans   *planner // plan.go
	// Prepared statements of each database: stmts.go.
	readStmts, writeStmts *stmtCache
}

// Open validates cfg, creates the data directory if needed and returns the
// store. Tenant databases are opened on first use.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "tenants"), 0o750); err != nil {
		return nil, errs.Wrap(err, errs.Unavailable, "store.unavailable", "cannot create the data directory")
	}
	return &Store{cfg: cfg, tenants: map[string]*tenantDB{}}, nil
}

// Capabilities reports that this backend supports everything the port
// offers.
func (s *Store) Capabilities() store.Capabilities {
	return store.Capabilities{
		Name:              "sqlite",
		Transactions:      true,
		AtomicUpdate:      true,
		AggregateMeasures: []store.Op{store.OpCount, store.OpSum, store.OpAvg, store.OpMin, store.OpMax},
		MultiMeasure:      true,
		UniqueMissing:     true,
	}
}

// Ping checks that the store is open and its data directory is reachable.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return store.ErrUnavailable
	}
	if _, err := os.Stat(filepath.Join(s.cfg.Dir, "tenants")); err != nil {
		return store.ErrUnavailable.WithCause(err)
	}
	return nil
}

// Close closes every tenant database. Calls after Close fail with
// store.unavailable.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var first error
	for name, t := range s.tenants {
		if err := t.close(); err != nil && first == nil {
			first = err
		}
		delete(s.tenants, name)
	}
	if first != nil {
		return internal("close", first)
	}
	return nil
}

// DropTenant closes the tenant's database and removes its files.
func (s *Store) DropTenant(ctx context.Context, tenant string) error {
	if err := store.ValidTenant(tenant); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tenants[tenant]; ok {
		delete(s.tenants, tenant)
		if err := t.close(); err != nil {
			return internal("drop tenant", err)
		}
	}
	path := s.path(tenant)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return internal("drop tenant", err)
		}
	}
	return nil
}

func (s *Store) path(tenant string) string {
	return filepath.Join(s.cfg.Dir, "tenants", tenant+".db")
}

// tenant returns the tenant's open database, opening it on first use.
func (s *Store) tenant(tenant string) (*tenantDB, error) {
	if err := store.ValidTenant(tenant); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrUnavailable
	}
	if t, ok := s.tenants[tenant]; ok {
		return t, nil
	}
	t, err := s.openTenant(s.path(tenant))
	if err != nil {
		return nil, err
	}
	s.tenants[tenant] = t
	return t, nil
}

// schema is created in every tenant database: the collection catalogue
// (with each collection's index definitions as JSON) and the sequences.
const schema = `
CREATE TABLE IF NOT EXISTS _collections (name TEXT PRIMARY KEY, indexes TEXT NOT NULL DEFAULT '[]') WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`

func (s *Store) openTenant(path string) (*tenantDB, error) {
	busy := strconv.FormatInt(s.cfg.BusyTimeout.Milliseconds(), 10)
	// Each connection keeps up to 32 MiB of pages: the write connection too,
	// or a transaction that touches many index pages (a bulk load into an
	// object with twenty indexes) spills them to the WAL and reads them back.
	common := path + "?_pragma=busy_timeout(" + busy + ")&_pragma=mmap_size(" + strconv.FormatInt(mmapSize, 10) + ")&_pragma=cache_size(-32000)"
	writer, err := sql.Open("sqlite", common+"&_pragma=journal_mode(WAL)&_pragma=synchronous("+s.cfg.Synchronous+")&_txlock=immediate")
	if err != nil {
		return nil, internal("open", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if _, err := writer.Exec(schema); err != nil {
		writer.Close()
		return nil, unavailable("open tenant database", err)
	}
	readers, err := sql.Open("sqlite", common+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, internal("open", err)
	}
	readers.SetMaxOpenConns(s.cfg.MaxReaders)
	readers.SetMaxIdleConns(s.cfg.MaxReaders)
	readers.SetConnMaxLifetime(0)
	readers.SetConnMaxIdleTime(0)
	return &tenantDB{writer: writer, readers: readers, plans: newPlanner(),
		readStmts: newStmtCache(readers), writeStmts: newStmtCache(writer)}, nil
}

func (t *tenantDB) close() error {
	t.readStmts.close()
	t.writeStmts.close()
	return errors.Join(t.readers.Close(), t.writer.Close())
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txKey is the context key of a running transaction.
type txKey struct{}

// txState is the transaction a context carries.
type txState struct {
	store  *Store
	tenant string
	tx     *sql.Tx
}

// txOf returns the transaction ctx carries for this store and tenant.
func (s *Store) txOf(ctx context.Context, tenant string) *sql.Tx {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.store == s && st.tenant == tenant {
		return st.tx
	}
	return nil
}

// reader returns the querier for reads: the context's transaction, or the
// read pool.
func (s *Store) reader(ctx context.Context, tenant string) (querier, error) {
	t, err := s.tenant(tenant)
	if err != nil {
		return nil, err
	}
	if tx := s.txOf(ctx, tenant); tx != nil {
		return preparedTx{tx, t.writeStmts}, nil
	}
	return preparedDB{t.readStmts}, nil
}

// writer returns the querier for single-statement writes: the context's
// transaction, or the write connection.
func (s *Store) writer(ctx context.Context, tenant string) (querier, error) {
	t, err := s.tenant(tenant)
	if err != nil {
		return nil, err
	}
	if tx := s.txOf(ctx, tenant); tx != nil {
		return preparedTx{tx, t.writeStmts}, nil
	}
	return preparedDB{t.writeStmts}, nil
}

// inTx runs fn in the context's transaction, or in a new one on the write
// connection.
func (s *Store) inTx(ctx context.Context, tenant string, fn func(q querier) error) error {
	t, err := s.tenant(tenant)
	if err != nil {
		return err
	}
	if tx := s.txOf(ctx, tenant); tx != nil {
		return fn(preparedTx{tx, t.writeStmts})
	}
	tx, err := t.writer.BeginTx(ctx, nil)
	if err != nil {
		return driverError("begin", err)
	}
	if err := fn(preparedTx{tx, t.writeStmts}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return driverError("commit", err)
	}
	return nil
}

// Tx runs fn in a transaction on the tenant's database. A Tx inside a Tx for
// the same tenant joins the outer one.
//
// NB: the transaction holds the tenant's only write connection until fn
// returns, so fn must make its writes to that tenant with the context it was
// given: a write made with another context waits for the transaction and so
// deadlocks.
func (s *Store) Tx(ctx context.Context, tenant string, fn func(ctx context.Context) error) (err error) {
	t, err := s.tenant(tenant)
	if err != nil {
		return err
	}
	if s.txOf(ctx, tenant) != nil {
		return fn(ctx)
	}
	tx, err := t.writer.BeginTx(ctx, nil)
	if err != nil {
		return driverError("begin", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, &txState{store: s, tenant: tenant, tx: tx})); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return driverError("commit", err)
	}
	return nil
}

// internal wraps an unexpected driver error; its text stays in the cause.
func internal(op string, err error) error {
	return errs.Wrap(fmt.Errorf("sqlite: %s: %w", op, err), errs.Internal, "store.internal", "storage failure")
}

// unavailable wraps a failure to reach the database.
func unavailable(op string, err error) error {
	return store.ErrUnavailable.WithCause(fmt.Errorf("sqlite: %s: %w", op, err))
}

// mmapSize is how much of a database file the connections read through a
// memory map instead of read system calls, which dominate reads otherwise.
// Read connections get a 32 MB page cache (allocated as used), which is
// also the memory a sort (GROUP BY, ORDER BY without an index) may use
// before it spills to a temporary file. NB: temp_store=memory looks
// tempting but makes SQLite's sorter allocate every record separately,
// which was 2x slower for a GROUP BY over 100k documents.
const mmapSize = 1 << 30
