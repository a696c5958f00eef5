package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
)

func leadAndAccount(t testing.TB) []*schema.Object {
	return []*schema.Object{mustParse(t, "lead", leadDef), mustParse(t, "account", accountDef)}
}

func TestGenerate_documentIsStructurallyValid(t *testing.T) {
	cases := []struct {
		name    string
		objects func(t testing.TB) []*schema.Object
	}{
		{"no objects", func(testing.TB) []*schema.Object { return nil }},
		{"lead and account", leadAndAccount},
		{"an object without custom fields", func(t testing.TB) []*schema.Object {
			return []*schema.Object{mustParse(t, "marker", emptyDef)}
		}},
		{"objects whose names collide with each other and with platform names", func(t testing.TB) []*schema.Object {
			var out []*schema.Object
			for _, n := range []string{"lead", "lead_input", "lead_history", "object", "user", "problem", "sales_order", "salesorder", "a_b", "a__b", "users"} {
				out = append(out, mustParse(t, n, leadDef))
			}
			return append(out, mustParse(t, "account", accountDef))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := mustGenerate(t, Input{Objects: tc.objects(t)})
			if problems := checkDocument(t, raw); len(problems) > 0 {
				t.Fatalf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
			}
		})
	}
}

// The validator must catch what it claims to catch, or the test above
// proves nothing.
func TestCheckDocument_catchesBrokenDocuments(t *testing.T) {
	good := string(mustGenerate(t, Input{Objects: leadAndAccount(t)}))
	cases := []struct{ name, from, to, want string }{
		{"dangling reference", `"$ref":"#/components/schemas/LeadList"`, `"$ref":"#/components/schemas/LeadLst"`, "does not resolve"},
		{"duplicate operation id", `"operationId":"getLead"`, `"operationId":"listLeads"`, "is also used by"},
		{"undeclared path parameter", `"/records/lead/{id}/restore":{"parameters":[{"$ref":"#/components/parameters/RecordId"}],`, `"/records/lead/{id}/restore":{`, "path parameter id is not declared"},
		{"schema that does not compile", `"multipleOf":0.01`, `"multipleOf":"cent"`, "does not compile"},
		{"misspelt operation member", `"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/LeadInput"}}},"required":true}`, `"requestbody":{}`, `unknown member "requestbody"`},
		{"response without description", `"description":"Created.",`, ``, "needs a description"},
		{"undeclared tag", `"tags":["Lead"]`, `"tags":["Leed"]`, "is not declared"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("the document has no %s", tc.from)
			}
			broken := strings.Replace(good, tc.from, tc.to, 1)
			problems := strings.Join(checkDocument(t, []byte(broken)), "\n")
			if !strings.Contains(problems, tc.want) {
				t.Fatalf("want a problem containing %q, got:\n%s", tc.want, problems)
			}
		})
	}
}

// compact re-encodes decoded JSON so that fragments compare as text.
func compact(t testing.TB, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

func TestGenerate_leadSchemasAreExact(t *testing.T) {
	doc := decode(t, mustGenerate(t, Input{Objects: leadAndAccount(t)}))
	s := func(path ...string) any { return at(t, doc, append([]string{"components", "schemas"}, path...)...) }
	cases := []struct {
		name string
		got  any
		want string
	}{
		{"currency is a number in cents", s("Lead", "properties", "budget"),
			`{"minimum":0,"multipleOf":0.01,"title":"Budget","type":"number","x-crm-type":"currency"}`},
		{"currency of scale 0 is whole", s("AccountInput", "properties", "revenue", "multipleOf"), `1`},
		{"percent with a scale keeps its places", s("Account", "properties", "rate", "multipleOf"), `0.001`},
		{"read picklist lists inactive values", s("Lead", "properties", "status"),
			`{"enum":["new","working","legacy","closed"],"title":"Status","type":"string","x-crm-labels":{"closed":"closed","legacy":"legacy","new":"New lead","working":"working"},"x-crm-type":"picklist"}`},
		{"create picklist offers active values, null and the default", s("LeadInput", "properties", "status"),
			`{"default":"new","enum":["new","working","closed",null],"title":"Status","type":["string","null"],"x-crm-labels":{"closed":"closed","new":"New lead","working":"working"},"x-crm-type":"picklist"}`},
		{"multi-picklist", s("LeadPatch", "properties", "tags"),
			`{"items":{"enum":["vip","partner"],"type":"string"},"title":"Tags","type":["array","null"],"uniqueItems":true,"x-crm-labels":{"partner":"partner","vip":"vip"},"x-crm-type":"multipicklist"}`},
		{"lookup reads as an id or the expanded record", s("Lead", "properties", "account"),
			`{"anyOf":[{"description":"The id of the account record.","pattern":"^[A-Za-z0-9_-]{1,64}$","type":"string"},{"$ref":"#/components/schemas/Account","description":"The account record, when expand names this field."}],"title":"Account","x-crm-target":"account","x-crm-type":"lookup"}`},
		{"lookup is written as an id", s("LeadInput", "properties", "account"),
			`{"pattern":"^[A-Za-z0-9_-]{1,64}$","title":"Account","type":["string","null"],"x-crm-target":"account","x-crm-type":"lookup"}`},
		{"user lookups stay ids", s("Lead", "properties", "owner"),
			`{"pattern":"^[A-Za-z0-9_-]{1,64}$","title":"Owner","type":"string","x-crm-target":"user","x-crm-type":"lookup"}`},
		{"system date-time is read-only", s("Lead", "properties", "createdAt"),
			`{"format":"date-time","readOnly":true,"title":"Created At","type":"string","x-crm-type":"datetime"}`},
		{"help becomes the description", s("Lead", "properties", "lastContact", "description"), `"When we last talked."`},
		{"date format", s("Lead", "properties", "closeDate", "format"), `"date"`},
		{"email format", s("Lead", "properties", "email", "format"), `"email"`},
		{"url format", s("Lead", "properties", "website", "format"), `"uri"`},
		{"integer number keeps its bounds", s("LeadPatch", "properties", "score"),
			`{"maximum":100,"minimum":0,"title":"Score","type":["integer","null"],"x-crm-type":"number"}`},
		{"checkbox defaults to false", s("LeadInput", "properties", "converted", "default"), `false`},
		{"a required field is not nullable in a patch", s("LeadPatch", "properties", "name"),
			`{"maxLength":120,"title":"Full Name","type":"string","x-crm-type":"text"}`},
		{"create requires the required fields", s("LeadInput", "required"), `["name"]`},
		{"records always carry id and version", s("Lead", "required"), `["id","version"]`},
		{"the write shapes refuse unknown fields", s("LeadInput", "additionalProperties"), `false`},
		{"formulas are read-only and typed by their result", s("Account", "properties", "doubled"),
			`{"multipleOf":0.01,"readOnly":true,"title":"Doubled","type":"number","x-crm-type":"formula"}`},
		{"geolocation", s("Account", "properties", "where"),
			`{"additionalProperties":false,"properties":{"lat":{"maximum":90,"minimum":-90,"type":"number"},"lng":{"maximum":180,"minimum":-180,"type":"number"}},"required":["lat","lng"],"title":"Where","type":"object","x-crm-type":"geolocation"}`},
		{"list wrapper", s("LeadList"),
			`{"properties":{"items":{"items":{"$ref":"#/components/schemas/Lead"},"type":"array"},"nextCursor":{"description":"The cursor of the next page; null on the last page.","type":["string","null"]}},"required":["items","nextCursor"],"type":"object"}`},
		{"upsert by unique fields", s("LeadBulkRequest", "properties", "externalIdField", "enum"), `["email"]`},
		{"an object without unique fields cannot be upserted", s("AccountBulkRequest", "properties", "operation", "enum"), `["create","update","delete"]`},
		{"bulk is capped", s("LeadBulkRequest", "properties", "records", "maxItems"), `1000`},
		{"bulk result", s("LeadBulkResult", "properties", "error"), `{"$ref":"#/components/schemas/BulkError"}`},
		{"bucketed groups take date fields", s("LeadAggregateRequest", "properties", "groupBy", "items", "anyOf", "1", "properties", "field", "enum"),
			`["createdAt","updatedAt","closeDate","lastContact"]`},
		{"problem", s("Problem", "required"), `["type","title","status","code"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := compact(t, tc.got); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("read-only, computed and deleted fields are not writable", func(t *testing.T) {
		for _, schemaName := range []string{"AccountInput", "AccountPatch", "AccountBulkRecord"} {
			props := s(schemaName, "properties").(map[string]any)
			for _, f := range []string{"id", "version", "createdAt", "createdBy", "updatedAt", "updatedBy", "number", "doubled", "old"} {
				if _, ok := props[f]; ok && !(schemaName == "AccountBulkRecord" && f == "id") {
					t.Errorf("%s offers %s", schemaName, f)
				}
			}
			if _, ok := props["owner"]; !ok {
				t.Errorf("%s does not offer owner", schemaName)
			}
		}
		if _, ok := s("Account", "properties").(map[string]any)["old"]; ok {
			t.Error("the deleted field is in the read shape")
		}
	})
}

// operation returns the operation at a path and method.
func operation(t testing.TB, doc map[string]any, path, method string) map[string]any {
	t.Helper()
	return at(t, doc, "paths", path, method).(map[string]any)
}

func TestGenerate_recordRoutes(t *testing.T) {
	doc := decode(t, mustGenerate(t, Input{Objects: leadAndAccount(t), Limits: Limits{MaxPageSize: 100, BodyLimit: 2 << 20}}))
	routes := []struct {
		path, method, id, success string
		statuses                  []string
	}{
		{"/records/lead", "get", "listLeads", "200", []string{"400", "401", "403", "404", "429", "500", "503"}},
		{"/records/lead", "post", "createLead", "201", []string{"400", "401", "403", "404", "409", "413", "422", "429", "500", "503"}},
		{"/records/lead/{id}", "get", "getLead", "200", []string{"304", "400", "401", "403", "404", "429", "500", "503"}},
		{"/records/lead/{id}", "patch", "updateLead", "200", []string{"400", "401", "403", "404", "409", "412", "413", "422", "429", "500", "503"}},
		{"/records/lead/{id}", "delete", "deleteLead", "204", []string{"400", "401", "403", "404", "412", "422", "429", "500", "503"}},
		{"/records/lead/{id}/restore", "post", "restoreLead", "200", []string{"401", "403", "404", "409", "422", "429", "500", "503"}},
		{"/records/lead/{id}/history", "get", "getLeadHistory", "200", []string{"401", "403", "404", "429", "500", "503"}},
		{"/records/lead/bulk", "post", "bulkLeads", "200", []string{"400", "401", "403", "404", "413", "422", "429", "500", "503"}},
		{"/records/lead/aggregate", "post", "aggregateLeads", "200", []string{"400", "401", "403", "404", "413", "422", "429", "500", "503"}},
		{"/records/account", "get", "listAccounts", "200", nil},
	}
	for _, r := range routes {
		t.Run(r.id, func(t *testing.T) {
			op := operation(t, doc, r.path, r.method)
			if op["operationId"] != r.id {
				t.Fatalf("operationId %v", op["operationId"])
			}
			rs := op["responses"].(map[string]any)
			if _, ok := rs[r.success]; !ok {
				t.Fatalf("no %s response", r.success)
			}
			if r.statuses == nil {
				return
			}
			var got []string
			for k := range rs {
				if k != r.success {
					got = append(got, k)
				}
			}
			if g, w := compact(t, sortedStrings(got)), compact(t, r.statuses); g != w {
				t.Fatalf("problem statuses %s, want %s", g, w)
			}
		})
	}
	t.Run("create answers with ETag and Location and takes an Idempotency-Key", func(t *testing.T) {
		op := operation(t, doc, "/records/lead", "post")
		h := at(t, op, "responses", "201", "headers").(map[string]any)
		for _, name := range []string{"ETag", "Location", "Idempotent-Replayed"} {
			if _, ok := h[name]; !ok {
				t.Errorf("no %s header", name)
			}
		}
		if got := compact(t, op["parameters"]); got != `[{"$ref":"#/components/parameters/IdempotencyKey"}]` {
			t.Errorf("parameters %s", got)
		}
	})
	t.Run("read takes If-None-Match and may answer 304 with the ETag", func(t *testing.T) {
		op := operation(t, doc, "/records/lead/{id}", "get")
		if got := compact(t, op["parameters"].([]any)[0]); got != `{"$ref":"#/components/parameters/IfNoneMatch"}` {
			t.Errorf("first parameter %s", got)
		}
		if got := compact(t, at(t, op, "responses", "304", "headers")); got != `{"ETag":{"$ref":"#/components/headers/ETag"}}` {
			t.Errorf("304 headers %s", got)
		}
	})
	t.Run("bulk and composite take an Idempotency-Key", func(t *testing.T) {
		for _, path := range []string{"/records/lead/bulk", "/composite"} {
			op := operation(t, doc, path, "post")
			if got := compact(t, op["parameters"]); got != `[{"$ref":"#/components/parameters/IdempotencyKey"}]` {
				t.Errorf("%s parameters %s", path, got)
			}
			if _, ok := at(t, op, "responses", "200", "headers").(map[string]any)["Idempotent-Replayed"]; !ok {
				t.Errorf("%s: no Idempotent-Replayed header", path)
			}
		}
	})
	t.Run("a failed bulk record is a problem document", func(t *testing.T) {
		if got := at(t, doc, "components", "schemas", "BulkError", "$ref"); got != "#/components/schemas/Problem" {
			t.Errorf("BulkError refers to %v", got)
		}
	})
	t.Run("update takes If-Match and a merge patch", func(t *testing.T) {
		op := operation(t, doc, "/records/lead/{id}", "patch")
		if got := compact(t, op["parameters"]); got != `[{"$ref":"#/components/parameters/IfMatch"}]` {
			t.Errorf("parameters %s", got)
		}
		if got := compact(t, at(t, op, "requestBody", "content", "application/merge-patch+json", "schema")); got != `{"$ref":"#/components/schemas/LeadPatch"}` {
			t.Errorf("merge patch body %s", got)
		}
	})
	t.Run("429 says when to retry", func(t *testing.T) {
		if got := compact(t, at(t, doc, "components", "responses", "TooManyRequests", "headers")); got != `{"Retry-After":{"$ref":"#/components/headers/RetryAfter"}}` {
			t.Errorf("headers %s", got)
		}
	})
	t.Run("limit shows the configured bounds", func(t *testing.T) {
		if got := compact(t, at(t, doc, "components", "parameters", "Limit", "schema")); got != `{"default":50,"maximum":100,"minimum":1,"type":"integer"}` {
			t.Errorf("limit %s", got)
		}
		if got := at(t, doc, "components", "responses", "ContentTooLarge", "description").(string); !strings.Contains(got, "2097152 bytes") {
			t.Errorf("413 says %q", got)
		}
	})
	t.Run("expand offers the lookups to objects, not to users", func(t *testing.T) {
		params := operation(t, doc, "/records/lead/{id}", "get")["parameters"].([]any)
		var expand any
		for _, p := range params {
			if p.(map[string]any)["name"] == "expand" {
				expand = p
			}
		}
		if got := compact(t, expand); got != `{"description":"Lookup fields whose target record is inlined in place of its id, one level deep. A target the caller may not see stays an id.","explode":false,"in":"query","name":"expand","required":false,"schema":{"items":{"enum":["account"],"type":"string"},"type":"array"},"style":"form"}` {
			t.Errorf("expand %s", got)
		}
		for _, p := range operation(t, doc, "/records/account", "get")["parameters"].([]any) {
			if p.(map[string]any)["name"] == "expand" {
				t.Error("account, which has no lookup, offers expand")
			}
		}
	})
	t.Run("sort offers both directions of sortable fields only", func(t *testing.T) {
		var sortParam map[string]any
		for _, p := range operation(t, doc, "/records/lead", "get")["parameters"].([]any) {
			if p.(map[string]any)["name"] == "sort" {
				sortParam = p.(map[string]any)
			}
		}
		keys := compact(t, at(t, sortParam, "schema", "items", "enum"))
		if !strings.Contains(keys, `"closeDate","-closeDate"`) || strings.Contains(keys, `"tags"`) {
			t.Errorf("sort keys %s", keys)
		}
	})
	t.Run("generic routes are there", func(t *testing.T) {
		for _, p := range []struct{ path, method, id string }{
			{"/objects", "get", "listObjects"}, {"/objects/{apiName}", "put", "putObject"},
			{"/objects/{apiName}/history", "get", "getObjectHistory"}, {"/auth/login", "post", "login"},
			{"/auth/logout", "post", "logout"}, {"/apikeys", "post", "createApiKey"}, {"/apikeys/{id}", "delete", "revokeApiKey"},
			{"/users", "post", "createUser"}, {"/platform/tenants", "post", "createTenant"}, {"/openapi.json", "get", "getOpenApiDocument"},
		} {
			if got := operation(t, doc, p.path, p.method)["operationId"]; got != p.id {
				t.Errorf("%s %s: operationId %v", p.method, p.path, got)
			}
		}
		if got := compact(t, operation(t, doc, "/auth/login", "post")["security"]); got != `[]` {
			t.Errorf("login security %s", got)
		}
	})
}

func sortedStrings(in []string) []string {
	out := append([]string(nil), in...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestGenerate_isDeterministic(t *testing.T) {
	objects := func() []*schema.Object {
		var out []*schema.Object
		for i, n := range []string{"lead", "account", "opportunity", "sales_order", "marker"} {
			def := leadDef
			if i%2 == 1 {
				def = accountDef
			}
			if n == "marker" {
				def = emptyDef
			}
			out = append(out, mustParse(t, n, def))
		}
		return out
	}
	in := Input{Title: "Acme CRM", Version: "42", ServerURL: "https://acme.test/api/v1", Objects: objects()}
	first := mustGenerate(t, in)
	for i := range 5 {
		shuffled := objects() // parsed anew: no shared state between runs
		rand.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		in.Objects = shuffled
		if again := mustGenerate(t, in); !bytes.Equal(first, again) {
			t.Fatalf("run %d differs from the first", i)
		}
	}
	doc := decode(t, first)
	if got := compact(t, []any{doc["info"].(map[string]any)["title"], doc["info"].(map[string]any)["version"], doc["servers"]}); got != `["Acme CRM","42",[{"url":"https://acme.test/api/v1"}]]` {
		t.Fatalf("info and servers %s", got)
	}
	if !bytes.HasPrefix(first, []byte(`{"openapi":"3.1.0","info":`)) {
		t.Fatalf("the document starts with %s", first[:40])
	}
}

func TestGenerate_objectWithoutCustomFields(t *testing.T) {
	doc := decode(t, mustGenerate(t, Input{Objects: []*schema.Object{mustParse(t, "marker", emptyDef)}}))
	s := func(path ...string) string {
		return compact(t, at(t, doc, append([]string{"components", "schemas"}, path...)...))
	}
	var props []string
	for k := range at(t, doc, "components", "schemas", "Marker", "properties").(map[string]any) {
		props = append(props, k)
	}
	if got := strings.Join(sortedStrings(props), ","); got != "createdAt,createdBy,id,owner,updatedAt,updatedBy,version" {
		t.Fatalf("read properties %s", got)
	}
	if got := s("MarkerInput"); got != `{"additionalProperties":false,"description":"The body of a create. Unknown fields are refused with 422; system fields other than owner are read-only.","properties":{"owner":{"pattern":"^[A-Za-z0-9_-]{1,64}$","title":"Owner","type":"string","x-crm-target":"user","x-crm-type":"lookup"}},"title":"Marker (create)","type":"object"}` {
		t.Fatalf("input %s", got)
	}
	for _, p := range operation(t, doc, "/records/marker", "get")["parameters"].([]any) {
		if p.(map[string]any)["name"] == "expand" {
			t.Fatal("an object without lookups offers expand")
		}
	}
	if got := operation(t, doc, "/records/marker/{id}", "delete")["operationId"]; got != "deleteMarker" {
		t.Fatalf("operationId %v", got)
	}
}

func TestGenerate_namesNeverCollide(t *testing.T) {
	names := []string{"lead", "lead_input", "lead_history", "object", "user", "problem", "sales_order", "salesorder", "a_b", "a__b", "opportunity", "address", "users"}
	var objects []*schema.Object
	for _, n := range names {
		objects = append(objects, mustParse(t, n, emptyDef))
	}
	doc := decode(t, mustGenerate(t, Input{Objects: objects}))
	got := map[string]string{}
	for _, tag := range doc["tags"].([]any) {
		m := tag.(map[string]any)
		if o, ok := m["x-crm-object"].(string); ok {
			got[o] = m["name"].(string)
		}
	}
	want := map[string]string{
		"lead": "Lead", "lead_input": "LeadInput2", "lead_history": "LeadHistory2", "object": "Object2",
		"user": "User2", "problem": "Problem2", "sales_order": "SalesOrder", "salesorder": "Salesorder2",
		"a__b": "AB", "a_b": "AB2", "opportunity": "Opportunity", "address": "Address", "users": "Users2",
	}
	if g, w := compact(t, got), compact(t, want); g != w {
		t.Fatalf("schema names\n got  %s\n want %s", g, w)
	}
	for _, p := range []struct{ path, method, id string }{
		{"/records/opportunity", "get", "listOpportunities"},
		{"/records/address", "get", "listAddresses"},
		{"/records/object/{id}", "get", "getObject2"},
		{"/records/lead_history/{id}/history", "get", "getLeadHistory2History"},
	} {
		if got := operation(t, doc, p.path, p.method)["operationId"]; got != p.id {
			t.Errorf("%s %s: operationId %v, want %s", p.method, p.path, got, p.id)
		}
	}
}

func TestGenerate_refusesInputThatDescribesNoAPI(t *testing.T) {
	lead := mustParse(t, "lead", leadDef)
	cases := []struct {
		name    string
		objects []*schema.Object
		code    string
	}{
		{"a nil object", []*schema.Object{lead, nil}, "openapi.nil_object"},
		{"the same object twice", []*schema.Object{lead, mustParse(t, "lead", emptyDef)}, "openapi.duplicate_object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(Input{Objects: tc.objects})
			if errs.CodeOf(err) != tc.code || errs.KindOf(err) != errs.Internal {
				t.Fatalf("err %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestPascalAndPlural(t *testing.T) {
	cases := []struct{ apiName, pascal, plural string }{
		{"lead", "Lead", "Leads"},
		{"sales_order", "SalesOrder", "SalesOrders"},
		{"x1_2b", "X12b", "X12bs"},
		{"opportunity", "Opportunity", "Opportunities"},
		{"survey", "Survey", "Surveys"},
		{"address", "Address", "Addresses"},
		{"tax", "Tax", "Taxes"},
		{"branch", "Branch", "Branches"},
	}
	for _, tc := range cases {
		t.Run(tc.apiName, func(t *testing.T) {
			if p := pascal(tc.apiName); p != tc.pascal || plural(p) != tc.plural {
				t.Fatalf("got %s %s", p, plural(p))
			}
		})
	}
}

// manyObjects makes n objects of 13 fields each, every one pointing at the
// one before it.
func manyObjects(t testing.TB, n int) []*schema.Object {
	out := make([]*schema.Object, 0, n)
	for i := range n {
		name := fmt.Sprintf("object_%02d", i)
		target := "account"
		if i > 0 {
			target = fmt.Sprintf("object_%02d", i-1)
		}
		def := strings.Replace(leadDef, `"x-crm-target": "account"`, `"x-crm-target": "`+target+`"`, 1)
		def = strings.Replace(def, `"converted":`, `"parent": {"type": "string", "x-crm-type": "masterdetail", "x-crm-target": "account"}, "converted":`, 1)
		out = append(out, mustParse(t, name, def))
	}
	return append(out, mustParse(t, "account", accountDef))
}

func TestGenerate_fiftyObjectsStayValid(t *testing.T) {
	raw := mustGenerate(t, Input{Objects: manyObjects(t, 50)})
	// Every object has the same shapes: compile those of the first and the
	// last (and, through their lookups, the read shapes of all the others);
	// check the structure of everything.
	middle := regexp.MustCompile(`[Oo]bject_?(0[1-9]|[1-3][0-9]|4[0-8])`)
	if problems := checkDocumentCompiling(t, raw, func(p string) bool { return !middle.MatchString(p) }); len(problems) > 0 {
		t.Fatalf("%d problems:\n%s", len(problems), strings.Join(problems[:min(20, len(problems))], "\n"))
	}
	t.Logf("50 objects: %d bytes", len(raw))
}

func BenchmarkGenerate50Objects(b *testing.B) {
	in := Input{Objects: manyObjects(b, 50)}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		raw, err := Generate(in)
		if err != nil {
			b.Fatal(err)
		}
		size = len(raw)
	}
	b.ReportMetric(float64(size), "bytes/doc")
}
