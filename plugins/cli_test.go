package plugins_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/plugins"
)

// cliEnv is the platform built in-process (no server) with tenant acme,
// and the crm plugin command wired to it.
func cliEnv(t *testing.T) (plugins.CLI, *app.App, string) {
	t.Helper()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Identity: identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	out, err := a.Identity.Onboard(ctx, "acme", identity.NewUser{Email: "admin@acme.test", Password: "correct horse", Name: "Ada"}, a.Provisioners...)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := plugins.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := plugins.New(plugins.Deps{Store: a.Store, Meta: a.Meta, Records: a.Records, Scripts: a.Scripts, Catalog: cat}, plugins.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cli := plugins.CLI{Open: func(context.Context) (plugins.CLIServices, func() error, error) {
		return plugins.CLIServices{Plugins: svc, Tenants: a.Tenants, Users: a.Identity}, func() error { return nil }, nil
	}}
	return cli, a, out.Tenant.ID
}

func writePackage(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCLI(t *testing.T) {
	cli, a, tenantID := cliEnv(t)
	dir := writePackage(t, map[string]string{
		"manifest.json":             `{"name":"ticketing","version":"1.0.0","permissions":{"objects":["ticket"],"studio":true}}`,
		"README.md":                 "documentation is skipped",
		"objects/ticket.json":       `{"title":"Ticket","type":"object","properties":{"subject":{"type":"string","x-crm-type":"text"}}}`,
		"listviews/ticket/all.json": `{"name":"all","object":"ticket","columns":["subject"]}`,
	})
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := cli.Run(context.Background(), args, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	exists := func() bool {
		_, err := a.Meta.Object(context.Background(), tenantID, "ticket")
		return err == nil
	}

	t.Run("without --yes the plan is printed and nothing applied", func(t *testing.T) {
		out, err := run("install", dir, "--tenant", "acme")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"plan: install ticketing 1.0.0", "create object   ticket", "create listview ticket/all", "nothing applied"} {
			if !strings.Contains(out, s) {
				t.Errorf("output lacks %q:\n%s", s, out)
			}
		}
		if exists() {
			t.Error("the object was created without --yes")
		}
	})
	t.Run("--yes applies, flags before or after DIR", func(t *testing.T) {
		out, err := run("install", "--tenant", "acme", dir, "--yes")
		if err != nil {
			t.Fatal(err, out)
		}
		if !strings.Contains(out, "applied: install of ticketing in tenant acme") || !exists() {
			t.Errorf("not applied:\n%s", out)
		}
	})
	t.Run("a blocked plan is printed and the error returned", func(t *testing.T) {
		if _, err := a.Records.Create(identity.WithPrincipal(context.Background(), admin(t, a, tenantID)), "ticket", map[string]any{"subject": "x"}); err != nil {
			t.Fatal(err)
		}
		out, err := run("uninstall", "ticketing", "--tenant", "acme", "--yes")
		if errs.CodeOf(err) != "plugin.has_records" || !strings.Contains(out, "BLOCKED objects/ticket") {
			t.Fatalf("err %v, output:\n%s", err, out)
		}
		if out, err := run("uninstall", dir, "--tenant", "acme", "--yes", "--purge"); err != nil || exists() {
			t.Fatalf("purge: %v\n%s", err, out)
		}
	})
	t.Run("the built-in sales package installs by name", func(t *testing.T) {
		out, err := run("install", "sales", "--tenant", "acme", "--yes")
		if err != nil {
			t.Fatal(err, out)
		}
		for _, s := range []string{"create object   lead", "not applied: roles", "not applied: workflows"} {
			if !strings.Contains(out, s) {
				t.Errorf("output lacks %q:\n%s", s, out)
			}
		}
	})
	t.Run("bad usage is an error", func(t *testing.T) {
		for _, args := range [][]string{{}, {"remove", dir}, {"install", dir}, {"install", "--tenant", "acme"}} {
			if _, err := run(args...); err == nil {
				t.Errorf("%v ran", args)
			}
		}
	})
}

func admin(t *testing.T, a *app.App, tenantID string) identity.Principal {
	users, err := a.Identity.ListUsers(context.Background(), tenantID)
	if err != nil || len(users) == 0 {
		t.Fatal(err)
	}
	return identity.Principal{TenantID: tenantID, UserID: users[0].ID, Roles: users[0].Roles}
}
