package jsvm

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// declaredMembers returns the member names of one interface in the d.ts.
func declaredMembers(t *testing.T, dts, iface string) []string {
	t.Helper()
	start := strings.Index(dts, "interface "+iface+" {")
	if start < 0 {
		t.Fatalf("crm.d.ts declares no interface %s", iface)
	}
	body := dts[start+len("interface "+iface+" {"):]
	body = body[:strings.Index(body, "\n  }")]
	member := regexp.MustCompile(`(?m)^\s+(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*[(:]`)
	var names []string
	for _, m := range member.FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names
}

// TestTypes_matchBindings keeps runtime/types/crm.d.ts in sync with what the
// engine really installs: the names come from a script's Object.keys of the
// live ctx, not from a list in the Go code.
func TestTypes_matchBindings(t *testing.T) {
	raw, err := os.ReadFile("../types/crm.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	dts := string(raw)
	e := newEngine(t, Config{})
	res, err := runScript(t, e, `function beforeCreate(ctx) {
  ctx.record.ctx = Object.keys(ctx).sort()
  ctx.record.records = Object.keys(ctx.records).sort()
  ctx.record.user = Object.keys(ctx.user).sort()
}`, "beforeCreate", Input{User: User{ID: "u"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ iface, key string }{{"Context", "ctx"}, {"Records", "records"}, {"User", "user"}} {
		t.Run(tc.iface, func(t *testing.T) {
			var installed []string
			for _, v := range res.Record[tc.key].([]any) {
				installed = append(installed, v.(string))
			}
			if declared := declaredMembers(t, dts, tc.iface); !reflect.DeepEqual(declared, installed) {
				t.Fatalf("crm.d.ts declares %v, the engine installs %v", declared, installed)
			}
		})
	}
	for _, ev := range []string{"beforeCreate", "afterCreate", "beforeUpdate", "afterUpdate", "beforeDelete", "afterDelete"} {
		if !strings.Contains(dts, "declare function "+ev+"(ctx: crm.Context)") {
			t.Errorf("crm.d.ts does not declare %s", ev)
		}
	}
}
