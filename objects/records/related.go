package records

import (
	"context"
	"strings"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Related lists the records of child that point at one record of object
// through field, a lookup or master-detail field of child targeting object:
// a related list, and for a junction object (two master-detail fields) one
// side of a many-to-many relation (expand= inlines the other side). field
// may be empty when child has exactly one such field. The parent must be
// visible to the caller (404 otherwise); the list runs through the same
// pipeline as List (visibility, field-level security, filter, sort, keyset
// cursors bound to the parent).
func (s *Service) Related(ctx context.Context, object, recID, child, field string, opt ListOptions) (*Page, error) {
	c, err := s.begin(ctx, object, ActRead)
	if err != nil {
		return nil, err
	}
	if _, err := s.load(ctx, c, recID, ActRead); err != nil {
		return nil, err
	}
	cc, err := s.begin(ctx, child, ActRead)
	if err != nil {
		return nil, err
	}
	var links []string
	for _, f := range cc.obj.Fields {
		if (f.TypeName == "lookup" || f.TypeName == "masterdetail") && !f.Deleted && f.Target == object && cc.readable(f.Name) {
			links = append(links, f.Name)
		}
	}
	switch {
	case len(links) == 0:
		return nil, errs.New(errs.Malformed, "related.no_relation", "%s has no lookup or master-detail field pointing at %s", child, object)
	case field == "" && len(links) > 1:
		return nil, errs.New(errs.Malformed, "related.field_required", "%s points at %s through several fields (%s): say which with field=", child, object, strings.Join(links, ", ")).
			WithField("field", "required", "one of "+strings.Join(links, ", "))
	case field == "":
		field = links[0]
	case !contains(links, field):
		return nil, errs.New(errs.Malformed, "related.bad_field", "%q is not a field of %s pointing at %s; use one of %s", field, child, object, strings.Join(links, ", ")).
			WithField("field", "not_relation", "one of "+strings.Join(links, ", "))
	}
	return s.list(ctx, cc, opt, store.Eq(field, recID))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
