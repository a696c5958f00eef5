package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/logx"
)

// ContentTypeProblem is the media type of every error answer (RFC 9457).
const ContentTypeProblem = "application/problem+json"

// ProblemBase prefixes the type URI of every problem: the type of an
// *errs.Error of kind k is ProblemBase + k.String(), e.g.
// "https://crm.example/problems/not_found", except that invalid input
// (422) is ProblemBase + "validation", as in API.md's error example.
const ProblemBase = "https://crm.example/problems/"

// ExtraRetryAfter is the errs.Error Extra member, in whole seconds (an int or
// a time.Duration), that the error handler also sends as the Retry-After
// header. A RateLimited error without it gets Retry-After: 1.
const ExtraRetryAfter = "retryAfter"

// genericDetail is the only detail a 500 ever shows.
const genericDetail = "An internal error occurred. It has been logged; quote the request id when reporting it."

// kindInfo is the status and title of each error kind.
var kindInfo = map[errs.Kind]struct {
	status int
	title  string
}{
	errs.Internal:        {fiber.StatusInternalServerError, "Internal server error"},
	errs.Malformed:       {fiber.StatusBadRequest, "Malformed request"},
	errs.Unauthenticated: {fiber.StatusUnauthorized, "Authentication required"},
	errs.Forbidden:       {fiber.StatusForbidden, "Forbidden"},
	errs.NotFound:        {fiber.StatusNotFound, "Not found"},
	errs.Conflict:        {fiber.StatusConflict, "Conflict"},
	errs.Stale:           {fiber.StatusPreconditionFailed, "Stale version"},
	errs.TooLarge:        {fiber.StatusRequestEntityTooLarge, "Request too large"},
	errs.Invalid:         {fiber.StatusUnprocessableEntity, "Invalid input"},
	errs.RateLimited:     {fiber.StatusTooManyRequests, "Too many requests"},
	errs.Unavailable:     {fiber.StatusServiceUnavailable, "Service unavailable"},
}

// StatusOf returns the HTTP status of an error kind: Malformed 400,
// Unauthenticated 401, Forbidden 403, NotFound 404, Conflict 409, Stale 412,
// TooLarge 413, Invalid 422, RateLimited 429, Unavailable 503, Internal (and
// any unknown kind) 500.
func StatusOf(k errs.Kind) int {
	if ki, ok := kindInfo[k]; ok {
		return ki.status
	}
	return fiber.StatusInternalServerError
}

// ProblemType returns the type URI of an error kind.
func ProblemType(k errs.Kind) string {
	if _, ok := kindInfo[k]; !ok {
		k = errs.Internal
	}
	if k == errs.Invalid {
		return ProblemBase + "validation"
	}
	return ProblemBase + k.String()
}

// Problem is the RFC 9457 document the error handler writes. Extension
// members: code (the stable errs code), errors (field details), requestId,
// and the members of errs.Error.Extra.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Code      string            `json:"code"`
	Errors    []errs.FieldError `json:"errors,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
}

// ProblemOf returns the document the error handler would write for err,
// without a request id: for answers that carry several outcomes in one
// body (the results of a bulk or composite request), so that each failed
// part has the same shape as a failed request. Its Extra members are not
// included. A 500's detail is the generic one: log err yourself.
func ProblemOf(err error) Problem {
	return classify(err).p
}

// reserved names the members Extra may not overwrite.
var reserved = map[string]bool{"type": true, "title": true, "status": true, "detail": true,
	"code": true, "errors": true, "requestId": true, "instance": true}

// outcome is what the error handler decided: the document, the extras, and
// what to log.
type outcome struct {
	p          Problem
	extra      map[string]any
	retryAfter int // seconds; 0 for no header
	logLevel   slog.Level
	logMsg     string
	stack      []byte // of a panic
}

// panicError carries a recovered panic to the error handler.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// classify turns any error into the answer. Only domain errors below 500
// show their own text; everything else shows genericDetail.
func classify(err error) outcome {
	var pe *panicError
	if errors.As(err, &pe) {
		o := internal("internal")
		o.logMsg, o.stack = "panic", pe.stack
		return o
	}
	if e := errs.As(err); e != nil {
		return fromDomain(e)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fromFiber(fe)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fromDomain(errs.New(errs.Unavailable, "request.timeout", "the request took too long"))
	case errors.Is(err, context.Canceled):
		return fromDomain(errs.New(errs.Unavailable, "request.canceled", "the request was canceled"))
	}
	return internal("internal")
}

func internal(code string) outcome {
	return outcome{
		p: Problem{Type: ProblemType(errs.Internal), Title: kindInfo[errs.Internal].title,
			Status: fiber.StatusInternalServerError, Detail: genericDetail, Code: code},
		logLevel: slog.LevelError, logMsg: "internal error",
	}
}

func fromDomain(e *errs.Error) outcome {
	ki, known := kindInfo[e.Kind]
	if !known || e.Kind == errs.Internal {
		code := e.Code
		if code == "" {
			code = "internal"
		}
		return internal(code)
	}
	o := outcome{
		p: Problem{Type: ProblemType(e.Kind), Title: ki.title, Status: ki.status,
			Detail: e.Message, Code: e.Code, Errors: e.Fields},
		logLevel: slog.LevelDebug, logMsg: "request refused",
	}
	if e.Kind == errs.Unavailable {
		o.logLevel, o.logMsg = slog.LevelWarn, "unavailable"
	}
	if len(e.Extra) > 0 {
		o.extra = make(map[string]any, len(e.Extra))
		for k, v := range e.Extra {
			if !reserved[k] {
				o.extra[k] = v
			}
		}
	}
	o.retryAfter = retrySeconds(e.Extra[ExtraRetryAfter])
	if e.Kind == errs.RateLimited && o.retryAfter == 0 {
		o.retryAfter = 1
	}
	return o
}

// retrySeconds reads a Retry-After value in whole seconds, rounding up.
func retrySeconds(v any) int {
	switch x := v.(type) {
	case int:
		return max(x, 0)
	case int64:
		return int(max(x, 0))
	case float64:
		return int(math.Ceil(max(x, 0)))
	case time.Duration:
		return int(math.Ceil(max(x, 0).Seconds()))
	}
	return 0
}

// fromFiber maps the errors fiber and fasthttp produce themselves (routing,
// body limit, unreadable requests). Their text is never shown: it may quote
// the raw request.
func fromFiber(fe *fiber.Error) outcome {
	type m struct {
		kind   string // the type URI's last segment
		title  string
		code   string
		detail string
	}
	var x m
	switch fe.Code {
	case fiber.StatusBadRequest:
		x = m{"malformed", "Malformed request", "request.malformed", "the request could not be parsed"}
	case fiber.StatusNotFound:
		x = m{"not_found", "Not found", "route.not_found", "no such route"}
	case fiber.StatusMethodNotAllowed:
		x = m{"method_not_allowed", "Method not allowed", "route.method_not_allowed", "the route does not accept this method"}
	case fiber.StatusRequestTimeout:
		x = m{"request_timeout", "Request timeout", "request.read_timeout", "the request was not received in time"}
	case fiber.StatusRequestEntityTooLarge:
		x = m{"too_large", "Request too large", "request.too_large", "the request body is larger than the limit"}
	case fiber.StatusRequestHeaderFieldsTooLarge:
		x = m{"headers_too_large", "Request headers too large", "request.headers_too_large", "the request headers are larger than the limit"}
	case fiber.StatusUnsupportedMediaType:
		x = m{"unsupported_media_type", "Unsupported media type", "request.unsupported_media_type", "unsupported content type"}
	case fiber.StatusTooManyRequests:
		x = m{"rate_limited", "Too many requests", "request.rate_limited", "too many requests"}
	case fiber.StatusServiceUnavailable:
		x = m{"unavailable", "Service unavailable", "server.unavailable", "the service is unavailable"}
	default:
		if fe.Code >= 500 || fe.Code < 400 {
			o := internal("internal")
			o.logMsg = "unexpected framework error"
			return o
		}
		x = m{"http_" + strconv.Itoa(fe.Code), "Request refused", "request.refused", "the request was refused"}
	}
	o := outcome{
		p:        Problem{Type: ProblemBase + x.kind, Title: x.title, Status: fe.Code, Detail: x.detail, Code: x.code},
		logLevel: slog.LevelDebug, logMsg: "request refused",
	}
	if fe.Code == fiber.StatusTooManyRequests {
		o.retryAfter = 1
	}
	return o
}

// encode renders the document with its extension members after the
// standard ones. An Extra that does not marshal is dropped and logged.
func (o *outcome) encode(ctx context.Context, log *slog.Logger) []byte {
	body, err := json.Marshal(o.p)
	if err != nil { // cannot happen for Problem's field types
		return []byte(`{"type":"` + ProblemType(errs.Internal) + `","title":"Internal server error","status":500,"code":"internal"}`)
	}
	if len(o.extra) == 0 {
		return body
	}
	ext, err := json.Marshal(o.extra)
	if err != nil {
		log.ErrorContext(ctx, "problem extra members do not marshal", "code", o.p.Code, "err", err)
		return body
	}
	// Splice {"a":1} into {...}: drop the closing brace, add a comma and
	// the members.
	out := make([]byte, 0, len(body)+len(ext))
	out = append(out, body[:len(body)-1]...)
	out = append(out, ',')
	out = append(out, ext[1:]...)
	return out
}

// errUnavailable builds an Unavailable domain error.
func errUnavailable(code, format string, args ...any) *errs.Error {
	return errs.New(errs.Unavailable, code, format, args...)
}

// writeProblem renders err into the response of c and logs it. It returns
// the status written.
func (s *Server) writeProblem(c *fiber.Ctx, err error, requestID string) int {
	o := classify(err)
	o.p.RequestID = requestID
	ctx := c.UserContext()
	log := s.log
	if requestID != "" {
		log = log.With(logx.KeyRequestID, requestID)
	}
	if log.Enabled(ctx, o.logLevel) {
		attrs := []any{"status", o.p.Status, "code", o.p.Code, "err", err.Error()}
		if o.stack != nil {
			attrs = append(attrs, "stack", string(o.stack))
		}
		log.Log(ctx, o.logLevel, o.logMsg, attrs...)
	}
	resp := c.Response()
	// A handler may have set these before failing; they describe a
	// success that did not happen.
	for _, h := range []string{fiber.HeaderETag, fiber.HeaderLocation, fiber.HeaderLastModified, fiber.HeaderContentEncoding} {
		resp.Header.Del(h)
	}
	if o.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(o.retryAfter))
	}
	if o.p.Status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="crm"`)
	}
	body := o.encode(ctx, log)
	c.Status(o.p.Status)
	c.Set(fiber.HeaderContentType, ContentTypeProblem)
	_ = c.Send(body) // Send only stores the body; it cannot fail
	return o.p.Status
}

// errorHandler is fiber's ErrorHandler. Errors of routed requests are
// rendered by the edge middleware, so this runs only for requests fasthttp
// refused before routing (a body over the limit, unparsable headers): it
// gives them a request id, a problem, an access line and a metric.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	if st := stateOf(c); st != nil {
		s.writeProblem(c, err, st.id)
		return nil
	}
	id := incomingRequestID(c)
	c.Set(HeaderRequestID, id)
	status := s.writeProblem(c, err, id)
	s.m.ObserveHTTP(methodLabel(c.Method()), routeUnmatched, status, 0)
	s.log.Info("request", logx.KeyRequestID, id, "method", methodLabel(c.Method()), "route", routeUnmatched,
		"path", strings.Clone(c.Path()), "status", status, "duration_ms", 0.0)
	return nil
}
