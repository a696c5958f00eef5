package rest

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/opencrm/crm/platform/errs"
)

// The query parameters each record route takes.
var (
	listParams    = []string{"filter", "sort", "limit", "cursor", "fields", "expand"}
	getParams     = []string{"fields", "expand"}
	exportParams  = []string{"filter", "sort", "fields"}
	binParams     = []string{"limit", "cursor"}
	relatedParams = []string{"field", "filter", "sort", "limit", "cursor", "fields", "expand"}
)

// params refuses a request with a query parameter the route does not take
// (400 request.unknown_parameter naming it): a misspelt ?filtre= listed
// every record, and ?purge=true on a record delete was ignored.
func params(names ...string) fiber.Handler {
	allowed := make(map[string]bool, len(names))
	for _, n := range names {
		allowed[n] = true
	}
	takes := "takes no query parameters"
	if len(names) > 0 {
		takes = "takes " + strings.Join(names, ", ")
	}
	return func(c *fiber.Ctx) error {
		var unknown string
		c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
			if unknown == "" && !allowed[string(k)] {
				unknown = string(k)
			}
		})
		if unknown != "" {
			return errs.New(errs.Malformed, "request.unknown_parameter", "unknown query parameter %q: this route %s", unknown, takes).
				WithField(unknown, "unknown_parameter", "is not a parameter of this route")
		}
		return c.Next()
	}
}

// checkParams is params for a composite sub-request's query.
func checkParams(q map[string][]string, names ...string) error {
	for k := range q {
		ok := false
		for _, n := range names {
			ok = ok || k == n
		}
		if !ok {
			return errs.New(errs.Malformed, "request.unknown_parameter", "unknown query parameter %q in the url", k).
				WithField(k, "unknown_parameter", "is not a parameter of this route")
		}
	}
	return nil
}
