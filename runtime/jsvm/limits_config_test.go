package jsvm

import (
	"strings"
	"testing"
	"time"
)

func TestParseLimitsConfig(t *testing.T) {
	t.Run("engine-wide and per-tenant limits in readable units", func(t *testing.T) {
		cfg := Config{Tenants: map[string]Limits{"t2": {Isolation: IsolationProcess}}}
		err := ParseLimitsConfig([]byte(`{"*": {"wallTimeMs": 300, "memoryMiB": 96},
			"t1": {"wallTimeMs": 1000, "queries": 500}, "t2": {"writes": 10}}`), &cfg)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Limits.WallTime != 300*time.Millisecond || cfg.Limits.Memory != 96<<20 {
			t.Errorf("engine limits %+v", cfg.Limits)
		}
		if l := cfg.Tenants["t1"]; l.WallTime != time.Second || l.Queries != 500 || l.Writes != 0 {
			t.Errorf("t1 limits %+v", l)
		}
		if l := cfg.Tenants["t2"]; l.Writes != 10 || l.Isolation != IsolationProcess {
			t.Errorf("t2 keeps its isolation and gets its writes: %+v", l)
		}
	})
	t.Run("a tenant's limits apply over the engine's in a run", func(t *testing.T) {
		cfg := Config{}
		if err := ParseLimitsConfig([]byte(`{"*": {"queries": 7}, "t1": {"queries": 3}}`), &cfg); err != nil {
			t.Fatal(err)
		}
		e := newEngine(t, cfg)
		src := `function beforeCreate(ctx) { for (;;) ctx.records.query('lead') }`
		for tenant, want := range map[string]int{"t1": 3, "other": 7} {
			res, err := runScript(t, e, src, "beforeCreate", Input{Tenant: tenant}, nil)
			if err == nil || res.Usage.Queries != want {
				t.Errorf("tenant %s: %d queries (%v), want %d", tenant, res.Usage.Queries, err, want)
			}
		}
	})
	for _, tc := range []struct{ name, in, want string }{
		{"unknown member", `{"*": {"wallTime": 5}}`, `unknown field "wallTime"`},
		{"wrong type", `{"t1": {"queries": "many"}}`, "cannot unmarshal"},
		{"negative value", `{"t1": {"writes": -1}}`, `"t1": script limits must not be negative`},
		{"unknown isolation", `{"*": {"isolation": "vm"}}`, `script isolation must be`},
		{"not an object", `[1]`, "cannot unmarshal"},
		{"trailing data", `{} {}`, "unexpected data"},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			err := ParseLimitsConfig([]byte(tc.in), &Config{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
