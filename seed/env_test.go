package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/plugins"
	"github.com/opencrm/crm/runtime/jsvm"
	"github.com/opencrm/crm/seed"
)

// newApp builds the real platform on the embedded store in a temporary
// directory, with the record service reading the seed's clock, and returns
// the seed's dependencies on it.
func newApp(t testing.TB) (*app.App, seed.Deps) {
	t.Helper()
	clk := &seed.Clock{}
	a, err := app.New(context.Background(), app.Config{DataDir: t.TempDir(),
		// Cheap password hashes keep tests fast; the defaults are for production.
		Identity: identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}},
		JS:       jsvm.Config{Limits: jsvm.Limits{WallTime: time.Second}},
		Records:  records.Config{Now: clk.Now}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, depsOf(a, clk)
}

// depsOf is the wiring cmd/crm does.
func depsOf(a *app.App, clk *seed.Clock) seed.Deps {
	return seed.Deps{Store: a.Store, Tenants: a.Tenants, Identity: a.Identity, Meta: a.Meta, Records: a.Records,
		Provisioners: a.Provisioners, Clock: clk,
		InstallSales: func(ctx context.Context, tenantID string) error {
			_, err := a.Plugins.Apply(ctx, tenantID, plugins.Install, "sales", nil, plugins.Options{})
			return err
		}}
}
