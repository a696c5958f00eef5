// Package sharing owns record-level security and the object model's side of
// permissions: Guard implements records.Guard on top of the roles of
// platform/access (object actions, field access) and turns the object's
// organisation-wide default (x-crm-sharing), the manager chain and the
// criteria-based sharing rules into one store filter that the record service
// makes part of its query. It also parses and checks sharing rules' filters,
// which are in the API filter language (objects/query).
//
// Visibility of a record to a user who is not an admin:
//   - readwrite objects: every record, for every action the role grants;
//   - read objects: every record to read; to update or delete only the
//     records they may change under private;
//   - private objects: to read, the records the user owns, those owned by the
//     users below them in the manager chain, and those matched by a sharing
//     rule for one of their roles; to update or delete, the same but only
//     readwrite rules. viewAll sees every record, modifyAll changes every
//     record.
//
// It imports objects/records, objects/schema, objects/query,
// objects/metadata and platform packages; never the HTTP edge or casbin.
package sharing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Users lists a tenant's users with their managers; the identity service
// implements it.
type Users interface {
	ListUsers(ctx context.Context, tenantID string) ([]identity.User, error)
}

// Objects resolves an object's current definition; the metadata service
// implements it.
type Objects interface {
	Object(ctx context.Context, tenant, apiName string) (*metadata.Entry, error)
}

// Config tunes the guard. The zero value is usable.
type Config struct {
	// TreeTTL is how long a tenant's manager tree is used before it is
	// read again; default 500 ms, at most 1 s (a change of manager must
	// reach every node within a second).
	TreeTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.TreeTTL < 0 || c.TreeTTL > time.Second {
		return errors.New("sharing: TreeTTL must be between 0 and 1s")
	}
	return nil
}

// Guard is the records.Guard of the platform.
type Guard struct {
	acc     *access.Service
	users   Users
	objects Objects
	cfg     Config
	trees   *trees
	filters *filterCache
}

var _ records.Guard = (*Guard)(nil)

// New returns the guard. objects may be nil when CheckRule is not used.
func New(acc *access.Service, users Users, objects Objects, cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TreeTTL == 0 {
		cfg.TreeTTL = 500 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Guard{acc: acc, users: users, objects: objects, cfg: cfg,
		trees: newTrees(users, cfg.TreeTTL, cfg.Now), filters: newFilterCache()}, nil
}

// Authorize implements records.Guard.
func (g *Guard) Authorize(ctx context.Context, p identity.Principal, obj *schema.Object, act records.Action) error {
	if p.IsAdmin() {
		return nil
	}
	gr, err := g.acc.Object(ctx, p, obj.APIName)
	if err != nil {
		return err
	}
	if !gr.Allows(string(act)) {
		return errs.New(errs.Forbidden, "access.forbidden", "you may not %s %s records", act, obj.APIName)
	}
	return nil
}

// Fields implements records.Guard.
func (g *Guard) Fields(ctx context.Context, p identity.Principal, obj *schema.Object) (map[string]records.FieldAccess, error) {
	if p.IsAdmin() {
		return nil, nil
	}
	gr, err := g.acc.Object(ctx, p, obj.APIName)
	if err != nil {
		return nil, err
	}
	if len(gr.Fields) == 0 {
		return nil, nil
	}
	out := make(map[string]records.FieldAccess, len(gr.Fields))
	for f, a := range gr.Fields {
		out[f] = records.FieldAccess(a)
	}
	return out, nil
}

// nothing is the filter that matches no record.
var nothing = store.Or{}

// Visible implements records.Guard. The filter is owner IN (the caller and
// everyone below them), ORed with the sharing rules' filters: the owner
// part is served by the owner index every object has.
func (g *Guard) Visible(ctx context.Context, p identity.Principal, obj *schema.Object, act records.Action) (store.Filter, error) {
	if p.IsAdmin() {
		return nil, nil
	}
	gr, err := g.acc.Object(ctx, p, obj.APIName)
	if err != nil {
		return nil, err
	}
	if !gr.Allows(string(act)) {
		return nothing, nil
	}
	change := act == records.ActUpdate || act == records.ActDelete
	switch {
	case act == records.ActCreate:
		return nil, nil
	case obj.Sharing == schema.SharingReadWrite:
		return nil, nil
	case obj.Sharing == schema.SharingRead && !change:
		return nil, nil
	case !change && (gr.ViewAll || gr.ModifyAll):
		return nil, nil
	case change && gr.ModifyAll:
		return nil, nil
	}
	owners, err := g.trees.team(ctx, p.TenantID, p.UserID)
	if err != nil {
		return nil, err
	}
	var f store.Filter = store.In{Field: "owner", Values: owners}
	var or store.Or
	for _, r := range gr.Rules {
		if change && r.Access != access.ShareReadWrite {
			continue
		}
		rf, err := g.filters.parse(obj, r.Filter)
		if err != nil || rf == nil {
			// A rule that no longer fits the object (a field was
			// removed) shares nothing: fail closed.
			continue
		}
		if or == nil {
			or = store.Or{f}
		}
		or = append(or, rf)
	}
	if or != nil {
		return or, nil
	}
	return f, nil
}

// CheckRule implements access.RuleChecker: the object must exist and the
// filter must parse against its fields. A bad filter is a 422 naming the
// position.
func (g *Guard) CheckRule(ctx context.Context, tenant string, r access.SharingRule) error {
	if g.objects == nil {
		return errors.New("sharing: CheckRule needs the metadata service")
	}
	e, err := g.objects.Object(ctx, tenant, r.Object)
	if errs.KindOf(err) == errs.NotFound {
		return errs.New(errs.Invalid, "sharing_rule.invalid", "the sharing rule is invalid: no object named %s", r.Object).
			WithField("object", "not_found", "no such object")
	}
	if err != nil {
		return err
	}
	f, err := query.ParseFilter(r.Filter, metadata.QueryResolver(e.Object))
	if err != nil {
		bad := errs.New(errs.Invalid, "sharing_rule.invalid", "the sharing rule's filter is invalid")
		if qe := errs.As(err); qe != nil {
			bad.Message += ": " + qe.Message
			fe := errs.FieldError{Field: "filter", Code: qe.Code, Message: qe.Message}
			if len(qe.Fields) > 0 {
				fe.Position, fe.Message = qe.Fields[0].Position, qe.Fields[0].Message
			}
			bad.Fields = []errs.FieldError{fe}
			return bad
		}
		return fmt.Errorf("sharing: check rule %s: %w", r.Name, err)
	}
	if f == nil {
		return errs.New(errs.Invalid, "sharing_rule.invalid", "the sharing rule needs a filter").
			WithField("filter", "required", "is required: the records to share")
	}
	return nil
}

// filterCache keeps parsed rule filters per object definition: an object's
// definition is immutable, so a filter parsed against it stays right until
// the object changes, and then the key changes with it.
type filterCache struct {
	mu sync.Mutex
	m  map[filterKey]store.Filter
}

type filterKey struct {
	obj    *schema.Object
	filter string
}

// maxFilters bounds the cache; it is emptied when full (old object
// definitions would otherwise stay reachable for ever).
const maxFilters = 10_000

func newFilterCache() *filterCache { return &filterCache{m: map[filterKey]store.Filter{}} }

func (c *filterCache) parse(obj *schema.Object, src string) (store.Filter, error) {
	k := filterKey{obj, src}
	c.mu.Lock()
	f, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := query.ParseFilter(src, metadata.QueryResolver(obj)) // no field security: rules are an admin's and filter for everyone alike
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxFilters {
		clear(c.m)
	}
	c.m[k] = f
	c.mu.Unlock()
	return f, nil
}
