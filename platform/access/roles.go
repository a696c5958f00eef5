package access

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Field access levels; edit is the default of a field a role does not list.
const (
	FieldEdit = "edit"
	FieldRead = "read"
	FieldNone = "none"
)

// Role is a named set of permissions of one tenant. A role inherits every
// object action of its parent (and the parent's parent...) and its parent's
// field access, except for the fields it lists itself. The built-in admin
// role is not stored: it may do everything and cannot be changed.
type Role struct {
	Name        string                      `json:"name"`
	Parent      string                      `json:"parent,omitempty"`
	Permissions map[string]ObjectPermission `json:"permissions"`
	// Studio lets the role change metadata, scripts, workflows, roles and
	// users.
	Studio    bool   `json:"studio"`
	Version   int64  `json:"version,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`
	UpdatedBy string `json:"updatedBy,omitempty"`
}

// ObjectPermission is what a role may do with one object's records. Create,
// update, delete, viewAll and modifyAll each imply read; modifyAll also
// implies update, delete and viewAll. Fields maps field names to "read" or
// "none" ("edit" is the default and may be given too). A user with several
// roles gets, for each field, the most permissive access of the roles that
// grant anything on the object.
type ObjectPermission struct {
	Read      bool              `json:"read"`
	Create    bool              `json:"create"`
	Update    bool              `json:"update"`
	Delete    bool              `json:"delete"`
	ViewAll   bool              `json:"viewAll"`
	ModifyAll bool              `json:"modifyAll"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// actions lists the Casbin actions the permission grants, implications
// included.
func (p ObjectPermission) actions() []string {
	read := p.Read || p.Create || p.Update || p.Delete || p.ViewAll || p.ModifyAll
	var out []string
	for _, a := range []struct {
		name string
		on   bool
	}{{"read", read}, {"create", p.Create}, {"update", p.Update || p.ModifyAll}, {"delete", p.Delete || p.ModifyAll},
		{"viewAll", p.ViewAll || p.ModifyAll}, {"modifyAll", p.ModifyAll}} {
		if a.on {
			out = append(out, a.name)
		}
	}
	return out
}

func (p ObjectPermission) any() bool { return len(p.actions()) > 0 }

func (p ObjectPermission) fieldAccess(field string) string {
	if a, ok := p.Fields[field]; ok {
		return a
	}
	return FieldEdit
}

func mostPermissive(a, b string) string {
	rank := map[string]int{FieldNone: 0, FieldRead: 1, FieldEdit: 2}
	if rank[a] >= rank[b] {
		return a
	}
	return b
}

var (
	roleNameRe  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	objectRe    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	fieldNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
)

// ValidName reports whether name is a valid role or sharing rule name:
// ^[a-z][a-z0-9_-]{0,39}$.
func ValidName(name string) bool { return roleNameRe.MatchString(name) }

// ParseRole reads a role definition (the body of PUT /roles/{name}) for the
// role name, strictly: unknown members, unknown permission keys and field
// access values other than edit, read and none are refused with one
// *errs.Error (role.invalid, 422) listing every problem.
func ParseRole(name string, body []byte) (Role, error) {
	r := Role{Name: name, Permissions: map[string]ObjectPermission{}}
	var problems []errs.FieldError
	bad := func(field, code, msg string) {
		problems = append(problems, errs.FieldError{Field: field, Code: code, Message: msg})
	}
	if !ValidName(name) {
		bad("name", "pattern", "must be a lower-case letter followed by at most 39 lower-case letters, digits, _ or -")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		bad("", "type", "must be a JSON object")
		return r, invalidRole(problems)
	}
	for key, raw := range top {
		switch key {
		case "name":
			var n string
			if json.Unmarshal(raw, &n) != nil || n != name {
				bad("name", "mismatch", "must be the name in the path, if given")
			}
		case "parent":
			if isNull(raw) {
				continue
			}
			if json.Unmarshal(raw, &r.Parent) != nil {
				bad("parent", "type", "must be a role name")
			} else if r.Parent != "" && !ValidName(r.Parent) {
				bad("parent", "pattern", "is not a valid role name")
			}
		case "studio":
			if json.Unmarshal(raw, &r.Studio) != nil {
				bad("studio", "type", "must be true or false")
			}
		case "permissions":
			if isNull(raw) {
				continue
			}
			var perms map[string]json.RawMessage
			if json.Unmarshal(raw, &perms) != nil {
				bad("permissions", "type", "must be an object of object names")
				continue
			}
			for object, praw := range perms {
				p, fp := parsePermission("permissions."+object, praw)
				problems = append(problems, fp...)
				if !objectRe.MatchString(object) {
					bad("permissions."+object, "unknown_object", "is not a valid object API name")
				}
				r.Permissions[object] = p
			}
		case "version", "updatedAt", "updatedBy":
			// Echoed back from GET: read-only, ignored.
		default:
			bad(key, "unknown", "is not a member of a role")
		}
	}
	if r.Parent == name && name != "" {
		bad("parent", "cycle", "a role cannot be its own parent")
	}
	if len(problems) > 0 {
		return r, invalidRole(problems)
	}
	return r, nil
}

func parsePermission(path string, raw json.RawMessage) (ObjectPermission, []errs.FieldError) {
	var p ObjectPermission
	var problems []errs.FieldError
	bad := func(field, code, msg string) {
		problems = append(problems, errs.FieldError{Field: field, Code: code, Message: msg})
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		bad(path, "type", "must be an object of permissions")
		return p, problems
	}
	flags := map[string]*bool{"read": &p.Read, "create": &p.Create, "update": &p.Update, "delete": &p.Delete,
		"viewAll": &p.ViewAll, "modifyAll": &p.ModifyAll}
	for key, v := range m {
		if to, ok := flags[key]; ok {
			if json.Unmarshal(v, to) != nil {
				bad(path+"."+key, "type", "must be true or false")
			}
			continue
		}
		if key != "fields" {
			bad(path+"."+key, "unknown_permission", "is not a permission: use read, create, update, delete, viewAll, modifyAll or fields")
			continue
		}
		var fields map[string]string
		if json.Unmarshal(v, &fields) != nil {
			bad(path+".fields", "type", "must map field names to edit, read or none")
			continue
		}
		for f, a := range fields {
			switch {
			case !fieldNameRe.MatchString(f):
				bad(path+".fields."+f, "pattern", "is not a valid field name")
			case a != FieldEdit && a != FieldRead && a != FieldNone:
				bad(path+".fields."+f, "enum", "must be edit, read or none")
			}
		}
		p.Fields = fields
	}
	return p, problems
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func invalidRole(problems []errs.FieldError) error {
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Field < problems[j].Field })
	e := errs.New(errs.Invalid, "role.invalid", "the role is invalid: %s %s", problems[0].Field, problems[0].Message)
	e.Fields = problems
	return e
}

var errBuiltIn = errs.New(errs.Conflict, "role.built_in", "the admin role is built in and cannot be changed")

// PutRole creates or replaces a role. The parent must exist and must not
// lead back to the role; the chain of parents is at most 8 deep. by is the
// user making the change. It returns the stored role and whether it was
// created.
func (s *Service) PutRole(ctx context.Context, tenant string, r Role, by string) (Role, bool, error) {
	if r.Name == identity.AdminRole {
		return Role{}, false, errBuiltIn
	}
	if r.Parent == identity.AdminRole {
		return Role{}, false, invalidRole([]errs.FieldError{{Field: "parent", Code: "built_in",
			Message: "cannot inherit from the built-in admin role: give users the admin role instead"}})
	}
	if err := s.Provision(ctx, tenant); err != nil {
		return Role{}, false, err
	}
	roles, err := s.loadRoles(ctx, tenant)
	if err != nil {
		return Role{}, false, err
	}
	if r.Parent != "" {
		if _, ok := roles[r.Parent]; !ok {
			return Role{}, false, invalidRole([]errs.FieldError{{Field: "parent", Code: "not_found", Message: "no role named " + r.Parent}})
		}
		depth := 1
		for p := r.Parent; p != ""; p = roles[p].Parent {
			if p == r.Name {
				return Role{}, false, invalidRole([]errs.FieldError{{Field: "parent", Code: "cycle",
					Message: fmt.Sprintf("%s inherits from %s already: the parent would make a cycle", r.Parent, r.Name)}})
			}
			if depth++; depth > maxParentDepth {
				return Role{}, false, invalidRole([]errs.FieldError{{Field: "parent", Code: "too_deep",
					Message: fmt.Sprintf("role inheritance is at most %d levels deep", maxParentDepth)}})
			}
		}
	}
	old, exists := roles[r.Name]
	r.UpdatedAt, r.UpdatedBy = s.stamp(), by
	doc, err := toDoc(r)
	if err != nil {
		return Role{}, false, err
	}
	doc["id"] = r.Name
	var saved store.Doc
	if exists {
		saved, err = s.st.Update(ctx, tenant, rolesColl, doc, old.Version)
	} else {
		saved, err = s.st.Insert(ctx, tenant, rolesColl, doc)
	}
	if errors.Is(err, store.ErrVersionConflict) || errors.Is(err, store.ErrDuplicate) {
		return Role{}, false, errs.New(errs.Conflict, "role.concurrent_change", "the role %s was changed at the same time; try again", r.Name).WithCause(err)
	}
	if err != nil {
		return Role{}, false, fmt.Errorf("access: put role %s: %w", r.Name, err)
	}
	if err := s.bump(ctx, tenant); err != nil {
		return Role{}, false, fmt.Errorf("access: put role %s: %w", r.Name, err)
	}
	out, err := roleOf(saved)
	return out, !exists, err
}

// Role returns one role; the built-in admin role is described too.
func (s *Service) Role(ctx context.Context, tenant, name string) (Role, error) {
	if name == identity.AdminRole {
		return Role{Name: identity.AdminRole, Permissions: map[string]ObjectPermission{}, Studio: true}, nil
	}
	doc, err := s.st.Get(ctx, tenant, rolesColl, name, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownCollection) || errors.Is(err, store.ErrInvalidName) {
		return Role{}, errs.New(errs.NotFound, "role.not_found", "no role named %q", name)
	}
	if err != nil {
		return Role{}, fmt.Errorf("access: get role: %w", err)
	}
	return roleOf(doc)
}

// Roles lists the tenant's roles in name order, the built-in admin first.
func (s *Service) Roles(ctx context.Context, tenant string) ([]Role, error) {
	roles, err := s.loadRoles(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := []Role{{Name: identity.AdminRole, Permissions: map[string]ObjectPermission{}, Studio: true}}
	for _, r := range roles {
		out = append(out, r)
	}
	slices.SortFunc(out[1:], func(a, b Role) int { return cmpString(a.Name, b.Name) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DeleteRole removes a role. It is refused with a 409 while users have the
// role, another role inherits from it or a sharing rule shares with it.
func (s *Service) DeleteRole(ctx context.Context, tenant, name string) error {
	if name == identity.AdminRole {
		return errBuiltIn
	}
	r, err := s.Role(ctx, tenant, name)
	if err != nil {
		return err
	}
	roles, err := s.loadRoles(ctx, tenant)
	if err != nil {
		return err
	}
	for _, other := range roles {
		if other.Parent == name {
			return errs.New(errs.Conflict, "role.in_use", "role %s inherits from %s: change it first", other.Name, name)
		}
	}
	rules, err := s.loadRules(ctx, tenant)
	if err != nil {
		return err
	}
	for _, rule := range rules {
		if rule.Role == name {
			return errs.New(errs.Conflict, "role.in_use", "sharing rule %s shares with %s: change or delete it first", rule.Name, name)
		}
	}
	if s.users != nil {
		users, err := s.users.ListUsers(ctx, tenant)
		if err != nil {
			return fmt.Errorf("access: delete role %s: %w", name, err)
		}
		n := 0
		for _, u := range users {
			if slices.Contains(u.Roles, name) {
				n++
			}
		}
		if n > 0 {
			e := errs.New(errs.Conflict, "role.in_use", "%d users have the role %s: take it from them first", n, name)
			e.Extra = map[string]any{"users": n}
			return e
		}
	}
	if err := s.st.Delete(ctx, tenant, rolesColl, name, r.Version); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrVersionConflict) {
			return errs.New(errs.Conflict, "role.concurrent_change", "the role %s was changed at the same time; try again", name).WithCause(err)
		}
		return fmt.Errorf("access: delete role %s: %w", name, err)
	}
	return s.bump(ctx, tenant)
}

func (s *Service) loadRoles(ctx context.Context, tenant string) (map[string]Role, error) {
	out := map[string]Role{}
	err := s.findAll(ctx, tenant, rolesColl, func(d store.Doc) error {
		r, err := roleOf(d)
		if err != nil {
			return err
		}
		out[r.Name] = r
		return nil
	})
	return out, err
}

// toDoc and roleOf convert through JSON: the stored document is the role's
// JSON form, so what GET answers is what was stored.
func toDoc(v any) (store.Doc, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("access: encode: %w", err)
	}
	var d store.Doc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("access: encode: %w", err)
	}
	delete(d, "name")
	delete(d, "version")
	return d, nil
}

func roleOf(d store.Doc) (Role, error) {
	var r Role
	if err := fromDoc(d, &r); err != nil {
		return Role{}, err
	}
	r.Name, _ = d["id"].(string)
	r.Version, _ = store.NormalizeValue(d["version"]).(int64)
	if r.Permissions == nil {
		r.Permissions = map[string]ObjectPermission{}
	}
	return r, nil
}

func fromDoc(d store.Doc, v any) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("access: decode: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("access: decode: %w", err)
	}
	return nil
}
