package rest

import (
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/objects/openapi"
	"github.com/opencrm/crm/objects/schema"
)

// openAPICache keeps each tenant's generated document for its current
// metadata version.
type openAPICache struct {
	mu   sync.Mutex
	docs map[string]cachedDoc
}

type cachedDoc struct {
	version int64
	body    []byte
}

// openAPI serves the tenant's OpenAPI 3.1 document, generated from its
// objects as they are now.
func (h *handlers) openAPI(c *fiber.Ctx) error {
	tenant := tenantOf(c).TenantID
	ctx := c.UserContext()
	v, err := h.Meta.Version(ctx, tenant)
	if err != nil {
		return err
	}
	h.docs.mu.Lock()
	d, ok := h.docs.docs[tenant]
	h.docs.mu.Unlock()
	if !ok || d.version != v {
		entries, err := h.Meta.Objects(ctx, tenant)
		if err != nil {
			return err
		}
		objs := make([]*schema.Object, 0, len(entries))
		for _, e := range entries {
			objs = append(objs, e.Object)
		}
		body, err := openapi.Generate(openapi.Input{Title: "CRM API — " + tenantOf(c).TenantName,
			Version: strconv.FormatInt(v, 10), ServerURL: "/api/v1", Objects: objs})
		if err != nil {
			return err
		}
		d = cachedDoc{version: v, body: body}
		h.docs.mu.Lock()
		h.docs.docs[tenant] = d
		h.docs.mu.Unlock()
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(d.body)
}
