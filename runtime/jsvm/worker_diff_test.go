package jsvm

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// diffCase is one run that must give the same answer in-process and in a
// worker process.
type diffCase struct {
	name, event, src string
	in               Input
	setup            func(h *mapHost)
}

func diffCases() []diffCase {
	accounts := func(h *mapHost) {
		h.put("account", map[string]any{"id": "a1", "name": "Acme", "stage": "open", "n": 3, "f": 2.5,
			"at": time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), "tags": []string{"x", "y"}, "num": json.Number("12"),
			"rows": []map[string]any{{"k": int32(1)}}, "u": uint64(1<<63 + 5), "nested": map[string]any{"l": []any{1, "2", nil, true}}})
		h.put("account", map[string]any{"id": "a2", "name": "Globex", "stage": "won"})
	}
	deep := map[string]any{}
	for i, m := 0, deep; i < 200; i++ {
		next := map[string]any{}
		m["d"] = next
		m = next
	}
	thrown := func(name, value string) diffCase {
		return diffCase{name: "throws " + name, event: "beforeCreate",
			src: "function helper() {\n    throw " + value + "\n}\nfunction beforeCreate(ctx) {\n  helper()\n}"}
	}
	return []diffCase{
		{name: "every ctx member and ctx.records method", event: "beforeUpdate", setup: accounts, src: `function beforeUpdate(ctx) {
  const r = ctx.record
  r.event = ctx.event
  r.oldName = ctx.old.name
  r.user = [ctx.user.id, ctx.user.email, ctx.user.name, ctx.user.roles.join('+')].join('|')
  r.got = ctx.records.get('account', 'a1')
  r.missing = ctx.records.get('account', 'zz')
  const page = ctx.records.query('account', {filter: "stage = 'open'", sort: '-name', limit: 1, fields: ['name']})
  r.page = page
  const made = ctx.records.create('task', {subject: 'call', due: new Date(Date.UTC(2026, 0, 31)), n: 1, f: 0.5})
  r.made = made
  r.updated = ctx.records.update('task', made.id, {subject: 'call back', list: [1, {a: null}]})
  r.deleted = ctx.records.delete('task', made.id)
  r.rows = ctx.records.aggregate('account', {filter: 'x', groupBy: ['stage', {field: 'createdAt', by: 'month'}], measures: [{op: 'count'}, {op: 'sum', field: 'amount'}]})
  try { ctx.records.query('account', {filter: 'bad'}) } catch (e) { r.caught = [e.code, e.message, e instanceof Error] }
  try { ctx.records.update('account', 'nope', {}) } catch (e) { r.caught2 = e.code }
  ctx.log('hello', 42, {a: [1, 'b']}, null, undefined, [1.5, -0], new Date(0))
}`, in: Input{Tenant: "acme", Record: map[string]any{"id": "c1", "name": "Ann"}, Old: map[string]any{"id": "c1", "name": "Anne"},
			User: User{ID: "u1", Email: "u@acme.test", Name: "U One", Roles: []string{"sales", "admin"}}}},
		{name: "field changes keep their Go types", event: "beforeCreate", src: `function beforeCreate(ctx) {
  const r = ctx.record
  r.status = 'new'; r.n = r.n + 1; delete r.tmp
  r.doubled = 2.5 * 2; r.half = 0.5; r.big = 2 ** 53; r.neg = -0; r.small = 1e-300
  r.empty = {}; r.list = []; r.date = new Date(Date.UTC(2026, 1, 3, 4, 5, 6, 7))
  r.copy = {...r.nested}; r.types = [typeof r.i32, typeof r.f32, typeof r.num, typeof r.when, typeof r.u64, typeof r.strs]
  r.unicode = '\u00e9\ud83d\ude00'; r.skipped = undefined
}`, in: Input{Record: map[string]any{"n": 1, "tmp": true, "i32": int32(7), "f32": float32(1.5), "num": json.Number("1.25"),
			"when": time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("x", 3600)), "u64": uint64(1 << 63), "strs": []string{"a"},
			"nested": map[string]any{"a": []any{int64(1), 2.5, "x", nil, true, map[string]any{}}}, "struct": struct{ A int }{1}}}},
		{name: "ctx.error reports field errors", event: "beforeCreate", src: `function beforeCreate(ctx) {
  ctx.record.touched = true
  ctx.error('name', 'too short')
  ctx.error(null, 'whole record')
  ctx.error('x')
}`, in: Input{Record: map[string]any{"name": "A"}}},
		{name: "after-event returns no record", event: "afterCreate", src: `function afterCreate(ctx) { ctx.log(ctx.record.name); ctx.records.create('note', {about: ctx.record.id}) }`,
			in: Input{Record: map[string]any{"id": "r1", "name": "a"}}},
		thrown("a string", `'plain string'`),
		thrown("a number", `42`),
		thrown("null", `null`),
		thrown("undefined", `undefined`),
		thrown("an object", `{code: 7, why: 'x'}`),
		thrown("an array", `[1, 'two']`),
		thrown("a RangeError", `new RangeError('out of range')`),
		thrown("an Error with a code", `Object.assign(new Error('coded'), {code: 'E42'})`),
		thrown("a custom class", `new (class Oops extends Error { constructor() { super('custom'); this.name = 'Oops' } })()`),
		{name: "an uncaught host error names its code and line", event: "beforeCreate",
			src: "function beforeCreate(ctx) {\n\n  ctx.records.update('x', 'nope', {})\n}"},
		{name: "a frozen old record", event: "beforeUpdate", src: "function beforeUpdate(ctx) {\n  ctx.old.name = 'x'\n}",
			in: Input{Record: map[string]any{}, Old: map[string]any{"name": "b"}}},
		{name: "a value that cannot be stored", event: "beforeCreate", src: `function beforeCreate(ctx) { ctx.record.f = function () {} }`},
		{name: "an async hook's rejection", event: "beforeCreate", src: `async function beforeCreate(ctx) { await null; throw new Error('late') }`},
		{name: "an unknown event", event: "afterDelete", src: `function beforeCreate(ctx) {}`},
		{name: "the query limit", event: "beforeCreate", src: `function beforeCreate(ctx) { for (;;) ctx.records.get('x', 'y') }`,
			in: Input{Limits: Limits{Queries: 3}}},
		{name: "the write limit", event: "beforeCreate", src: `function beforeCreate(ctx) { for (;;) ctx.records.create('note', {}) }`,
			in: Input{Limits: Limits{Writes: 2}}},
		{name: "the records limit", event: "beforeCreate", setup: accounts, src: `function beforeCreate(ctx) { for (;;) ctx.records.query('account') }`,
			in: Input{Limits: Limits{Records: 5}}},
		{name: "the stack limit", event: "beforeCreate", src: `function beforeCreate(ctx) { function f(n) { return f(n + 1) + 1 } f(0) }`},
		{name: "the string limit", event: "beforeCreate", src: `function beforeCreate(ctx) { ctx.log('start'); 'x'.repeat(2 ** 28) }`},
		{name: "the json limit on a deep input record", event: "beforeCreate", src: `function beforeCreate(ctx) {}`,
			in: Input{Record: map[string]any{"deep": deep}}},
		{name: "the log limit", event: "beforeCreate", src: `function beforeCreate(ctx) { for (;;) ctx.log('x'.repeat(100)) }`,
			in: Input{Limits: Limits{LogBytes: 1000}}},
	}
}

// TestWorker_givesTheSameResultsAsInProcess runs each case through both
// runners, each against its own host set up alike, and compares results,
// errors (all but the cause, which only carries text across), host calls
// and the host's records afterwards.
func TestWorker_givesTheSameResultsAsInProcess(t *testing.T) {
	inProc := newEngine(t, Config{})
	isolated := newEngine(t, Config{Limits: Limits{Isolation: IsolationProcess}})
	for _, tc := range diffCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, tc.src)
			type outcome struct {
				res   Result
				err   error
				calls []string
				store map[string]map[string]map[string]any
			}
			run := func(e *Engine) outcome {
				h := newMapHost()
				if tc.setup != nil {
					tc.setup(h)
				}
				in := tc.in
				if in.Tenant == "" {
					in.Tenant = "diff"
				}
				res, err := e.Run(context.Background(), p, tc.event, in, h)
				if res.Usage.Duration <= 0 {
					t.Errorf("no duration")
				}
				res.Usage.Duration = 0
				return outcome{res, err, h.calls, h.objects}
			}
			want, got := run(inProc), run(isolated)
			if tc.event != "afterDelete" && len(idleWorkers(isolated, "diff"))+len(idleWorkers(isolated, "acme")) == 0 {
				t.Fatal("the isolated engine has no worker: the run did not go through one")
			}
			if !reflect.DeepEqual(got.res, want.res) {
				t.Errorf("result through a worker:\n%#v\nin-process:\n%#v", got.res, want.res)
			}
			if !sameError(got.err, want.err) {
				t.Errorf("error through a worker:\n%#v\nin-process:\n%#v", errs.As(got.err), errs.As(want.err))
			}
			if !reflect.DeepEqual(got.calls, want.calls) || !reflect.DeepEqual(got.store, want.store) {
				t.Errorf("host calls through a worker %q, in-process %q\nrecords %v\nin-process %v", got.calls, want.calls, got.store, want.store)
			}
			t.Logf("%v", want.err)
		})
	}
}

// sameError compares two run errors but for their causes.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	x, y := errs.As(a), errs.As(b)
	if x == nil || y == nil {
		return x == nil && y == nil && a.Error() == b.Error()
	}
	cx, cy := *x, *y
	if (cx.Cause == nil) != (cy.Cause == nil) {
		return false
	}
	cx.Cause, cy.Cause = nil, nil
	return reflect.DeepEqual(cx, cy)
}
