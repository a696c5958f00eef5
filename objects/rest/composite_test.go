package rest_test

import (
	"strings"
	"testing"
)

func TestCompositeAPI(t *testing.T) {
	env := setup(t)
	type result struct {
		Ref    string
		Status int
		Body   map[string]any
	}
	var out struct {
		Results    []result
		RolledBack bool
	}
	t.Run("later requests use earlier answers", func(t *testing.T) {
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"allOrNone":true,"requests":[
			{"ref":"acc","method":"POST","url":"/api/v1/records/account","body":{"name":"Globex"}},
			{"ref":"inv","method":"POST","url":"/api/v1/records/invoice","body":{"amount":10,"account":"@{acc.id}"}},
			{"ref":"get","method":"GET","url":"/api/v1/records/invoice/@{inv.id}?expand=account"}]}`, 200, &out)
		if len(out.Results) != 3 || out.Results[1].Status != 201 || out.Results[1].Body["account"] != out.Results[0].Body["id"] {
			t.Fatalf("results %+v", out.Results)
		}
		if acc, _ := out.Results[2].Body["account"].(map[string]any); acc["name"] != "Globex" {
			t.Fatalf("expanded %+v", out.Results[2].Body)
		}
	})
	t.Run("allOrNone rolls every request back when one fails", func(t *testing.T) {
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"allOrNone":true,"requests":[
			{"ref":"acc","method":"POST","url":"/api/v1/records/account","body":{"name":"Initech"}},
			{"ref":"bad","method":"POST","url":"/api/v1/records/invoice","body":{"amount":-1}},
			{"ref":"never","method":"POST","url":"/api/v1/records/account","body":{"name":"Never"}}]}`, 200, &out)
		if !out.RolledBack || out.Results[1].Status != 422 || out.Results[2].Status != 424 {
			t.Fatalf("results %+v", out)
		}
		res := env.Do(t, "GET", "/api/v1/records/account?filter=name%20%3D%20'Initech'", env.Tokens["admin"], "")
		if res.Status != 200 || strings.Contains(string(res.Body), "Initech") {
			t.Fatalf("a rolled-back record is there: %s", res.Body)
		}
	})
	t.Run("without allOrNone each request stands alone", func(t *testing.T) {
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"requests":[
			{"ref":"a","method":"POST","url":"/api/v1/records/account","body":{"name":"Hooli"}},
			{"ref":"b","method":"GET","url":"/api/v1/records/account/@{zzz.id}"},
			{"ref":"c","method":"DELETE","url":"/api/v1/records/account/@{a.id}"}]}`, 200, &out)
		if out.RolledBack || out.Results[0].Status != 201 || out.Results[1].Status != 400 || out.Results[2].Status != 204 {
			t.Fatalf("results %+v", out)
		}
	})
	t.Run("limits and shape", func(t *testing.T) {
		many := strings.Repeat(`{"ref":"x","method":"GET","url":"/api/v1/records/account"},`, 26)
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"requests":[`+strings.TrimSuffix(many, ",")+`]}`, 400, nil)
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"requests":[{"ref":"a","method":"GET","url":"/api/v1/records/account"},{"ref":"a","method":"GET","url":"/api/v1/records/account"}]}`, 400, nil)
		env.MustDo(t, "POST", "/api/v1/composite", env.Tokens["admin"], `{"requests":[{"ref":"a","method":"GET","url":"/api/v1/users"}]}`, 200, &out)
		if out.Results[0].Status != 400 {
			t.Fatalf("a non-record URL: %+v", out.Results)
		}
	})
}
