package rest

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/audit"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
)

// MountAudit registers GET /audit: the tenant's security audit log, newest
// first, for admins. Query: kind, limit (1..500), cursor.
func MountAudit(api fiber.Router, l *audit.Log) {
	api.Get("/audit", func(c *fiber.Ctx) error {
		p := principal(c)
		if !p.IsAdmin() {
			return errs.New(errs.Forbidden, "auth.forbidden", "only an admin may read the audit log")
		}
		limit, _ := strconv.Atoi(c.Query("limit"))
		var after []any
		if cur := c.Query("cursor"); cur != "" {
			b, err := base64.RawURLEncoding.DecodeString(cur)
			if err != nil || json.Unmarshal(b, &after) != nil {
				return errs.New(errs.Malformed, "audit.bad_cursor", "invalid cursor")
			}
		}
		events, next, err := l.Query(c.UserContext(), p.TenantID, strings.Clone(c.Query("kind")), limit, after)
		if err != nil {
			return err
		}
		var nextCursor *string
		if next != nil {
			b, _ := json.Marshal(next)
			s := base64.RawURLEncoding.EncodeToString(b)
			nextCursor = &s
		}
		return c.JSON(fiber.Map{"items": events, "nextCursor": nextCursor})
	})
}

// audited records a successful request in the audit log as kind, with the
// route's :name as target: for the admin actions the services do not audit
// themselves (roles, sharing rules).
func audited(l *audit.Log, kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil || l == nil || c.Response().StatusCode() >= 300 {
			return err
		}
		p, _ := identity.PrincipalFrom(c.UserContext())
		e := audit.Event{Kind: kind, Actor: p.UserID, Target: strings.Clone(c.Params("name"))}
		if c.Method() == fiber.MethodPut {
			var body map[string]any
			if json.Unmarshal(c.Request().Body(), &body) == nil {
				e.Detail = body
			}
		}
		if err := l.Record(c.UserContext(), p.TenantID, e); err != nil {
			return err
		}
		return nil
	}
}
