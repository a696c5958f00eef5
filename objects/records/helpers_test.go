package records_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store/sqlite"
)

const tenant = "acme"

// users accepts the test principal as the only active user; the record
// service asks it only when a record names an owner.
type users struct{}

func (users) GetUser(_ context.Context, _, id string) (identity.User, error) {
	if id != "u1" {
		return identity.User{}, errs.New(errs.NotFound, "user.not_found", "no such user")
	}
	return identity.User{ID: id, Active: true}, nil
}

// world is a record service over a real embedded store in a temporary
// directory, with one provisioned tenant and a signed-in principal.
type world struct {
	meta *metadata.Service
	svc  *records.Service
	ctx  context.Context
}

// fixedNow is the clock of newWorldAt worlds.
const fixedNow = "2025-06-01T08:30:00.000Z"

func newWorld(t testing.TB) *world { return newWorldAt(t, "") }

// newWorldAt makes a world whose clock stands still at now (RFC 3339), or
// runs when now is empty; opts configure its record service.
func newWorldAt(t testing.TB, now string, opts ...records.Option) *world {
	t.Helper()
	cfg := records.Config{CursorKey: []byte(strings.Repeat("k", 32))}
	if now != "" {
		at, err := time.Parse(time.RFC3339, now)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Now = func() time.Time { return at }
	}
	st, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	meta, err := metadata.New(st, metadata.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := records.New(st, meta, users{}, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := identity.WithPrincipal(context.Background(), identity.Principal{TenantID: tenant, UserID: "u1", Roles: []string{"admin"}})
	if err := meta.Provision(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if err := svc.Provision(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	return &world{meta: meta, svc: svc, ctx: ctx}
}

// define stores an object definition or fails the test.
func (w *world) define(t testing.TB, name, def string) {
	t.Helper()
	if _, _, err := w.meta.Put(w.ctx, tenant, name, []byte(def), metadata.PutOptions{By: "u1"}); err != nil {
		t.Fatalf("define %s: %v %+v", name, err, errs.As(err))
	}
}

// body decodes a JSON object the way the HTTP edge does (numbers as
// json.Number).
func body(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test body %s: %v", s, err)
	}
	return m
}

func (w *world) create(t testing.TB, object, b string) *records.Record {
	t.Helper()
	r, err := w.svc.Create(w.ctx, object, body(t, b))
	if err != nil {
		t.Fatalf("create %s %s: %v %+v", object, b, err, errs.As(err))
	}
	return r
}

func (w *world) get(t testing.TB, object, id string) *records.Record {
	t.Helper()
	r, err := w.svc.Get(w.ctx, object, id, records.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s: %v", object, id, err)
	}
	return r
}

// jsonOf renders a value as the API would.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
