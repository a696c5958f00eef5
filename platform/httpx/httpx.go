// Package httpx owns the HTTP edge of the platform: the fiber application and
// everything every request goes through before and after a handler: request
// ids, the per-request deadline and logger, panic recovery, the access log,
// HTTP metrics, the body limit, strict JSON decoding, rate limiting, the one
// error handler that renders RFC 9457 problem+json, the health, readiness and
// metrics endpoints, and graceful shutdown.
//
// It imports platform/errs, platform/logx and platform/metrics, and must not
// import the object model, the runtime or any store adapter: handlers are
// mounted by their own packages, readiness checks are plain functions.
// fiber is imported only here and in the packages that mount handlers.
//
// # Mounting handlers
//
// cmd/crm builds the server and the packages above mount their routes on the
// API group (everything under /api/v1) before Serve:
//
//	srv := httpx.New(httpx.Config{}, log, m)
//	srv.AddReadyCheck("store", st.Ping)
//
//	api := srv.API()                        // fiber.Router for /api/v1
//	api.Use(identity.Authenticate)          // middleware for the API only
//	api.Post("/records/:object", h.create)  // POST /api/v1/records/:object
//	recs := api.Group("/records/:object")   // sub-groups work as in fiber
//	recs.Get("/:id", h.get)
//
//	return srv.ListenAndServe(ctx, cfg.Addr) // returns nil after a clean drain
//
// App returns the *fiber.App for the rare route outside /api/v1. The server
// itself serves GET /healthz, GET /readyz and GET /metrics.
//
// # Writing handlers
//
// A handler turns HTTP into a service call and back, and returns errors
// instead of writing them:
//
//	func (h *handler) create(c *fiber.Ctx) error {
//		var body map[string]any
//		if err := httpx.DecodeJSON(c, &body); err != nil {
//			return err // a *errs.Error: 400 request.malformed_body, ...
//		}
//		rec, err := h.records.Create(c.UserContext(), c.Params("object"), body)
//		if err != nil {
//			return err // rendered once, as problem+json
//		}
//		return c.Status(fiber.StatusCreated).JSON(rec)
//	}
//
// c.UserContext() carries the request deadline (Config.RequestTimeout), the
// request id and the request logger: pass it to every call below, and log
// with logx.From(ctx). NB: strings and byte slices read from *fiber.Ctx
// (Params, Get, Query, Body) are only valid until the handler returns; copy
// them (strings.Clone) before keeping them or handing them to a goroutine.
// NB: do not use c.Body() or c.BodyParser on client input: fiber inflates
// gzip/deflate/br bodies there without any size limit. DecodeJSON reads the
// raw body and refuses encoded ones.
//
// # Errors
//
// Return an *errs.Error (or an error wrapping one) for anything a client can
// act on; its Kind decides the status (see the table at ProblemType). Any
// other error is a bug: the client gets a 500 with a generic detail and the
// request id, and the error goes to the log with that request id.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/opencrm/crm/platform/metrics"
)

// Defaults of Config's zero values.
const (
	DefaultBodyLimit       = 1 << 20 // 1 MiB
	DefaultRequestTimeout  = 30 * time.Second
	DefaultMaxJSONDepth    = 32
	DefaultShutdownTimeout = 15 * time.Second
	DefaultReadTimeout     = 30 * time.Second
	DefaultWriteTimeout    = 60 * time.Second
	DefaultIdleTimeout     = 60 * time.Second
	DefaultReadyTimeout    = 2 * time.Second
)

// Paths served by the server itself.
const (
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
	PathMetrics = "/metrics"
	// PathAPI is the prefix of the group returned by API.
	PathAPI = "/api/v1"
)

// Config tunes the server. Every zero value means the documented default;
// negative values are refused by Validate.
type Config struct {
	// BodyLimit is the largest request body in bytes (default 1 MiB). A
	// larger one is answered 413 request.too_large before it is read.
	BodyLimit int
	// RequestTimeout is the deadline of c.UserContext() for each request
	// (default 30 s). A handler that returns the deadline's error answers 503
	// request.timeout.
	RequestTimeout time.Duration
	// MaxJSONDepth is the deepest nesting of arrays and objects DecodeJSON
	// accepts (default 32).
	MaxJSONDepth int
	// ShutdownTimeout bounds the drain after Serve's context is cancelled
	// (default 15 s).
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading one request, headers and body (default
	// 30 s); WriteTimeout bounds writing one response (default 60 s);
	// IdleTimeout bounds a keep-alive connection's wait for its next request
	// (default 60 s).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// ReadyTimeout bounds the readiness checks run by GET /readyz (default
	// 2 s).
	ReadyTimeout time.Duration
}

// Validate reports a configuration New would refuse.
func (c Config) Validate() error {
	var bad []string
	if c.BodyLimit < 0 {
		bad = append(bad, "BodyLimit")
	}
	if c.MaxJSONDepth < 0 {
		bad = append(bad, "MaxJSONDepth")
	}
	for name, d := range map[string]time.Duration{
		"RequestTimeout": c.RequestTimeout, "ShutdownTimeout": c.ShutdownTimeout,
		"ReadTimeout": c.ReadTimeout, "WriteTimeout": c.WriteTimeout,
		"IdleTimeout": c.IdleTimeout, "ReadyTimeout": c.ReadyTimeout,
	} {
		if d < 0 {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("httpx: config: negative %v", bad)
	}
	return nil
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.MaxJSONDepth == 0 {
		c.MaxJSONDepth = DefaultMaxJSONDepth
	}
	def(&c.RequestTimeout, DefaultRequestTimeout)
	def(&c.ShutdownTimeout, DefaultShutdownTimeout)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.ReadyTimeout, DefaultReadyTimeout)
	return c
}

// Server is the platform's HTTP server: a fiber application with the edge
// middleware installed. It serves once: build a new one after Serve returns.
type Server struct {
	cfg Config
	log *slog.Logger
	m   *metrics.Registry
	app *fiber.App
	api fiber.Router

	// base is the parent of every request context; it is cancelled when the
	// drain runs out of time, so handlers that honour their context stop.
	base       context.Context
	cancelBase context.CancelFunc

	started  atomic.Bool
	serving  atomic.Bool
	draining atomic.Bool
	inFlight atomic.Int64

	mu     sync.Mutex
	checks []readyCheck
}

type readyCheck struct {
	name  string
	check func(ctx context.Context) error
}

// New builds a server. log receives the access log and error details (nil
// discards them); m receives the HTTP metrics and is served at /metrics (nil
// makes a private registry). New panics on a configuration Validate refuses,
// as that is a programming error: cmd/crm calls Validate first to report it.
func New(cfg Config, log *slog.Logger, m *metrics.Registry) *Server {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = metrics.New()
	}
	s := &Server{cfg: cfg, log: log, m: m}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	s.app = fiber.New(fiber.Config{
		AppName:               "crm",
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ReadBufferSize:        16 << 10, // headers up to 16 KiB (long bearer tokens)
		CaseSensitive:         true,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		JSONEncoder:           json.Marshal,
		JSONDecoder:           json.Unmarshal,
	})
	s.app.Use(s.edge)
	s.app.Get(PathHealth, s.health)
	s.app.Get(PathReady, s.ready)
	s.app.Get(PathMetrics, adaptor.HTTPHandler(m.Handler()))
	s.api = s.app.Group(PathAPI)
	return s
}

// App returns the fiber application, for routes outside /api/v1. Register
// routes before Serve.
func (s *Server) App() *fiber.App { return s.app }

// API returns the router for /api/v1: routes and middleware registered on it
// apply to the API only. Register them before Serve.
func (s *Server) API() fiber.Router { return s.api }

// Config returns the effective configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// AddReadyCheck adds a readiness check: GET /readyz answers 200 only while
// every check returns nil within Config.ReadyTimeout (and the server is not
// draining). name appears in the 503 answer and the log; the check's error
// only in the log. Example: srv.AddReadyCheck("store", st.Ping).
func (s *Server) AddReadyCheck(name string, check func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, readyCheck{name: name, check: check})
}

// health answers liveness: 200 as long as the process serves requests, even
// while draining.
func (s *Server) health(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// ready answers readiness: 200 when serving, not draining, and every check
// passes; otherwise a 503 problem.
func (s *Server) ready(c *fiber.Ctx) error {
	if s.draining.Load() || !s.serving.Load() {
		return errUnavailable("server.draining", "the server is shutting down")
	}
	s.mu.Lock()
	checks := append([]readyCheck(nil), s.checks...)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.ReadyTimeout)
	defer cancel()
	var failing []string
	for _, rc := range checks {
		if err := rc.check(ctx); err != nil {
			failing = append(failing, rc.name)
			s.log.WarnContext(ctx, "readiness check failed", "check", rc.name, "err", err)
		}
	}
	if len(failing) > 0 {
		e := errUnavailable("server.not_ready", "not ready: %d check(s) failing", len(failing))
		e.Extra = map[string]any{"failing": failing}
		return e
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// errServeTwice is returned by Serve on a server that has served already.
var errServeTwice = errors.New("httpx: Serve called twice")
