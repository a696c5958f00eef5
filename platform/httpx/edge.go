package httpx

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/logx"
)

// HeaderRequestID is the header that carries the request id both ways.
const HeaderRequestID = "X-Request-Id"

// routeUnmatched is the route label of requests no route matched, so that
// scanning random paths cannot grow the metrics.
const routeUnmatched = "unmatched"

// maxRequestIDLen bounds an accepted incoming request id.
const maxRequestIDLen = 128

// requestState is what the edge keeps in the request's locals for the
// package's own helpers (DecodeJSON, the error handler).
type requestState struct {
	id  string
	srv *Server
}

type stateKey struct{}

func stateOf(c *fiber.Ctx) *requestState {
	st, _ := c.Locals(stateKey{}).(*requestState)
	return st
}

// RequestID returns the id of the request being served ("" outside the
// edge). It is a copy: safe to keep after the handler returns.
func RequestID(c *fiber.Ctx) string {
	if st := stateOf(c); st != nil {
		return st.id
	}
	return ""
}

// edge is the first middleware of every routed request: it sets the request
// id, the deadline and the logger, recovers panics, renders errors, and
// records the access line and the metrics once the answer is known.
func (s *Server) edge(c *fiber.Ctx) error {
	start := time.Now()
	id := incomingRequestID(c)
	c.Set(HeaderRequestID, id)
	c.Locals(stateKey{}, &requestState{id: id, srv: s})

	log := s.log.With(logx.KeyRequestID, id)
	ctx, cancel := context.WithTimeout(s.base, s.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(logx.WithLogger(logx.WithRequestID(ctx, id), log))

	s.inFlight.Add(1)
	s.m.InFlight(1)
	defer func() {
		s.m.InFlight(-1)
		s.inFlight.Add(-1)
	}()

	err := callNext(c)
	if err != nil {
		s.writeProblem(c, err, id)
	}

	method := methodLabel(c.Method())
	route := routeLabel(c, err)
	status := c.Response().StatusCode()
	d := time.Since(start)
	s.m.ObserveHTTP(method, route, status, d)

	level := slog.LevelInfo
	if route == PathHealth || route == PathReady || route == PathMetrics {
		level = slog.LevelDebug // probes and scrapes would drown the log
	}
	if log.Enabled(ctx, level) {
		log.Log(ctx, level, "request", "method", method, "route", route,
			"path", strings.Clone(c.Path()), "status", status,
			"duration_ms", float64(d.Microseconds())/1000, "bytes", len(c.Response().Body()))
	}
	return nil
}

// callNext runs the rest of the chain, turning a panic into an error that
// carries the stack.
func callNext(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return c.Next()
}

// incomingRequestID returns the client's X-Request-Id when it is sane (1 to
// 128 characters of letters, digits and . _ : -), copied out of fiber's
// buffers, or a new random id.
func incomingRequestID(c *fiber.Ctx) string {
	if v := c.Get(HeaderRequestID); saneRequestID(v) {
		return strings.Clone(v)
	}
	return rand.Text()
}

func saneRequestID(v string) bool {
	if v == "" || len(v) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9',
			ch == '.', ch == '_', ch == ':', ch == '-':
		default:
			return false
		}
	}
	return true
}

// methodLabel maps the method to a constant string: fiber's method string
// points into a reused buffer, and label values are kept by the registry.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	}
	return "OTHER"
}

// routeLabel returns the pattern of the route that answered. Fiber reports
// a request no route matched with its own 404 ("Cannot GET /x") or 405
// error; those, and anything without a registered pattern, are "unmatched".
func routeLabel(c *fiber.Ctx, err error) string {
	var fe *fiber.Error
	if errors.As(err, &fe) && (fe.Code == fiber.StatusMethodNotAllowed ||
		fe.Code == fiber.StatusNotFound && strings.HasPrefix(fe.Message, "Cannot ")) {
		return routeUnmatched
	}
	r := c.Route()
	if r == nil || len(r.Handlers) == 0 {
		return routeUnmatched
	}
	return r.Path
}
