package schema

import (
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

func TestLayoutAndListView_checkFieldsAgainstTheObject(t *testing.T) {
	o := mustParse(t, "invoice", invoiceDef)
	geo := mustParse(t, "site", `{"title":"Site","properties":{"where":{"x-crm-type":"geolocation"}}}`)
	cases := []struct {
		name string
		raw  string
		list bool
		obj  *Object
		want string
	}{
		{"valid layout", `{"name":"main","object":"invoice","sections":[{"label":"Info","items":[{"field":"amount"},{"field":"status"},{"field":"owner","readOnly":true}]}]}`, false, o, ""},
		{"layout with an unknown field", `{"name":"main","object":"invoice","sections":[{"items":[{"field":"amount"},{"field":"nope"}]}]}`, false, o, "/sections/0/items/1/field:unknown_field"},
		{"layout with a field twice", `{"name":"main","object":"invoice","sections":[{"items":[{"field":"amount"}]},{"items":[{"field":"amount"}]}]}`, false, o, "/sections/1/items/0/field:duplicate"},
		{"layout without a required field", `{"name":"main","object":"invoice","sections":[{"columns":3,"items":[{"field":"status"}]}]}`, false, o, "/sections/0/columns:enum /sections:missing_required"},
		{"valid list view", `{"name":"open","object":"invoice","columns":["number","amount","createdAt"],"filter":"status = 'sent'","sort":[{"field":"createdAt","desc":true}],"limit":50}`, true, o, ""},
		{"list view with unknown column and sort", `{"name":"open","object":"invoice","columns":["amount","nope"],"sort":[{"field":"zzz"}]}`, true, o, "/columns/1:unknown_field /sort/0/field:unknown_field"},
		{"list view sorting a geolocation", `{"name":"all","object":"site","columns":["where"],"sort":[{"field":"where"}],"limit":500}`, true, geo, "/sort/0/field:not_sortable /limit:maximum"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.list {
				lv, perr := ParseListView([]byte(c.raw))
				if perr != nil {
					t.Fatal(perr)
				}
				err = lv.Check(c.obj)
			} else {
				l, perr := ParseLayout([]byte(c.raw))
				if perr != nil {
					t.Fatal(perr)
				}
				err = l.Check(c.obj)
			}
			got := ""
			if e := errs.As(err); e != nil {
				got = codes(e.Fields)
			}
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	if _, err := ParseListView([]byte(`{"name":"x","colums":[]}`)); errs.CodeOf(err) != "metadata.invalid" {
		t.Fatalf("misspelt member accepted: %v", err)
	}
}
