package rest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

// TestTenantIsolation: a credential of tenant B never reads or changes tenant
// A's data, whatever it guesses — ids, cursors, bulk, aggregate, expand,
// history, composite, export, scripts, metadata.
func TestTenantIsolation(t *testing.T) {
	env := setup(t) // tenant acme: account and invoice objects
	var b struct{ APIKey string }
	env.MustDo(t, "POST", "/api/v1/platform/tenants", testenv.BootstrapToken,
		`{"name":"globex","admin":{"email":"admin@globex.test","password":"globex password"}}`, 201, &b)
	bk := b.APIKey
	// B has objects of the same names, so every guess is well-formed.
	env.MustDo(t, "PUT", "/api/v1/objects/account", bk, accountDef, 201, nil)
	env.MustDo(t, "PUT", "/api/v1/objects/invoice", bk, invoiceDef, 201, nil)
	accA := create(t, env, "account", `{"name":"Secret A"}`)
	invA := create(t, env, "invoice", fmt.Sprintf(`{"amount": 99, "account": %q, "status":"sent"}`, accA["id"]))
	env.MustDo(t, "PATCH", "/api/v1/records/invoice/"+invA["id"].(string), env.Tokens["admin"], `{"status":"paid"}`, 200, nil)
	var pageA struct{ NextCursor *string }
	env.MustDo(t, "GET", "/api/v1/records/account?limit=1", env.Tokens["admin"], "", 200, nil)
	create(t, env, "account", `{"name":"Secret A2"}`)
	env.MustDo(t, "GET", "/api/v1/records/account?limit=1", env.Tokens["admin"], "", 200, &pageA)
	// A deletes a record (into its recycle bin) and saves a shared dashboard.
	binned := create(t, env, "account", `{"name":"Binned A"}`)
	env.MustDo(t, "DELETE", "/api/v1/records/account/"+binned["id"].(string), env.Tokens["admin"], "", 204, nil)
	env.MustDo(t, "PUT", "/api/v1/dashboards/board", env.Tokens["admin"], `{"label":"Board A","shared":true,"charts":[]}`, 201, nil)
	var invB map[string]any
	env.MustDo(t, "POST", "/api/v1/records/invoice", bk, fmt.Sprintf(`{"amount": 1, "account": %q}`, accA["id"]), 201, &invB)

	idA := invA["id"].(string)
	for _, s := range []testenv.Scenario{
		{Name: "get by a guessed id", Token: bk, Method: "GET", URL: "/api/v1/records/invoice/" + idA, Status: 404},
		{Name: "patch by a guessed id", Token: bk, Method: "PATCH", URL: "/api/v1/records/invoice/" + idA, Body: `{"status":"draft"}`, Status: 404},
		{Name: "delete by a guessed id", Token: bk, Method: "DELETE", URL: "/api/v1/records/invoice/" + idA, Status: 404},
		{Name: "restore by a guessed id", Token: bk, Method: "POST", URL: "/api/v1/records/invoice/" + idA + "/restore", Status: 404},
		{Name: "history by a guessed id", Token: bk, Method: "GET", URL: "/api/v1/records/invoice/" + idA + "/history", Status: 404},
		{Name: "A's cursor", Token: bk, Method: "GET", URL: "/api/v1/records/account?limit=1&cursor=" + *pageA.NextCursor, Status: 400, Problem: "query.bad_cursor"},
		{Name: "lists", Token: bk, Method: "GET", URL: "/api/v1/records/account", Status: 200, Absent: []string{"Secret A"}},
		{Name: "filters naming A's values", Token: bk, Method: "GET", URL: "/api/v1/records/invoice?filter=amount%20%3D%2099", Status: 200, Contains: []string{`"items":[]`}},
		{Name: "aggregates", Token: bk, Method: "POST", URL: "/api/v1/records/invoice/aggregate", Body: `{"measures":[{"op":"count"},{"op":"sum","field":"amount"}]}`,
			Status: 200, Contains: []string{`"count":1`, `"sum_amount":1`}},
		{Name: "expand of a lookup holding A's id", Token: bk, Method: "GET", URL: "/api/v1/records/invoice/" + invB["id"].(string) + "?expand=account",
			Status: 200, Absent: []string{"Secret A"}},
		{Name: "bulk update of A's ids", Token: bk, Method: "POST", URL: "/api/v1/records/invoice/bulk",
			Body: `{"operation":"update","records":[{"id":"` + idA + `","status":"draft"}]}`, Status: 200, Contains: []string{`"status":404`}},
		{Name: "bulk delete of A's ids", Token: bk, Method: "POST", URL: "/api/v1/records/invoice/bulk",
			Body: `{"operation":"delete","records":[{"id":"` + idA + `"}]}`, Status: 200, Contains: []string{`"status":404`}},
		{Name: "composite", Token: bk, Method: "POST", URL: "/api/v1/composite",
			Body: `{"requests":[{"ref":"a","method":"GET","url":"/api/v1/records/invoice/` + idA + `"}]}`, Status: 200, Contains: []string{`"status":404`}},
		{Name: "export", Token: bk, Method: "GET", URL: "/api/v1/records/account/export", Status: 200, Absent: []string{"Secret A"}},
		{Name: "users", Token: bk, Method: "GET", URL: "/api/v1/users", Status: 200, Absent: []string{"acme.test"}},
		{Name: "api keys", Token: bk, Method: "GET", URL: "/api/v1/apikeys", Status: 200, Absent: []string{"rep"}},
		{Name: "roles", Token: bk, Method: "GET", URL: "/api/v1/roles", Status: 200, Absent: []string{`"sales"`}},
		{Name: "recycle bin", Token: bk, Method: "GET", URL: "/api/v1/recyclebin/account", Status: 200, Absent: []string{"Binned A", binned["id"].(string)}},
		{Name: "restore of A's deleted record", Token: bk, Method: "POST", URL: "/api/v1/records/account/" + binned["id"].(string) + "/restore", Status: 404},
		{Name: "shared dashboards", Token: bk, Method: "GET", URL: "/api/v1/dashboards", Status: 200, Absent: []string{"Board A"}},
		{Name: "a shared dashboard by name", Token: bk, Method: "GET", URL: "/api/v1/dashboards/board", Status: 404},
		{Name: "workflow runs of A's record", Token: bk, Method: "GET", URL: "/api/v1/records/invoice/" + idA + "/workflow-runs", Status: 404},
		{Name: "object history", Token: bk, Method: "GET", URL: "/api/v1/objects/invoice/history", Status: 200, Contains: []string{`"version":1`}, Absent: []string{`"version":2`}},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
	// And A's data is untouched.
	var after map[string]any
	env.MustDo(t, "GET", "/api/v1/records/invoice/"+idA, env.Tokens["admin"], "", 200, &after)
	if after["status"] != "paid" || !strings.HasPrefix(after["id"].(string), idA[:4]) {
		t.Fatalf("A's record changed: %v", after)
	}
}
