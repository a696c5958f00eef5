package rest_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// TestExportColumns checks the header of a CSV export: the fields the
// caller may read, each once.
func TestExportColumns(t *testing.T) {
	env := setup(t) // the rep's role may not read invoice.email
	var me struct{ UserID string }
	env.MustDo(t, "GET", "/api/v1/auth/me", env.Tokens["rep"], "", 200, &me)
	create(t, env, "invoice", `{"amount": 12, "email": "hidden@exp.test", "status": "sent", "owner": "`+me.UserID+`"}`)
	for _, c := range []struct {
		name, as, query string
		header          string // the exact header row
		absent          string // a column that must not appear
	}{
		{name: "without fields a hidden field is left out", as: "rep", query: "",
			absent: "email"},
		{name: "without fields an admin gets every field", as: "admin", query: ""},
		{name: "fields=id alone gives one id column", as: "admin", query: "?fields=id", header: "id"},
		{name: "fields=id,amount gives id once", as: "admin", query: "?fields=id,amount", header: "id,amount"},
		{name: "fields=amount,amount gives amount once", as: "admin", query: "?fields=amount,amount", header: "id,amount"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := env.Do(t, "GET", "/api/v1/records/invoice/export"+c.query, env.Tokens[c.as], "")
			if res.Status != 200 {
				t.Fatalf("export %d %s", res.Status, res.Body)
			}
			rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("rows %q", rows)
			}
			header := rows[0]
			if c.as == "rep" && strings.Contains(string(res.Body), "hidden@exp.test") {
				t.Errorf("the export shows a hidden value: %q", rows)
			}
			seen := map[string]bool{}
			for _, h := range header {
				if seen[h] {
					t.Errorf("column %q appears twice in %q", h, header)
				}
				seen[h] = true
			}
			if c.header != "" && strings.Join(header, ",") != c.header {
				t.Errorf("header %q, want %q", header, c.header)
			}
			if c.absent != "" && seen[c.absent] {
				t.Errorf("header %q lists %q, which the caller may not read", header, c.absent)
			}
			if c.as == "admin" && c.query == "" {
				for _, want := range []string{"id", "amount", "email", "status", "owner"} {
					if !seen[want] {
						t.Errorf("header %q lacks %q", header, want)
					}
				}
			}
			if c.as == "rep" && (!seen["amount"] || !seen["status"]) {
				t.Errorf("header %q lacks readable fields", header)
			}
		})
	}
}

// TestImportMapping_refusesUnknownFields checks that a mapping or header
// naming a field the object lacks is refused before any job starts.
func TestImportMapping_refusesUnknownFields(t *testing.T) {
	env := setup(t)
	for _, c := range []struct {
		name     string
		body     map[string]any
		contains []string
	}{
		{name: "a mapping to an unknown field",
			body:     map[string]any{"csv": "amount,nt\n1,x\n", "mapping": map[string]string{"amount": "amount", "nt": "nope"}},
			contains: []string{`"field":"mapping"`, `"code":"unknown_field"`, `\"nt\"`, `\"nope\"`}},
		{name: "an unmapped header naming an unknown field",
			body:     map[string]any{"csv": "amount,nope\n1,x\n"},
			contains: []string{`"field":"csv"`, `"code":"unknown_field"`, `\"nope\"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(c.body)
			res := env.Do(t, "POST", "/api/v1/records/invoice/import", env.Tokens["admin"], string(body))
			if res.Status != 400 {
				t.Fatalf("import %d %s", res.Status, res.Body)
			}
			for _, s := range c.contains {
				if !strings.Contains(string(res.Body), s) {
					t.Errorf("answer lacks %s: %s", s, res.Body)
				}
			}
			if res.Header.Get("Location") != "" {
				t.Errorf("a job was started: %s", res.Header.Get("Location"))
			}
		})
	}
}
