package rest

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
)

// related serves GET /records/{object}/{id}/related/{child}?field=&limit=
// &cursor=&filter=&sort=&fields=&expand=: the child records pointing at the
// record, in the list format.
func (h *handlers) related(c *fiber.Ctx) error {
	limit := 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errs.New(errs.Malformed, "query.bad_limit", "limit must be a whole number").WithField("limit", "type", "must be a whole number")
		}
		if n < 1 {
			n = -1
		}
		limit = n
	}
	page, err := h.Records.Related(c.UserContext(), param(c, "object"), param(c, "id"), param(c, "child"), c.Query("field"),
		records.ListOptions{Filter: c.Query("filter"), Sort: c.Query("sort"), Limit: limit, Cursor: c.Query("cursor"),
			Fields: c.Query("fields"), Expand: c.Query("expand")})
	if err != nil {
		return err
	}
	return sendJSON(c, page)
}
