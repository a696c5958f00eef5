package jsvm

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

func TestCompile_reportsLineAndColumn(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line, col int
	}{
		{"syntax error", "function beforeCreate(ctx) {\n  let x = ;\n}", 2, 11},
		{"unterminated string", "function f() {}\nconst s = 'abc", 2, 11},
		{"BigInt literal", "function beforeCreate(ctx) {\n  ctx.record.n = 2n ** 64n\n}", 2, 18},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile("s.js", tc.src)
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || e.Code != "script.compile" || len(e.Fields) != 1 {
				t.Fatalf("err = %#v", err)
			}
			if f := e.Fields[0]; f.Line != tc.line || f.Column != tc.col {
				t.Fatalf("at %d:%d, want %d:%d (%s)", f.Line, f.Column, tc.line, tc.col, f.Message)
			}
		})
	}
}

func TestCompile_findsEventFunctions(t *testing.T) {
	p := mustCompile(t, `function beforeCreate(ctx) {}
var afterUpdate = (ctx) => {}
var notAFunction = 1
function approve(ctx) {}
{ function nested() {} }`)
	if got, want := p.Events(), []string{"afterUpdate", "approve", "beforeCreate"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if !p.Has("approve") || p.Has("afterCreate") || p.Has("notAFunction") {
		t.Fatal("Has is wrong")
	}
}

func TestCache_keepsVersionsBoundedPerTenant(t *testing.T) {
	c := NewCache(2)
	a1, err := c.Program(CacheKey{"acme", "s", 1}, `function beforeCreate(){}`)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Program(CacheKey{"acme", "s", 1}, `this source is not compiled again`)
	if again != a1 {
		t.Fatal("a cached version was compiled again")
	}
	other, _ := c.Program(CacheKey{"globex", "s", 1}, `function afterCreate(){}`)
	if other == a1 || other.Has("beforeCreate") {
		t.Fatal("two tenants share a program")
	}
	c.Program(CacheKey{"acme", "s", 2}, `function beforeUpdate(){}`)
	if c.Len() != 2 {
		t.Fatalf("len = %d, want 2", c.Len())
	}
	if _, err := c.Program(CacheKey{"acme", "bad", 1}, `function (`); errs.CodeOf(err) != "script.compile" {
		t.Fatalf("err = %v", err)
	}
	c.Forget("acme", "s")
	if c.Len() != 1 {
		t.Fatalf("len after Forget = %d", c.Len())
	}
}

func TestRun_ctxMembers(t *testing.T) {
	e := newEngine(t, Config{})
	h := newMapHost()
	h.put("account", map[string]any{"id": "a1", "name": "Acme", "stage": "open"})
	h.put("account", map[string]any{"id": "a2", "name": "Globex", "stage": "won"})
	src := `function beforeUpdate(ctx) {
  const r = ctx.record
  r.event = ctx.event
  r.oldName = ctx.old.name
  r.user = [ctx.user.id, ctx.user.email, ctx.user.name, ctx.user.roles.join('+')].join('|')
  r.got = ctx.records.get('account', 'a1').name
  r.missing = ctx.records.get('account', 'zz')
  const page = ctx.records.query('account', {filter: "stage = 'open'", sort: '-name', limit: 1, fields: ['name']})
  r.page = [page.items.length, page.nextCursor]
  const made = ctx.records.create('task', {subject: 'call', due: new Date(Date.UTC(2026, 0, 31))})
  r.made = made.id
  r.updated = ctx.records.update('task', made.id, {subject: 'call back'}).subject
  ctx.records.delete('task', made.id)
  r.rows = ctx.records.aggregate('account', {filter: 'x', groupBy: ['stage', {field: 'createdAt', by: 'month'}], measures: [{op: 'count'}, {op: 'sum', field: 'amount'}]})
  try { ctx.records.query('account', {filter: 'bad'}) } catch (e) { r.caught = e.code + ': ' + e.message }
  ctx.log('hello', 42, {a: [1, 'b']}, null)
  ctx.error('name', 'too short')
  ctx.error(null, 'whole record')
}`
	res, err := e.Run(context.Background(), mustCompile(t, src), "beforeUpdate", Input{
		Tenant: "acme",
		Record: map[string]any{"id": "c1", "name": "Ann"},
		Old:    map[string]any{"id": "c1", "name": "Anne"},
		User:   User{ID: "u1", Email: "u@acme.test", Name: "U One", Roles: []string{"sales", "admin"}},
	}, h)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Record
	want := map[string]any{
		"event": "beforeUpdate", "oldName": "Anne", "user": "u1|u@acme.test|U One|sales+admin", "got": "Acme",
		"missing": nil, "made": "task-1", "updated": "call back", "caught": "filter.syntax: unexpected end of filter",
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("record[%s] = %#v, want %#v", k, r[k], v)
		}
	}
	if !reflect.DeepEqual(r["page"], []any{int64(1), "a1"}) {
		t.Errorf("page = %#v", r["page"])
	}
	if rows, _ := r["rows"].([]any); len(rows) != 2 {
		t.Errorf("rows = %#v", r["rows"])
	}
	wantCalls := []string{"get account a1", "get account zz", `query account "stage = 'open'" "-name" 1 [name]`, "create task",
		"update task task-1", "delete task task-1", "aggregate account x stage/,createdAt/month,count:,sum:amount", `query account "bad" "" 0 []`}
	if !reflect.DeepEqual(h.calls, wantCalls) {
		t.Errorf("host calls = %q\nwant %q", h.calls, wantCalls)
	}
	if created := h.objects["task"]; len(created) != 0 {
		t.Errorf("task not deleted: %v", created)
	}
	if !reflect.DeepEqual(res.Logs, []string{`hello 42 {"a":[1,"b"]} null`}) {
		t.Errorf("logs = %q", res.Logs)
	}
	wantErrs := []errs.FieldError{{Field: "name", Code: "script", Message: "too short"}, {Field: "", Code: "script", Message: "whole record"}}
	if !reflect.DeepEqual(res.Errors, wantErrs) {
		t.Errorf("errors = %#v", res.Errors)
	}
	if e := errs.As(res.Err()); e == nil || e.Kind != errs.Invalid || len(e.Fields) != 2 {
		t.Errorf("Result.Err = %v", res.Err())
	}
	u := res.Usage
	if u.Queries != 5 || u.Writes != 3 || u.RecordsFetched != 4 || u.Depth != 1 || u.LogBytes != len(res.Logs[0]) || u.Duration <= 0 {
		t.Errorf("usage = %+v", u)
	}
}

func TestRun_apiObjectsAreFrozen(t *testing.T) {
	e := newEngine(t, Config{})
	for _, tc := range []struct{ name, event, body string }{
		{"ctx member", "beforeCreate", `ctx.records = null`},
		{"ctx new member", "beforeCreate", `ctx.extra = 1`},
		{"records method", "beforeCreate", `ctx.records.get = () => 1`},
		{"user", "beforeCreate", `ctx.user.roles.push('admin')`},
		{"old", "beforeUpdate", `ctx.old.name = 'x'`},
		{"record in after-event", "afterUpdate", `ctx.record.name = 'x'`},
		{"nested record value in after-event", "afterUpdate", `ctx.record.tags.push('x')`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "function " + tc.event + "(ctx) {\n  " + tc.body + "\n}"
			_, err := runScript(t, e, src, tc.event, Input{
				Record: map[string]any{"name": "a", "tags": []any{"t"}}, Old: map[string]any{"name": "b"},
				User: User{Roles: []string{"sales"}}}, nil)
			if e := errs.As(err); e == nil || e.Code != "script.error" || !strings.Contains(e.Message, "TypeError") || e.Fields[0].Line != 2 {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestRun_afterEventReturnsNoRecord(t *testing.T) {
	e := newEngine(t, Config{})
	res, err := runScript(t, e, `function afterCreate(ctx) { ctx.log(ctx.record.name) }`, "afterCreate",
		Input{Record: map[string]any{"name": "a"}}, nil)
	if err != nil || res.Record != nil || len(res.Logs) != 1 {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

func TestRun_thrownValuesBecomeScriptErrors(t *testing.T) {
	e := newEngine(t, Config{})
	for _, tc := range []struct{ name, throw, msg string }{
		{"Error", `new Error('bad amount')`, "Error: bad amount"},
		{"RangeError", `new RangeError('out of range')`, "RangeError: out of range"},
		{"string", `'plain string'`, "plain string"},
		{"number", `42`, "42"},
		{"null", `null`, "null"},
		{"undefined", `undefined`, "undefined"},
		{"object", `{code: 7, why: 'x'}`, `{"code":7,"why":"x"}`},
		{"array", `[1, 'two']`, `[1,"two"]`},
		{"custom class", `new (class Oops extends Error { constructor() { super('custom'); this.name = 'Oops' } })()`, "Oops: custom"},
		{"error with throwing getter", `Object.defineProperty(new Error('x'), 'message', {get() { throw 1 }})`, "Error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "function helper() {\n    throw " + tc.throw + "\n}\nfunction beforeCreate(ctx) {\n  helper()\n}"
			_, err := runScript(t, e, src, "beforeCreate", Input{}, nil)
			x := errs.As(err)
			if x == nil || x.Kind != errs.Invalid || x.Code != "script.error" {
				t.Fatalf("err = %v", err)
			}
			if x.Fields[0].Message != tc.msg || x.Fields[0].Line != 2 || x.Extra["script"] != "test.js" {
				t.Fatalf("field error = %+v, want message %q on line 2", x.Fields[0], tc.msg)
			}
			if !strings.Contains(x.Message, `"test.js"`) || !strings.Contains(x.Message, "line 2") {
				t.Fatalf("message %q does not name the script and line", x.Message)
			}
		})
	}
}

func TestRun_uncaughtHostErrorNamesItsCode(t *testing.T) {
	e := newEngine(t, Config{})
	_, err := runScript(t, e, "function beforeCreate(ctx) {\n\n  ctx.records.update('x', 'nope', {})\n}", "beforeCreate", Input{}, nil)
	x := errs.As(err)
	if x == nil || x.Code != "script.error" || x.Extra["code"] != "record.not_found" || x.Fields[0].Line != 3 {
		t.Fatalf("err = %#v", err)
	}
}

func TestRun_recordValuesRoundTrip(t *testing.T) {
	e := newEngine(t, Config{})
	res, err := runScript(t, e, `function beforeCreate(ctx) {
  ctx.record.when = new Date(Date.UTC(2026, 0, 31, 10))
  ctx.record.nested = {list: [1, 2.5, 'x', null, true], skipped: undefined}
}`, "beforeCreate", Input{Record: map[string]any{"kept": map[string]any{"a": []any{"b"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"kept":   map[string]any{"a": []any{"b"}},
		"when":   "2026-01-31T10:00:00Z",
		"nested": map[string]any{"list": []any{int64(1), 2.5, "x", nil, true}},
	}
	if !reflect.DeepEqual(res.Record, want) {
		t.Fatalf("record = %#v", res.Record)
	}
	for _, bad := range []string{`ctx.record.f = function () {}`, `ctx.record.n = NaN`, `ctx.record.s = Symbol('x')`} {
		_, err := runScript(t, e, "function beforeCreate(ctx) { "+bad+" }", "beforeCreate", Input{}, nil)
		if errs.CodeOf(err) != "script.error" {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}

func TestRun_modernJavaScript(t *testing.T) {
	e := newEngine(t, Config{})
	src := `
class Scorer {
  #base = 10
  constructor(weights) { this.weights = weights }
  score({industry, employees = 0, ...rest}) {
    const bonus = this.weights.get(industry) ?? 0
    return this.#base + bonus + Math.min(employees / 100, 5) + Object.keys(rest).length
  }
}
function beforeCreate(ctx) {
  const weights = new Map([['tech', 20], ['retail', 5]])
  const s = new Scorer(weights)
  let seen = new Set([...'abca'])
  const [first, , third = 'z'] = ['a', 'b']
  const tag = (parts, ...vals) => parts.raw.join('|') + vals.length
  ctx.record.score = s.score({...ctx.record})
  ctx.record.text = ` + "`${first}-${third}-${seen.size}`" + `
  ctx.record.tagged = tag` + "`a${1}b`" + `
  ctx.record.json = JSON.parse(JSON.stringify({d: new Date(0), r: [1, {x: 2}]}))
  ctx.record.iso = new Date('2026-02-03T04:05:06Z').toISOString()
  ctx.record.re = 'Call ACME at 555-1234'.replace(/(\d{3})-(\d{4})/g, '$2-$1').match(/[A-Z]{4}/)[0]
  ctx.record.named = /(?<y>\d{4})-(?<m>\d\d)/.exec('on 2026-03').groups.m
  ctx.record.split = 'a, b,c'.split(/\s*,\s*/)
  ctx.record.all = [...'x1y22z333'.matchAll(/\d+/g)].map(m => m[0])
  ctx.record.sorted = [3, 1, 2].sort((a, b) => b - a).concat([0]).join('')
  ctx.record.flat = [[1, [2]], 3].flat(Infinity).reduce((a, b) => a + b, 0)
  ctx.record.opt = ctx.record?.missing?.deep ?? 'default'
  ctx.record.gen = [...(function* () { yield* [1, 2] })()]
  ctx.record.padded = '7'.padStart(3, '0') + 'ab'.repeat(2)
  ctx.record.asyncOk = typeof (async () => 1)()
}`
	res, err := runScript(t, e, src, "beforeCreate", Input{Record: map[string]any{"industry": "tech", "employees": 250, "city": "Oslo"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"score": 10 + 20 + 2.5 + 1, "text": "a-z-3", "tagged": "a|b1",
		"json": map[string]any{"d": "1970-01-01T00:00:00.000Z", "r": []any{int64(1), map[string]any{"x": int64(2)}}},
		"iso":  "2026-02-03T04:05:06.000Z", "re": "ACME", "named": "03", "split": []any{"a", "b", "c"},
		"all": []any{"1", "22", "333"}, "sorted": "3210", "flat": int64(6), "opt": "default",
		"gen": []any{int64(1), int64(2)}, "padded": "007abab", "asyncOk": "object",
	}
	for k, v := range want {
		if !reflect.DeepEqual(res.Record[k], v) {
			t.Errorf("%s = %#v, want %#v", k, res.Record[k], v)
		}
	}
}

func TestRun_asyncHookRejectionIsAnError(t *testing.T) {
	e := newEngine(t, Config{})
	_, err := runScript(t, e, `async function beforeCreate(ctx) { await null; throw new Error('late') }`, "beforeCreate", Input{}, nil)
	if x := errs.As(err); x == nil || x.Code != "script.error" || !strings.Contains(x.Message, "late") {
		t.Fatalf("err = %v", err)
	}
	res, err := runScript(t, e, `async function beforeCreate(ctx) { await null; ctx.record.done = true }`, "beforeCreate", Input{}, nil)
	if err != nil || res.Record["done"] != true {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

func TestRun_unknownEvent(t *testing.T) {
	e := newEngine(t, Config{})
	_, err := runScript(t, e, `function beforeCreate(ctx) {}`, "afterDelete", Input{}, nil)
	if errs.CodeOf(err) != "script.no_event" {
		t.Fatalf("err = %v", err)
	}
}

func TestRun_inputRecordIsNotModified(t *testing.T) {
	e := newEngine(t, Config{})
	in := map[string]any{"a": "1", "list": []any{"x"}}
	_, err := runScript(t, e, `function beforeCreate(ctx) { ctx.record.a = '2'; ctx.record.list.push('y') }`, "beforeCreate", Input{Record: in}, nil)
	if err != nil || in["a"] != "1" || len(in["list"].([]any)) != 1 {
		t.Fatalf("input changed: %#v (err %v)", in, err)
	}
}

func TestRun_ctxUserFollowsTheCallerFromRunToRun(t *testing.T) {
	e := newEngine(t, Config{})
	p := mustCompile(t, `function beforeCreate(ctx) { ctx.record.who = ctx.user.id + ':' + ctx.user.roles.join('+') + ':' + Object.isFrozen(ctx.user.roles) }`)
	for _, u := range []User{{ID: "u1", Roles: []string{"rep"}}, {ID: "u1", Roles: []string{"rep"}}, {ID: "u1", Roles: []string{"rep", "manager"}},
		{ID: "u2", Roles: []string{"rep"}}, {ID: "u1", Roles: []string{"rep"}}} {
		res, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: "t", User: u, Record: map[string]any{}}, newMapHost())
		want := u.ID + ":" + strings.Join(u.Roles, "+") + ":true"
		if err != nil || res.Record["who"] != want {
			t.Fatalf("run as %+v: who = %v (%v), want %s", u, res.Record["who"], err, want)
		}
	}
}
