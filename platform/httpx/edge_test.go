package httpx_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/logx"
)

func TestRequestID_saneOneIsEchoedOthersReplacedAndEveryLineCarriesIt(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/hello", func(c *fiber.Ctx) error {
			ctx := c.UserContext()
			logx.From(ctx).Info("inside handler")
			return c.JSON(fiber.Map{"id": logx.RequestID(ctx), "local": httpx.RequestID(c)})
		})
	})
	generated := regexp.MustCompile(`^[A-Z2-7]{26}$`)
	for _, tc := range []struct {
		name, incoming string
		echoed         bool
	}{
		{"sane id is echoed", "client-abc_123.4:5", true},
		{"missing id is generated", "", false},
		{"id with spaces is replaced", "a b", false},
		{"id with a quote is replaced", `abc"def`, false},
		{"id with non-ASCII is replaced", "caf\u00e9", false},
		{"overlong id is replaced", strings.Repeat("a", 129), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.incoming != "" {
				hdr = []string{httpx.HeaderRequestID, tc.incoming}
			}
			r := e.do(t, "GET", "/api/v1/hello", nil, hdr...)
			id := r.header.Get(httpx.HeaderRequestID)
			if tc.echoed && id != tc.incoming {
				t.Fatalf("id %q not echoed, got %q", tc.incoming, id)
			}
			if !tc.echoed && !generated.MatchString(id) {
				t.Fatalf("generated id %q is not 26 base32 characters", id)
			}
			body := r.json(t)
			if body["id"] != id || body["local"] != id {
				t.Fatalf("handler saw %v, header %q", body, id)
			}
			if n := len(e.logs.find(t, map[string]any{"msg": "inside handler", "request_id": id})); n != 1 {
				t.Fatalf("handler line with request_id: %d", n)
			}
			access := e.logs.find(t, map[string]any{"msg": "request", "request_id": id})
			if len(access) != 1 {
				t.Fatalf("access lines with request_id: %d", len(access))
			}
			a := access[0]
			if a["route"] != "/api/v1/hello" || a["status"] != float64(200) || a["method"] != "GET" {
				t.Fatalf("access line = %v", a)
			}
			if _, ok := a["duration_ms"].(float64); !ok {
				t.Fatalf("access line without duration: %v", a)
			}
		})
	}
}

func TestRequestDeadline_handlerSeesItAndItsExpiryIs503(t *testing.T) {
	e := newEnv(t, httpx.Config{RequestTimeout: 100 * time.Millisecond}, func(s *httpx.Server) {
		s.API().Get("/deadline", func(c *fiber.Ctx) error {
			dl, ok := c.UserContext().Deadline()
			if !ok {
				return c.SendString("none")
			}
			return c.SendString(time.Until(dl).Round(time.Second).String())
		})
		s.API().Get("/wait", func(c *fiber.Ctx) error {
			<-c.UserContext().Done()
			return c.UserContext().Err()
		})
	})
	if r := e.do(t, "GET", "/api/v1/deadline", nil); string(r.body) != "0s" {
		t.Fatalf("deadline left = %q, want about 100ms", r.body)
	}
	start := time.Now()
	problem(t, e.do(t, "GET", "/api/v1/wait", nil), 503, "request.timeout")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("deadline not applied: took %s", d)
	}
}

func TestBodyLimit_bodyOverTheLimitIs413Problem(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Post("/echo", func(c *fiber.Ctx) error {
			return c.SendString(http.StatusText(200))
		})
	})
	for _, tc := range []struct {
		name   string
		size   int
		status int
	}{
		{"2 MiB is refused", 2 << 20, 413},
		{"just under 1 MiB passes", 1<<20 - 1, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.status == 413 {
				r = e.headersOnly(t, "POST", "/api/v1/echo", tc.size)
			} else {
				r = e.do(t, "POST", "/api/v1/echo", bytes.NewReader(bytes.Repeat([]byte("a"), tc.size)),
					"Content-Type", "application/json")
			}
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			problem(t, r, 413, "request.too_large")
			id := r.header.Get(httpx.HeaderRequestID)
			if len(e.logs.find(t, map[string]any{"msg": "request", "request_id": id, "status": float64(413)})) != 1 {
				t.Fatalf("413 without access line: %v", e.logs.lines(t))
			}
		})
	}
}

func TestMetrics_countRequestsByRoutePatternNotPath(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/things/:id", func(c *fiber.Ctx) error { return c.SendString("thing") })
	})
	for _, p := range []string{"/api/v1/things/1", "/api/v1/things/2", "/api/v1/things/3", "/scan/a1", "/scan/b2"} {
		e.do(t, "GET", p, nil)
	}
	r := e.do(t, "GET", "/metrics", nil)
	if r.status != 200 {
		t.Fatalf("/metrics status %d", r.status)
	}
	text := string(r.body)
	for _, want := range []string{
		`crm_http_requests_total{method="GET",route="/api/v1/things/:id",status="200"} 3`,
		`crm_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`crm_http_request_duration_seconds_count{method="GET",route="/api/v1/things/:id",status="200"} 3`,
		`crm_http_requests_in_flight 1`, // the scrape itself
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, raw := range []string{"/api/v1/things/1", "/scan/a1"} {
		if strings.Contains(text, `"`+raw+`"`) {
			t.Errorf("/metrics has a raw path label %q", raw)
		}
	}
}

func TestHealth_healthzAndReadyzFollowTheirChecks(t *testing.T) {
	var failing atomic.Bool
	errPing := errors.New("ping: connection refused by 10.0.0.9")
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.AddReadyCheck("store", func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("check without deadline")
			}
			if failing.Load() {
				return errPing
			}
			return nil
		})
	})
	if r := e.do(t, "GET", "/healthz", nil); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := e.do(t, "GET", "/readyz", nil); r.status != 200 {
		t.Fatalf("readyz %d: %s", r.status, r.body)
	}
	failing.Store(true)
	r := e.do(t, "GET", "/readyz", nil)
	p := problem(t, r, 503, "server.not_ready")
	if f, _ := p["failing"].([]any); len(f) != 1 || f[0] != "store" {
		t.Fatalf("failing = %v", p["failing"])
	}
	if strings.Contains(string(r.body), errPing.Error()) {
		t.Fatalf("readiness error text leaked: %s", r.body)
	}
	if r := e.do(t, "GET", "/healthz", nil); r.status != 200 {
		t.Fatalf("healthz follows readiness: %d", r.status)
	}
}

// headersOnly sends a request's headers announcing a body of size bytes and
// reads the answer without sending the body: the server must refuse an
// oversized body from its length alone. (A client still writing the body
// could see the connection reset instead of the answer.)
func (e *env) headersOnly(t *testing.T, method, path string, size int) response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", method, path, size)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}
