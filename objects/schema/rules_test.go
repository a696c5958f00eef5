package schema

import (
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

const ruledDef = `{"title":"Invoice","type":"object",
 "properties":{"amount":{"type":"number","x-crm-type":"currency"},"gone":{"type":"string","x-crm-type":"text","x-crm-deleted":true}},
 "x-crm-rules":[%s]}`

func TestParse_readsValidationRules(t *testing.T) {
	o := mustParse(t, "invoice", strings.Replace(ruledDef, "%s",
		`{"name":"positive","condition":"amount <= 0","message":"Needs an amount","field":"amount"},
		 {"name":"off","condition":"FALSE","message":"m","active":false,"description":"kept for later"}`, 1))
	want := []Rule{
		{Name: "positive", Condition: "amount <= 0", Message: "Needs an amount", Field: "amount", Active: true},
		{Name: "off", Condition: "FALSE", Message: "m", Active: false, Description: "kept for later"},
	}
	if len(o.Rules) != len(want) {
		t.Fatalf("rules %+v", o.Rules)
	}
	for i := range want {
		if o.Rules[i] != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, o.Rules[i], want[i])
		}
	}
}

func TestParse_refusesBadValidationRules(t *testing.T) {
	for _, c := range []struct{ name, rules, pointer, code string }{
		{"a rule without a message", `{"name":"r","condition":"TRUE"}`, "/x-crm-rules/0/message", "required"},
		{"a bad rule name", `{"name":"Bad Name","condition":"TRUE","message":"m"}`, "/x-crm-rules/0/name", "pattern"},
		{"an empty condition", `{"name":"r","condition":"","message":"m"}`, "/x-crm-rules/0/condition", "minLength"},
		{"an unknown keyword", `{"name":"r","condition":"TRUE","message":"m","level":1}`, "/x-crm-rules/0/level", "unknown_keyword"},
		{"two rules with one name", `{"name":"r","condition":"TRUE","message":"m"},{"name":"r","condition":"TRUE","message":"m"}`,
			"/x-crm-rules/1/name", "duplicate"},
		{"a rule on an unknown field", `{"name":"r","condition":"TRUE","message":"m","field":"nope"}`, "/x-crm-rules/0/field", "unknown_field"},
		{"a rule on a deleted field", `{"name":"r","condition":"TRUE","message":"m","field":"gone"}`, "/x-crm-rules/0/field", "unknown_field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("invoice", []byte(strings.Replace(ruledDef, "%s", c.rules, 1)))
			e := errs.As(err)
			if e == nil || len(e.Fields) == 0 {
				t.Fatalf("Parse = %v, want a metadata.invalid error", err)
			}
			for _, fe := range e.Fields {
				if fe.Field == c.pointer && fe.Code == c.code {
					return
				}
			}
			t.Fatalf("errors %+v lack %s %s", e.Fields, c.pointer, c.code)
		})
	}
}

func TestDiff_reportsARuleChange(t *testing.T) {
	a := mustParse(t, "invoice", strings.Replace(ruledDef, "%s", `{"name":"r","condition":"TRUE","message":"m"}`, 1))
	b := mustParse(t, "invoice", strings.Replace(ruledDef, "%s", `{"name":"r","condition":"TRUE","message":"changed"}`, 1))
	cs := Diff(a, b)
	if len(cs) != 1 || cs[0].What != "rules" || cs[0].Severity != Safe {
		t.Fatalf("changes %+v", cs)
	}
}
