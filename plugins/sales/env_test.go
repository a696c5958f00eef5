package sales_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
	"github.com/opencrm/crm/platform/identity"
)

// env is the real platform (testenv) with the sales package installed in
// tenant acme, and a manager and two reps reporting to them, each with an
// API key.
type env struct {
	*testenv.Env
	users map[string]identity.User // admin, manager, ann, bob
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: testenv.New(t), users: map[string]identity.User{}}
	e.MustDo(t, "POST", "/api/v1/plugins/sales/install", e.Tokens["admin"], "", 200, nil)
	all, err := e.App.Identity.ListUsers(context.Background(), e.Tenant.ID)
	if err != nil || len(all) != 1 {
		t.Fatalf("users %v, %v", all, err)
	}
	e.users["admin"] = all[0]
	e.addUser(t, "manager", "sales_manager", "")
	e.addUser(t, "ann", "sales_rep", e.users["manager"].ID)
	e.addUser(t, "bob", "sales_rep", e.users["manager"].ID)
	return e
}

func (e *env) addUser(t *testing.T, name, role, manager string) {
	t.Helper()
	body := fmt.Sprintf(`{"email":"%s@acme.test","password":"a long password","name":"%s","roles":["%s"]`, name, name, role)
	if manager != "" {
		body += fmt.Sprintf(`,"manager":"%s"`, manager)
	}
	var u identity.User
	e.MustDo(t, "POST", "/api/v1/users", e.Tokens["admin"], body+"}", 201, &u)
	var key struct{ Key string }
	e.MustDo(t, "POST", "/api/v1/apikeys", e.Tokens["admin"], fmt.Sprintf(`{"name":"%s","user":"%s"}`, name, u.ID), 201, &key)
	e.users[name], e.Tokens[name] = u, key.Key
}

// as is a context acting for one of the env's users.
func (e *env) as(name string) context.Context {
	u := e.users[name]
	return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: e.Tenant.ID, UserID: u.ID,
		Email: u.Email, Name: u.Name, Roles: u.Roles, CredentialKind: "apikey"})
}

// call sends a request as a named user and decodes a 2xx answer into a map.
func (e *env) call(t *testing.T, as, method, path, body string, want int) map[string]any {
	t.Helper()
	var out map[string]any
	res := e.MustDo(t, method, path, e.Tokens[as], body, want, nil)
	if len(res.Body) > 0 {
		if err := json.Unmarshal(res.Body, &out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, res.Body, err)
		}
	}
	return out
}

// newLead creates a lead as a named user and returns its id.
func (e *env) newLead(t *testing.T, as string, fields map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(fields)
	return e.call(t, as, "POST", "/api/v1/records/lead", string(b), 201)["id"].(string)
}

// count counts the records of object matching filter, as the admin.
func (e *env) count(t *testing.T, object, filter string) int {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"filter": filter})
	out := e.call(t, "admin", "POST", "/api/v1/records/"+object+"/aggregate", string(b), 200)
	rows, _ := out["rows"].([]any)
	if len(rows) == 0 {
		return 0
	}
	n, _ := rows[0].(map[string]any)["count"].(float64)
	return int(n)
}
