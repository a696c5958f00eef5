package rest_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// undocumented are the routes the tenant's OpenAPI document leaves out on
// purpose, each with the reason. Everything else the router serves under
// /api/v1 must be documented, and everything documented must be served.
var undocumented = map[string]string{
	// Installed-app routes: the plugin that mounts them documents them.
	"POST /records/lead/:/convert": "sales plugin", "POST /records/lead/:/claim": "sales plugin",
	"POST /records/lead/:/release": "sales plugin", "POST /records/lead/:/assign": "sales plugin",
	"POST /records/lead/:/merge": "sales plugin", "POST /sales/leads/intake": "sales plugin",
	"POST /sales/dispatch": "sales plugin", "GET /sales/settings": "sales plugin", "PUT /sales/settings": "sales plugin",
	"GET /reports/sales/:": "sales plugin",
}

var paramRe = regexp.MustCompile(`\{[^}]+\}|:[A-Za-z_]+`)

// TestOpenAPI_documentsEveryRouteTheServerServes walks fiber's routes
// against the document's paths: per-object paths (/records/invoice/{id})
// stand for the generic route (/records/:object/:id).
func TestOpenAPI_documentsEveryRouteTheServerServes(t *testing.T) {
	env := setup(t)
	var doc struct {
		Paths map[string]map[string]any
	}
	env.MustDo(t, "GET", "/api/v1/openapi.json", env.Tokens["admin"], "", 200, &doc)
	objects := []string{"account", "invoice"}

	documented := map[string]bool{}
	for p, item := range doc.Paths {
		for _, o := range objects {
			for _, prefix := range []string{"/records/", "/recyclebin/"} {
				if p == prefix+o || strings.HasPrefix(p, prefix+o+"/") {
					p = prefix + ":" + strings.TrimPrefix(p, prefix+o)
				}
			}
		}
		p = paramRe.ReplaceAllString(p, ":")
		for m := range item {
			if m == "parameters" || m == "summary" || m == "description" {
				continue
			}
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, r := range env.App.Server.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "HEAD" || r.Method == "USE" || r.Method == "OPTIONS" {
			continue
		}
		key := r.Method + " " + paramRe.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), ":")
		if strings.HasSuffix(key, "/*") || strings.HasSuffix(key, "/") {
			continue // middleware mounted on a prefix
		}
		served[key] = true
	}
	var missing, phantom []string
	for k := range served {
		if !documented[k] && undocumented[k] == "" {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			phantom = append(phantom, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(phantom)
	if len(missing) > 0 {
		t.Errorf("served but not in the document:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(phantom) > 0 {
		t.Errorf("in the document but not served:\n  %s", strings.Join(phantom, "\n  "))
	}
}
