// Package logx owns the platform's structured logging setup: one slog logger
// built by New, and the request-scoped values (request id, request logger)
// that travel in a context.Context so that every log line written while
// serving a request carries "request_id".
//
// It imports only the standard library: every package may use it, and it
// must not import any other package of the project.
//
// # Usage
//
// cmd/crm builds one logger and hands it down:
//
//	log := logx.New(os.Stderr, slog.LevelInfo)
//
// The HTTP edge (platform/httpx) puts the request id and a request logger in
// each request's context. Code below it logs through the context, either way
// adds request_id exactly once:
//
//	logx.From(ctx).Info("lead converted", "lead", id)   // the request logger
//	log.InfoContext(ctx, "lead converted", "lead", id)  // any logger from New
//
// Outside a request (jobs, the scheduler) a caller attaches its own id:
//
//	ctx = logx.WithRequestID(ctx, jobRunID)
package logx

import (
	"context"
	"io"
	"log/slog"
	"os"
)

// KeyRequestID is the attribute name under which log lines carry the request
// id.
const KeyRequestID = "request_id"

// New returns a logger writing to w at the given minimum level. It writes JSON
// lines (one object per line, for log collectors) unless w is a terminal, where
// it writes slog's key=value text for people. Records logged with a context
// (InfoContext, ...) carry the context's request id as "request_id" unless the
// logger already has one (see From).
//
// NB: a terminal is detected as an *os.File that is a character device, so a
// file such as /dev/null also gets the text format; the choice only affects
// the layout, never what is logged.
func New(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if isTerminal(w) {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(&contextHandler{next: h})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}

// contextHandler adds the context's request id to each record, unless an
// earlier With already bound one (hasID), so a line never carries it twice.
//
// The id belongs at the top level of the line even for a logger made with
// WithGroup. Attributes added to a record land inside the open groups, so a
// grouped handler remembers the handler from before its first group (root)
// and the steps taken since (after), and replays them on top of the id.
type contextHandler struct {
	next  slog.Handler
	hasID bool
	root  slog.Handler                      // nil until the first WithGroup
	after []func(slog.Handler) slog.Handler // WithGroup/WithAttrs since root
}

func (h *contextHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.hasID || ctx == nil {
		return h.next.Handle(ctx, r)
	}
	id := RequestID(ctx)
	if id == "" {
		return h.next.Handle(ctx, r)
	}
	if h.root == nil {
		r = r.Clone()
		r.AddAttrs(slog.String(KeyRequestID, id))
		return h.next.Handle(ctx, r)
	}
	g := h.root.WithAttrs([]slog.Attr{slog.String(KeyRequestID, id)})
	for _, step := range h.after {
		g = step(g)
	}
	return g.Handle(ctx, r)
}

func (h *contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := h.derive(func(n slog.Handler) slog.Handler { return n.WithAttrs(attrs) })
	if h.root == nil {
		for _, a := range attrs {
			if a.Key == KeyRequestID {
				c.hasID = true
			}
		}
	}
	return c
}

func (h *contextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := h.derive(func(n slog.Handler) slog.Handler { return n.WithGroup(name) })
	if c.root == nil {
		c.root = h.next
		c.after = []func(slog.Handler) slog.Handler{func(n slog.Handler) slog.Handler { return n.WithGroup(name) }}
	}
	return c
}

// derive applies step to the handler, recording it when groups are open.
func (h *contextHandler) derive(step func(slog.Handler) slog.Handler) *contextHandler {
	c := &contextHandler{next: step(h.next), hasID: h.hasID, root: h.root}
	if h.root != nil {
		c.after = append(append([]func(slog.Handler) slog.Handler(nil), h.after...), step)
	}
	return c
}

type requestIDKey struct{}

type loggerKey struct{}

// WithRequestID returns a copy of ctx that carries the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithLogger returns a copy of ctx that carries l as the request logger.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// From returns the logger carried by ctx (the HTTP edge stores one bound to
// the request id). Without one it returns slog.Default(), so a call is never
// lost, only unformatted.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}
