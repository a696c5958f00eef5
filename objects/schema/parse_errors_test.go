package schema

import (
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

func TestParse_pointsAtTheBadKeyword(t *testing.T) {
	cases := []struct {
		name, def string
		field     string
		code      string
	}{
		{"unknown field type", `{"title":"X","properties":{"amount":{"x-crm-type":"money"}}}`, "/properties/amount/x-crm-type", "enum"},
		{"missing field type", `{"title":"X","properties":{"amount":{"type":"number"}}}`, "/properties/amount/x-crm-type", "required"},
		{"unknown keyword on a field", `{"title":"X","properties":{"a":{"x-crm-type":"text","x-crm-colour":"red"}}}`, "/properties/a/x-crm-colour", "unknown_keyword"},
		{"unknown top-level keyword", `{"title":"X","properties":{},"x-crm-foo":1}`, "/x-crm-foo", "unknown_keyword"},
		{"bad sharing", `{"title":"X","x-crm-sharing":"public","properties":{}}`, "/x-crm-sharing", "enum"},
		{"missing title", `{"properties":{}}`, "/title", "required"},
		{"bad field name", `{"title":"X","properties":{"Amount":{"x-crm-type":"text"}}}`, "/properties/Amount", "name"},
		{"field name too long", `{"title":"X","properties":{"a23456789012345678901234567890123456789012":{"x-crm-type":"text"}}}`, "/properties/a23456789012345678901234567890123456789012", "name"},
		{"lookup without target", `{"title":"X","properties":{"acc":{"x-crm-type":"lookup"}}}`, "/properties/acc/x-crm-target", "required"},
		{"picklist without values", `{"title":"X","properties":{"s":{"x-crm-type":"picklist"}}}`, "/properties/s/enum", "required"},
		{"formula without expression", `{"title":"X","properties":{"f":{"x-crm-type":"formula","x-crm-result":"number"}}}`, "/properties/f/x-crm-formula", "required"},
		{"autonumber without format", `{"title":"X","properties":{"n":{"x-crm-type":"autonumber"}}}`, "/properties/n/x-crm-format", "required"},
		{"bad scale", `{"title":"X","properties":{"a":{"x-crm-type":"currency","x-crm-scale":12}}}`, "/properties/a/x-crm-scale", "maximum"},
		{"wrong type for keyword value", `{"title":"X","properties":{"a":{"x-crm-type":"text","x-crm-indexed":"yes"}}}`, "/properties/a/x-crm-indexed", "type"},
		{"duplicate picklist values", `{"title":"X","properties":{"s":{"x-crm-type":"picklist","enum":["a","a"]}}}`, "/properties/s/enum", "uniqueItems"},
		{"bad value metadata", `{"title":"X","properties":{"s":{"x-crm-type":"picklist","enum":["a"],"x-crm-values":{"a":{"colour":"red"}}}}}`, "/properties/s/x-crm-values/a/colour", "unknown_keyword"},
		// Semantic checks after the meta-schema.
		{"keyword of another type", `{"title":"X","properties":{"a":{"x-crm-type":"text","x-crm-target":"account"}}}`, "/properties/a/x-crm-target", "not_applicable"},
		{"JSON type disagrees", `{"title":"X","properties":{"a":{"x-crm-type":"currency","type":"string"}}}`, "/properties/a/type", "type"},
		{"picklist default not a value", `{"title":"X","properties":{"s":{"x-crm-type":"picklist","enum":["a","b"],"default":"c"}}}`, "/properties/s/default", "enum"},
		{"picklist default inactive", `{"title":"X","properties":{"s":{"x-crm-type":"picklist","enum":["a","b"],"default":"b","x-crm-values":{"b":{"inactive":true}}}}}`, "/properties/s/default", "inactive"},
		{"value metadata for an unknown value", `{"title":"X","properties":{"s":{"x-crm-type":"picklist","enum":["a"],"x-crm-values":{"z":{"label":"Z"}}}}}`, "/properties/s/x-crm-values/z", "unknown_value"},
		{"currency default with too many places", `{"title":"X","properties":{"a":{"x-crm-type":"currency","default":1.005}}}`, "/properties/a/default", "scale"},
		{"system field name", `{"title":"X","properties":{"owner":{"x-crm-type":"text"}}}`, "/properties/owner", "reserved"},
		{"recycle bin name", `{"title":"X","properties":{"deletedAt":{"x-crm-type":"datetime"}}}`, "/properties/deletedAt", "reserved"},
		{"custom field claims to be a system field", `{"title":"X","properties":{"a":{"x-crm-type":"text","x-crm-system":true}}}`, "/properties/a/x-crm-system", "reserved"},
		{"required names no field", `{"title":"X","properties":{},"required":["nope"]}`, "/required/0", "unknown_field"},
		{"required computed field", `{"title":"X","properties":{"n":{"x-crm-type":"autonumber","x-crm-format":"{0}"}},"required":["n"]}`, "/required/0", "read_only"},
		{"bad autonumber format", `{"title":"X","properties":{"n":{"x-crm-type":"autonumber","x-crm-format":"INV-{00"}}}`, "/properties/n/x-crm-format", "format"},
		{"unindexable unique", `{"title":"X","properties":{"n":{"x-crm-type":"textarea","x-crm-unique":true}}}`, "/properties/n/x-crm-unique", "not_indexable"},
		{"bad regular expression", `{"title":"X","properties":{"n":{"x-crm-type":"text","pattern":"(a"}}}`, "/properties/n/pattern", "pattern"},
		{"maxLength beyond the type", `{"title":"X","properties":{"n":{"x-crm-type":"text","maxLength":256}}}`, "/properties/n/maxLength", "maximum"},
		{"sum roll-up without field", `{"title":"X","properties":{"r":{"x-crm-type":"rollup","x-crm-rollup":{"object":"item","op":"sum"}}}}`, "/properties/r/x-crm-rollup/field", "required"},
		{"duplicate property", `{"title":"X","properties":{"a":{"x-crm-type":"text"},"a":{"x-crm-type":"text"}}}`, "/properties", "duplicate"},
		{"not JSON", `{"title":`, "/", "json"},
		{"not an object", `[1]`, "/", "type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("thing", []byte(c.def))
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || e.Code != "metadata.invalid" {
				t.Fatalf("want metadata.invalid, got %v", err)
			}
			for _, fe := range e.Fields {
				if fe.Field == c.field && fe.Code == c.code {
					if fe.Message == "" {
						t.Fatal("empty message")
					}
					return
				}
			}
			t.Fatalf("want %s:%s, got %+v", c.field, c.code, e.Fields)
		})
	}
}

func TestParse_refusesBadAPIName(t *testing.T) {
	for _, n := range []string{"", "Invoice", "1x", "in-voice", "a2345678901234567890123456789012345678901"} {
		if _, err := Parse(n, []byte(`{"title":"X","properties":{}}`)); errs.CodeOf(err) != "metadata.invalid" {
			t.Errorf("%q accepted: %v", n, err)
		}
	}
}

type resolver map[string]*Object

func (r resolver) Object(n string) (*Object, bool) { o, ok := r[n]; return o, ok }

func TestCheckReferences(t *testing.T) {
	account := mustParse(t, "account", `{"title":"Account","properties":{
		"total": {"x-crm-type":"rollup","x-crm-rollup":{"object":"invoice","field":"amount","op":"sum"},"x-crm-result":"currency"},
		"count": {"x-crm-type":"rollup","x-crm-rollup":{"object":"invoice","op":"count"}},
		"bad":   {"x-crm-type":"rollup","x-crm-rollup":{"object":"invoice","field":"amount","op":"sum"}},
		"badop": {"x-crm-type":"rollup","x-crm-rollup":{"object":"invoice","field":"email","op":"max"}},
		"nokid": {"x-crm-type":"rollup","x-crm-rollup":{"object":"note","op":"count"}},
		"self":  {"x-crm-type":"lookup","x-crm-target":"account"},
		"boss":  {"x-crm-type":"lookup","x-crm-target":"user"},
		"gone":  {"x-crm-type":"lookup","x-crm-target":"nothing"}}}`)
	invoice := mustParse(t, "invoice", `{"title":"Invoice","properties":{
		"account": {"x-crm-type":"masterdetail","x-crm-target":"account"},
		"amount":  {"x-crm-type":"currency"},
		"email":   {"x-crm-type":"email"}}}`)
	note := mustParse(t, "note", `{"title":"Note","properties":{"account":{"x-crm-type":"lookup","x-crm-target":"account"}}}`)
	err := account.CheckReferences(resolver{"invoice": invoice, "note": note})
	e := errs.As(err)
	if e == nil {
		t.Fatal("no error")
	}
	got := codes(e.Fields)
	want := "/properties/bad/x-crm-result:type /properties/badop/x-crm-rollup/field:type /properties/gone/x-crm-target:unknown_object /properties/nokid/x-crm-rollup/object:not_detail"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if err := invoice.CheckReferences(resolver{"account": account}); err != nil {
		t.Fatalf("invoice: %v", err)
	}
}
