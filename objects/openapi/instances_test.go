package openapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/opencrm/crm/objects/schema"
)

// decodeNumbers decodes JSON the way the API does, numbers as json.Number.
func decodeNumbers(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return m
}

func compileComponent(t testing.TB, raw []byte, name string) *jsonschema.Schema {
	t.Helper()
	s, err := compiler(t, raw).Compile(docURL + "#/components/schemas/" + name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

// The write shapes must accept what the record validator accepts and
// refuse what it refuses, or generated clients lie to their users.
func TestWriteShapes_agreeWithTheRecordValidator(t *testing.T) {
	lead := mustParse(t, "lead", leadDef)
	raw := mustGenerate(t, Input{Objects: []*schema.Object{lead, mustParse(t, "account", accountDef)}})
	v, err := lead.Validator()
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[schema.Mode]*jsonschema.Schema{
		schema.Create: compileComponent(t, raw, "LeadInput"),
		schema.Update: compileComponent(t, raw, "LeadPatch"),
	}
	cases := []struct {
		name  string
		mode  schema.Mode
		body  string
		valid bool
	}{
		{"a full create", schema.Create, `{"name":"Ann","email":"ann@acme.test","phone":"+1 555 0100","website":"https://acme.test",
			"status":"working","tags":["vip"],"score":70,"budget":1200.50,"closeDate":"2026-01-31","lastContact":"2026-01-31T10:00:00Z",
			"account":"acc_1","converted":false,"owner":"u1"}`, true},
		{"the required field alone", schema.Create, `{"name":"Ann"}`, true},
		{"null clears an optional field", schema.Create, `{"name":"Ann","budget":null,"status":null,"tags":null}`, true},
		{"a missing required field", schema.Create, `{"email":"ann@acme.test"}`, false},
		{"an unknown field", schema.Create, `{"name":"Ann","nmae":"typo"}`, false},
		{"a system field", schema.Create, `{"name":"Ann","createdAt":"2026-01-31T10:00:00Z"}`, false},
		{"an inactive picklist value", schema.Create, `{"name":"Ann","status":"legacy"}`, false},
		{"a value not in the picklist", schema.Create, `{"name":"Ann","status":"lost"}`, false},
		{"a multi-picklist value not in the list", schema.Create, `{"name":"Ann","tags":["gold"]}`, false},
		{"a currency with sub-cent digits", schema.Create, `{"name":"Ann","budget":10.125}`, false},
		{"a negative currency below the minimum", schema.Create, `{"name":"Ann","budget":-1}`, false},
		{"a fractional integer", schema.Create, `{"name":"Ann","score":1.5}`, false},
		{"a number above the maximum", schema.Create, `{"name":"Ann","score":101}`, false},
		{"a date that is no date", schema.Create, `{"name":"Ann","closeDate":"31/01/2026"}`, false},
		{"a text over its maximum length", schema.Create, `{"name":"` + string(bytes.Repeat([]byte("a"), 121)) + `"}`, false},
		{"a lookup that is no id", schema.Create, `{"name":"Ann","account":"not an id!"}`, false},
		{"a boolean as a string", schema.Create, `{"name":"Ann","converted":"yes"}`, false},
		{"a patch of one field", schema.Update, `{"score":10}`, true},
		{"an empty patch", schema.Update, `{}`, true},
		{"a patch clearing an optional field", schema.Update, `{"email":null}`, true},
		{"a patch clearing the required field", schema.Update, `{"name":null}`, false},
		{"a patch of a read-only field", schema.Update, `{"version":3}`, false},
		{"a patch of an unknown field", schema.Update, `{"nmae":"x"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := decodeNumbers(t, tc.body)
			problems := v.Validate(body, tc.mode)
			if (len(problems) == 0) != tc.valid {
				t.Fatalf("the record validator says valid=%v (%+v); the case says %v", len(problems) == 0, problems, tc.valid)
			}
			err := shapes[tc.mode].Validate(decodeNumbers(t, tc.body))
			if (err == nil) != tc.valid {
				t.Fatalf("the OpenAPI shape says valid=%v (%v); the record validator says %v", err == nil, err, tc.valid)
			}
		})
	}
}

func TestReadShape_acceptsRecordsAsServed(t *testing.T) {
	raw := mustGenerate(t, Input{Objects: leadAndAccount(t)})
	read := compileComponent(t, raw, "Lead")
	list := compileComponent(t, raw, "LeadList")
	bulk := compileComponent(t, raw, "LeadBulkRequest")
	agg := compileComponent(t, raw, "LeadAggregateRequest")
	problem := compileComponent(t, raw, "Problem")
	const record = `{"id":"r1","owner":"u1","createdAt":"2026-01-31T10:00:00.000Z","createdBy":"u1","updatedAt":"2026-01-31T10:00:00.000Z",
		"updatedBy":"u1","version":2,"name":"Ann","status":"legacy","budget":1200.5,"tags":["vip","partner"]}`
	cases := []struct {
		name   string
		schema *jsonschema.Schema
		doc    string
		valid  bool
	}{
		{"a record keeps an inactive value it has", read, record, true},
		{"a projected record", read, `{"id":"r1","version":1,"name":"Ann"}`, true},
		{"a record without its version", read, `{"id":"r1","name":"Ann"}`, false},
		{"an expanded lookup", read, `{"id":"r1","version":1,"account":{"id":"a1","version":4,"name":"Acme","revenue":1000}}`, true},
		{"an expanded lookup that is no account", read, `{"id":"r1","version":1,"account":{"id":"a1","version":4,"revenue":"lots"}}`, false},
		{"a page", list, `{"items":[` + record + `],"nextCursor":null}`, true},
		{"a page without nextCursor", list, `{"items":[]}`, false},
		{"a bulk update", bulk, `{"operation":"update","records":[{"id":"r1","score":3}]}`, true},
		{"a bulk update without ids", bulk, `{"operation":"update","records":[{"score":3}]}`, false},
		{"a bulk create missing a required field", bulk, `{"operation":"create","records":[{"score":3}]}`, false},
		{"a bulk upsert by a unique field", bulk, `{"operation":"upsert","externalIdField":"email","records":[{"email":"a@acme.test","name":"Ann"}]}`, true},
		{"a bulk upsert by a field that is not unique", bulk, `{"operation":"upsert","externalIdField":"name","records":[{"name":"Ann"}]}`, false},
		{"an empty bulk", bulk, `{"operation":"create","records":[]}`, false},
		{"an aggregate by month", agg, `{"filter":"status = 'new'","groupBy":["status",{"field":"createdAt","by":"month"}],"measures":[{"op":"count"},{"op":"sum","field":"budget"}]}`, true},
		{"an aggregate summing text", agg, `{"measures":[{"op":"sum","field":"name"}]}`, false},
		{"an aggregate max of text", agg, `{"measures":[{"op":"max","field":"name"}]}`, true},
		{"an aggregate bucketing text", agg, `{"groupBy":[{"field":"name","by":"month"}]}`, false},
		{"the API's problem example", problem, `{"type":"https://crm.example/problems/validation","title":"Record is invalid","status":422,"code":"record.invalid",
			"detail":"2 fields are invalid","errors":[{"field":"amount","code":"minimum","message":"must be >= 0"}],"requestId":"q1","extra":1}`, true},
		{"a filter error with its position", problem, `{"type":"https://crm.example/problems/malformed","title":"Malformed request","status":400,"code":"query.syntax",
			"errors":[{"field":"filter","code":"syntax","message":"unexpected )","position":14}]}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.schema.Validate(decodeNumbers(t, tc.doc))
			if (err == nil) != tc.valid {
				t.Fatalf("valid=%v (%v), want %v", err == nil, err, tc.valid)
			}
		})
	}
}
