package rest_test

import (
	"strings"
	"testing"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
)

func TestDashboardsAPI(t *testing.T) {
	env := setup(t)
	chart := `{"type":"bar","object":"invoice","groupBy":["status"]}`
	env.MustDo(t, "PUT", "/api/v1/dashboards/mine", env.Tokens["rep"], `{"label":"My pipeline","charts":[`+chart+`]}`, 201, nil)
	for _, s := range []testenv.Scenario{
		{Name: "saving again changes it", As: "rep", Method: "PUT", URL: "/api/v1/dashboards/mine",
			Body: `{"label":"My pipe","charts":[` + chart + `,` + chart + `]}`, Status: 200, Contains: []string{`"label":"My pipe"`, `"groupBy":["status"]`}},
		{Name: "the owner reads it back as saved", As: "rep", Method: "GET", URL: "/api/v1/dashboards/mine", Status: 200,
			Contains: []string{`"name":"mine"`, `"shared":false`, `"type":"bar"`}},
		{Name: "another user does not see a private dashboard", As: "admin", Method: "GET", URL: "/api/v1/dashboards/mine", Status: 404},
		{Name: "a list holds only one's own and shared dashboards", As: "admin", Method: "GET", URL: "/api/v1/dashboards", Status: 200,
			Contains: []string{`"items":[]`}},
		{Name: "an admin shares one", As: "admin", Method: "PUT", URL: "/api/v1/dashboards/team",
			Body: `{"label":"Team","shared":true,"charts":[]}`, Status: 201},
		{Name: "a shared dashboard is readable by every user", As: "rep", Method: "GET", URL: "/api/v1/dashboards", Status: 200,
			Contains: []string{`"name":"mine"`, `"name":"team"`}},
		{Name: "but deleted only by its owner", As: "rep", Method: "DELETE", URL: "/api/v1/dashboards/team", Status: 404},
		{Name: "a missing label and a bad name are 422 naming them", As: "rep", Method: "PUT", URL: "/api/v1/dashboards/Bad%20Name",
			Body: `{"charts":[]}`, Status: 422, Contains: []string{`"field":"name"`, `"field":"label"`}},
		{Name: "a chart must be an object", As: "rep", Method: "PUT", URL: "/api/v1/dashboards/x",
			Body: `{"label":"x","charts":[null]}`, Status: 422, Contains: []string{`"field":"charts/0"`}},
		{Name: "too many charts are refused", As: "rep", Method: "PUT", URL: "/api/v1/dashboards/x",
			Body: `{"label":"x","charts":[` + strings.Repeat(chart+",", 50) + chart + `]}`, Status: 422, Contains: []string{`"field":"charts"`}},
		{Name: "malformed JSON is 400", As: "rep", Method: "PUT", URL: "/api/v1/dashboards/x", Body: `{"label":`, Status: 400},
		{Name: "the owner deletes it", As: "rep", Method: "DELETE", URL: "/api/v1/dashboards/mine", Status: 204},
		{Name: "and it is gone", As: "rep", Method: "GET", URL: "/api/v1/dashboards/mine", Status: 404},
		{Name: "a user may not delete another's by owner", As: "rep", Method: "DELETE", URL: "/api/v1/dashboards/team?owner=someone", Status: 403},
		{Name: "without a credential it is 401", Method: "GET", URL: "/api/v1/dashboards", Status: 401},
	} {
		t.Run(s.Name, func(t *testing.T) { env.Run(t, s) })
	}
}
