package records

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/opencrm/crm/platform/store"
)

// equalJSON compares two values as JSON would.
func equalJSON(a, b any) bool {
	if c, ok := store.Compare(a, b); ok {
		return c == 0
	}
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// countCache remembers how many records each object has, for the decision
// to refuse unindexed queries; a minute-old figure is good enough for that.
// Its clock is the machine's, not the service's business clock (which a
// seed pins to moments of its history: the cache then never held).
type countCache struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]countEntry
}

type countEntry struct {
	n  int64
	at time.Time
}

func newCountCache(now func() time.Time) *countCache {
	return &countCache{now: now, m: map[string]countEntry{}}
}

func (c *countCache) count(ctx context.Context, st store.Store, tenant, coll string) (int64, error) {
	key := tenant + "/" + coll
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < time.Minute {
		return e.n, nil
	}
	n, err := st.Count(ctx, tenant, coll, nil)
	if err != nil {
		return 0, fmt.Errorf("records: count %s: %w", coll, err)
	}
	c.mu.Lock()
	c.m[key] = countEntry{n: n, at: c.now()}
	c.mu.Unlock()
	return n, nil
}

// purgeClock spaces out recycle-bin purges: at most one per tenant an hour.
type purgeClock struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func newPurgeClock() *purgeClock { return &purgeClock{last: map[string]time.Time{}} }

func (p *purgeClock) due(tenant string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last[tenant]) < time.Hour {
		return false
	}
	p.last[tenant] = now
	return true
}

// purgeExpired removes recycle-bin entries older than the retention. It
// runs on deletes, at most hourly per tenant; a failure only delays it.
func (s *Service) purgeExpired(ctx context.Context, tenant string) {
	now := s.cfg.Now()
	if !s.purges.due(tenant, now) {
		return
	}
	cutoff := now.Add(-s.cfg.RecycleRetention).UTC().Format("2006-01-02T15:04:05.000Z")
	_, _ = s.st.DeleteMany(ctx, tenant, recycleColl, store.Cmp{Field: "deletedAt", Op: store.OpLt, Value: cutoff})
}

// PurgeRecycleBin removes the tenant's recycle-bin entries older than the
// retention now, and returns how many it removed.
func (s *Service) PurgeRecycleBin(ctx context.Context, tenant string) (int64, error) {
	cutoff := s.cfg.Now().Add(-s.cfg.RecycleRetention).UTC().Format("2006-01-02T15:04:05.000Z")
	return s.st.DeleteMany(ctx, tenant, recycleColl, store.Cmp{Field: "deletedAt", Op: store.OpLt, Value: cutoff})
}
