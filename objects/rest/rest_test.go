package rest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

const accountDef = `{"title":"Account","x-crm-plural":"Accounts","type":"object",
 "properties":{"name":{"type":"string","x-crm-type":"text"},
  "region":{"type":"string","x-crm-type":"picklist","enum":["north","south"]}},
 "required":["name"]}`

const invoiceDef = `{
  "title": "Invoice", "x-crm-plural": "Invoices", "x-crm-sharing": "private", "type": "object",
  "properties": {
    "number":  {"type": "string", "x-crm-type": "autonumber", "x-crm-format": "INV-{0000}"},
    "amount":  {"type": "number", "x-crm-type": "currency", "minimum": 0},
    "status":  {"type": "string", "x-crm-type": "picklist", "enum": ["draft", "sent", "paid"], "default": "draft", "x-crm-history": true},
    "account": {"type": "string", "x-crm-type": "lookup", "x-crm-target": "account", "x-crm-indexed": true},
    "email":   {"type": "string", "x-crm-type": "email", "x-crm-unique": true}
  },
  "required": ["amount"]
}`

// setup makes the account and invoice objects of API.md's example.
func setup(t *testing.T) *testenv.Env {
	t.Helper()
	env := testenv.New(t)
	env.MustDo(t, "PUT", "/api/v1/objects/account", env.Tokens["admin"], accountDef, 201, nil)
	env.MustDo(t, "PUT", "/api/v1/objects/invoice", env.Tokens["admin"], invoiceDef, 201, nil)
	env.MustDo(t, "PUT", "/api/v1/roles/sales", env.Tokens["admin"], `{"permissions":{
		"account":{"read":true,"create":true,"update":true,"delete":true},
		"invoice":{"read":true,"create":true,"update":true,"delete":false,"fields":{"email":"none","amount":"read"}}}}`, 200, nil)
	var rep struct{ ID string }
	env.MustDo(t, "POST", "/api/v1/users", env.Tokens["admin"], `{"email":"rep@acme.test","password":"rep password","roles":["sales"]}`, 201, &rep)
	var key struct{ Key string }
	env.MustDo(t, "POST", "/api/v1/apikeys", env.Tokens["admin"], `{"name":"rep","user":"`+rep.ID+`"}`, 201, &key)
	env.Tokens["rep"] = key.Key
	return env
}

type rec map[string]any

func create(t *testing.T, env *testenv.Env, object, body string) rec {
	t.Helper()
	var r rec
	env.MustDo(t, "POST", "/api/v1/records/"+object, env.Tokens["admin"], body, 201, &r)
	return r
}

func TestObjectsAPI(t *testing.T) {
	env := setup(t)
	create(t, env, "invoice", `{"amount": 10}`)
	for _, s := range []testenv.Scenario{
		{Name: "objects are listed", As: "admin", Method: "GET", URL: "/api/v1/objects", Status: 200,
			Contains: []string{`"apiName":"invoice"`, `"pluralLabel":"Invoices"`, `"apiName":"account"`}},
		{Name: "a definition is described with system fields and version", As: "admin", Method: "GET", URL: "/api/v1/objects/invoice",
			Status: 200, Contains: []string{`"createdAt"`, `"owner"`, `"version":1`, `"x-crm-format":"INV-{0000}"`}},
		{Name: "an unknown object is 404", As: "admin", Method: "GET", URL: "/api/v1/objects/nope", Status: 404, Problem: "object.not_found"},
		{Name: "a bad definition points at the keyword", As: "admin", Method: "PUT", URL: "/api/v1/objects/thing",
			Body: `{"title":"T","type":"object","properties":{"a":{"type":"string","x-crm-type":"nope"}}}`, Status: 422,
			Contains: []string{`"field":"/properties/a/x-crm-type"`}},
		{Name: "a bad API name is refused", As: "admin", Method: "PUT", URL: "/api/v1/objects/Bad-Name",
			Body: accountDef, Status: 422},
		{Name: "only admins and studio roles change definitions", As: "rep", Method: "PUT", URL: "/api/v1/objects/thing",
			Body: accountDef, Status: 403, Problem: "access.studio_forbidden"},
		{Name: "dropping a field with data is refused", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice",
			Body:   strings.Replace(invoiceDef, `"email":   {"type": "string", "x-crm-type": "email", "x-crm-unique": true}`, `"note": {"type":"string","x-crm-type":"text"}`, 1),
			Status: 409, Problem: "metadata.change_refused"},
		{Name: "a dry run reports the plan", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice?dryRun=true",
			Body: strings.Replace(invoiceDef, `"title": "Invoice"`, `"title": "Bill"`, 1), Status: 200, Contains: []string{`"dryRun":true`}},
		{Name: "deleting an object with records is refused", As: "admin", Method: "DELETE", URL: "/api/v1/objects/invoice",
			Status: 409, Problem: "object.has_records"},
		{Name: "an object another points at cannot be deleted", As: "admin", Method: "DELETE", URL: "/api/v1/objects/account?purge=true",
			Status: 409, Problem: "metadata.referenced"},
		{Name: "history lists versions", As: "admin", Method: "GET", URL: "/api/v1/objects/invoice/history", Status: 200,
			Contains: []string{`"op":"created"`}},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
	t.Run("a label change makes version 2; purge deletes", func(t *testing.T) {
		env.MustDo(t, "PUT", "/api/v1/objects/invoice", env.Tokens["admin"], strings.Replace(invoiceDef, `"title": "Invoice"`, `"title": "Bill"`, 1), 200, nil)
		var d map[string]any
		env.MustDo(t, "GET", "/api/v1/objects/invoice", env.Tokens["admin"], "", 200, &d)
		if d["title"] != "Bill" || d["version"] != float64(2) {
			t.Fatalf("definition %v", d)
		}
		env.MustDo(t, "DELETE", "/api/v1/objects/invoice?purge=true", env.Tokens["admin"], "", 204, nil)
		env.MustDo(t, "GET", "/api/v1/records/invoice", env.Tokens["admin"], "", 404, nil)
	})
}

func TestRecordsAPI(t *testing.T) {
	env := setup(t)
	acc := create(t, env, "account", `{"name":"Acme Ltd","region":"north"}`)
	inv := create(t, env, "invoice", fmt.Sprintf(`{"amount": 1200.50, "account": %q, "email": "ap@acme.test"}`, acc["id"]))
	invURL := "/api/v1/records/invoice/" + inv["id"].(string)

	for _, s := range []testenv.Scenario{
		{Name: "create fills defaults, auto-numbers and system fields", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount": 3}`, Status: 201, Contains: []string{`"number":"INV-0002"`, `"status":"draft"`, `"version":1`, `"createdAt":"`, `"owner":"`}},
		{Name: "an unknown field is refused", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount": 1, "amuont": 2}`, Status: 422, Problem: "record.invalid", Contains: []string{`"field":"amuont"`, `"code":"unknown_field"`}},
		{Name: "a system field with another value is refused", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount": 1, "createdAt": "2020-01-01T00:00:00.000Z"}`, Status: 422, Contains: []string{`"field":"createdAt"`}},
		{Name: "a missing required field is named", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"status":"sent"}`, Status: 422, Contains: []string{`"field":"amount"`, `"code":"required"`}},
		{Name: "a constraint is checked", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount": -1}`, Status: 422, Contains: []string{`"field":"amount"`, `"code":"minimum"`}},
		{Name: "a value outside the picklist is refused", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount": 1, "status": "lost"}`, Status: 422, Contains: []string{`"field":"status"`}},
		{Name: "a duplicate unique value is a conflict naming the field", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount": 1, "email": "ap@acme.test"}`, Status: 409, Problem: "record.duplicate", Contains: []string{`"field":"email"`}},
		{Name: "a malformed body is a 400", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount": `, Status: 400, Problem: "request.malformed_body"},
		{Name: "a body that is not an object is a 422", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `[1,2]`, Status: 422},
		{Name: "records of an unknown object are 404", As: "admin", Method: "GET", URL: "/api/v1/records/nope", Status: 404, Problem: "object.not_found"},
		{Name: "an unknown record is 404", As: "admin", Method: "GET", URL: "/api/v1/records/invoice/nope", Status: 404, Problem: "record.not_found"},
		{Name: "no credential is 401", Method: "GET", URL: invURL, Status: 401},
		{Name: "get renders exact currency", As: "admin", Method: "GET", URL: invURL, Status: 200, Contains: []string{`"amount":1200.5`}},
		{Name: "fields projects", As: "admin", Method: "GET", URL: invURL + "?fields=amount", Status: 200,
			Contains: []string{`"amount"`, `"id"`, `"version"`}, Absent: []string{`"email"`, `"status"`}},
		{Name: "expand inlines the lookup", As: "admin", Method: "GET", URL: invURL + "?expand=account", Status: 200,
			Contains: []string{`"account":{`, `"name":"Acme Ltd"`}},
		{Name: "expand of a non-lookup is a 400", As: "admin", Method: "GET", URL: invURL + "?expand=amount", Status: 400},
		{Name: "fields with an unknown field is a 400", As: "admin", Method: "GET", URL: invURL + "?fields=nope", Status: 400},
		{Name: "a bad If-Match is a 400", As: "admin", Method: "PATCH", URL: invURL, Body: `{"status":"sent"}`,
			Header: []string{"If-Match", "yesterday"}, Status: 400},
		{Name: "a stale If-Match is a 412", As: "admin", Method: "PATCH", URL: invURL, Body: `{"status":"sent"}`,
			Header: []string{"If-Match", `"7"`}, Status: 412, Problem: "record.stale"},
		{Name: "a patch with the current If-Match succeeds", As: "admin", Method: "PATCH", URL: invURL, Body: `{"status":"sent"}`,
			Header: []string{"If-Match", `"1"`}, Status: 200, Contains: []string{`"status":"sent"`, `"version":2`}},
		{Name: "a patch may clear an optional field", As: "admin", Method: "PATCH", URL: invURL, Body: `{"email":null}`,
			Status: 200, Absent: []string{`"email"`}},
		{Name: "a patch may not clear a required field", As: "admin", Method: "PATCH", URL: invURL, Body: `{"amount":null}`,
			Status: 422, Contains: []string{`"field":"amount"`}},
		{Name: "the owner cannot be cleared", As: "admin", Method: "PATCH", URL: invURL, Body: `{"owner":null}`,
			Status: 422, Contains: []string{`"field":"owner"`}},
		{Name: "the owner must be a user", As: "admin", Method: "PATCH", URL: invURL, Body: `{"owner":"nobody"}`,
			Status: 422, Contains: []string{`"field":"owner"`}},
		{Name: "field history records the change", As: "admin", Method: "GET", URL: invURL + "/history", Status: 200,
			Contains: []string{`"field":"status"`, `"from":"draft"`, `"to":"sent"`}},
		{Name: "a limit over 200 is a 400", As: "admin", Method: "GET", URL: "/api/v1/records/invoice?limit=201", Status: 400},
		{Name: "a filter syntax error names the position", As: "admin", Method: "GET", URL: "/api/v1/records/invoice?filter=amount%20%3E%3D%20", Status: 400,
			Problem: "query.syntax", Contains: []string{`"position"`}},
		{Name: "a filter on an unknown field is a 400", As: "admin", Method: "GET", URL: "/api/v1/records/invoice?filter=nope%20%3D%201", Status: 400, Problem: "query.unknown_field"},
		{Name: "a forged cursor is a 400", As: "admin", Method: "GET", URL: "/api/v1/records/invoice?cursor=AAAAforged", Status: 400, Problem: "query.bad_cursor"},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}

	t.Run("a body over 1 MiB is a 413 before it is read", func(t *testing.T) {
		// Raw HTTP: the server answers as soon as it sees the length, so a
		// client still writing the body could see a reset instead.
		conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/v1/records/invoice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", env.Tokens["admin"], 2<<20)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 413 || !strings.Contains(string(b), "problem") && !strings.Contains(res.Header.Get("Content-Type"), "problem") {
			t.Fatalf("%d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
		}
	})
	t.Run("delete moves to the recycle bin; restore brings it back", func(t *testing.T) {
		r := create(t, env, "invoice", `{"amount": 5, "email": "bin@acme.test"}`)
		u := "/api/v1/records/invoice/" + r["id"].(string)
		env.MustDo(t, "DELETE", u, env.Tokens["admin"], "", 204, nil)
		env.MustDo(t, "GET", u, env.Tokens["admin"], "", 404, nil)
		env.MustDo(t, "DELETE", u, env.Tokens["admin"], "", 404, nil)
		var back rec
		env.MustDo(t, "POST", u+"/restore", env.Tokens["admin"], "", 200, &back)
		if back["email"] != "bin@acme.test" || back["number"] != r["number"] {
			t.Fatalf("restored %v", back)
		}
		env.MustDo(t, "GET", u, env.Tokens["admin"], "", 200, nil)
		env.MustDo(t, "POST", u+"/restore", env.Tokens["admin"], "", 404, nil)
	})
}

func TestRecordsAPI_listPagesEveryRecordOnce(t *testing.T) {
	env := setup(t)
	var bulk struct {
		Results []struct {
			Status int
			ID     string
		}
	}
	var recs []string
	for i := 0; i < 45; i++ {
		recs = append(recs, fmt.Sprintf(`{"amount": %d, "status": %q}`, i%7, []string{"draft", "sent", "paid"}[i%3]))
	}
	env.MustDo(t, "POST", "/api/v1/records/invoice/bulk", env.Tokens["admin"], `{"operation":"create","records":[`+strings.Join(recs, ",")+`]}`, 200, &bulk)
	seen := map[string]bool{}
	url := "/api/v1/records/invoice?filter=status%20!%3D%20'paid'&sort=-amount,number&limit=7"
	prev := 1 << 30
	for pages := 0; ; pages++ {
		var page struct {
			Items      []rec
			NextCursor *string
		}
		env.MustDo(t, "GET", url, env.Tokens["admin"], "", 200, &page)
		for _, r := range page.Items {
			if seen[r["id"].(string)] || r["status"] == "paid" {
				t.Fatalf("record %v seen twice or not filtered", r)
			}
			seen[r["id"].(string)] = true
			if a := int(r["amount"].(float64)); a > prev {
				t.Fatalf("amount %d after %d: not sorted", a, prev)
			} else {
				prev = a
			}
		}
		if page.NextCursor == nil {
			break
		}
		url = "/api/v1/records/invoice?filter=status%20!%3D%20'paid'&sort=-amount,number&limit=7&cursor=" + *page.NextCursor
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 30 {
		t.Fatalf("listed %d records, want the 30 that are not paid", len(seen))
	}
	t.Run("a cursor of another filter is refused", func(t *testing.T) {
		var page struct{ NextCursor *string }
		env.MustDo(t, "GET", "/api/v1/records/invoice?limit=2", env.Tokens["admin"], "", 200, &page)
		env.MustDo(t, "GET", "/api/v1/records/invoice?limit=2&sort=amount&cursor="+*page.NextCursor, env.Tokens["admin"], "", 400, nil)
		env.MustDo(t, "GET", "/api/v1/records/invoice?limit=2&cursor="+*page.NextCursor, env.Tokens["rep"], "", 400, nil)
	})
}

func TestRecordsAPI_bulkAndAggregate(t *testing.T) {
	env := setup(t)
	var out struct {
		Results []struct {
			Index  int
			ID     string
			Status int
			Error  *struct{ Code string }
		}
	}
	env.MustDo(t, "POST", "/api/v1/records/invoice/bulk", env.Tokens["admin"], `{"operation":"create","records":[
		{"amount": 100.10, "status":"sent", "email":"a@x.test"}, {"amount": -5}, {"amount": 0.20, "status":"sent"}, {"amount": 7, "email":"a@x.test"}]}`, 200, &out)
	got := []int{out.Results[0].Status, out.Results[1].Status, out.Results[2].Status, out.Results[3].Status}
	if fmt.Sprint(got) != "[201 422 201 409]" || out.Results[3].Error.Code != "record.duplicate" {
		t.Fatalf("bulk statuses %v (%+v)", got, out.Results)
	}
	env.MustDo(t, "POST", "/api/v1/records/invoice/bulk", env.Tokens["admin"], `{"operation":"upsert","externalIdField":"email","records":[
		{"email":"a@x.test","amount": 100.30}, {"email":"b@x.test","amount": 1, "status":"paid"}]}`, 200, &out)
	if out.Results[0].Status != 200 || out.Results[1].Status != 201 {
		t.Fatalf("upsert statuses %+v", out.Results)
	}
	env.MustDo(t, "POST", "/api/v1/records/invoice/bulk", env.Tokens["admin"], `{"operation":"upsert","externalIdField":"amount","records":[{"amount":1}]}`, 400, nil)
	var many []string
	for i := 0; i < 1001; i++ {
		many = append(many, `{"amount":1}`)
	}
	env.MustDo(t, "POST", "/api/v1/records/invoice/bulk", env.Tokens["admin"], `{"operation":"create","records":[`+strings.Join(many, ",")+`]}`, 413, nil)

	var agg struct{ Rows []map[string]any }
	env.MustDo(t, "POST", "/api/v1/records/invoice/aggregate", env.Tokens["admin"],
		`{"groupBy":["status"],"measures":[{"op":"count"},{"op":"sum","field":"amount"}]}`, 200, &agg)
	b, _ := json.Marshal(agg.Rows)
	if string(b) != `[{"count":1,"status":"paid","sum_amount":1},{"count":2,"status":"sent","sum_amount":100.5}]` {
		t.Fatalf("aggregate rows %s", b)
	}
	env.MustDo(t, "POST", "/api/v1/records/invoice/aggregate", env.Tokens["admin"], `{"groupBy":["nope"]}`, 400, nil)
	env.MustDo(t, "POST", "/api/v1/records/invoice/aggregate", env.Tokens["admin"], `{"measures":[{"op":"sum","field":"status"}]}`, 400, nil)
}

func TestRecordsAPI_concurrency(t *testing.T) {
	env := setup(t)
	t.Run("two clients patching with the same If-Match: exactly one wins", func(t *testing.T) {
		r := create(t, env, "invoice", `{"amount": 1}`)
		u := "/api/v1/records/invoice/" + r["id"].(string)
		codes := make([]int, 8)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = env.Do(t, "PATCH", u, env.Tokens["admin"], fmt.Sprintf(`{"amount": %d}`, i+2), "If-Match", `"1"`).Status
			}()
		}
		wg.Wait()
		wins := 0
		for _, c := range codes {
			switch c {
			case 200:
				wins++
			case 412:
			default:
				t.Fatalf("status %d", c)
			}
		}
		if wins != 1 {
			t.Fatalf("%d winners, want 1 (%v)", wins, codes)
		}
	})
	t.Run("concurrent retries of one Idempotency-Key make one record", func(t *testing.T) {
		ids := make([]string, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := env.Do(t, "POST", "/api/v1/records/invoice", env.Tokens["admin"], `{"amount": 42, "email":"idem@x.test"}`, "Idempotency-Key", "k-1")
				var r rec
				if res.Status != 201 || json.Unmarshal(res.Body, &r) != nil {
					t.Errorf("status %d: %s", res.Status, res.Body)
					return
				}
				ids[i], _ = r["id"].(string)
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] || id == "" {
				t.Fatalf("ids %v: want one record", ids)
			}
		}
		res := env.Do(t, "POST", "/api/v1/records/invoice", env.Tokens["admin"], `{"amount": 43}`, "Idempotency-Key", "k-1")
		if res.Status != 422 {
			t.Fatalf("same key, other body: %d %s", res.Status, res.Body)
		}
		var n struct{ Rows []map[string]any }
		env.MustDo(t, "POST", "/api/v1/records/invoice/aggregate", env.Tokens["admin"], `{"filter":"email = 'idem@x.test'"}`, 200, &n)
		if len(n.Rows) != 1 || n.Rows[0]["count"] != float64(1) {
			t.Fatalf("count %v", n.Rows)
		}
	})
	t.Run("a burst over the rate limit is a 429 with Retry-After", func(t *testing.T) {
		var limited bool
		for i := 0; i < 400 && !limited; i++ {
			res := env.Do(t, "GET", "/api/v1/auth/me", env.Tokens["rep"], "")
			if res.Status == 429 {
				limited = res.Header.Get("Retry-After") != ""
			}
		}
		if !limited {
			t.Fatal("400 requests in a burst were never limited")
		}
	})
}

func TestOpenAPI_describesTheTenantsObjectsAsTheyAreNow(t *testing.T) {
	env := setup(t)
	var doc struct {
		OpenAPI    string
		Info       struct{ Version string }
		Paths      map[string]any
		Components struct{ Schemas map[string]any }
	}
	env.MustDo(t, "GET", "/api/v1/openapi.json", env.Tokens["admin"], "", 200, &doc)
	if doc.OpenAPI != "3.1.0" || doc.Paths["/records/invoice/{id}"] == nil || doc.Components.Schemas["Invoice"] == nil {
		t.Fatalf("document: openapi %q, %d paths, %d schemas", doc.OpenAPI, len(doc.Paths), len(doc.Components.Schemas))
	}
	env.MustDo(t, "PUT", "/api/v1/objects/ticket", env.Tokens["admin"], `{"title":"Ticket","type":"object","properties":{"subject":{"type":"string","x-crm-type":"text"}}}`, 201, nil)
	env.MustDo(t, "GET", "/api/v1/openapi.json", env.Tokens["admin"], "", 200, &doc)
	if doc.Paths["/records/ticket"] == nil {
		t.Fatal("a new object is not in the document")
	}
	env.MustDo(t, "GET", "/api/v1/openapi.json", "", "", 401, nil)
}

func TestObjectsAPI_keepsFieldOrder(t *testing.T) {
	env := setup(t)
	res := env.Do(t, "GET", "/api/v1/objects/invoice", env.Tokens["admin"], "")
	body := string(res.Body)
	order := []string{`"number"`, `"amount"`, `"status"`, `"account"`, `"email"`}
	last := -1
	for _, f := range order {
		i := strings.Index(body, f)
		if i < last {
			t.Fatalf("%s is out of the definition's order: %s", f, body)
		}
		last = i
	}
	if !strings.HasPrefix(body, `{"apiName":"invoice","updatedAt":`) {
		t.Fatalf("head %s", body[:60])
	}
}

func TestRecordsAPI_permissions(t *testing.T) {
	env := setup(t)
	adminInv := create(t, env, "invoice", `{"amount": 10, "email": "boss@acme.test"}`)
	var own rec
	env.MustDo(t, "POST", "/api/v1/records/invoice", env.Tokens["rep"], `{"status":"sent"}`, 422, nil) // amount is required but read-only for the rep
	env.MustDo(t, "PUT", "/api/v1/roles/sales", env.Tokens["admin"], `{"permissions":{
		"invoice":{"read":true,"create":true,"update":true,"fields":{"email":"none"}}}}`, 200, nil)
	env.MustDo(t, "POST", "/api/v1/records/invoice", env.Tokens["rep"], `{"amount": 5}`, 201, &own)
	for _, s := range []testenv.Scenario{
		{Name: "a private record of another user is invisible", As: "rep", Method: "GET", URL: "/api/v1/records/invoice/" + adminInv["id"].(string), Status: 404},
		{Name: "lists hold only visible records", As: "rep", Method: "GET", URL: "/api/v1/records/invoice", Status: 200,
			Contains: []string{own["id"].(string)}, Absent: []string{adminInv["id"].(string)}},
		{Name: "a hidden field is absent from answers", As: "rep", Method: "GET", URL: "/api/v1/records/invoice/" + own["id"].(string), Status: 200, Absent: []string{`"email"`}},
		{Name: "writing a hidden field is 403 naming it", As: "rep", Method: "PATCH", URL: "/api/v1/records/invoice/" + own["id"].(string),
			Body: `{"email":"x@y.test"}`, Status: 403, Contains: []string{`"field":"email"`}},
		{Name: "filtering on a hidden field is as if it did not exist", As: "rep", Method: "GET", URL: "/api/v1/records/invoice?filter=email%20%3D%20'x'", Status: 400},
		{Name: "an action the role lacks is 403", As: "rep", Method: "DELETE", URL: "/api/v1/records/invoice/" + own["id"].(string), Status: 403},
		{Name: "an object the role does not name is 403", As: "rep", Method: "GET", URL: "/api/v1/records/account", Status: 403},
		{Name: "aggregates count only visible records", As: "rep", Method: "POST", URL: "/api/v1/records/invoice/aggregate", Body: `{}`, Status: 200, Contains: []string{`"count":1`}},
		{Name: "the admin sees everything", As: "admin", Method: "POST", URL: "/api/v1/records/invoice/aggregate", Body: `{}`, Status: 200, Contains: []string{`"count":2`}},
		{Name: "roles are for admins", As: "rep", Method: "PUT", URL: "/api/v1/roles/sales", Body: `{"permissions":{}}`, Status: 403},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}

func TestObjectsAPI_studioRoleMayChangeMetadata(t *testing.T) {
	env := setup(t)
	env.MustDo(t, "PUT", "/api/v1/roles/architect", env.Tokens["admin"], `{"permissions":{},"studio":true}`, 200, nil)
	var u struct{ ID string }
	env.MustDo(t, "POST", "/api/v1/users", env.Tokens["admin"], `{"email":"arch@acme.test","password":"arch password","roles":["architect"]}`, 201, &u)
	var key struct{ Key string }
	env.MustDo(t, "POST", "/api/v1/apikeys", env.Tokens["admin"], `{"name":"arch","user":"`+u.ID+`"}`, 201, &key)
	env.MustDo(t, "PUT", "/api/v1/objects/thing", key.Key, `{"title":"Thing","type":"object","properties":{"a":{"type":"string","x-crm-type":"text"}}}`, 201, nil)
	env.MustDo(t, "PUT", "/api/v1/objects/thing2", env.Tokens["rep"], `{"title":"Thing","type":"object","properties":{}}`, 403, nil)
}
