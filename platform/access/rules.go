package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// SharingRule shares the records of an object that match a filter with the
// users of a role (and of the roles that inherit from it): "records where
// region = 'north' are shared read-only with role north_sales". Filter is in
// the API filter language; Access is "read" or "readwrite".
type SharingRule struct {
	Name      string `json:"name"`
	Object    string `json:"object"`
	Filter    string `json:"filter"`
	Role      string `json:"role"`
	Access    string `json:"access"`
	Version   int64  `json:"version,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`
	UpdatedBy string `json:"updatedBy,omitempty"`
}

// Sharing rule access levels.
const (
	ShareRead      = "read"
	ShareReadWrite = "readwrite"
)

// MaxFilterLength bounds a sharing rule's filter.
const MaxFilterLength = 4000

// PutRule creates or replaces a sharing rule. The role must exist (and not
// be admin, which sees everything anyway); the installed RuleChecker checks
// the object and filter. It returns the stored rule and whether it was
// created.
func (s *Service) PutRule(ctx context.Context, tenant string, r SharingRule, by string) (SharingRule, bool, error) {
	var problems []errs.FieldError
	bad := func(field, code, msg string) {
		problems = append(problems, errs.FieldError{Field: field, Code: code, Message: msg})
	}
	if !ValidName(r.Name) {
		bad("name", "pattern", "must be a lower-case letter followed by at most 39 lower-case letters, digits, _ or -")
	}
	if !objectRe.MatchString(r.Object) {
		bad("object", "pattern", "must be an object API name")
	}
	if strings.TrimSpace(r.Filter) == "" {
		bad("filter", "required", "is required: the records to share")
	} else if len(r.Filter) > MaxFilterLength {
		bad("filter", "max_length", fmt.Sprintf("must have at most %d bytes", MaxFilterLength))
	}
	if r.Access != ShareRead && r.Access != ShareReadWrite {
		bad("access", "enum", "must be read or readwrite")
	}
	switch {
	case r.Role == "":
		bad("role", "required", "is required: the role to share with")
	case r.Role == identity.AdminRole:
		bad("role", "built_in", "admins see every record already")
	default:
		if _, err := s.Role(ctx, tenant, r.Role); errs.KindOf(err) == errs.NotFound {
			bad("role", "not_found", "no role named "+r.Role)
		} else if err != nil {
			return SharingRule{}, false, err
		}
	}
	if len(problems) > 0 {
		return SharingRule{}, false, invalidRule(problems)
	}
	if c := s.checker.Load(); c != nil {
		if err := (*c).CheckRule(ctx, tenant, r); err != nil {
			return SharingRule{}, false, err
		}
	}
	if err := s.Provision(ctx, tenant); err != nil {
		return SharingRule{}, false, err
	}
	old, err := s.Rule(ctx, tenant, r.Name)
	exists := err == nil
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return SharingRule{}, false, err
	}
	r.UpdatedAt, r.UpdatedBy = s.stamp(), by
	doc, err := toDoc(r)
	if err != nil {
		return SharingRule{}, false, err
	}
	doc["id"] = r.Name
	var saved store.Doc
	if exists {
		saved, err = s.st.Update(ctx, tenant, rulesColl, doc, old.Version)
	} else {
		saved, err = s.st.Insert(ctx, tenant, rulesColl, doc)
	}
	if errors.Is(err, store.ErrVersionConflict) || errors.Is(err, store.ErrDuplicate) {
		return SharingRule{}, false, errs.New(errs.Conflict, "sharing_rule.concurrent_change", "the sharing rule %s was changed at the same time; try again", r.Name).WithCause(err)
	}
	if err != nil {
		return SharingRule{}, false, fmt.Errorf("access: put sharing rule %s: %w", r.Name, err)
	}
	if err := s.bump(ctx, tenant); err != nil {
		return SharingRule{}, false, fmt.Errorf("access: put sharing rule %s: %w", r.Name, err)
	}
	out, err := ruleOf(saved)
	return out, !exists, err
}

func invalidRule(problems []errs.FieldError) error {
	e := errs.New(errs.Invalid, "sharing_rule.invalid", "the sharing rule is invalid: %s %s", problems[0].Field, problems[0].Message)
	e.Fields = problems
	return e
}

// Rule returns one sharing rule.
func (s *Service) Rule(ctx context.Context, tenant, name string) (SharingRule, error) {
	doc, err := s.st.Get(ctx, tenant, rulesColl, name, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownCollection) || errors.Is(err, store.ErrInvalidName) {
		return SharingRule{}, errs.New(errs.NotFound, "sharing_rule.not_found", "no sharing rule named %q", name)
	}
	if err != nil {
		return SharingRule{}, fmt.Errorf("access: get sharing rule: %w", err)
	}
	return ruleOf(doc)
}

// Rules lists the tenant's sharing rules in name order.
func (s *Service) Rules(ctx context.Context, tenant string) ([]SharingRule, error) {
	out, err := s.loadRules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b SharingRule) int { return cmpString(a.Name, b.Name) })
	return out, nil
}

// DeleteRule removes a sharing rule.
func (s *Service) DeleteRule(ctx context.Context, tenant, name string) error {
	if _, err := s.Rule(ctx, tenant, name); err != nil {
		return err
	}
	if err := s.st.Delete(ctx, tenant, rulesColl, name, 0); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errs.New(errs.NotFound, "sharing_rule.not_found", "no sharing rule named %q", name)
		}
		return fmt.Errorf("access: delete sharing rule %s: %w", name, err)
	}
	return s.bump(ctx, tenant)
}

func (s *Service) loadRules(ctx context.Context, tenant string) ([]SharingRule, error) {
	var out []SharingRule
	err := s.findAll(ctx, tenant, rulesColl, func(d store.Doc) error {
		r, err := ruleOf(d)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

func ruleOf(d store.Doc) (SharingRule, error) {
	var r SharingRule
	if err := fromDoc(d, &r); err != nil {
		return SharingRule{}, err
	}
	r.Name, _ = d["id"].(string)
	r.Version, _ = store.NormalizeValue(d["version"]).(int64)
	return r, nil
}
