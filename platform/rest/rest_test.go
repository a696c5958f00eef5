package rest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCreated_answersSayWhereAndAreNotCached: a 201 names the new resource
// in Location, and an answer that holds a secret (an API key, a session
// token) is Cache-Control: no-store, so no cache between the client and
// the server keeps it.
func TestCreated_answersSayWhereAndAreNotCached(t *testing.T) {
	s := startServer(t)
	send := func(t *testing.T, path, token, body string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res, out
	}
	res, user := send(t, "/api/v1/users", s.tokens["admin"], `{"email":"u@acme.test","password":"user password"}`)
	if res.StatusCode != 201 || res.Header.Get("Location") != "/api/v1/users/"+user["id"].(string) {
		t.Fatalf("create user: %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	s.must(t, "GET", res.Header.Get("Location"), s.tokens["admin"], "", 200, nil)
	for _, tc := range []struct{ name, path, token, body, location string }{
		{"a new API key", "/api/v1/apikeys", s.tokens["admin"], `{"name":"erp"}`, "/api/v1/apikeys/"},
		{"a session token", "/api/v1/auth/login", "", `{"tenant":"acme","email":"u@acme.test","password":"user password"}`, ""},
		{"a new tenant's key", "/api/v1/platform/tenants", "boot", `{"name":"beta","admin":{"email":"b@beta.test","password":"admin password"}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, out := send(t, tc.path, tc.token, tc.body)
			if res.StatusCode >= 300 || res.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("%d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
			}
			if tc.location != "" && res.Header.Get("Location") != tc.location+out["id"].(string) {
				t.Fatalf("Location %q", res.Header.Get("Location"))
			}
		})
	}
}
