package rest

import (
	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/records"
)

// related serves GET /records/{object}/{id}/related/{child}?field=&limit=
// &cursor=&filter=&sort=&fields=&expand=: the child records pointing at the
// record, in the list format.
func (h *handlers) related(c *fiber.Ctx) error {
	limit, err := pageLimit(c)
	if err != nil {
		return err
	}
	page, err := h.Records.Related(c.UserContext(), param(c, "object"), param(c, "id"), param(c, "child"), c.Query("field"),
		records.ListOptions{Filter: c.Query("filter"), Sort: c.Query("sort"), Limit: limit, Cursor: c.Query("cursor"),
			Fields: c.Query("fields"), Expand: c.Query("expand")})
	if err != nil {
		return err
	}
	return sendJSON(c, page)
}
