package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Kinds of views: how an object's records are shown.
const (
	KindLayout   = "layout"
	KindListView = "listview"
)

const viewsColl = "_views"

// View is a stored layout or list view.
type View struct {
	Kind       string          `json:"kind"`
	Object     string          `json:"object"`
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Version    int64           `json:"version"`
	UpdatedAt  string          `json:"updatedAt"`
	UpdatedBy  string          `json:"updatedBy"`
}

// PutView creates or replaces a layout or list view of an object after
// checking it against the object: every field must exist, and a list view's
// filter and sort must parse in the API's query language.
func (s *Service) PutView(ctx context.Context, tenant, kind, object, name string, raw []byte, by string) (*View, bool, error) {
	e, err := s.Object(ctx, tenant, object)
	if err != nil {
		return nil, false, err
	}
	if err := checkView(kind, e.Object, name, raw); err != nil {
		return nil, false, err
	}
	if err := s.st.EnsureCollection(ctx, tenant, viewsColl); err != nil {
		return nil, false, fmt.Errorf("metadata: views: %w", err)
	}
	doc := store.Doc{"id": viewID(kind, object, name), "kind": kind, "object": object, "name": name,
		"definition": string(raw), "updatedAt": s.stamp(), "updatedBy": by}
	created := false
	saved, err := s.st.Update(ctx, tenant, viewsColl, doc, 0)
	if errors.Is(err, store.ErrNotFound) {
		created = true
		saved, err = s.st.Insert(ctx, tenant, viewsColl, doc)
	}
	if err != nil {
		return nil, false, fmt.Errorf("metadata: save %s %s.%s: %w", kind, object, name, err)
	}
	if err := s.bumpState(ctx, tenant); err != nil {
		return nil, false, err
	}
	return viewOf(saved), created, nil
}

func checkView(kind string, obj *schema.Object, name string, raw []byte) error {
	switch kind {
	case KindLayout:
		l, err := schema.ParseLayout(raw)
		if err != nil {
			return err
		}
		if l.Name != name {
			return errs.New(errs.Invalid, "metadata.invalid", "the layout's name must be %q", name).WithField("/name", "name", "must match the URL")
		}
		return l.Check(obj)
	case KindListView:
		lv, err := schema.ParseListView(raw)
		if err != nil {
			return err
		}
		if lv.Name != name {
			return errs.New(errs.Invalid, "metadata.invalid", "the list view's name must be %q", name).WithField("/name", "name", "must match the URL")
		}
		if err := lv.Check(obj); err != nil {
			return err
		}
		if _, err := query.ParseFilter(lv.Filter, QueryResolver(obj)); err != nil {
			e := errs.New(errs.Invalid, "metadata.invalid", "the list view's filter is invalid: %s", errs.As(err).Message)
			fe := errs.FieldError{Field: "/filter", Code: errs.CodeOf(err), Message: errs.As(err).Message}
			if qe := errs.As(err); qe != nil && len(qe.Fields) > 0 {
				fe.Position = qe.Fields[0].Position
			}
			e.Fields = []errs.FieldError{fe}
			return e
		}
		return nil
	}
	return errs.New(errs.NotFound, "metadata.unknown_view_kind", "no view kind %q", kind)
}

// Views lists an object's views of one kind in name order.
func (s *Service) Views(ctx context.Context, tenant, kind, object string) ([]*View, error) {
	if _, err := s.Object(ctx, tenant, object); err != nil {
		return nil, err
	}
	out := []*View{}
	page, err := s.st.Find(ctx, tenant, viewsColl, store.Query{Filter: store.And{store.Eq("kind", kind), store.Eq("object", object)}, Limit: 1000})
	if errors.Is(err, store.ErrUnknownCollection) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: list views: %w", err)
	}
	for _, d := range page.Items {
		out = append(out, viewOf(d))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetView returns one view.
func (s *Service) GetView(ctx context.Context, tenant, kind, object, name string) (*View, error) {
	d, err := s.st.Get(ctx, tenant, viewsColl, viewID(kind, object, name), nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownCollection) || errors.Is(err, store.ErrInvalidName) {
		return nil, errs.New(errs.NotFound, "metadata.view_not_found", "%s has no %s named %q", object, kind, name)
	}
	if err != nil {
		return nil, fmt.Errorf("metadata: get view: %w", err)
	}
	return viewOf(d), nil
}

// DeleteView removes one view.
func (s *Service) DeleteView(ctx context.Context, tenant, kind, object, name string) error {
	err := s.st.Delete(ctx, tenant, viewsColl, viewID(kind, object, name), 0)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownCollection) || errors.Is(err, store.ErrInvalidName) {
		return errs.New(errs.NotFound, "metadata.view_not_found", "%s has no %s named %q", object, kind, name)
	}
	if err != nil {
		return fmt.Errorf("metadata: delete view: %w", err)
	}
	return s.bumpState(ctx, tenant)
}

func viewID(kind, object, name string) string { return kind + "." + object + "." + name }

func viewOf(d store.Doc) *View {
	v := &View{}
	v.Kind, _ = d["kind"].(string)
	v.Object, _ = d["object"].(string)
	v.Name, _ = d["name"].(string)
	def, _ := d["definition"].(string)
	v.Definition = json.RawMessage(def)
	v.Version, _ = store.NormalizeValue(d["version"]).(int64)
	v.UpdatedAt, _ = d["updatedAt"].(string)
	v.UpdatedBy, _ = d["updatedBy"].(string)
	return v
}
