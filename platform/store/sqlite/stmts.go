package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Preparing a statement is a third of a point read (SQLite parses and
// plans the text every time database/sql is handed one). The store's
// statements come from a small set of shapes — the get, insert, update and
// delete of each collection, the lists that users repeat — so each
// database keeps its prepared statements by text. database/sql prepares a
// statement on each connection at its first use there, and a transaction
// on the write connection reuses the one prepared on it. The cache holds at
// most maxStmts texts (bounding the prepared statements each connection
// keeps, a few KiB each); when it is full it starts again, and the old
// statements are closed once the queries running on them are done.
//
// A transaction holds the write database's only connection, so a statement
// first seen inside one cannot be prepared on the database then (it would
// wait for the connection the transaction holds): it runs unprepared, and
// is prepared in the background once the connection is free.

const maxStmts = 256

// stmtCache is one database's prepared statements.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool // being prepared in the background
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement of query if there is one; if not,
// it has it prepared in the background.
func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, true
	}
	if !c.pending[query] && len(c.pending) < maxStmts {
		c.pending[query] = true
		go func() {
			_, _ = c.get(context.Background(), query)
			c.mu.Lock()
			delete(c.pending, query)
			c.mu.Unlock()
		}()
	}
	return nil, false
}

// get returns the prepared statement of query, preparing it if needed.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.m[query]; ok { // prepared meanwhile by another caller
		go st.Close()
		return had, nil
	}
	if len(c.m) >= maxStmts {
		old := c.m
		c.m = map[string]*sql.Stmt{}
		go func() { // Close waits for the queries running on them
			for _, st := range old {
				st.Close()
			}
		}()
	}
	c.m[query] = st
	return st, nil
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}

// preparedDB runs statements of a database through its cache. A statement
// that cannot be prepared (say, of a table that does not exist yet) runs
// unprepared, so that its error is the one the caller expects.
type preparedDB struct{ c *stmtCache }

func (p preparedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.c.get(ctx, query)
	if err != nil {
		return p.c.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.c.get(ctx, query)
	if err != nil {
		return p.c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.c.get(ctx, query)
	if err != nil {
		return p.c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// preparedTx runs statements of a transaction on the write connection
// through that connection's cache.
type preparedTx struct {
	tx *sql.Tx
	c  *stmtCache
}

func (p preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, ok := p.c.lookup(query)
	if !ok {
		return p.tx.ExecContext(ctx, query, args...)
	}
	return p.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (p preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, ok := p.c.lookup(query)
	if !ok {
		return p.tx.QueryContext(ctx, query, args...)
	}
	return p.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (p preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, ok := p.c.lookup(query)
	if !ok {
		return p.tx.QueryRowContext(ctx, query, args...)
	}
	return p.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}
