package sales

// The HTTP edge of the sales app: handlers turn HTTP into one call of the
// Service and back; the rules live in the Service.

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
)

type handlers struct{ Sales *Service }

// Mount registers the sales routes on an authenticated API router:
//
//	POST /records/lead/:id/convert   {"opportunity": bool, "mapping": {...}} -> {lead, account, contact, opportunity}
//	POST /records/lead/:id/claim     -> the lead, now the caller's
//	POST /records/lead/:id/release   -> the lead, back in the pool
//	POST /records/lead/:id/assign    {"user": "<id>"} -> the lead
//	POST /records/lead/:id/merge     {"duplicateId": "<id>"} -> {lead, merged, moved}
//	POST /sales/leads/intake         a lead's fields -> 201 {lead} or 200 {lead, reactivated, task}
//	POST /sales/dispatch             run a dispatch pass now -> {dispatched, held, nextOpen}
//	GET|PUT /sales/settings
//	GET /reports/sales/:report       funnel, rep-conversion, pipeline, forecast, response-time,
//	                                 channel-quality; ?from=&to= (dates, to exclusive)&period=month
func Mount(api fiber.Router, s *Service) {
	h := &handlers{Sales: s}
	api.Post("/records/lead/:id/convert", h.convert)
	api.Post("/records/lead/:id/claim", h.claim)
	api.Post("/records/lead/:id/release", h.release)
	api.Post("/records/lead/:id/assign", h.assign)
	api.Post("/records/lead/:id/merge", h.merge)
	api.Post("/sales/leads/intake", h.intake)
	api.Post("/sales/dispatch", h.dispatch)
	api.Get("/sales/settings", h.getSettings)
	api.Put("/sales/settings", h.putSettings)
	api.Get("/reports/sales/:report", h.report)
}

func param(c *fiber.Ctx, name string) string {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return strings.Clone(c.Params(name))
	}
	return strings.Clone(v)
}

// decode reads an optional JSON body: an empty one leaves v as it is.
func decode(c *fiber.Ctx, v any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	return httpx.DecodeJSON(c, v)
}

func (h *handlers) convert(c *fiber.Ctx) error {
	var req ConvertRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	out, err := h.Sales.Convert(c.UserContext(), param(c, "id"), req)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *handlers) claim(c *fiber.Ctx) error {
	r, err := h.Sales.Claim(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, r.ETag())
	return c.JSON(r)
}

func (h *handlers) release(c *fiber.Ctx) error {
	r, err := h.Sales.Release(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, r.ETag())
	return c.JSON(r)
}

func (h *handlers) assign(c *fiber.Ctx) error {
	var body struct {
		User string `json:"user"`
	}
	if err := decode(c, &body); err != nil {
		return err
	}
	r, err := h.Sales.Assign(c.UserContext(), param(c, "id"), body.User)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, r.ETag())
	return c.JSON(r)
}

func (h *handlers) intake(c *fiber.Ctx) error {
	var body map[string]any
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	out, err := h.Sales.Inquire(c.UserContext(), body)
	if err != nil {
		return err
	}
	if !out.Reactivated {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(out)
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	set, err := h.Sales.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(set)
}

func (h *handlers) putSettings(c *fiber.Ctx) error {
	var set Settings
	if err := httpx.DecodeJSON(c, &set); err != nil {
		return err
	}
	out, err := h.Sales.PutSettings(c.UserContext(), set)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *handlers) report(c *fiber.Ctx) error {
	q := ReportQuery{From: strings.Clone(c.Query("from")), To: strings.Clone(c.Query("to")), Period: strings.Clone(c.Query("period"))}
	out, err := h.Sales.Report(c.UserContext(), param(c, "report"), q)
	if err != nil {
		return err
	}
	if out == nil {
		return errs.New(errs.NotFound, "report.not_found", "no sales report named %q", param(c, "report"))
	}
	return c.JSON(out)
}

func (h *handlers) dispatch(c *fiber.Ctx) error {
	out, err := h.Sales.RunDispatch(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *handlers) merge(c *fiber.Ctx) error {
	var body struct {
		DuplicateID string `json:"duplicateId"`
	}
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	out, err := h.Sales.Merge(c.UserContext(), param(c, "id"), body.DuplicateID)
	if err != nil {
		return err
	}
	return c.JSON(out)
}
