package records

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// This file makes master-detail relations own their details: deleting a
// master moves its detail records (and theirs, depth first) into the
// recycle bin before the master itself, each marked with the master's bin
// entry ("cascadeOf"); restoring the master brings back exactly the details
// its deletion took, and recomputes the master's roll-ups. A detail whose
// master is in the recycle bin cannot be restored alone (409): restore the
// master. Lookups are not master-detail: a lookup to a deleted record keeps
// the id (expand= then leaves it as an id).
//
// The cascade acts with the platform's rights: a caller allowed to delete
// the master deletes its details whatever their sharing, as the relation
// says the details belong to the master. Hooks see each detail's deletion
// and restoration (Event.Depth one deeper than the master's). Without
// transactions a cascade is not atomic, but it is restartable: a failure
// leaves the master in place with some details in the bin, and deleting the
// master again finishes the work.

// maxCascadeDepth bounds chains of master-detail relations.
const maxCascadeDepth = 8

// detailLink is a master-detail field of a detail object.
type detailLink struct {
	obj   *schema.Object
	field string
}

// detailLinks lists the master-detail fields pointing at master, in a
// stable order.
func (s *Service) detailLinks(ctx context.Context, tenant, master string) ([]detailLink, error) {
	objs, err := s.meta.Objects(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []detailLink
	for _, e := range objs {
		for _, f := range e.Object.Fields {
			if f.TypeName == "masterdetail" && !f.Deleted && f.Target == master {
				out = append(out, detailLink{obj: e.Object, field: f.Name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].obj.APIName != out[j].obj.APIName {
			return out[i].obj.APIName < out[j].obj.APIName
		}
		return out[i].field < out[j].field
	})
	return out, nil
}

// cascadeDelete deletes the details of a master record that is about to be
// deleted.
func (s *Service) cascadeDelete(ctx context.Context, c *call, masterID string, d int) error {
	return s.deleteDetails(ctx, c.tenant, c.p, c.obj, masterID, d, 0)
}

func (s *Service) deleteDetails(ctx context.Context, tenant string, p identity.Principal, master *schema.Object, masterID string, d, level int) error {
	links, err := s.detailLinks(ctx, tenant, master.APIName)
	if err != nil || len(links) == 0 {
		return err
	}
	if level >= maxCascadeDepth {
		return errs.New(errs.Invalid, "record.cascade_too_deep", "master-detail relations nest more than %d levels deep", maxCascadeDepth)
	}
	skip := skipMaster{object: master.APIName, id: masterID}
	for _, l := range links {
		q := store.Query{Filter: store.Eq(l.field, masterID), Limit: 200}
		for {
			page, err := s.st.Find(ctx, tenant, l.obj.APIName, q)
			if err != nil {
				return fmt.Errorf("records: cascade to %s: %w", l.obj.APIName, err)
			}
			for _, doc := range page.Items {
				if id, _ := doc["id"].(string); l.obj.APIName == master.APIName && id == masterID {
					continue // a record that is its own master
				}
				if err := s.deleteDetail(ctx, tenant, p, l.obj, doc, binID(master.APIName, masterID), skip, d, level); err != nil {
					return err
				}
			}
			if page.Next == nil {
				break
			}
			q.After = page.Next
		}
	}
	return nil
}

// deleteDetail moves one detail record (after its own details) into the
// recycle bin.
func (s *Service) deleteDetail(ctx context.Context, tenant string, p identity.Principal, obj *schema.Object, doc store.Doc,
	cascadeOf string, skip skipMaster, d, level int) error {
	id, _ := doc["id"].(string)
	if err := s.deleteDetails(ctx, tenant, p, obj, id, d, level+1); err != nil {
		return err
	}
	api := obj.Render(doc)
	if err := s.runBefore(ctx, &Event{Op: OpDelete, Tenant: tenant, Object: obj, Principal: p, Record: api, Old: api, Depth: d + 1}); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		version, _ := store.NormalizeValue(doc["version"]).(int64)
		bin := store.Doc{"id": binID(obj.APIName, id), "object": obj.APIName, "record": doc,
			"deletedAt": s.stamp(), "deletedBy": p.UserID, "cascadeOf": cascadeOf}
		err := s.atomically(ctx, tenant, func(ctx context.Context) error {
			if _, err := s.st.Insert(ctx, tenant, recycleColl, bin); err != nil {
				if !errors.Is(err, store.ErrDuplicate) {
					return err
				}
				if _, err := s.st.Update(ctx, tenant, recycleColl, bin, 0); err != nil {
					return err
				}
			}
			if err := s.st.Delete(ctx, tenant, obj.APIName, id, version); err != nil {
				_ = s.st.Delete(context.WithoutCancel(ctx), tenant, recycleColl, bin["id"].(string), 0)
				return err
			}
			return s.runInTx(ctx, &Event{Op: OpDelete, Tenant: tenant, Object: obj, Principal: p, Record: api, Old: api, Depth: d + 1})
		})
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted meanwhile by someone else
		}
		if errors.Is(err, store.ErrVersionConflict) && attempt < 5 {
			if doc, err = s.st.Get(ctx, tenant, obj.APIName, id, nil); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nil
				}
				return fmt.Errorf("records: cascade to %s: %w", obj.APIName, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("records: cascade to %s %s: %w", obj.APIName, id, err)
		}
		break
	}
	if err := s.afterDetailWrite(ctx, tenant, obj, doc, nil, skip, 0); err != nil {
		return err
	}
	return s.runAfter(ctx, &Event{Op: OpDelete, Tenant: tenant, Object: obj, Principal: p, Record: api, Old: api, Depth: d + 1})
}

// checkMasters refuses to restore a detail whose master does not exist
// (it is in the recycle bin, or was purged).
func (s *Service) checkMasters(ctx context.Context, c *call, rec store.Doc) error {
	for _, f := range c.obj.Fields {
		if f.TypeName != "masterdetail" || f.Deleted {
			continue
		}
		mid, ok := rec[f.Name].(string)
		if !ok || mid == "" {
			continue
		}
		_, err := s.st.Get(ctx, c.tenant, f.Target, mid, []string{"id"})
		if errors.Is(err, store.ErrNotFound) {
			return errs.New(errs.Conflict, "record.master_deleted", "the %s this %s belongs to is deleted: restore it first", f.Target, c.obj.APIName).
				WithField(f.Name, "deleted", "the master record is deleted")
		}
		if err != nil {
			return fmt.Errorf("records: restore: master %s: %w", f.Target, err)
		}
	}
	return nil
}

// afterRestore brings back the details the record's deletion took, brings
// its roll-ups up to date, and updates the roll-ups of its own masters.
func (s *Service) afterRestore(ctx context.Context, c *call, saved store.Doc, d int) error {
	id, _ := saved["id"].(string)
	if err := s.restoreDetails(ctx, c.tenant, c.p, c.obj, id, d, 0); err != nil {
		return err
	}
	return s.afterDetailWrite(ctx, c.tenant, c.obj, nil, saved, skipMaster{}, 0)
}

func (s *Service) restoreDetails(ctx context.Context, tenant string, p identity.Principal, master *schema.Object, masterID string, d, level int) error {
	if level >= maxCascadeDepth {
		return nil
	}
	skip := skipMaster{object: master.APIName, id: masterID}
	q := store.Query{Filter: store.Eq("cascadeOf", binID(master.APIName, masterID)), Limit: 200}
	for {
		page, err := s.st.Find(ctx, tenant, recycleColl, q)
		if err != nil {
			return fmt.Errorf("records: restore details: %w", err)
		}
		for _, entry := range page.Items {
			if err := s.restoreDetail(ctx, tenant, p, entry, skip, d, level); err != nil {
				return err
			}
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	return s.recomputeAll(ctx, tenant, master, masterID, 0)
}

// restoreDetail restores one cascaded detail and, recursively, its own.
// An entry of an object that no longer exists, or whose record collides
// with a live one, stays in the bin.
func (s *Service) restoreDetail(ctx context.Context, tenant string, p identity.Principal, entry store.Doc, skip skipMaster, d, level int) error {
	objName, _ := entry["object"].(string)
	rec, _ := entry["record"].(map[string]any)
	e, err := s.meta.Object(ctx, tenant, objName)
	if errs.KindOf(err) == errs.NotFound || rec == nil {
		return nil
	}
	if err != nil {
		return err
	}
	obj := e.Object
	id, _ := rec["id"].(string)
	delete(rec, "version")
	rec["updatedAt"], rec["updatedBy"] = s.stamp(), p.UserID
	var saved store.Doc
	err = s.atomically(ctx, tenant, func(ctx context.Context) error {
		var err error
		if saved, err = s.st.Insert(ctx, tenant, obj.APIName, rec); err != nil {
			return err
		}
		if err := s.st.Delete(ctx, tenant, recycleColl, binID(obj.APIName, id), 0); err != nil {
			return err
		}
		return s.runInTx(ctx, &Event{Op: OpRestore, Tenant: tenant, Object: obj, Principal: p, Record: obj.Render(saved), Depth: d + 1})
	})
	if errors.Is(err, store.ErrDuplicate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("records: restore %s %s: %w", obj.APIName, id, err)
	}
	if err := s.restoreDetails(ctx, tenant, p, obj, id, d, level+1); err != nil {
		return err
	}
	if err := s.afterDetailWrite(ctx, tenant, obj, nil, saved, skip, 0); err != nil {
		return err
	}
	return s.runAfter(ctx, &Event{Op: OpRestore, Tenant: tenant, Object: obj, Principal: p, Record: obj.Render(saved), Depth: d + 1})
}
