package records

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Deleted is one entry of the recycle bin as the API shows it.
type Deleted struct {
	ID        string         `json:"id"`
	Object    string         `json:"object"`
	DeletedAt string         `json:"deletedAt"`
	DeletedBy string         `json:"deletedBy"`
	Record    map[string]any `json:"record"`
}

// BinPage is one page of the recycle bin.
type BinPage struct {
	Items      []Deleted `json:"items"`
	NextCursor *string   `json:"nextCursor"`
}

// RecycleBin lists an object's deleted records that the caller could
// restore, newest first. Details deleted with their master are not listed:
// they come back with it. The caller's visibility for update is applied to
// the deleted records in the store query, as for a list; field access to
// what is shown.
func (s *Service) RecycleBin(ctx context.Context, object string, limit int, cursor string) (*BinPage, error) {
	c, err := s.begin(ctx, object, ActCreate) // a restore is a create: Restore
	if err != nil {
		return nil, err
	}
	if limit, err = s.pageSize(limit); err != nil {
		return nil, err
	}
	sort := []store.SortKey{{Field: "deletedAt", Desc: true}}
	binding := query.Binding{Tenant: c.tenant, Object: recycleColl + "/" + c.obj.APIName, Sort: sort, Extra: c.p.UserID}
	var after []any
	if cursor != "" {
		if after, err = s.cursors.Decode(cursor, binding); err != nil {
			return nil, err
		}
	}
	visible, err := s.guard.Visible(ctx, c.p, c.obj, ActUpdate)
	if err != nil {
		return nil, err
	}
	filter := and(store.And{store.Eq("object", c.obj.APIName), store.Null{Field: "cascadeOf"}}, within("record.", visible))
	page, err := s.st.Find(ctx, c.tenant, recycleColl, store.Query{Filter: filter, Sort: sort, Limit: limit, After: after})
	if err != nil {
		if errors.Is(err, store.ErrBadCursor) {
			return nil, errs.New(errs.Malformed, "query.bad_cursor", "the cursor is not valid for this list")
		}
		return nil, fmt.Errorf("records: recycle bin of %s: %w", object, err)
	}
	out := &BinPage{Items: make([]Deleted, 0, len(page.Items))}
	for _, d := range page.Items {
		rec, _ := d["record"].(map[string]any)
		if rec == nil {
			continue
		}
		r := s.render(c, rec)
		r.Data["id"], r.Data["version"] = r.ID, r.Version
		e := Deleted{ID: r.ID, Object: c.obj.APIName, Record: r.Data}
		e.DeletedAt, _ = d["deletedAt"].(string)
		e.DeletedBy, _ = d["deletedBy"].(string)
		out.Items = append(out.Items, e)
	}
	if page.Next != nil {
		tok, err := s.cursors.Encode(binding, page.Next)
		if err != nil {
			return nil, fmt.Errorf("records: recycle bin of %s: %w", object, err)
		}
		out.NextCursor = &tok
	}
	return out, nil
}

// within rewrites a filter on a record's fields into one on the record
// nested under prefix (the recycle bin keeps the record under "record.").
func within(prefix string, f store.Filter) store.Filter {
	switch f := f.(type) {
	case nil:
		return nil
	case store.And:
		out := make(store.And, len(f))
		for i, g := range f {
			out[i] = within(prefix, g)
		}
		return out
	case store.Or:
		out := make(store.Or, len(f))
		for i, g := range f {
			out[i] = within(prefix, g)
		}
		return out
	case store.Not:
		return store.Not{F: within(prefix, f.F)}
	case store.Cmp:
		f.Field = prefix + f.Field
		return f
	case store.In:
		f.Field = prefix + f.Field
		return f
	case store.Like:
		f.Field = prefix + f.Field
		return f
	case store.Null:
		f.Field = prefix + f.Field
		return f
	}
	panic(fmt.Sprintf("records: unknown filter %T", f))
}
