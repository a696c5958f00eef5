// Package rest mounts the scripts API under /api/v1: scripts as metadata,
// test runs, the execution log and the TypeScript declarations of ctx. The
// rules live in runtime/scripts; handlers only translate HTTP. It imports
// fiber, platform/httpx and runtime packages.
package rest

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/runtime/scripts"
	"github.com/opencrm/crm/runtime/types"
)

type handlers struct{ s *scripts.Service }

// Mount registers the scripts routes on an authenticated API router.
func Mount(api fiber.Router, s *scripts.Service) {
	h := &handlers{s}
	api.Get("/scripts/types.d.ts", h.types)
	api.Get("/script-runs", h.admin, h.runs)
	api.Get("/scripts", h.admin, h.list)
	api.Put("/scripts/:name", h.admin, h.put)
	api.Get("/scripts/:name", h.admin, h.get)
	api.Delete("/scripts/:name", h.admin, h.remove)
	api.Post("/scripts/:name/test", h.admin, h.test)
	api.Get("/scripts/:name/runs", h.admin, h.runs)
}

// admin lets only admins manage scripts until studio permissions are wired.
func (h *handlers) admin(c *fiber.Ctx) error {
	if p, _ := identity.PrincipalFrom(c.UserContext()); !p.IsAdmin() {
		return errs.New(errs.Forbidden, "auth.forbidden", "only an admin may manage scripts")
	}
	return c.Next()
}

func name(c *fiber.Ctx) string { return strings.Clone(c.Params("name")) }

func (h *handlers) types(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/typescript; charset=utf-8")
	return c.SendString(types.DTS)
}

func (h *handlers) put(c *fiber.Ctx) error {
	var in scripts.Script
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	sc, created, err := h.s.Put(c.UserContext(), name(c), in)
	if err != nil {
		return err
	}
	if created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(sc)
}

func (h *handlers) get(c *fiber.Ctx) error {
	sc, err := h.s.Get(c.UserContext(), name(c))
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

func (h *handlers) list(c *fiber.Ctx) error {
	list, err := h.s.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *handlers) remove(c *fiber.Ctx) error {
	if err := h.s.Delete(c.UserContext(), name(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) test(c *fiber.Ctx) error {
	var req scripts.TestRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	res, err := h.s.Test(c.UserContext(), name(c), req)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (h *handlers) runs(c *fiber.Ctx) error {
	runs, err := h.s.Runs(c.UserContext(), name(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": runs})
}
