package query

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

func cmp(f string, op store.CmpOp, v any) store.Cmp { return store.Cmp{Field: f, Op: op, Value: v} }

const (
	jan31 = "2026-01-31T00:00:00.000Z"
	feb01 = "2026-02-01T00:00:00.000Z"
)

func TestParseFilter_producesTheAST(t *testing.T) {
	day := store.And{cmp("createdAt", store.OpGte, jan31), cmp("createdAt", store.OpLt, feb01)}
	for _, tc := range []struct {
		name, src string
		want      store.Filter
	}{
		{"empty text is no filter", "", nil},
		{"blank text is no filter", " \t\r\n ", nil},
		{"string equality", "status = 'new'", store.Eq("status", "new")},
		{"not equal with !=", "status != 'new'", cmp("status", store.OpNe, "new")},
		{"not equal with <>", "status <> 'new'", cmp("status", store.OpNe, "new")},
		{"less than an integer", "score < 5", cmp("score", store.OpLt, int64(5))},
		{"at most", "score <= 5", cmp("score", store.OpLte, int64(5))},
		{"greater than", "score > 5", cmp("score", store.OpGt, int64(5))},
		{"at least", "score >= 50", cmp("score", store.OpGte, int64(50))},
		{"no blanks needed around operators", "score>=50", cmp("score", store.OpGte, int64(50))},
		{"negative integer stays int64", "score = -7", store.Eq("score", int64(-7))},
		{"decimal is float64", "score >= 50.5", cmp("score", store.OpGte, 50.5)},
		{"negative decimal", "score > -0.25", cmp("score", store.OpGt, -0.25)},
		{"exponent makes a decimal", "score = 1e3", store.Eq("score", 1000.0)},
		{"signed exponent", "score = 25E-1", store.Eq("score", 2.5)},
		{"largest int64", "score = 9223372036854775807", store.Eq("score", int64(9223372036854775807))},
		{"currency decimal becomes minor units", "amount = 19.99", store.Eq("amount", int64(1999))},
		{"a multi-value field IS NULL", "tags IS NULL", store.Null{Field: "tags"}},
		{"a multi-value field IS NOT NULL", "tags is not null", store.Null{Field: "tags", Not: true}},
		{"currency integer becomes minor units", "amount >= 5", cmp("amount", store.OpGte, int64(500))},
		{"tiny currency amount never equals a stored one", "amount = 1e-999", store.Eq("amount", 5e-324)},
		{"tiny negative currency amount", "amount = -1e-999", store.Eq("amount", -5e-324)},
		{"currency sub-cent is fractional minor units", "amount > 19.995", cmp("amount", store.OpGt, 1999.5)},
		{"boolean true", "converted = true", store.Eq("converted", true)},
		{"boolean keyword is case-insensitive", "converted != FALSE", cmp("converted", store.OpNe, false)},
		{"date", "closeDate = 2026-01-31", store.Eq("closeDate", "2026-01-31")},
		{"date range", "closeDate >= 2026-01-01 AND closeDate < 2026-02-01",
			store.And{cmp("closeDate", store.OpGte, "2026-01-01"), cmp("closeDate", store.OpLt, "2026-02-01")}},
		{"datetime in UTC", "createdAt > 2026-01-31T10:00:00Z", cmp("createdAt", store.OpGt, "2026-01-31T10:00:00.000Z")},
		{"datetime with offset is turned to UTC", "createdAt > 2026-01-31T10:00:00+02:00",
			cmp("createdAt", store.OpGt, "2026-01-31T08:00:00.000Z")},
		{"datetime with negative offset crosses midnight", "createdAt < 2026-01-31T22:30:00-05:00",
			cmp("createdAt", store.OpLt, "2026-02-01T03:30:00.000Z")},
		{"fractional seconds keep milliseconds", "createdAt >= 2026-01-31T10:00:00.123456Z",
			cmp("createdAt", store.OpGte, "2026-01-31T10:00:00.123Z")},
		{"date = datetime field means within the day", "createdAt = 2026-01-31", day},
		{"date != datetime field means outside the day or null", "createdAt != 2026-01-31", store.Not{F: day}},
		{"date < datetime field means before the day", "createdAt < 2026-01-31", cmp("createdAt", store.OpLt, jan31)},
		{"date <= datetime field means before the next day", "createdAt <= 2026-01-31", cmp("createdAt", store.OpLt, feb01)},
		{"date > datetime field means from the next day", "createdAt > 2026-01-31", cmp("createdAt", store.OpGte, feb01)},
		{"date >= datetime field means from midnight", "createdAt >= 2026-01-31", cmp("createdAt", store.OpGte, jan31)},
		{"last day = has no upper bound", "createdAt = 9999-12-31",
			cmp("createdAt", store.OpGte, "9999-12-31T00:00:00.000Z")},
		{"last day <= is any value", "createdAt <= 9999-12-31", store.Null{Field: "createdAt", Not: true}},
		{"last day > is nothing", "createdAt > 9999-12-31", store.Or{}},
		{"IN strings", "source IN ('web','seo')", store.In{Field: "source", Values: []any{"web", "seo"}}},
		{"IN one value", "source in ('web')", store.In{Field: "source", Values: []any{"web"}}},
		{"NOT IN", "score NOT IN (1, 2.5)", store.In{Field: "score", Values: []any{int64(1), 2.5}, Not: true}},
		{"IN currency converts each value", "amount IN (1, 0.5)", store.In{Field: "amount", Values: []any{int64(100), int64(50)}}},
		{"IN dates on a datetime field is OR of days", "createdAt IN (2026-01-31, 2026-03-01T12:00:00Z)",
			store.Or{day, store.Eq("createdAt", "2026-03-01T12:00:00.000Z")}},
		{"IN keeps the order of mixed values", "createdAt IN (2026-03-01T12:00:00Z, 2026-01-31)",
			store.Or{store.Eq("createdAt", "2026-03-01T12:00:00.000Z"), day}},
		{"NOT IN dates on a datetime field is NOT of the days", "createdAt NOT IN (2026-01-31)", store.Not{F: store.Or{day}}},
		{"LIKE", "email LIKE '%@acme.com'", store.Like{Field: "email", Pattern: "%@acme.com"}},
		{"NOT LIKE", "email not like 'a_c%'", store.Like{Field: "email", Pattern: "a_c%", Not: true}},
		{"LIKE keeps escaped wildcards escaped", `name LIKE '100\%\_'`, store.Like{Field: "name", Pattern: `100\%\_`}},
		{"LIKE keeps an escaped backslash escaped", `name LIKE 'a\\b%'`, store.Like{Field: "name", Pattern: `a\\b%`}},
		{"quote escape", `name = 'O\'Brien'`, store.Eq("name", "O'Brien")},
		{"backslash escape", `name = 'a\\b'`, store.Eq("name", `a\b`)},
		{"control escapes", `name = 'a\tb\nc\rd\"e'`, store.Eq("name", "a\tb\nc\rd\"e")},
		{"unicode string", "name = 'Zoë 日本'", store.Eq("name", "Zoë 日本")},
		{"empty string", "name = ''", store.Eq("name", "")},
		{"IS NULL", "closedAt IS NULL", store.Null{Field: "closedAt"}},
		{"IS NOT NULL, lower case", "closedAt is not null", store.Null{Field: "closedAt", Not: true}},
		{"NOT is a node", "NOT converted = true", store.Not{F: store.Eq("converted", true)}},
		{"double NOT stays", "NOT NOT converted = true", store.Not{F: store.Not{F: store.Eq("converted", true)}}},
		{"NOT of a group", "NOT (status = 'a' OR status = 'b')",
			store.Not{F: store.Or{store.Eq("status", "a"), store.Eq("status", "b")}}},
		{"AND binds tighter than OR", "status = 'a' OR score = 1 AND converted = true",
			store.Or{store.Eq("status", "a"), store.And{store.Eq("score", int64(1)), store.Eq("converted", true)}}},
		{"NOT binds tighter than AND", "NOT status = 'a' AND score = 1",
			store.And{store.Not{F: store.Eq("status", "a")}, store.Eq("score", int64(1))}},
		{"parentheses group", "(status = 'a' OR score = 1) AND converted = true",
			store.And{store.Or{store.Eq("status", "a"), store.Eq("score", int64(1))}, store.Eq("converted", true)}},
		{"AND chains are flat", "status = 'a' AND (score = 1 AND converted = true)",
			store.And{store.Eq("status", "a"), store.Eq("score", int64(1)), store.Eq("converted", true)}},
		{"OR chains are flat", "(status = 'a' OR status = 'b') OR status = 'c'",
			store.Or{store.Eq("status", "a"), store.Eq("status", "b"), store.Eq("status", "c")}},
		{"redundant parentheses vanish", "((status = 'a'))", store.Eq("status", "a")},
		{"keywords in any case", "status = 'a' aNd score > 1 Or converted = True",
			store.Or{store.And{store.Eq("status", "a"), cmp("score", store.OpGt, int64(1))}, store.Eq("converted", true)}},
		{"parentheses need no blanks", "(score>=5)and(status='a')",
			store.And{cmp("score", store.OpGte, int64(5)), store.Eq("status", "a")}},
		{"dotted field path", "account.name = 'Acme'", store.Eq("account.name", "Acme")},
		{"the API example", "status = 'new' AND (score >= 50 OR source IN ('web','seo')) AND email LIKE '%@acme.com' AND closedAt IS NULL AND NOT converted = true",
			store.And{
				store.Eq("status", "new"),
				store.Or{cmp("score", store.OpGte, int64(50)), store.In{Field: "source", Values: []any{"web", "seo"}}},
				store.Like{Field: "email", Pattern: "%@acme.com"},
				store.Null{Field: "closedAt"},
				store.Not{F: store.Eq("converted", true)},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFilter(tc.src, leadFields())
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tc.src, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseFilter(%q)\n got %#v\nwant %#v", tc.src, got, tc.want)
			}
			if _, err := store.Normalize(got); err != nil {
				t.Fatalf("store.Normalize: %v", err)
			}
		})
	}
}

func TestParseFilter_refusesWithPosition(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "score = 1" + strings.Repeat(")", MaxDepth+1)
	nots := strings.Repeat("NOT ", MaxDepth+1) + "score = 1"
	manyIn := "score IN (" + strings.Repeat("1,", MaxInValues) + "1)"
	long := "name = '" + strings.Repeat("x", MaxFilterLength) + "'"
	for _, tc := range []struct {
		name, src, code string
		pos             int
		msg             string
	}{
		{"missing value", "status = )", CodeSyntax, 10, "position 10: expected a value after '=', found ')'"},
		{"missing value at the end", "score >=", CodeSyntax, 9, "expected a value after '>=', found end of input"},
		{"operator twice", "score >= = 1", CodeSyntax, 10, "expected a value after '>=', found '='"},
		{"missing operator", "status", CodeSyntax, 7, "expected an operator after 'status' (= != < <= > >= IN LIKE IS), found end of input"},
		{"value instead of field", "'new' = status", CodeSyntax, 1, "expected a field name, '(' or NOT, found string 'new'"},
		{"operator first", "= 'a'", CodeSyntax, 1, "expected a field name, '(' or NOT, found '='"},
		{"keyword as field", "in = 1", CodeSyntax, 1, "found IN"},
		{"NOT alone", "NOT", CodeSyntax, 4, "expected a field name, '(' or NOT, found end of input"},
		{"dangling AND", "status = 'a' AND", CodeSyntax, 17, "expected a field name, '(' or NOT, found end of input"},
		{"dangling OR", "score = 1 OR ", CodeSyntax, 14, "found end of input"},
		{"two predicates without connective", "status = 'a' status = 'b'", CodeSyntax, 14, "expected AND, OR or end of input, found 'status'"},
		{"unbalanced close", "status = 'a')", CodeSyntax, 13, "expected AND, OR or end of input, found ')'"},
		{"unclosed group", "(status = 'a'", CodeSyntax, 14, "expected AND, OR or ')' to close the '(' at position 1, found end of input"},
		{"null compared with =", "status = null", CodeSyntax, 10, "found NULL (compare with null using IS NULL or IS NOT NULL)"},
		{"IS without NULL", "status IS 'x'", CodeSyntax, 11, "expected NULL after IS, found string 'x'"},
		{"IS NOT without NULL", "status IS NOT 5", CodeSyntax, 15, "expected NULL after IS NOT, found '5'"},
		{"NOT before a comparison operator", "status NOT = 'a'", CodeSyntax, 12, "expected IN or LIKE after NOT, found '='"},
		{"IN without parenthesis", "status IN 'a'", CodeSyntax, 11, "expected '(' after IN, found string 'a'"},
		{"empty IN list", "status IN ()", CodeSyntax, 12, "expected a value in the IN list, found ')'"},
		{"IN list trailing comma", "status IN ('a',)", CodeSyntax, 16, "expected a value in the IN list, found ')'"},
		{"IN list without comma", "status IN ('a' 'b')", CodeSyntax, 16, "expected ',' or ')' in the IN list, found string 'b'"},
		{"IN list unclosed", "status IN ('a'", CodeSyntax, 15, "expected ',' or ')' in the IN list, found end of input"},
		{"LIKE without a string", "name LIKE 5", CodeSyntax, 11, "expected a string pattern after LIKE, found '5'"},
		{"unterminated string", "status = 'new", CodeSyntax, 10, "unterminated string"},
		{"string ending in a backslash", `status = 'new\'`, CodeSyntax, 10, "unterminated string"},
		{"unknown escape", `status = 'a\qb'`, CodeSyntax, 12, `unknown escape \q`},
		{"wildcard escape outside LIKE", `status = '100\%'`, CodeSyntax, 14, `the escape \% is only valid in a LIKE pattern`},
		{"double quotes", `status = "new"`, CodeSyntax, 10, "strings are written in single quotes"},
		{"bang without equals", "status ! 'a'", CodeSyntax, 8, "unexpected '!'"},
		{"unknown character", "status = 'a' && score = 1", CodeSyntax, 14, "unexpected character '&'"},
		{"integer out of range", "score = 99999999999999999999", CodeSyntax, 9, "number 99999999999999999999 is out of range"},
		{"decimal out of range", "score = 1e999", CodeSyntax, 9, "number 1e999 is out of range"},
		{"exponent too long", "amount = 1e-99999", CodeSyntax, 10, "number 1e-99999 is out of range"},
		{"decimal point without digits", "score = 5.", CodeSyntax, 11, "expected a digit after the decimal point"},
		{"exponent without digits", "score = 5e", CodeSyntax, 11, "expected a digit in the exponent"},
		{"letters glued to a number", "score = 5abc", CodeSyntax, 10, "unexpected 'a' after the number 5"},
		{"lonely minus", "score = - 5", CodeSyntax, 9, "unexpected '-'"},
		{"impossible date", "closeDate = 2026-02-30", CodeSyntax, 13, "invalid date 2026-02-30"},
		{"datetime without seconds", "createdAt = 2026-01-31T10:00Z", CodeSyntax, 13, "invalid datetime 2026-01-31T10:00Z"},
		{"datetime without zone", "createdAt = 2026-01-31T10:00:00", CodeSyntax, 13, "with Z or an offset"},
		{"datetime before year 0 in UTC", "createdAt = 0000-01-01T00:30:00+01:00", CodeSyntax, 13, "out of range"},
		{"dot without a name", "account. = 1", CodeSyntax, 9, "expected a field name after '.'"},
		{"invalid UTF-8", "name = '\xff'", CodeSyntax, 9, "invalid UTF-8"},
		{"positions count characters, not bytes", "name = 'Zoë' AND nope = 1", CodeUnknownField, 18, "position 18: unknown field 'nope'"},
		{"unknown field", "nope = 1", CodeUnknownField, 1, "unknown field 'nope'"},
		{"unknown field after a group", "(score = 1) OR statu = 'a'", CodeUnknownField, 16, "unknown field 'statu'"},
		{"field names are case-sensitive", "Status = 'a'", CodeUnknownField, 1, "unknown field 'Status'"},
		{"field not filterable", "notes = 'x'", CodeNotFilterable, 1, "field 'notes' cannot be used in a filter"},
		{"= on a multi-value field", "score = 1 AND tags = 'a'", CodeNotFilterable, 15, "field 'tags' holds several values: only IS NULL and IS NOT NULL can be used on it, found '='"},
		{"IN on a multi-value field", "tags IN ('a')", CodeNotFilterable, 1, "only IS NULL and IS NOT NULL can be used on it, found IN"},
		{"NOT IN on a multi-value field", "tags NOT IN ('a')", CodeNotFilterable, 1, "only IS NULL and IS NOT NULL can be used on it, found NOT"},
		{"LIKE on a multi-value field", "tags LIKE 'a%'", CodeNotFilterable, 1, "only IS NULL and IS NOT NULL can be used on it, found LIKE"},
		{"a multi-value field alone", "tags", CodeNotFilterable, 1, "only IS NULL and IS NOT NULL can be used on it, found end of input"},
		{"string for a currency", "amount = 'abc'", CodeTypeMismatch, 10, "'amount' is a number field: expected a number, found string 'abc'"},
		{"number for a datetime", "closedAt > 5", CodeTypeMismatch, 12, "'closedAt' is a datetime field: expected a datetime like 2026-01-31T10:00:00Z or a date, found integer 5"},
		{"boolean for a number", "score = true", CodeTypeMismatch, 9, "found boolean true"},
		{"number for a boolean", "converted = 1", CodeTypeMismatch, 13, "expected true or false, found integer 1"},
		{"datetime for a date", "closeDate = 2026-01-31T10:00:00Z", CodeTypeMismatch, 13, "expected a date like 2026-01-31, found datetime"},
		{"date for a string", "status = 2026-01-31", CodeTypeMismatch, 10, "expected a string in single quotes, found date 2026-01-31"},
		{"quoted date for a date", "closeDate = '2026-01-31'", CodeTypeMismatch, 13, "found string '2026-01-31'"},
		{"IN value of another type", "status IN ('a', 1)", CodeTypeMismatch, 17, "found integer 1"},
		{"LIKE on a number", "score LIKE '1%'", CodeTypeMismatch, 7, "LIKE needs a string field; 'score' is a number field"},
		{"ordering booleans", "converted < true", CodeTypeMismatch, 11, "'<' does not apply to the boolean field 'converted'"},
		{"currency out of range", "amount = 99999999999999999", CodeTypeMismatch, 10, "invalid value for 'amount': amount out of range"},
		{"filter too long", long, CodeTooComplex, MaxFilterLength + 1, "longer than 4096 bytes"},
		{"parentheses too deep", deep, CodeTooComplex, MaxDepth + 1, "nests deeper than 32 levels"},
		{"NOTs too deep", nots, CodeTooComplex, 4*MaxDepth + 1, "nests deeper than 32 levels"},
		{"IN list too long", manyIn, CodeTooComplex, 11 + 2*MaxInValues, "more than 1000 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilter(tc.src, leadFields())
			if err == nil {
				t.Fatalf("ParseFilter(%q) = %#v, want error %s", tc.src, f, tc.code)
			}
			wantQueryError(t, err, "filter", tc.code, tc.pos, tc.msg)
		})
	}
}

func TestParseFilter_acceptsTheLimits(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"deepest nesting", strings.Repeat("(", MaxDepth) + "score = 1" + strings.Repeat(")", MaxDepth)},
		{"longest IN list", "score IN (" + strings.Repeat("1,", MaxInValues-1) + "1)"},
		{"longest text", "name = '" + strings.Repeat("x", MaxFilterLength-9) + "'"},
		{"siblings do not add depth", strings.Repeat("(score = 1) AND ", 3*MaxDepth) + "score = 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseFilter(tc.src, leadFields()); err != nil {
				t.Fatalf("ParseFilter: %v", err)
			}
		})
	}
}

func TestParseFilter_convertersDecideTheStoredForm(t *testing.T) {
	fields := MapResolver{
		"code": {Kind: String, Filterable: true, Convert: func(l Literal) (any, error) {
			return strings.ToUpper(l.Value.(string)), nil
		}},
	}
	got, err := ParseFilter("code IN ('ab', 'cd')", fields)
	if err != nil {
		t.Fatal(err)
	}
	want := store.In{Field: "code", Values: []any{"AB", "CD"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestParseFilter_matchesAsDocumented(t *testing.T) {
	docs := []store.Doc{
		{"id": "a", "createdAt": "2026-01-30T23:59:59.999Z"},
		{"id": "b", "createdAt": "2026-01-31T00:00:00.000Z"},
		{"id": "c", "createdAt": "2026-01-31T23:59:59.999Z"},
		{"id": "d", "createdAt": "2026-02-01T00:00:00.000Z"},
		{"id": "e"},
	}
	for _, tc := range []struct {
		src  string
		want string
	}{
		{"createdAt = 2026-01-31", "bc"},
		{"createdAt != 2026-01-31", "ade"},
		{"createdAt < 2026-01-31", "a"},
		{"createdAt <= 2026-01-31", "abc"},
		{"createdAt > 2026-01-31", "d"},
		{"createdAt >= 2026-01-31", "bcd"},
		{"createdAt IN (2026-01-30, 2026-02-01)", "ad"},
		{"createdAt NOT IN (2026-01-30, 2026-02-01)", "bce"},
		{"NOT createdAt >= 2026-01-31", "ae"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			f, err := ParseFilter(tc.src, leadFields())
			if err != nil {
				t.Fatal(err)
			}
			nf, err := store.Normalize(f)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, d := range docs {
				if store.Match(nf, d) {
					got += d["id"].(string)
				}
			}
			if got != tc.want {
				t.Fatalf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

func BenchmarkParseFilter(b *testing.B) {
	const src = "status = 'new' AND (score >= 50 OR source IN ('web','seo')) AND email LIKE '%@acme.com' AND closedAt IS NULL AND NOT converted = true AND createdAt >= 2026-01-31"
	fields := leadFields()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFilter(src, fields); err != nil {
			b.Fatal(err)
		}
	}
}
