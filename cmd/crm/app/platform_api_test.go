package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

func TestPlatformAPI(t *testing.T) {
	env := testenv.New(t)
	var rep struct{ ID string }
	env.MustDo(t, "POST", "/api/v1/users", env.Tokens["admin"],
		`{"email":"rep@acme.test","password":"rep password","name":"Rita Rep","roles":["sales"]}`, 201, &rep)
	var key struct{ ID, Key string }
	env.MustDo(t, "POST", "/api/v1/apikeys", env.Tokens["admin"], `{"name":"rep key","user":"`+rep.ID+`"}`, 201, &key)
	env.Tokens["rep"] = key.Key

	for _, s := range []testenv.Scenario{
		{Name: "health answers without a credential", Method: "GET", URL: "/healthz", Status: 200},
		{Name: "ready when the store answers", Method: "GET", URL: "/readyz", Status: 200},
		{Name: "tenant creation needs the bootstrap token", Method: "POST", URL: "/api/v1/platform/tenants",
			Token: "wrong", Body: `{"name":"globex","admin":{"email":"a@g.test","password":"12345678"}}`,
			Status: 401, Problem: "auth.invalid_bootstrap_token"},
		{Name: "a taken tenant name is a conflict", Method: "POST", URL: "/api/v1/platform/tenants",
			Token: testenv.BootstrapToken, Body: `{"name":"acme","admin":{"email":"a@acme.test","password":"12345678"}}`,
			Status: 409, Problem: "tenant.exists", Contains: []string{`"field":"name"`}},
		{Name: "an invalid tenant name is refused", Method: "POST", URL: "/api/v1/platform/tenants",
			Token: testenv.BootstrapToken, Body: `{"name":"Bad Name","admin":{"email":"a@b.test","password":"12345678"}}`,
			Status: 422, Problem: "tenant.invalid_name"},
		{Name: "a malformed body is a 400 with its position", Method: "POST", URL: "/api/v1/platform/tenants",
			Token: testenv.BootstrapToken, Body: `{"name":`, Status: 400, Problem: "request.malformed_body"},
		{Name: "API routes need a credential", Method: "GET", URL: "/api/v1/users", Status: 401, Problem: "auth.missing_credential"},
		{Name: "a bad credential is refused", Method: "GET", URL: "/api/v1/users", Token: "ck_nope_nope_nope",
			Status: 401, Problem: "auth.invalid_credential"},
		{Name: "login with a wrong password", Method: "POST", URL: "/api/v1/auth/login",
			Body: `{"tenant":"acme","email":"admin@acme.test","password":"nope"}`, Status: 401, Problem: "auth.invalid_login"},
		{Name: "login with an unknown tenant looks the same", Method: "POST", URL: "/api/v1/auth/login",
			Body: `{"tenant":"nope","email":"admin@acme.test","password":"nope"}`, Status: 401, Problem: "auth.invalid_login"},
		{Name: "users are listed for admins without password hashes", As: "admin", Method: "GET", URL: "/api/v1/users",
			Status: 200, Contains: []string{`"rep@acme.test"`, `"admin@acme.test"`}, Absent: []string{"argon2", "passwordHash"}},
		{Name: "a non-admin may not list users", As: "rep", Method: "GET", URL: "/api/v1/users", Status: 403, Problem: "auth.forbidden"},
		{Name: "who am I", As: "rep", Method: "GET", URL: "/api/v1/auth/me", Status: 200, Contains: []string{`"email":"rep@acme.test"`, `"tenantName":"acme"`}},
		{Name: "a duplicate user email is a conflict", As: "admin", Method: "POST", URL: "/api/v1/users",
			Body: `{"email":"REP@acme.test","password":"12345678"}`, Status: 409, Problem: "user.exists"},
		{Name: "an invalid user names each bad field", As: "admin", Method: "POST", URL: "/api/v1/users",
			Body: `{"email":"nope","password":"1"}`, Status: 422, Contains: []string{`"field":"email"`, `"field":"password"`}},
		{Name: "api keys are listed without secrets", As: "admin", Method: "GET", URL: "/api/v1/apikeys",
			Status: 200, Contains: []string{`"rep key"`}, Absent: []string{strings.SplitN(key.Key, "_", 4)[3]}},
		{Name: "an unknown route is a problem 404", As: "admin", Method: "GET", URL: "/api/v1/nope", Status: 404},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}

	t.Run("login, use the session, logout", func(t *testing.T) {
		var s struct{ Token string }
		env.MustDo(t, "POST", "/api/v1/auth/login", "", `{"tenant":"acme","email":"rep@acme.test","password":"rep password"}`, 200, &s)
		env.MustDo(t, "GET", "/api/v1/auth/me", s.Token, "", 200, nil)
		env.MustDo(t, "POST", "/api/v1/auth/logout", s.Token, "", 204, nil)
		env.MustDo(t, "GET", "/api/v1/auth/me", s.Token, "", 401, nil)
	})
	t.Run("users are changed and deactivated; their credentials follow at once", func(t *testing.T) {
		var u struct {
			Name, Manager string
			Roles         []string
		}
		env.MustDo(t, "PATCH", "/api/v1/users/"+rep.ID, env.Tokens["admin"], `{"name":"Rita R.","roles":["sales","north"]}`, 200, &u)
		if u.Name != "Rita R." || len(u.Roles) != 2 {
			t.Fatalf("user %+v", u)
		}
		env.MustDo(t, "PATCH", "/api/v1/users/"+rep.ID, env.Tokens["admin"], `{"manager":"`+rep.ID+`"}`, 422, nil)
		env.MustDo(t, "PATCH", "/api/v1/users/nope", env.Tokens["admin"], `{"name":"x"}`, 404, nil)
		var me struct{ Roles []string }
		env.MustDo(t, "GET", "/api/v1/auth/me", key.Key, "", 200, &me)
		if len(me.Roles) != 2 {
			t.Fatalf("the key still has the old roles: %v", me.Roles)
		}
		var other struct{ ID string }
		env.MustDo(t, "POST", "/api/v1/users", env.Tokens["admin"], `{"email":"temp@acme.test","password":"temp password"}`, 201, &other)
		var s struct{ Token string }
		env.MustDo(t, "POST", "/api/v1/auth/login", "", `{"tenant":"acme","email":"temp@acme.test","password":"temp password"}`, 200, &s)
		env.MustDo(t, "DELETE", "/api/v1/users/"+other.ID, env.Tokens["admin"], "", 204, nil)
		env.MustDo(t, "GET", "/api/v1/auth/me", s.Token, "", 401, nil)
		env.MustDo(t, "POST", "/api/v1/auth/login", "", `{"tenant":"acme","email":"temp@acme.test","password":"temp password"}`, 401, nil)
	})
	t.Run("a revoked key stops working at once", func(t *testing.T) {
		env.MustDo(t, "DELETE", "/api/v1/apikeys/"+key.ID, env.Tokens["admin"], "", 204, nil)
		env.MustDo(t, "GET", "/api/v1/auth/me", key.Key, "", 401, nil)
		env.MustDo(t, "DELETE", "/api/v1/apikeys/"+key.ID, env.Tokens["admin"], "", 404, nil)
	})
	t.Run("security events are in the audit log", func(t *testing.T) {
		env.MustDo(t, "PUT", "/api/v1/roles/auditors", env.Tokens["admin"], `{"permissions":{}}`, 200, nil)
		var log struct {
			Items []struct{ Kind, Actor, Target string }
		}
		env.MustDo(t, "GET", "/api/v1/audit?limit=500", env.Tokens["admin"], "", 200, &log)
		kinds := map[string]int{}
		for _, e := range log.Items {
			kinds[e.Kind]++
		}
		for _, k := range []string{"login.failed", "login.succeeded", "logout", "apikey.created", "apikey.revoked", "user.created", "user.changed", "role.changed"} {
			if kinds[k] == 0 {
				t.Errorf("no %s event in %v", k, kinds)
			}
		}
		var failed struct{ Items []struct{ Kind string } }
		env.MustDo(t, "GET", "/api/v1/audit?kind=login.failed", env.Tokens["admin"], "", 200, &failed)
		for _, e := range failed.Items {
			if e.Kind != "login.failed" {
				t.Fatalf("kind filter let %s through", e.Kind)
			}
		}
		var rs struct{ Token string }
		env.MustDo(t, "POST", "/api/v1/auth/login", "", `{"tenant":"acme","email":"rep@acme.test","password":"rep password"}`, 200, &rs)
		env.MustDo(t, "GET", "/api/v1/audit", rs.Token, "", 403, nil)
	})
	t.Run("a second tenant is isolated from the first", func(t *testing.T) {
		var out struct{ APIKey string }
		env.MustDo(t, "POST", "/api/v1/platform/tenants", testenv.BootstrapToken,
			`{"name":"globex","admin":{"email":"admin@globex.test","password":"12345678"}}`, 201, &out)
		var users struct{ Items []map[string]any }
		env.MustDo(t, "GET", "/api/v1/users", out.APIKey, "", 200, &users)
		b, _ := json.Marshal(users)
		if len(users.Items) != 1 || strings.Contains(string(b), "acme.test") {
			t.Fatalf("globex sees %s", b)
		}
		env.MustDo(t, "GET", "/api/v1/users/"+rep.ID, out.APIKey, "", 404, nil)
	})
}
