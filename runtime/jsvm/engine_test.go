package jsvm

import (
	"context"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func mustCompile(t testing.TB, src string) *Program {
	t.Helper()
	p, err := Compile("test.js", src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runScript(t testing.TB, e *Engine, src, event string, in Input, host Host) (Result, error) {
	t.Helper()
	if host == nil {
		host = newMapHost()
	}
	return e.Run(context.Background(), mustCompile(t, src), event, in, host)
}

func TestRun_beforeHookChangesRecord(t *testing.T) {
	e := newEngine(t, Config{})
	res, err := runScript(t, e, `function beforeCreate(ctx) { ctx.record.status = 'new'; ctx.record.n = ctx.record.n + 1; delete ctx.record.tmp }`,
		"beforeCreate", Input{Record: map[string]any{"n": 1, "tmp": true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Record["status"] != "new" || res.Record["n"] != int64(2) {
		t.Fatalf("record = %#v", res.Record)
	}
	if _, ok := res.Record["tmp"]; ok {
		t.Fatalf("deleted field came back: %#v", res.Record)
	}
}

func TestRun_smoke(t *testing.T) {
	e := newEngine(t, Config{})
	_, err := runScript(t, e, `function beforeCreate(ctx) { throw new TypeError('boom') }`, "beforeCreate", Input{Record: map[string]any{}}, nil)
	if errs.CodeOf(err) != "script.error" {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
}
