package rest_test

import (
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

func TestRecycleBinAPI(t *testing.T) {
	env := setup(t)
	env.MustDo(t, "PUT", "/api/v1/roles/sales", env.Tokens["admin"], `{"permissions":{
		"invoice":{"read":true,"create":true,"update":true,"delete":true,"fields":{"email":"none"}}}}`, 200, nil)
	var own, kept rec
	env.MustDo(t, "POST", "/api/v1/records/invoice", env.Tokens["rep"], `{"amount": 5}`, 201, &own)
	env.MustDo(t, "POST", "/api/v1/records/invoice", env.Tokens["rep"], `{"amount": 6}`, 201, &kept)
	adminInv := create(t, env, "invoice", `{"amount": 10, "email": "boss@acme.test"}`)
	for _, id := range []string{own["id"].(string), adminInv["id"].(string)} {
		env.MustDo(t, "DELETE", "/api/v1/records/invoice/"+id, env.Tokens["admin"], "", 204, nil)
	}
	var first struct {
		Items []struct {
			ID, Object, DeletedAt, DeletedBy string
			Record                           rec
		}
		NextCursor *string
	}
	env.MustDo(t, "GET", "/api/v1/recyclebin/invoice?limit=1", env.Tokens["admin"], "", 200, &first)
	if len(first.Items) != 1 || first.NextCursor == nil {
		t.Fatalf("first page = %+v, want one deletion and a cursor", first)
	}
	e := first.Items[0]
	if e.Object != "invoice" || e.DeletedAt == "" || e.DeletedBy == "" || e.Record["id"] != e.ID || e.Record["amount"] == nil {
		t.Fatalf("entry = %+v", e)
	}
	second := own["id"].(string) // deletions of one millisecond come in id order
	if e.ID == second {
		second = adminInv["id"].(string)
	}
	for _, s := range []testenv.Scenario{
		{Name: "the next page holds the older deletion", As: "admin", Method: "GET", URL: "/api/v1/recyclebin/invoice?limit=1&cursor=" + *first.NextCursor,
			Status: 200, Contains: []string{second, `"nextCursor":null`}, Absent: []string{e.ID}},
		{Name: "a user sees only what they could restore, with field access applied", As: "rep", Method: "GET", URL: "/api/v1/recyclebin/invoice",
			Status: 200, Contains: []string{own["id"].(string)}, Absent: []string{adminInv["id"].(string), "boss@acme.test", kept["id"].(string)}},
		{Name: "another user's cursor is refused", As: "rep", Method: "GET", URL: "/api/v1/recyclebin/invoice?cursor=" + *first.NextCursor, Status: 400},
		{Name: "a bad limit is refused", As: "admin", Method: "GET", URL: "/api/v1/recyclebin/invoice?limit=0", Status: 400},
		{Name: "an object the role does not name is 403", As: "rep", Method: "GET", URL: "/api/v1/recyclebin/account", Status: 403},
		{Name: "an unknown object is 404", As: "admin", Method: "GET", URL: "/api/v1/recyclebin/nothing", Status: 404},
		{Name: "a restored record leaves the bin", As: "rep", Method: "POST", URL: "/api/v1/records/invoice/" + own["id"].(string) + "/restore", Status: 200},
		{Name: "and is no longer listed", As: "admin", Method: "GET", URL: "/api/v1/recyclebin/invoice", Status: 200,
			Contains: []string{adminInv["id"].(string)}, Absent: []string{own["id"].(string)}},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}
