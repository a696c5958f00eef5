package rest_test

import (
	"fmt"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

// The computed side of objects over real HTTP: formula fields, validation
// rules, roll-ups, the master-detail cascade and related lists.

const projectDef = `{"title":"Project","type":"object","properties":{
  "name":   {"type":"string","x-crm-type":"text"},
  "budget": {"type":"number","x-crm-type":"currency"}}}`

const taskDef = `{"title":"Task","type":"object","properties":{
  "project": {"type":"string","x-crm-type":"masterdetail","x-crm-target":"project"},
  "hours":   {"type":"number","x-crm-type":"number"},
  "cost":    {"type":"number","x-crm-type":"currency"},
  "due":     {"type":"string","x-crm-type":"date"},
  "done":    {"type":"boolean","x-crm-type":"boolean"},
  "late":    {"x-crm-type":"formula","x-crm-result":"boolean","x-crm-formula":"AND(NOT(done), due < DATE(2025, 1, 1))"},
  "rate":    {"x-crm-type":"formula","x-crm-result":"currency","x-crm-formula":"IF(hours > 0, cost / hours, NULL)"}},
 "x-crm-rules":[{"name":"done_needs_hours","condition":"AND(done, ISBLANK(hours))","message":"Log the hours before closing the task","field":"hours"}]}`

const projectWithRollups = `{"title":"Project","type":"object","properties":{
  "name":   {"type":"string","x-crm-type":"text"},
  "budget": {"type":"number","x-crm-type":"currency"},
  "tasks":  {"x-crm-type":"rollup","x-crm-rollup":{"object":"task","op":"count"}},
  "spent":  {"x-crm-type":"rollup","x-crm-result":"currency","x-crm-rollup":{"object":"task","op":"sum","field":"cost"}},
  "open":   {"x-crm-type":"rollup","x-crm-rollup":{"object":"task","op":"count","filter":"done = false"}},
  "left":   {"x-crm-type":"formula","x-crm-result":"currency","x-crm-formula":"budget - spent"}}}`

func TestComputedFieldsAPI(t *testing.T) {
	env := testenv.New(t)
	admin := env.Tokens["admin"]
	env.MustDo(t, "PUT", "/api/v1/objects/project", admin, projectDef, 201, nil)
	env.MustDo(t, "PUT", "/api/v1/objects/task", admin, taskDef, 201, nil)
	env.MustDo(t, "PUT", "/api/v1/objects/project", admin, projectWithRollups, 200, nil)
	var p rec
	env.MustDo(t, "POST", "/api/v1/records/project", admin, `{"name":"Roof","budget":1000}`, 201, &p)
	pURL := "/api/v1/records/project/" + p["id"].(string)
	var t1 rec
	env.MustDo(t, "POST", "/api/v1/records/task", admin, fmt.Sprintf(`{"project":%q,"hours":3,"cost":100,"due":"2024-06-01","done":false}`, p["id"]), 201, &t1)
	env.MustDo(t, "POST", "/api/v1/records/task", admin, fmt.Sprintf(`{"project":%q,"hours":2,"cost":50.5,"due":"2026-06-01","done":true}`, p["id"]), 201, nil)

	for _, s := range []testenv.Scenario{
		{Name: "formulas are computed in a created record", As: "admin", Method: "POST", URL: "/api/v1/records/task",
			Body: fmt.Sprintf(`{"project":%q,"hours":4,"cost":10,"due":"2030-01-01","done":false}`, p["id"]), Status: 201,
			Contains: []string{`"rate":2.50`, `"late":false`}},
		{Name: "formulas are computed on read", As: "admin", Method: "GET", URL: "/api/v1/records/task/" + t1["id"].(string), Status: 200,
			Contains: []string{`"rate":33.33`, `"late":true`}},
		{Name: "formulas are in lists, and can be projected", As: "admin", Method: "GET", URL: "/api/v1/records/task?fields=rate&sort=createdAt", Status: 200,
			Contains: []string{`"rate":33.33`, `"rate":25.25`}, Absent: []string{`"cost"`}},
		{Name: "roll-ups and a formula over them", As: "admin", Method: "GET", URL: pURL, Status: 200,
			Contains: []string{`"tasks":3`, `"spent":160.50`, `"open":2`, `"left":839.50`}},
		{Name: "a validation rule fails the save with its message on its field", As: "admin", Method: "POST", URL: "/api/v1/records/task",
			Body: fmt.Sprintf(`{"project":%q,"done":true}`, p["id"]), Status: 422, Problem: "record.invalid",
			Contains: []string{`"field":"hours"`, `"code":"rule"`, `"message":"Log the hours before closing the task"`, `"rules":["done_needs_hours"]`}},
		{Name: "an invalid formula is refused at definition time with its position", As: "admin", Method: "PUT", URL: "/api/v1/objects/task",
			Body: `{"title":"Task","type":"object","properties":{"project":{"type":"string","x-crm-type":"masterdetail","x-crm-target":"project"},
			  "x":{"x-crm-type":"formula","x-crm-result":"number","x-crm-formula":"1 + nope"}}}`,
			Status: 422, Problem: "metadata.invalid", Contains: []string{`"field":"/properties/x/x-crm-formula"`, `"position":5`}},
		{Name: "related lists name the relation field", As: "admin", Method: "GET", URL: pURL + "/related/task?field=project&limit=2&fields=cost", Status: 200,
			Contains: []string{`"cost":100.00`, `"nextCursor":"`}},
		{Name: "a related list over a field that does not point at the record is a 400", As: "admin", Method: "GET", URL: pURL + "/related/task?field=hours",
			Status: 400, Problem: "related.bad_field"},
		{Name: "a related list of an unknown record is a 404", As: "admin", Method: "GET", URL: "/api/v1/records/project/nope/related/task",
			Status: 404},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}

	t.Run("deleting the master cascades to its details, restoring brings them back", func(t *testing.T) {
		env.MustDo(t, "DELETE", pURL, admin, "", 204, nil)
		env.Run(t, testenv.Scenario{As: "admin", Method: "GET", URL: "/api/v1/records/task", Status: 200, Contains: []string{`"items":[]`}})
		env.Run(t, testenv.Scenario{As: "admin", Method: "POST", URL: "/api/v1/records/task/" + t1["id"].(string) + "/restore",
			Status: 409, Problem: "record.master_deleted"})
		env.Run(t, testenv.Scenario{As: "admin", Method: "POST", URL: pURL + "/restore", Status: 200,
			Contains: []string{`"tasks":3`, `"spent":160.50`}})
		env.Run(t, testenv.Scenario{As: "admin", Method: "GET", URL: pURL + "/related/task", Status: 200,
			Contains: []string{`"id":"` + t1["id"].(string) + `"`}})
	})
}
