package identity_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store/sqlite"
	"github.com/opencrm/crm/platform/tenant"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	svc     *identity.Service
	tenants *tenant.Registry
	clock   *clock
	st      *sqlite.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	reg, err := tenant.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	// Cheap hashes keep the tests fast; production uses the defaults.
	svc, err := identity.New(st, reg, identity.Config{Now: c.Now, Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, tenants: reg, clock: c, st: st}
}

func (e *env) onboard(t *testing.T, name string) identity.Onboarded {
	t.Helper()
	out, err := e.svc.Onboard(context.Background(), name, identity.NewUser{Email: "Admin@" + name + ".test", Password: "correct horse"})
	if err != nil {
		t.Fatalf("onboard %s: %v", name, err)
	}
	return out
}

func TestOnboard_createsActiveTenantWithAdminAndWorkingKey(t *testing.T) {
	e := newEnv(t)
	out := e.onboard(t, "acme")
	if out.Tenant.Name != "acme" || out.Tenant.Status != tenant.StatusActive {
		t.Fatalf("tenant = %+v", out.Tenant)
	}
	if out.Admin.Email != "admin@acme.test" || !strings.HasPrefix(out.APIKey, "ck_"+out.Tenant.ID+"_") {
		t.Fatalf("admin = %+v, key = %q", out.Admin, out.APIKey)
	}
	p, err := e.svc.Authenticate(context.Background(), out.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsAdmin() || p.TenantID != out.Tenant.ID || p.UserID != out.Admin.ID || p.CredentialKind != "apikey" {
		t.Fatalf("principal = %+v", p)
	}
}

func TestOnboard_refusesTakenAndInvalidNames(t *testing.T) {
	e := newEnv(t)
	e.onboard(t, "acme")
	for _, c := range []struct {
		name string
		kind errs.Kind
		code string
	}{
		{"acme", errs.Conflict, "tenant.exists"},
		{"Acme", errs.Invalid, "tenant.invalid_name"},
		{"a", errs.Invalid, "tenant.invalid_name"},
		{"9lives", errs.Invalid, "tenant.invalid_name"},
		{"acme_corp", errs.Invalid, "tenant.invalid_name"},
		{strings.Repeat("a", 41), errs.Invalid, "tenant.invalid_name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.Onboard(context.Background(), c.name, identity.NewUser{Email: "a@b.test", Password: "12345678"})
			if errs.KindOf(err) != c.kind || errs.CodeOf(err) != c.code {
				t.Fatalf("err = %v, want %s %s", err, c.kind, c.code)
			}
		})
	}
}

func TestOnboard_leavesNothingBehindWhenAStepFails(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	boom := errors.New("provisioner failed")
	_, err := e.svc.Onboard(ctx, "acme", identity.NewUser{Email: "a@acme.test", Password: "12345678"},
		func(context.Context, string) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := e.tenants.ByName(ctx, "acme"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("tenant still registered after a failed onboarding: %v", err)
	}
	// An invalid admin is also refused before anything stays.
	_, err = e.svc.Onboard(ctx, "acme", identity.NewUser{Email: "not-an-email", Password: "short"})
	if errs.KindOf(err) != errs.Invalid || len(errs.As(err).Fields) != 2 {
		t.Fatalf("err = %v, want 2 field errors", err)
	}
	e.onboard(t, "acme") // the name is free again
}

func TestLogin_opensSessionThatLogoutEnds(t *testing.T) {
	e := newEnv(t)
	e.onboard(t, "acme")
	ctx := context.Background()
	s, err := e.svc.Login(ctx, "acme", "ADMIN@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(ctx, s.Token)
	if err != nil || p.CredentialKind != "session" || p.Email != "admin@acme.test" {
		t.Fatalf("principal %+v, err %v", p, err)
	}
	if err := e.svc.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(ctx, s.Token); errs.KindOf(err) != errs.Unauthenticated {
		t.Fatalf("token works after logout: %v", err)
	}
}

func TestLogin_givesOneAnswerForEveryWrongInput(t *testing.T) {
	e := newEnv(t)
	e.onboard(t, "acme")
	for _, c := range []struct{ name, tenant, email, password string }{
		{"wrong password", "acme", "admin@acme.test", "wrong horse"},
		{"unknown email", "acme", "nobody@acme.test", "correct horse"},
		{"unknown tenant", "nope", "admin@acme.test", "correct horse"},
		{"invalid tenant name", "NOPE!", "admin@acme.test", "correct horse"},
		{"empty password", "acme", "admin@acme.test", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.Login(context.Background(), c.tenant, c.email, c.password)
			if errs.CodeOf(err) != "auth.invalid_login" || errs.KindOf(err) != errs.Unauthenticated {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestLogin_backsOffAfterRepeatedFailuresForKnownAndUnknownUsers(t *testing.T) {
	e := newEnv(t)
	e.onboard(t, "acme")
	ctx := context.Background()
	for _, email := range []string{"admin@acme.test", "ghost@acme.test"} {
		t.Run(email, func(t *testing.T) {
			for i := 0; i < 5; i++ {
				if _, err := e.svc.Login(ctx, "acme", email, "wrong"); errs.CodeOf(err) != "auth.invalid_login" {
					t.Fatalf("attempt %d: %v", i+1, err)
				}
			}
			_, err := e.svc.Login(ctx, "acme", email, "correct horse")
			if errs.KindOf(err) != errs.RateLimited || errs.As(err).Extra["retryAfter"] != 1 {
				t.Fatalf("6th attempt: %v (want locked for 1 s)", err)
			}
			e.clock.Add(1100 * time.Millisecond)
			_, err = e.svc.Login(ctx, "acme", email, "wrong")
			if errs.CodeOf(err) != "auth.invalid_login" {
				t.Fatalf("after the wait: %v", err)
			}
			_, err = e.svc.Login(ctx, "acme", email, "correct horse")
			if errs.KindOf(err) != errs.RateLimited || errs.As(err).Extra["retryAfter"] != 2 {
				t.Fatalf("backoff did not double: %v", err)
			}
		})
	}
}

func TestAuthenticate_refusesForgedExpiredRevokedAndForeignCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.onboard(t, "acme")
	b := e.onboard(t, "globex")
	sess, err := e.svc.Login(ctx, "acme", "admin@acme.test", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(a.APIKey, "_", 4)
	bParts := strings.SplitN(b.APIKey, "_", 4)
	cases := map[string]string{
		"empty":                     "",
		"garbage":                   "hello",
		"flipped secret":            a.APIKey[:len(a.APIKey)-1] + "x",
		"another tenant's key id":   "ck_" + parts[1] + "_" + bParts[2] + "_" + bParts[3],
		"key sent as session":       "cs_" + parts[1] + "_" + parts[2] + "_" + parts[3],
		"unknown tenant":            "ck_aaaaaaaaaaaaaaaaaaaa_" + parts[2] + "_" + parts[3],
		"injection in tenant":       "ck_../../etc_" + parts[2] + "_" + parts[3],
		"injection in credential":   "ck_" + parts[1] + "_x' OR '1'='1_" + parts[3],
		"session of another tenant": strings.Replace(sess.Token, a.Tenant.ID, b.Tenant.ID, 1),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := e.svc.Authenticate(ctx, token); errs.CodeOf(err) != "auth.invalid_credential" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("expired session", func(t *testing.T) {
		e.clock.Add(13 * time.Hour)
		if _, err := e.svc.Authenticate(ctx, sess.Token); errs.CodeOf(err) != "auth.invalid_credential" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("revoked key", func(t *testing.T) {
		keys, err := e.svc.ListAPIKeys(ctx, a.Tenant.ID)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys %v, err %v", keys, err)
		}
		if err := e.svc.RevokeAPIKey(ctx, a.Tenant.ID, keys[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, a.APIKey); errs.CodeOf(err) != "auth.invalid_credential" {
			t.Fatalf("revoked key still works: %v", err)
		}
	})
}

func TestAPIKeys_areShownOnceAndListedWithoutSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.onboard(t, "acme")
	k, full, err := e.svc.CreateAPIKey(ctx, a.Tenant.ID, "erp sync", a.Admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(full, k.Prefix) {
		t.Fatalf("prefix %q does not start the key", k.Prefix)
	}
	keys, err := e.svc.ListAPIKeys(ctx, a.Tenant.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %v, err %v", keys, err)
	}
	secret := strings.SplitN(full, "_", 4)[3]
	for _, key := range keys {
		if strings.Contains(key.Prefix+key.Name+key.ID, secret) {
			t.Fatal("a listed key shows its secret")
		}
	}
	if _, _, err := e.svc.CreateAPIKey(ctx, a.Tenant.ID, "", a.Admin.ID); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("nameless key: %v", err)
	}
	if _, _, err := e.svc.CreateAPIKey(ctx, a.Tenant.ID, "x", "nobody"); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("key for unknown user: %v", err)
	}
}

func TestGetUser_seesThisNodesChangesAtOnceAndAnotherNodesWithinTheTTL(t *testing.T) {
	e := newEnv(t)
	out := e.onboard(t, "acme")
	ctx := context.Background()
	tid := out.Tenant.ID
	if u, err := e.svc.GetUser(ctx, tid, out.Admin.ID); err != nil || !u.Active {
		t.Fatalf("user %+v, %v", u, err)
	}
	name := "Renamed Admin"
	if _, err := e.svc.UpdateUser(ctx, tid, out.Admin.ID, identity.UserPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.svc.GetUser(ctx, tid, out.Admin.ID); u.Name != name {
		t.Fatalf("a change made here is not seen at once: %q", u.Name)
	}
	// Another node (a second service over the same store) changes the user:
	// this node sees it once its answer is older than the TTL.
	other, err := identity.New(e.st, e.tenants, identity.Config{Now: e.clock.Now, Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.DeactivateUser(ctx, tid, out.Admin.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Second)
	if u, _ := e.svc.GetUser(ctx, tid, out.Admin.ID); u.Active {
		t.Fatal("another node's deactivation is not seen after the TTL")
	}
}
