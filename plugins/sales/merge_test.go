package sales_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/opencrm/crm/plugins/sales"
)

func TestDuplicates_similarCompanyAndName(t *testing.T) {
	e := newEnv(t)
	e.newLead(t, "admin", map[string]any{"name": "Anna Schmidt", "company": "Acme GmbH", "source": "website"})
	e.newLead(t, "admin", map[string]any{"name": "Jörg Müller", "company": "Müller & Söhne KG", "source": "website"})
	for _, c := range []struct {
		name, person, company string
		similar               bool
	}{
		{"case, punctuation and the legal suffix are ignored", "ANNA SCHMIDT", "acme, inc.", true},
		{"a typo in the name", "Anna Schmitt", "Acme Ltd", true},
		{"a letter missing from the name", "Ana Schmidt", "Acme", true},
		{"two letters swapped in the name", "Anna Schmdit", "Acme", true},
		{"three edits are too many", "Anne Schmdit", "Acme", false},
		{"a typo in an initial is not found (the candidates share them)", "Anna Zchmidt", "Acme", false},
		{"several legal suffixes", "Anna Schmidt", "Acme Corporation Ltd", true},
		{"another company of the same family name", "Joerg Mueller", "Meier & Soehne", false},
		{"accents fold, same words", "Joerg Mueller", "Mueller & Soehne", true},
		{"another person at the company", "Bob Jones", "Acme GmbH", false},
		{"another company", "Anna Schmidt", "Acme Widgets", false},
		{"a short name is not fuzzy", "Ann Smith", "Acme", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := e.call(t, "admin", "POST", "/api/v1/records/lead", `{"name":"`+c.person+`","company":"`+c.company+`","source":"seo"}`, 201)
			if (out["duplicateOf"] != nil) != c.similar {
				t.Errorf("duplicateOf %v, reason %v; want similar=%v", out["duplicateOf"], out["duplicateReason"], c.similar)
			}
			e.call(t, "admin", "DELETE", "/api/v1/records/lead/"+out["id"].(string), "", 204)
		})
	}
	t.Run("in block mode a similar lead is refused unless allowed", func(t *testing.T) {
		e.call(t, "admin", "PUT", "/api/v1/sales/settings", `{"duplicates":{"similar":"block"}}`, 200)
		res := e.Do(t, "POST", "/api/v1/records/lead", e.Tokens["admin"], `{"name":"Anna Schmidt","company":"ACME GmbH","source":"seo"}`)
		if res.Status != 422 || !strings.Contains(string(res.Body), "similar company and name") {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		e.call(t, "admin", "POST", "/api/v1/records/lead", `{"name":"Anna Schmidt","company":"ACME GmbH","source":"seo","allowDuplicate":true}`, 201)
	})
	t.Run("in flag mode the same email is saved and flagged", func(t *testing.T) {
		e.call(t, "admin", "PUT", "/api/v1/sales/settings", `{"duplicates":{"emailPhone":"flag","similar":"off"}}`, 200)
		e.newLead(t, "admin", map[string]any{"name": "Li Lei", "email": "li@lei.example", "source": "app"})
		out := e.call(t, "admin", "POST", "/api/v1/records/lead", `{"name":"Lei Li","email":"li@lei.example","source":"app"}`, 201)
		if out["duplicateReason"] != "another lead has this email" {
			t.Errorf("lead %v", out)
		}
	})
	t.Run("the same phone is named as the phone", func(t *testing.T) {
		first := e.newLead(t, "admin", map[string]any{"name": "Wu Fang", "phone": "+49 30 1234567", "source": "app"})
		out := e.call(t, "admin", "POST", "/api/v1/records/lead", `{"name":"Fang Wu","email":"fang@wu.example","phone":"+49 30 1234567","source":"app"}`, 201)
		if out["duplicateReason"] != "another lead has this phone" || out["duplicateOf"] != first {
			t.Errorf("lead %v", out)
		}
	})
	t.Run("in block mode the same email is refused naming the field", func(t *testing.T) {
		e.call(t, "admin", "PUT", "/api/v1/sales/settings", `{"duplicates":{"emailPhone":"block","similar":"off"}}`, 200)
		res := e.Do(t, "POST", "/api/v1/records/lead", e.Tokens["admin"], `{"name":"Li L","email":"li@lei.example","phone":"+1 555 0000","source":"app"}`)
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"email"`) {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	})
}

var errMergeCrash = errors.New("simulated crash")

func TestMerge(t *testing.T) {
	e := newEnv(t)
	keep := e.newLead(t, "admin", map[string]any{"name": "Anna Schmidt", "company": "Acme GmbH", "source": "website", "owner": e.users["ann"].ID, "poolStatus": "private"})
	dup := e.newLead(t, "admin", map[string]any{"name": "Anna Schmitt", "company": "Acme", "source": "seo", "email": "anna@acme.example",
		"phone": "+49 30 1234", "region": "north", "owner": e.users["bob"].ID, "poolStatus": "private"})
	e.call(t, "admin", "POST", "/api/v1/records/activity", `{"type":"call","subject":"First call","occurredAt":"2026-03-02T09:00:00Z","lead":"`+dup+`"}`, 201)
	e.call(t, "admin", "POST", "/api/v1/records/task", `{"subject":"Send brochure","dueDate":"2026-03-03","lead":"`+dup+`","owner":"`+e.users["bob"].ID+`"}`, 201)
	body := `{"duplicateId":"` + dup + `"}`

	t.Run("a rep without delete rights cannot merge", func(t *testing.T) {
		res := e.Do(t, "POST", "/api/v1/records/lead/"+keep+"/merge", e.Tokens["ann"], body)
		if res.Status != 403 && res.Status != 404 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
		e.call(t, "admin", "GET", "/api/v1/records/lead/"+dup, "", 200)
	})
	t.Run("a crash half way is finished by the retry", func(t *testing.T) {
		faulty, err := sales.New(e.App.Records, e.App.Store, sales.Config{Fault: func(s string) error {
			if s == "merge:note" {
				return errMergeCrash
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := faulty.Merge(e.as("manager"), keep, dup); !errors.Is(err, errMergeCrash) {
			t.Fatalf("first call: %v", err)
		}
		if n := e.count(t, "activity", "lead = '"+keep+"'"); n != 1 {
			t.Fatalf("activities moved before the crash: %d", n)
		}
	})
	var out map[string]any
	t.Run("the manager's retry completes the merge", func(t *testing.T) {
		out = e.call(t, "manager", "POST", "/api/v1/records/lead/"+keep+"/merge", body, 200)
		lead := out["lead"].(map[string]any)
		if lead["email"] != "anna@acme.example" || lead["phone"] != "+49 30 1234" || lead["region"] != "north" ||
			lead["name"] != "Anna Schmidt" || lead["owner"] != e.users["ann"].ID || lead["source"] != "website" {
			t.Errorf("survivor %v", lead)
		}
		b, _ := json.Marshal(out["filled"])
		if string(b) != `["email","phone","region"]` || out["moved"] != 2.0 {
			t.Errorf("filled %s, moved %v", b, out["moved"])
		}
	})
	t.Run("the duplicate is in the recycle bin, marked", func(t *testing.T) {
		e.call(t, "admin", "GET", "/api/v1/records/lead/"+dup, "", 404)
		res := e.call(t, "admin", "GET", "/api/v1/recyclebin/lead", "", 200)
		b, _ := json.Marshal(res)
		if !strings.Contains(string(b), dup) || !strings.Contains(string(b), `"mergedInto":"`+keep+`"`) {
			t.Errorf("recycle bin %s", b)
		}
	})
	t.Run("the children and one merge note are on the survivor", func(t *testing.T) {
		if n := e.count(t, "activity", "lead = '"+keep+"'"); n != 1 {
			t.Errorf("activities %d", n)
		}
		if n := e.count(t, "task", "lead = '"+keep+"'"); n != 2 {
			t.Errorf("tasks (moved + note) %d", n)
		}
		if n := e.count(t, "task", "automationKey = 'merge:"+dup+"'"); n != 1 {
			t.Errorf("merge notes %d", n)
		}
	})
	t.Run("a retry answers with the same result", func(t *testing.T) {
		again := e.call(t, "manager", "POST", "/api/v1/records/lead/"+keep+"/merge", body, 200)
		if again["merged"] != dup || again["moved"] != out["moved"] {
			t.Errorf("retry %v", again)
		}
		if n := e.count(t, "task", "lead = '"+keep+"'"); n != 2 {
			t.Errorf("tasks after the retry %d", n)
		}
	})
	t.Run("merging into another lead is refused", func(t *testing.T) {
		other := e.newLead(t, "admin", map[string]any{"name": "Someone Else", "source": "app"})
		res := e.Do(t, "POST", "/api/v1/records/lead/"+other+"/merge", e.Tokens["manager"], body)
		if res.Status != 409 || !strings.Contains(string(res.Body), "lead.already_merged") {
			t.Errorf("%d %s", res.Status, res.Body)
		}
	})
}
