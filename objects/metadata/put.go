package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// PutOptions tune Put.
type PutOptions struct {
	// By is the user who makes the change, for the history.
	By string
	// DryRun checks the change against the stored records and reports
	// the plan without applying anything.
	DryRun bool
	// Background lets a change that converts the stored values of more
	// than Config.MigrateInlineMax records run as a migration job
	// (migrations.go): Put then returns at once with the old entry and
	// Plan.Migration set, and the definition changes when the job has
	// converted every record. Without it every change is applied inline.
	Background bool
}

// Plan is what a change does, or would do on a dry run.
type Plan struct {
	Created bool             `json:"created"`
	Changes schema.Changes   `json:"changes"`
	Fields  []FieldMigration `json:"fields,omitempty"`
	// Migration is the job that applies the change, when it runs in the
	// background (PutOptions.Background).
	Migration *Migration `json:"migration,omitempty"`
}

// FieldMigration reports the records a data check went over for one field.
type FieldMigration struct {
	Field    string             `json:"field"`
	Checks   []schema.CheckKind `json:"checks"`
	Records  int64              `json:"records"`
	Failures int64              `json:"failures"`
	Examples []Failure          `json:"examples,omitempty"`
}

// Failure is one record that blocks a change.
type Failure struct {
	ID      string `json:"id"`
	Value   any    `json:"value"`
	Message string `json:"message"`
}

const maxExamples = 5

// Put creates or changes an object definition. A change goes through
// schema.Diff: refused changes are a 409; changes that need a data check
// (type, required, picklist values, constraints) are checked against every
// stored record and applied only when every record passes (converting the
// stored values of a type change), otherwise refused with a 409 that counts
// the failures and shows examples. The collection and its indexes follow the
// definition; a unique index over duplicate values is a 409.
func (s *Service) Put(ctx context.Context, tenant, apiName string, raw []byte, opt PutOptions) (*Entry, Plan, error) {
	obj, err := schema.Parse(apiName, raw)
	if err != nil {
		return nil, Plan{}, err
	}
	snap, err := s.snapshot(ctx, tenant, true)
	if err != nil {
		return nil, Plan{}, err
	}
	if err := obj.CheckReferences(resolver{objects: snap.objects, next: obj}); err != nil {
		return nil, Plan{}, err
	}
	if err := CheckExpressions(obj, resolver{objects: snap.objects, next: obj}); err != nil { // formulas, rules, roll-up filters: expressions.go
		return nil, Plan{}, err
	}
	old := snap.objects[apiName]
	plan := Plan{Created: old == nil}
	if old != nil {
		plan.Changes = schema.Diff(old.Object, obj)
		if err := plan.Changes.Err(); err != nil {
			return nil, plan, err
		}
		if len(plan.Changes) == 0 && !opt.DryRun {
			return old, plan, nil
		}
		migs, convert, err := s.check(ctx, tenant, old.Object, obj, plan.Changes)
		plan.Fields = migs
		if err != nil {
			return nil, plan, err
		}
		if opt.DryRun {
			return old, plan, nil
		}
		// NB: every applied change of an existing object holds the
		// object's migration lock, so it never interleaves with a job.
		if err := s.lock(ctx, tenant, apiName, ""); err != nil {
			return nil, plan, err
		}
		if n := pending(convert); opt.Background && n > s.cfg.MigrateInlineMax {
			m, err := s.startMigration(ctx, tenant, old, obj, plan, convert, n, opt.By)
			if err != nil {
				s.unlock(context.WithoutCancel(ctx), tenant, apiName)
				return nil, plan, err
			}
			plan.Migration = m
			return old, plan, nil
		}
		defer s.unlock(context.WithoutCancel(ctx), tenant, apiName)
		if err := s.convert(ctx, tenant, obj, convert); err != nil {
			return nil, plan, err
		}
	} else if opt.DryRun {
		return nil, plan, nil
	}
	if err := s.applyCollection(ctx, tenant, obj); err != nil {
		return nil, plan, err
	}
	e, err := s.save(ctx, tenant, obj, old, plan, opt.By)
	if err != nil {
		return nil, plan, err
	}
	return e, plan, nil
}

// conversion is the work left after a successful check: the new stored value
// of each record whose value changes form.
type conversion struct {
	field  string
	values map[string]any // record id -> new stored value (nil: remove)
	// For a migration job, which recomputes each value when it writes it:
	purge bool                                     // the field's data is removed
	fn    func(stored any) (any, *errs.FieldError) // old stored form -> new
	isNew func(stored any) bool                    // already in the new form
}

// check runs the data checks of the changes over every stored record.
func (s *Service) check(ctx context.Context, tenant string, old, next *schema.Object, changes schema.Changes) ([]FieldMigration, []conversion, error) {
	checks := changes.Checks()
	if len(checks) == 0 {
		return nil, nil, nil
	}
	v, err := next.Validator()
	if err != nil {
		return nil, nil, err
	}
	var migs []FieldMigration
	var convs []conversion
	blocked := false
	for field, kinds := range checks {
		m := FieldMigration{Field: field, Checks: kinds}
		if only(kinds, schema.CheckUnique) {
			migs = append(migs, m) // checked by building the unique index
			continue
		}
		if only(kinds, schema.CheckPurge) {
			convs = append(convs, conversion{field: field, values: map[string]any{}, purge: true})
			n, err := s.eachValue(ctx, tenant, next.APIName, field, func(id string, _ any) {
				convs[len(convs)-1].values[id] = nil
			})
			if err != nil {
				return nil, nil, err
			}
			m.Records = n
			migs = append(migs, m)
			continue
		}
		conv := func(stored any) (any, *errs.FieldError) { return stored, nil }
		if of, ok := old.Field(field); ok {
			if c, ok := v.Converter(of); ok {
				conv = c
			}
		} else {
			// A new required field: every existing record lacks it.
			conv = func(any) (any, *errs.FieldError) {
				return nil, &errs.FieldError{Field: field, Code: "required", Message: "has no value"}
			}
		}
		c := conversion{field: field, values: map[string]any{}, fn: conv, isNew: newForm(v, next, field)}
		n, err := s.eachValue(ctx, tenant, next.APIName, field, func(id string, stored any) {
			out, fe := conv(stored)
			if fe != nil {
				m.Failures++
				if len(m.Examples) < maxExamples {
					m.Examples = append(m.Examples, Failure{ID: id, Value: stored, Message: fe.Message})
				}
				return
			}
			if !sameStored(out, stored) {
				c.values[id] = out
			}
		})
		if err != nil {
			return nil, nil, err
		}
		m.Records = n
		blocked = blocked || m.Failures > 0
		migs = append(migs, m)
		if len(c.values) > 0 {
			convs = append(convs, c)
		}
	}
	if blocked {
		e := errs.New(errs.Conflict, "metadata.data_blocks_change", "stored records do not fit the new definition")
		total := int64(0)
		for _, m := range migs {
			if m.Failures > 0 {
				total += m.Failures
				e.Fields = append(e.Fields, errs.FieldError{Field: m.Field, Code: "records_do_not_convert",
					Message: fmt.Sprintf("%d of %d records do not fit", m.Failures, m.Records)})
			}
		}
		e.Message = fmt.Sprintf("%d stored records do not fit the new definition; change or fix them first", total)
		e.Extra = map[string]any{"fields": migs}
		return migs, nil, e
	}
	return migs, convs, nil
}

func only(kinds []schema.CheckKind, k schema.CheckKind) bool { return len(kinds) == 1 && kinds[0] == k }

func sameStored(a, b any) bool {
	c, ok := store.Compare(a, b)
	if ok {
		return c == 0
	}
	return a == nil && b == nil
}

// eachValue calls fn with the stored value of field of every record (nil
// when absent) and returns how many records there are.
func (s *Service) eachValue(ctx context.Context, tenant, coll, field string, fn func(id string, v any)) (int64, error) {
	q := store.Query{Limit: 1000, Fields: []string{field}}
	var n int64
	for {
		page, err := s.st.Find(ctx, tenant, coll, q)
		if errors.Is(err, store.ErrUnknownCollection) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("metadata: scan %s.%s: %w", coll, field, err)
		}
		for _, d := range page.Items {
			n++
			id, _ := d["id"].(string)
			fn(id, store.Lookup(d, field))
		}
		if page.Next == nil {
			return n, nil
		}
		q.After = page.Next
	}
}

// convert rewrites the stored values a check found to change form. Each
// record is updated with a version check and re-read on a conflict, so a
// concurrent edit is neither lost nor overwritten with a stale value.
func (s *Service) convert(ctx context.Context, tenant string, obj *schema.Object, convs []conversion) error {
	for _, c := range convs {
		for recID, val := range c.values {
			for attempt := 0; ; attempt++ {
				doc, err := s.st.Get(ctx, tenant, obj.APIName, recID, nil)
				if errors.Is(err, store.ErrNotFound) {
					break
				}
				if err != nil {
					return fmt.Errorf("metadata: convert %s: %w", recID, err)
				}
				if val == nil {
					delete(doc, c.field)
				} else {
					doc[c.field] = val
				}
				v, _ := store.NormalizeValue(doc["version"]).(int64)
				_, err = s.st.Update(ctx, tenant, obj.APIName, doc, v)
				if err == nil {
					break
				}
				if !errors.Is(err, store.ErrVersionConflict) || attempt > 5 {
					return fmt.Errorf("metadata: convert %s: %w", recID, err)
				}
			}
		}
	}
	return nil
}

// applyCollection makes the live collection and its indexes follow the
// definition.
func (s *Service) applyCollection(ctx context.Context, tenant string, obj *schema.Object) error {
	if err := s.st.EnsureCollection(ctx, tenant, obj.APIName); err != nil {
		return fmt.Errorf("metadata: create collection %s: %w", obj.APIName, err)
	}
	err := s.st.SyncIndexes(ctx, tenant, obj.APIName, obj.Indexes())
	if errors.Is(err, store.ErrDuplicate) {
		e := errs.New(errs.Conflict, "metadata.data_blocks_change", "stored records have duplicate values of a field that would become unique")
		if se := errs.As(err); se != nil {
			for _, f := range se.Fields {
				e.Fields = append(e.Fields, errs.FieldError{Field: f.Field, Code: "duplicates", Message: "stored records share values of this field"})
			}
		}
		return e.WithCause(err)
	}
	if err != nil {
		return fmt.Errorf("metadata: indexes of %s: %w", obj.APIName, err)
	}
	return nil
}

// save stores the definition, its history entry and the new tenant state.
func (s *Service) save(ctx context.Context, tenant string, obj *schema.Object, old *Entry, plan Plan, by string) (*Entry, error) {
	now := s.stamp()
	doc := store.Doc{"id": obj.APIName, "definition": string(obj.Raw), "updatedAt": now, "updatedBy": by}
	var stored store.Doc
	var err error
	if old == nil {
		stored, err = s.st.Insert(ctx, tenant, objectsColl, doc)
	} else {
		stored, err = s.st.Update(ctx, tenant, objectsColl, doc, old.Version)
	}
	if errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrVersionConflict) {
		return nil, errs.New(errs.Conflict, "metadata.concurrent_change", "the object was changed by someone else meanwhile; read it again").WithCause(err)
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: save %s: %w", obj.APIName, err)
	}
	version, _ := store.NormalizeValue(stored["version"]).(int64)
	op := "changed"
	if old == nil {
		op = "created"
	}
	if err := s.record(ctx, tenant, obj.APIName, version, op, by, plan.Changes, string(obj.Raw)); err != nil {
		return nil, err
	}
	return &Entry{Object: obj, Version: version, UpdatedAt: now, UpdatedBy: by}, nil
}

func (s *Service) record(ctx context.Context, tenant, object string, version int64, op, by string, changes schema.Changes, def string) error {
	ch := make([]any, 0, len(changes))
	for _, c := range changes {
		m := map[string]any{"op": c.Op, "message": c.Message, "severity": c.Severity.String()}
		if c.Field != "" {
			m["field"] = c.Field
		}
		if c.What != "" {
			m["what"] = c.What
		}
		ch = append(ch, m)
	}
	// The store manages "version"; the object's version has its own name.
	h := store.Doc{"id": id.New(), "object": object, "objectVersion": version, "op": op, "at": s.stamp(), "by": by, "changes": ch}
	if def != "" {
		h["definition"] = def
	}
	if _, err := s.st.Insert(ctx, tenant, historyColl, h); err != nil {
		return fmt.Errorf("metadata: history of %s: %w", object, err)
	}
	if err := s.bumpState(ctx, tenant); err != nil {
		return fmt.Errorf("metadata: bump state: %w", err)
	}
	s.forget(tenant)
	return nil
}
