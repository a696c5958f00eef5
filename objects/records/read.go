package records

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// render turns a stored record into its API form for the caller: fields the
// caller may not read are absent.
func (s *Service) render(c *call, stored store.Doc) *Record {
	data := c.obj.Render(stored)
	s.addFormulas(c.obj, stored, data) // formula fields are computed on read: computed.go
	for name := range data {
		if !c.readable(name) {
			delete(data, name)
		}
	}
	r := &Record{Object: c.obj.APIName, Data: data}
	r.ID, _ = stored["id"].(string)
	r.Version, _ = store.NormalizeValue(stored["version"]).(int64)
	return r
}

// GetOptions shape a read.
type GetOptions struct {
	// Fields projects the record (id and version always stay); empty is all.
	Fields string
	// Expand lists lookup fields whose target records are inlined.
	Expand string
}

// Get reads one record.
func (s *Service) Get(ctx context.Context, object, recID string, opt GetOptions) (*Record, error) {
	c, err := s.begin(ctx, object, ActRead)
	if err != nil {
		return nil, err
	}
	fields, err := s.projection(c, opt.Fields)
	if err != nil {
		return nil, err
	}
	expand, err := s.expansions(c, opt.Expand)
	if err != nil {
		return nil, err
	}
	doc, err := s.load(ctx, c, recID, ActRead)
	if err != nil {
		return nil, err
	}
	r := s.render(c, doc)
	project(r, fields)
	if err := s.expand(ctx, c, []*Record{r}, expand); err != nil {
		return nil, err
	}
	return r, nil
}

// ListOptions are the parameters of a list.
type ListOptions struct {
	Filter string
	Sort   string
	Limit  int
	Cursor string
	Fields string
	Expand string
}

// Page is one page of a list.
type Page struct {
	Items      []*Record `json:"items"`
	NextCursor *string   `json:"nextCursor"`
}

// List returns one page of the records the caller may see.
func (s *Service) List(ctx context.Context, object string, opt ListOptions) (*Page, error) {
	c, err := s.begin(ctx, object, ActRead)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, c, opt, nil)
}

// list is List with an extra filter that the caller did not write (the
// parent of a related list: related.go); cursors are bound to it too.
func (s *Service) list(ctx context.Context, c *call, opt ListOptions, extra store.Filter) (*Page, error) {
	object := c.obj.APIName
	res := resolverFor(c)
	filter, err := query.ParseFilter(opt.Filter, res)
	if err != nil {
		return nil, err
	}
	filter = and(filter, extra)
	sort, err := query.ParseSort(opt.Sort, res)
	if err != nil {
		return nil, err
	}
	fields, err := s.projection(c, opt.Fields)
	if err != nil {
		return nil, err
	}
	expand, err := s.expansions(c, opt.Expand)
	if err != nil {
		return nil, err
	}
	limit, err := s.pageSize(opt.Limit)
	if err != nil {
		return nil, err
	}
	binding := query.Binding{Tenant: c.tenant, Object: c.obj.APIName, Filter: filter, Sort: sort, Extra: c.p.UserID}
	var after []any
	if opt.Cursor != "" {
		if after, err = s.cursors.Decode(opt.Cursor, binding); err != nil {
			return nil, err
		}
	}
	visible, err := s.guard.Visible(ctx, c.p, c.obj, ActRead)
	if err != nil {
		return nil, err
	}
	if err := s.checkServed(ctx, c, filter, sort); err != nil {
		return nil, err
	}
	q := store.Query{Filter: and(filter, visible), Sort: sort, Limit: limit, After: after, Fields: s.storedFields(c, fields)}
	page, err := s.st.Find(ctx, c.tenant, c.obj.APIName, q)
	if err != nil {
		if errors.Is(err, store.ErrBadCursor) {
			return nil, errs.New(errs.Malformed, "query.bad_cursor", "the cursor is not valid for this list")
		}
		return nil, fmt.Errorf("records: list %s: %w", object, err)
	}
	out := &Page{Items: make([]*Record, len(page.Items))}
	for i, d := range page.Items {
		out.Items[i] = s.render(c, d)
		project(out.Items[i], fields)
	}
	if page.Next != nil {
		tok, err := s.cursors.Encode(binding, page.Next)
		if err != nil {
			return nil, fmt.Errorf("records: list %s: %w", object, err)
		}
		out.NextCursor = &tok
	}
	if err := s.expand(ctx, c, out.Items, expand); err != nil {
		return nil, err
	}
	return out, nil
}

// pageSize is the page size of a requested limit: the default for 0, an
// error outside 1..MaxPageSize.
func (s *Service) pageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return s.cfg.DefaultPageSize, nil
	case limit < 0 || limit > s.cfg.MaxPageSize:
		return 0, errs.New(errs.Malformed, "query.bad_limit", "limit must be between 1 and %d", s.cfg.MaxPageSize).
			WithField("limit", "range", fmt.Sprintf("must be between 1 and %d", s.cfg.MaxPageSize))
	}
	return limit, nil
}

// checkServed refuses, on objects too large to scan, a filter or sort that
// no index serves, naming the field to index.
func (s *Service) checkServed(ctx context.Context, c *call, filter store.Filter, sort []store.SortKey) error {
	advice := query.Advise(filter, sort, c.obj.Indexes())
	if advice.Served {
		return nil
	}
	n, err := s.counts.count(ctx, s.st, c.tenant, c.obj.APIName)
	if err != nil {
		return err
	}
	if n <= s.cfg.ScanLimit {
		return nil
	}
	return advice.Err()
}

func and(a, b store.Filter) store.Filter {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return store.And{a, b}
}

// projection parses fields= against the fields the caller may read.
func (s *Service) projection(c *call, src string) ([]string, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	return query.ParseFields(src, projectionResolver{c}) // formula fields too: computed.go
}

func storeFields(fields []string) []string {
	if len(fields) == 0 {
		return nil
	}
	return fields
}

// project keeps the listed fields (and id and version) of a rendered record.
func project(r *Record, fields []string) {
	if len(fields) == 0 {
		return
	}
	keep := map[string]bool{"id": true, "version": true}
	for _, f := range fields {
		keep[f] = true
	}
	for k := range r.Data {
		if !keep[k] {
			delete(r.Data, k)
		}
	}
}

// resolverFor describes the object's fields the caller may read to the
// query parser.
func resolverFor(c *call) query.Resolver { return fieldResolver{c} }

type fieldResolver struct{ c *call }

// Stored fields only: roll-ups (stored on the record) can be filtered,
// sorted and aggregated; formula fields cannot.
func (r fieldResolver) Field(name string) (query.Field, bool) {
	if !r.c.readable(name) {
		return query.Field{}, false
	}
	return metadata.QueryResolver(r.c.obj).Field(name)
}

// expansions parses expand= : lookup fields the caller may read.
func (s *Service) expansions(c *call, src string) ([]string, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	var out []string
	for _, name := range strings.Split(src, ",") {
		name = strings.TrimSpace(name)
		f, ok := c.obj.Field(name)
		if !ok || f.Deleted || !c.readable(name) || (f.TypeName != "lookup" && f.TypeName != "masterdetail") || f.Target == schema.UserObject {
			return nil, errs.New(errs.Malformed, "query.bad_expand", "%q is not a lookup field of %s that can be expanded", name, c.obj.APIName).
				WithField("expand", "not_lookup", fmt.Sprintf("%q is not an expandable lookup field", name))
		}
		out = append(out, name)
	}
	return out, nil
}

// expand inlines the target records of lookups, one level deep, through the
// same read checks as a Get: a target the caller may not see stays an id.
func (s *Service) expand(ctx context.Context, c *call, recs []*Record, fields []string) error {
	for _, name := range fields {
		f, _ := c.obj.Field(name)
		tc, err := s.begin(ctx, f.Target, ActRead)
		if errs.KindOf(err) == errs.Forbidden {
			continue
		}
		if err != nil {
			return err
		}
		cache := map[string]*Record{}
		for _, r := range recs {
			tid, ok := r.Data[name].(string)
			if !ok {
				continue
			}
			t, seen := cache[tid]
			if !seen {
				doc, err := s.load(ctx, tc, tid, ActRead)
				if err == nil {
					t = s.render(tc, doc)
				} else if errs.KindOf(err) != errs.NotFound {
					return err
				}
				cache[tid] = t
			}
			if t != nil {
				r.Data[name] = t.Data
			}
		}
	}
	return nil
}
