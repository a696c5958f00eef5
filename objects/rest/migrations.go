package rest

import (
	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/metadata"
)

// mountMigrations registers the progress of background schema migrations: a
// PUT /objects/{apiName} whose type change converts many records answers 202
// with the migration and its Location here.
func (h *handlers) mountMigrations(api fiber.Router) {
	api.Get("/migrations/:id", h.getMigration)
}

func (h *handlers) getMigration(c *fiber.Ctx) error {
	m, err := h.Meta.Migration(c.UserContext(), tenantOf(c).TenantID, param(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(m)
}

// migrationAccepted answers a PUT whose change runs as a migration job.
func migrationAccepted(c *fiber.Ctx, m *metadata.Migration) error {
	c.Location("/api/v1/migrations/" + m.ID)
	return c.Status(fiber.StatusAccepted).JSON(m)
}
