package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/idempotency"
	"github.com/opencrm/crm/platform/logx"
)

func recordURL(c *fiber.Ctx, r *records.Record) string {
	return "/api/v1/records/" + r.Object + "/" + r.ID
}

func (h *handlers) create(c *fiber.Ctx) error {
	body, err := decodeRecord(c)
	if err != nil {
		return err
	}
	object := param(c, "object")
	return h.idempotent(c, "POST /records/"+object, body, func() (idempotency.Answer, error) {
		rec, err := h.Records.Create(c.UserContext(), object, body)
		if err != nil {
			return idempotency.Answer{}, err
		}
		b, err := rec.AppendJSON(nil)
		if err != nil {
			return idempotency.Answer{}, err
		}
		return idempotency.Answer{Status: fiber.StatusCreated, Body: b,
			Headers: map[string]string{fiber.HeaderLocation: recordURL(c, rec), fiber.HeaderETag: rec.ETag()}}, nil
	})
}

// decodeRecord reads a record body (a create or a merge patch), which must
// be a JSON object: null or any other value is 422 naming the body.
func decodeRecord(c *fiber.Ctx) (map[string]any, error) {
	var body map[string]any
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, notAnObject("", "null")
	}
	return body, nil
}

// notAnObject is the error for a record that is not a JSON object.
func notAnObject(field, found string) error {
	e := errs.New(errs.Invalid, httpx.CodeWrongType, "a record must be a JSON object, not %s", found)
	e.Fields = []errs.FieldError{{Field: field, Code: "type", Message: "must be an object, not " + found}}
	return e
}

// idempotent answers a POST whose answer is stored under its Idempotency-Key
// (when the request has one) for the idempotency keeper's TTL: the same key
// with the same request (compared as JSON values, so spacing and member
// order do not matter) replays the first answer with Idempotent-Replayed:
// true; the same key with another request is 422. Keys are per user and
// route. Failed requests (4xx from an error, 5xx) are not kept.
func (h *handlers) idempotent(c *fiber.Ctx, route string, req any, run func() (idempotency.Answer, error)) error {
	var a idempotency.Answer
	var err error
	if key := c.Get("Idempotency-Key"); key != "" {
		fingerprint, ferr := json.Marshal(req)
		if ferr != nil {
			return ferr
		}
		p := tenantOf(c)
		var replayed bool
		a, replayed, err = h.Idempotency.Do(c.UserContext(), p.TenantID, p.UserID+" "+route, key, fingerprint, run)
		if replayed {
			c.Set("Idempotent-Replayed", "true")
		}
	} else {
		a, err = run()
	}
	if err != nil {
		return err
	}
	for k, v := range a.Headers {
		c.Set(k, v)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(a.Status).Send(a.Body)
}

func (h *handlers) get(c *fiber.Ctx) error {
	rec, err := h.Records.Get(c.UserContext(), param(c, "object"), param(c, "id"),
		records.GetOptions{Fields: c.Query("fields"), Expand: c.Query("expand")})
	if err != nil {
		return err
	}
	etag := rec.ETag()
	c.Set(fiber.HeaderETag, etag)
	// The ETag is the record's version, but the body is the caller's view
	// of it (fields they may not read are left out): no cache may keep it
	// for someone else. A browser that kept one user's copy sent its ETag
	// for the next user signed in and got a 304 for a view it may not see.
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderVary, "Authorization, Cookie")
	if c.Query("expand") == "" && noneMatch(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return sendJSON(c, rec)
}

// noneMatch reports whether an If-None-Match header names etag or is "*"
// (the weak comparison of RFC 9110 13.1.2). The ETag is the record's
// version, so an answer with expand= (whose expanded records change on
// their own) is always sent in full.
func noneMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// ifMatch reads If-Match as the version a write must find: 0 for none or
// "*". A list of ETags (RFC 9110 13.1.1) stands for the one that is the
// record's current version, if any; the write still checks it atomically.
func (h *handlers) ifMatch(c *fiber.Ctx) (int64, error) {
	header := c.Get(fiber.HeaderIfMatch)
	if !strings.Contains(header, ",") {
		v, _, err := records.ParseETag(strings.TrimSpace(header))
		return v, err
	}
	var versions []int64
	for _, t := range strings.Split(header, ",") {
		v, ok, err := records.ParseETag(strings.TrimSpace(t))
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, nil // "*" in the list
		}
		versions = append(versions, v)
	}
	rec, err := h.Records.Get(c.UserContext(), param(c, "object"), param(c, "id"), records.GetOptions{Fields: "id"})
	if err != nil {
		return 0, err
	}
	for _, v := range versions {
		if v == rec.Version {
			return v, nil
		}
	}
	return versions[0], nil // none is current: the write answers 412
}

func (h *handlers) patch(c *fiber.Ctx) error {
	if mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); mt == "application/json-patch+json" {
		return errs.New(errs.Malformed, httpx.CodeUnsupportedMediaType,
			"PATCH takes a JSON merge patch (RFC 7396) as application/merge-patch+json or application/json, not a JSON Patch (RFC 6902)")
	}
	body, err := decodeRecord(c)
	if err != nil {
		return err
	}
	version, err := h.ifMatch(c)
	if err != nil {
		return err
	}
	rec, err := h.Records.Update(c.UserContext(), param(c, "object"), param(c, "id"), body, version)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, rec.ETag())
	return sendJSON(c, rec)
}

func (h *handlers) remove(c *fiber.Ctx) error {
	version, err := h.ifMatch(c)
	if err != nil {
		return err
	}
	if err := h.Records.Delete(c.UserContext(), param(c, "object"), param(c, "id"), version); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) restore(c *fiber.Ctx) error {
	rec, err := h.Records.Restore(c.UserContext(), param(c, "object"), param(c, "id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, rec.ETag())
	return sendJSON(c, rec)
}

func (h *handlers) recycleBin(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	page, err := h.Records.RecycleBin(c.UserContext(), param(c, "object"), limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *handlers) history(c *fiber.Ctx) error {
	items, err := h.Records.History(c.UserContext(), param(c, "object"), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// pageLimit reads the limit parameter: 0 when absent, -1 when below 1
// (which the service refuses with its range).
func pageLimit(c *fiber.Ctx) (int, error) {
	return parseLimit(c.Query("limit"))
}

// parseLimit is pageLimit for a value from any source (a composite
// sub-request's URL).
func parseLimit(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errs.New(errs.Malformed, "query.bad_limit", "limit must be a whole number").WithField("limit", "type", "must be a whole number")
	}
	if n < 1 {
		return -1, nil
	}
	return n, nil
}

func (h *handlers) list(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	page, err := h.Records.List(c.UserContext(), param(c, "object"), records.ListOptions{
		Filter: c.Query("filter"), Sort: c.Query("sort"), Limit: limit, Cursor: c.Query("cursor"),
		Fields: c.Query("fields"), Expand: c.Query("expand")})
	if err != nil {
		return err
	}
	return sendJSON(c, page)
}

func (h *handlers) aggregate(c *fiber.Ctx) error {
	var req records.AggregateRequest
	if err := httpx.DecodeStrictJSON(c, &req); err != nil {
		return err
	}
	rows, err := h.Records.Aggregate(c.UserContext(), param(c, "object"), req)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rows": rows})
}

type bulkResult struct {
	Index  int             `json:"index"`
	ID     string          `json:"id,omitempty"`
	Status int             `json:"status"`
	Record *records.Record `json:"record,omitempty"`
	Error  *httpx.Problem  `json:"error,omitempty"`
}

// bulkBody is records.BulkRequest as it arrives: each record is checked to
// be a JSON object before the service sees it.
type bulkBody struct {
	Operation       string            `json:"operation"`
	ExternalIDField string            `json:"externalIdField"`
	Records         []json.RawMessage `json:"records"`
}

// bulkRequest decodes a bulk body; a record that is not a JSON object (null,
// a number, an array) refuses the whole request with 422 naming its index.
func bulkRequest(c *fiber.Ctx) (records.BulkRequest, error) {
	var in bulkBody
	if err := httpx.DecodeStrictJSON(c, &in); err != nil {
		return records.BulkRequest{}, err
	}
	req := records.BulkRequest{Operation: in.Operation, ExternalIDField: in.ExternalIDField, Records: make([]map[string]any, len(in.Records))}
	for i, raw := range in.Records {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&req.Records[i]); err != nil || req.Records[i] == nil {
			return records.BulkRequest{}, notAnObject(fmt.Sprintf("records[%d]", i), jsonKind(raw))
		}
	}
	return req, nil
}

// jsonKind names the kind of a JSON value for an error message.
func jsonKind(raw json.RawMessage) string {
	switch b := bytes.TrimSpace(raw); {
	case len(b) == 0:
		return "nothing"
	case b[0] == 'n':
		return "null"
	case b[0] == '[':
		return "an array"
	case b[0] == '"':
		return "a string"
	case b[0] == 't' || b[0] == 'f':
		return "a boolean"
	}
	return "a number"
}

func (h *handlers) bulk(c *fiber.Ctx) error {
	req, err := bulkRequest(c)
	if err != nil {
		return err
	}
	object := param(c, "object")
	return h.idempotent(c, "POST /records/"+object+"/bulk", req, func() (idempotency.Answer, error) {
		results, err := h.Records.Bulk(c.UserContext(), object, req)
		if err != nil {
			return idempotency.Answer{}, err
		}
		out := make([]bulkResult, len(results))
		for i, r := range results {
			br := bulkResult{Index: r.Index, ID: r.ID, Record: r.Record}
			switch {
			case r.Err != nil:
				if errs.As(r.Err) == nil {
					return idempotency.Answer{}, r.Err // a bug or an outage: the whole request fails as a 500
				}
				p := partProblem(c.UserContext(), r.Err)
				br.Status, br.Error, br.Record = p.Status, &p, nil
			case r.Op == records.OpCreate:
				br.Status = fiber.StatusCreated
			case r.Op == records.OpDelete:
				br.Status = fiber.StatusNoContent
			default:
				br.Status = fiber.StatusOK
			}
			out[i] = br
		}
		b, err := json.Marshal(fiber.Map{"results": out})
		if err != nil {
			return idempotency.Answer{}, err
		}
		return idempotency.Answer{Status: fiber.StatusOK, Body: b}, nil
	})
}

// partProblem is the problem document of one failed part of a bulk or
// composite answer; a 5xx is logged, as the error handler logs a failed
// request, since its answer shows only the generic detail.
func partProblem(ctx context.Context, err error) httpx.Problem {
	p := httpx.ProblemOf(err)
	if p.Status >= 500 {
		logx.From(ctx).Error("part of a batch failed", "code", p.Code, "err", err)
	}
	return p
}

// sendJSON writes a record or a page with the record service's encoder,
// which writes what encoding/json would, faster (records/json.go).
func sendJSON(c *fiber.Ctx, v interface{ AppendJSON([]byte) ([]byte, error) }) error {
	b, err := v.AppendJSON(make([]byte, 0, 2048))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
