package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

// body decodes a JSON record body the way the HTTP edge does (UseNumber).
func body(t testing.TB, s string) map[string]any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad test body %s: %v", s, err)
	}
	return v.(map[string]any)
}

func codes(p []errs.FieldError) string {
	var out []string
	for _, fe := range p {
		out = append(out, fe.Field+":"+fe.Code)
	}
	return strings.Join(out, " ")
}

func TestValidate_mapsErrorsToRecordFields(t *testing.T) {
	o := mustParse(t, "invoice", invoiceDef)
	v, err := o.Validator()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, body string
		mode       Mode
		want       string
	}{
		{"valid create", `{"amount": 12.5, "status": "sent", "email": "a@b.co", "account": "acc_1"}`, Create, ""},
		{"unknown field is refused", `{"amount": 1, "nmae": "x"}`, Create, "nmae:unknown_field"},
		{"missing required field", `{"status": "sent"}`, Create, "amount:required"},
		{"null required field", `{"amount": null}`, Create, "amount:required"},
		{"minimum", `{"amount": -1}`, Create, "amount:minimum"},
		{"type", `{"amount": "12"}`, Create, "amount:type"},
		{"enum", `{"amount": 1, "status": "lost"}`, Create, "status:enum"},
		{"format", `{"amount": 1, "email": "not-an-email"}`, Create, "email:format"},
		{"scale", `{"amount": 1.234}`, Create, "amount:scale"},
		{"system field sent is read-only", `{"amount": 1, "createdAt": "2026-01-01T00:00:00Z"}`, Create, "createdAt:read_only"},
		{"computed field is read-only", `{"amount": 1, "number": "INV-0001"}`, Create, "number:read_only"},
		{"update needs no required fields", `{"status": "paid"}`, Update, ""},
		{"update cannot clear a required field", `{"amount": null}`, Update, "amount:required"},
		{"several problems, sorted", `{"amount": "x", "zzz": 1, "email": 3}`, Create, "amount:type email:type zzz:unknown_field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := codes(v.Validate(body(t, c.body), c.mode))
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestPrepare_returnsStoredFormsAndAcceptsUnchangedReadOnly(t *testing.T) {
	o := mustParse(t, "invoice", invoiceDef)
	v, _ := o.Validator()
	old := map[string]any{"id": "r1", "version": int64(3), "amount": int64(1250), "createdAt": "2026-01-01T00:00:00.000Z"}
	out, p := v.Prepare(body(t, `{"id": "r1", "version": 3, "createdAt": "2026-01-01T01:00:00+01:00", "amount": 0.1, "email": null}`), old, Update)
	if p != nil {
		t.Fatalf("problems %v", p)
	}
	want := map[string]any{"amount": int64(10), "email": nil}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got %#v", out)
	}
	_, p = v.Prepare(body(t, `{"version": 2}`), old, Update)
	if codes(p) != "version:read_only" {
		t.Fatalf("changed version accepted: %v", p)
	}
}

func TestRender_writesExactCurrency(t *testing.T) {
	o := mustParse(t, "invoice", invoiceDef)
	out, _ := json.Marshal(o.Render(map[string]any{"amount": int64(1005), "status": "draft", "internal": 1}))
	if string(out) != `{"amount":10.05,"status":"draft"}` {
		t.Fatalf("render %s", out)
	}
}
