// Package tenant owns the tenant registry: which tenants exist, their names
// and ids, and whether they are active. The registry lives in the store under
// the reserved store tenant "platform"; each tenant's own data lives under its
// id. It imports platform/store, platform/errs and platform/id only.
package tenant

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// PlatformDB is the store tenant that holds platform-wide data. Tenant ids are
// 20-character record ids, so none can be equal to it.
const PlatformDB = "platform"

const coll = "tenants"

// Status of a tenant.
const (
	StatusProvisioning = "provisioning" // being created; not usable yet
	StatusActive       = "active"
	StatusSuspended    = "suspended"
)

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Tenant is one customer organisation.
type Tenant struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	CreatedAt string `json:"createdAt"`
}

// Active reports whether the tenant may be used.
func (t Tenant) Active() bool { return t.Status == StatusActive }

// Registry is the tenant registry.
type Registry struct {
	st store.Store
}

// Open prepares the registry's collection and indexes in the store.
func Open(ctx context.Context, st store.Store) (*Registry, error) {
	if err := st.EnsureCollection(ctx, PlatformDB, coll); err != nil {
		return nil, fmt.Errorf("tenant: open registry: %w", err)
	}
	idx := []store.Index{{Name: "name_unique", Keys: []store.IndexKey{{Field: "name"}}, Unique: true}}
	if err := st.SyncIndexes(ctx, PlatformDB, coll, idx); err != nil {
		return nil, fmt.Errorf("tenant: open registry: %w", err)
	}
	return &Registry{st: st}, nil
}

// ValidName checks a tenant name against ^[a-z][a-z0-9-]{1,39}$.
func ValidName(name string) error {
	if !nameRe.MatchString(name) {
		return errs.New(errs.Invalid, "tenant.invalid_name",
			"tenant name must be 2 to 40 characters: a lower-case letter, then lower-case letters, digits or '-'").
			WithField("name", "pattern", "must match ^[a-z][a-z0-9-]{1,39}$")
	}
	return nil
}

// Register records a new tenant in the provisioning state. A taken name is
// a conflict (tenant.exists).
func (r *Registry) Register(ctx context.Context, name string) (Tenant, error) {
	if err := ValidName(name); err != nil {
		return Tenant{}, err
	}
	t := Tenant{ID: id.New(), Name: name, Status: StatusProvisioning,
		CreatedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	_, err := r.st.Insert(ctx, PlatformDB, coll, toDoc(t))
	if errors.Is(err, store.ErrDuplicate) {
		return Tenant{}, errs.New(errs.Conflict, "tenant.exists", "a tenant named %q exists already", name).
			WithField("name", "duplicate", "name is taken")
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant: register %s: %w", name, err)
	}
	return t, nil
}

// SetStatus changes a tenant's status.
func (r *Registry) SetStatus(ctx context.Context, tenantID, status string) (Tenant, error) {
	doc, err := r.st.Get(ctx, PlatformDB, coll, tenantID, nil)
	if err != nil {
		return Tenant{}, r.notFound(err, tenantID)
	}
	doc["status"] = status
	if _, err := r.st.Update(ctx, PlatformDB, coll, doc, 0); err != nil {
		return Tenant{}, fmt.Errorf("tenant: set status of %s: %w", tenantID, err)
	}
	return fromDoc(doc), nil
}

// ByID returns a tenant by id.
func (r *Registry) ByID(ctx context.Context, tenantID string) (Tenant, error) {
	doc, err := r.st.Get(ctx, PlatformDB, coll, tenantID, nil)
	if err != nil {
		return Tenant{}, r.notFound(err, tenantID)
	}
	return fromDoc(doc), nil
}

// ByName returns a tenant by name.
func (r *Registry) ByName(ctx context.Context, name string) (Tenant, error) {
	if ValidName(name) != nil {
		return Tenant{}, errs.New(errs.NotFound, "tenant.not_found", "no tenant named %q", name)
	}
	page, err := r.st.Find(ctx, PlatformDB, coll, store.Query{Filter: store.Eq("name", name), Limit: 1})
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant: find %s: %w", name, err)
	}
	if len(page.Items) == 0 {
		return Tenant{}, errs.New(errs.NotFound, "tenant.not_found", "no tenant named %q", name)
	}
	return fromDoc(page.Items[0]), nil
}

// List returns every tenant in name order.
func (r *Registry) List(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	q := store.Query{Sort: []store.SortKey{{Field: "name"}}, Limit: 500}
	for {
		page, err := r.st.Find(ctx, PlatformDB, coll, q)
		if err != nil {
			return nil, fmt.Errorf("tenant: list: %w", err)
		}
		for _, d := range page.Items {
			out = append(out, fromDoc(d))
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// Remove deletes a tenant from the registry and drops all of its data.
func (r *Registry) Remove(ctx context.Context, tenantID string) error {
	if err := r.st.DropTenant(ctx, tenantID); err != nil {
		return fmt.Errorf("tenant: drop data of %s: %w", tenantID, err)
	}
	if err := r.st.Delete(ctx, PlatformDB, coll, tenantID, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("tenant: remove %s: %w", tenantID, err)
	}
	return nil
}

func (r *Registry) notFound(err error, tenantID string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errs.New(errs.NotFound, "tenant.not_found", "unknown tenant").WithCause(err)
	}
	return fmt.Errorf("tenant: get %s: %w", tenantID, err)
}

func toDoc(t Tenant) store.Doc {
	return store.Doc{"id": t.ID, "name": t.Name, "status": t.Status, "createdAt": t.CreatedAt}
}

func fromDoc(d store.Doc) Tenant {
	s := func(k string) string { v, _ := d[k].(string); return v }
	return Tenant{ID: s("id"), Name: s("name"), Status: s("status"), CreatedAt: s("createdAt")}
}
