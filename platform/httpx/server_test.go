package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/logx"
	"github.com/opencrm/crm/platform/metrics"
)

// logBuffer collects the server's JSON log lines; slog handlers write from
// many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log lines decoded.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	text := b.buf.String()
	b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// find returns the log lines whose members include every pair of want.
func (b *logBuffer) find(t *testing.T, want map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range b.lines(t) {
		ok := true
		for k, v := range want {
			if l[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// env is one real server on loopback.
type env struct {
	srv    *httpx.Server
	url    string
	addr   string
	logs   *logBuffer
	m      *metrics.Registry
	client *http.Client
	cancel context.CancelFunc
	served chan error // Serve's result
}

// newEnv builds a server, lets mount register routes, and serves it on
// 127.0.0.1:0 until the test ends.
func newEnv(t *testing.T, cfg httpx.Config, mount func(s *httpx.Server)) *env {
	t.Helper()
	return newEnvTB(t, cfg, mount)
}

// newEnvTB is newEnv for tests and benchmarks.
func newEnvTB(t testing.TB, cfg httpx.Config, mount func(s *httpx.Server)) *env {
	t.Helper()
	logs := &logBuffer{}
	m := metrics.New()
	srv := httpx.New(cfg, logx.New(logs, slog.LevelDebug), m)
	if mount != nil {
		mount(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{srv: srv, url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), logs: logs, m: m,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}, cancel: cancel,
		served: make(chan error, 1)}
	go func() { e.served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		e.client.CloseIdleConnections()
		select {
		case <-e.served:
		case <-time.After(20 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return e
}

// response is a read answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %q", r.body)
	}
	return m
}

// do sends one request; header pairs are name, value, name, value...
func (e *env) do(t *testing.T, method, path string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// problem checks that r is a problem+json document with the given status
// and code and returns it.
func problem(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != httpx.ContentTypeProblem {
		t.Fatalf("Content-Type = %q, want %q", ct, httpx.ContentTypeProblem)
	}
	p := r.json(t)
	if p["code"] != code {
		t.Fatalf("code = %v, want %q; body %s", p["code"], code, r.body)
	}
	if p["status"] != float64(status) {
		t.Fatalf("status member = %v, want %d", p["status"], status)
	}
	for _, k := range []string{"type", "title"} {
		if s, _ := p[k].(string); s == "" {
			t.Fatalf("problem lacks %q: %s", k, r.body)
		}
	}
	if p["requestId"] != r.header.Get(httpx.HeaderRequestID) || p["requestId"] == "" {
		t.Fatalf("requestId %v does not match header %q", p["requestId"], r.header.Get(httpx.HeaderRequestID))
	}
	return p
}
