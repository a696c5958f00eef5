package rest

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/idempotency"
)

func recordURL(c *fiber.Ctx, r *records.Record) string {
	return "/api/v1/records/" + r.Object + "/" + r.ID
}

func (h *handlers) create(c *fiber.Ctx) error {
	var body map[string]any
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	object := param(c, "object")
	run := func() (idempotency.Answer, error) {
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
	}
	var a idempotency.Answer
	var err error
	if key := c.Get("Idempotency-Key"); key != "" {
		p := tenantOf(c)
		var replayed bool
		a, replayed, err = h.Idempotency.Do(c.UserContext(), p.TenantID, p.UserID+" POST /records/"+object, key, c.Request().Body(), run)
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
	c.Set(fiber.HeaderETag, rec.ETag())
	return sendJSON(c, rec)
}

func ifMatch(c *fiber.Ctx) (int64, error) {
	v, ok, err := records.ParseETag(c.Get(fiber.HeaderIfMatch))
	if err != nil || !ok {
		return 0, err
	}
	return v, nil
}

func (h *handlers) patch(c *fiber.Ctx) error {
	var body map[string]any
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	version, err := ifMatch(c)
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
	version, err := ifMatch(c)
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
	v := c.Query("limit")
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
	if err := httpx.DecodeJSON(c, &req); err != nil {
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
	Error  *bulkError      `json:"error,omitempty"`
}

type bulkError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Errors  []errs.FieldError `json:"errors,omitempty"`
}

func (h *handlers) bulk(c *fiber.Ctx) error {
	var req records.BulkRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	results, err := h.Records.Bulk(c.UserContext(), param(c, "object"), req)
	if err != nil {
		return err
	}
	out := make([]bulkResult, len(results))
	for i, r := range results {
		br := bulkResult{Index: r.Index, ID: r.ID, Record: r.Record}
		switch {
		case r.Err != nil:
			e := errs.As(r.Err)
			if e == nil {
				return r.Err // a bug or an outage: the whole request fails as a 500
			}
			br.Status = httpx.StatusOf(e.Kind)
			br.Error = &bulkError{Code: e.Code, Message: e.Message, Errors: e.Fields}
			br.Record = nil
		case r.Op == records.OpCreate:
			br.Status = fiber.StatusCreated
		case r.Op == records.OpDelete:
			br.Status = fiber.StatusNoContent
		default:
			br.Status = fiber.StatusOK
		}
		out[i] = br
	}
	return c.JSON(fiber.Map{"results": out})
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
