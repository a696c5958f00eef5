package sales_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/plugins/sales"
	"github.com/opencrm/crm/runtime/jsvm"
)

// env is the real platform on a loopback port, as cmd/crm/app/testenv
// runs it, with the sales routes mounted before the server starts (until
// app.go mounts them itself), the sales package installed in tenant acme,
// and a manager and two reps reporting to them, each with an API key.
type env struct {
	App    *app.App
	URL    string
	Tenant struct{ ID, Name string }
	Tokens map[string]string
	svc    *sales.Service
	users  map[string]identity.User // admin, manager, ann, bob
	client *http.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{DataDir: t.TempDir(), BootstrapToken: "bootstrap",
		Identity: identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}},
		JS:       jsvm.Config{Limits: jsvm.Limits{WallTime: time.Second}}}
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := sales.New(a.Records, a.Store, sales.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mounted := false
	for _, r := range a.Server.App().GetRoutes() {
		mounted = mounted || strings.HasSuffix(r.Path, "/records/lead/:id/convert")
	}
	if !mounted {
		sales.Mount(a.Server.API(), svc)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	e := &env{App: a, URL: "http://" + ln.Addr().String(), Tokens: map[string]string{}, svc: svc,
		users: map[string]identity.User{}, client: &http.Client{Timeout: 30 * time.Second}}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
		a.Close()
	})
	var out struct {
		Tenant struct{ ID, Name string } `json:"tenant"`
		APIKey string                    `json:"apiKey"`
	}
	e.MustDo(t, "POST", "/api/v1/platform/tenants", "bootstrap",
		`{"name":"acme","admin":{"email":"admin@acme.test","password":"correct horse","name":"Ada Admin"}}`, 201, &out)
	e.Tenant, e.Tokens["admin"] = out.Tenant, out.APIKey
	if err := svc.Provision(ctx, e.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	e.MustDo(t, "POST", "/api/v1/plugins/sales/install", e.Tokens["admin"], "", 200, nil)
	all, err := a.Identity.ListUsers(ctx, e.Tenant.ID)
	if err != nil || len(all) != 1 {
		t.Fatalf("users %v, %v", all, err)
	}
	e.users["admin"] = all[0]
	e.addUser(t, "manager", "sales_manager", "")
	e.addUser(t, "ann", "sales_rep", e.users["manager"].ID)
	e.addUser(t, "bob", "sales_rep", e.users["manager"].ID)
	return e
}

// response is what Do got back.
type response struct {
	Status int
	Body   []byte
}

// Do sends one request with an optional bearer token and JSON body.
func (e *env) Do(t testing.TB, method, path, token, body string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Body: b}
}

// MustDo is Do that fails the test unless the status is want, and decodes
// the body into out when out is not nil.
func (e *env) MustDo(t testing.TB, method, path, token, body string, want int, out any) response {
	t.Helper()
	res := e.Do(t, method, path, token, body)
	if res.Status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.Status, want, res.Body)
	}
	if out != nil {
		if err := json.Unmarshal(res.Body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, res.Body, err)
		}
	}
	return res
}

func (e *env) addUser(t *testing.T, name, role, manager string) {
	t.Helper()
	body := fmt.Sprintf(`{"email":"%s@acme.test","password":"a long password","name":"%s","roles":["%s"]`, name, name, role)
	if manager != "" {
		body += fmt.Sprintf(`,"manager":"%s"`, manager)
	}
	var u identity.User
	e.MustDo(t, "POST", "/api/v1/users", e.Tokens["admin"], body+"}", 201, &u)
	var key struct{ Key string }
	e.MustDo(t, "POST", "/api/v1/apikeys", e.Tokens["admin"], fmt.Sprintf(`{"name":"%s","user":"%s"}`, name, u.ID), 201, &key)
	e.users[name], e.Tokens[name] = u, key.Key
}

// as is a context acting for one of the env's users.
func (e *env) as(name string) context.Context {
	u := e.users[name]
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: e.Tenant.ID, UserID: u.ID,
		Email: u.Email, Name: u.Name, Roles: u.Roles, CredentialKind: "apikey"})
}

// call sends a request as a named user and decodes a 2xx answer into a map.
func (e *env) call(t *testing.T, as, method, path, body string, want int) map[string]any {
	t.Helper()
	var out map[string]any
	res := e.MustDo(t, method, path, e.Tokens[as], body, want, nil)
	if len(res.Body) > 0 {
		if err := json.Unmarshal(res.Body, &out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, res.Body, err)
		}
	}
	return out
}

// newLead creates a lead as a named user and returns its id.
func (e *env) newLead(t *testing.T, as string, fields map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(fields)
	return e.call(t, as, "POST", "/api/v1/records/lead", string(b), 201)["id"].(string)
}

// count counts the records of object matching filter, as the admin.
func (e *env) count(t *testing.T, object, filter string) int {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"filter": filter})
	out := e.call(t, "admin", "POST", "/api/v1/records/"+object+"/aggregate", string(b), 200)
	rows, _ := out["rows"].([]any)
	if len(rows) == 0 {
		return 0
	}
	n, _ := rows[0].(map[string]any)["count"].(float64)
	return int(n)
}
