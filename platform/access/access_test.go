package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/sqlite"
	"github.com/opencrm/crm/platform/tenant"
)

type env struct {
	st  store.Store
	idn *identity.Service
	acc *access.Service
}

func newEnv(t testing.TB, tenants ...string) *env {
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
	acc, err := access.New(st, idn, access.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants {
		if err := idn.Provision(ctx, tn); err != nil {
			t.Fatal(err)
		}
		if err := acc.Provision(ctx, tn); err != nil {
			t.Fatal(err)
		}
	}
	return &env{st: st, idn: idn, acc: acc}
}

func (e *env) put(t testing.TB, tenant, name, body string) access.Role {
	t.Helper()
	r, err := access.ParseRole(name, []byte(body))
	if err != nil {
		t.Fatalf("parse role %s: %v", name, err)
	}
	out, _, err := e.acc.PutRole(context.Background(), tenant, r, "tester")
	if err != nil {
		t.Fatalf("put role %s: %v", name, err)
	}
	return out
}

func who(tenant string, roles ...string) identity.Principal {
	return identity.Principal{TenantID: tenant, UserID: "u1", Roles: roles}
}

func TestParseRole_refusesBadInputWithFieldErrors(t *testing.T) {
	for _, c := range []struct {
		name, role, body, field, code string
	}{
		{"bad role name", "Sales", `{}`, "name", "pattern"},
		{"unknown member", "sales", `{"studo":true}`, "studo", "unknown"},
		{"unknown permission key", "sales", `{"permissions":{"lead":{"raed":true}}}`, "permissions.lead.raed", "unknown_permission"},
		{"permission not a boolean", "sales", `{"permissions":{"lead":{"read":"yes"}}}`, "permissions.lead.read", "type"},
		{"bad field access", "sales", `{"permissions":{"lead":{"fields":{"phone":"hidden"}}}}`, "permissions.lead.fields.phone", "enum"},
		{"bad object name", "sales", `{"permissions":{"Lead!":{"read":true}}}`, "permissions.Lead!", "unknown_object"},
		{"own parent", "sales", `{"parent":"sales"}`, "parent", "cycle"},
		{"not an object", "sales", `[1]`, "", "type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := access.ParseRole(c.role, []byte(c.body))
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || e.Code != "role.invalid" {
				t.Fatalf("got %v, want role.invalid", err)
			}
			for _, f := range e.Fields {
				if f.Field == c.field && f.Code == c.code {
					return
				}
			}
			t.Fatalf("fields %+v lack %s/%s", e.Fields, c.field, c.code)
		})
	}
	t.Run("a valid role keeps every permission", func(t *testing.T) {
		r, err := access.ParseRole("sales", []byte(`{"parent":"base","studio":true,"permissions":{"lead":{"read":true,"create":true,"fields":{"phone":"none","score":"read"}}}}`))
		if err != nil {
			t.Fatal(err)
		}
		p := r.Permissions["lead"]
		if r.Parent != "base" || !r.Studio || !p.Read || !p.Create || p.Update || p.Fields["phone"] != "none" || p.Fields["score"] != "read" {
			t.Fatalf("parsed %+v", r)
		}
	})
}

func TestPutRole_checksParentsAndTheBuiltInAdmin(t *testing.T) {
	e := newEnv(t, "acme")
	ctx := context.Background()
	e.put(t, "acme", "a", `{}`)
	e.put(t, "acme", "b", `{"parent":"a"}`)
	for _, c := range []struct {
		name string
		role access.Role
		kind errs.Kind
		code string
	}{
		{"unknown parent", access.Role{Name: "c", Parent: "nope"}, errs.Invalid, "role.invalid"},
		{"cycle through the parent chain", access.Role{Name: "a", Parent: "b"}, errs.Invalid, "role.invalid"},
		{"admin cannot be changed", access.Role{Name: "admin"}, errs.Conflict, "role.built_in"},
		{"admin cannot be a parent", access.Role{Name: "c", Parent: "admin"}, errs.Invalid, "role.invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.acc.PutRole(ctx, "acme", c.role, "tester")
			if errs.KindOf(err) != c.kind || errs.CodeOf(err) != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
			}
		})
	}
	t.Run("chains deeper than 8 are refused", func(t *testing.T) {
		prev := "b"
		var err error
		for i := 0; i < 10 && err == nil; i++ {
			name := string(rune('c' + i))
			_, _, err = e.acc.PutRole(ctx, "acme", access.Role{Name: name, Parent: prev}, "tester")
			prev = name
		}
		if errs.CodeOf(err) != "role.invalid" || errs.As(err).Fields[0].Code != "too_deep" {
			t.Fatalf("got %v, want too_deep", err)
		}
	})
	t.Run("admin is listed first and described", func(t *testing.T) {
		roles, err := e.acc.Roles(ctx, "acme")
		if err != nil || roles[0].Name != "admin" || roles[1].Name != "a" || roles[2].Name != "b" {
			t.Fatalf("roles %+v, %v", roles, err)
		}
	})
}

func TestObject_decidesFromRolesParentsAndFieldAccess(t *testing.T) {
	e := newEnv(t, "acme")
	e.put(t, "acme", "sales", `{"permissions":{"lead":{"read":true,"create":true,"update":true,"fields":{"phone":"none","score":"read","notes":"read"}}}}`)
	e.put(t, "acme", "manager", `{"parent":"sales","permissions":{"lead":{"delete":true,"fields":{"phone":"read","notes":"none"}}}}`)
	e.put(t, "acme", "auditor", `{"permissions":{"lead":{"viewAll":true}},"studio":true}`)
	e.put(t, "acme", "boss", `{"permissions":{"lead":{"modifyAll":true}}}`)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		p      identity.Principal
		allow  []string
		deny   []string
		fields map[string]string
	}{
		{"a role's own actions", who("acme", "sales"), []string{"read", "create", "update"}, []string{"delete", "viewAll", "modifyAll"},
			map[string]string{"phone": "none", "score": "read", "notes": "read"}},
		{"a child inherits its parent's actions and overlays its field access", who("acme", "manager"),
			[]string{"read", "create", "update", "delete"}, []string{"viewAll"}, map[string]string{"phone": "read", "score": "read", "notes": "none"}},
		{"several roles: each field takes the most permissive", who("acme", "sales", "manager"),
			[]string{"read", "delete"}, nil, map[string]string{"phone": "read", "score": "read", "notes": "read"}},
		{"a role granting the object without restrictions opens every field", who("acme", "sales", "boss"),
			[]string{"read", "delete"}, nil, nil},
		{"viewAll implies read", who("acme", "auditor"), []string{"read", "viewAll"}, []string{"create", "update", "delete", "modifyAll"}, nil},
		{"modifyAll implies update, delete and viewAll", who("acme", "boss"), []string{"read", "update", "delete", "viewAll", "modifyAll"}, []string{"create"}, nil},
		{"the union of several roles", who("acme", "sales", "auditor"), []string{"read", "create", "update", "viewAll"}, []string{"delete"}, nil},
		{"an unknown role grants nothing", who("acme", "ghost"), nil, []string{"read", "create"}, nil},
		{"no roles grant nothing", who("acme"), nil, []string{"read"}, nil},
		{"admin may do everything", who("acme", "admin"), []string{"read", "create", "update", "delete", "viewAll", "modifyAll"}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, act := range c.allow {
				if ok, err := e.acc.Allowed(ctx, c.p, "lead", act); err != nil || !ok {
					t.Errorf("%s denied (%v)", act, err)
				}
			}
			for _, act := range c.deny {
				if ok, err := e.acc.Allowed(ctx, c.p, "lead", act); err != nil || ok {
					t.Errorf("%s allowed (%v)", act, err)
				}
			}
			g, err := e.acc.Object(ctx, c.p, "lead")
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Fields) != len(c.fields) {
				t.Fatalf("fields %v, want %v", g.Fields, c.fields)
			}
			for f, a := range c.fields {
				if g.Fields[f] != a {
					t.Errorf("field %s: %s, want %s", f, g.Fields[f], a)
				}
			}
		})
	}
	t.Run("studio rights come from studio roles only", func(t *testing.T) {
		for _, c := range []struct {
			p    identity.Principal
			want bool
		}{{who("acme", "auditor"), true}, {who("acme", "sales"), false}, {who("acme", "admin"), true}} {
			if ok, err := e.acc.Studio(ctx, c.p, access.StudioRoles); err != nil || ok != c.want {
				t.Errorf("%v: studio %v (%v), want %v", c.p.Roles, ok, err, c.want)
			}
		}
	})
}

func TestRevoke_takesEffectAtOnceHereAndWithinASecondElsewhere(t *testing.T) {
	e := newEnv(t, "acme")
	ctx := context.Background()
	other, err := access.New(e.st, e.idn, access.Config{}) // a second node over the same store
	if err != nil {
		t.Fatal(err)
	}
	e.put(t, "acme", "sales", `{"permissions":{"lead":{"read":true,"update":true}}}`)
	p := who("acme", "sales")
	for _, s := range []*access.Service{e.acc, other} {
		if ok, _ := s.Allowed(ctx, p, "lead", "update"); !ok {
			t.Fatal("update should be allowed before the revoke")
		}
	}
	e.put(t, "acme", "sales", `{"permissions":{"lead":{"read":true}}}`)
	if ok, _ := e.acc.Allowed(ctx, p, "lead", "update"); ok {
		t.Fatal("this node still allows update right after the revoke")
	}
	start := time.Now()
	for {
		ok, err := other.Allowed(ctx, p, "lead", "update")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Logf("the other node saw the revoke after %v", time.Since(start))
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("the other node still allows update a second after the revoke")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ok, _ := other.Allowed(ctx, p, "lead", "read"); !ok {
		t.Fatal("read was not revoked")
	}
}

func TestPolicies_areIsolatedByTenant(t *testing.T) {
	e := newEnv(t, "acme", "beta")
	ctx := context.Background()
	e.put(t, "acme", "sales", `{"permissions":{"lead":{"read":true,"update":true}}}`)
	e.put(t, "beta", "sales", `{"permissions":{"task":{"read":true}}}`)
	for _, c := range []struct {
		p           identity.Principal
		object, act string
		want        bool
	}{
		{who("acme", "sales"), "lead", "update", true},
		{who("beta", "sales"), "lead", "read", false},
		{who("beta", "sales"), "task", "read", true},
		{who("acme", "sales"), "task", "read", false},
	} {
		if ok, err := e.acc.Allowed(ctx, c.p, c.object, c.act); err != nil || ok != c.want {
			t.Errorf("%s %s %s: %v (%v), want %v", c.p.TenantID, c.object, c.act, ok, err, c.want)
		}
	}
	if _, err := e.acc.Role(ctx, "beta", "sales"); err != nil {
		t.Fatal(err)
	}
	if err := e.acc.DeleteRole(ctx, "beta", "sales"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.acc.Allowed(ctx, who("acme", "sales"), "lead", "read"); !ok {
		t.Fatal("deleting beta's role changed acme's")
	}
}

func TestDeleteRole_refusedWhileInUse(t *testing.T) {
	e := newEnv(t, "acme")
	ctx := context.Background()
	e.put(t, "acme", "sales", `{"permissions":{"lead":{"read":true}}}`)
	e.put(t, "acme", "north", `{"parent":"sales"}`)
	e.put(t, "acme", "east", `{}`)
	e.put(t, "acme", "lonely", `{}`)
	if _, err := e.idn.CreateUser(ctx, "acme", identity.NewUser{Email: "rep@acme.test", Password: "rep password", Roles: []string{"east"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.acc.PutRule(ctx, "acme", access.SharingRule{Name: "r1", Object: "lead", Filter: "region = 'north'", Role: "north", Access: "read"}, "tester"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, role, code string }{
		{"a parent of another role", "sales", "role.in_use"},
		{"shared with by a rule", "north", "role.in_use"},
		{"held by a user", "east", "role.in_use"},
		{"the built-in admin", "admin", "role.built_in"},
		{"unknown", "nope", "role.not_found"},
		{"unused", "lonely", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := e.acc.DeleteRole(ctx, "acme", c.role)
			if errs.CodeOf(err) != c.code && !(c.code == "" && err == nil) {
				t.Fatalf("got %v, want %q", err, c.code)
			}
		})
	}
}

func TestPutRule_checksItsShape(t *testing.T) {
	e := newEnv(t, "acme")
	ctx := context.Background()
	e.put(t, "acme", "north", `{}`)
	good := access.SharingRule{Name: "north-leads", Object: "lead", Filter: "region = 'north'", Role: "north", Access: "read"}
	for _, c := range []struct {
		name  string
		edit  func(r *access.SharingRule)
		field string
	}{
		{"bad name", func(r *access.SharingRule) { r.Name = "North Leads" }, "name"},
		{"bad object", func(r *access.SharingRule) { r.Object = "Lead" }, "object"},
		{"no filter", func(r *access.SharingRule) { r.Filter = " " }, "filter"},
		{"bad access", func(r *access.SharingRule) { r.Access = "write" }, "access"},
		{"unknown role", func(r *access.SharingRule) { r.Role = "south" }, "role"},
		{"admin role", func(r *access.SharingRule) { r.Role = "admin" }, "role"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := good
			c.edit(&r)
			_, _, err := e.acc.PutRule(ctx, "acme", r, "tester")
			if e := errs.As(err); e == nil || e.Code != "sharing_rule.invalid" || e.Fields[0].Field != c.field {
				t.Fatalf("got %v, want sharing_rule.invalid on %s", err, c.field)
			}
		})
	}
	if _, created, err := e.acc.PutRule(ctx, "acme", good, "tester"); err != nil || !created {
		t.Fatalf("created %v, %v", created, err)
	}
	g, err := e.acc.Object(ctx, who("acme", "north"), "lead")
	if err != nil || len(g.Rules) != 1 || g.Rules[0].Filter != "region = 'north'" {
		t.Fatalf("grant rules %+v, %v", g, err)
	}
	if err := e.acc.DeleteRule(ctx, "acme", good.Name); err != nil {
		t.Fatal(err)
	}
	if g, _ := e.acc.Object(ctx, who("acme", "north"), "lead"); len(g.Rules) != 0 {
		t.Fatal("a deleted rule still shares")
	}
}
