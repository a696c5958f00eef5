package formula

import (
	"strconv"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// clock is the fixed "now" of the tests: late on 28 February of a leap year,
// already 29 February east of UTC.
var clock = time.Date(2024, 2, 28, 23, 30, 0, 0, time.UTC)

func testTypes() TypeMap {
	return TypeMap{
		"amount": TypeCurrency, "qty": TypeNumber, "price": TypeNumber, "tax": TypeNumber,
		"zero": TypeNumber, "nothing": TypeNumber, "name": TypeText, "stage": TypeText,
		"empty": TypeText, "notext": TypeText, "city": TypeText, "account.name": TypeText,
		"active": TypeBoolean, "flag": TypeBoolean, "close": TypeDate, "birthday": TypeDate,
		"nodate": TypeDate, "created": TypeDateTime,
	}
}

func testEnv(t testing.TB, zone string) *MapEnv {
	t.Helper()
	amount, err := NewDecimal(123450, 2) // 1234.50 stored as minor units
	if err != nil {
		t.Fatal(err)
	}
	birthday, err := NewDate(2000, 2, 29)
	if err != nil {
		t.Fatal(err)
	}
	env := &MapEnv{
		Values: map[string]any{
			"amount": amount, "qty": 3, "price": 0.1, "tax": 0.2, "zero": int64(0), "nothing": nil,
			"name": "Acme Corp", "stage": "won", "empty": "", "notext": nil, "city": "  Zürich \t",
			"account.name": "Globex", "active": true, "flag": nil,
			"close":    "2024-01-31", // a Date field as stored in JSON
			"birthday": birthday, "nodate": nil,
			"created": time.Date(2024, 3, 10, 15, 0, 0, 0, time.UTC),
		},
		Clock: func() time.Time { return clock },
	}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("time zone %s not available: %v", zone, err)
		}
		env.Loc = loc
	}
	return env
}

// render prints an Eval result for comparison.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case Decimal:
		return x.String()
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case Date:
		return "date:" + x.String()
	case time.Time:
		return "datetime:" + x.UTC().Format(time.RFC3339Nano)
	}
	return "unexpected"
}

type evalCase struct {
	src    string
	want   string // rendered result when code is empty
	code   string // expected error code
	detail string // expected FieldError code, when set
	pos    int    // expected 1-based position of the error
	zone   string // time zone of the environment
}

// run parses, checks and evaluates c and compares the outcome.
func (c evalCase) run(t *testing.T) {
	t.Helper()
	env := testEnv(t, c.zone)
	e, err := Parse(c.src)
	if err == nil {
		_, err = e.Check(testTypes())
	}
	var got any
	if err == nil {
		got, err = e.Eval(env)
	}
	if c.code == "" {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", c.src, err)
		}
		if r := render(got); r != c.want {
			t.Fatalf("%s = %s, want %s", c.src, r, c.want)
		}
		return
	}
	de := errs.As(err)
	if de == nil {
		t.Fatalf("%s: got %s (err %v), want error %s at %d", c.src, render(got), err, c.code, c.pos)
	}
	if de.Code != c.code || de.Kind != errs.Invalid || len(de.Fields) != 1 || de.Fields[0].Position != c.pos {
		t.Fatalf("%s: got %v (fields %+v), want %s at position %d", c.src, err, de.Fields, c.code, c.pos)
	}
	if c.detail != "" && de.Fields[0].Code != c.detail {
		t.Fatalf("%s: detail %s, want %s", c.src, de.Fields[0].Code, c.detail)
	}
}

func TestEval_arithmeticAndPrecedence(t *testing.T) {
	for _, c := range []evalCase{
		{src: `1 + 2 * 3`, want: "7"},
		{src: `(1 + 2) * 3`, want: "9"},
		{src: `10 - 4 - 3`, want: "3"},
		{src: `12 / 2 / 3`, want: "2"},
		{src: `2 * -3`, want: "-6"},
		{src: `-(2 + 3) * 2`, want: "-10"},
		{src: `- -4`, want: "4"},
		{src: `.5 + +1`, want: "1.5"},
		{src: `price + tax`, want: "0.3"},
		{src: `price + tax = 0.3`, want: "true"},
		{src: `amount * 2`, want: "2469"},
		{src: `amount / qty`, want: "411.5"},
		{src: `1 / 3`, want: "0.333333333333333333"},
		{src: `2 / 3`, want: "0.666666666666666667"},
		{src: `-2 / 3`, want: "-0.666666666666666667"},
		{src: `10 / 4`, want: "2.5"},
		{src: `1000000 / 0.003`, want: "333333333.3333333333"},
		{src: `0.000000001 * 0.000000001`, want: "0.000000000000000001"},
		{src: `0.000000001 * 0.0000000001`, want: "0"},
		{src: `1 /* one */ + 2 /* two */`, want: "3"},
		{src: `1 / 0`, code: CodeEval, detail: "division_by_zero", pos: 3},
		{src: `qty / zero`, code: CodeEval, detail: "division_by_zero", pos: 5},
		{src: `MOD(10, 0)`, code: CodeEval, detail: "division_by_zero", pos: 1},
		{src: `IF(zero = 0, 0, qty / zero)`, want: "0"},
		{src: `9000000000000000000 + 1000000000000000000`, code: CodeEval, detail: "out_of_range", pos: 21},
		{src: `3000000000 * 3000000000 * 3`, code: CodeEval, detail: "out_of_range", pos: 25},
	} {
		t.Run(c.src, c.run)
	}
}

func TestEval_nulls(t *testing.T) {
	for _, c := range []evalCase{
		{src: `nothing + 1`, want: "null"},
		{src: `nothing * 2`, want: "null"},
		{src: `-nothing`, want: "null"},
		{src: `NULL`, want: "null"},
		{src: `ISBLANK(nothing)`, want: "true"},
		{src: `ISBLANK(empty)`, want: "true"},
		{src: `ISBLANK(name)`, want: "false"},
		{src: `ISNULL(notext)`, want: "true"},
		{src: `BLANKVALUE(nothing, 42)`, want: "42"},
		{src: `BLANKVALUE(qty, 42)`, want: "3"},
		{src: `NULLVALUE(empty, 'none')`, want: `"none"`},
		{src: `nothing = NULL`, want: "true"},
		{src: `nothing = 0`, want: "false"},
		{src: `nothing != 0`, want: "true"},
		{src: `empty = notext`, want: "true"},
		{src: `nothing > 1`, want: "null"},
		{src: `NOT(nothing > 1)`, want: "true"},
		{src: `flag`, want: "null"},
		{src: `IF(flag, 1, 2)`, want: "2"},
		{src: `notext & 'x'`, want: `"x"`},
		{src: `LEN(notext)`, want: "0"},
		{src: `UPPER(notext)`, want: "null"},
		{src: `TEXT(nothing)`, want: "null"},
		{src: `MIN(qty, nothing)`, want: "null"},
		{src: `nodate + 1`, want: "null"},
		{src: `DATEDIFF(close, nodate)`, want: "null"},
		{src: `VALUE(notext)`, want: "null"},
	} {
		t.Run(c.src, c.run)
	}
}

func TestEval_comparisonAndLogic(t *testing.T) {
	for _, c := range []evalCase{
		{src: `qty <> 3`, want: "false"},
		{src: `qty != 4`, want: "true"},
		{src: `qty == 3 && active`, want: "true"},
		{src: `'abc' < 'abd'`, want: "true"},
		{src: `'B' < 'a'`, want: "true"},
		{src: `amount >= 1234.5`, want: "true"},
		{src: `2.50 = 2.5`, want: "true"},
		{src: `close <= DATE(2024, 1, 31)`, want: "true"},
		{src: `created > NOW()`, want: "true"},
		{src: `TRUE OR 1/0 > 1`, want: "true"},
		{src: `FALSE AND 1/0 > 1`, want: "false"},
		{src: `NOT active`, want: "false"},
		{src: `!active || qty > 2`, want: "true"},
		{src: `OR(FALSE, FALSE, qty = 3)`, want: "true"},
		{src: `AND(TRUE, active, qty > 5)`, want: "false"},
		{src: `not TRUE and true`, want: "false"},
		{src: `NOT FALSE OR FALSE`, want: "true"},
		{src: `NOT qty = 3`, want: "false"},
		{src: `NOT(active) = FALSE`, want: "true"},
		{src: `true and NOT false`, want: "true"},
		{src: `If(True, 'y', 'n')`, want: `"y"`},
		{src: `CASE(stage, 'lost', 0, 'won', 100, 50)`, want: "100"},
		{src: `CASE(qty, 1, 'one', 2, 'two', 'many')`, want: `"many"`},
		{src: `CASE(notext, '', 'blank', 'set')`, want: `"blank"`},
		{src: `IF(qty > 2, 'big', 'small')`, want: `"big"`},
		{src: `IF(nothing > 2, 'big', 'small')`, want: `"small"`},
	} {
		t.Run(c.src, c.run)
	}
}

func TestEval_text(t *testing.T) {
	for _, c := range []evalCase{
		{src: `name & ' / ' & account.name`, want: `"Acme Corp / Globex"`},
		{src: `'a' + 'b'`, want: `"ab"`},
		{src: `'it\'s' & "\"q\"\t"`, want: `"it's\"q\"\t"`},
		{src: `CONCAT('x', notext, 'y', TEXT(qty))`, want: `"xy3"`},
		{src: `TEXT(amount)`, want: `"1234.5"`},
		{src: `TEXT(-0.05)`, want: `"-0.05"`},
		{src: `TEXT(DATE(2024, 2, 29))`, want: `"2024-02-29"`},
		{src: `TEXT(created)`, want: `"2024-03-10T15:00:00Z"`},
		{src: `TEXT(active)`, want: `"true"`},
		{src: `VALUE(' 12.50 ') * 2`, want: "25"},
		{src: `VALUE('abc')`, code: CodeEval, detail: "not_a_number", pos: 1},
		{src: `LEN('Zürich')`, want: "6"},
		{src: `UPPER('Zürich')`, want: `"ZÜRICH"`},
		{src: `LOWER(name)`, want: `"acme corp"`},
		{src: `TRIM(city)`, want: `"Zürich"`},
		{src: `LEFT(name, 4)`, want: `"Acme"`},
		{src: `LEFT(name, -1)`, want: `""`},
		{src: `RIGHT('Zürich', 4)`, want: `"rich"`},
		{src: `RIGHT(name, 99)`, want: `"Acme Corp"`},
		{src: `MID('Zürich', 2, 3)`, want: `"üri"`},
		{src: `MID(name, 0, 100)`, want: `"Acme Corp"`},
		{src: `MID(name, 20, 2)`, want: `""`},
		{src: `CONTAINS(name, 'Corp')`, want: "true"},
		{src: `CONTAINS(name, 'corp')`, want: "false"},
		{src: `CONTAINS(notext, '')`, want: "true"},
		{src: `BEGINS(name, 'Ac')`, want: "true"},
		{src: `BEGINS(name, 'cme')`, want: "false"},
		{src: `SUBSTITUTE(name, 'Corp', 'Inc')`, want: `"Acme Inc"`},
		{src: `SUBSTITUTE('aaa', 'a', 'bb')`, want: `"bbbbbb"`},
		{src: `SUBSTITUTE(name, '', 'x')`, want: `"Acme Corp"`},
		{src: `ISPICKVAL(stage, 'won')`, want: "true"},
		{src: `ispickval(stage, 'Won')`, want: "false"},
		{src: `ISPICKVAL(notext, '')`, want: "true"},
	} {
		t.Run(c.src, c.run)
	}
}

func TestEval_numberFunctions(t *testing.T) {
	for _, c := range []evalCase{
		{src: `ABS(-4.5)`, want: "4.5"},
		{src: `ROUND(2.345, 2)`, want: "2.35"},
		{src: `ROUND(-2.5)`, want: "-3"},
		{src: `ROUND(2.4)`, want: "2"},
		{src: `ROUND(1250, -2)`, want: "1300"},
		{src: `ROUND(amount / 7, 2)`, want: "176.36"},
		{src: `FLOOR(-2.5)`, want: "-3"},
		{src: `FLOOR(2.5)`, want: "2"},
		{src: `CEILING(-2.5)`, want: "-2"},
		{src: `CEILING(2.1)`, want: "3"},
		{src: `MIN(3, 1.5, 2)`, want: "1.5"},
		{src: `MAX(qty, amount)`, want: "1234.5"},
		{src: `MAX(close, DATE(2024, 1, 1))`, want: "date:2024-01-31"},
		{src: `MOD(-7, 3)`, want: "-1"},
		{src: `MOD(7.5, 2)`, want: "1.5"},
		{src: `MOD(7, -2)`, want: "1"},
	} {
		t.Run(c.src, c.run)
	}
}

func TestEval_dates(t *testing.T) {
	for _, c := range []evalCase{
		{src: `TODAY()`, want: "date:2024-02-28"},
		{src: `TODAY()`, zone: "Asia/Tokyo", want: "date:2024-02-29"},
		{src: `TODAY()`, zone: "America/Los_Angeles", want: "date:2024-02-28"},
		{src: `TODAY() + 1`, zone: "Asia/Tokyo", want: "date:2024-03-01"},
		{src: `NOW()`, want: "datetime:2024-02-28T23:30:00Z"},
		{src: `DATE(2024, 2, 29)`, want: "date:2024-02-29"},
		{src: `DATE(2023, 2, 29)`, code: CodeEval, detail: "invalid_date", pos: 1},
		{src: `DATE(2024, 13, 1)`, code: CodeEval, detail: "invalid_date", pos: 1},
		{src: `DATE(2024, 1.5, 1)`, code: CodeEval, detail: "invalid_date", pos: 12},
		{src: `DATE(2023, 12, 31) + 1`, want: "date:2024-01-01"},
		{src: `DATE(2024, 3, 1) - 1`, want: "date:2024-02-29"},
		{src: `DATE(2023, 3, 1) - 1`, want: "date:2023-02-28"},
		{src: `1 + DATE(2024, 2, 28)`, want: "date:2024-02-29"},
		{src: `DATE(2024, 3, 1) - DATE(2023, 3, 1)`, want: "366"},
		{src: `DATE(2025, 3, 1) - DATE(2024, 3, 1)`, want: "365"},
		{src: `ADDDAYS(close, 30)`, want: "date:2024-03-01"},
		{src: `close + 1.9`, want: "date:2024-02-01"},
		{src: `close - 0.5`, want: "date:2024-01-31"},
		{src: `DATE(9999, 12, 31) + 1`, code: CodeEval, detail: "invalid_date", pos: 20},
		{src: `ADDMONTHS(close, 1)`, want: "date:2024-02-29"},
		{src: `ADDMONTHS(DATE(2023, 1, 31), 1)`, want: "date:2023-02-28"},
		{src: `ADDMONTHS(DATE(2024, 2, 29), 12)`, want: "date:2025-02-28"},
		{src: `ADDMONTHS(DATE(2024, 1, 15), -13)`, want: "date:2022-12-15"},
		{src: `created + 0.5`, want: "datetime:2024-03-11T03:00:00Z"},
		{src: `ADDDAYS(created, -1)`, want: "datetime:2024-03-09T15:00:00Z"},
		{src: `created - DATETIMEVALUE('2024-03-09T03:00:00Z')`, want: "1.5"},
		{src: `YEAR(close) * 10000 + MONTH(close) * 100 + DAY(close)`, want: "20240131"},
		{src: `WEEKDAY(DATE(2024, 3, 10))`, want: "1"},
		{src: `WEEKDAY(DATE(2024, 2, 29))`, want: "5"},
		{src: `DATEVALUE('2024-02-29')`, want: "date:2024-02-29"},
		{src: `DATEVALUE('2024-02-30')`, code: CodeEval, detail: "invalid_date", pos: 1},
		{src: `DATEVALUE(created)`, want: "date:2024-03-10"},
		{src: `DATEVALUE(created)`, zone: "Asia/Tokyo", want: "date:2024-03-11"},
		{src: `DAY(NOW())`, zone: "Asia/Tokyo", want: "29"},
		{src: `DATETIMEVALUE(DATE(2024, 3, 1))`, zone: "Europe/Paris", want: "datetime:2024-02-29T23:00:00Z"},
		{src: `DATEDIFF(close, DATE(2024, 3, 1))`, want: "30"},
		{src: `DATEDIFF('month', close, DATE(2024, 2, 29))`, want: "1"},
		{src: `DATEDIFF('month', close, DATE(2024, 2, 28))`, want: "0"},
		{src: `DATEDIFF('month', DATE(2024, 3, 31), DATE(2024, 2, 29))`, want: "-1"},
		{src: `DATEDIFF('Years', birthday, DATE(2024, 2, 28))`, want: "23"},
		{src: `DATEDIFF('year', birthday, DATE(2001, 2, 28))`, want: "1"},
		{src: `DATEDIFF('year', DATE(2023, 12, 31), DATE(2024, 1, 1))`, want: "0"},
		{src: `DATEDIFF('week', DATE(2024, 1, 1), DATE(2024, 1, 14))`, want: "1"},
		{src: `DATEDIFF('day', DATE(2023, 12, 31), DATE(2024, 1, 1))`, want: "1"},
		{src: `DATEDIFF('hours', created, DATETIMEVALUE('2024-03-11T14:59:59Z'))`, want: "23"},
		{src: `DATEDIFF('minute', DATETIMEVALUE('2024-03-11T14:59:59Z'), created)`, want: "-1439"},
		{src: `DATEDIFF('hour', DATE(2024, 2, 28), DATE(2024, 3, 1))`, want: "48"},
		{src: `DATEDIFF(created, NOW())`, zone: "Asia/Tokyo", want: "-11"},
		{src: `DATEDIFF(LOWER('DAY') & 's', close, close + 3)`, want: "3"},
		{src: `DATEDIFF('fortnight', close, close)`, code: CodeType, detail: "bad_unit", pos: 10},
		{src: `DATEDIFF(notext & 'eon', close, close)`, code: CodeEval, detail: "bad_unit", pos: 17},
	} {
		t.Run(c.src+"@"+c.zone, c.run)
	}
}

func TestParse_reportsSyntaxErrorsWithPositions(t *testing.T) {
	for _, c := range []evalCase{
		{src: `1 +`, code: CodeSyntax, detail: "unexpected_token", pos: 4},
		{src: `(1 + 2`, code: CodeSyntax, detail: "unexpected_token", pos: 7},
		{src: `'abc`, code: CodeSyntax, detail: "unterminated_text", pos: 1},
		{src: `1 + "ab\q"`, code: CodeSyntax, detail: "bad_escape", pos: 8},
		{src: `FOO(1)`, code: CodeSyntax, detail: "unknown_function", pos: 1},
		{src: `IF(TRUE, 1)`, code: CodeSyntax, detail: "wrong_arguments", pos: 1},
		{src: `CASE(qty, 1, 'a', 'b', 'c')`, code: CodeSyntax, detail: "wrong_arguments", pos: 1},
		{src: `TODAY(1)`, code: CodeSyntax, detail: "wrong_arguments", pos: 1},
		{src: `1 # 2`, code: CodeSyntax, detail: "unexpected_character", pos: 3},
		{src: `'Zürich' + @`, code: CodeSyntax, detail: "unexpected_character", pos: 12},
		{src: `qty > 1 AND`, code: CodeSyntax, detail: "unexpected_token", pos: 12},
		{src: `1 2`, code: CodeSyntax, detail: "unexpected_token", pos: 3},
		{src: `AND`, code: CodeSyntax, detail: "unexpected_token", pos: 1},
		{src: `12abc`, code: CodeSyntax, detail: "bad_number", pos: 3},
		{src: `1.2.3`, code: CodeSyntax, detail: "bad_number", pos: 1},
		{src: `99999999999999999999`, code: CodeSyntax, detail: "bad_number", pos: 1},
		{src: `IF(TRUE, 1 2)`, code: CodeSyntax, detail: "unexpected_token", pos: 12},
		{src: `1 /* open`, code: CodeSyntax, detail: "unterminated_comment", pos: 3},
		{src: ``, code: CodeSyntax, detail: "unexpected_token", pos: 1},
	} {
		t.Run(c.src, c.run)
	}
}

func TestCheck_reportsTypeErrorsWithPositions(t *testing.T) {
	for _, c := range []evalCase{
		{src: `name + 1`, code: CodeType, detail: "type_mismatch", pos: 6},
		{src: `unknownfield > 1`, code: CodeType, detail: "unknown_field", pos: 1},
		{src: `qty > 1 && account.owner = 'x'`, code: CodeType, detail: "unknown_field", pos: 12},
		{src: `IF(qty, 1, 2)`, code: CodeType, detail: "type_mismatch", pos: 4},
		{src: `qty & 'x'`, code: CodeType, detail: "type_mismatch", pos: 1},
		{src: `IF(active, 1, 'x')`, code: CodeType, detail: "type_mismatch", pos: 15},
		{src: `close < created`, code: CodeType, detail: "type_mismatch", pos: 7},
		{src: `active < TRUE`, code: CodeType, detail: "type_mismatch", pos: 8},
		{src: `close + close`, code: CodeType, detail: "type_mismatch", pos: 7},
		{src: `LEN(qty)`, code: CodeType, detail: "type_mismatch", pos: 5},
		{src: `AND(active, 'yes')`, code: CodeType, detail: "type_mismatch", pos: 13},
		{src: `CASE(stage, 1, 'a', 'b')`, code: CodeType, detail: "type_mismatch", pos: 13},
		{src: `MIN(qty, close)`, code: CodeType, detail: "type_mismatch", pos: 10},
		{src: `DATEDIFF(close, created)`, code: CodeType, detail: "type_mismatch", pos: 17},
	} {
		t.Run(c.src, c.run)
	}
}

func TestCheck_infersResultTypes(t *testing.T) {
	for _, c := range []struct {
		src  string
		want Type
	}{
		{`amount * 2`, TypeCurrency},
		{`amount / amount`, TypeNumber},
		{`qty + price`, TypeNumber},
		{`IF(active, amount, 0)`, TypeCurrency},
		{`name & 'x'`, TypeText},
		{`close + 1`, TypeDate},
		{`close - close`, TypeNumber},
		{`created + 1`, TypeDateTime},
		{`AND(ISPICKVAL(stage, 'won'), amount <= 0)`, TypeBoolean},
		{`NULL`, TypeNull},
		{`BLANKVALUE(nothing, NULL)`, TypeNumber},
		{`CASE(stage, 'won', TODAY(), NULL)`, TypeDate},
	} {
		t.Run(c.src, func(t *testing.T) {
			_, got, err := Compile(c.src, testTypes())
			if err != nil || got != c.want {
				t.Fatalf("Compile(%s) = %s, %v; want %s", c.src, got, err, c.want)
			}
		})
	}
}
