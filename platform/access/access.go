// Package access owns what a principal may do in its tenant: roles (object
// actions, field access, studio rights, inheritance through a parent role),
// criteria-based sharing rules as data, and the per-tenant Casbin enforcer
// (RBAC with domains, domain = tenant) that decides object actions.
//
// Roles and sharing rules are documents in the tenant's store. Each tenant
// has its own enforcer, loaded with that tenant's policies only through a
// store-backed adapter, and its own decision cache. Both belong to one
// snapshot of the tenant's policies at one policy version: every change bumps
// the version, drops this node's snapshot at once, and every other node sees
// the new version on its next check (at most every Config.PollInterval), so a
// revoke never outlives its snapshot. Casbin's own CachedEnforcer is not used:
// it kept allowing after a revoke until its whole cache was cleared.
//
// This package stores a sharing rule's filter as text and does not parse it:
// the filter language belongs to the object model (objects/sharing parses
// it and checks rules through RuleChecker). It imports casbin, platform/store,
// platform/identity and platform/errs; never objects or the HTTP edge.
package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Collections of each tenant that this package owns.
const (
	rolesColl = "_roles"
	rulesColl = "_sharing_rules"
	stateColl = "_access_state"
	stateID   = "policy"
)

// Config tunes the service. The zero value is usable.
type Config struct {
	// PollInterval is how often a tenant's policy version is read from the
	// store to notice changes made on other nodes; default 250 ms. A change
	// made on this node takes effect at once.
	PollInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.PollInterval < 0 {
		return errors.New("access: PollInterval must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.PollInterval == 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Users lists a tenant's users; the identity service implements it. The
// service asks it before a role is deleted.
type Users interface {
	ListUsers(ctx context.Context, tenantID string) ([]identity.User, error)
}

// RuleChecker checks a sharing rule against the object model (the object
// exists, the filter parses against its fields). objects/sharing implements
// it; without one, only the rule's shape is checked.
type RuleChecker interface {
	CheckRule(ctx context.Context, tenant string, r SharingRule) error
}

// Service stores roles and sharing rules and answers permission questions.
type Service struct {
	st      store.Store
	users   Users
	cfg     Config
	checker atomic.Pointer[RuleChecker]

	mu      sync.Mutex
	tenants map[string]*tenantCache
}

// New returns the access service. users may be nil, in which case a role
// can be deleted while users still have it.
func New(st store.Store, users Users, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{st: st, users: users, cfg: cfg.withDefaults(), tenants: map[string]*tenantCache{}}, nil
}

// SetRuleChecker installs the checker of sharing rules. It is separate from
// New because the checker (objects/sharing) is built on this service.
func (s *Service) SetRuleChecker(c RuleChecker) { s.checker.Store(&c) }

// Provision creates the access collections of a new tenant.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	for _, c := range []string{rolesColl, rulesColl, stateColl} {
		if err := s.st.EnsureCollection(ctx, tenant, c); err != nil {
			return fmt.Errorf("access: provision %s: %w", c, err)
		}
	}
	return nil
}

// Studio actions: what a role with studio rights may change.
const (
	StudioMetadata  = "metadata:write"
	StudioScripts   = "scripts:write"
	StudioWorkflows = "workflows:write"
	StudioRoles     = "roles:write"
	StudioUsers     = "users:write"
)

var studioActions = []string{StudioMetadata, StudioScripts, StudioWorkflows, StudioRoles, StudioUsers}

// studioObject is the Casbin object of studio actions; it is not a valid
// object API name, so no object can collide with it.
const studioObject = "_studio"

// Grant is everything a set of roles may do with one object's records,
// inherited permissions included. A Grant is shared between callers: never
// change it.
type Grant struct {
	// Admin: the built-in admin role, which may do everything.
	Admin                                            bool
	Read, Create, Update, Delete, ViewAll, ModifyAll bool
	// Fields lists the fields whose access is not edit ("read" or "none"):
	// for each field, the most permissive access of the caller's roles that
	// grant anything on the object (see ObjectPermission).
	Fields map[string]string
	// Rules are the sharing rules of the object shared with these roles
	// (or with roles they inherit from).
	Rules []SharingRule
	// Version is the tenant's policy version the grant was computed at.
	Version int64
}

// Allows reports whether the grant permits an object action: read, create,
// update, delete, viewAll or modifyAll.
func (g *Grant) Allows(action string) bool {
	switch action {
	case "read":
		return g.Admin || g.Read
	case "create":
		return g.Admin || g.Create
	case "update":
		return g.Admin || g.Update
	case "delete":
		return g.Admin || g.Delete
	case "viewAll":
		return g.Admin || g.ViewAll
	case "modifyAll":
		return g.Admin || g.ModifyAll
	}
	return false
}

var adminGrant = &Grant{Admin: true, Read: true, Create: true, Update: true, Delete: true, ViewAll: true, ModifyAll: true}

// Object returns what p may do with the object's records. The answer comes
// from the tenant's decision cache when the roles and object were asked
// about before at the current policy version.
func (s *Service) Object(ctx context.Context, p identity.Principal, object string) (*Grant, error) {
	if p.IsAdmin() {
		return adminGrant, nil
	}
	snap, err := s.snapshot(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return snap.grant(p.Roles, object)
}

// Allowed reports whether p may do action (see Grant.Allows) on object.
func (s *Service) Allowed(ctx context.Context, p identity.Principal, object, action string) (bool, error) {
	g, err := s.Object(ctx, p, object)
	if err != nil {
		return false, err
	}
	return g.Allows(action), nil
}

// Studio reports whether p may change the tenant's studio resources
// (action is one of the Studio* constants): admins and roles with studio
// rights may.
func (s *Service) Studio(ctx context.Context, p identity.Principal, action string) (bool, error) {
	if p.IsAdmin() {
		return true, nil
	}
	if !slices.Contains(studioActions, action) {
		return false, nil
	}
	snap, err := s.snapshot(ctx, p.TenantID)
	if err != nil {
		return false, err
	}
	return snap.studio(p.Roles, action)
}

// RequireStudio is Studio as an error: nil, or a 403 naming the action.
func (s *Service) RequireStudio(ctx context.Context, p identity.Principal, action string) error {
	ok, err := s.Studio(ctx, p, action)
	if err != nil {
		return err
	}
	if !ok {
		return errs.New(errs.Forbidden, "access.studio_forbidden", "only an admin or a role with studio rights may do this (%s)", action)
	}
	return nil
}

// Version returns the tenant's policy version as this node last saw it.
func (s *Service) Version(ctx context.Context, tenant string) (int64, error) {
	snap, err := s.snapshot(ctx, tenant)
	if err != nil {
		return 0, err
	}
	return snap.version, nil
}

// tenantCache holds a tenant's current snapshot and when its version was
// last checked.
type tenantCache struct {
	snap    atomic.Pointer[snapshot]
	checked atomic.Int64 // unix nanoseconds of the last version check
	reload  sync.Mutex   // one refresh at a time
}

// snapshot returns the tenant's policies at their current version: from
// memory while the last check is younger than PollInterval, else after
// reading the version (and reloading when it moved). Readers never wait for
// another node's change: while one caller refreshes, the others go on with
// the snapshot they have, which is at most one PollInterval old.
func (s *Service) snapshot(ctx context.Context, tenant string) (*snapshot, error) {
	if err := store.ValidTenant(tenant); err != nil {
		return nil, errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	s.mu.Lock()
	tc := s.tenants[tenant]
	if tc == nil {
		tc = &tenantCache{}
		s.tenants[tenant] = tc
	}
	s.mu.Unlock()

	now := s.cfg.Now().UnixNano()
	cur := tc.snap.Load()
	if cur != nil && now-tc.checked.Load() < int64(s.cfg.PollInterval) {
		return cur, nil
	}
	if cur != nil && !tc.reload.TryLock() {
		return cur, nil
	}
	if cur == nil {
		tc.reload.Lock()
	}
	defer tc.reload.Unlock()
	if cur = tc.snap.Load(); cur != nil && s.cfg.Now().UnixNano()-tc.checked.Load() < int64(s.cfg.PollInterval) {
		return cur, nil
	}
	v, err := s.stateVersion(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if cur == nil || cur.version != v {
		next, err := s.load(ctx, tenant, v)
		if err != nil {
			return nil, err
		}
		tc.snap.Store(next)
		cur = next
	}
	tc.checked.Store(now)
	return cur, nil
}

// forget drops the tenant's snapshot on this node, so that the next
// question reloads it.
func (s *Service) forget(tenant string) {
	s.mu.Lock()
	delete(s.tenants, tenant)
	s.mu.Unlock()
}

func (s *Service) stateVersion(ctx context.Context, tenant string) (int64, error) {
	doc, err := s.st.Get(ctx, tenant, stateColl, stateID, nil)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrUnknownCollection):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("access: read policy version: %w", err)
	}
	v, _ := store.NormalizeValue(doc["version"]).(int64)
	return v, nil
}

// bump moves the tenant's policy version on and drops this node's
// snapshot. It runs after the change is stored, so a node that reads the
// new version also reads the change.
func (s *Service) bump(ctx context.Context, tenant string) error {
	defer s.forget(tenant)
	for attempt := 0; ; attempt++ {
		doc, err := s.st.Get(ctx, tenant, stateColl, stateID, nil)
		if errors.Is(err, store.ErrNotFound) {
			_, err = s.st.Insert(ctx, tenant, stateColl, store.Doc{"id": stateID, "changedAt": s.stamp()})
			if errors.Is(err, store.ErrDuplicate) && attempt < 5 {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		doc["changedAt"] = s.stamp()
		v, _ := store.NormalizeValue(doc["version"]).(int64)
		_, err = s.st.Update(ctx, tenant, stateColl, doc, v)
		if errors.Is(err, store.ErrVersionConflict) && attempt < 5 {
			continue // someone else bumped it: ours must still move it on
		}
		return err
	}
}

func (s *Service) stamp() string { return s.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// snapshot is one tenant's policies at one version, with the enforcer
// loaded from them and the decisions made since. It is never changed after
// load except for its caches.
type snapshot struct {
	tenant  string
	version int64
	roles   map[string]Role
	rules   []SharingRule

	mu       sync.Mutex // serialises the enforcer (Casbin is not safe for concurrent use)
	enforcer *casbin.Enforcer

	indexes sync.Map // role -> *roleIndex
	grants  sync.Map // roles key + "\x00" + object -> *Grant
}

func rolesKey(roles []string, suffix string) string {
	n := len(suffix) + 1
	for _, r := range roles {
		n += len(r) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, r := range roles {
		b.WriteString(r)
		b.WriteByte(',')
	}
	b.WriteByte(0)
	b.WriteString(suffix)
	return b.String()
}

// grant returns the cached grant of roles on object, computing it on a miss.
func (sn *snapshot) grant(roles []string, object string) (*Grant, error) {
	key := rolesKey(roles, object)
	if g, ok := sn.grants.Load(key); ok {
		return g.(*Grant), nil
	}
	g, err := sn.compute(roles, object)
	if err != nil {
		return nil, err
	}
	sn.grants.Store(key, g)
	return g, nil
}

// roleIndex is what one role may do, inherited permissions included, as
// Casbin computed it for the snapshot: "object\x00action" keys and the roles
// it inherits from.
type roleIndex struct {
	allowed   map[string]bool
	ancestors []string
}

// index returns the role's index, asking the enforcer on first use. One
// scan of the tenant's policies per role and snapshot: Enforce costs time
// linear in the policies on every call, this only once.
func (sn *snapshot) index(role string) (*roleIndex, error) {
	if ix, ok := sn.indexes.Load(role); ok {
		return ix.(*roleIndex), nil
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if ix, ok := sn.indexes.Load(role); ok {
		return ix.(*roleIndex), nil
	}
	perms, err := sn.enforcer.GetImplicitPermissionsForUser(role, sn.tenant)
	if err != nil {
		return nil, fmt.Errorf("access: permissions of %s: %w", role, err)
	}
	up, err := sn.enforcer.GetImplicitRolesForUser(role, sn.tenant)
	if err != nil {
		return nil, fmt.Errorf("access: roles of %s: %w", role, err)
	}
	ix := &roleIndex{allowed: make(map[string]bool, len(perms)), ancestors: up}
	for _, p := range perms { // sub, dom, obj, act
		if len(p) == 4 && p[1] == sn.tenant {
			ix.allowed[p[2]+"\x00"+p[3]] = true
		}
	}
	sn.indexes.Store(role, ix)
	return ix, nil
}

// compute derives a grant from the roles' indexes: object actions from
// Casbin, field access and sharing rules from the roles they inherit from.
func (sn *snapshot) compute(roles []string, object string) (*Grant, error) {
	g := &Grant{Version: sn.version}
	var effective []string
	for _, r := range roles {
		ix, err := sn.index(r)
		if err != nil {
			return nil, err
		}
		for _, act := range []struct {
			name string
			to   *bool
		}{{"read", &g.Read}, {"create", &g.Create}, {"update", &g.Update}, {"delete", &g.Delete},
			{"viewAll", &g.ViewAll}, {"modifyAll", &g.ModifyAll}} {
			if ix.allowed[object+"\x00"+act.name] {
				*act.to = true
			}
		}
		for _, name := range append([]string{r}, ix.ancestors...) {
			if !slices.Contains(effective, name) {
				effective = append(effective, name)
			}
		}
	}
	var fields map[string]string
	contributors := 0
	for _, r := range roles {
		own, ok := sn.fieldsOf(r, object)
		if !ok {
			continue
		}
		if contributors++; contributors == 1 {
			fields = own
			continue
		}
		for f, a := range fields {
			other, listed := own[f]
			if !listed {
				other = FieldEdit
			}
			if fields[f] = mostPermissive(a, other); fields[f] == FieldEdit {
				delete(fields, f)
			}
		}
	}
	if len(fields) > 0 {
		g.Fields = fields
	}
	for _, r := range sn.rules {
		if r.Object == object && slices.Contains(effective, r.Role) {
			g.Rules = append(g.Rules, r)
		}
	}
	return g, nil
}

// fieldsOf returns a role's field access on object that is not edit: its
// parent's, overlaid with the fields the role itself lists. ok is false
// when neither the role nor a role it inherits from grants anything on the
// object.
func (sn *snapshot) fieldsOf(role, object string) (map[string]string, bool) {
	var chain []Role
	for name := role; name != "" && len(chain) <= maxParentDepth; {
		r, ok := sn.roles[name]
		if !ok {
			break
		}
		chain = append(chain, r)
		name = r.Parent
	}
	fields := map[string]string{}
	granted := false
	for i := len(chain) - 1; i >= 0; i-- {
		perm, ok := chain[i].Permissions[object]
		if !ok {
			continue
		}
		granted = granted || perm.any()
		for f, a := range perm.Fields {
			if a == FieldEdit {
				delete(fields, f)
			} else {
				fields[f] = a
			}
		}
	}
	return fields, granted
}

func (sn *snapshot) studio(roles []string, action string) (bool, error) {
	for _, r := range roles {
		ix, err := sn.index(r)
		if err != nil {
			return false, err
		}
		if ix.allowed[studioObject+"\x00"+action] {
			return true, nil
		}
	}
	return false, nil
}
