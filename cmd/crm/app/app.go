// Package app is the composition root of the crm binary: it opens the store
// named by the configuration, builds every service, mounts every HTTP route
// and runs the server. It holds wiring only; each rule lives in the package
// that owns it. Tests use it to run the real server in-process.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/opencrm/crm/objects/dashboards"
	"github.com/opencrm/crm/objects/imports"
	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	objrest "github.com/opencrm/crm/objects/rest"
	"github.com/opencrm/crm/objects/sharing"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/audit"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/idempotency"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/metrics"
	"github.com/opencrm/crm/platform/rest"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/mongo"
	"github.com/opencrm/crm/platform/store/sqlite"
	"github.com/opencrm/crm/platform/tenant"
	"github.com/opencrm/crm/plugins"
	pluginrest "github.com/opencrm/crm/plugins/rest"
	"github.com/opencrm/crm/plugins/sales"
	"github.com/opencrm/crm/runtime/jsvm"
	jsrest "github.com/opencrm/crm/runtime/rest"
	"github.com/opencrm/crm/runtime/scripts"
	"github.com/opencrm/crm/studio"
)

// Config is everything the binary can be told. cmd/crm fills it from flags
// and the environment.
type Config struct {
	// Addr is the listen address; default 127.0.0.1:8080.
	Addr string
	// DataDir is the embedded store's directory; default ./data.
	DataDir string
	// Store is "sqlite" (default) or a mongodb:// or mongodb+srv:// URI.
	Store string
	// BootstrapToken lets the operator create tenants; empty disables it.
	BootstrapToken string
	// HTTP tunes the server; zero values are the defaults.
	HTTP httpx.Config
	// Identity tunes sign-in and sessions.
	Identity identity.Config
	// RateLimit is the sustained requests per second allowed per credential
	// (default 50) and RateBurst its burst (default 100).
	RateLimit float64
	RateBurst int
	// JS tunes the script engine and its default limits per execution.
	JS jsvm.Config
	// Records tunes the record service (its CursorKey is filled in from
	// the store's platform secret when empty).
	Records records.Config
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Store != "" && c.Store != "sqlite" && !strings.HasPrefix(c.Store, "mongodb://") && !strings.HasPrefix(c.Store, "mongodb+srv://") {
		return fmt.Errorf("--store must be 'sqlite' or a mongodb:// URI, not %q", c.Store)
	}
	if err := c.HTTP.Validate(); err != nil {
		return err
	}
	return c.Identity.Validate()
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.Store == "" {
		c.Store = "sqlite"
	}
	return c
}

// App is the running platform.
type App struct {
	Config    Config
	Log       *slog.Logger
	Store     store.Store
	Tenants   *tenant.Registry
	Identity  *identity.Service
	Meta      *metadata.Service
	Access    *access.Service
	Audit     *audit.Log
	Records   *records.Service
	Imports   *imports.Service
	JS        *jsvm.Engine
	Scripts   *scripts.Service
	Jobs      *jobs.Service
	Workflows *workflows.Service
	Runner    *jobs.Runner
	Plugins   *plugins.Service
	Sales     *sales.Service
	Server    *httpx.Server
	// Provisioners prepare a new tenant's data, in order.
	Provisioners []identity.Provisioner
	Metrics      *metrics.Registry
}

// New opens the store and builds the platform. Close releases it.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	raw, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, Metrics: metrics.New()}
	a.Store = metrics.InstrumentStore(raw, a.Metrics)
	if err := a.build(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	if err := a.upgradeTenants(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.Store == "sqlite" {
		st, err := sqlite.Open(sqlite.Config{Dir: cfg.DataDir})
		if err != nil {
			return nil, fmt.Errorf("open the embedded store in %s: %w", cfg.DataDir, err)
		}
		return st, nil
	}
	st, err := mongo.Open(ctx, mongo.Config{URI: cfg.Store})
	if err != nil {
		return nil, fmt.Errorf("open MongoDB: %w", err)
	}
	return st, nil
}

func (a *App) build(ctx context.Context) error {
	var err error
	if a.Tenants, err = tenant.Open(ctx, a.Store); err != nil {
		return err
	}
	if a.Identity, err = identity.New(a.Store, a.Tenants, a.Config.Identity); err != nil {
		return err
	}
	a.Audit = audit.New(a.Store)
	a.Identity.SetAudit(a.Audit)
	if a.Meta, err = metadata.New(a.Store, metadata.Config{}); err != nil {
		return err
	}
	rcfg := a.Config.Records
	if rcfg.CursorKey == nil {
		if rcfg.CursorKey, err = platformSecret(ctx, a.Store, "cursor-key"); err != nil {
			return err
		}
	}
	if a.JS, err = jsvm.New(a.Config.JS); err != nil {
		return err
	}
	a.Scripts = scripts.New(a.Store, a.Meta, a.JS, scripts.Config{})
	if a.Jobs, err = jobs.New(a.Store, jobs.Config{}); err != nil {
		return err
	}
	a.Workflows = workflows.New(a.Store, a.Jobs, a.Meta, a.Identity, workflows.Config{Log: a.Log})
	if a.Access, err = access.New(a.Store, a.Identity, access.Config{}); err != nil {
		return err
	}
	guard, err := sharing.New(a.Access, a.Identity, a.Meta, sharing.Config{})
	if err != nil {
		return err
	}
	a.Access.SetRuleChecker(guard)
	if a.Records, err = records.New(a.Store, a.Meta, a.Identity, rcfg, records.WithGuard(guard),
		records.WithHooks(a.Scripts.Hook(), a.Workflows.Hook())); err != nil {
		return err
	}
	a.Scripts.SetRecords(a.Records)
	a.Workflows.Bind(a.Records)
	a.Workflows.SetScriptRunner(a.Scripts.WorkflowRunner())
	a.Runner = jobs.NewRunner(a.Jobs, jobs.RunnerConfig{Log: a.Log, Tenants: a.activeTenants})
	a.Workflows.Register(a.Runner)
	keeper := idempotency.New(a.Store, idempotency.Config{})
	a.Imports = imports.New(a.Store, a.Meta, a.Records, guard)
	cat, err := plugins.Builtins()
	if err != nil {
		return err
	}
	if a.Plugins, err = plugins.New(plugins.Deps{Store: a.Store, Meta: a.Meta, Records: a.Records, Scripts: a.Scripts,
		Catalog: cat, Roles: a.Access, Workflows: a.Workflows}, plugins.Config{}); err != nil {
		return err
	}
	if a.Sales, err = sales.New(a.Records, a.Store, sales.Config{Clock: a.Jobs.Clock()}); err != nil {
		return err
	}
	if err := a.Sales.Automate(sales.Automation{Jobs: a.Jobs, Users: a.Identity}); err != nil {
		return err
	}
	a.Sales.Register(a.Runner) // dispatch and nurture jobs
	a.Records.Use(a.Sales.DuplicateRule())
	boards := dashboards.New(a.Store)
	a.Provisioners = []identity.Provisioner{a.Meta.Provision, a.Records.Provision, keeper.Provision, a.Imports.Provision, a.Scripts.Provision,
		a.Jobs.Provision, a.Workflows.Provision, a.Access.Provision, a.Plugins.Provision, a.Audit.Provision, a.Sales.Provision, boards.Provision}

	a.Server = httpx.New(a.Config.HTTP, a.Log, a.Metrics)
	a.Server.AddReadyCheck("store", a.Store.Ping)
	api := a.Server.API()
	rest.Mount(api, rest.Deps{Identity: a.Identity, BootstrapToken: a.Config.BootstrapToken,
		Provisioners: a.Provisioners, RateLimit: a.Config.RateLimit, RateBurst: a.Config.RateBurst})
	rest.MountRoles(api, rest.RolesDeps{Access: a.Access, Audit: a.Audit})
	rest.MountAudit(api, a.Audit)
	objrest.Mount(api, objrest.Deps{Meta: a.Meta, Records: a.Records, Idempotency: keeper, Imports: a.Imports,
		MetadataWriter: rest.RequireStudio(a.Access, access.StudioMetadata)})
	objrest.MountWorkflows(api, objrest.WorkflowDeps{Workflows: a.Workflows, Jobs: a.Jobs, Records: a.Records})
	objrest.MountDashboards(api, boards)
	jsrest.Mount(api, a.Scripts)
	pluginrest.Mount(api, pluginrest.Deps{Plugins: a.Plugins})
	sales.Mount(api, a.Sales)
	studio.Mount(a.Server.App())
	return nil
}

// platformSecret returns a random secret kept in the platform database,
// made on first use, so that every node of a deployment signs alike.
func platformSecret(ctx context.Context, st store.Store, name string) ([]byte, error) {
	const coll = "secrets"
	if err := st.EnsureCollection(ctx, tenant.PlatformDB, coll); err != nil {
		return nil, err
	}
	for {
		doc, err := st.Get(ctx, tenant.PlatformDB, coll, name, nil)
		if err == nil {
			v, _ := doc["value"].(string)
			if len(v) < 32 {
				return nil, fmt.Errorf("platform secret %s is too short", name)
			}
			return []byte(v), nil
		}
		if errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		_, err = st.Insert(ctx, tenant.PlatformDB, coll, store.Doc{"id": name, "value": id.Secret(48)})
		if err != nil && errs.KindOf(err) != errs.Conflict {
			return nil, err
		}
	}
}

// Serve runs the job runner and serves on ln until ctx is cancelled, then
// drains and returns nil. On a store without atomic updates (FerretDB) the
// runner cannot take leases safely, so workflows and jobs do not run: that is
// logged, and the API still serves.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if err := a.Runner.Start(ctx); err != nil {
		a.Log.Warn("the job runner is not started: workflows and background jobs will not run", "err", err)
	} else {
		defer a.Runner.Stop()
	}
	return a.Server.Serve(ctx, ln)
}

// upgradeTenants runs every provisioner over every existing tenant, so a
// tenant made by an older version gets the collections and indexes that
// newer parts need. Provisioners are idempotent.
func (a *App) upgradeTenants(ctx context.Context) error {
	ts, err := a.Tenants.List(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if !t.Active() {
			continue
		}
		if err := a.Identity.Provision(ctx, t.ID); err != nil {
			return fmt.Errorf("upgrade tenant %s: %w", t.Name, err)
		}
		for _, p := range a.Provisioners {
			if err := p(ctx, t.ID); err != nil {
				return fmt.Errorf("upgrade tenant %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

// activeTenants lists the ids of the tenants whose jobs this node runs.
func (a *App) activeTenants(ctx context.Context) ([]string, error) {
	ts, err := a.Tenants.List(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ts))
	for _, t := range ts {
		if t.Active() {
			ids = append(ids, t.ID)
		}
	}
	return ids, nil
}

// Close stops background work and releases the store.
func (a *App) Close() error {
	a.Imports.Close()
	a.Meta.Close()
	a.JS.Close()
	return a.Store.Close()
}

// Demo names the demo tenant and its admin's sign-in.
var Demo = struct{ Tenant, Email, Password string }{"demo", "admin@demo.test", "demo-password"}

// EnsureDemo onboards the demo tenant unless it exists. It returns the new
// admin API key, or "" when the tenant was there already (keys are shown
// once).
func (a *App) EnsureDemo(ctx context.Context) (string, error) {
	_, err := a.Tenants.ByName(ctx, Demo.Tenant)
	if err == nil {
		return "", nil
	}
	if errs.KindOf(err) != errs.NotFound {
		return "", err
	}
	out, err := a.Identity.Onboard(ctx, Demo.Tenant, identity.NewUser{Email: Demo.Email, Password: Demo.Password, Name: "Demo Admin"}, a.Provisioners...)
	if err != nil {
		return "", fmt.Errorf("seed the demo tenant: %w", err)
	}
	return out.APIKey, nil
}
