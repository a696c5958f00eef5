package rest

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/platform/httpx"
)

// mountViews registers layouts and list views of each object:
// /objects/{apiName}/layouts/{name} and /objects/{apiName}/listviews/{name}.
func (h *handlers) mountViews(api fiber.Router) {
	for path, kind := range map[string]string{"layouts": metadata.KindLayout, "listviews": metadata.KindListView} {
		base := "/objects/:apiName/" + path
		api.Get(base, h.listViews(kind))
		api.Get(base+"/:name", h.getView(kind))
		api.Put(base+"/:name", h.metadataWriter, h.putView(kind))
		api.Delete(base+"/:name", h.metadataWriter, h.deleteView(kind))
	}
}

func (h *handlers) listViews(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		vs, err := h.Meta.Views(c.UserContext(), tenantOf(c).TenantID, kind, param(c, "apiName"))
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"items": vs})
	}
}

func (h *handlers) getView(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := h.Meta.GetView(c.UserContext(), tenantOf(c).TenantID, kind, param(c, "apiName"), param(c, "name"))
		if err != nil {
			return err
		}
		return c.JSON(v)
	}
}

func (h *handlers) putView(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var raw json.RawMessage
		if err := httpx.DecodeJSON(c, &raw); err != nil {
			return err
		}
		p := tenantOf(c)
		v, created, err := h.Meta.PutView(c.UserContext(), p.TenantID, kind, param(c, "apiName"), param(c, "name"), raw, p.UserID)
		if err != nil {
			return err
		}
		if created {
			c.Status(fiber.StatusCreated)
		}
		return c.JSON(v)
	}
}

func (h *handlers) deleteView(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := h.Meta.DeleteView(c.UserContext(), tenantOf(c).TenantID, kind, param(c, "apiName"), param(c, "name")); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}
