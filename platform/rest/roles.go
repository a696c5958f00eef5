package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/audit"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/httpx"
)

// RolesDeps are what the roles and sharing-rule handlers call.
type RolesDeps struct {
	Access *access.Service
	// Audit, when set, records every role and sharing-rule change.
	Audit *audit.Log
}

type rolesHandlers struct{ RolesDeps }

// MountRoles registers the roles and sharing-rule endpoints on an API
// router behind the authentication middleware (register it after Mount).
// Only admins and roles with studio rights may call them.
//
//	PUT    /roles/{name}          create or replace a role -> 200
//	GET    /roles                 {"items":[...]}, admin first
//	GET    /roles/{name}
//	DELETE /roles/{name}          204; 409 while in use
//	PUT    /sharing-rules/{name}  {"object","filter","role","access"} -> 200
//	GET    /sharing-rules
//	GET    /sharing-rules/{name}
//	DELETE /sharing-rules/{name}  204
func MountRoles(api fiber.Router, d RolesDeps) {
	h := &rolesHandlers{d}
	api.Put("/roles/:name", h.studio, audited(d.Audit, audit.RoleChanged), h.putRole)
	api.Get("/roles", h.studio, h.listRoles)
	api.Get("/roles/:name", h.studio, h.getRole)
	api.Delete("/roles/:name", h.studio, audited(d.Audit, audit.RoleDeleted), h.deleteRole)
	api.Put("/sharing-rules/:name", h.studio, audited(d.Audit, audit.RuleChanged), h.putRule)
	api.Get("/sharing-rules", h.studio, h.listRules)
	api.Get("/sharing-rules/:name", h.studio, h.getRule)
	api.Delete("/sharing-rules/:name", h.studio, audited(d.Audit, audit.RuleDeleted), h.deleteRule)
}

// RequireStudio is middleware that lets through only admins and roles with
// the studio right for action (one of the access.Studio* constants).
func RequireStudio(a *access.Service, action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := a.RequireStudio(c.UserContext(), principal(c), action); err != nil {
			return err
		}
		return c.Next()
	}
}

func (h *rolesHandlers) studio(c *fiber.Ctx) error {
	return RequireStudio(h.Access, access.StudioRoles)(c)
}

// rawBody returns a copy of the JSON body after the edge's checks
// (content type, encoding, depth, syntax).
func rawBody(c *fiber.Ctx) ([]byte, error) {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(c, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

func (h *rolesHandlers) putRole(c *fiber.Ctx) error {
	body, err := rawBody(c)
	if err != nil {
		return err
	}
	r, err := access.ParseRole(strings.Clone(c.Params("name")), body)
	if err != nil {
		return err
	}
	p := principal(c)
	saved, _, err := h.Access.PutRole(c.UserContext(), p.TenantID, r, p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(saved)
}

func (h *rolesHandlers) listRoles(c *fiber.Ctx) error {
	roles, err := h.Access.Roles(c.UserContext(), principal(c).TenantID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": roles})
}

func (h *rolesHandlers) getRole(c *fiber.Ctx) error {
	r, err := h.Access.Role(c.UserContext(), principal(c).TenantID, strings.Clone(c.Params("name")))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *rolesHandlers) deleteRole(c *fiber.Ctx) error {
	if err := h.Access.DeleteRole(c.UserContext(), principal(c).TenantID, strings.Clone(c.Params("name"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ruleBody is the body of PUT /sharing-rules/{name}.
type ruleBody struct {
	Name      string `json:"name"`
	Object    string `json:"object"`
	Filter    string `json:"filter"`
	Role      string `json:"role"`
	Access    string `json:"access"`
	Version   int64  `json:"version"`   // echoed from GET; ignored
	UpdatedAt string `json:"updatedAt"` // echoed from GET; ignored
	UpdatedBy string `json:"updatedBy"` // echoed from GET; ignored
}

func (h *rolesHandlers) putRule(c *fiber.Ctx) error {
	body, err := rawBody(c)
	if err != nil {
		return err
	}
	name := strings.Clone(c.Params("name"))
	var in ruleBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
		return badRuleBody(err)
	}
	if in.Name != "" && in.Name != name {
		return errs.New(errs.Invalid, "sharing_rule.invalid", "the sharing rule is invalid: name must be the name in the path").
			WithField("name", "mismatch", "must be the name in the path, if given")
	}
	p := principal(c)
	saved, _, err := h.Access.PutRule(c.UserContext(), p.TenantID, access.SharingRule{Name: name, Object: in.Object,
		Filter: in.Filter, Role: in.Role, Access: in.Access}, p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(saved)
}

func (h *rolesHandlers) listRules(c *fiber.Ctx) error {
	rules, err := h.Access.Rules(c.UserContext(), principal(c).TenantID)
	if err != nil {
		return err
	}
	if rules == nil {
		rules = []access.SharingRule{}
	}
	return c.JSON(fiber.Map{"items": rules})
}

func (h *rolesHandlers) getRule(c *fiber.Ctx) error {
	r, err := h.Access.Rule(c.UserContext(), principal(c).TenantID, strings.Clone(c.Params("name")))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *rolesHandlers) deleteRule(c *fiber.Ctx) error {
	if err := h.Access.DeleteRule(c.UserContext(), principal(c).TenantID, strings.Clone(c.Params("name"))); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// badRuleBody names the member of a sharing rule body that did not decode.
func badRuleBody(err error) error {
	field, code, msg := "", "invalid", "must be a JSON object"
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		field, code, msg = te.Field, "type", "must be a string"
	case strings.HasPrefix(err.Error(), `json: unknown field "`):
		field = strings.TrimSuffix(strings.TrimPrefix(err.Error(), `json: unknown field "`), `"`)
		code, msg = "unknown", "is not a member of a sharing rule"
	}
	return errs.New(errs.Invalid, "sharing_rule.invalid", "the sharing rule is invalid: %s %s", field, msg).
		WithField(field, code, msg)
}
