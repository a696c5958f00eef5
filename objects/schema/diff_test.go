package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

func obj(t *testing.T, props string, required ...string) *Object {
	t.Helper()
	req, _ := json.Marshal(append([]string{}, required...))
	return mustParse(t, "deal", `{"title":"Deal","properties":{`+props+`},"required":`+string(req)+`}`)
}

func summary(cs Changes) string {
	var out []string
	for _, c := range cs {
		s := c.Field + ":" + c.Op + ":" + c.What + ":" + c.Severity.String()
		if c.Check != "" {
			s += ":" + string(c.Check)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestDiff_classifiesChanges(t *testing.T) {
	base := `"name":{"x-crm-type":"text"},"stage":{"x-crm-type":"picklist","enum":["a","b"]},"acc":{"x-crm-type":"lookup","x-crm-target":"account"},"amt":{"x-crm-type":"currency"}`
	cases := []struct {
		name     string
		old, new *Object
		want     string
	}{
		{"label change is safe", obj(t, base), obj(t, strings.Replace(base, `"text"}`, `"text","x-crm-label":"Title"}`, 1)), "name:changed:label:safe"},
		{"new optional field is safe", obj(t, base), obj(t, base+`,"x":{"x-crm-type":"text"}`), "x:added::safe"},
		{"new required field needs a check", obj(t, base), obj(t, base+`,"x":{"x-crm-type":"text"}`, "x"), "x:added::needs_check:required"},
		{"becoming required needs a check", obj(t, base), obj(t, base, "name"), "name:changed:required:needs_check:required"},
		{"becoming unique needs a check", obj(t, base), obj(t, strings.Replace(base, `"text"}`, `"text","x-crm-unique":true}`, 1)), "name:changed:unique:needs_check:unique"},
		{"type change needs a conversion", obj(t, base), obj(t, strings.Replace(base, `"name":{"x-crm-type":"text"}`, `"name":{"x-crm-type":"number"}`, 1)), "name:changed:type:needs_check:convert"},
		{"impossible type change is refused", obj(t, base), obj(t, strings.Replace(base, `"name":{"x-crm-type":"text"}`, `"name":{"x-crm-type":"geolocation"}`, 1)), "name:changed:type:refused"},
		{"stored to computed is refused", obj(t, base), obj(t, strings.Replace(base, `"name":{"x-crm-type":"text"}`, `"name":{"x-crm-type":"formula","x-crm-formula":"1","x-crm-result":"text"}`, 1)), "name:changed:type:refused"},
		{"picklist value removed needs a check", obj(t, base), obj(t, strings.Replace(base, `["a","b"]`, `["a"]`, 1)), "stage:changed:values:needs_check:values"},
		{"picklist value added is safe", obj(t, base), obj(t, strings.Replace(base, `["a","b"]`, `["a","b","c"]`, 1)), "stage:changed:values:safe"},
		{"lookup target change is refused", obj(t, base), obj(t, strings.Replace(base, `"account"`, `"contact"`, 1)), "acc:changed:target:refused"},
		{"scale change needs a conversion", obj(t, base), obj(t, strings.Replace(base, `"currency"}`, `"currency","x-crm-scale":3}`, 1)), "amt:changed:scale:needs_check:convert"},
		{"tighter constraint needs a check", obj(t, base), obj(t, strings.Replace(base, `"currency"}`, `"currency","minimum":0}`, 1)), "amt:changed:constraints:needs_check:constraints"},
		{"dropping a live field is refused", obj(t, base), obj(t, strings.Replace(base, `"name":{"x-crm-type":"text"},`, ``, 1)), "name:removed:removed:refused"},
		{"hiding a field is safe", obj(t, base), obj(t, strings.Replace(base, `"text"}`, `"text","x-crm-deleted":true}`, 1)), "name:changed:deleted:safe"},
		{"dropping a deleted field purges", obj(t, strings.Replace(base, `"text"}`, `"text","x-crm-deleted":true}`, 1)), obj(t, strings.Replace(base, `"name":{"x-crm-type":"text"},`, ``, 1)), "name:removed::needs_check:purge"},
		{"renamed object is refused", obj(t, base), mustParse(t, "other", `{"title":"Deal","properties":{`+base+`}}`), ":changed:apiName:refused"},
		{"no change, no changes", obj(t, base), obj(t, base), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := summary(Diff(c.old, c.new)); got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestChanges_errNamesRefusedFields(t *testing.T) {
	cs := Diff(obj(t, `"a":{"x-crm-type":"text"}`), obj(t, `"b":{"x-crm-type":"text"}`))
	e := errs.As(cs.Err())
	if e == nil || e.Kind != errs.Conflict || e.Code != "metadata.change_refused" || e.Fields[0].Field != "a" {
		t.Fatalf("got %v", cs.Err())
	}
	if Diff(obj(t, `"a":{"x-crm-type":"text"}`), obj(t, `"a":{"x-crm-type":"text"}`)).Err() != nil {
		t.Fatal("no change refused")
	}
}

func TestConverter_dryRunsTypeChanges(t *testing.T) {
	cases := []struct {
		name, from, to string
		in             any // stored under the old field
		want           any // stored under the new field, when code is ""
		code           string
	}{
		{"text to number converts digits", `{"x-crm-type":"text"}`, `{"x-crm-type":"number"}`, "12", 12.0, ""},
		{"text to number refuses words", `{"x-crm-type":"text"}`, `{"x-crm-type":"number"}`, "abc", nil, "type"},
		{"text to currency is exact", `{"x-crm-type":"text"}`, `{"x-crm-type":"currency"}`, "19.99", int64(1999), ""},
		{"number to text", `{"x-crm-type":"number"}`, `{"x-crm-type":"text"}`, 1.5, "1.5", ""},
		{"currency rescale up", `{"x-crm-type":"currency"}`, `{"x-crm-type":"currency","x-crm-scale":3}`, int64(1999), int64(19990), ""},
		{"currency rescale down refuses cents", `{"x-crm-type":"currency"}`, `{"x-crm-type":"currency","x-crm-scale":0}`, int64(1999), nil, "scale"},
		{"currency rescale down keeps whole amounts", `{"x-crm-type":"currency"}`, `{"x-crm-type":"currency","x-crm-scale":0}`, int64(2000), int64(20), ""},
		{"date to datetime", `{"x-crm-type":"date"}`, `{"x-crm-type":"datetime"}`, "2026-01-31", "2026-01-31T00:00:00.000Z", ""},
		{"text to picklist checks values", `{"x-crm-type":"text"}`, `{"x-crm-type":"picklist","enum":["a"]}`, "b", nil, "enum"},
		{"removed picklist value fails", `{"x-crm-type":"picklist","enum":["a","b"]}`, `{"x-crm-type":"picklist","enum":["a"]}`, "b", nil, "enum"},
		{"multipicklist to picklist with one value", `{"x-crm-type":"multipicklist","items":{"enum":["a","b"]}}`, `{"x-crm-type":"picklist","enum":["a","b"]}`, []any{"b"}, "b", ""},
		{"multipicklist to picklist with two values", `{"x-crm-type":"multipicklist","items":{"enum":["a","b"]}}`, `{"x-crm-type":"picklist","enum":["a","b"]}`, []any{"a", "b"}, nil, "type"},
		{"text to boolean", `{"x-crm-type":"text"}`, `{"x-crm-type":"boolean"}`, "true", true, ""},
		{"tighter maxLength", `{"x-crm-type":"text"}`, `{"x-crm-type":"text","maxLength":3}`, "abcd", nil, "maxLength"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := obj(t, `"f":`+c.from)
			nw := obj(t, `"f":`+c.to)
			v, _ := nw.Validator()
			conv, ok := v.Converter(old.Fields[0])
			if !ok {
				t.Fatal("not convertible")
			}
			got, fe := conv(c.in)
			if c.code != "" {
				if fe == nil || fe.Code != c.code {
					t.Fatalf("got %v %v, want code %s", got, fe, c.code)
				}
				return
			}
			if fe != nil || !jsonEqual(got, c.want) {
				t.Fatalf("got %#v %v, want %#v", got, fe, c.want)
			}
		})
	}
	t.Run("becoming required reports empty records", func(t *testing.T) {
		v, _ := obj(t, `"f":{"x-crm-type":"text"}`, "f").Validator()
		conv, _ := v.Converter(obj(t, `"f":{"x-crm-type":"text"}`).Fields[0])
		if _, fe := conv(nil); fe == nil || fe.Code != "required" {
			t.Fatalf("got %v", fe)
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
