// Package rest mounts the platform's own endpoints under /api/v1: tenant
// onboarding by the operator, sign-in and sign-out, API keys and users, and
// the authentication middleware every other API route stands behind. Handlers
// turn HTTP into identity calls and back; the rules live in
// platform/identity. It imports fiber, platform/httpx and platform/identity;
// never the object model.
package rest

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
	"github.com/opencrm/crm/platform/identity"
)

// Deps are what the handlers call.
type Deps struct {
	Identity *identity.Service
	// BootstrapToken, when not empty, lets the operator create tenants.
	BootstrapToken string
	// Provisioners prepare a new tenant's data for the other parts of the
	// platform (metadata, standard objects…), in order.
	Provisioners []identity.Provisioner
	// RateLimit is the sustained requests per second allowed per credential
	// (default 50) and RateBurst the burst (default 100).
	RateLimit float64
	RateBurst int
}

type handlers struct{ Deps }

// Mount registers the platform endpoints on the API router and installs the
// authentication middleware for every route registered after it. Routes that
// need no credential (onboarding with the bootstrap token, login) are
// registered before it.
func Mount(api fiber.Router, d Deps) {
	if d.RateLimit == 0 {
		d.RateLimit = 50
	}
	if d.RateBurst == 0 {
		d.RateBurst = 100
	}
	h := &handlers{d}
	api.Post("/platform/tenants", h.createTenant)
	api.Post("/auth/login", httpx.RateLimit(func(c *fiber.Ctx) string { return "login:" + c.IP() }, 5, 20), h.login)
	// The caller's address goes into audit entries of sign-ins.

	api.Use(h.authenticate)
	api.Use(httpx.RateLimit(func(c *fiber.Ctx) string {
		p, _ := identity.PrincipalFrom(c.UserContext())
		return p.CredentialID
	}, d.RateLimit, d.RateBurst))

	api.Post("/auth/logout", h.logout)
	api.Get("/auth/me", h.me)
	api.Post("/apikeys", h.admin, h.createKey)
	api.Get("/apikeys", h.admin, h.listKeys)
	api.Delete("/apikeys/:id", h.admin, h.revokeKey)
	api.Post("/users", h.admin, h.createUser)
	api.Get("/users", h.admin, h.listUsers)
	api.Get("/users/:id", h.admin, h.getUser)
	api.Patch("/users/:id", h.admin, h.updateUser)
	api.Delete("/users/:id", h.admin, h.deactivateUser)
}

// authenticate turns the bearer credential into the request's principal.
func (h *handlers) authenticate(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if !ok {
		return errs.New(errs.Unauthenticated, "auth.missing_credential", "send an API key or session token as 'Authorization: Bearer <token>'")
	}
	p, err := h.Identity.Authenticate(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.SetUserContext(identity.WithPrincipal(c.UserContext(), p))
	return c.Next()
}

// admin lets only the tenant's admins through. Finer studio permissions come
// with the access package.
func (h *handlers) admin(c *fiber.Ctx) error {
	if p, _ := identity.PrincipalFrom(c.UserContext()); !p.IsAdmin() {
		return errs.New(errs.Forbidden, "auth.forbidden", "only an admin may do this")
	}
	return c.Next()
}

func bearer(c *fiber.Ctx) (string, bool) {
	v := c.Get(fiber.HeaderAuthorization)
	const prefix = "bearer "
	if len(v) <= len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return "", false
	}
	return strings.Clone(strings.TrimSpace(v[len(prefix):])), true
}

func principal(c *fiber.Ctx) identity.Principal {
	p, _ := identity.PrincipalFrom(c.UserContext())
	return p
}

type newTenant struct {
	Name  string           `json:"name"`
	Admin identity.NewUser `json:"admin"`
}

func (h *handlers) createTenant(c *fiber.Ctx) error {
	token, ok := bearer(c)
	if h.BootstrapToken == "" {
		return errs.New(errs.Unauthenticated, "auth.bootstrap_disabled", "tenant creation is disabled: start the server with CRM_BOOTSTRAP_TOKEN set")
	}
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(h.BootstrapToken)) != 1 {
		return errs.New(errs.Unauthenticated, "auth.invalid_bootstrap_token", "a valid bootstrap token is required to create tenants")
	}
	var in newTenant
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	out, err := h.Identity.Onboard(c.UserContext(), in.Name, in.Admin, h.Provisioners...)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the answer holds a secret
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"tenant": fiber.Map{"id": out.Tenant.ID, "name": out.Tenant.Name},
		"admin":  out.Admin,
		"apiKey": out.APIKey,
	})
}

type loginBody struct {
	Tenant   string `json:"tenant"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (h *handlers) login(c *fiber.Ctx) error {
	var in loginBody
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	ctx := identity.WithClientIP(c.UserContext(), strings.Clone(c.IP()))
	s, err := h.Identity.Login(ctx, in.Tenant, in.Email, in.Password)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the answer holds a secret
	return c.JSON(s)
}

func (h *handlers) logout(c *fiber.Ctx) error {
	if err := h.Identity.Logout(c.UserContext(), principal(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) me(c *fiber.Ctx) error { return c.JSON(principal(c)) }

type newKey struct {
	Name string `json:"name"`
	User string `json:"user"`
}

func (h *handlers) createKey(c *fiber.Ctx) error {
	var in newKey
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	p := principal(c)
	if in.User == "" {
		in.User = p.UserID
	}
	k, full, err := h.Identity.CreateAPIKey(c.UserContext(), p.TenantID, in.Name, in.User)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the answer holds a secret
	c.Location("/api/v1/apikeys/" + k.ID)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": k.ID, "key": full, "name": k.Name, "user": k.User,
		"prefix": k.Prefix, "createdAt": k.CreatedAt})
}

func (h *handlers) listKeys(c *fiber.Ctx) error {
	keys, err := h.Identity.ListAPIKeys(c.UserContext(), principal(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": keys})
}

func (h *handlers) revokeKey(c *fiber.Ctx) error {
	if err := h.Identity.RevokeAPIKey(c.UserContext(), principal(c).TenantID, strings.Clone(c.Params("id"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) createUser(c *fiber.Ctx) error {
	var in identity.NewUser
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.Identity.CreateUser(c.UserContext(), principal(c).TenantID, in)
	if err != nil {
		return err
	}
	c.Location("/api/v1/users/" + u.ID)
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (h *handlers) listUsers(c *fiber.Ctx) error {
	users, err := h.Identity.ListUsers(c.UserContext(), principal(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": users})
}

func (h *handlers) getUser(c *fiber.Ctx) error {
	u, err := h.Identity.GetUser(c.UserContext(), principal(c).TenantID, strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (h *handlers) updateUser(c *fiber.Ctx) error {
	var in identity.UserPatch
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.Identity.UpdateUser(c.UserContext(), principal(c).TenantID, strings.Clone(c.Params("id")), in)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (h *handlers) deactivateUser(c *fiber.Ctx) error {
	p := principal(c)
	id := strings.Clone(c.Params("id"))
	if id == p.UserID {
		return errs.New(errs.Conflict, "user.self", "you cannot deactivate yourself")
	}
	if err := h.Identity.DeactivateUser(c.UserContext(), p.TenantID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
