// Package rest mounts the package API under /api/v1/plugins: the packages
// a node offers and those a tenant has installed, the plan of an action,
// and install, upgrade and uninstall. Each handler turns HTTP into one call
// of plugins.Service; the rules live there. It imports fiber,
// platform/httpx, platform/identity and plugins.
package rest

import (
	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/plugins"
)

// Deps are the services the handlers call.
type Deps struct {
	Plugins *plugins.Service
}

type handlers struct{ Deps }

// Mount registers the package API on an authenticated API router.
func Mount(api fiber.Router, d Deps) {
	h := &handlers{Deps: d}
	api.Get("/plugins", h.list)
	api.Post("/plugins/:name/plan", h.admin, h.plan)
	for _, action := range []string{plugins.Install, plugins.Upgrade, plugins.Uninstall} {
		api.Post("/plugins/:name/"+action, h.admin, h.apply(action))
	}
}

func (h *handlers) admin(c *fiber.Ctx) error {
	if p, _ := identity.PrincipalFrom(c.UserContext()); !p.IsAdmin() {
		return errs.New(errs.Forbidden, "auth.forbidden", "only an admin may plan, install, upgrade or uninstall packages")
	}
	return c.Next()
}

func tenantOf(c *fiber.Ctx) string {
	p, _ := identity.PrincipalFrom(c.UserContext())
	return p.TenantID
}

type available struct {
	plugins.Manifest
	Installed string `json:"installed,omitempty"` // the tenant's version
	State     string `json:"state,omitempty"`
}

func (h *handlers) list(c *fiber.Ctx) error {
	inst, err := h.Plugins.ListInstalled(c.UserContext(), tenantOf(c))
	if err != nil {
		return err
	}
	byName := map[string]plugins.Installed{}
	for _, in := range inst {
		byName[in.Name] = in
	}
	avail := []available{}
	for _, m := range h.Plugins.Catalog.Manifests() {
		a := available{Manifest: m}
		if in, ok := byName[m.Name]; ok {
			a.Installed, a.State = in.Version, in.State
		}
		avail = append(avail, a)
	}
	return c.JSON(fiber.Map{"available": avail, "installed": inst})
}

// body is what plan and the actions take: the options and, optionally, a
// package given inline as its files (path -> content) instead of the
// catalog's.
type body struct {
	Action  string            `json:"action"`
	Purge   bool              `json:"purge"`
	Package map[string]string `json:"package"`
}

func (h *handlers) readBody(c *fiber.Ctx) (body, *plugins.Package, error) {
	var b body
	if len(c.Body()) > 0 {
		if err := httpx.DecodeJSON(c, &b); err != nil {
			return b, nil, err
		}
	}
	if b.Package == nil {
		return b, nil, nil
	}
	files := make(map[string][]byte, len(b.Package))
	for p, content := range b.Package {
		files[p] = []byte(content)
	}
	pkg, err := plugins.FromFiles(files)
	return b, pkg, err
}

func (h *handlers) plan(c *fiber.Ctx) error {
	b, pkg, err := h.readBody(c)
	if err != nil {
		return err
	}
	if b.Action == "" {
		return errs.New(errs.Invalid, "plugin.unknown_action", "name the action to plan").WithField("action", "required", "install, upgrade or uninstall")
	}
	p, err := h.Plugins.Plan(c.UserContext(), tenantOf(c), b.Action, c.Params("name"), pkg, plugins.Options{Purge: b.Purge})
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *handlers) apply(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, pkg, err := h.readBody(c)
		if err != nil {
			return err
		}
		p, err := h.Plugins.Apply(c.UserContext(), tenantOf(c), action, c.Params("name"), pkg, plugins.Options{Purge: b.Purge})
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"applied": true, "plan": p})
	}
}
