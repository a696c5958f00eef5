package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// allTypesDef has one field of every type.
const allTypesDef = `{
  "title": "Everything",
  "properties": {
    "name":     {"x-crm-type": "text", "maxLength": 10},
    "notes":    {"x-crm-type": "textarea"},
    "body":     {"x-crm-type": "richtext"},
    "email":    {"x-crm-type": "email"},
    "phone":    {"x-crm-type": "phone"},
    "site":     {"x-crm-type": "url"},
    "qty":      {"x-crm-type": "number", "type": "integer", "minimum": 0},
    "ratio":    {"x-crm-type": "number", "x-crm-scale": 1},
    "amount":   {"x-crm-type": "currency"},
    "yen":      {"x-crm-type": "currency", "x-crm-scale": 0},
    "discount": {"x-crm-type": "percent", "maximum": 100},
    "active":   {"x-crm-type": "boolean"},
    "due":      {"x-crm-type": "date"},
    "at":       {"x-crm-type": "datetime"},
    "stage":    {"x-crm-type": "picklist", "enum": ["new", "won", "old"], "x-crm-values": {"old": {"inactive": true, "label": "Old"}}},
    "tags":     {"x-crm-type": "multipicklist", "items": {"enum": ["a", "b", "c", "x"]}, "x-crm-values": {"x": {"inactive": true}}},
    "account":  {"x-crm-type": "lookup", "x-crm-target": "account"},
    "parent":   {"x-crm-type": "masterdetail", "x-crm-target": "account"},
    "number":   {"x-crm-type": "autonumber", "x-crm-format": "N-{000}"},
    "where":    {"x-crm-type": "geolocation"},
    "total":    {"x-crm-type": "formula", "x-crm-formula": "qty * 2", "x-crm-result": "currency"},
    "children": {"x-crm-type": "rollup", "x-crm-rollup": {"object": "item", "op": "count"}}
  }
}`

func TestFieldTypes_normalizeValidInvalidAndNull(t *testing.T) {
	o := mustParse(t, "everything", allTypesDef)
	v, err := o.Validator()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		field, in string
		want      any    // stored form when valid
		code      string // expected code when invalid
	}{
		{"name", `"Ann"`, "Ann", ""},
		{"name", `""`, nil, ""},
		{"name", `"much too long"`, nil, "maxLength"},
		{"name", `5`, nil, "type"},
		{"notes", `"line 1\nline 2"`, "line 1\nline 2", ""},
		{"body", `"<p onclick=\"x()\">Hi<script>alert(1)</script></p>"`, "<p>Hi</p>", ""},
		{"body", `"<script>alert(1)</script>"`, nil, ""},
		{"email", `"ann@acme.test"`, "ann@acme.test", ""},
		{"email", `"Ann <ann@acme.test>"`, nil, "format"},
		{"phone", `"+33 1 23 45 67 89"`, "+33 1 23 45 67 89", ""},
		{"phone", `"call me"`, nil, "pattern"},
		{"site", `"https://acme.test/x"`, "https://acme.test/x", ""},
		{"site", `"javascript:alert(1)"`, nil, "format"},
		{"qty", `3`, 3.0, ""},
		{"qty", `3.5`, nil, "type"},
		{"qty", `-1`, nil, "minimum"},
		{"ratio", `0.5`, 0.5, ""},
		{"ratio", `0.55`, nil, "scale"},
		{"amount", `19.99`, int64(1999), ""},
		{"amount", `1e2`, int64(10000), ""},
		{"amount", `0.001`, nil, "scale"},
		{"amount", `1e30`, nil, "maximum"},
		{"yen", `500`, int64(500), ""},
		{"yen", `0.5`, nil, "scale"},
		{"discount", `12.5`, 12.5, ""},
		{"discount", `101`, nil, "maximum"},
		{"active", `true`, true, ""},
		{"active", `"yes"`, nil, "type"},
		{"due", `"2026-02-28"`, "2026-02-28", ""},
		{"due", `"2026-02-30"`, nil, "format"},
		{"at", `"2026-01-31T10:00:00+02:00"`, "2026-01-31T08:00:00.000Z", ""},
		{"at", `"2026-01-31T10:00:00.123456Z"`, "2026-01-31T10:00:00.123Z", ""},
		{"at", `"2026-01-31 10:00"`, nil, "format"},
		{"stage", `"won"`, "won", ""},
		{"stage", `"lost"`, nil, "enum"},
		{"stage", `"old"`, nil, "inactive"},
		{"tags", `["c", "a", "a"]`, nil, "uniqueItems"},
		{"tags", `["c", "a"]`, []any{"a", "c"}, ""},
		{"tags", `[]`, nil, ""},
		{"tags", `["x"]`, nil, "inactive"},
		{"tags", `["z"]`, nil, "enum"},
		{"account", `"acc_1"`, "acc_1", ""},
		{"account", `"a b"`, nil, "pattern"},
		{"parent", `"acc_2"`, "acc_2", ""},
		{"where", `{"lat": 48.85, "lng": 2.35}`, map[string]any{"lat": 48.85, "lng": 2.35}, ""},
		{"where", `{"lat": 91, "lng": 0}`, nil, "maximum"},
		{"where", `{"lat": 1}`, nil, "required"},
		{"number", `"N-001"`, nil, "read_only"},
		{"total", `1`, nil, "read_only"},
		{"children", `1`, nil, "read_only"},
	}
	for _, c := range cases {
		t.Run(c.field+"="+c.in, func(t *testing.T) {
			in := body(t, `{"`+c.field+`": `+c.in+`}`)
			out, p := v.Prepare(in, nil, Update)
			if c.code != "" {
				if len(p) != 1 || p[0].Field != c.field || p[0].Code != c.code {
					t.Fatalf("got %v, want %s:%s", p, c.field, c.code)
				}
				if p[0].Message == "" {
					t.Fatal("empty message")
				}
				return
			}
			if p != nil {
				t.Fatalf("unexpected problems %v", p)
			}
			if got := out[c.field]; !reflect.DeepEqual(got, c.want) {
				t.Fatalf("stored %#v, want %#v", got, c.want)
			}
		})
	}
	t.Run("null clears an optional field", func(t *testing.T) {
		for _, f := range o.Fields {
			if f.ReadOnly() || f.Required {
				continue
			}
			out, p := v.Prepare(map[string]any{f.Name: nil}, nil, Update)
			if p != nil || out[f.Name] != nil {
				t.Errorf("%s: null gave %v %v", f.Name, out, p)
			}
		}
	})
	t.Run("master-detail is always required", func(t *testing.T) {
		if p := v.Validate(map[string]any{"parent": nil}, Update); codes(p) != "parent:required" {
			t.Fatalf("got %v", p)
		}
	})
}

func TestFieldTypes_inactiveValuesStayOnRecordsThatHaveThem(t *testing.T) {
	o := mustParse(t, "everything", allTypesDef)
	v, _ := o.Validator()
	old := map[string]any{"stage": "old", "tags": []any{"a", "x"}}
	out, p := v.Prepare(body(t, `{"stage": "old", "tags": ["x", "a", "b"]}`), old, Update)
	if p != nil {
		t.Fatalf("problems %v", p)
	}
	if out["stage"] != "old" || !reflect.DeepEqual(out["tags"], []any{"a", "b", "x"}) {
		t.Fatalf("got %v", out)
	}
}

func TestFieldTypes_renderAndDefaults(t *testing.T) {
	o := mustParse(t, `thing`, `{"title": "Thing", "properties": {
		"amount": {"x-crm-type": "currency", "default": 5.5},
		"flag":   {"x-crm-type": "boolean"},
		"stage":  {"x-crm-type": "picklist", "enum": ["a", "b"], "default": "b"},
		"total":  {"x-crm-type": "formula", "x-crm-formula": "amount", "x-crm-result": "currency"}}}`)
	in := map[string]any{}
	o.ApplyDefaults(in)
	got, _ := json.Marshal(in)
	if string(got) != `{"amount":5.50,"flag":false,"stage":"b"}` {
		t.Fatalf("defaults %s", got)
	}
	out, _ := json.Marshal(o.Render(map[string]any{"amount": int64(-5), "total": int64(123456789)}))
	if string(out) != `{"amount":-0.05,"total":1234567.89}` {
		t.Fatalf("render %s", out)
	}
}

func TestCurrency_sumsStayExact(t *testing.T) {
	var sum int64
	for i := 0; i < 10; i++ {
		n, err := ToMinorUnits(json.Number("0.1"), 2)
		if err != nil {
			t.Fatal(err)
		}
		sum += n
	}
	if FormatMinorUnits(sum, 2) != "1.00" {
		t.Fatalf("ten times 0.1 is %s", FormatMinorUnits(sum, 2))
	}
	if got := FormatMinorUnits(-9223372036854775808, 2); got != "-92233720368547758.08" {
		t.Fatalf("min int64 renders %s", got)
	}
	a, b := 0.1, 0.2 // variables: constant arithmetic would be exact
	if n, err := ToMinorUnits(a+b, 2); err == nil {
		t.Fatalf("float drift 0.30000000000000004 accepted as %d", n)
	}
}

func TestFormatAutoNumber(t *testing.T) {
	for _, c := range []struct {
		format string
		n      int64
		want   string
	}{{"INV-{0000}", 42, "INV-0042"}, {"{0}", 7, "7"}, {"A{00}B", 12345, "A12345B"}} {
		if got := FormatAutoNumber(c.format, c.n); got != c.want {
			t.Errorf("%s %d: %s", c.format, c.n, got)
		}
	}
}

func TestSanitize_keepsFormattingAndDropsActiveContent(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`<b>bold</b> <i>it`, `<b>bold</b> <i>it</i>`},
		{`<a href="javascript:alert(1)" onclick="x">x</a>`, `<a>x</a>`},
		{`<a href="&#106;avascript:alert(1)">x</a>`, `<a>x</a>`},
		{`<a href="https://x.test/?a=1&b=2" target="_blank">x</a>`, `<a href="https://x.test/?a=1&amp;b=2" rel="noopener noreferrer">x</a>`},
		{`<img src=x onerror=alert(1)>text`, `text`},
		{`<style>p{}</style><svg><script>1</script></svg>ok`, `ok`},
		{`1 < 2 & 3`, `1 &lt; 2 &amp; 3`},
		{`</p>stray<br/>`, `stray<br>`},
	} {
		if got := Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(strings.ToLower(Sanitize(c.in)), "javascript") {
			t.Errorf("javascript survived in %q", c.in)
		}
	}
}

func TestTypes_registryMatchesMetaSchema(t *testing.T) {
	var meta map[string]any
	if err := json.Unmarshal(MetaSchema(), &meta); err != nil {
		t.Fatal(err)
	}
	enum := meta["$defs"].(map[string]any)["field"].(map[string]any)["properties"].(map[string]any)["x-crm-type"].(map[string]any)["enum"].([]any)
	if len(enum) != len(Types()) {
		t.Fatalf("meta-schema lists %d types, registry has %d", len(enum), len(Types()))
	}
	for _, n := range enum {
		if _, ok := LookupType(n.(string)); !ok {
			t.Errorf("meta-schema type %s is not registered", n)
		}
	}
}
