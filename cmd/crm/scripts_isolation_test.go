package main_test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServe_runsIsolatedTenantsScriptsInWorkerProcesses starts crm serve
// with CRM_SCRIPT_ISOLATION=process: a script's test run goes through a
// worker process (the crm binary started again, which serves as one), and
// the string doubling bomb is stopped within its wall time plus the grace.
func TestServe_runsIsolatedTenantsScriptsInWorkerProcesses(t *testing.T) {
	t.Setenv("CRM_SCRIPT_ISOLATION", "process")
	c := start(t, t.TempDir())
	code, body, err := call("POST", c.url+"/api/v1/platform/tenants", "boot",
		`{"name":"acme","admin":{"email":"admin@acme.test","password":"correct horse"}}`)
	if err != nil || code != 201 {
		t.Fatalf("onboard: %d %s %v", code, body, err)
	}
	var tenant struct{ APIKey string }
	if err := json.Unmarshal(body, &tenant); err != nil {
		t.Fatal(err)
	}
	code, body, err = call("PUT", c.url+"/api/v1/objects/lead", tenant.APIKey,
		`{"title":"Lead","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"},
		"status":{"type":"string","x-crm-type":"text"}}}`)
	if err != nil || code != 201 {
		t.Fatalf("object: %d %s %v", code, body, err)
	}
	for _, tc := range []struct {
		name, body, want string
		active           bool
	}{
		{"fine", `ctx.record.status = 'new'; ctx.log('hello')`, `"status":"new"`, true},
		{"bomb", `let s = 'x'; for (;;) s += s`, `"code":"script.limit"`, false},
	} {
		src, _ := json.Marshal("function beforeCreate(ctx) { " + tc.body + " }")
		code, body, err := call("PUT", c.url+"/api/v1/scripts/"+tc.name, tenant.APIKey,
			`{"object":"lead","events":["beforeCreate"],"active":`+strconv.FormatBool(tc.active)+`,"source":`+string(src)+`}`)
		if err != nil || code/100 != 2 {
			t.Fatalf("%s: PUT: %d %s %v", tc.name, code, body, err)
		}
		start := time.Now()
		code, body, err = call("POST", c.url+"/api/v1/scripts/"+tc.name+"/test", tenant.APIKey, `{"event":"beforeCreate","record":{"name":"Ann"}}`)
		took := time.Since(start)
		if err != nil || code != 200 || !strings.Contains(string(body), tc.want) {
			t.Fatalf("%s: test run: %d %s %v", tc.name, code, body, err)
		}
		if took > 2*time.Second {
			t.Errorf("%s: took %v", tc.name, took)
		}
		t.Logf("%s: %v: %s", tc.name, took.Round(time.Millisecond), body)
	}
	code, body, err = call("POST", c.url+"/api/v1/records/lead", tenant.APIKey, `{"name":"Bob"}`)
	if err != nil || code != 201 || !strings.Contains(string(body), `"status":"new"`) {
		t.Fatalf("create through the active hook: %d %s %v", code, body, err)
	}
	if n := children(c.cmd.Process.Pid); n == 0 {
		t.Fatal("the server has no worker process")
	}
}

// children counts a process's child processes (Linux).
func children(pid int) int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	n := 0
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/children")
		n += len(strings.Fields(string(b)))
	}
	return n
}
