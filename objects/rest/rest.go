// Package rest mounts the generic object API under /api/v1: object
// definitions (/objects) and the records of every object (/records). Each
// handler turns HTTP into one call of the metadata or record service and
// back; permissions, validation and storage rules live in those services.
// It imports fiber, platform/httpx, platform/identity, platform/idempotency
// and the object packages.
package rest

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/imports"
	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/idempotency"
	"github.com/opencrm/crm/platform/identity"
)

// Deps are the services the handlers call.
type Deps struct {
	Meta        *metadata.Service
	Records     *records.Service
	Idempotency *idempotency.Keeper
	Imports     *imports.Service
	// MetadataWriter guards the routes that change definitions (objects,
	// layouts, list views); nil lets only admins through.
	MetadataWriter fiber.Handler
}

type handlers struct {
	Deps
	docs openAPICache
}

// Mount registers the object API on an authenticated API router.
func Mount(api fiber.Router, d Deps) {
	h := &handlers{Deps: d, docs: openAPICache{docs: map[string]cachedDoc{}}}
	api.Get("/openapi.json", h.openAPI)
	api.Get("/objects", h.listObjects)
	api.Put("/objects/:apiName", h.metadataWriter, h.putObject)
	api.Get("/objects/:apiName", h.getObject)
	api.Delete("/objects/:apiName", h.metadataWriter, h.deleteObject)
	api.Get("/objects/:apiName/history", h.objectHistory)
	h.mountViews(api)
	h.mountMigrations(api)

	none := params()
	api.Post("/composite", none, h.composite)
	api.Post("/records/:object/bulk", none, h.bulk)
	api.Post("/records/:object/import", none, h.startImport)
	api.Get("/records/:object/export", params(exportParams...), h.export)
	api.Get("/imports/:id", none, h.getImport)
	api.Post("/records/:object/aggregate", none, h.aggregate)
	api.Post("/records/:object", none, h.create)
	api.Get("/records/:object", params(listParams...), h.list)
	api.Get("/records/:object/:id", params(getParams...), h.get)
	api.Patch("/records/:object/:id", none, h.patch)
	api.Delete("/records/:object/:id", none, h.remove)
	api.Post("/records/:object/:id/restore", none, h.restore)
	api.Get("/recyclebin/:object", params(binParams...), h.recycleBin)
	api.Get("/records/:object/:id/history", none, h.history)
	api.Get("/records/:object/:id/related/:child", params(relatedParams...), h.related) // related lists: related.go
}

// metadataWriter guards metadata changes: Deps.MetadataWriter (roles with
// the studio right), or admins only.
func (h *handlers) metadataWriter(c *fiber.Ctx) error {
	if h.MetadataWriter != nil {
		return h.MetadataWriter(c)
	}
	if p, _ := identity.PrincipalFrom(c.UserContext()); !p.IsAdmin() {
		return errs.New(errs.Forbidden, "auth.forbidden", "only an admin may change object definitions")
	}
	return c.Next()
}

func tenantOf(c *fiber.Ctx) identity.Principal {
	p, _ := identity.PrincipalFrom(c.UserContext())
	return p
}

func param(c *fiber.Ctx, name string) string {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil {
		return strings.Clone(c.Params(name))
	}
	return strings.Clone(v)
}

func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	v := c.Query(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errs.New(errs.Malformed, "request.bad_parameter", "%s must be true or false", name).WithField(name, "type", "must be true or false")
	}
	return b, nil
}

// described writes an object's definition with its API name, version and
// time of change, keeping the definition's member order (fields appear in
// the order the admin gave them).
func described(e *metadata.Entry) (json.RawMessage, error) {
	def := bytes.TrimSpace(e.Object.Describe())
	if len(def) < 2 || def[0] != '{' {
		return nil, errs.New(errs.Internal, "metadata.describe", "cannot describe %s", e.Object.APIName)
	}
	head, err := json.Marshal(map[string]any{"apiName": e.Object.APIName, "version": e.Version, "updatedAt": e.UpdatedAt})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(def)+len(head)+1)
	out = append(out, head[:len(head)-1]...)
	if rest := bytes.TrimSpace(def[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, def[1:]...), nil
}

func (h *handlers) listObjects(c *fiber.Ctx) error {
	items, err := h.Meta.List(c.UserContext(), tenantOf(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

func (h *handlers) getObject(c *fiber.Ctx) error {
	e, err := h.Meta.Object(c.UserContext(), tenantOf(c).TenantID, param(c, "apiName"))
	if err != nil {
		return err
	}
	def, err := described(e)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(def)
}

func (h *handlers) putObject(c *fiber.Ctx) error {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(c, &raw); err != nil {
		return err
	}
	dry, err := boolQuery(c, "dryRun")
	if err != nil {
		return err
	}
	p := tenantOf(c)
	e, plan, err := h.Meta.Put(c.UserContext(), p.TenantID, param(c, "apiName"), raw, metadata.PutOptions{By: p.UserID, DryRun: dry, Background: true})
	if err != nil {
		return err
	}
	if dry {
		return c.JSON(fiber.Map{"dryRun": true, "plan": plan})
	}
	if plan.Migration != nil {
		return migrationAccepted(c, plan.Migration)
	}
	def, err := described(e)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if plan.Created {
		status = fiber.StatusCreated
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(def)
}

func (h *handlers) deleteObject(c *fiber.Ctx) error {
	purge, err := boolQuery(c, "purge")
	if err != nil {
		return err
	}
	p := tenantOf(c)
	if err := h.Meta.Delete(c.UserContext(), p.TenantID, param(c, "apiName"), purge, p.UserID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) objectHistory(c *fiber.Ctx) error {
	vs, err := h.Meta.History(c.UserContext(), tenantOf(c).TenantID, param(c, "apiName"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": vs})
}
