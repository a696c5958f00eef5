package rest_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/plugins"
	pluginrest "github.com/opencrm/crm/plugins/rest"
	"github.com/opencrm/crm/runtime/jsvm"
)

// env is the real platform on a loopback port with the package API
// mounted, and a tenant "acme" onboarded through the API.
type env struct {
	app     *app.App
	url     string
	tenant  string
	token   string
	plugins *plugins.Service
	roles   *access.Service
	client  *http.Client
}

// start runs the platform like cmd/crm/app/testenv does, mounting the
// package API before the server starts (until app.go mounts it itself).
func start(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{DataDir: t.TempDir(), BootstrapToken: "bootstrap",
		Identity: identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}},
		JS:       jsvm.Config{Limits: jsvm.Limits{WallTime: time.Second}}}
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	roles, err := access.New(a.Store, a.Identity, access.Config{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jobs.New(a.Store, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	wf := workflows.New(a.Store, js, a.Meta, a.Identity, workflows.Config{})
	wf.Bind(a.Records)
	svc, err := plugins.New(plugins.Deps{Store: a.Store, Meta: a.Meta, Records: a.Records, Scripts: a.Scripts,
		Roles: roles, Workflows: wf, Catalog: mustBuiltins(t)}, plugins.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mounted := false
	for _, r := range a.Server.App().GetRoutes() {
		mounted = mounted || strings.HasSuffix(r.Path, "/plugins/:name/plan")
	}
	if !mounted {
		pluginrest.Mount(a.Server.API(), pluginrest.Deps{Plugins: svc})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	e := &env{app: a, url: "http://" + ln.Addr().String(), plugins: svc, roles: roles, client: &http.Client{Timeout: 30 * time.Second}}
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
	e.must(t, "POST", "/api/v1/platform/tenants", "bootstrap",
		`{"name":"acme","admin":{"email":"admin@acme.test","password":"correct horse","name":"Ada Admin"}}`, 201, &out)
	e.tenant, e.token = out.Tenant.ID, out.APIKey
	for _, p := range []func(context.Context, string) error{js.Provision, wf.Provision, roles.Provision} {
		if err := p(ctx, e.tenant); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func mustBuiltins(t *testing.T) *plugins.Catalog {
	c, err := plugins.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type response struct {
	status int
	body   []byte
}

func (e *env) do(t *testing.T, method, path, token, body string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, r)
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
	return response{status: res.StatusCode, body: b}
}

// must sends a request as the given token and checks the status.
func (e *env) must(t *testing.T, method, path, token, body string, want int, out any) response {
	t.Helper()
	res := e.do(t, method, path, token, body)
	if res.status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.status, want, res.body)
	}
	if out != nil {
		if err := json.Unmarshal(res.body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, res.body, err)
		}
	}
	return res
}

// admin is must with the acme admin's key.
func (e *env) admin(t *testing.T, method, path, body string, want int, out any) response {
	t.Helper()
	return e.must(t, method, path, e.token, body, want, out)
}

// problem checks a problem+json answer's status and code.
func problem(t *testing.T, res response, status int, code string) {
	t.Helper()
	var p struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(res.body, &p); err != nil || p.Status != status || p.Code != code {
		t.Fatalf("want problem %d %s, got %d %s", status, code, res.status, res.body)
	}
}

// packageBody is a plan or action body with the package given inline.
func packageBody(t *testing.T, files map[string]string, extra string) string {
	b, err := json.Marshal(files)
	if err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		extra += ","
	}
	return "{" + extra + `"package":` + string(b) + "}"
}
