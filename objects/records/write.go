package records

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// call is what every operation resolves first: who, which tenant, which
// object at which version, and the caller's field access.
type call struct {
	p      identity.Principal
	tenant string
	entry  *metadata.Entry
	obj    *schema.Object
	fields map[string]FieldAccess
}

func (s *Service) begin(ctx context.Context, object string, act Action) (*call, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.meta.Object(ctx, p.TenantID, object)
	if err != nil {
		return nil, err
	}
	if err := s.guard.Authorize(ctx, p, e.Object, act); err != nil {
		return nil, err
	}
	fa, err := s.guard.Fields(ctx, p, e.Object)
	if err != nil {
		return nil, err
	}
	return &call{p: p, tenant: p.TenantID, entry: e, obj: e.Object, fields: fa}, nil
}

func (c *call) readable(field string) bool { return c.fields[field] != FieldNone }

// checkWritable refuses input that sets a field the caller may not edit.
func (c *call) checkWritable(input map[string]any) error {
	var bad []errs.FieldError
	for name := range input {
		if a := c.fields[name]; a == FieldRead || a == FieldNone {
			bad = append(bad, errs.FieldError{Field: name, Code: "forbidden", Message: "you may not edit this field"})
		}
	}
	if len(bad) > 0 {
		e := errs.New(errs.Forbidden, "record.field_forbidden", "you may not edit %s", bad[0].Field)
		e.Fields = bad
		return e
	}
	return nil
}

func (s *Service) enter(ctx context.Context) (context.Context, int, error) {
	d := depth(ctx) + 1
	if d > s.cfg.MaxDepth {
		return ctx, d, errs.New(errs.Invalid, "record.too_deep", "writes nested through hooks more than %d levels deep", s.cfg.MaxDepth)
	}
	return withDepth(ctx, d), d, nil
}

func (s *Service) runBefore(ctx context.Context, ev *Event) error {
	for _, h := range s.hooks {
		if err := h.Before(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// runInTx runs the TxHooks, inside the write's transaction.
func (s *Service) runInTx(ctx context.Context, ev *Event) error {
	for _, h := range s.hooks {
		if th, ok := h.(TxHook); ok {
			if err := th.InTx(ctx, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) runAfter(ctx context.Context, ev *Event) error {
	for _, h := range s.hooks {
		if err := h.After(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func invalid(problems []errs.FieldError) error {
	e := errs.New(errs.Invalid, "record.invalid", "Record is invalid")
	e.Fields = problems
	if len(problems) == 1 {
		e.Message = "1 field is invalid"
	} else {
		e.Message = fmt.Sprintf("%d fields are invalid", len(problems))
	}
	return e
}

// Create stores a new record of object from API input.
func (s *Service) Create(ctx context.Context, object string, input map[string]any) (*Record, error) {
	c, err := s.begin(ctx, object, ActCreate)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, c, input)
}

func (s *Service) create(ctx context.Context, c *call, input map[string]any) (*Record, error) {
	ctx, d, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	if input == nil {
		input = map[string]any{}
	}
	if err := c.checkWritable(input); err != nil {
		return nil, err
	}
	v, err := c.obj.Validator()
	if err != nil {
		return nil, err
	}
	// Refuse what the client sent wrongly before defaults and hooks add to it.
	if _, problems := v.Prepare(input, nil, schema.Create); len(problems) > 0 && !onlyRequired(problems) {
		return nil, invalid(problems)
	}
	rec := maps.Clone(input)
	c.obj.ApplyDefaults(rec)
	ev := &Event{Op: OpCreate, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: rec, Depth: d}
	if err := s.runBefore(ctx, ev); err != nil {
		return nil, err
	}
	stored, problems := v.Prepare(ev.Record, nil, schema.Create)
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	now := s.stamp()
	stored["id"] = id.New()
	stored["createdAt"], stored["updatedAt"] = now, now
	stored["createdBy"], stored["updatedBy"] = c.p.UserID, c.p.UserID
	if owner, ok := stored["owner"].(string); !ok || owner == "" {
		stored["owner"] = c.p.UserID
	} else if err := s.checkOwner(ctx, c, owner); err != nil {
		return nil, err
	}
	if err := s.beforeStore(c, stored, true); err != nil { // roll-ups, validation rules: computed.go
		return nil, err
	}
	if err := s.autonumbers(ctx, c, stored); err != nil {
		return nil, err
	}
	var saved store.Doc
	var out *Record
	var after *Event
	err = s.atomically(ctx, c.tenant, func(ctx context.Context) error {
		if saved, err = s.st.Insert(ctx, c.tenant, c.obj.APIName, dropNils(stored)); err != nil {
			return s.writeErr(c, err)
		}
		out = s.render(c, saved)
		after = &Event{Op: OpCreate, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: out.Data, Depth: d}
		return s.runInTx(ctx, after)
	})
	if err != nil {
		return nil, err
	}
	if err := s.afterStore(ctx, c, nil, saved); err != nil { // masters' roll-ups: rollup.go
		return nil, err
	}
	return out, s.runAfter(ctx, after)
}

// onlyRequired reports whether every problem is a missing required field,
// which defaults or hooks may still fill in.
func onlyRequired(problems []errs.FieldError) bool {
	for _, p := range problems {
		if p.Code != "required" {
			return false
		}
	}
	return true
}

func (s *Service) checkOwner(ctx context.Context, c *call, owner string) error {
	u, err := s.users.GetUser(ctx, c.tenant, owner)
	if err != nil || !u.Active {
		return invalid([]errs.FieldError{{Field: "owner", Code: "not_found", Message: "is not an active user"}})
	}
	return nil
}

func (s *Service) autonumbers(ctx context.Context, c *call, stored map[string]any) error {
	for _, f := range c.obj.Fields {
		if f.TypeName != "autonumber" || f.Deleted {
			continue
		}
		n, err := s.st.NextSequence(ctx, c.tenant, schema.SequenceName(c.obj.APIName, f.Name))
		if err != nil {
			return fmt.Errorf("records: auto-number %s.%s: %w", c.obj.APIName, f.Name, err)
		}
		stored[f.Name] = schema.FormatAutoNumber(f.Format, n)
	}
	return nil
}

// writeErr turns store errors of a write into record errors.
func (s *Service) writeErr(c *call, err error) error {
	switch {
	case errors.Is(err, store.ErrDuplicate):
		field := ""
		if e := errs.As(err); e != nil && len(e.Fields) > 0 {
			field = e.Fields[0].Field
		}
		return errs.New(errs.Conflict, "record.duplicate", "another %s has this %s", c.obj.APIName, field).
			WithField(field, "duplicate", "value already exists").WithCause(err)
	case errors.Is(err, store.ErrVersionConflict):
		return errs.New(errs.Stale, "record.stale", "the record was changed by someone else; read it again").WithCause(err)
	case errors.Is(err, store.ErrNotFound):
		return errs.New(errs.NotFound, "record.not_found", "no such %s", c.obj.APIName).WithCause(err)
	}
	return fmt.Errorf("records: write %s: %w", c.obj.APIName, err)
}

// Update applies a JSON merge patch to a record. ifMatch, when not 0, is
// the version the client last read: a record changed since is a 412. A
// patch that changes nothing, once before-hooks have run, writes nothing
// and returns the record as it is, at its version.
func (s *Service) Update(ctx context.Context, object, recID string, patch map[string]any, ifMatch int64) (*Record, error) {
	c, err := s.begin(ctx, object, ActUpdate)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, c, recID, patch, ifMatch)
}

func (s *Service) update(ctx context.Context, c *call, recID string, patch map[string]any, ifMatch int64) (*Record, error) {
	ctx, d, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.checkWritable(patch); err != nil {
		return nil, err
	}
	v, err := c.obj.Validator()
	if err != nil {
		return nil, err
	}
	// Without If-Match a concurrent change is retried on the new version:
	// the patch applies to whatever is current, and nothing is lost.
	for attempt := 0; ; attempt++ {
		old, err := s.load(ctx, c, recID, ActUpdate)
		if err != nil {
			return nil, err
		}
		oldVersion, _ := store.NormalizeValue(old["version"]).(int64)
		if ifMatch != 0 && oldVersion != ifMatch {
			return nil, errs.New(errs.Stale, "record.stale", "the record is at version %d, not %d; read it again", oldVersion, ifMatch)
		}
		if _, problems := v.Prepare(patch, old, schema.Update); len(problems) > 0 {
			return nil, invalid(problems)
		}
		oldAPI := c.obj.Render(old)
		next := maps.Clone(oldAPI)
		for k, val := range patch {
			if val == nil {
				delete(next, k)
			} else {
				next[k] = val
			}
		}
		ev := &Event{Op: OpUpdate, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: next, Old: oldAPI, Depth: d}
		if err := s.runBefore(ctx, ev); err != nil {
			return nil, err
		}
		changes, problems := v.Prepare(diff(oldAPI, ev.Record), old, schema.Update)
		if len(problems) > 0 {
			return nil, invalid(problems)
		}
		if v, set := changes["owner"]; set && v == nil {
			return nil, invalid([]errs.FieldError{{Field: "owner", Code: "required", Message: "every record has an owner; transfer it instead of clearing it"}})
		}
		if owner, ok := changes["owner"].(string); ok && owner != old["owner"] {
			if err := s.checkOwner(ctx, c, owner); err != nil {
				return nil, err
			}
		}
		if len(changes) == 0 {
			// Nothing to change (an empty patch, values as they are, or
			// hooks that undid the patch): no new version, so other
			// clients' If-Match stays valid, and no history or events.
			return s.render(c, old), nil
		}
		stored := maps.Clone(old)
		for k, val := range changes {
			stored[k] = val
		}
		stored["updatedAt"], stored["updatedBy"] = s.stamp(), c.p.UserID
		if err := s.beforeStore(c, stored, false); err != nil { // validation rules: computed.go
			return nil, err
		}
		var saved store.Doc
		var out *Record
		var after *Event
		err = s.atomically(ctx, c.tenant, func(ctx context.Context) error {
			var err error
			if saved, err = s.st.Update(ctx, c.tenant, c.obj.APIName, dropNils(stored), oldVersion); err != nil {
				return err
			}
			if err := s.recordHistory(ctx, c, old, saved); err != nil {
				return err
			}
			out = s.render(c, saved)
			after = &Event{Op: OpUpdate, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: out.Data, Old: oldAPI, Depth: d}
			return s.runInTx(ctx, after)
		})
		if errors.Is(err, store.ErrVersionConflict) && ifMatch == 0 && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, s.writeErr(c, err)
		}
		if err := s.afterStore(ctx, c, old, saved); err != nil { // masters' roll-ups: rollup.go
			return nil, err
		}
		return out, s.runAfter(ctx, after)
	}
}

// diff returns the merge patch that turns a into b.
func diff(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, bv := range b {
		if av, ok := a[k]; !ok || !equalJSON(av, bv) {
			out[k] = bv
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out[k] = nil
		}
	}
	return out
}

// Delete moves a record into the recycle bin.
func (s *Service) Delete(ctx context.Context, object, recID string, ifMatch int64) error {
	c, err := s.begin(ctx, object, ActDelete)
	if err != nil {
		return err
	}
	return s.delete(ctx, c, recID, ifMatch)
}

func (s *Service) delete(ctx context.Context, c *call, recID string, ifMatch int64) error {
	ctx, d, err := s.enter(ctx)
	if err != nil {
		return err
	}
	old, err := s.load(ctx, c, recID, ActDelete)
	if err != nil {
		return err
	}
	version, _ := store.NormalizeValue(old["version"]).(int64)
	if ifMatch != 0 && version != ifMatch {
		return errs.New(errs.Stale, "record.stale", "the record is at version %d, not %d; read it again", version, ifMatch)
	}
	oldAPI := c.obj.Render(old)
	ev := &Event{Op: OpDelete, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: oldAPI, Old: oldAPI, Depth: d}
	if err := s.runBefore(ctx, ev); err != nil {
		return err
	}
	if err := s.cascadeDelete(ctx, c, recID, d); err != nil { // details first: cascade.go
		return err
	}
	bin := store.Doc{"id": binID(c.obj.APIName, recID), "object": c.obj.APIName, "record": old,
		"deletedAt": s.stamp(), "deletedBy": c.p.UserID}
	err = s.atomically(ctx, c.tenant, func(ctx context.Context) error {
		if _, err := s.st.Insert(ctx, c.tenant, recycleColl, bin); err != nil {
			if !errors.Is(err, store.ErrDuplicate) {
				return err
			}
			// A bin entry of an earlier life of this record: replace it.
			if _, err := s.st.Update(ctx, c.tenant, recycleColl, bin, 0); err != nil {
				return err
			}
		}
		if err := s.st.Delete(ctx, c.tenant, c.obj.APIName, recID, version); err != nil {
			_ = s.st.Delete(context.WithoutCancel(ctx), c.tenant, recycleColl, bin["id"].(string), 0)
			return err
		}
		return s.runInTx(ctx, &Event{Op: OpDelete, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: oldAPI, Old: oldAPI, Depth: d})
	})
	if err != nil {
		return s.writeErr(c, err)
	}
	if err := s.afterStore(ctx, c, old, nil); err != nil { // masters' roll-ups: rollup.go
		return err
	}
	s.purgeExpired(ctx, c.tenant)
	return s.runAfter(ctx, &Event{Op: OpDelete, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: oldAPI, Old: oldAPI, Depth: d})
}

// Restore brings a record back from the recycle bin.
func (s *Service) Restore(ctx context.Context, object, recID string) (*Record, error) {
	c, err := s.begin(ctx, object, ActCreate)
	if err != nil {
		return nil, err
	}
	ctx, d, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	bin, err := s.st.Get(ctx, c.tenant, recycleColl, binID(c.obj.APIName, recID), nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return nil, errs.New(errs.NotFound, "record.not_in_recycle_bin", "no deleted %s with this id in the recycle bin", c.obj.APIName)
	}
	if err != nil {
		return nil, fmt.Errorf("records: restore: %w", err)
	}
	rec, _ := bin["record"].(map[string]any)
	if rec == nil {
		return nil, fmt.Errorf("records: restore %s: bin entry without a record", recID)
	}
	if !s.mayChange(ctx, c, rec, ActUpdate) {
		return nil, errs.New(errs.NotFound, "record.not_in_recycle_bin", "no deleted %s with this id in the recycle bin", c.obj.APIName)
	}
	if err := s.checkMasters(ctx, c, rec); err != nil { // a detail needs its master: cascade.go
		return nil, err
	}
	delete(rec, "version")
	rec["updatedAt"], rec["updatedBy"] = s.stamp(), c.p.UserID
	var saved store.Doc
	err = s.atomically(ctx, c.tenant, func(ctx context.Context) error {
		var err error
		if saved, err = s.st.Insert(ctx, c.tenant, c.obj.APIName, rec); err != nil {
			return err
		}
		if err := s.st.Delete(ctx, c.tenant, recycleColl, binID(c.obj.APIName, recID), 0); err != nil {
			return err
		}
		return s.runInTx(ctx, &Event{Op: OpRestore, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: s.render(c, saved).Data, Depth: d})
	})
	if err != nil {
		return nil, s.writeErr(c, err)
	}
	if err := s.afterRestore(ctx, c, saved, d); err != nil { // details, roll-ups: cascade.go
		return nil, err
	}
	if doc, err := s.st.Get(ctx, c.tenant, c.obj.APIName, recID, nil); err == nil {
		saved = doc // with its recomputed roll-ups
	}
	out := s.render(c, saved)
	return out, s.runAfter(ctx, &Event{Op: OpRestore, Tenant: c.tenant, Object: c.obj, Principal: c.p, Record: out.Data, Depth: d})
}

func binID(object, recID string) string { return object + "." + recID }

// atomically runs fn in a transaction where the store has them, and plainly
// otherwise (fn is then written so that a failure midway undoes itself).
func (s *Service) atomically(ctx context.Context, tenant string, fn func(context.Context) error) error {
	if s.st.Capabilities().Transactions {
		return s.st.Tx(ctx, tenant, fn)
	}
	return fn(ctx)
}

// load reads a stored record that the caller may act on; a record the
// caller may not see is "not found", exactly like a missing one, and one the
// caller may see but not change (a read-only share) is forbidden.
func (s *Service) load(ctx context.Context, c *call, recID string, act Action) (store.Doc, error) {
	notFound := errs.New(errs.NotFound, "record.not_found", "no %s with id %q", c.obj.APIName, recID)
	doc, err := s.st.Get(ctx, c.tenant, c.obj.APIName, recID, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("records: get %s %s: %w", c.obj.APIName, recID, err)
	}
	if !s.mayChange(ctx, c, doc, act) {
		if act != ActRead && s.mayChange(ctx, c, doc, ActRead) {
			return nil, errs.New(errs.Forbidden, "record.read_only", "you may read this %s but not %s it", c.obj.APIName, act)
		}
		return nil, notFound
	}
	return doc, nil
}

// mayChange checks one record against the caller's visibility for act.
func (s *Service) mayChange(ctx context.Context, c *call, doc store.Doc, act Action) bool {
	f, err := s.guard.Visible(ctx, c.p, c.obj, act)
	if err != nil {
		return false
	}
	if f == nil {
		return true
	}
	nf, err := store.Normalize(f)
	return err == nil && store.Match(nf, doc)
}

func (s *Service) stamp() string { return s.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// dropNils removes null members: the store keeps absent fields absent.
func dropNils(d store.Doc) store.Doc {
	for k, v := range d {
		if v == nil {
			delete(d, k)
		}
	}
	return d
}
