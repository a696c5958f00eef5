package rest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

// matrixEnv builds the world of the permission matrix through the API:
//
//	roles: sales (lead read/create/update, phone hidden, score read-only;
//	account read/create/update; note read/update), manager (sales plus lead
//	delete, phone readable), north_sales and south_team (sales, plus the
//	sharing rules north-leads, read, and south-leads, read-write), auditor
//	(lead viewAll only)
//	users: boss (manager), rep1 (sales, reporting to boss), rep2 (sales, a
//	peer), north, south, auditor, nobody (no role)
//	records: L1 rep1 south, L2 rep2 south, L3 rep2 north, L4 boss north;
//	accounts (x-crm-sharing read) A1 rep1, A2 rep2; note (readwrite) N2 rep2
func matrixEnv(t *testing.T) (*testenv.Env, map[string]string) {
	t.Helper()
	env := testenv.New(t)
	admin := env.Tokens["admin"]
	put := func(url, body string, want int) { env.MustDo(t, "PUT", url, admin, body, want, nil) }
	put("/api/v1/objects/account", `{"title":"Account","x-crm-sharing":"read","type":"object",
	  "properties":{"name":{"type":"string","x-crm-type":"text"}},"required":["name"]}`, 201)
	put("/api/v1/objects/note", `{"title":"Note","x-crm-sharing":"readwrite","type":"object",
	  "properties":{"title":{"type":"string","x-crm-type":"text"}},"required":["title"]}`, 201)
	put("/api/v1/objects/lead", `{"title":"Lead","x-crm-sharing":"private","type":"object","properties":{
	  "name":{"type":"string","x-crm-type":"text"},"phone":{"type":"string","x-crm-type":"phone"},
	  "score":{"type":"number","x-crm-type":"number","x-crm-history":true},
	  "region":{"type":"string","x-crm-type":"picklist","enum":["north","south"],"x-crm-indexed":true},
	  "account":{"type":"string","x-crm-type":"lookup","x-crm-target":"account"}},"required":["name"]}`, 201)
	put("/api/v1/roles/sales", `{"permissions":{
	  "lead":{"read":true,"create":true,"update":true,"fields":{"phone":"none","score":"read"}},
	  "account":{"read":true,"create":true,"update":true},
	  "note":{"read":true,"update":true}}}`, 200)
	put("/api/v1/roles/manager", `{"parent":"sales","permissions":{"lead":{"delete":true,"fields":{"phone":"read"}}}}`, 200)
	put("/api/v1/roles/north_sales", `{"parent":"sales"}`, 200)
	put("/api/v1/roles/south_team", `{"parent":"sales"}`, 200)
	put("/api/v1/roles/auditor", `{"permissions":{"lead":{"viewAll":true}}}`, 200)
	put("/api/v1/sharing-rules/north-leads", `{"object":"lead","filter":"region = 'north'","role":"north_sales","access":"read"}`, 200)
	put("/api/v1/sharing-rules/south-leads", `{"object":"lead","filter":"region = 'south'","role":"south_team","access":"readwrite"}`, 200)
	users := map[string]string{}
	for _, u := range []struct{ name, manager, role string }{
		{"boss", "", "manager"}, {"rep1", "boss", "sales"}, {"rep2", "", "sales"}, {"north", "", "north_sales"},
		{"south", "", "south_team"}, {"auditor", "", "auditor"}, {"nobody", "", ""},
	} {
		body := map[string]any{"email": u.name + "@acme.test", "password": u.name + " password", "roles": []string{}}
		if u.role != "" {
			body["roles"] = []string{u.role}
		}
		if u.manager != "" {
			body["manager"] = users[u.manager]
		}
		raw, _ := json.Marshal(body)
		var out struct{ ID string }
		env.MustDo(t, "POST", "/api/v1/users", admin, string(raw), 201, &out)
		users[u.name] = out.ID
		var key struct{ Key string }
		env.MustDo(t, "POST", "/api/v1/apikeys", admin, `{"name":"`+u.name+`","user":"`+out.ID+`"}`, 201, &key)
		env.Tokens[u.name] = key.Key
	}
	ids := map[string]string{}
	mk := func(key, object, owner, body string) {
		var out struct{ ID string }
		env.MustDo(t, "POST", "/api/v1/records/"+object, admin, strings.Replace(body, "}", `,"owner":"`+users[owner]+`"}`, 1), 201, &out)
		ids[key] = out.ID
	}
	mk("A1", "account", "rep1", `{"name":"A1"}`)
	mk("A2", "account", "rep2", `{"name":"A2"}`)
	mk("L1", "lead", "rep1", `{"name":"L1","region":"south","phone":"+1 555 0101","score":10,"account":"`+ids["A2"]+`"}`)
	mk("L2", "lead", "rep2", `{"name":"L2","region":"south","phone":"+1 555 0102","score":20}`)
	mk("L3", "lead", "rep2", `{"name":"L3","region":"north","phone":"+1 555 0103","score":30}`)
	mk("L4", "lead", "boss", `{"name":"L4","region":"north","phone":"+1 555 0104","score":40}`)
	mk("N2", "note", "rep2", `{"title":"N2"}`)
	return env, ids
}

// TestPermissionMatrix_overHTTP is the permission matrix through the REST
// API: roles × object actions × fields × the caller's relation to the
// record (own, a subordinate's, a peer's, shared by a rule, readable by the
// object's sharing). A record the caller may not see answers 404 like a
// missing one; one the caller sees but may not change answers 403.
func TestPermissionMatrix_overHTTP(t *testing.T) {
	env, ids := matrixEnv(t)
	url := func(key string, suffix ...string) string {
		object := map[byte]string{'L': "lead", 'A': "account", 'N': "note"}[key[0]]
		return "/api/v1/records/" + object + "/" + ids[key] + strings.Join(suffix, "")
	}
	count := func(n int) string { return fmt.Sprintf(`"count":%d`, n) }
	for _, s := range []testenv.Scenario{
		// rep1: their own lead; the peer's and the manager's stay invisible.
		{Name: "rep1 reads their own lead without the hidden phone", As: "rep1", Method: "GET", URL: url("L1"), Status: 200,
			Contains: []string{`"name":"L1"`, `"score":10`}, Absent: []string{`"phone"`}},
		{Name: "rep1 does not see a peer's lead", As: "rep1", Method: "GET", URL: url("L2"), Status: 404},
		{Name: "rep1 does not see their manager's lead", As: "rep1", Method: "GET", URL: url("L4"), Status: 404},
		{Name: "rep1 lists only their own leads", As: "rep1", Method: "GET", URL: "/api/v1/records/lead", Status: 200,
			Contains: []string{ids["L1"]}, Absent: []string{ids["L2"], ids["L3"], ids["L4"], `"phone"`}},
		{Name: "rep1 counts only their own leads", As: "rep1", Method: "POST", URL: "/api/v1/records/lead/aggregate", Body: `{}`,
			Status: 200, Contains: []string{count(1)}},
		{Name: "rep1 changes their own lead", As: "rep1", Method: "PATCH", URL: url("L1"), Body: `{"name":"L1 renamed"}`, Status: 200,
			Absent: []string{`"phone"`}},
		{Name: "rep1 may not write a read-only field", As: "rep1", Method: "PATCH", URL: url("L1"), Body: `{"score":99}`, Status: 403,
			Contains: []string{`"field":"score"`}},
		{Name: "rep1 may not write a hidden field", As: "rep1", Method: "PATCH", URL: url("L1"), Body: `{"phone":"+1 555 0199"}`, Status: 403,
			Contains: []string{`"field":"phone"`}},
		{Name: "rep1 may not change a peer's lead", As: "rep1", Method: "PATCH", URL: url("L2"), Body: `{"name":"x"}`, Status: 404},
		{Name: "rep1 may not delete: the role lacks it", As: "rep1", Method: "DELETE", URL: url("L1"), Status: 403},
		{Name: "rep1 does not see a peer's lead's history", As: "rep1", Method: "GET", URL: url("L2", "/history"), Status: 404},
		{Name: "rep1 expands a lookup to an account they may read", As: "rep1", Method: "GET", URL: url("L1", "?expand=account"), Status: 200,
			Contains: []string{`"name":"A2"`}},
		{Name: "rep1 may not filter on a hidden field", As: "rep1", Method: "GET", URL: "/api/v1/records/lead?filter=phone%20%3D%20'x'", Status: 400},
		{Name: "rep1 creates with a read-only field: 403", As: "rep1", Method: "POST", URL: "/api/v1/records/lead", Body: `{"name":"n","score":5}`,
			Status: 403, Contains: []string{`"field":"score"`}},
		// boss: their own and a subordinate's; the peer's stays hidden.
		{Name: "boss reads a subordinate's lead with the phone", As: "boss", Method: "GET", URL: url("L1"), Status: 200,
			Contains: []string{`"phone":"+1 555 0101"`}},
		{Name: "boss does not see rep2's lead", As: "boss", Method: "GET", URL: url("L2"), Status: 404},
		{Name: "boss lists their own and their team's", As: "boss", Method: "GET", URL: "/api/v1/records/lead", Status: 200,
			Contains: []string{ids["L1"], ids["L4"]}, Absent: []string{ids["L2"], ids["L3"]}},
		{Name: "boss changes a subordinate's lead", As: "boss", Method: "PATCH", URL: url("L1"), Body: `{"name":"L1 by boss"}`, Status: 200},
		{Name: "boss may read but not write the phone", As: "boss", Method: "PATCH", URL: url("L1"), Body: `{"phone":"+1 555 0111"}`, Status: 403},
		{Name: "boss sees a subordinate's lead's history without hidden fields", As: "boss", Method: "GET", URL: url("L1", "/history"), Status: 200},
		// north: read-only share by rule.
		{Name: "north reads a north lead shared by rule", As: "north", Method: "GET", URL: url("L3"), Status: 200,
			Contains: []string{`"region":"north"`}, Absent: []string{`"phone"`}},
		{Name: "north does not see a south lead", As: "north", Method: "GET", URL: url("L1"), Status: 404},
		{Name: "north may not change a lead shared read-only", As: "north", Method: "PATCH", URL: url("L3"), Body: `{"name":"x"}`, Status: 403,
			Contains: []string{`"code":"record.read_only"`}},
		{Name: "north counts the shared leads", As: "north", Method: "POST", URL: "/api/v1/records/lead/aggregate", Body: `{}`,
			Status: 200, Contains: []string{count(2)}},
		// south: read-write share by rule.
		{Name: "south changes a south lead shared read-write", As: "south", Method: "PATCH", URL: url("L2"), Body: `{"name":"L2 by south"}`, Status: 200},
		{Name: "south does not see a north lead", As: "south", Method: "GET", URL: url("L3"), Status: 404},
		// auditor: viewAll, nothing else.
		{Name: "auditor reads every lead", As: "auditor", Method: "POST", URL: "/api/v1/records/lead/aggregate", Body: `{}`,
			Status: 200, Contains: []string{count(4)}},
		{Name: "auditor may not change a lead", As: "auditor", Method: "PATCH", URL: url("L2"), Body: `{"name":"x"}`, Status: 403},
		{Name: "auditor may not create a lead", As: "auditor", Method: "POST", URL: "/api/v1/records/lead", Body: `{"name":"x"}`, Status: 403},
		{Name: "auditor may not read accounts", As: "auditor", Method: "GET", URL: url("A1"), Status: 403},
		// nobody: no role.
		{Name: "a user without a role is refused", As: "nobody", Method: "GET", URL: url("L1"), Status: 403},
		{Name: "a user without a role cannot list", As: "nobody", Method: "GET", URL: "/api/v1/records/lead", Status: 403},
		// accounts are x-crm-sharing read: all readable, only one's own changeable.
		{Name: "rep1 reads a peer's account", As: "rep1", Method: "GET", URL: url("A2"), Status: 200},
		{Name: "rep1 may not change a peer's account", As: "rep1", Method: "PATCH", URL: url("A2"), Body: `{"name":"x"}`, Status: 403},
		{Name: "boss changes a subordinate's account", As: "boss", Method: "PATCH", URL: url("A1"), Body: `{"name":"A1 by boss"}`, Status: 200},
		// notes are readwrite: a peer's can be changed but not deleted.
		{Name: "rep1 changes a peer's note", As: "rep1", Method: "PATCH", URL: url("N2"), Body: `{"title":"N2 by rep1"}`, Status: 200},
		{Name: "rep1 may not delete a note", As: "rep1", Method: "DELETE", URL: url("N2"), Status: 403},
		// admin: everything.
		{Name: "the admin sees every field", As: "admin", Method: "GET", URL: url("L2"), Status: 200, Contains: []string{`"phone"`}},
		// last, as they change the data: boss deletes a subordinate's lead.
		{Name: "boss deletes a subordinate's lead", As: "boss", Method: "DELETE", URL: url("L1"), Status: 204},
		{Name: "rep1 no longer sees it", As: "rep1", Method: "GET", URL: url("L1"), Status: 404},
		{Name: "rep1, its owner, finds it in the recycle bin", As: "rep1", Method: "GET",
			URL: "/api/v1/recyclebin/lead", Status: 200, Contains: []string{ids["L1"]}, Absent: []string{`"phone"`}},
		{Name: "rep2 does not find another's lead in the recycle bin", As: "rep2", Method: "GET",
			URL: "/api/v1/recyclebin/lead", Status: 200, Absent: []string{ids["L1"]}},
		{Name: "bulk creates report the hidden field per record", As: "rep1", Method: "POST", URL: "/api/v1/records/lead/bulk",
			Body: `{"operation":"create","records":[{"name":"ok"},{"name":"bad","phone":"+1 555 0100"}]}`, Status: 200,
			Contains: []string{`"field":"phone"`}},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}
