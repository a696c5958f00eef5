package rest_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestRecordsAPI_multiValueFields checks filter, sort and fields on a
// multi-picklist: the field exists, so it is never reported as unknown; a
// filter can ask whether it holds any value, nothing more, and it sorts on
// nothing.
func TestRecordsAPI_multiValueFields(t *testing.T) {
	env := setup(t)
	env.MustDo(t, "PUT", "/api/v1/objects/ticket", env.Tokens["admin"], `{"title":"Ticket","type":"object","properties":{
		"subject":{"type":"string","x-crm-type":"text"},
		"tags":{"type":"array","x-crm-type":"multipicklist","items":{"enum":["a","b","c"]}}}}`, 201, nil)
	tagged := create(t, env, "ticket", `{"subject":"tagged","tags":["a","b"]}`)
	bare := create(t, env, "ticket", `{"subject":"bare"}`)

	for _, c := range []struct {
		name, query string
		status      int
		contains    []string
	}{
		{name: "IS NOT NULL finds the records with a value", query: "filter=" + url.QueryEscape("tags IS NOT NULL"),
			status: 200, contains: []string{tagged["id"].(string)}},
		{name: "IS NULL finds the records without one", query: "filter=" + url.QueryEscape("tags IS NULL"),
			status: 200, contains: []string{bare["id"].(string)}},
		{name: "= is refused as not filterable, naming the operators it takes", query: "filter=" + url.QueryEscape("subject = 'x' AND tags = 'a'"),
			status: 400, contains: []string{`"code":"not_filterable"`, `"position":19`, `'tags'`, `IS NULL and IS NOT NULL`}},
		{name: "IN is refused the same way", query: "filter=" + url.QueryEscape("tags IN ('a')"),
			status: 400, contains: []string{`"code":"not_filterable"`, `"position":1`, `IS NULL and IS NOT NULL`}},
		{name: "LIKE is refused the same way", query: "filter=" + url.QueryEscape("tags LIKE 'a%'"),
			status: 400, contains: []string{`"code":"not_filterable"`, `IS NULL and IS NOT NULL`}},
		{name: "sort is refused as not sortable", query: "sort=subject,-tags",
			status: 400, contains: []string{`"field":"sort"`, `"code":"not_sortable"`, `"position":10`, `'tags'`, `several values`}},
		{name: "fields may name it", query: "fields=tags&filter=" + url.QueryEscape("tags IS NOT NULL"),
			status: 200, contains: []string{`"tags":["a","b"]`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := env.Do(t, "GET", "/api/v1/records/ticket?"+c.query, env.Tokens["admin"], "")
			if res.Status != c.status {
				t.Fatalf("status %d, want %d: %s", res.Status, c.status, res.Body)
			}
			body := string(res.Body)
			if strings.Contains(body, "unknown field") {
				t.Errorf("the field is reported unknown: %s", body)
			}
			for _, s := range c.contains {
				if !strings.Contains(body, s) {
					t.Errorf("answer lacks %s: %s", s, body)
				}
			}
		})
	}
	for _, c := range []struct{ name, body, want string }{
		{"grouping by it is refused", `{"groupBy":["tags"]}`, `"field":"groupBy","code":"multi_value"`},
		{"measuring it is refused", `{"measures":[{"op":"min","field":"tags"}]}`, `"field":"measures","code":"multi_value"`},
	} {
		t.Run("aggregate: "+c.name, func(t *testing.T) {
			res := env.Do(t, "POST", "/api/v1/records/ticket/aggregate", env.Tokens["admin"], c.body)
			if res.Status != 400 || !strings.Contains(string(res.Body), c.want) {
				t.Fatalf("%d %s, want 400 with %s", res.Status, res.Body, c.want)
			}
		})
	}
	t.Run("expand of a field that is no lookup names the parameter", func(t *testing.T) {
		res := env.Do(t, "GET", "/api/v1/records/ticket?expand=tags", env.Tokens["admin"], "")
		if res.Status != 400 || !strings.Contains(string(res.Body), `"field":"expand"`) || !strings.Contains(string(res.Body), `\"tags\"`) {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	})
	t.Run("IS NULL leaves out the records with a value", func(t *testing.T) {
		res := env.Do(t, "GET", "/api/v1/records/ticket?filter="+url.QueryEscape("tags IS NULL"), env.Tokens["admin"], "")
		if strings.Contains(string(res.Body), tagged["id"].(string)) {
			t.Fatalf("tagged record listed: %s", res.Body)
		}
	})
}
