package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

const invoiceDef = `{
  "title": "Invoice",
  "x-crm-plural": "Invoices",
  "x-crm-sharing": "private",
  "type": "object",
  "properties": {
    "number":  {"type": "string", "x-crm-type": "autonumber", "x-crm-format": "INV-{0000}"},
    "amount":  {"type": "number", "x-crm-type": "currency", "minimum": 0},
    "status":  {"type": "string", "x-crm-type": "picklist", "enum": ["draft", "sent", "paid"], "default": "draft"},
    "account": {"type": "string", "x-crm-type": "lookup", "x-crm-target": "account", "x-crm-indexed": true},
    "email":   {"type": "string", "x-crm-type": "email", "x-crm-unique": true}
  },
  "required": ["amount"]
}`

func mustParse(t testing.TB, name, def string) *Object {
	t.Helper()
	o, err := Parse(name, []byte(def))
	if err != nil {
		t.Fatalf("Parse(%s): %v (%+v)", name, err, errs.As(err))
	}
	return o
}

func TestParse_readsTheAPIExample(t *testing.T) {
	o := mustParse(t, "invoice", invoiceDef)
	if o.Label != "Invoice" || o.PluralLabel != "Invoices" || o.Sharing != SharingPrivate {
		t.Fatalf("labels: %q %q %q", o.Label, o.PluralLabel, o.Sharing)
	}
	var names []string
	for _, f := range o.Fields {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "number,amount,status,account,email" {
		t.Fatalf("field order %s", got)
	}
	if got := strings.Join(o.Required, ","); got != "amount" {
		t.Fatalf("required %s", got)
	}
	amount, _ := o.Field("amount")
	if amount.Scale != 2 || amount.Kind() != KindNumber || !amount.Required {
		t.Fatalf("amount %+v", amount)
	}
	status, _ := o.Field("status")
	if !status.HasDefault || status.Default != "draft" {
		t.Fatalf("status default %v", status.Default)
	}
	if f, ok := o.Field("createdAt"); !ok || !f.System || !f.ReadOnly() {
		t.Fatalf("createdAt system field missing: %+v", f)
	}
	if f, _ := o.Field("owner"); f.ReadOnly() {
		t.Fatal("owner must be writable (ownership transfer)")
	}
}

func TestIndexes_followIndexedUniqueAndLookups(t *testing.T) {
	o := mustParse(t, "invoice", invoiceDef)
	var got []string
	for _, ix := range o.Indexes() {
		s := ix.Name
		if ix.Unique {
			s += "!"
		}
		got = append(got, s)
	}
	want := "ix_owner,ix_createdAt,ix_createdBy,ix_updatedAt,ix_updatedBy,ix_account,ux_email!"
	if strings.Join(got, ",") != want {
		t.Fatalf("indexes %s, want %s", strings.Join(got, ","), want)
	}
}

func TestDescribe_addsSystemFieldsAndParsesBack(t *testing.T) {
	o := mustParse(t, "invoice", invoiceDef)
	d := o.Describe()
	var m map[string]any
	if err := json.Unmarshal(d, &m); err != nil {
		t.Fatalf("describe is not JSON: %v\n%s", err, d)
	}
	props := m["properties"].(map[string]any)
	for _, n := range []string{"id", "owner", "createdAt", "createdBy", "updatedAt", "updatedBy", "version", "amount"} {
		if _, ok := props[n]; !ok {
			t.Errorf("describe lacks %s", n)
		}
	}
	if !strings.Contains(string(d), `"properties":{"id":`) {
		t.Errorf("system fields should come first: %s", d)
	}
	again := mustParse(t, "invoice", string(d))
	if len(again.Fields) != len(o.Fields) || string(again.Describe()) != string(d) {
		t.Fatalf("round trip changed the definition:\n%s\n%s", d, again.Describe())
	}
}
