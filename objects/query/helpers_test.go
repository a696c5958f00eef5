package query

import (
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

// leadFields describes a lead object with one field of every kind.
func leadFields() MapResolver {
	return MapResolver{
		"id":           {Kind: String, Filterable: true, Sortable: true},
		"status":       {Kind: String, Filterable: true, Sortable: true},
		"name":         {Kind: String, Filterable: true, Sortable: true},
		"email":        {Kind: String, Filterable: true, Sortable: true},
		"source":       {Kind: String, Filterable: true},
		"score":        {Kind: Number, Filterable: true, Sortable: true},
		"amount":       {Kind: Number, Filterable: true, Sortable: true, Convert: CurrencyConvert(2)},
		"converted":    {Kind: Boolean, Filterable: true, Sortable: true},
		"closeDate":    {Kind: Date, Filterable: true, Sortable: true},
		"createdAt":    {Kind: DateTime, Filterable: true, Sortable: true},
		"closedAt":     {Kind: DateTime, Filterable: true},
		"notes":        {Kind: String},
		"tags":         {Kind: List, Filterable: true},
		"account.name": {Kind: String, Filterable: true},
	}
}

// wantQueryError checks that err is a Malformed *errs.Error with the code, a
// single field error at position pos (0: do not check) for param, and a
// message containing msg.
func wantQueryError(t *testing.T, err error, param, code string, pos int, msg string) {
	t.Helper()
	e := errs.As(err)
	if e == nil {
		t.Fatalf("error = %v (%T), want *errs.Error %s", err, err, code)
	}
	if e.Kind != errs.Malformed || e.Code != code {
		t.Fatalf("error kind/code = %v/%s, want malformed/%s (%v)", e.Kind, e.Code, code, e)
	}
	if len(e.Fields) != 1 || e.Fields[0].Field != param {
		t.Fatalf("error fields = %+v, want one for %q", e.Fields, param)
	}
	if pos != 0 && e.Fields[0].Position != pos {
		t.Errorf("position = %d, want %d (%s)", e.Fields[0].Position, pos, e.Message)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", e.Message, msg)
	}
}
