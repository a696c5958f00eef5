package openapi

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
)

// leadDef has 12 custom fields of 12 different types.
const leadDef = `{
  "title": "Lead",
  "x-crm-plural": "Leads",
  "x-crm-sharing": "read",
  "description": "A prospect.",
  "type": "object",
  "properties": {
    "name":        {"type": "string", "x-crm-type": "text", "maxLength": 120, "x-crm-label": "Full Name"},
    "email":       {"type": "string", "x-crm-type": "email", "x-crm-unique": true},
    "phone":       {"type": "string", "x-crm-type": "phone"},
    "website":     {"type": "string", "x-crm-type": "url"},
    "status":      {"type": "string", "x-crm-type": "picklist", "enum": ["new", "working", "legacy", "closed"], "default": "new",
                    "x-crm-values": {"legacy": {"inactive": true}, "new": {"label": "New lead"}}},
    "tags":        {"type": "array", "x-crm-type": "multipicklist", "items": {"type": "string", "enum": ["vip", "partner"]}},
    "score":       {"type": "integer", "x-crm-type": "number", "minimum": 0, "maximum": 100},
    "budget":      {"type": "number", "x-crm-type": "currency", "minimum": 0},
    "closeDate":   {"type": "string", "x-crm-type": "date"},
    "lastContact": {"type": "string", "x-crm-type": "datetime", "x-crm-help": "When we last talked."},
    "account":     {"type": "string", "x-crm-type": "lookup", "x-crm-target": "account"},
    "converted":   {"type": "boolean", "x-crm-type": "boolean"}
  },
  "required": ["name"]
}`

const accountDef = `{
  "title": "Account",
  "x-crm-plural": "Accounts",
  "type": "object",
  "properties": {
    "name":     {"type": "string", "x-crm-type": "text"},
    "number":   {"type": "string", "x-crm-type": "autonumber", "x-crm-format": "ACC-{0000}"},
    "revenue":  {"type": "number", "x-crm-type": "currency", "x-crm-scale": 0},
    "rate":     {"type": "number", "x-crm-type": "percent", "x-crm-scale": 3},
    "where":    {"type": "object", "x-crm-type": "geolocation"},
    "notes":    {"type": "string", "x-crm-type": "richtext"},
    "old":      {"type": "string", "x-crm-type": "text", "x-crm-deleted": true},
    "doubled":  {"x-crm-type": "formula", "x-crm-formula": "revenue * 2", "x-crm-result": "currency"}
  },
  "required": ["name"]
}`

// emptyDef is an object with no custom field at all.
const emptyDef = `{"title": "Marker", "type": "object", "properties": {}}`

func mustParse(t testing.TB, apiName, def string) *schema.Object {
	t.Helper()
	o, err := schema.Parse(apiName, []byte(def))
	if err != nil {
		t.Fatalf("Parse(%s): %v (%+v)", apiName, err, errs.As(err))
	}
	return o
}

func mustGenerate(t testing.TB, in Input) []byte {
	t.Helper()
	b, err := Generate(in)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return b
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return doc
}

// at follows a path of member names and array indexes through decoded
// JSON.
func at(t testing.TB, v any, path ...string) any {
	t.Helper()
	for i, k := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				t.Fatalf("%v: no member %q", path[:i], k)
			}
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(x) {
				t.Fatalf("%v: no element %q", path[:i], k)
			}
			v = x[n]
		default:
			t.Fatalf("%v: nothing at %q", path[:i], k)
		}
	}
	return v
}
