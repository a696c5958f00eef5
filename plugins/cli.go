package plugins

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/tenant"
)

// CLIServices are what `crm plugin` needs, independent of how the binary
// builds them.
type CLIServices struct {
	Plugins *Service
	Tenants interface {
		ByName(ctx context.Context, name string) (tenant.Tenant, error)
	}
	Users interface {
		ListUsers(ctx context.Context, tenantID string) ([]identity.User, error)
	}
}

// CLI is the `crm plugin install|upgrade|uninstall DIR --tenant NAME
// [--yes] [--purge]` command. Flags lets the binary add its own flags (where
// the store is); Open builds the services once the flags are parsed and
// returns a function that releases them.
type CLI struct {
	Flags func(fs *flag.FlagSet)
	Open  func(ctx context.Context) (CLIServices, func() error, error)
}

const cliUsage = "usage: crm plugin install|upgrade|uninstall DIR|NAME --tenant NAME [--yes] [--purge]"

// Run runs the command: it prints the plan and applies it only with --yes.
// DIR is a package directory; NAME (no such directory) is a package of the
// catalog, or for uninstall any installed package.
func (c CLI) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 || !slices.Contains([]string{Install, Upgrade, Uninstall}, args[0]) {
		return errors.New(cliUsage)
	}
	action := args[0]
	fs := flag.NewFlagSet("plugin "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantName := fs.String("tenant", "", "tenant name (required)")
	yes := fs.Bool("yes", false, "apply the plan (without it the plan is only printed)")
	purge := fs.Bool("purge", false, "uninstall: delete the package's objects with their records")
	if c.Flags != nil {
		c.Flags(fs)
	}
	var positional []string
	rest := args[1:]
	for { // flags may come before or after DIR
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *tenantName == "" || len(positional) != 1 {
		return errors.New(cliUsage)
	}
	svc, closeFn, err := c.Open(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	name, pkg, err := resolvePackage(svc.Plugins, action, positional[0])
	if err != nil {
		return err
	}
	t, err := svc.Tenants.ByName(ctx, *tenantName)
	if err != nil {
		return err
	}
	ctx, err = adminContext(ctx, svc, t)
	if err != nil {
		return err
	}
	opt := Options{Purge: *purge}
	plan, err := svc.Plugins.Plan(ctx, t.ID, action, name, pkg, opt)
	if err != nil {
		return err
	}
	WritePlan(stdout, plan)
	if err := plan.Err(); err != nil {
		return err
	}
	if !*yes {
		fmt.Fprintln(stdout, "nothing applied: run again with --yes to apply this plan")
		return nil
	}
	if _, err := svc.Plugins.Apply(ctx, t.ID, action, name, pkg, opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied: %s of %s in tenant %s\n", action, name, t.Name)
	return nil
}

// resolvePackage reads DIR (a directory with a manifest.json), or takes
// NAME from the catalog (uninstall needs only the name).
func resolvePackage(svc *Service, action, arg string) (string, *Package, error) {
	if st, err := os.Stat(filepath.Join(arg, "manifest.json")); err == nil && !st.IsDir() {
		pkg, err := Load(os.DirFS(arg))
		if err != nil {
			return "", nil, err
		}
		return pkg.Manifest.Name, pkg, nil
	}
	if action == Uninstall {
		return filepath.Base(arg), nil, nil
	}
	pkg, err := svc.Catalog.Get(arg)
	if err != nil {
		return "", nil, errs.New(errs.NotFound, "plugin.not_found", "%s is neither a package directory nor a built-in package", arg)
	}
	return pkg.Manifest.Name, pkg, nil
}

// adminContext acts as the tenant's first active admin, so that the
// writes have an author and scripts may run as system.
func adminContext(ctx context.Context, svc CLIServices, t tenant.Tenant) (context.Context, error) {
	users, err := svc.Users.ListUsers(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Active && slices.Contains(u.Roles, identity.AdminRole) {
			return identity.WithPrincipal(ctx, identity.Principal{TenantID: t.ID, TenantName: t.Name, UserID: u.ID,
				Email: u.Email, Name: u.Name, Roles: u.Roles, CredentialKind: "cli"}), nil
		}
	}
	return nil, errs.New(errs.Conflict, "plugin.no_admin", "tenant %s has no active admin to install as", t.Name)
}

// WritePlan prints a plan for a person: one line per step, then the
// conflicts, problems, blockers and what is not applied.
func WritePlan(w io.Writer, p *Plan) {
	version := p.To
	if p.From != "" && p.To != "" {
		version = p.From + " -> " + p.To
	} else if p.From != "" {
		version = p.From
	}
	fmt.Fprintf(w, "plan: %s %s %s\n", p.Action, p.Package, version)
	perm := p.Permissions
	fmt.Fprintf(w, "  permissions: objects %s; studio %t; roles %t; scripts %q; workflows %t\n",
		strings.Join(perm.Objects, ", "), perm.Studio, perm.Roles, perm.Scripts, perm.Workflows)
	for _, st := range p.Steps {
		line := fmt.Sprintf("  %-6s %-8s %s", st.Op, st.Kind, st.Name)
		if st.Records > 0 {
			line += fmt.Sprintf(" (%d records)", st.Records)
		}
		if len(st.Changes) > 0 {
			line += fmt.Sprintf(" (%d changes)", len(st.Changes))
		}
		if st.Reason != "" {
			line += ": " + st.Reason
		}
		fmt.Fprintln(w, line)
		for _, ch := range st.Changes {
			fmt.Fprintf(w, "           %s %s: %s\n", ch.Op, ch.Field, ch.Message)
		}
		for _, d := range st.Deprecated {
			fmt.Fprintf(w, "           field %s: dropped by the package, kept as deleted\n", d)
		}
		for _, cf := range st.Conflicts {
			fmt.Fprintf(w, "           conflict %s: %s\n", cf.Path, cf.Message)
		}
		if st.Problem != nil {
			fmt.Fprintf(w, "           problem: %s\n", st.Problem.Message)
		}
	}
	for _, n := range p.NotApplied {
		fmt.Fprintf(w, "  not applied: %s\n", n)
	}
	for _, b := range p.Blockers {
		fmt.Fprintf(w, "  BLOCKED %s: %s\n", b.Step, b.Message)
	}
}
