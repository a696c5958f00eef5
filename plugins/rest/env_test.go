package rest_test

import (
	"encoding/json"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

// env is the real platform (testenv) with the acme tenant's id and its
// admin's API key at hand.
type env struct {
	*testenv.Env
	tenant string
	token  string
}

// start runs the platform for the test.
func start(t *testing.T) *env {
	t.Helper()
	te := testenv.New(t)
	return &env{Env: te, tenant: te.Tenant.ID, token: te.Tokens["admin"]}
}

// admin is MustDo with the acme admin's key.
func (e *env) admin(t *testing.T, method, path, body string, want int, out any) testenv.Response {
	t.Helper()
	return e.MustDo(t, method, path, e.token, body, want, out)
}

// problem checks a problem+json answer's status and code.
func problem(t *testing.T, res testenv.Response, status int, code string) {
	t.Helper()
	var p struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(res.Body, &p); err != nil || p.Status != status || p.Code != code {
		t.Fatalf("want problem %d %s, got %d %s", status, code, res.Status, res.Body)
	}
}

// packageBody is a plan or action body with the package given inline.
func packageBody(t *testing.T, files map[string]string, extra string) string {
	b, err := json.Marshal(files)
	if err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		extra += ","
	}
	return "{" + extra + `"package":` + string(b) + "}"
}
