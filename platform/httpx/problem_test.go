package httpx_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
)

func TestProblem_eachKindRendersItsStatusTypeAndMembers(t *testing.T) {
	cases := []struct {
		kind   errs.Kind
		status int
	}{
		{errs.Malformed, 400}, {errs.Unauthenticated, 401}, {errs.Forbidden, 403},
		{errs.NotFound, 404}, {errs.Conflict, 409}, {errs.Stale, 412}, {errs.TooLarge, 413},
		{errs.Invalid, 422}, {errs.RateLimited, 429}, {errs.Unavailable, 503}, {errs.Internal, 500},
	}
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/fail/:kind", func(c *fiber.Ctx) error {
			var k errs.Kind
			if _, err := fmt.Sscan(c.Params("kind"), (*int)(&k)); err != nil {
				return err
			}
			err := errs.New(k, "test.failed", "message of %s", k).WithField("amount", "minimum", "must be >= 0")
			err.Extra = map[string]any{"blocking": 3, "status": 999, "type": "overwritten?"}
			// Wrapped, as services do: the handler finds it in the chain.
			return fmt.Errorf("service: %w", err)
		})
	})
	for _, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			r := e.do(t, "GET", fmt.Sprintf("/api/v1/fail/%d", int(tc.kind)), nil)
			p := problem(t, r, tc.status, "test.failed")
			slug := tc.kind.String()
			if tc.kind == errs.Invalid {
				slug = "validation" // API.md's example
			}
			if want := "https://crm.example/problems/" + slug; p["type"] != want {
				t.Errorf("type = %v, want %s", p["type"], want)
			}
			if tc.kind == errs.Internal {
				if strings.Contains(string(r.body), "message of") || p["errors"] != nil || p["blocking"] != nil {
					t.Errorf("a 500 shows domain details: %s", r.body)
				}
				return
			}
			if want := "message of " + tc.kind.String(); p["detail"] != want {
				t.Errorf("detail = %v, want %q", p["detail"], want)
			}
			fe, _ := p["errors"].([]any)
			if len(fe) != 1 || fe[0].(map[string]any)["field"] != "amount" || fe[0].(map[string]any)["code"] != "minimum" {
				t.Errorf("errors = %v", p["errors"])
			}
			if p["blocking"] != float64(3) {
				t.Errorf("extra member missing: %s", r.body)
			}
			if p["status"] != float64(tc.status) || p["type"] == "overwritten?" {
				t.Errorf("extra overwrote a standard member: %s", r.body)
			}
			switch tc.kind {
			case errs.RateLimited:
				if r.header.Get("Retry-After") != "1" {
					t.Errorf("Retry-After = %q, want 1", r.header.Get("Retry-After"))
				}
			case errs.Unauthenticated:
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without WWW-Authenticate")
				}
			}
		})
	}
}

func TestProblem_retryAfterComesFromExtra(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/busy", func(c *fiber.Ctx) error {
			err := errs.New(errs.Unavailable, "test.busy", "busy")
			err.Extra = map[string]any{httpx.ExtraRetryAfter: 7}
			return err
		})
	})
	r := e.do(t, "GET", "/api/v1/busy", nil)
	p := problem(t, r, 503, "test.busy")
	if r.header.Get("Retry-After") != "7" || p["retryAfter"] != float64(7) {
		t.Fatalf("Retry-After header %q, member %v", r.header.Get("Retry-After"), p["retryAfter"])
	}
}

func TestProblem_unknownErrorIs500WithoutLeakingAndIsLogged(t *testing.T) {
	const secret = "dial tcp 10.1.2.3:27017: password=hunter2"
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/bug", func(c *fiber.Ctx) error { return errors.New(secret) })
		s.API().Get("/framework", func(c *fiber.Ctx) error { return fiber.NewError(502, secret) })
	})
	for _, path := range []string{"/api/v1/bug", "/api/v1/framework"} {
		t.Run(path, func(t *testing.T) {
			r := e.do(t, "GET", path, nil)
			p := problem(t, r, 500, "internal")
			if strings.Contains(string(r.body), "hunter2") || strings.Contains(string(r.body), "10.1.2.3") {
				t.Fatalf("500 leaks the error: %s", r.body)
			}
			if p["detail"] == "" {
				t.Fatal("500 without a generic detail")
			}
			id := r.header.Get(httpx.HeaderRequestID)
			logged := e.logs.find(t, map[string]any{"request_id": id, "level": "ERROR", "err": secret})
			if len(logged) != 1 {
				t.Fatalf("error not logged once with its request id: %v", e.logs.lines(t))
			}
		})
	}
}

func TestProblem_fiberOwnErrorsBecomeProblems(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/only-get", func(c *fiber.Ctx) error { return c.SendString("ok") })
	})
	for _, tc := range []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"unknown route is 404", "GET", "/api/v1/nowhere", 404, "route.not_found"},
		{"unknown method on a route is 405", "DELETE", "/api/v1/only-get", 405, "route.method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, nil)
			p := problem(t, r, tc.status, tc.code)
			if strings.Contains(string(r.body), "Cannot") {
				t.Fatalf("fiber's text shown: %s", r.body)
			}
			_ = p
		})
	}
}

func TestProblem_panicIs500AndServerKeepsServing(t *testing.T) {
	e := newEnv(t, httpx.Config{}, func(s *httpx.Server) {
		s.API().Get("/panic", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderETag, `"v1"`) // set before failing: must not survive
			panic("boom: internal state 42")
		})
	})
	for i := 0; i < 3; i++ {
		r := e.do(t, "GET", "/api/v1/panic", nil)
		problem(t, r, 500, "internal")
		if strings.Contains(string(r.body), "boom") || r.header.Get("ETag") != "" {
			t.Fatalf("panic leaked: %v %s", r.header, r.body)
		}
		if h := e.do(t, "GET", "/healthz", nil); h.status != http.StatusOK {
			t.Fatalf("server stopped serving after a panic: %d", h.status)
		}
		logged := e.logs.find(t, map[string]any{"msg": "panic", "request_id": r.header.Get(httpx.HeaderRequestID)})
		if len(logged) != 1 {
			t.Fatalf("panic not logged with its request id")
		}
		if st, _ := logged[0]["stack"].(string); !strings.Contains(st, "problem_test.go") {
			t.Fatalf("panic log has no stack pointing at the handler: %q", st)
		}
	}
}

func TestProblemOf_isTheDocumentOfTheErrorHandler(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		detail string
	}{
		{"a domain error keeps its text and fields", errs.New(errs.Invalid, "record.invalid", "1 field is invalid").WithField("amount", "minimum", "must be >= 0"),
			422, "record.invalid", "1 field is invalid"},
		{"an internal error shows the generic detail", errs.New(errs.Internal, "db.down", "password=secret"), 500, "db.down", ""},
		{"an unknown error is internal", fmt.Errorf("boom"), 500, "internal", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := httpx.ProblemOf(tc.err)
			if p.Status != tc.status || p.Code != tc.code || p.Type != httpx.ProblemBase+map[int]string{422: "validation", 500: "internal"}[tc.status] || p.Title == "" || p.RequestID != "" {
				t.Fatalf("problem %+v", p)
			}
			if tc.detail != "" && p.Detail != tc.detail || tc.status == 500 && strings.Contains(p.Detail, "secret") {
				t.Fatalf("detail %q", p.Detail)
			}
		})
	}
}
