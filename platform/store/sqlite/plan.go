package sqlite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/crm/platform/store"
)

// A CRM's commonest query is a sorted page: the newest 50 leads of a
// filter. SQLite's planner serves it with an index of the filter when there
// is one, fetches every match and sorts them all. That is right when the
// filter is selective and ruinous when it is not: region = 'north' over
// 100,000 leads sorts 50,000 rows to return 50, and a visibility filter
// "own records OR shared by a rule" is such an OR of indexed terms.
//
// The other plan walks the index of the first sort key in order and stops
// after limit matches, reading about limit·N/M rows for a collection of N
// documents of which M match, against about M rows (plus their sort) for the
// filter's index. Walking wins when M² > limit·N. So before such a query the
// planner counts the filter's matches up to K = √(limit·N), which the
// filter's (covering) index answers cheaply, and when the count reaches K it
// compiles the filter with SQLite's unary + on every field, which keeps the
// rows it selects and only stops the planner from using an index for it:
// the index of the sort (or, for a sort by id, the table itself) is the one
// left. Decisions, row counts and index lists are cached for a few seconds
// per collection; a stale one can only cost speed, never change a result.
//
// Most filters of one shape (the same text but for the values: email = ?)
// are about as selective whatever the values, and a probe per query would
// cost as much as the query. So a shape whose last three probes all found
// under K/16 matches is taken as selective, unprobed, for a few seconds; a
// shape with one probe above that (status = 'open' matching most records
// where 'lost' matches few) keeps a probe per value.

const (
	planTTL      = 10 * time.Second
	planMinRows  = 5000 // below this, any plan is fast
	planMaxCache = 4096
)

// planner holds one tenant database's cached planning facts.
type planner struct {
	mu        sync.Mutex
	rows      map[string]cachedCount   // collection -> documents
	indexed   map[string]cachedIndexed // collection -> first keys of its indexes
	decisions map[string]cachedWalk    // collection + filter -> walk the sort
	shapes    map[string]cachedShape   // collection + filter text without values
}

type cachedShape struct {
	hits int // probes in a row under K/16; -1 after one above
	at   time.Time
}

// shapeHits is how many selective probes in a row make a shape selective.
const shapeHits = 3

type cachedCount struct {
	n  int64
	at time.Time
}

type cachedIndexed struct {
	fields map[string]bool
	at     time.Time
}

type cachedWalk struct {
	walk bool
	at   time.Time
}

func newPlanner() *planner {
	return &planner{rows: map[string]cachedCount{}, indexed: map[string]cachedIndexed{}, decisions: map[string]cachedWalk{},
		shapes: map[string]cachedShape{}}
}

// forget drops what is cached about a collection whose indexes or
// existence changed.
func (p *planner) forget(coll string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.rows, coll)
	delete(p.indexed, coll)
	for k := range p.decisions {
		if strings.HasPrefix(k, coll+"\x00") {
			delete(p.decisions, k)
		}
	}
	for k := range p.shapes {
		if strings.HasPrefix(k, coll+"\x00") {
			delete(p.shapes, k)
		}
	}
}

// walkSort tells whether the query should walk its sort's index rather
// than let SQLite select by an index of the filter (see above). filter is
// the normalised client filter, without the keyset condition, so that all
// pages of a list share one decision; where and args are its compiled form.
func (p *planner) walkSort(ctx context.Context, t *tenantDB, coll string, filter store.Filter, where string, args []any,
	sort []store.SortKey, limit int) bool {
	if filter == nil || len(sort) == 0 {
		return false
	}
	indexed, ok := p.indexedFields(ctx, t, coll)
	if !ok || (sort[0].Field != "id" && !indexed[sort[0].Field]) || !usesIndex(filter, indexed, sort[0].Field) {
		return false
	}
	shape := coll + "\x00" + where
	key := shape + "\x00" + fmt.Sprintf("%#v", args) // unambiguous: ("ab","c") is not ("a","bc")
	now := time.Now()
	p.mu.Lock()
	sh, shaped := p.shapes[shape]
	d, ok := p.decisions[key]
	p.mu.Unlock()
	fresh := shaped && now.Sub(sh.at) < planTTL
	if fresh && sh.hits >= shapeHits {
		return false
	}
	if ok && now.Sub(d.at) < planTTL {
		return d.walk
	}
	m, k, probed := p.decide(ctx, t, coll, where, args, limit)
	walk := probed && m >= k
	p.mu.Lock()
	if len(p.decisions) >= planMaxCache {
		clear(p.decisions)
	}
	if len(p.shapes) >= planMaxCache {
		clear(p.shapes)
	}
	p.decisions[key] = cachedWalk{walk: walk, at: now}
	if probed {
		hits := 0
		if fresh {
			hits = sh.hits
		}
		switch {
		case m >= k/16:
			hits = -1
		case hits >= 0:
			hits++
		}
		p.shapes[shape] = cachedShape{hits: hits, at: now}
	}
	p.mu.Unlock()
	return walk
}

// decide probes the filter's matches (m) up to k = √(limit·N); probed is
// false when the collection is too small to bother.
func (p *planner) decide(ctx context.Context, t *tenantDB, coll, where string, args []any, limit int) (m, k int64, probed bool) {
	n, ok := p.count(ctx, t, coll)
	if !ok || n < planMinRows {
		return 0, 0, false
	}
	k = int64(math.Sqrt(float64(limit+1) * float64(n)))
	err := t.readers.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+tableName(coll)+where+` LIMIT `+fmt.Sprint(k)+`)`, args...).Scan(&m)
	return m, k, err == nil
}

// count returns the collection's cached size.
func (p *planner) count(ctx context.Context, t *tenantDB, coll string) (int64, bool) {
	now := time.Now()
	p.mu.Lock()
	c, ok := p.rows[coll]
	p.mu.Unlock()
	if ok && now.Sub(c.at) < planTTL {
		return c.n, true
	}
	var n int64
	if err := t.readers.QueryRowContext(ctx, `SELECT count(*) FROM `+tableName(coll)).Scan(&n); err != nil {
		return 0, false
	}
	p.mu.Lock()
	p.rows[coll] = cachedCount{n: n, at: now}
	p.mu.Unlock()
	return n, true
}

// indexedFields returns the fields that are the first key of one of the
// collection's indexes.
func (p *planner) indexedFields(ctx context.Context, t *tenantDB, coll string) (map[string]bool, bool) {
	now := time.Now()
	p.mu.Lock()
	c, ok := p.indexed[coll]
	p.mu.Unlock()
	if ok && now.Sub(c.at) < planTTL {
		return c.fields, true
	}
	ixs, err := loadIndexes(ctx, t.readers, coll)
	if err != nil {
		return nil, false
	}
	fields := map[string]bool{}
	for _, ix := range ixs {
		if len(ix.Keys) > 0 {
			fields[ix.Keys[0].Field] = true
		}
	}
	p.mu.Lock()
	p.indexed[coll] = cachedIndexed{fields: fields, at: now}
	p.mu.Unlock()
	return fields, true
}

// usesIndex tells whether SQLite could select the filter's rows through an
// index other than the sort's: a term on an indexed field (or id) that an
// index can serve.
func usesIndex(f store.Filter, indexed map[string]bool, sortField string) bool {
	served := func(field string) bool { return field != sortField && (field == "id" || indexed[field]) }
	switch f := f.(type) {
	case store.And:
		for _, g := range f {
			if usesIndex(g, indexed, sortField) {
				return true
			}
		}
	case store.Or:
		for _, g := range f {
			if !usesIndex(g, indexed, sortField) {
				return false // one branch without an index: SQLite scans anyway
			}
		}
		return len(f) > 0
	case store.Cmp:
		return f.Op != store.OpNe && served(f.Field)
	case store.In:
		return !f.Not && served(f.Field)
	case store.Null:
		return served(f.Field)
	}
	return false
}
