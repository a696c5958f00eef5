package query

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

func TestParseSort(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []store.SortKey
	}{
		{"empty is no sort", "", nil},
		{"blank is no sort", "  ", nil},
		{"ascending", "name", []store.SortKey{{Field: "name"}}},
		{"descending then ascending", "-createdAt,name", []store.SortKey{{Field: "createdAt", Desc: true}, {Field: "name"}}},
		{"explicit plus", "+name", []store.SortKey{{Field: "name"}}},
		{"blanks around items", " -score , name ", []store.SortKey{{Field: "score", Desc: true}, {Field: "name"}}},
		{"id as the last key", "status,-id", []store.SortKey{{Field: "status"}, {Field: "id", Desc: true}}},
		{"as many keys as allowed", "status,name,score,-createdAt",
			[]store.SortKey{{Field: "status"}, {Field: "name"}, {Field: "score"}, {Field: "createdAt", Desc: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSort(tc.src, leadFields())
			if err != nil {
				t.Fatalf("ParseSort(%q): %v", tc.src, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseSort(%q) = %+v, want %+v", tc.src, got, tc.want)
			}
		})
	}
}

func TestParseSort_refuses(t *testing.T) {
	for _, tc := range []struct {
		name, src, code string
		pos             int
		msg             string
	}{
		{"unknown field", "-createdAt,nope", CodeUnknownField, 12, "unknown field 'nope'"},
		{"unknown field after a minus", "-nope", CodeUnknownField, 2, "unknown field 'nope'"},
		{"field not sortable", "source", CodeNotSortable, 1, "field 'source' cannot be sorted on"},
		{"multi-value field", "name,-tags", CodeNotSortable, 7, "field 'tags' cannot be sorted on: it holds several values"},
		{"duplicate key", "name,-name", CodeDuplicateField, 7, "field 'name' is already a sort key"},
		{"too many keys", "status,name,score,createdAt,email", CodeTooComplex, 29, "at most 4 keys"},
		{"empty item", "name,,score", CodeSyntax, 6, "expected a field name, found ','"},
		{"trailing comma", "name,", CodeSyntax, 6, "expected a field name, found end of input"},
		{"minus alone", "-", CodeSyntax, 2, "expected a field name, found ''"},
		{"words instead of a name", "name desc", CodeSyntax, 1, "expected a field name, found 'name desc'"},
		{"too long", strings.Repeat("a", MaxFilterLength+1), CodeTooComplex, MaxFilterLength + 1, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSort(tc.src, leadFields())
			if err == nil {
				t.Fatalf("ParseSort(%q) = %+v, want error", tc.src, got)
			}
			wantQueryError(t, err, "sort", tc.code, tc.pos, tc.msg)
		})
	}
}

func TestParseFields(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"empty is whole records", "", nil},
		{"two fields in order", "name,email", []string{"name", "email"}},
		{"repeats are dropped", "name, email ,name", []string{"name", "email"}},
		{"fields need not be filterable", "notes", []string{"notes"}},
		{"dotted path", "account.name", []string{"account.name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFields(tc.src, leadFields())
			if err != nil {
				t.Fatalf("ParseFields(%q): %v", tc.src, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseFields(%q) = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}

func TestParseFields_refuses(t *testing.T) {
	many := MapResolver{}
	var names []string
	for i := 0; i <= MaxFields; i++ {
		n := "f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		many[n] = Field{Kind: String}
		names = append(names, n)
	}
	for _, tc := range []struct {
		name, src string
		fields    Resolver
		code      string
		pos       int
		msg       string
	}{
		{"unknown field", "name,nmae", leadFields(), CodeUnknownField, 6, "unknown field 'nmae'"},
		{"empty item", ",name", leadFields(), CodeSyntax, 1, "expected a field name, found ','"},
		{"not a name", "name;drop", leadFields(), CodeSyntax, 1, "expected a field name, found 'name;drop'"},
		{"too many fields", strings.Join(names, ","), many, CodeTooComplex, 0, "at most 200 fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFields(tc.src, tc.fields)
			if err == nil {
				t.Fatalf("ParseFields(%q) = %q, want error", tc.src, got)
			}
			wantQueryError(t, err, "fields", tc.code, tc.pos, tc.msg)
		})
	}
}

func TestParseLimit(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want int
	}{{"", DefaultLimit}, {" ", DefaultLimit}, {"1", 1}, {"200", MaxLimit}, {" 75 ", 75}} {
		t.Run("accepts '"+tc.src+"'", func(t *testing.T) {
			got, err := ParseLimit(tc.src)
			if err != nil || got != tc.want {
				t.Fatalf("ParseLimit(%q) = %d, %v, want %d", tc.src, got, err, tc.want)
			}
		})
	}
	for _, src := range []string{"0", "-1", "201", "1e2", "ten", "5.0", "99999999999999999999"} {
		t.Run("refuses '"+src+"'", func(t *testing.T) {
			got, err := ParseLimit(src)
			if err == nil {
				t.Fatalf("ParseLimit(%q) = %d, want error", src, got)
			}
			wantQueryError(t, err, "limit", CodeBadLimit, 0, "limit must be an integer from 1 to 200, found '"+src+"'")
		})
	}
}
