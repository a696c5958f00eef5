package plugins

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/plugins/sales"
	"github.com/opencrm/crm/runtime/scripts"
)

// Scripts stores scripts; *scripts.Service implements it. Its calls act
// for the principal of the context.
type Scripts interface {
	Put(ctx context.Context, name string, in scripts.Script) (*scripts.Script, bool, error)
	Get(ctx context.Context, name string) (*scripts.Script, error)
	List(ctx context.Context) ([]*scripts.Script, error)
	Delete(ctx context.Context, name string) error
}

// Roles stores roles; *access.Service implements it.
type Roles interface {
	PutRole(ctx context.Context, tenant string, r access.Role, by string) (access.Role, bool, error)
	Role(ctx context.Context, tenant, name string) (access.Role, error)
	DeleteRole(ctx context.Context, tenant, name string) error
}

// Workflows stores workflow definitions; *workflows.Service implements it.
type Workflows interface {
	Put(ctx context.Context, tenant, name string, raw []byte, by string) (*workflows.Workflow, bool, error)
	Get(ctx context.Context, tenant, name string) (*workflows.Workflow, error)
	List(ctx context.Context, tenant string) ([]*workflows.Workflow, error)
	Delete(ctx context.Context, tenant, name, by string) error
}

// Records creates seed records through the record pipeline;
// *records.Service implements it.
type Records interface {
	Create(ctx context.Context, object string, input map[string]any) (*records.Record, error)
}

var (
	_ Scripts   = (*scripts.Service)(nil)
	_ Roles     = (*access.Service)(nil)
	_ Workflows = (*workflows.Service)(nil)
	_ Records   = (*records.Service)(nil)
)

// Deps are the services the installer writes through. Store, Meta and
// Catalog are required; a nil Scripts, Roles, Sharing, Workflows or Records leaves
// those parts of a package unapplied, and every plan says so.
type Deps struct {
	Store     store.Store
	Meta      *metadata.Service
	Records   Records
	Scripts   Scripts
	Roles     Roles
	Workflows Workflows
	// Sharing stores sharing rules; nil uses Roles when it implements
	// SharingRules (sharing.go).
	Sharing SharingRules
	Catalog *Catalog
}

// Config tunes the service. The zero value is usable.
type Config struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service installs, upgrades and uninstalls packages per tenant. It is
// safe for concurrent use; two changes of one package in one tenant at the
// same time are refused with a 409 (plugin.concurrent_change).
type Service struct {
	Deps
	st  store.Store
	cfg Config
}

// New returns the service.
func New(d Deps, cfg Config) (*Service, error) {
	if d.Store == nil || d.Meta == nil || d.Catalog == nil {
		return nil, errors.New("plugins: Store, Meta and Catalog are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{Deps: d, st: d.Store, cfg: cfg}, nil
}

// Provision creates a new tenant's _plugins collection.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	return s.st.EnsureCollection(ctx, tenant, pluginsColl)
}

func (s *Service) stamp() string { return s.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// Catalog holds the packages a node offers by name, one version each. It
// is safe for concurrent use.
type Catalog struct {
	mu   sync.RWMutex
	pkgs map[string]*Package
}

// NewCatalog returns a catalog of the given packages.
func NewCatalog(pkgs ...*Package) *Catalog {
	c := &Catalog{pkgs: map[string]*Package{}}
	for _, p := range pkgs {
		c.Add(p)
	}
	return c
}

// Add offers a package, replacing another version of the same name.
func (c *Catalog) Add(p *Package) {
	c.mu.Lock()
	c.pkgs[p.Manifest.Name] = p
	c.mu.Unlock()
}

// Get returns the package of that name.
func (c *Catalog) Get(name string) (*Package, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.pkgs[name]
	if !ok {
		return nil, errs.New(errs.NotFound, "plugin.not_found", "no package named %q is available", name)
	}
	return p, nil
}

// Manifests lists the offered packages by name.
func (c *Catalog) Manifests() []Manifest {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Manifest, 0, len(c.pkgs))
	for _, p := range c.pkgs {
		out = append(out, p.Manifest)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Builtins returns a catalog of the packages embedded in the binary: the
// sales app.
func Builtins() (*Catalog, error) {
	p, err := Load(sales.FS)
	if err != nil {
		return nil, fmt.Errorf("plugins: the built-in sales package: %w", err)
	}
	return NewCatalog(p), nil
}
