// Command crm is the platform's one binary: `crm serve` runs it; other
// subcommands come with their features. It reads flags and the environment
// and hands them to cmd/crm/app; it holds no logic of its own.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/cmd/crm/bench"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/logx"
	"github.com/opencrm/crm/plugins"
	"github.com/opencrm/crm/runtime/jsvm"
	"github.com/opencrm/crm/seed"
)

const usage = `crm — the metadata-driven CRM platform

Usage:
  crm serve [flags]    run the platform (see crm serve -h)
  crm metadata pull --tenant NAME DIR    write a tenant's metadata as JSON files
  crm metadata push --tenant NAME DIR    apply such files to a tenant (checked first)
  crm plugin install|upgrade|uninstall DIR|NAME --tenant NAME [--yes] [--purge]
                       show the plan of a package change, and apply it with --yes
  crm seed --tenant NAME --leads N      create a tenant with the sales app and realistic demo data
  crm bench [flags]    load a lead-like object and measure the REST API against the store (see crm bench -h)

Environment: CRM_ADDR, CRM_DATA, CRM_STORE, CRM_BOOTSTRAP_TOKEN, CRM_LOG_LEVEL,
  CRM_SCRIPT_ISOLATION (in-process or process: where every tenant's scripts run),
  CRM_SCRIPT_ISOLATED_TENANTS (comma-separated tenant ids whose scripts run in worker processes),
  CRM_SCRIPT_LIMITS (JSON: script limits for all tenants ("*") and per tenant id, e.g.
    {"*":{"wallTimeMs":300},"<tenant id>":{"queries":500,"memoryMiB":256}}).
`

func main() {
	// The script engine runs untrusted tenants' scripts in this same
	// binary, started again as a worker process.
	jsvm.ServeWorkerIfChild()
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:], os.Stdout, os.Stderr)
	case "bench":
		err = benchCmd(os.Args[2:], os.Stdout, os.Stderr)
	case "metadata":
		err = metadataCmd(os.Args[2:], os.Stdout, os.Stderr)
	case "plugin":
		err = pluginCmd(os.Args[2:], os.Stdout, os.Stderr)
	case "seed":
		err = seedCmd(os.Args[2:], os.Stdout, os.Stderr)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "crm: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		report(os.Stderr, err)
		os.Exit(1)
	}
}

// report prints an error for a person: a domain error's message and field
// details, anything else as it is.
func report(w io.Writer, err error) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		fmt.Fprintf(w, "crm: %v\n", err)
		return
	}
	fmt.Fprintf(w, "crm: %s\n", e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(w, "  %s: %s\n", f.Field, f.Message)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// scriptLimits reads the scripts' limits: CRM_SCRIPT_LIMITS (JSON, see
// jsvm.LimitsConfig), then where tenants' scripts run: CRM_SCRIPT_ISOLATION
// for all of them, CRM_SCRIPT_ISOLATED_TENANTS for some (in worker
// processes). The engine validates the values.
func scriptLimits(cfg *jsvm.Config) error {
	if v := os.Getenv("CRM_SCRIPT_LIMITS"); v != "" {
		if err := jsvm.ParseLimitsConfig([]byte(v), cfg); err != nil {
			return fmt.Errorf("CRM_SCRIPT_LIMITS: %w", err)
		}
	}
	if v := os.Getenv("CRM_SCRIPT_ISOLATION"); v != "" {
		cfg.Limits.Isolation = v
	}
	for _, id := range strings.Split(os.Getenv("CRM_SCRIPT_ISOLATED_TENANTS"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			if cfg.Tenants == nil {
				cfg.Tenants = map[string]jsvm.Limits{}
			}
			cfg.Tenants[id] = cfg.Tenants[id].Over(jsvm.Limits{Isolation: jsvm.IsolationProcess})
		}
	}
	return nil
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	fs.StringVar(&cfg.Addr, "addr", env("CRM_ADDR", "127.0.0.1:8080"), "listen address (CRM_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", env("CRM_DATA", "./data"), "directory of the embedded store (CRM_DATA)")
	fs.StringVar(&cfg.Store, "store", env("CRM_STORE", "sqlite"), "'sqlite' or a mongodb:// URI (CRM_STORE)")
	demo := fs.Bool("demo", false, "create the demo tenant if it does not exist, fill it with the sales app and demo data, and print how to sign in")
	demoLeads := fs.Int("demo-leads", 1000, "leads the demo tenant is seeded with")
	level := fs.String("log-level", env("CRM_LOG_LEVEL", "info"), "debug, info, warn or error (CRM_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.BootstrapToken = os.Getenv("CRM_BOOTSTRAP_TOKEN")
	if err := scriptLimits(&cfg.JS); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	log := logx.New(stderr, lvl)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	clk := &seed.Clock{} // the system clock, except while the demo seed writes its history
	cfg.Records.Now = clk.Now
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	var seeding sync.WaitGroup
	defer seeding.Wait() // before Close: the seed writes through the store
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "CRM platform listening on %s (store: %s)\n", base, a.Store.Capabilities().Name)
	fmt.Fprintf(stdout, "  studio:  %s/studio\n  health:  %s/healthz\n  API:     %s/api/v1\n", base, base, base)
	if *demo {
		key, err := a.EnsureDemo(ctx)
		if err != nil {
			ln.Close()
			return err
		}
		fmt.Fprintf(stdout, "  demo tenant %q: sign in with %s / %s (POST %s/api/v1/auth/login)\n",
			app.Demo.Tenant, app.Demo.Email, app.Demo.Password, base)
		if key != "" {
			fmt.Fprintf(stdout, "  demo admin API key (shown once): %s\n", key)
			// A new demo tenant gets the sales app and data while the server
			// already answers.
			fmt.Fprintf(stdout, "  seeding the demo tenant with the sales app and %d leads in the background...\n", *demoLeads)
			seeding.Add(1)
			go func() {
				defer seeding.Done()
				sc := seed.Config{Tenant: app.Demo.Tenant, Leads: *demoLeads, AdminEmail: app.Demo.Email, AdminPassword: app.Demo.Password}
				rep, err := seed.Run(ctx, seedDeps(a, clk), sc, io.Discard)
				if err != nil {
					log.Error("demo seed failed", "err", err)
					return
				}
				fmt.Fprintf(stdout, "  demo data ready: %d users, %v\n", rep.Users, rep.Records)
			}()
		}
	}
	log.Info("serving", "addr", ln.Addr().String())
	if err := a.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

func benchCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.Config
	fs.IntVar(&cfg.Records, "records", 100_000, "records to load before measuring")
	fs.IntVar(&cfg.Clients, "clients", 2, "concurrent clients")
	fs.IntVar(&cfg.Ops, "ops", 2000, "operations per measured kind")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured part to this file")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	bench.WriteTable(stdout, rep)
	return nil
}

func metadataCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 || (args[0] != "pull" && args[0] != "push") {
		return fmt.Errorf("usage: crm metadata pull|push --tenant NAME DIR")
	}
	verb := args[0]
	fs := flag.NewFlagSet("metadata "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	fs.StringVar(&cfg.DataDir, "data", env("CRM_DATA", "./data"), "directory of the embedded store (CRM_DATA)")
	fs.StringVar(&cfg.Store, "store", env("CRM_STORE", "sqlite"), "'sqlite' or a mongodb:// URI (CRM_STORE)")
	tenantName := fs.String("tenant", "", "tenant name (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenantName == "" || fs.NArg() != 1 {
		return fmt.Errorf("usage: crm metadata %s --tenant NAME DIR", verb)
	}
	dir := fs.Arg(0)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.Tenants.ByName(ctx, *tenantName)
	if err != nil {
		return err
	}
	if verb == "pull" {
		n, err := a.Meta.Pull(ctx, t.ID, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pulled %d files of tenant %s into %s\n", n, t.Name, dir)
		return nil
	}
	rep, err := a.Meta.Push(ctx, t.ID, dir, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pushed %s into tenant %s: %d objects and %d views changed\n", dir, t.Name, len(rep.Objects), len(rep.Views))
	for _, o := range rep.Objects {
		fmt.Fprintf(stdout, "  object %s\n", o)
	}
	for _, v := range rep.Views {
		fmt.Fprintf(stdout, "  %s\n", v)
	}
	return nil
}

func pluginCmd(args []string, stdout, stderr io.Writer) error {
	var cfg app.Config
	cli := plugins.CLI{
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&cfg.DataDir, "data", env("CRM_DATA", "./data"), "directory of the embedded store (CRM_DATA)")
			fs.StringVar(&cfg.Store, "store", env("CRM_STORE", "sqlite"), "'sqlite' or a mongodb:// URI (CRM_STORE)")
		},
		Open: func(ctx context.Context) (plugins.CLIServices, func() error, error) {
			a, err := app.New(ctx, cfg, nil)
			if err != nil {
				return plugins.CLIServices{}, nil, err
			}
			return plugins.CLIServices{Plugins: a.Plugins, Tenants: a.Tenants, Users: a.Identity}, a.Close, nil
		},
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return cli.Run(ctx, args, stdout, stderr)
}

// seedDeps gives the seed the services of a.
func seedDeps(a *app.App, clk *seed.Clock) seed.Deps {
	return seed.Deps{Store: a.Store, Tenants: a.Tenants, Identity: a.Identity, Meta: a.Meta, Records: a.Records,
		Provisioners: a.Provisioners, Clock: clk,
		InstallSales: func(ctx context.Context, tenantID string) error {
			_, err := a.Plugins.Apply(ctx, tenantID, plugins.Install, "sales", nil, plugins.Options{})
			return err
		}}
}

func seedCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	fs.StringVar(&cfg.DataDir, "data", env("CRM_DATA", "./data"), "directory of the embedded store (CRM_DATA)")
	fs.StringVar(&cfg.Store, "store", env("CRM_STORE", "sqlite"), "'sqlite' or a mongodb:// URI (CRM_STORE)")
	var sc seed.Config
	fs.StringVar(&sc.Tenant, "tenant", "demo", "tenant to create and fill (it must have no leads yet)")
	fs.IntVar(&sc.Leads, "leads", 2000, "number of leads (1,000 to 1,000,000)")
	fs.Uint64Var(&sc.Seed, "seed", 1, "random seed: the same seed and size give the same data")
	fs.IntVar(&sc.HistoryPercent, "history", 0, "share of leads whose stage history is written step by step (default 100 up to 20k leads, 20 above)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	clk := &seed.Clock{}
	cfg.Records.Now = clk.Now
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if os.Getenv("GOGC") == "" {
		// A seed allocates fast and keeps little: collecting the heap
		// less often made 100k leads 16% faster (96.8 s -> 81.2 s) for
		// 8% more resident memory. GOGC, when set, decides instead.
		debug.SetGCPercent(400)
	}
	start := time.Now()
	rep, err := seed.Run(ctx, seedDeps(a, clk), sc, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded tenant %s in %.1f s: %d users, records %v\n", rep.Tenant, time.Since(start).Seconds(), rep.Users, rep.Records)
	fmt.Fprintf(stdout, "sign in: tenant %s, %s / the demo password\n", rep.Tenant, rep.AdminEmail)
	if rep.Created && rep.APIKey != "" {
		fmt.Fprintf(stdout, "admin API key (shown once): %s\n", rep.APIKey)
	}
	return nil
}
