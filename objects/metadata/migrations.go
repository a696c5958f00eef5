package metadata

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// A migration job applies a change whose data conversion is too large for
// one request (more than Config.MigrateInlineMax records). The change was
// already checked against every record (so the dry run and the refusal of a
// change that does not fit stay synchronous); the job then converts the
// records in batches, each with a version check and from its current value,
// re-scans the collection for records written meanwhile, and only when every
// record is in the new form saves the new definition. If a record no longer
// converts (a concurrent write put a value that does not fit), the job
// restores the values it wrote, keeps the old definition and ends failed
// with examples. Its progress is a document of the tenant's "_migrations"
// collection. While it runs, the object is locked: another change or a
// delete of it is a 409. The lock is a "_meta" document, so it holds across
// nodes; a job beats it every batch and a lock not beaten for lockStale is
// taken over (its node died).

const (
	migrationsColl = "_migrations"
	migrationBatch = 200
	lockStale      = 2 * time.Minute
)

// Migration is a background change's progress.
type Migration struct {
	ID        string    `json:"id"`
	Object    string    `json:"object"`
	Status    string    `json:"status"` // running, done, failed, interrupted
	Total     int64     `json:"total"`  // records to convert
	Done      int64     `json:"done"`   // records converted
	Failed    int64     `json:"failed"` // records that no longer convert
	Examples  []Failure `json:"examples"`
	Message   string    `json:"message,omitempty"`
	StartedAt string    `json:"startedAt"`
	EndedAt   string    `json:"endedAt,omitempty"`
	By        string    `json:"by"`
}

// Close interrupts running migrations and waits for them: each restores the
// values it converted and keeps the object's old definition.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Migration returns a migration of the tenant.
func (s *Service) Migration(ctx context.Context, tenant, migrationID string) (*Migration, error) {
	doc, err := s.st.Get(ctx, tenant, migrationsColl, migrationID, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownCollection) || errors.Is(err, store.ErrInvalidName) {
		return nil, errs.New(errs.NotFound, "migration.not_found", "no such migration")
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: get migration %s: %w", migrationID, err)
	}
	return migrationOf(doc), nil
}

func pending(convs []conversion) int {
	ids := map[string]bool{}
	for _, c := range convs {
		for id := range c.values {
			ids[id] = true
		}
	}
	return len(ids)
}

// newForm reports whether a stored value already has the new field's form:
// the new definition accepts it unchanged.
func newForm(v *schema.Validator, next *schema.Object, field string) func(any) bool {
	nf, ok := next.Field(field)
	if !ok {
		return nil
	}
	same, ok := v.Converter(nf)
	if !ok {
		return nil
	}
	return func(stored any) bool {
		out, fe := same(stored)
		return fe == nil && sameStored(out, stored)
	}
}

// next computes a record's new stored value of the field from its current
// one; change is false when it is already in the new form.
func (c conversion) next(stored any) (out any, change bool, fe *errs.FieldError) {
	if c.purge {
		return nil, stored != nil, nil
	}
	if c.isNew != nil && c.isNew(stored) {
		return stored, false, nil
	}
	out, fe = c.fn(stored)
	if fe != nil {
		return nil, false, fe
	}
	return out, !sameStored(out, stored), nil
}

func lockID(object string) string { return "migration." + object }

// lock takes the object's migration lock, or answers 409 while a migration
// (or another change) holds it.
func (s *Service) lock(ctx context.Context, tenant, object, migrationID string) error {
	doc := store.Doc{"id": lockID(object), "migration": migrationID, "beatAt": s.cfg.Now().UnixMilli()}
	_, err := s.st.Insert(ctx, tenant, stateColl, doc)
	if !errors.Is(err, store.ErrDuplicate) {
		if err != nil {
			return fmt.Errorf("metadata: lock %s: %w", object, err)
		}
		return nil
	}
	held, err := s.st.Get(ctx, tenant, stateColl, lockID(object), nil)
	if errors.Is(err, store.ErrNotFound) {
		return s.lock(ctx, tenant, object, migrationID) // released meanwhile
	}
	if err != nil {
		return fmt.Errorf("metadata: lock %s: %w", object, err)
	}
	beat, _ := store.NormalizeValue(held["beatAt"]).(int64)
	if s.cfg.Now().Sub(time.UnixMilli(beat)) > lockStale {
		v, _ := store.NormalizeValue(held["version"]).(int64)
		if _, err := s.st.Update(ctx, tenant, stateColl, doc, v); err == nil {
			return nil
		}
	}
	e := errs.New(errs.Conflict, "metadata.migration_running", "%s is being migrated; wait until the migration ends", object)
	if m, _ := held["migration"].(string); m != "" {
		e.Extra = map[string]any{"migration": m}
	}
	return e
}

// beat renews the lock of a running migration.
func (s *Service) beat(ctx context.Context, tenant, object, migrationID string) {
	doc := store.Doc{"id": lockID(object), "migration": migrationID, "beatAt": s.cfg.Now().UnixMilli()}
	_, _ = s.st.Update(ctx, tenant, stateColl, doc, 0)
}

func (s *Service) unlock(ctx context.Context, tenant, object string) {
	_ = s.st.Delete(ctx, tenant, stateColl, lockID(object), 0)
}

// startMigration records the job and runs it in the background. The caller
// holds the object's lock; the job releases it.
func (s *Service) startMigration(ctx context.Context, tenant string, old *Entry, obj *schema.Object, plan Plan, convs []conversion, total int, by string) (*Migration, error) {
	if err := s.st.EnsureCollection(ctx, tenant, migrationsColl); err != nil {
		return nil, fmt.Errorf("metadata: migrations: %w", err)
	}
	m := &Migration{ID: id.New(), Object: obj.APIName, Status: "running", Total: int64(total), Examples: []Failure{},
		StartedAt: s.stamp(), By: by}
	if err := s.saveMigration(ctx, tenant, m, true); err != nil {
		return nil, err
	}
	s.beat(ctx, tenant, obj.APIName, m.ID)
	ids := make([]string, 0, total)
	seen := map[string]bool{}
	for _, c := range convs {
		for id := range c.values {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	out := *m
	s.wg.Add(1)
	go func() { // NB: owned by the service, stopped by Close
		defer s.wg.Done()
		s.runMigration(s.ctx, tenant, m, old, obj, plan, convs, ids)
	}()
	return &out, nil
}

// written is what a job changed in one field of one record, to undo it.
type written struct {
	field       string
	had         bool
	orig, wrote any
}

func (s *Service) runMigration(ctx context.Context, tenant string, m *Migration, old *Entry, obj *schema.Object, plan Plan, convs []conversion, ids []string) {
	bg := context.WithoutCancel(ctx)
	undo := map[string][]written{}
	defer s.unlock(bg, tenant, obj.APIName)
	fail := func(status, msg string) {
		if n := s.restore(bg, tenant, obj.APIName, undo); n > 0 {
			msg += fmt.Sprintf("; %d converted records were restored", n)
		}
		m.Status, m.Message, m.EndedAt = status, msg, s.stamp()
		_ = s.saveMigration(bg, tenant, m, false)
	}
	// Pass 1 goes over the records the check found; pass 2 over every
	// record, for those written or created meanwhile in the old form.
	pass := func(batch []string) error {
		for _, recID := range batch {
			fe, err := s.convertRecord(ctx, tenant, obj.APIName, recID, convs, undo)
			if err != nil {
				return err
			}
			if fe != nil {
				m.Failed++
				if len(m.Examples) < maxExamples {
					m.Examples = append(m.Examples, *fe)
				}
			}
		}
		return nil
	}
	for i := 0; i < len(ids); i += migrationBatch {
		if s.beforeBatch != nil {
			s.beforeBatch()
		}
		batch := ids[i:min(i+migrationBatch, len(ids))]
		if err := pass(batch); err != nil {
			fail(interruptedOr(ctx), err.Error())
			return
		}
		if m.Failed > 0 {
			fail("failed", fmt.Sprintf("%d records no longer convert; the definition was not changed", m.Failed))
			return
		}
		m.Done += int64(len(batch))
		s.beat(bg, tenant, obj.APIName, m.ID)
		_ = s.saveMigration(bg, tenant, m, false)
	}
	q := store.Query{Limit: migrationBatch, Fields: []string{"id"}}
	for {
		if s.beforeBatch != nil {
			s.beforeBatch()
		}
		page, err := s.st.Find(ctx, tenant, obj.APIName, q)
		if err == nil {
			batch := make([]string, len(page.Items))
			for i, d := range page.Items {
				batch[i], _ = d["id"].(string)
			}
			err = pass(batch)
		}
		if err != nil {
			fail(interruptedOr(ctx), err.Error())
			return
		}
		if m.Failed > 0 {
			fail("failed", fmt.Sprintf("%d records no longer convert; the definition was not changed", m.Failed))
			return
		}
		s.beat(bg, tenant, obj.APIName, m.ID)
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	if err := s.applyCollection(ctx, tenant, obj); err != nil {
		fail(interruptedOr(ctx), err.Error())
		return
	}
	if _, err := s.save(ctx, tenant, obj, old, plan, m.By); err != nil {
		fail(interruptedOr(ctx), err.Error())
		return
	}
	m.Status, m.Done, m.EndedAt = "done", m.Total, s.stamp()
	_ = s.saveMigration(bg, tenant, m, false)
}

func interruptedOr(ctx context.Context) string {
	if ctx.Err() != nil {
		return "interrupted"
	}
	return "failed"
}

// convertRecord converts one record's fields from their current values with
// a version check, re-reading on a conflict. It returns the failure of a
// value that does not convert (and then writes nothing).
func (s *Service) convertRecord(ctx context.Context, tenant, coll, recID string, convs []conversion, undo map[string][]written) (*Failure, error) {
	for attempt := 0; ; attempt++ {
		doc, err := s.st.Get(ctx, tenant, coll, recID, nil)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("metadata: convert %s: %w", recID, err)
		}
		var ws []written
		for _, c := range convs {
			stored, had := doc[c.field]
			out, change, fe := c.next(stored)
			if fe != nil {
				return &Failure{ID: recID, Value: stored, Message: c.field + ": " + fe.Message}, nil
			}
			if !change {
				continue
			}
			ws = append(ws, written{field: c.field, had: had, orig: stored, wrote: out})
			if out == nil {
				delete(doc, c.field)
			} else {
				doc[c.field] = out
			}
		}
		if len(ws) == 0 {
			return nil, nil
		}
		v, _ := store.NormalizeValue(doc["version"]).(int64)
		_, err = s.st.Update(ctx, tenant, coll, doc, v)
		if err == nil {
			undo[recID] = append(undo[recID], ws...)
			return nil, nil
		}
		if !errors.Is(err, store.ErrVersionConflict) || attempt > 5 {
			return nil, fmt.Errorf("metadata: convert %s: %w", recID, err)
		}
	}
}

// restore puts back the values a failed job wrote, where they were not
// changed since, and returns how many records it restored.
func (s *Service) restore(ctx context.Context, tenant, coll string, undo map[string][]written) int {
	n := 0
	for recID, ws := range undo {
		for attempt := 0; attempt < 5; attempt++ {
			doc, err := s.st.Get(ctx, tenant, coll, recID, nil)
			if err != nil {
				break
			}
			changed := false
			for i := len(ws) - 1; i >= 0; i-- {
				w := ws[i]
				if cur := doc[w.field]; !sameStored(cur, w.wrote) {
					continue // written by someone else since: theirs wins
				}
				changed = true
				if w.had {
					doc[w.field] = w.orig
				} else {
					delete(doc, w.field)
				}
			}
			if !changed {
				break
			}
			v, _ := store.NormalizeValue(doc["version"]).(int64)
			if _, err = s.st.Update(ctx, tenant, coll, doc, v); err == nil {
				n++
				break
			}
			if !errors.Is(err, store.ErrVersionConflict) {
				break
			}
		}
	}
	return n
}

func (s *Service) saveMigration(ctx context.Context, tenant string, m *Migration, insert bool) error {
	ex := make([]any, len(m.Examples))
	for i, e := range m.Examples {
		ex[i] = map[string]any{"id": e.ID, "value": e.Value, "message": e.Message}
	}
	doc := store.Doc{"id": m.ID, "object": m.Object, "status": m.Status, "total": m.Total, "done": m.Done,
		"failed": m.Failed, "examples": ex, "startedAt": m.StartedAt, "by": m.By}
	if m.Message != "" {
		doc["message"] = m.Message
	}
	if m.EndedAt != "" {
		doc["endedAt"] = m.EndedAt
	}
	var err error
	if insert {
		_, err = s.st.Insert(ctx, tenant, migrationsColl, doc)
	} else {
		_, err = s.st.Update(ctx, tenant, migrationsColl, doc, 0)
	}
	if err != nil {
		return fmt.Errorf("metadata: save migration %s: %w", m.ID, err)
	}
	return nil
}

func migrationOf(d store.Doc) *Migration {
	n := func(k string) int64 { v, _ := store.NormalizeValue(d[k]).(int64); return v }
	str := func(k string) string { v, _ := d[k].(string); return v }
	m := &Migration{ID: str("id"), Object: str("object"), Status: str("status"), Total: n("total"), Done: n("done"),
		Failed: n("failed"), Message: str("message"), StartedAt: str("startedAt"), EndedAt: str("endedAt"),
		By: str("by"), Examples: []Failure{}}
	if ex, ok := d["examples"].([]any); ok {
		for _, e := range ex {
			em, _ := e.(map[string]any)
			f := Failure{Value: em["value"]}
			f.ID, _ = em["id"].(string)
			f.Message, _ = em["message"].(string)
			m.Examples = append(m.Examples, f)
		}
	}
	return m
}
