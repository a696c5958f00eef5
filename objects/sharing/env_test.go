package sharing_test

import (
	"context"
	"testing"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/objects/sharing"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/sqlite"
	"github.com/opencrm/crm/platform/tenant"
)

// node is one API node's services over a shared store.
type node struct {
	meta  *metadata.Service
	acc   *access.Service
	guard *sharing.Guard
	recs  *records.Service
}

// world is a real embedded store with real services, as crm serve wires
// them, plus named users of each tenant.
type world struct {
	st    store.Store
	idn   *identity.Service
	node  *node
	users map[string]identity.User // "tenant/name" -> user
}

func newWorld(t testing.TB, tenants ...string) *world {
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
	idn, err := identity.New(st, reg, identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, idn: idn, users: map[string]identity.User{}}
	w.node = w.newNode(t)
	for _, tn := range tenants {
		for _, p := range []func(context.Context, string) error{idn.Provision, w.node.meta.Provision, w.node.recs.Provision, w.node.acc.Provision} {
			if err := p(ctx, tn); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w
}

// newNode builds another node's services over the same store: its own
// caches, its own enforcers.
func (w *world) newNode(t testing.TB) *node {
	t.Helper()
	meta, err := metadata.New(w.st, metadata.Config{})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := access.New(w.st, w.idn, access.Config{})
	if err != nil {
		t.Fatal(err)
	}
	guard, err := sharing.New(acc, w.idn, meta, sharing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	acc.SetRuleChecker(guard)
	recs, err := records.New(w.st, meta, w.idn, records.Config{CursorKey: []byte("0123456789abcdef0123456789abcdef")}, records.WithGuard(guard))
	if err != nil {
		t.Fatal(err)
	}
	return &node{meta: meta, acc: acc, guard: guard, recs: recs}
}

func (w *world) object(t testing.TB, tn, name, def string) {
	t.Helper()
	if _, _, err := w.node.meta.Put(context.Background(), tn, name, []byte(def), metadata.PutOptions{By: "test"}); err != nil {
		t.Fatalf("put object %s: %v", name, err)
	}
}

func (w *world) user(t testing.TB, tn, name, manager string, roles ...string) identity.User {
	t.Helper()
	in := identity.NewUser{Email: name + "@" + tn + ".test", Password: "password " + name, Name: name, Roles: roles}
	if manager != "" {
		in.Manager = w.users[tn+"/"+manager].ID
	}
	u, err := w.idn.CreateUser(context.Background(), tn, in)
	if err != nil {
		t.Fatal(err)
	}
	w.users[tn+"/"+name] = u
	return u
}

func (w *world) role(t testing.TB, tn, name, body string) {
	t.Helper()
	r, err := access.ParseRole(name, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.node.acc.PutRole(context.Background(), tn, r, "test"); err != nil {
		t.Fatalf("put role %s: %v", name, err)
	}
}

func (w *world) rule(t testing.TB, tn string, r access.SharingRule) {
	t.Helper()
	if _, _, err := w.node.acc.PutRule(context.Background(), tn, r, "test"); err != nil {
		t.Fatalf("put rule %s: %v", r.Name, err)
	}
}

// as returns a context whose caller is the named user of the tenant.
func (w *world) as(tn, name string) context.Context {
	u := w.users[tn+"/"+name]
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: tn, UserID: u.ID, Roles: u.Roles, Manager: u.Manager})
}
