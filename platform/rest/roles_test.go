package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/metrics"
	"github.com/opencrm/crm/platform/rest"
	"github.com/opencrm/crm/platform/store/sqlite"
	"github.com/opencrm/crm/platform/tenant"
)

// server runs the platform endpoints and the roles endpoints on a real
// store and a loopback port; tokens maps names to bearer tokens.
type server struct {
	url    string
	tokens map[string]string
}

func startServer(t *testing.T) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
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
	srv := httpx.New(httpx.Config{}, slog.New(slog.DiscardHandler), metrics.New())
	rest.Mount(srv.API(), rest.Deps{Identity: idn, BootstrapToken: "boot", Provisioners: []identity.Provisioner{acc.Provision}})
	rest.MountRoles(srv.API(), rest.RolesDeps{Access: acc})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		st.Close()
	})
	s := &server{url: "http://" + ln.Addr().String(), tokens: map[string]string{}}
	var out struct{ APIKey string }
	s.must(t, "POST", "/api/v1/platform/tenants", "boot", `{"name":"acme","admin":{"email":"a@acme.test","password":"admin password"}}`, 201, &out)
	s.tokens["admin"] = out.APIKey
	return s
}

func (s *server) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (s *server) must(t *testing.T, method, path, token, body string, want int, out any) {
	t.Helper()
	status, b := s.do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			t.Fatal(err)
		}
	}
}

// userWithKey creates a user with roles and returns an API key of theirs.
func (s *server) userWithKey(t *testing.T, name string, roles ...string) {
	t.Helper()
	rj, _ := json.Marshal(roles)
	var u struct{ ID string }
	s.must(t, "POST", "/api/v1/users", s.tokens["admin"], `{"email":"`+name+`@acme.test","password":"password `+name+`","roles":`+string(rj)+`}`, 201, &u)
	var k struct{ Key string }
	s.must(t, "POST", "/api/v1/apikeys", s.tokens["admin"], `{"name":"`+name+`","user":"`+u.ID+`"}`, 201, &k)
	s.tokens[name] = k.Key
}

func TestRolesAPI(t *testing.T) {
	s := startServer(t)
	s.must(t, "PUT", "/api/v1/roles/designer", s.tokens["admin"], `{"studio":true}`, 200, nil)
	s.must(t, "PUT", "/api/v1/roles/sales", s.tokens["admin"], `{"permissions":{"lead":{"read":true}}}`, 200, nil)
	s.userWithKey(t, "designer", "designer")
	s.userWithKey(t, "rep", "sales")
	for _, c := range []struct {
		name, as, method, path, body string
		status                       int
		contains                     []string
	}{
		{"a role is created with its permissions", "admin", "PUT", "/api/v1/roles/north",
			`{"parent":"sales","permissions":{"lead":{"read":true,"create":true,"update":true,"delete":false,"viewAll":false,"fields":{"phone":"none","score":"read"}}},"studio":false}`,
			200, []string{`"name":"north"`, `"parent":"sales"`, `"phone":"none"`, `"score":"read"`, `"version":1`}},
		{"a role is replaced", "admin", "PUT", "/api/v1/roles/north", `{"parent":"sales","permissions":{"lead":{"read":true}}}`,
			200, []string{`"version":2`}},
		{"an unknown permission key is 422 naming it", "admin", "PUT", "/api/v1/roles/x", `{"permissions":{"lead":{"raed":true}}}`,
			422, []string{`"code":"role.invalid"`, `"field":"permissions.lead.raed"`}},
		{"a bad field access value is 422", "admin", "PUT", "/api/v1/roles/x", `{"permissions":{"lead":{"fields":{"phone":"hidden"}}}}`,
			422, []string{`"field":"permissions.lead.fields.phone"`, `"code":"enum"`}},
		{"a bad role name is 422", "admin", "PUT", "/api/v1/roles/Bad%20Name", `{}`, 422, []string{`"field":"name"`}},
		{"an unknown parent is 422", "admin", "PUT", "/api/v1/roles/x", `{"parent":"ghost"}`, 422, []string{`"field":"parent"`, `"code":"not_found"`}},
		{"a cycle is 422", "admin", "PUT", "/api/v1/roles/sales", `{"parent":"north"}`, 422, []string{`"code":"cycle"`}},
		{"admin cannot be changed", "admin", "PUT", "/api/v1/roles/admin", `{}`, 409, []string{`"code":"role.built_in"`}},
		{"admin cannot be deleted", "admin", "DELETE", "/api/v1/roles/admin", "", 409, []string{`"code":"role.built_in"`}},
		{"malformed JSON is 400", "admin", "PUT", "/api/v1/roles/x", `{"permissions":`, 400, nil},
		{"roles are listed, admin first", "admin", "GET", "/api/v1/roles", "", 200, []string{`{"items":[{"name":"admin"`, `"name":"north"`, `"name":"sales"`}},
		{"one role is read", "admin", "GET", "/api/v1/roles/north", "", 200, []string{`"parent":"sales"`}},
		{"an unknown role is 404", "admin", "GET", "/api/v1/roles/ghost", "", 404, []string{`"code":"role.not_found"`}},
		{"a role in use by a user cannot be deleted", "admin", "DELETE", "/api/v1/roles/designer", "", 409, []string{`"code":"role.in_use"`}},
		{"a parent role cannot be deleted", "admin", "DELETE", "/api/v1/roles/sales", "", 409, []string{`"code":"role.in_use"`}},
		{"a role with studio rights may manage roles", "designer", "PUT", "/api/v1/roles/temp", `{}`, 200, nil},
		{"an unused role is deleted", "designer", "DELETE", "/api/v1/roles/temp", "", 204, nil},
		{"a role without studio rights may not list roles", "rep", "GET", "/api/v1/roles", "", 403, []string{`"code":"access.studio_forbidden"`}},
		{"a role without studio rights may not change roles", "rep", "PUT", "/api/v1/roles/sales", `{"studio":true}`, 403, nil},
		{"no credential is 401", "", "GET", "/api/v1/roles", "", 401, nil},
		{"a sharing rule is stored", "admin", "PUT", "/api/v1/sharing-rules/north-leads",
			`{"object":"lead","filter":"region = 'north'","role":"north","access":"read"}`, 200, []string{`"name":"north-leads"`, `"filter":"region = 'north'"`}},
		{"a rule's access must be read or readwrite", "admin", "PUT", "/api/v1/sharing-rules/r2",
			`{"object":"lead","filter":"region = 'north'","role":"north","access":"write"}`, 422, []string{`"field":"access"`}},
		{"a rule's role must exist", "admin", "PUT", "/api/v1/sharing-rules/r2",
			`{"object":"lead","filter":"region = 'north'","role":"ghost","access":"read"}`, 422, []string{`"field":"role"`}},
		{"an unknown rule member is 422", "admin", "PUT", "/api/v1/sharing-rules/r2",
			`{"object":"lead","filter":"region = 'north'","role":"north","access":"read","roles":"x"}`, 422, []string{`"field":"roles"`}},
		{"rules are listed", "designer", "GET", "/api/v1/sharing-rules", "", 200, []string{`"name":"north-leads"`}},
		{"a role shared with by a rule cannot be deleted", "admin", "DELETE", "/api/v1/roles/north", "", 409, []string{`"code":"role.in_use"`}},
		{"rules need studio rights", "rep", "GET", "/api/v1/sharing-rules", "", 403, nil},
		{"a rule is deleted", "admin", "DELETE", "/api/v1/sharing-rules/north-leads", "", 204, nil},
		{"a deleted rule is gone", "admin", "GET", "/api/v1/sharing-rules/north-leads", "", 404, []string{`"code":"sharing_rule.not_found"`}},
		{"then the role can go", "admin", "DELETE", "/api/v1/roles/north", "", 204, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := s.do(t, c.method, c.path, s.tokens[c.as], c.body)
			if status != c.status {
				t.Fatalf("%d, want %d: %s", status, c.status, body)
			}
			for _, frag := range c.contains {
				if !strings.Contains(body, frag) {
					t.Errorf("body lacks %s: %s", frag, body)
				}
			}
		})
	}
}
