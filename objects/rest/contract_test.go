package rest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

// These tests try the API as an integrator new to it would, beyond the
// examples of API.md: each one failed before the fix it names.

func TestRecordsAPI_conditionalGet(t *testing.T) {
	env := setup(t)
	acc := create(t, env, "account", `{"name":"Acme"}`)
	inv := create(t, env, "invoice", fmt.Sprintf(`{"amount": 3, "account": %q}`, acc["id"]))
	u := "/api/v1/records/invoice/" + inv["id"].(string)
	for _, s := range []testenv.Scenario{
		{Name: "If-None-Match with the current ETag is 304", As: "admin", Method: "GET", URL: u,
			Header: []string{"If-None-Match", `"1"`}, Status: 304},
		{Name: "a weak form of the current ETag matches too", As: "admin", Method: "GET", URL: u,
			Header: []string{"If-None-Match", `"7", W/"1"`}, Status: 304},
		{Name: "If-None-Match * matches an existing record", As: "admin", Method: "GET", URL: u,
			Header: []string{"If-None-Match", `*`}, Status: 304},
		{Name: "another ETag gets the record", As: "admin", Method: "GET", URL: u,
			Header: []string{"If-None-Match", `"2"`}, Status: 200, Contains: []string{`"amount":3`}},
		{Name: "with expand the answer is always sent", As: "admin", Method: "GET", URL: u + "?expand=account",
			Header: []string{"If-None-Match", `"1"`}, Status: 200, Contains: []string{`"name":"Acme"`}},
		{Name: "a record the caller cannot see is still 404", As: "rep", Method: "GET", URL: u,
			Header: []string{"If-None-Match", `*`}, Status: 404, Problem: "record.not_found"},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
	t.Run("no cache may keep one caller's view for another", func(t *testing.T) {
		// A browser kept the admin's copy and revalidated it for a rep
		// signed in next: the 304 showed the rep a field hidden from them.
		res := env.Do(t, "GET", u, env.Tokens["admin"], "")
		if cc, vary := res.Header.Get("Cache-Control"), res.Header.Get("Vary"); !strings.Contains(cc, "no-store") ||
			!strings.Contains(cc, "private") || !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Cookie") {
			t.Fatalf("Cache-Control %q, Vary %q", cc, vary)
		}
	})
	t.Run("a 304 carries the ETag and no body", func(t *testing.T) {
		res := env.Do(t, "GET", u, env.Tokens["admin"], "", "If-None-Match", `"1"`)
		if res.Header.Get("ETag") != `"1"` || len(res.Body) != 0 {
			t.Fatalf("304 with ETag %q and body %q", res.Header.Get("ETag"), res.Body)
		}
	})
}

func TestRecordsAPI_recordBodiesMustBeObjects(t *testing.T) {
	env := setup(t)
	inv := create(t, env, "invoice", `{"amount": 3}`)
	u := "/api/v1/records/invoice/" + inv["id"].(string)
	for _, s := range []testenv.Scenario{
		// invoice has a default (status): a null body reached the defaults
		// as a nil map and the server answered 500.
		{Name: "a null create body is 422", As: "admin", Method: "POST", URL: "/api/v1/records/invoice", Body: `null`,
			Status: 422, Problem: "request.wrong_type"},
		{Name: "a null merge patch is 422, not an empty change", As: "admin", Method: "PATCH", URL: u, Body: `null`,
			Status: 422, Problem: "request.wrong_type"},
		{Name: "a JSON Patch is refused naming the merge patch", As: "admin", Method: "PATCH", URL: u,
			Body: `[{"op":"replace","path":"/amount","value":2}]`, Header: []string{"Content-Type", "application/json-patch+json"},
			Status: 400, Problem: "request.unsupported_media_type", Contains: []string{"merge patch"}},
		{Name: "a null record in a bulk names its index", As: "admin", Method: "POST", URL: "/api/v1/records/invoice/bulk",
			Body: `{"operation":"create","records":[{"amount":1},null]}`, Status: 422, Problem: "request.wrong_type",
			Contains: []string{`"field":"records[1]"`, `not null`}},
		{Name: "a number in a bulk names its index", As: "admin", Method: "POST", URL: "/api/v1/records/invoice/bulk",
			Body: `{"operation":"create","records":[5]}`, Status: 422, Contains: []string{`"field":"records[0]"`, `not a number`}},
		{Name: "a composite POST without a body is validated as {}", As: "admin", Method: "POST", URL: "/api/v1/composite",
			Body: `{"requests":[{"ref":"a","method":"POST","url":"/api/v1/records/invoice"}]}`, Status: 200,
			Contains: []string{`"status":422`, `"field":"amount"`}},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
	var after rec
	env.MustDo(t, "GET", u, env.Tokens["admin"], "", 200, &after)
	if after["version"] != float64(1) {
		t.Fatalf("a refused patch changed the record: %v", after)
	}
	var agg struct{ Rows []map[string]any }
	env.MustDo(t, "POST", "/api/v1/records/invoice/aggregate", env.Tokens["admin"], `{}`, 200, &agg)
	if agg.Rows[0]["count"] != float64(1) {
		t.Fatalf("refused requests wrote records: %v", agg.Rows)
	}
}

func TestRecordsAPI_envelopesRefuseUnknownMembers(t *testing.T) {
	env := setup(t)
	create(t, env, "invoice", `{"amount": 3, "status": "sent"}`)
	for _, s := range []testenv.Scenario{
		// A misspelt groupBy used to count every record as one group.
		{Name: "a misspelt aggregate option", As: "admin", Method: "POST", URL: "/api/v1/records/invoice/aggregate",
			Body: `{"grupBy":["status"]}`, Status: 422, Problem: "request.unknown_member", Contains: []string{`"field":"grupBy"`}},
		{Name: "a misspelt bulk option", As: "admin", Method: "POST", URL: "/api/v1/records/invoice/bulk",
			Body: `{"operation":"upsert","externalIdFeld":"email","records":[{"amount":1}]}`, Status: 422,
			Problem: "request.unknown_member", Contains: []string{`"field":"externalIdFeld"`}},
		{Name: "a misspelt composite option", As: "admin", Method: "POST", URL: "/api/v1/composite",
			Body: `{"allOrNothing":true,"requests":[{"ref":"a","method":"GET","url":"/api/v1/records/invoice"}]}`, Status: 422,
			Problem: "request.unknown_member", Contains: []string{`"field":"allOrNothing"`}},
		{Name: "a misspelt import option", As: "admin", Method: "POST", URL: "/api/v1/records/invoice/import",
			Body: `{"csv":"amount\n1\n","mapings":{"amount":"amount"}}`, Status: 422, Problem: "request.unknown_member"},
		{Name: "record fields keep their own rule (422 record.invalid)", As: "admin", Method: "POST", URL: "/api/v1/records/invoice",
			Body: `{"amount":1,"nope":2}`, Status: 422, Problem: "record.invalid"},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}

func TestRecordsAPI_idempotencyComparesJSONValues(t *testing.T) {
	env := setup(t)
	post := func(url, body, key string) testenv.Response {
		return env.Do(t, "POST", url, env.Tokens["admin"], body, "Idempotency-Key", key)
	}
	t.Run("a retry with other spacing and member order replays", func(t *testing.T) {
		first := post("/api/v1/records/invoice", `{"amount":1,"status":"sent"}`, "space-1")
		again := post("/api/v1/records/invoice", "{ \"status\": \"sent\",\n  \"amount\": 1 }", "space-1")
		if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) ||
			again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("first %d %s; retry %d %s %v", first.Status, first.Body, again.Status, again.Body, again.Header)
		}
	})
	t.Run("another value is still a reused key", func(t *testing.T) {
		res := post("/api/v1/records/invoice", `{"amount":2,"status":"sent"}`, "space-1")
		if res.Status != 422 || !strings.Contains(string(res.Body), "idempotency.key_reused") {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	})
	t.Run("a bulk retried with its key creates its records once", func(t *testing.T) {
		body := `{"operation":"create","records":[{"amount":5,"email":"bulk1@x.test"},{"amount":6}]}`
		first := post("/api/v1/records/invoice/bulk", body, "bulk-1")
		again := post("/api/v1/records/invoice/bulk", body, "bulk-1")
		if first.Status != 200 || again.Status != 200 || string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s; retry %d %s", first.Status, first.Body, again.Status, again.Body)
		}
		var n struct{ Rows []map[string]any }
		env.MustDo(t, "POST", "/api/v1/records/invoice/aggregate", env.Tokens["admin"], `{"filter":"amount >= 5"}`, 200, &n)
		if n.Rows[0]["count"] != float64(2) {
			t.Fatalf("count %v, want the 2 records of one bulk", n.Rows)
		}
	})
	t.Run("a composite retried with its key runs once", func(t *testing.T) {
		body := `{"requests":[{"ref":"a","method":"POST","url":"/api/v1/records/account","body":{"name":"Once"}}]}`
		first := post("/api/v1/composite", body, "comp-1")
		again := post("/api/v1/composite", body, "comp-1")
		if first.Status != 200 || string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s; retry %d %s", first.Status, first.Body, again.Status, again.Body)
		}
		var page struct{ Items []rec }
		env.MustDo(t, "GET", "/api/v1/records/account?filter=name%20%3D%20'Once'", env.Tokens["admin"], "", 200, &page)
		if len(page.Items) != 1 {
			t.Fatalf("%d accounts named Once, want 1", len(page.Items))
		}
	})
}

// problem is the members of API.md's error document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field, Code, Message string
	} `json:"errors"`
}

func (p problem) complete() bool {
	return strings.HasPrefix(p.Type, "https://") && p.Title != "" && p.Status >= 400 && p.Detail != "" && p.Code != ""
}

func TestRecordsAPI_batchFailuresAreProblemDocuments(t *testing.T) {
	env := setup(t)
	t.Run("a failed bulk record's error has the problem members", func(t *testing.T) {
		var out struct {
			Results []struct {
				Status int
				Error  *problem
			}
		}
		env.MustDo(t, "POST", "/api/v1/records/invoice/bulk", env.Tokens["admin"],
			`{"operation":"create","records":[{"amount":-1}]}`, 200, &out)
		e := out.Results[0].Error
		if out.Results[0].Status != 422 || e == nil || !e.complete() || e.Status != 422 || e.Code != "record.invalid" ||
			len(e.Errors) != 1 || e.Errors[0].Field != "amount" {
			t.Fatalf("result %+v", out.Results[0])
		}
	})
	t.Run("a failed composite request's body is what the request alone would answer", func(t *testing.T) {
		var out struct {
			Results []struct {
				Ref    string
				Status int
				Body   problem
			}
			RolledBack bool
		}
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"allOrNone":true,"requests":[
			{"ref":"a","method":"POST","url":"/api/v1/records/account","body":{"name":"A"}},
			{"ref":"bad","method":"PATCH","url":"/api/v1/records/invoice/nope","body":{"amount":1}},
			{"ref":"c","method":"POST","url":"/api/v1/records/account","body":{"name":"C"}}]}`, 200, &out)
		bad, later := out.Results[1], out.Results[2]
		if !out.RolledBack || bad.Status != 404 || !bad.Body.complete() || bad.Body.Code != "record.not_found" || bad.Body.Status != 404 {
			t.Fatalf("failed request %+v", bad)
		}
		if later.Status != 424 || !later.Body.complete() || later.Body.Status != 424 || later.Body.Code != "composite.not_run" {
			t.Fatalf("request after the failure %+v", later)
		}
	})
}

func TestComposite_asAnIntegratorUsesIt(t *testing.T) {
	env := setup(t)
	create(t, env, "account", `{"name":"First"}`)
	run := func(t *testing.T, body string) []struct {
		Ref    string
		Status int
		Body   json.RawMessage
	} {
		t.Helper()
		var out struct {
			Results []struct {
				Ref    string
				Status int
				Body   json.RawMessage
			}
		}
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], body, 200, &out)
		return out.Results
	}
	t.Run("a reference may index a list answer", func(t *testing.T) {
		res := run(t, `{"requests":[
			{"ref":"list","method":"GET","url":"/api/v1/records/account?limit=1&fields=name"},
			{"ref":"inv","method":"POST","url":"/api/v1/records/invoice","body":{"amount":1,"account":"@{list.items.0.id}"}},
			{"ref":"again","method":"GET","url":"/api/v1/records/invoice/@{inv.id}?expand=account"}]}`)
		if res[1].Status != 201 || res[2].Status != 200 || !strings.Contains(string(res[2].Body), `"name":"First"`) {
			t.Fatalf("results %+v", res)
		}
	})
	t.Run("a list sub-request checks its limit like a list", func(t *testing.T) {
		for _, lim := range []string{"abc", "0", "201"} {
			res := run(t, `{"requests":[{"ref":"l","method":"GET","url":"/api/v1/records/account?limit=`+lim+`"}]}`)
			if res[0].Status != 400 || !strings.Contains(string(res[0].Body), "query.bad_limit") {
				t.Fatalf("limit=%s: %+v", lim, res[0])
			}
		}
	})
	t.Run("26 requests are refused", func(t *testing.T) {
		reqs := make([]string, 26)
		for i := range reqs {
			reqs[i] = fmt.Sprintf(`{"ref":"r%d","method":"GET","url":"/api/v1/records/account"}`, i)
		}
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"requests":[`+strings.Join(reqs, ",")+`]}`, 400, nil)
	})
}

func TestExport_columnsAreTheFieldsAsked(t *testing.T) {
	env := setup(t)
	create(t, env, "invoice", `{"amount": 3, "status": "sent"}`)
	for _, tc := range []struct{ fields, header string }{
		{"amount,%20status", "id,amount,status"}, // the header said " status"
		{"id,amount", "id,amount"},               // id came twice
	} {
		t.Run(tc.fields, func(t *testing.T) {
			res := env.Do(t, "GET", "/api/v1/records/invoice/export?fields="+tc.fields, env.Tokens["admin"], "")
			if head, _, _ := strings.Cut(string(res.Body), "\n"); res.Status != 200 || head != tc.header {
				t.Fatalf("%d: header %q, want %q", res.Status, head, tc.header)
			}
		})
	}
	env.MustDo(t, "GET", "/api/v1/records/invoice/export?fields=amount,,status", env.Tokens["admin"], "", 400, nil)
}

func TestRecordsAPI_ifMatchTakesAListOfETags(t *testing.T) {
	env := setup(t)
	inv := create(t, env, "invoice", `{"amount": 3}`)
	u := "/api/v1/records/invoice/" + inv["id"].(string)
	for _, s := range []testenv.Scenario{
		{Name: "a list without the current version is 412", As: "admin", Method: "PATCH", URL: u, Body: `{"amount":4}`,
			Header: []string{"If-Match", `"5", "6"`}, Status: 412, Problem: "record.stale"},
		{Name: "a list holding the current version matches", As: "admin", Method: "PATCH", URL: u, Body: `{"amount":4}`,
			Header: []string{"If-Match", `"5", "1"`}, Status: 200, Contains: []string{`"version":2`}},
		{Name: "a list with a bad member is 400", As: "admin", Method: "PATCH", URL: u, Body: `{"amount":4}`,
			Header: []string{"If-Match", `"2", soon`}, Status: 400, Problem: "request.bad_if_match"},
		{Name: "a list for a delete matches too", As: "admin", Method: "DELETE", URL: u,
			Header: []string{"If-Match", `"1", "2"`}, Status: 204},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}

// API.md's error example: {"type":"https://crm.example/problems/validation",
// "title":...,"status":422,"detail":"2 fields are invalid","errors":[...]}.
func TestErrors_haveTheShapeOfAPIMDsExample(t *testing.T) {
	env := setup(t)
	res := env.Do(t, "POST", "/api/v1/records/invoice", env.Tokens["admin"], `{"amount": -1, "status": "lost"}`)
	var p problem
	if err := json.Unmarshal(res.Body, &p); err != nil || res.Status != 422 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type %q", ct)
	}
	if p.Type != "https://crm.example/problems/validation" || !p.complete() || p.Status != 422 || p.Detail != "2 fields are invalid" || len(p.Errors) != 2 {
		t.Fatalf("problem %+v", p)
	}
	for _, e := range p.Errors {
		if e.Field == "" || e.Code == "" || e.Message == "" {
			t.Errorf("field error %+v lacks a member", e)
		}
	}
}

func TestRecordsAPI_unknownQueryParametersAreRefused(t *testing.T) {
	env := setup(t)
	inv := create(t, env, "invoice", `{"amount": 3}`)
	u := "/api/v1/records/invoice/" + inv["id"].(string)
	for _, s := range []testenv.Scenario{
		// A misspelt filter listed every record.
		{Name: "a misspelt filter", As: "admin", Method: "GET", URL: "/api/v1/records/invoice?filtre=amount%20%3E%205", Status: 400,
			Problem: "request.unknown_parameter", Contains: []string{`"field":"filtre"`, "filter, sort, limit, cursor, fields, expand"}},
		{Name: "a parameter of lists on a record", As: "admin", Method: "GET", URL: u + "?limit=5", Status: 400, Problem: "request.unknown_parameter"},
		// purge belongs to object deletes; a record delete ignored it.
		{Name: "purge on a record delete", As: "admin", Method: "DELETE", URL: u + "?purge=true", Status: 400, Problem: "request.unknown_parameter"},
		{Name: "an export option it lacks", As: "admin", Method: "GET", URL: "/api/v1/records/invoice/export?limit=5", Status: 400, Problem: "request.unknown_parameter"},
		{Name: "a composite sub-request's url is checked too", As: "admin", Method: "POST", URL: "/api/v1/composite",
			Body: `{"requests":[{"ref":"a","method":"GET","url":"/api/v1/records/invoice?filtre=x"}]}`, Status: 200,
			Contains: []string{`"status":400`, `"code":"request.unknown_parameter"`}},
		{Name: "every parameter a list takes is accepted", As: "admin", Method: "GET",
			URL: "/api/v1/records/invoice?filter=amount%20%3E%201&sort=-amount&limit=5&fields=amount,account&expand=account", Status: 200},
		{Name: "the parameters a record takes are accepted", As: "admin", Method: "GET", URL: u + "?fields=amount,account&expand=account", Status: 200},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
	env.MustDo(t, "GET", u, env.Tokens["admin"], "", 200, nil) // the refused delete changed nothing
}
