package records

import (
	"context"
	"fmt"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// BulkRequest is the body of a bulk call.
type BulkRequest struct {
	Operation       string           `json:"operation"`
	ExternalIDField string           `json:"externalIdField"`
	Records         []map[string]any `json:"records"`
}

// BulkResult is the outcome of one record of a bulk call: Op says what was
// done ("created", "updated", "deleted"), or Err why not.
type BulkResult struct {
	Index  int
	ID     string
	Op     Op
	Record *Record
	Err    error
}

// Bulk runs one operation over many records; each succeeds or fails on its
// own, through the same pipeline as a single write.
func (s *Service) Bulk(ctx context.Context, object string, req BulkRequest) ([]BulkResult, error) {
	act := map[string]Action{"create": ActCreate, "update": ActUpdate, "upsert": ActUpdate, "delete": ActDelete}[req.Operation]
	if act == "" {
		return nil, errs.New(errs.Malformed, "bulk.bad_operation", "operation must be create, update, upsert or delete, not %q", req.Operation).
			WithField("operation", "enum", "must be create, update, upsert or delete")
	}
	if len(req.Records) == 0 {
		return nil, errs.New(errs.Malformed, "bulk.empty", "records must list at least one record").WithField("records", "required", "is empty")
	}
	if len(req.Records) > s.cfg.MaxBulk {
		return nil, errs.New(errs.TooLarge, "bulk.too_many", "at most %d records per bulk request, got %d", s.cfg.MaxBulk, len(req.Records)).
			WithField("records", "max_items", fmt.Sprintf("at most %d", s.cfg.MaxBulk))
	}
	c, err := s.begin(ctx, object, act)
	if err != nil {
		return nil, err
	}
	if req.Operation == "upsert" {
		f, ok := c.obj.Field(req.ExternalIDField)
		if !ok || !f.Unique || f.Deleted {
			return nil, errs.New(errs.Malformed, "bulk.bad_external_id", "externalIdField must name a unique field of %s", object).
				WithField("externalIdField", "not_unique", "must be a unique field")
		}
		if err := s.guard.Authorize(ctx, c.p, c.obj, ActCreate); err != nil {
			return nil, err
		}
	}
	out := make([]BulkResult, len(req.Records))
	for i, rec := range req.Records {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := BulkResult{Index: i}
		switch req.Operation {
		case "create":
			r.Record, r.Err = s.create(ctx, c, rec)
			r.Op = OpCreate
		case "update":
			id, patch, err := splitID(rec)
			if r.Err = err; err == nil {
				r.Record, r.Err = s.update(ctx, c, id, patch, 0)
				r.Op = OpUpdate
			}
		case "delete":
			id, _, err := splitID(rec)
			if r.ID, r.Err = id, err; err == nil {
				r.Err = s.delete(ctx, c, id, 0)
				r.Op = OpDelete
			}
		case "upsert":
			r.Record, r.Op, r.Err = s.upsert(ctx, c, req.ExternalIDField, rec)
		}
		if r.Record != nil {
			r.ID = r.Record.ID
		}
		out[i] = r
	}
	return out, nil
}

func splitID(rec map[string]any) (string, map[string]any, error) {
	id, ok := rec["id"].(string)
	if !ok || id == "" {
		return "", nil, errs.New(errs.Invalid, "record.invalid", "each record needs its id").WithField("id", "required", "is required")
	}
	patch := make(map[string]any, len(rec))
	for k, v := range rec {
		if k != "id" {
			patch[k] = v
		}
	}
	return id, patch, nil
}

// upsert updates the record whose external id matches, or creates one.
func (s *Service) upsert(ctx context.Context, c *call, field string, rec map[string]any) (*Record, Op, error) {
	val, ok := rec[field]
	if !ok || val == nil {
		return nil, "", errs.New(errs.Invalid, "record.invalid", "each record needs its %s", field).WithField(field, "required", "is required for an upsert")
	}
	f, _ := c.obj.Field(field)
	stored, err := f.Normalize(val)
	if err != nil {
		return nil, "", invalid([]errs.FieldError{{Field: field, Code: "type", Message: err.Error()}})
	}
	visible, err := s.guard.Visible(ctx, c.p, c.obj, ActUpdate)
	if err != nil {
		return nil, "", err
	}
	page, err := s.st.Find(ctx, c.tenant, c.obj.APIName, store.Query{Filter: and(store.Eq(field, stored), visible), Limit: 1, Fields: []string{field}})
	if err != nil {
		return nil, "", fmt.Errorf("records: upsert %s: %w", c.obj.APIName, err)
	}
	if len(page.Items) == 0 {
		r, err := s.create(ctx, c, rec)
		if errs.CodeOf(err) == "record.duplicate" {
			// Someone created it meanwhile (or it is invisible to us): an
			// update then either works or says why not.
			return s.upsertExisting(ctx, c, field, stored, rec)
		}
		return r, OpCreate, err
	}
	id, _ := page.Items[0]["id"].(string)
	patch := cloneWithout(rec, field)
	r, err := s.update(ctx, c, id, patch, 0)
	return r, OpUpdate, err
}

func (s *Service) upsertExisting(ctx context.Context, c *call, field string, stored any, rec map[string]any) (*Record, Op, error) {
	page, err := s.st.Find(ctx, c.tenant, c.obj.APIName, store.Query{Filter: store.Eq(field, stored), Limit: 1, Fields: []string{field}})
	if err != nil || len(page.Items) == 0 {
		return nil, "", errs.New(errs.Conflict, "record.duplicate", "another %s has this %s", c.obj.APIName, field).WithField(field, "duplicate", "value already exists")
	}
	id, _ := page.Items[0]["id"].(string)
	r, err := s.update(ctx, c, id, cloneWithout(rec, field), 0)
	return r, OpUpdate, err
}

func cloneWithout(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}
