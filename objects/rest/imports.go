package rest

import (
	"bufio"
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/imports"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/logx"
)

// exportTimeout bounds one CSV export stream.
const exportTimeout = 10 * time.Minute

func (h *handlers) startImport(c *fiber.Ctx) error {
	var req imports.Request
	if err := httpx.DecodeStrictJSON(c, &req); err != nil {
		return err
	}
	job, err := h.Imports.Start(c.UserContext(), param(c, "object"), req)
	if err != nil {
		return err
	}
	c.Location("/api/v1/imports/" + job.ID)
	return c.Status(fiber.StatusAccepted).JSON(job)
}

func (h *handlers) getImport(c *fiber.Ctx) error {
	job, err := h.Imports.Get(c.UserContext(), param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(job)
}

// export streams CSV. The list is checked first (a bad filter is still a
// clean 400); the stream then runs after the handler returns, so it gets
// its own deadline and keeps the caller's identity.
func (h *handlers) export(c *fiber.Ctx) error {
	object := param(c, "object")
	opt := records.ListOptions{Filter: clone(c.Query("filter")), Sort: clone(c.Query("sort")), Fields: clone(c.Query("fields"))}
	if _, err := h.Records.List(c.UserContext(), object, records.ListOptions{Filter: opt.Filter, Sort: opt.Sort, Fields: opt.Fields, Limit: 1}); err != nil {
		return err
	}
	ctx := context.WithoutCancel(c.UserContext())
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+object+`.csv"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(ctx, exportTimeout)
		defer cancel()
		if err := h.Imports.Export(ctx, object, opt, w); err != nil {
			logx.From(ctx).Error("csv export stopped", "object", object, "err", err)
		}
		_ = w.Flush()
	})
	return nil
}

func clone(s string) string { return string([]byte(s)) }
