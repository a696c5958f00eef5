package records

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// This file keeps roll-up summary fields current. A roll-up field on a
// master object summarises (count, sum, avg, min, max) a field of the detail
// records that point at the master through a master-detail field, optionally
// filtered in the API's filter language. Its value is stored on the master
// record, so it can be filtered, sorted and aggregated like any stored field.
//
// After every detail write (create, update, delete, restore, cascade) the
// service recomputes the roll-ups of each master the detail points at,
// before and after the write (a re-parented detail changes two masters), with
// store.Aggregate over the master's details, and writes the values with a
// version check. A version conflict means someone else wrote the master
// meanwhile (perhaps another detail's recompute): the service reads it again
// and recomputes. The master is written even when the values did not change,
// because the version bump is what makes a concurrent recompute that read
// the details earlier retry instead of storing a stale value; so the last
// successful write always holds values computed after every detail write
// that preceded it. Updates of a detail that touch no field a roll-up reads
// (link, summarised field, filter fields) skip all this.
//
// NB: on a store whose compare-and-set Update is not atomic
// (Capabilities.AtomicUpdate false: FerretDB v1) concurrent detail writes
// may leave a stale roll-up until the next write to the master's details.

// maxRollupAttempts bounds the retries of one master's recompute.
const maxRollupAttempts = 100

// rollupDepth bounds chains of roll-ups over roll-ups (a master that is
// itself the detail of another master).
const rollupDepth = 5

// rollupTarget is a master object whose roll-ups summarise a detail object.
type rollupTarget struct {
	master *schema.Object
	// links are the detail's master-detail fields pointing at master.
	links []string
	// fields are the master's roll-up fields over the detail object.
	fields []*schema.Field
	// reads are the detail fields the roll-ups depend on.
	reads map[string]bool
}

// rollupTargets finds the masters that summarise records of detail.
func (s *Service) rollupTargets(ctx context.Context, tenant string, detail *schema.Object) ([]rollupTarget, error) {
	var links map[string][]string // master object -> link fields
	for _, f := range detail.Fields {
		if f.TypeName == "masterdetail" && !f.Deleted {
			if links == nil {
				links = map[string][]string{}
			}
			links[f.Target] = append(links[f.Target], f.Name)
		}
	}
	if len(links) == 0 {
		return nil, nil
	}
	var out []rollupTarget
	for master, ls := range links {
		m := detail
		if master != detail.APIName {
			e, err := s.meta.Object(ctx, tenant, master)
			if errs.KindOf(err) == errs.NotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			m = e.Object
		}
		t := rollupTarget{master: m, links: ls, reads: map[string]bool{}}
		for _, f := range m.Fields {
			if f.Rollup == nil || f.Deleted || f.Rollup.Object != detail.APIName {
				continue
			}
			t.fields = append(t.fields, f)
			if f.Rollup.Field != "" {
				t.reads[f.Rollup.Field] = true
			}
			if flt, err := rollupFilter(detail, f); err == nil {
				filterFields(flt, t.reads)
			}
		}
		for _, l := range ls {
			t.reads[l] = true
		}
		if len(t.fields) > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}

// rollupFilter parses a roll-up's filter against the detail object, with
// the platform's rights (no field-level security).
func rollupFilter(detail *schema.Object, f *schema.Field) (store.Filter, error) {
	if f.Rollup.Filter == "" {
		return nil, nil
	}
	return query.ParseFilter(f.Rollup.Filter, resolverFor(&call{obj: detail}))
}

// filterFields adds the fields a filter reads to into.
func filterFields(f store.Filter, into map[string]bool) {
	switch x := f.(type) {
	case store.And:
		for _, c := range x {
			filterFields(c, into)
		}
	case store.Or:
		for _, c := range x {
			filterFields(c, into)
		}
	case store.Not:
		filterFields(x.F, into)
	case store.Cmp:
		into[x.Field] = true
	case store.In:
		into[x.Field] = true
	case store.Like:
		into[x.Field] = true
	case store.Null:
		into[x.Field] = true
	}
}

// skipMaster names a master record whose roll-ups need no recompute (it is
// being deleted by a cascade).
type skipMaster struct{ object, id string }

// afterDetailWrite recomputes the roll-ups of the masters of one detail
// record; old is nil for a create or restore, saved nil for a delete.
func (s *Service) afterDetailWrite(ctx context.Context, tenant string, detail *schema.Object, old, saved store.Doc, skip skipMaster, depth int) error {
	if depth > rollupDepth {
		return nil
	}
	targets, err := s.rollupTargets(ctx, tenant, detail)
	if err != nil || len(targets) == 0 {
		return err
	}
	for _, t := range targets {
		if old != nil && saved != nil && !touches(old, saved, t.reads) {
			continue
		}
		ids := map[string]bool{}
		for _, l := range t.links {
			for _, d := range []store.Doc{old, saved} {
				if id, ok := d[l].(string); ok && id != "" && !(t.master.APIName == skip.object && id == skip.id) {
					ids[id] = true
				}
			}
		}
		for id := range ids {
			if err := s.recomputeRollups(ctx, tenant, t, id, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// touches reports whether a write changed any of the fields.
func touches(old, saved store.Doc, fields map[string]bool) bool {
	for f := range fields {
		if !equalJSON(old[f], saved[f]) {
			return true
		}
	}
	return false
}

// recomputeRollups brings the roll-ups of t on one master record up to
// date after a detail write. Within this node the recomputes of one master
// are coalesced: a caller waits until a recompute that started after its
// call has finished, and one recompute serves every caller that arrived
// while the previous one ran. So concurrent writers of one master's details
// do not compete for its version here; writers on other nodes still do, and
// retry (recomputeNow).
func (s *Service) recomputeRollups(ctx context.Context, tenant string, t rollupTarget, masterID string, depth int) error {
	key := tenant + "/" + t.master.APIName + "/" + masterID + "/" + t.fields[0].Rollup.Object
	return s.flights.do(ctx, key, func(ctx context.Context) error { return s.recomputeNow(ctx, tenant, t, masterID, depth) })
}

// flights coalesces recomputes by key.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// flight is the state of one key: requests are numbered; covered is the
// highest request number that a finished recompute started after.
type flight struct {
	requested, covered int64
	running            bool
	waiters            int
	done               chan struct{} // closed when the running recompute ends
}

func newFlights() *flights { return &flights{m: map[string]*flight{}} }

// heldKeys is the context key of the flights a call chain is running, so
// that a chain of roll-ups that comes back to a master it is recomputing
// (records that are each other's masters) runs instead of waiting for
// itself.
type heldKeys struct{}

type held struct {
	key  string
	next *held
}

func (fs *flights) do(ctx context.Context, key string, fn func(context.Context) error) error {
	for h, _ := ctx.Value(heldKeys{}).(*held); h != nil; h = h.next {
		if h.key == key {
			return fn(ctx)
		}
	}
	prev, _ := ctx.Value(heldKeys{}).(*held)
	inner := context.WithValue(ctx, heldKeys{}, &held{key: key, next: prev})
	fs.mu.Lock()
	f := fs.m[key]
	if f == nil {
		f = &flight{}
		fs.m[key] = f
	}
	f.requested++
	mine := f.requested
	f.waiters++
	defer func() {
		f.waiters--
		if f.waiters == 0 && !f.running {
			delete(fs.m, key)
		}
		fs.mu.Unlock()
	}()
	for f.covered < mine {
		if f.running {
			done := f.done
			fs.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				fs.mu.Lock()
				return ctx.Err()
			}
			fs.mu.Lock()
			continue
		}
		f.running, f.done = true, make(chan struct{})
		start := f.requested
		fs.mu.Unlock()
		err := fn(inner)
		fs.mu.Lock()
		f.running = false
		close(f.done)
		if err != nil {
			return err
		}
		f.covered = max(f.covered, start)
	}
	return nil
}

// recomputeNow recomputes every roll-up of t on one master record and
// stores them with a version check, retrying on conflicts.
func (s *Service) recomputeNow(ctx context.Context, tenant string, t rollupTarget, masterID string, depth int) error {
	coll := t.master.APIName
	for attempt := 0; attempt < maxRollupAttempts; attempt++ {
		doc, err := s.st.Get(ctx, tenant, coll, masterID, nil)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
			return nil // the master is gone (deleted, or never existed)
		}
		if err != nil {
			return fmt.Errorf("records: roll-up of %s %s: %w", coll, masterID, err)
		}
		version, _ := store.NormalizeValue(doc["version"]).(int64)
		next := maps.Clone(doc)
		for _, f := range t.fields {
			v, err := s.summarise(ctx, tenant, t, f, masterID)
			if err != nil {
				return err
			}
			if v == nil {
				delete(next, f.Name)
			} else {
				next[f.Name] = v
			}
		}
		saved, err := s.st.Update(ctx, tenant, coll, next, version)
		if errors.Is(err, store.ErrVersionConflict) {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("records: roll-up of %s %s: %w", coll, masterID, err)
		}
		// The master may itself be a detail whose roll-ups read these.
		return s.afterDetailWrite(ctx, tenant, t.master, doc, saved, skipMaster{}, depth+1)
	}
	return errs.New(errs.Unavailable, "record.rollup_busy", "the roll-ups of %s %s could not be updated: too many concurrent changes", coll, masterID)
}

// backoff waits a little, more after each failed attempt, with jitter so
// that competing writers spread out.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(min(attempt+1, 20)) * time.Millisecond
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(rand.Int64N(int64(limit)))):
		return nil
	}
}

// summarise computes one roll-up of one master record in its stored form
// (nil for min, max and avg over no records).
func (s *Service) summarise(ctx context.Context, tenant string, t rollupTarget, f *schema.Field, masterID string) (any, error) {
	detailName := f.Rollup.Object
	var detail *schema.Object
	if detailName == t.master.APIName {
		detail = t.master
	} else {
		e, err := s.meta.Object(ctx, tenant, detailName)
		if err != nil {
			return nil, err
		}
		detail = e.Object
	}
	var links store.Or
	for _, l := range t.links {
		links = append(links, store.Eq(l, masterID))
	}
	filter := store.Filter(links)
	if len(links) == 1 {
		filter = links[0]
	}
	extra, err := rollupFilter(detail, f)
	if err != nil {
		return nil, fmt.Errorf("records: roll-up %s.%s: filter: %w", t.master.APIName, f.Name, err)
	}
	filter = and(filter, extra)
	op := store.Op(f.Rollup.Op)
	var raw any
	if op == store.OpCount || s.st.Capabilities().Has(op) {
		q := store.AggregateQuery{Filter: filter, Measures: []store.Measure{{Op: op, Field: f.Rollup.Field}}}
		if op == store.OpCount {
			q.Measures[0].Field = ""
		}
		rows, err := s.st.Aggregate(ctx, tenant, detailName, q)
		if err != nil {
			return nil, fmt.Errorf("records: roll-up %s.%s: %w", t.master.APIName, f.Name, err)
		}
		if len(rows) > 0 && len(rows[0].Values) > 0 {
			raw = rows[0].Values[0]
		}
	} else if raw, err = s.scanMeasure(ctx, tenant, detailName, filter, op, f.Rollup.Field); err != nil {
		return nil, err
	}
	src, _ := detail.Field(f.Rollup.Field)
	return rollupValue(f, src, op, raw), nil
}

// scanMeasure computes a measure the store cannot aggregate by reading the
// records (min, max and avg on FerretDB).
func (s *Service) scanMeasure(ctx context.Context, tenant, coll string, filter store.Filter, op store.Op, field string) (any, error) {
	q := store.Query{Filter: and(filter, store.Null{Field: field, Not: true}), Limit: 500, Fields: []string{field}}
	var best any
	var sum float64
	var n int64
	for {
		page, err := s.st.Find(ctx, tenant, coll, q)
		if err != nil {
			return nil, fmt.Errorf("records: roll-up over %s: %w", coll, err)
		}
		for _, d := range page.Items {
			v := store.NormalizeValue(d[field])
			switch op {
			case store.OpAvg, store.OpSum:
				switch x := v.(type) {
				case int64:
					sum += float64(x)
				case float64:
					sum += x
				}
				n++
			case store.OpMin, store.OpMax:
				c, ok := store.Compare(v, best)
				if best == nil || ok && (op == store.OpMin && c < 0 || op == store.OpMax && c > 0) {
					best = v
				}
			}
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	switch op {
	case store.OpAvg:
		if n == 0 {
			return nil, nil
		}
		return sum / float64(n), nil
	case store.OpSum:
		return sum, nil
	}
	return best, nil
}

// rollupValue turns an aggregate result into the roll-up's stored form.
// src is the summarised detail field (nil for count).
func rollupValue(f, src *schema.Field, op store.Op, raw any) any {
	raw = store.NormalizeValue(raw)
	res := f.Result()
	switch op {
	case store.OpCount:
		if raw == nil {
			return int64(0)
		}
		return raw
	case store.OpSum:
		if raw == nil {
			raw = int64(0)
		}
	case store.OpAvg:
		if raw == nil {
			return nil
		}
		x, _ := raw.(float64)
		if i, ok := raw.(int64); ok {
			x = float64(i)
		}
		if src != nil && src.TypeName == "currency" {
			x /= math.Pow10(src.Scale) // minor units of the detail field
			if res.TypeName == "currency" {
				return int64(math.Round(x * math.Pow10(res.Scale)))
			}
		}
		return x
	}
	if raw == nil {
		return nil
	}
	if res.TypeName == "currency" { // stored minor units at the detail's scale, which is the roll-up's
		if x, ok := raw.(float64); ok {
			return int64(math.Round(x))
		}
	}
	return raw
}

// initRollups gives a new master record its roll-ups over no details:
// counts and sums are 0, min, max and avg stay empty.
func initRollups(obj *schema.Object, stored store.Doc) {
	for _, f := range obj.Fields {
		if f.Rollup == nil || f.Deleted {
			continue
		}
		if f.Rollup.Op == "count" || f.Rollup.Op == "sum" {
			stored[f.Name] = int64(0)
		}
	}
}

// recomputeAll recomputes every roll-up of one master record (after a
// restore, whose stored values may be stale).
func (s *Service) recomputeAll(ctx context.Context, tenant string, master *schema.Object, id string, depth int) error {
	byDetail := map[string]bool{}
	for _, f := range master.Fields {
		if f.Rollup != nil && !f.Deleted {
			byDetail[f.Rollup.Object] = true
		}
	}
	for name := range byDetail {
		detail := master
		if name != master.APIName {
			e, err := s.meta.Object(ctx, tenant, name)
			if errs.KindOf(err) == errs.NotFound {
				continue
			}
			if err != nil {
				return err
			}
			detail = e.Object
		}
		targets, err := s.rollupTargets(ctx, tenant, detail)
		if err != nil {
			return err
		}
		for _, t := range targets {
			if t.master.APIName == master.APIName {
				if err := s.recomputeRollups(ctx, tenant, t, id, depth); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// afterStore updates the roll-ups of the masters of a record just written;
// old is nil for a create or restore, saved nil for a delete.
func (s *Service) afterStore(ctx context.Context, c *call, old, saved store.Doc) error {
	return s.afterDetailWrite(ctx, c.tenant, c.obj, old, saved, skipMaster{}, 0)
}
