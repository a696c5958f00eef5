package rest

import (
	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/dashboards"
	"github.com/opencrm/crm/platform/httpx"
)

// MountDashboards registers the saved dashboards of users:
//
//	GET    /dashboards         the caller's and the shared ones
//	GET    /dashboards/:name   the caller's, else a shared one of that name
//	PUT    /dashboards/:name   save the caller's (201 new, 200 changed)
//	DELETE /dashboards/:name   the caller's; an admin may pass ?owner=
func MountDashboards(api fiber.Router, d *dashboards.Service) {
	h := dashboardHandlers{d}
	api.Get("/dashboards", h.list)
	api.Get("/dashboards/:name", h.get)
	api.Put("/dashboards/:name", h.put)
	api.Delete("/dashboards/:name", h.remove)
}

type dashboardHandlers struct{ *dashboards.Service }

func (h dashboardHandlers) list(c *fiber.Ctx) error {
	items, err := h.List(c.UserContext())
	if err != nil {
		return err
	}
	if items == nil {
		items = []dashboards.Dashboard{}
	}
	return c.JSON(fiber.Map{"items": items})
}

func (h dashboardHandlers) get(c *fiber.Ctx) error {
	d, err := h.Get(c.UserContext(), param(c, "name"))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (h dashboardHandlers) put(c *fiber.Ctx) error {
	var in dashboards.Input
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	d, created, err := h.Put(c.UserContext(), param(c, "name"), in)
	if err != nil {
		return err
	}
	if created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(d)
}

func (h dashboardHandlers) remove(c *fiber.Ctx) error {
	if err := h.Delete(c.UserContext(), param(c, "name"), c.Query("owner")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
