package records_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
)

// dealDef has one formula of every result type, a formula over a formula,
// one that divides by zero and a validation rule.
const dealDef = `{"title":"Deal","type":"object","properties":{
  "name":      {"type":"string","x-crm-type":"text"},
  "amount":    {"type":"number","x-crm-type":"currency"},
  "qty":       {"type":"number","x-crm-type":"number"},
  "status":    {"type":"string","x-crm-type":"picklist","enum":["open","won","lost"],"default":"open"},
  "closeDate": {"type":"string","x-crm-type":"date"},
  "paid":      {"type":"boolean","x-crm-type":"boolean"},
  "total":     {"x-crm-type":"formula","x-crm-result":"currency","x-crm-formula":"amount * qty"},
  "doubled":   {"x-crm-type":"formula","x-crm-result":"currency","x-crm-formula":"total * 2"},
  "share":     {"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"qty / 3"},
  "rounded":   {"x-crm-type":"formula","x-crm-result":"number","x-crm-scale":1,"x-crm-formula":"qty / 3"},
  "rate":      {"x-crm-type":"formula","x-crm-result":"percent","x-crm-formula":"qty * 10"},
  "label":     {"x-crm-type":"formula","x-crm-result":"text","x-crm-formula":"CONCAT(UPPER(name), ' x', TEXT(qty))"},
  "big":       {"x-crm-type":"formula","x-crm-result":"boolean","x-crm-formula":"amount > 100"},
  "due":       {"x-crm-type":"formula","x-crm-result":"date","x-crm-formula":"ADDDAYS(closeDate, 30)"},
  "reminder":  {"x-crm-type":"formula","x-crm-result":"datetime","x-crm-formula":"DATETIMEVALUE(closeDate) + 0.5"},
  "broken":    {"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"qty / (qty - qty)"}
 },
 "x-crm-rules":[
  {"name":"won_needs_amount","condition":"AND(ISPICKVAL(status, 'won'), NOT(amount > 0))","message":"A won deal needs an amount","field":"amount"},
  {"name":"no_lost_paid","condition":"AND(ISPICKVAL(status, 'lost'), paid)","message":"A lost deal cannot be paid"},
  {"name":"inactive","condition":"qty > 1000","message":"never checked","active":false},
  {"name":"huge_share","condition":"share > 1000000","message":"share is huge","field":"qty"}
 ]}`

func TestFormulas_everyResultTypeIsRenderedOnEveryRead(t *testing.T) {
	w := newWorld(t)
	w.define(t, "deal", dealDef)
	created := w.create(t, "deal", `{"name":"acme","amount":12.34,"qty":3,"closeDate":"2024-01-31","paid":false}`)
	want := map[string]string{
		"total": "37.02", "doubled": "74.04", "share": "1", "rounded": "1.0", "rate": "30",
		"label": `"ACME x3"`, "big": "false", "due": `"2024-03-01"`, "reminder": `"2024-01-31T12:00:00.000Z"`,
	}
	check := func(t *testing.T, how string, data map[string]any) {
		t.Helper()
		for k, v := range want {
			if got := jsonOf(data[k]); got != v {
				t.Errorf("%s: %s = %s, want %s", how, k, got, v)
			}
		}
		if v, ok := data["broken"]; ok {
			t.Errorf("%s: a formula that divides by zero must render as null (absent), got %v", how, v)
		}
	}
	check(t, "create", created.Data)
	check(t, "get", w.get(t, "deal", created.ID).Data)
	page, err := w.svc.List(w.ctx, "deal", records.ListOptions{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %v %v", page, err)
	}
	check(t, "list", page.Items[0].Data)
	updated, err := w.svc.Update(w.ctx, "deal", created.ID, body(t, `{"qty":4}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(updated.Data["total"]); got != "49.36" {
		t.Errorf("update result: total = %s, want 49.36", got)
	}

	t.Run("a projection of a formula reads the fields it needs", func(t *testing.T) {
		page, err := w.svc.List(w.ctx, "deal", records.ListOptions{Fields: "doubled,label"})
		if err != nil {
			t.Fatal(err)
		}
		d := page.Items[0].Data
		if jsonOf(d["doubled"]) != "98.72" || jsonOf(d["label"]) != `"ACME x4"` || d["amount"] != nil || d["qty"] != nil {
			t.Fatalf("projected record %v", d)
		}
	})
	t.Run("a formula cannot be filtered on", func(t *testing.T) {
		_, err := w.svc.List(w.ctx, "deal", records.ListOptions{Filter: "total > 1"})
		if errs.KindOf(err) != errs.Malformed {
			t.Fatalf("filter on a formula: %v", err)
		}
	})
	t.Run("a formula is read-only", func(t *testing.T) {
		_, err := w.svc.Update(w.ctx, "deal", created.ID, body(t, `{"total":1}`), 0)
		if e := errs.As(err); e == nil || len(e.Fields) == 0 || e.Fields[0].Code != "read_only" {
			t.Fatalf("writing a formula: %v", err)
		}
	})
	t.Run("empty inputs give null", func(t *testing.T) {
		r := w.create(t, "deal", `{"name":"x"}`)
		for _, k := range []string{"total", "due", "reminder", "share"} {
			if v, ok := r.Data[k]; ok {
				t.Errorf("%s = %v, want null", k, v)
			}
		}
		if r.Data["label"] != "X x" {
			t.Errorf("label = %v, want %q (null text reads as empty)", r.Data["label"], "X x")
		}
	})
}

// TestFormulas_table checks a table of formulas over one fixed record, each
// as a field of its own.
func TestFormulas_table(t *testing.T) {
	cases := []struct {
		result, expr, want string // want "null": absent
	}{
		{"currency", "amount + 0.01", "1000.01"},
		{"currency", "amount / 3", "333.33"},
		{"currency", "amount * 0.075", "75.00"},
		{"number", "amount / amount", "1"},
		{"number", "ROUND(qty / 7, 3)", "0.429"},
		{"number", "MOD(qty, 2)", "1"},
		{"number", "ABS(0 - qty)", "3"},
		{"number", "LEN(name)", "5"},
		{"number", "DATEDIFF(closeDate, DATE(2024, 12, 31))", "335"},
		{"number", "DATEDIFF('month', closeDate, DATE(2024, 12, 31))", "11"},
		{"number", "YEAR(closeDate) * 100 + MONTH(closeDate)", "202401"},
		{"number", "IF(paid, 1, 0)", "1"},
		{"number", "CASE(status, 'open', 1, 'won', 2, 0)", "2"},
		{"number", "VALUE('12.5') + 1", "13.5"},
		{"number", "1 / 0", "null"},
		{"percent", "qty / 4 * 100", "75"},
		{"text", "TEXT(amount)", `"1000"`},
		{"text", "LEFT(name, 2) & '-' & RIGHT(name, 2)", `"Gl-bx"`},
		{"text", "IF(ISBLANK(notes), 'none', notes)", `"none"`},
		{"text", "BLANKVALUE(notes, name)", `"Globx"`},
		{"text", "SUBSTITUTE(name, 'bx', 'bex')", `"Globex"`},
		{"text", "TEXT(closeDate)", `"2024-01-31"`},
		{"text", "owner", `"u1"`},
		{"boolean", "ISPICKVAL(status, 'won')", "true"},
		{"boolean", "CONTAINS(name, 'lob')", "true"},
		{"boolean", "ISBLANK(notes)", "true"},
		{"boolean", "amount >= 1000 && qty < 3", "false"},
		{"boolean", "NOT(paid)", "false"},
		{"date", "ADDMONTHS(closeDate, 1)", `"2024-02-29"`},
		{"date", "closeDate + 1", `"2024-02-01"`},
		{"date", "DATE(2024, 2, 30)", "null"},
		{"date", "DATEVALUE(createdAt)", `"` + fixedNow[:10] + `"`},
		{"datetime", "createdAt + 1", `"2025-06-02T08:30:00.000Z"`},
		{"datetime", "DATETIMEVALUE('2024-05-01T10:00:00Z')", `"2024-05-01T10:00:00.000Z"`},
	}
	var props []string
	for i, c := range cases {
		props = append(props, fmt.Sprintf(`"f%d":{"x-crm-type":"formula","x-crm-result":%q,"x-crm-formula":%q}`, i, c.result, c.expr))
	}
	def := `{"title":"Thing","type":"object","properties":{
	  "name":{"type":"string","x-crm-type":"text"},"notes":{"type":"string","x-crm-type":"text"},
	  "amount":{"type":"number","x-crm-type":"currency"},"qty":{"type":"number","x-crm-type":"number"},
	  "status":{"type":"string","x-crm-type":"picklist","enum":["open","won"]},
	  "closeDate":{"type":"string","x-crm-type":"date"},"paid":{"type":"boolean","x-crm-type":"boolean"},` +
		strings.Join(props, ",") + `}}`
	w := newWorldAt(t, fixedNow)
	w.define(t, "thing", def)
	r := w.create(t, "thing", `{"name":"Globx","amount":1000,"qty":3,"status":"won","closeDate":"2024-01-31","paid":true}`)
	for i, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			got, ok := r.Data[fmt.Sprintf("f%d", i)]
			g := jsonOf(got)
			if !ok {
				g = "null"
			}
			if g != c.want {
				t.Fatalf("%s as %s = %s, want %s", c.expr, c.result, g, c.want)
			}
		})
	}
}

func TestPut_refusesBadExpressionsWithTheirPosition(t *testing.T) {
	w := newWorld(t)
	w.define(t, "parent", `{"title":"Parent","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"}}}`)
	w.define(t, "kid", `{"title":"Kid","type":"object","properties":{
	  "parent":{"type":"string","x-crm-type":"masterdetail","x-crm-target":"parent"},
	  "amount":{"type":"number","x-crm-type":"currency"}}}`)
	base := `{"title":"T","type":"object","properties":{"amount":{"type":"number","x-crm-type":"currency"},%s}%s}`
	for _, c := range []struct {
		name, field, rules, pointer, code string
		pos                               int
	}{
		{"a syntax error", `"f":{"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"amount * (2 +"}`, "",
			"/properties/f/x-crm-formula", "formula.syntax", 14},
		{"an unknown field", `"f":{"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"amount + amuont"}`, "",
			"/properties/f/x-crm-formula", "formula.type", 10},
		{"a type mismatch", `"f":{"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"amount + 'x'"}`, "",
			"/properties/f/x-crm-formula", "formula.type", 0},
		{"a result that does not fit x-crm-result", `"f":{"x-crm-type":"formula","x-crm-result":"date","x-crm-formula":"amount * 2"}`, "",
			"/properties/f/x-crm-formula", "result_type", 1},
		{"formulas that refer to each other", `"f":{"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"g + 1"},
		  "g":{"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"f * 2"}`, "",
			"/properties/g/x-crm-formula", "cycle", 0},
		{"a rule condition that does not parse", `"n":{"type":"number","x-crm-type":"number"}`,
			`,"x-crm-rules":[{"name":"r","condition":"n >","message":"m"}]`, "/x-crm-rules/0/condition", "formula.syntax", 4},
		{"a rule condition that is not true or false", `"n":{"type":"number","x-crm-type":"number"}`,
			`,"x-crm-rules":[{"name":"r","condition":"n + 1","message":"m"}]`, "/x-crm-rules/0/condition", "result_type", 1},
		{"a rule on an unknown field", `"n":{"type":"number","x-crm-type":"number"}`,
			`,"x-crm-rules":[{"name":"r","condition":"n > 1","message":"m","field":"nope"}]`, "/x-crm-rules/0/field", "unknown_field", 0},
		{"a rule with an unknown keyword", `"n":{"type":"number","x-crm-type":"number"}`,
			`,"x-crm-rules":[{"name":"r","condition":"n > 1","message":"m","severity":"high"}]`, "/x-crm-rules/0/severity", "unknown_keyword", 0},
		{"a roll-up filter on an unknown field", `"total":{"x-crm-type":"rollup","x-crm-result":"currency","x-crm-rollup":{"object":"kid","op":"sum","field":"amount","filter":"amount > 0 AND nope = 1"}}`, "",
			"/properties/total/x-crm-rollup/filter", "query.unknown_field", 16},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "parent"
			if !strings.Contains(c.field, "rollup") {
				name = "t"
			}
			def := fmt.Sprintf(base, c.field, c.rules)
			if name == "parent" {
				def = strings.Replace(def, `"title":"T"`, `"title":"Parent"`, 1)
			}
			_, _, err := w.meta.Put(w.ctx, tenant, name, []byte(def), metadata.PutOptions{})
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || len(e.Fields) == 0 {
				t.Fatalf("Put = %v, want a 422", err)
			}
			fe := e.Fields[0]
			if fe.Field != c.pointer || fe.Code != c.code || (c.pos != 0 && fe.Position != c.pos) {
				t.Fatalf("field error %+v, want %s %s at %d", fe, c.pointer, c.code, c.pos)
			}
		})
	}
}

func TestRules_failTheSaveWithTheirMessage(t *testing.T) {
	w := newWorld(t)
	w.define(t, "deal", dealDef)
	ok := w.create(t, "deal", `{"name":"a","amount":10,"status":"won"}`)
	for _, c := range []struct {
		name, op, body string
		field, code    string
		msg            string
	}{
		{"a true condition fails a create on its field", "create", `{"name":"b","status":"won"}`, "amount", "rule", "A won deal needs an amount"},
		{"a rule without a field fails the whole record", "create", `{"name":"b","status":"lost","paid":true}`, "", "rule", "A lost deal cannot be paid"},
		{"an update is checked against the merged record", "update", `{"amount":null}`, "amount", "rule", "A won deal needs an amount"},
		{"a rule reading a formula", "create", `{"name":"b","qty":4000000}`, "qty", "rule", "share is huge"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.op == "create" {
				_, err = w.svc.Create(w.ctx, "deal", body(t, c.body))
			} else {
				_, err = w.svc.Update(w.ctx, "deal", ok.ID, body(t, c.body), 0)
			}
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || len(e.Fields) != 1 {
				t.Fatalf("save = %v, want one rule error", err)
			}
			if fe := e.Fields[0]; fe.Field != c.field || fe.Code != c.code || fe.Message != c.msg {
				t.Fatalf("field error %+v", fe)
			}
		})
	}
	t.Run("records that satisfy the rules save, inactive rules are not checked", func(t *testing.T) {
		w.create(t, "deal", `{"name":"c","status":"lost","paid":false,"qty":1001}`)
		if _, err := w.svc.Update(w.ctx, "deal", ok.ID, body(t, `{"amount":20}`), 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a rule change makes a new version", func(t *testing.T) {
		def := strings.Replace(dealDef, `"message":"A lost deal cannot be paid"`, `"message":"A lost deal cannot be paid","active":false`, 1)
		e, plan, err := w.meta.Put(w.ctx, tenant, "deal", []byte(def), metadata.PutOptions{})
		if err != nil || len(plan.Changes) != 1 || plan.Changes[0].What != "rules" || e.Version != 2 {
			t.Fatalf("put: %v %+v", err, plan)
		}
		w.create(t, "deal", `{"name":"d","status":"lost","paid":true}`)
	})
}
