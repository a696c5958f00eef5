package rest_test

import (
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

func TestViewsAPI(t *testing.T) {
	env := setup(t)
	for _, s := range []testenv.Scenario{
		{Name: "a layout is stored", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice/layouts/main",
			Body:   `{"name":"main","object":"invoice","sections":[{"label":"Billing","columns":2,"items":[{"field":"amount"},{"field":"status"},{"field":"account"}]}]}`,
			Status: 201, Contains: []string{`"kind":"layout"`, `"Billing"`}},
		{Name: "a layout is replaced", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice/layouts/main",
			Body: `{"name":"main","object":"invoice","sections":[{"label":"All","items":[{"field":"amount"},{"field":"email"}]}]}`, Status: 200},
		{Name: "a layout with an unknown field names it", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice/layouts/bad",
			Body: `{"name":"bad","object":"invoice","sections":[{"items":[{"field":"amount"},{"field":"nope"}]}]}`, Status: 422, Contains: []string{"nope"}},
		{Name: "a layout without a required field is refused", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice/layouts/short",
			Body: `{"name":"short","object":"invoice","sections":[{"items":[{"field":"email"}]}]}`, Status: 422},
		{Name: "layouts are listed", As: "admin", Method: "GET", URL: "/api/v1/objects/invoice/layouts", Status: 200, Contains: []string{`"name":"main"`}},
		{Name: "a list view is stored", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice/listviews/open",
			Body: `{"name":"open","object":"invoice","columns":["number","amount","status"],"filter":"status != 'paid'","sort":[{"field":"amount","desc":true}]}`, Status: 201},
		{Name: "a list view with a bad filter names the position", As: "admin", Method: "PUT", URL: "/api/v1/objects/invoice/listviews/bad",
			Body: `{"name":"bad","object":"invoice","columns":["amount"],"filter":"amount >= 'x'"}`, Status: 422, Contains: []string{`"position":11`}},
		{Name: "a list view on an unknown object is 404", As: "admin", Method: "PUT", URL: "/api/v1/objects/nope/listviews/x",
			Body: `{"name":"x","object":"nope","columns":["a"]}`, Status: 404},
		{Name: "only admins change views", As: "rep", Method: "PUT", URL: "/api/v1/objects/invoice/listviews/mine",
			Body: `{"name":"mine","object":"invoice","columns":["amount"]}`, Status: 403},
		{Name: "anyone may read views", As: "rep", Method: "GET", URL: "/api/v1/objects/invoice/listviews/open", Status: 200, Contains: []string{`status != 'paid'`}},
		{Name: "a view is deleted", As: "admin", Method: "DELETE", URL: "/api/v1/objects/invoice/listviews/open", Status: 204},
		{Name: "a deleted view is gone", As: "admin", Method: "GET", URL: "/api/v1/objects/invoice/listviews/open", Status: 404},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}
