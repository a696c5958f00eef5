// Package testenv runs the real platform for tests: the embedded store in a
// temporary directory, the real server on a loopback port, a tenant "acme"
// onboarded through the API, and declarative HTTP scenarios in the style of
// STYLE.md.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/runtime/jsvm"
)

// BootstrapToken is the operator token of every test server.
const BootstrapToken = "test-bootstrap-token"

// Env is one running platform.
type Env struct {
	App    *app.App
	URL    string // http://127.0.0.1:port
	Tenant struct{ ID, Name string }
	// Tokens maps a name used in Scenario.As to a bearer token; "admin" is
	// the acme admin's API key.
	Tokens map[string]string
	client *http.Client
}

// New starts a platform for the test and stops it when the test ends;
// options change its configuration before it starts.
func New(t testing.TB, options ...func(*app.Config)) *Env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{DataDir: t.TempDir(), BootstrapToken: BootstrapToken,
		// Cheap password hashes keep tests fast; the defaults are for production.
		Identity: identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}},
		// A wall-time limit with room for a loaded test machine, so that
		// tests of the other limits are not cut short by this one.
		JS: jsvm.Config{Limits: jsvm.Limits{WallTime: time.Second}}}
	for _, o := range options {
		o(&cfg)
	}
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	e := &Env{App: a, URL: "http://" + ln.Addr().String(), Tokens: map[string]string{},
		client: &http.Client{Timeout: 30 * time.Second}}
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
	e.MustDo(t, "POST", "/api/v1/platform/tenants", BootstrapToken,
		`{"name":"acme","admin":{"email":"admin@acme.test","password":"correct horse","name":"Ada Admin"}}`, 201, &out)
	e.Tenant = out.Tenant
	e.Tokens["admin"] = out.APIKey
	return e
}

// Response is what Do got back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request with an optional bearer token and JSON body.
func (e *Env) Do(t testing.TB, method, path, token, body string, header ...string) Response {
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
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
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
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// MustDo is Do that fails the test unless the status is want, and decodes
// the body into out when out is not nil.
func (e *Env) MustDo(t testing.TB, method, path, token, body string, want int, out any) Response {
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

// Scenario is one declarative HTTP exchange.
type Scenario struct {
	Name   string
	As     string // a key of Env.Tokens, or "" for no credential
	Token  string // a literal bearer token, when As is empty
	Method string
	URL    string
	Body   string
	Header []string // name, value pairs
	Status int
	// Contains are fragments the body must contain; Absent ones it must not.
	Contains []string
	Absent   []string
	// Problem: the answer must be application/problem+json with this code.
	Problem string
}

// Run performs the scenario and checks its expectations.
func (e *Env) Run(t *testing.T, s Scenario) Response {
	t.Helper()
	token := s.Token
	if s.As != "" {
		var ok bool
		if token, ok = e.Tokens[s.As]; !ok {
			t.Fatalf("no token named %q", s.As)
		}
	}
	res := e.Do(t, s.Method, s.URL, token, s.Body, s.Header...)
	if res.Status != s.Status {
		t.Fatalf("status %d, want %d; body %s", res.Status, s.Status, res.Body)
	}
	for _, c := range s.Contains {
		if !bytes.Contains(res.Body, []byte(c)) {
			t.Errorf("body lacks %s: %s", c, res.Body)
		}
	}
	for _, c := range s.Absent {
		if bytes.Contains(res.Body, []byte(c)) {
			t.Errorf("body has %s: %s", c, res.Body)
		}
	}
	if s.Problem != "" {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("content type %q, want application/problem+json", ct)
		}
		var p struct {
			Code   string `json:"code"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal(res.Body, &p); err != nil || p.Code != s.Problem || p.Status != s.Status {
			t.Errorf("problem %+v (err %v), want code %s status %d; body %s", p, err, s.Problem, s.Status, res.Body)
		}
	}
	return res
}
