package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/idempotency"
)

// MaxComposite is the most sub-requests one composite request may carry.
const MaxComposite = 25

type compositeBody struct {
	AllOrNone bool         `json:"allOrNone"`
	Requests  []subRequest `json:"requests"`
}

type subRequest struct {
	Ref    string         `json:"ref"`
	Method string         `json:"method"`
	URL    string         `json:"url"`
	Body   map[string]any `json:"body"`
}

type subResult struct {
	Ref    string `json:"ref"`
	Status int    `json:"status"`
	// Body is the answer the request would have had on its own: a record,
	// a page, or a problem document.
	Body any `json:"body,omitempty"`
}

var refRe = regexp.MustCompile(`@\{([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_.]*)\}`)

// composite runs up to MaxComposite record requests in order; later ones may
// refer to fields of earlier answers as @{ref.field}. With allOrNone they
// run in one store transaction: the first failure rolls every earlier one
// back, the failure keeps its status and the requests after it answer 424.
// A store without transactions answers allOrNone with 409.
func (h *handlers) composite(c *fiber.Ctx) error {
	var in compositeBody
	if err := httpx.DecodeStrictJSON(c, &in); err != nil {
		return err
	}
	if len(in.Requests) == 0 || len(in.Requests) > MaxComposite {
		return errs.New(errs.Malformed, "composite.size", "a composite request carries 1 to %d requests", MaxComposite).
			WithField("requests", "size", fmt.Sprintf("must have 1 to %d requests", MaxComposite))
	}
	seen := map[string]bool{}
	for i, r := range in.Requests {
		if r.Ref == "" || seen[r.Ref] {
			return errs.New(errs.Malformed, "composite.bad_ref", "request %d needs a ref that no other request has", i).
				WithField(fmt.Sprintf("requests[%d].ref", i), "unique", "must be set and unique")
		}
		seen[r.Ref] = true
	}
	return h.idempotent(c, "POST /composite", in, func() (idempotency.Answer, error) {
		return h.runComposite(c.UserContext(), in)
	})
}

// runComposite runs the sub-requests of a checked composite request.
func (h *handlers) runComposite(ctx context.Context, in compositeBody) (idempotency.Answer, error) {
	results := make([]subResult, 0, len(in.Requests))
	run := func(ctx context.Context) error {
		answers := map[string]any{}
		for i, r := range in.Requests {
			res := h.runSub(ctx, r, answers)
			results = append(results, res)
			if res.Status >= 400 && in.AllOrNone {
				for _, rest := range in.Requests[i+1:] {
					results = append(results, subResult{Ref: rest.Ref, Status: fiber.StatusFailedDependency, Body: notRun})
				}
				return errCompositeFailed
			}
			answers[r.Ref] = res.Body
		}
		return nil
	}
	rolledBack := false
	if in.AllOrNone {
		if !h.Records.Transactional() {
			return idempotency.Answer{}, errs.New(errs.Conflict, "composite.no_transactions", "this deployment's store cannot run allOrNone batches; send allOrNone=false")
		}
		err := h.Records.Atomically(ctx, func(ctx context.Context) error { return run(ctx) })
		switch {
		case err == errCompositeFailed:
			rolledBack = true
		case err != nil:
			return idempotency.Answer{}, err
		}
	} else if err := run(ctx); err != nil {
		return idempotency.Answer{}, err
	}
	b, err := json.Marshal(fiber.Map{"results": results, "rolledBack": rolledBack})
	if err != nil {
		return idempotency.Answer{}, err
	}
	return idempotency.Answer{Status: fiber.StatusOK, Body: b}, nil
}

var errCompositeFailed = errs.New(errs.Conflict, "composite.failed", "a request of the batch failed")

// notRun is the answer of a request after the failed one of an allOrNone
// batch.
var notRun = httpx.Problem{Type: httpx.ProblemBase + "failed_dependency", Title: "Failed dependency",
	Status: fiber.StatusFailedDependency, Code: "composite.not_run",
	Detail: "not run: an earlier request of this allOrNone batch failed"}

// runSub performs one sub-request through the record service.
func (h *handlers) runSub(ctx context.Context, r subRequest, answers map[string]any) subResult {
	fail := func(err error) subResult {
		p := partProblem(ctx, err)
		return subResult{Ref: r.Ref, Status: p.Status, Body: p}
	}
	rawURL, err := substitute(r.URL, answers)
	if err != nil {
		return fail(err)
	}
	body := map[string]any{} // a POST or PATCH without a body sends {}
	if r.Body != nil {
		b, err := substituteValue(r.Body, answers)
		if err != nil {
			return fail(err)
		}
		body = b.(map[string]any)
	}
	u, err := url.Parse(rawURL)
	if err != nil || !strings.HasPrefix(u.Path, "/api/v1/records/") {
		return fail(errs.New(errs.Malformed, "composite.bad_url", "url must be a record URL under /api/v1/records/"))
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/api/v1/records/"), "/")
	q := u.Query()
	object := parts[0]
	takes := map[int][]string{1: listParams, 2: getParams}[len(parts)]
	if strings.ToUpper(r.Method) != "GET" {
		takes = nil
	}
	if err := checkParams(q, takes...); err != nil {
		return fail(err)
	}
	ok := func(status int, v any) subResult { return subResult{Ref: r.Ref, Status: status, Body: v} }
	switch m := strings.ToUpper(r.Method); {
	case len(parts) == 1 && m == "POST":
		rec, err := h.Records.Create(ctx, object, body)
		if err != nil {
			return fail(err)
		}
		return ok(201, rec.Data)
	case len(parts) == 1 && m == "GET":
		limit, err := parseLimit(q.Get("limit"))
		if err != nil {
			return fail(err)
		}
		page, err := h.Records.List(ctx, object, records.ListOptions{Filter: q.Get("filter"), Sort: q.Get("sort"), Limit: limit,
			Cursor: q.Get("cursor"), Fields: q.Get("fields"), Expand: q.Get("expand")})
		if err != nil {
			return fail(err)
		}
		return ok(200, page)
	case len(parts) == 2 && m == "GET":
		rec, err := h.Records.Get(ctx, object, parts[1], records.GetOptions{Fields: q.Get("fields"), Expand: q.Get("expand")})
		if err != nil {
			return fail(err)
		}
		return ok(200, rec.Data)
	case len(parts) == 2 && m == "PATCH":
		rec, err := h.Records.Update(ctx, object, parts[1], body, 0)
		if err != nil {
			return fail(err)
		}
		return ok(200, rec.Data)
	case len(parts) == 2 && m == "DELETE":
		if err := h.Records.Delete(ctx, object, parts[1], 0); err != nil {
			return fail(err)
		}
		return ok(204, nil)
	case len(parts) == 3 && parts[2] == "restore" && m == "POST":
		rec, err := h.Records.Restore(ctx, object, parts[1])
		if err != nil {
			return fail(err)
		}
		return ok(200, rec.Data)
	}
	return fail(errs.New(errs.Malformed, "composite.bad_request", "%s %s is not a record request a composite can run", r.Method, u.Path))
}

// substitute replaces every @{ref.field} in s with that field of the answer
// to ref.
func substitute(s string, answers map[string]any) (string, error) {
	var firstErr error
	out := refRe.ReplaceAllStringFunc(s, func(m string) string {
		v, err := resolveRef(m, answers)
		if err != nil {
			firstErr = err
			return m
		}
		return fmt.Sprint(v)
	})
	return out, firstErr
}

// substituteValue walks a body: a string that is exactly one reference takes
// the referenced value with its type; references inside longer strings are
// replaced by their text.
func substituteValue(v any, answers map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if m := refRe.FindString(x); m == x && m != "" {
			return resolveRef(m, answers)
		}
		return substitute(x, answers)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			r, err := substituteValue(val, answers)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			r, err := substituteValue(val, answers)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func resolveRef(m string, answers map[string]any) (any, error) {
	sub := refRe.FindStringSubmatch(m)
	ans, ok := answers[sub[1]]
	if !ok {
		return nil, errs.New(errs.Malformed, "composite.bad_reference", "%s refers to no earlier request", m)
	}
	b, _ := json.Marshal(ans)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil, errs.New(errs.Malformed, "composite.bad_reference", "%s: that answer has no fields", m)
	}
	v := lookupPath(doc, sub[2])
	if v == nil {
		return nil, errs.New(errs.Malformed, "composite.bad_reference", "%s: that answer has no field %s", m, sub[2])
	}
	return v, nil
}

// lookupPath follows a dotted path through an answer; a segment that is a
// whole number indexes an array, so @{list.items.0.id} is the first item's
// id.
func lookupPath(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
