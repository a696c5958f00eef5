package rest

import (
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
)

// WorkflowDeps are the services of the automation API.
type WorkflowDeps struct {
	Workflows *workflows.Service
	Jobs      *jobs.Service
	Records   *records.Service
}

type workflowHandlers struct{ WorkflowDeps }

// MountWorkflows registers the automation API on an authenticated API
// router: workflows (admins write them and read their runs), the workflow
// runs of a record (for whoever may read the record), the caller's
// notifications, the tenant's automation settings and the jobs admin API.
func MountWorkflows(api fiber.Router, d WorkflowDeps) {
	h := &workflowHandlers{d}
	api.Get("/workflows", adminOnly, h.list)
	api.Put("/workflows/:name", adminOnly, h.put)
	api.Get("/workflows/:name", adminOnly, h.get)
	api.Delete("/workflows/:name", adminOnly, h.remove)
	api.Get("/workflows/:name/history", adminOnly, h.history)
	api.Get("/workflows/:name/runs", adminOnly, h.runs)
	api.Get("/records/:object/:id/workflow-runs", h.recordRuns)
	api.Get("/notifications", h.notifications)
	api.Get("/workflow-settings", adminOnly, h.getSettings)
	api.Put("/workflow-settings", adminOnly, h.putSettings)
	api.Get("/jobs", adminOnly, h.jobs)
	api.Get("/jobs/:id", adminOnly, h.job)
	api.Post("/jobs/:id/retry", adminOnly, h.retryJob)
	api.Post("/jobs/:id/cancel", adminOnly, h.cancelJob)
}

func adminOnly(c *fiber.Ctx) error {
	if p, _ := identity.PrincipalFrom(c.UserContext()); !p.IsAdmin() {
		return errs.New(errs.Forbidden, "auth.forbidden", "only an admin may do this")
	}
	return c.Next()
}

func limitQuery(c *fiber.Ctx) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		return 0, errs.New(errs.Malformed, "request.bad_parameter", "limit must be a number from 1 to 500").WithField("limit", "range", "1 to 500")
	}
	return n, nil
}

func (h *workflowHandlers) list(c *fiber.Ctx) error {
	items, err := h.Workflows.List(c.UserContext(), tenantOf(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

func (h *workflowHandlers) put(c *fiber.Ctx) error {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(c, &raw); err != nil {
		return err
	}
	p := tenantOf(c)
	w, created, err := h.Workflows.Put(c.UserContext(), p.TenantID, param(c, "name"), raw, p.UserID)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	c.Set(fiber.HeaderETag, strconv.Quote(strconv.FormatInt(w.Version, 10)))
	return c.Status(status).JSON(w)
}

func (h *workflowHandlers) get(c *fiber.Ctx) error {
	w, err := h.Workflows.Get(c.UserContext(), tenantOf(c).TenantID, param(c, "name"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, strconv.Quote(strconv.FormatInt(w.Version, 10)))
	return c.JSON(w)
}

func (h *workflowHandlers) remove(c *fiber.Ctx) error {
	p := tenantOf(c)
	if err := h.Workflows.Delete(c.UserContext(), p.TenantID, param(c, "name"), p.UserID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *workflowHandlers) history(c *fiber.Ctx) error {
	vs, err := h.Workflows.History(c.UserContext(), tenantOf(c).TenantID, param(c, "name"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": vs})
}

func (h *workflowHandlers) runs(c *fiber.Ctx) error {
	limit, err := limitQuery(c)
	if err != nil {
		return err
	}
	tenant := tenantOf(c).TenantID
	if _, err := h.Workflows.Get(c.UserContext(), tenant, param(c, "name")); err != nil {
		return err
	}
	rs, err := h.Workflows.Runs(c.UserContext(), tenant, param(c, "name"), "", "", limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": rs})
}

// recordRuns shows a record's runs to whoever may read the record: the
// record is read first through the record service, so an invisible record
// is a 404 like a missing one.
func (h *workflowHandlers) recordRuns(c *fiber.Ctx) error {
	limit, err := limitQuery(c)
	if err != nil {
		return err
	}
	object, id := param(c, "object"), param(c, "id")
	if _, err := h.Records.Get(c.UserContext(), object, id, records.GetOptions{Fields: "id"}); err != nil {
		return err
	}
	rs, err := h.Workflows.Runs(c.UserContext(), tenantOf(c).TenantID, "", object, id, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": rs})
}

func (h *workflowHandlers) notifications(c *fiber.Ctx) error {
	limit, err := limitQuery(c)
	if err != nil {
		return err
	}
	p := tenantOf(c)
	ns, err := h.Workflows.Notifications(c.UserContext(), p.TenantID, p.UserID, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ns})
}

func (h *workflowHandlers) getSettings(c *fiber.Ctx) error {
	set, err := h.Workflows.Settings(c.UserContext(), tenantOf(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(set)
}

func (h *workflowHandlers) putSettings(c *fiber.Ctx) error {
	var set workflows.Settings
	if err := httpx.DecodeJSON(c, &set); err != nil {
		return err
	}
	out, err := h.Workflows.PutSettings(c.UserContext(), tenantOf(c).TenantID, set)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *workflowHandlers) jobs(c *fiber.Ctx) error {
	limit, err := limitQuery(c)
	if err != nil {
		return err
	}
	list, err := h.Jobs.List(c.UserContext(), tenantOf(c).TenantID, jobs.ListOptions{
		State: c.Query("state"), Kind: c.Query("kind"), Limit: limit})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *workflowHandlers) job(c *fiber.Ctx) error {
	j, err := h.Jobs.Get(c.UserContext(), tenantOf(c).TenantID, param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(j)
}

func (h *workflowHandlers) retryJob(c *fiber.Ctx) error {
	j, err := h.Jobs.Retry(c.UserContext(), tenantOf(c).TenantID, param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(j)
}

func (h *workflowHandlers) cancelJob(c *fiber.Ctx) error {
	j, err := h.Jobs.Cancel(c.UserContext(), tenantOf(c).TenantID, param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(j)
}
