package access

import (
	"context"
	"errors"
	"fmt"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/opencrm/crm/platform/store"
)

// casbinModel is RBAC with domains: a subject (a role) has a permission in
// a domain (the tenant) directly or through the roles it inherits from
// ("g, child, parent, tenant").
const casbinModel = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
`

// maxParentDepth bounds role inheritance chains; Casbin's role manager
// stops at 10 levels, so a deeper chain would silently lose permissions.
const maxParentDepth = 8

// adapter is a read-only Casbin adapter over one tenant's roles as loaded
// from the store: it turns each role into policy lines for that tenant only.
// Policies change by changing roles (PutRole, DeleteRole), never through the
// enforcer, so the saving half of the interface refuses.
type adapter struct {
	tenant string
	roles  map[string]Role
}

var errReadOnly = errors.New("access: policies are changed through roles, not through the enforcer")

// LoadPolicy implements persist.Adapter.
func (a *adapter) LoadPolicy(m model.Model) error {
	for name, r := range a.roles {
		if r.Parent != "" {
			if err := persist.LoadPolicyArray([]string{"g", name, r.Parent, a.tenant}, m); err != nil {
				return err
			}
		}
		for object, perm := range r.Permissions {
			for _, act := range perm.actions() {
				if err := persist.LoadPolicyArray([]string{"p", name, a.tenant, object, act}, m); err != nil {
					return err
				}
			}
		}
		if r.Studio {
			for _, act := range studioActions {
				if err := persist.LoadPolicyArray([]string{"p", name, a.tenant, studioObject, act}, m); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// SavePolicy implements persist.Adapter.
func (a *adapter) SavePolicy(model.Model) error { return errReadOnly }

// AddPolicy implements persist.Adapter.
func (a *adapter) AddPolicy(string, string, []string) error { return errReadOnly }

// RemovePolicy implements persist.Adapter.
func (a *adapter) RemovePolicy(string, string, []string) error { return errReadOnly }

// RemoveFilteredPolicy implements persist.Adapter.
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }

// load reads the tenant's roles and sharing rules and builds the snapshot
// of version v with a fresh enforcer.
func (s *Service) load(ctx context.Context, tenant string, v int64) (*snapshot, error) {
	roles, err := s.loadRoles(ctx, tenant)
	if err != nil {
		return nil, err
	}
	rules, err := s.loadRules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(casbinModel)
	if err != nil {
		return nil, fmt.Errorf("access: casbin model: %w", err)
	}
	e, err := casbin.NewEnforcer(m, &adapter{tenant: tenant, roles: roles})
	if err != nil {
		return nil, fmt.Errorf("access: load %s policies: %w", tenant, err)
	}
	e.EnableAutoSave(false)
	return &snapshot{tenant: tenant, version: v, roles: roles, rules: rules, enforcer: e}, nil
}

// findAll reads every document of a tenant's collection; a collection that
// was never made (a tenant from before this package) is empty.
func (s *Service) findAll(ctx context.Context, tenant, coll string, each func(store.Doc) error) error {
	q := store.Query{Limit: 500}
	for {
		page, err := s.st.Find(ctx, tenant, coll, q)
		if errors.Is(err, store.ErrUnknownCollection) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("access: load %s: %w", coll, err)
		}
		for _, d := range page.Items {
			if err := each(d); err != nil {
				return err
			}
		}
		if page.Next == nil {
			return nil
		}
		q.After = page.Next
	}
}
