package rest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

func setup(t *testing.T) *testenv.Env {
	t.Helper()
	env := testenv.New(t)
	env.MustDo(t, "PUT", "/api/v1/objects/account", env.Tokens["admin"], `{"title":"Account","type":"object","properties":{
		"name":{"type":"string","x-crm-type":"text"},"tier":{"type":"string","x-crm-type":"picklist","enum":["gold","silver"]}}}`, 201, nil)
	env.MustDo(t, "PUT", "/api/v1/objects/task", env.Tokens["admin"], `{"title":"Task","type":"object","properties":{
		"subject":{"type":"string","x-crm-type":"text"},"account":{"type":"string","x-crm-type":"lookup","x-crm-target":"account"}}}`, 201, nil)
	return env
}

func putScript(t *testing.T, env *testenv.Env, name, object, events, source string, want int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"object": object, "events": strings.Split(events, ","), "source": source, "active": true})
	env.MustDo(t, "PUT", "/api/v1/scripts/"+name, env.Tokens["admin"], string(body), want, nil)
}

func TestScriptsAPI_hooksRunInThePipeline(t *testing.T) {
	env := setup(t)
	putScript(t, env, "normalise", "account", "beforeCreate,beforeUpdate", `
function beforeCreate(ctx) {
  const r = ctx.record;
  r.name = (r.name || '').trim().toUpperCase();
  if (!r.tier) r.tier = 'silver';
  ctx.log('normalised', r.name);
}
function beforeUpdate(ctx) {
  if (ctx.old.tier === 'gold' && ctx.record.tier === 'silver') ctx.error('tier', 'a gold account is never downgraded');
}`, 201)
	putScript(t, env, "welcome", "account", "afterCreate", `
function afterCreate(ctx) {
  ctx.records.create('task', { subject: 'Welcome call for ' + ctx.record.name, account: ctx.record.id });
}`, 201)

	var acc map[string]any
	env.MustDo(t, "POST", "/api/v1/records/account", env.Tokens["admin"], `{"name":"  acme  "}`, 201, &acc)
	if acc["name"] != "ACME" || acc["tier"] != "silver" {
		t.Fatalf("before-hook did not change the record: %v", acc)
	}
	var tasks struct{ Items []map[string]any }
	env.MustDo(t, "GET", fmt.Sprintf("/api/v1/records/task?filter=account%%20%%3D%%20'%s'", acc["id"]), env.Tokens["admin"], "", 200, &tasks)
	if len(tasks.Items) != 1 || tasks.Items[0]["subject"] != "Welcome call for ACME" {
		t.Fatalf("after-hook did not create the task: %v", tasks.Items)
	}
	u := "/api/v1/records/account/" + acc["id"].(string)
	env.MustDo(t, "PATCH", u, env.Tokens["admin"], `{"tier":"gold"}`, 200, nil)
	res := env.Do(t, "PATCH", u, env.Tokens["admin"], `{"tier":"silver"}`)
	if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"tier"`) || !strings.Contains(string(res.Body), "never downgraded") {
		t.Fatalf("ctx.error did not fail the save: %d %s", res.Status, res.Body)
	}
	var runs struct{ Items []map[string]any }
	env.MustDo(t, "GET", "/api/v1/script-runs", env.Tokens["admin"], "", 200, &runs)
	if len(runs.Items) < 4 || runs.Items[0]["outcome"] != "rejected" {
		t.Fatalf("execution log %v", runs.Items)
	}
}

func TestScriptsAPI_errorsAndLimitsFailTheSaveWith422(t *testing.T) {
	env := setup(t)
	for _, c := range []struct{ name, source, want string }{
		{"thrower", "function beforeCreate(ctx) {\n  const x = 1;\n  throw new Error('no accounts today');\n}", `"line":3`},
		{"looper", "function beforeCreate(ctx) { for (;;) {} }", `time`},
		{"bomb", "function beforeCreate(ctx) { 'x'.repeat(2**28) }", `script.limit`},
		{"storm", "function beforeCreate(ctx) { for (let i = 0; i < 1000; i++) ctx.records.query('task', {}) }", `queries`},
	} {
		t.Run(c.name, func(t *testing.T) {
			putScript(t, env, c.name, "account", "beforeCreate", c.source, 201)
			defer env.Do(t, "DELETE", "/api/v1/scripts/"+c.name, env.Tokens["admin"], "")
			res := env.Do(t, "POST", "/api/v1/records/account", env.Tokens["admin"], `{"name":"x"}`)
			if res.Status != 422 || !strings.Contains(string(res.Body), c.want) || !strings.Contains(string(res.Body), c.name) {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		})
	}
	t.Run("a hook that updates its own record forever stops at the depth limit", func(t *testing.T) {
		putScript(t, env, "forever", "account", "afterUpdate", `function afterUpdate(ctx) { ctx.records.update('account', ctx.record.id, { name: ctx.record.name + '!' }) }`, 201)
		var acc map[string]any
		env.MustDo(t, "POST", "/api/v1/records/account", env.Tokens["admin"], `{"name":"loop"}`, 201, &acc)
		res := env.Do(t, "PATCH", "/api/v1/records/account/"+acc["id"].(string), env.Tokens["admin"], `{"name":"go"}`)
		if res.Status != 422 || !strings.Contains(string(res.Body), "deep") {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	})
}

func TestScriptsAPI_metadataTestRunAndTypes(t *testing.T) {
	env := setup(t)
	for _, s := range []testenv.Scenario{
		{Name: "a script that does not compile names line and column", As: "admin", Method: "PUT", URL: "/api/v1/scripts/broken",
			Body:   `{"object":"account","events":["beforeCreate"],"source":"function beforeCreate(ctx) {\n  let = ;\n}","active":true}`,
			Status: 422, Problem: "script.compile", Contains: []string{`"line":2`, `"column"`}},
		{Name: "an unknown object is refused", As: "admin", Method: "PUT", URL: "/api/v1/scripts/s1",
			Body: `{"object":"nope","events":["beforeCreate"],"source":"function beforeCreate(ctx){}"}`, Status: 422, Contains: []string{`"field":"object"`}},
		{Name: "an event without its function is refused", As: "admin", Method: "PUT", URL: "/api/v1/scripts/s1",
			Body: `{"object":"account","events":["afterDelete"],"source":"function beforeCreate(ctx){}"}`, Status: 422, Contains: []string{`"field":"events"`}},
		{Name: "a script is stored", As: "admin", Method: "PUT", URL: "/api/v1/scripts/s1",
			Body:   `{"object":"account","events":["beforeCreate"],"source":"function beforeCreate(ctx){ ctx.record.tier = 'gold'; ctx.log('hi', ctx.user.email); ctx.records.create('task', {subject: 'x'}) }","active":false}`,
			Status: 201, Contains: []string{`"version":1`}},
		{Name: "scripts are listed", As: "admin", Method: "GET", URL: "/api/v1/scripts", Status: 200, Contains: []string{`"name":"s1"`}},
		{Name: "a test run returns the record, logs and usage", As: "admin", Method: "POST", URL: "/api/v1/scripts/s1/test",
			Body: `{"event":"beforeCreate","record":{"name":"Sample"}}`, Status: 200,
			Contains: []string{`"tier":"gold"`, `hi admin@acme.test`, `"usage"`, `"writes":1`, `"error":null`}},
		{Name: "the test run saved nothing", As: "admin", Method: "GET", URL: "/api/v1/records/task", Status: 200, Contains: []string{`"items":[]`}},
		{Name: "an inactive script does not run", As: "admin", Method: "POST", URL: "/api/v1/records/account", Body: `{"name":"plain"}`,
			Status: 201, Absent: []string{`"gold"`}},
		{Name: "the declarations are served", As: "admin", Method: "GET", URL: "/api/v1/scripts/types.d.ts", Status: 200, Contains: []string{"ctx"}},
		{Name: "an unknown script is 404", As: "admin", Method: "GET", URL: "/api/v1/scripts/nope", Status: 404},
		{Name: "a script is deleted", As: "admin", Method: "DELETE", URL: "/api/v1/scripts/s1", Status: 204},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}
