package query

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// FuzzParseFilter checks that no input makes the parser panic or hang, that
// every refusal is a Malformed *errs.Error with a query code and a position
// inside the text, and that every accepted filter passes store.Normalize and
// evaluates. Seeds are in testdata/fuzz/FuzzParseFilter.
func FuzzParseFilter(f *testing.F) {
	f.Add("status = 'new' AND (score >= 50 OR source IN ('web','seo')) AND email LIKE '%@acme.com' AND closedAt IS NULL AND NOT converted = true")
	f.Add("createdAt NOT IN (2026-01-31, 2026-02-01T10:00:00.5+01:00) OR amount > 19.995")
	fields := leadFields()
	docs := []store.Doc{
		{"id": "a", "status": "new", "score": int64(50), "amount": int64(1999), "converted": true,
			"createdAt": "2026-01-31T10:00:00.000Z", "closeDate": "2026-01-31", "email": "a@acme.com",
			"account": map[string]any{"name": "Acme"}},
		{"id": "b"},
	}
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		got, err := ParseFilter(src, fields)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("ParseFilter took %v on %d bytes", d, len(src))
		}
		if err != nil {
			e := errs.As(err)
			if e == nil || e.Kind != errs.Malformed || !strings.HasPrefix(e.Code, "query.") {
				t.Fatalf("ParseFilter(%q) error %v (%T) is not a malformed query error", src, err, err)
			}
			if len(e.Fields) != 1 || e.Fields[0].Field != "filter" {
				t.Fatalf("ParseFilter(%q) error fields %+v", src, e.Fields)
			}
			if p := e.Fields[0].Position; p < 1 || p > utf8.RuneCountInString(src)+1 {
				t.Fatalf("ParseFilter(%q) position %d outside the text", src, p)
			}
			return
		}
		nf, err := store.Normalize(got)
		if err != nil {
			t.Fatalf("ParseFilter(%q) = %#v which store.Normalize refuses: %v", src, got, err)
		}
		for _, d := range docs {
			store.Match(nf, d)
		}
		again, err := ParseFilter(src, fields)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("ParseFilter(%q) is not deterministic", src)
		}
	})
}
