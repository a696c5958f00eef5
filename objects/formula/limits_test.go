package formula

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

func wantErr(t *testing.T, err error, code, detail string) *errs.Error {
	t.Helper()
	de := errs.As(err)
	if de == nil || de.Code != code || len(de.Fields) != 1 || de.Fields[0].Code != detail {
		t.Fatalf("got %v, want %s/%s", err, code, detail)
	}
	return de
}

func TestParse_boundsSizeAndNesting(t *testing.T) {
	t.Run("source over the limit is refused", func(t *testing.T) {
		_, err := Parse(strings.Repeat("1+", MaxSourceBytes/2) + "1")
		wantErr(t, err, CodeSyntax, "too_long")
	})
	t.Run("deep parentheses stop at MaxDepth", func(t *testing.T) {
		_, err := Parse(strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000))
		if de := wantErr(t, err, CodeSyntax, "too_deep"); de.Fields[0].Position != MaxDepth+1 {
			t.Fatalf("position %d, want %d", de.Fields[0].Position, MaxDepth+1)
		}
	})
	t.Run("deep unary minus stops at MaxDepth", func(t *testing.T) {
		_, err := Parse(strings.Repeat("-", 8000) + "1")
		wantErr(t, err, CodeSyntax, "too_deep")
	})
	t.Run("deep NOT stops at MaxDepth", func(t *testing.T) {
		_, err := Parse(strings.Repeat("NOT ", 3000) + "TRUE")
		wantErr(t, err, CodeSyntax, "too_deep")
	})
	t.Run("deep calls stop at MaxDepth", func(t *testing.T) {
		_, err := Parse(strings.Repeat("ABS(", 2000) + "1" + strings.Repeat(")", 2000))
		wantErr(t, err, CodeSyntax, "too_deep")
	})
	t.Run("a long left-deep chain stops at MaxDepth", func(t *testing.T) {
		_, err := Parse(strings.Repeat("1+", 4000) + "1")
		wantErr(t, err, CodeSyntax, "too_deep")
	})
	t.Run("a long AND chain is flat and accepted", func(t *testing.T) {
		e, err := Parse(strings.Repeat("TRUE AND ", 1000) + "TRUE")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := e.EvalBool(&MapEnv{}); err != nil || !ok {
			t.Fatalf("= %v, %v", ok, err)
		}
	})
	t.Run("a sum of MaxDepth terms is accepted", func(t *testing.T) {
		e, err := Parse(strings.Repeat("1+", MaxDepth) + "1")
		if err != nil {
			t.Fatal(err)
		}
		if v, err := e.Eval(&MapEnv{}); err != nil || v.(Decimal).String() != "257" {
			t.Fatalf("= %v, %v", v, err)
		}
	})
}

func TestEval_boundsText(t *testing.T) {
	t.Run("exponential SUBSTITUTE stops at MaxTextBytes", func(t *testing.T) {
		src := "'aaaaaaaaaa'"
		for range 7 {
			src = "SUBSTITUTE(" + src + ", 'a', 'aaaaaaaaaa')"
		}
		e, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Eval(&MapEnv{})
		wantErr(t, err, CodeEval, "text_too_long")
	})
	t.Run("concatenation past MaxTextBytes fails", func(t *testing.T) {
		e, _, err := Compile("big & big", TypeMap{"big": TypeText})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Eval(&MapEnv{Values: map[string]any{"big": strings.Repeat("x", MaxTextBytes/2+1)}})
		wantErr(t, err, CodeEval, "text_too_long")
	})
	t.Run("scanning a big field many times exhausts the budget", func(t *testing.T) {
		e, _, err := Compile(strings.Repeat("LEN(big) + ", 40)+"0", TypeMap{"big": TypeText})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Eval(&MapEnv{Values: map[string]any{"big": strings.Repeat("x", MaxTextBytes)}})
		wantErr(t, err, CodeEval, "too_much_text")
	})
}

func TestEval_withoutCheckTypesValuesDynamically(t *testing.T) {
	e, err := Parse(`amount > 0 && stage = 'won' && close = DATE(2024, 1, 31)`)
	if err != nil {
		t.Fatal(err)
	}
	close, _ := NewDate(2024, 1, 31)
	env := &MapEnv{Values: map[string]any{"amount": 12.5, "stage": "won", "close": close}}
	if ok, err := e.EvalBool(env); err != nil || !ok {
		t.Fatalf("= %v, %v", ok, err)
	}
	bad, err := Parse(`name + 1`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Eval(&MapEnv{Values: map[string]any{"name": "x"}})
	if de := wantErr(t, err, CodeType, "type_mismatch"); de.Fields[0].Position != 6 {
		t.Fatalf("position %d", de.Fields[0].Position)
	}
}

func TestEval_convertsFieldValuesByDeclaredType(t *testing.T) {
	types := TypeMap{"n": TypeNumber, "c": TypeCurrency, "d": TypeDate, "t": TypeDateTime, "b": TypeBoolean}
	for _, c := range []struct {
		name, src string
		val       any
		want      string
		code      string
	}{
		{"numeric text is a Number", "n * 2", "1.25", "2.5", ""},
		{"empty text is null for a Number", "ISBLANK(n)", "", "true", ""},
		{"unsigned integers are Numbers", "n + 1", uint16(41), "42", ""},
		{"float32 converts through its shortest form", "c", float32(0.1), "0.1", ""},
		{"a time.Time is its calendar date for a Date", "d", time.Date(2024, 2, 29, 23, 0, 0, 0, time.FixedZone("x", -5*3600)), "date:2024-02-29", ""},
		{"an RFC 3339 text is a DateTime", "t", "2024-02-29T10:00:00+01:00", "datetime:2024-02-29T09:00:00Z", ""},
		{"a Date is midnight UTC for a DateTime", "t", Date{}, "datetime:1970-01-01T00:00:00Z", ""},
		{"boolean text is a Boolean", "NOT b", "false", "true", ""},
		{"bad numeric text is an evaluation error", "n", "12,5", "", CodeEval},
		{"bad date text is an evaluation error", "d", "29/02/2024", "", CodeEval},
		{"a Boolean in a Number field is a type error", "n", true, "", CodeType},
		{"a huge unsigned integer is out of range", "n", uint64(1) << 63, "", CodeEval},
		{"an unsupported Go type is refused", "n", []int{1}, "", CodeEval},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, _, err := Compile(c.src, types)
			if err != nil {
				t.Fatal(err)
			}
			name := e.Fields()[0]
			got, err := e.Eval(&MapEnv{Values: map[string]any{name: c.val}})
			if c.code != "" {
				if errs.CodeOf(err) != c.code {
					t.Fatalf("got %v, %v; want %s", got, err, c.code)
				}
				return
			}
			if err != nil || render(got) != c.want {
				t.Fatalf("got %s, %v; want %s", render(got), err, c.want)
			}
		})
	}
}

type failingEnv struct{ MapEnv }

var errLookup = errors.New("lookup failed")

func (failingEnv) Value(string) (any, error) { return nil, errLookup }

func TestEval_passesEnvironmentErrorsOn(t *testing.T) {
	e, err := Parse("account.name & 'x'")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Eval(&failingEnv{}); !errors.Is(err, errLookup) || !strings.Contains(err.Error(), "account.name") {
		t.Fatalf("got %v", err)
	}
}

func TestEvalBool_treatsNullAsFalseAndRefusesOtherTypes(t *testing.T) {
	e, err := Parse("amount < 0")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := e.EvalBool(&MapEnv{}); err != nil || ok {
		t.Fatalf("null amount: %v, %v", ok, err)
	}
	e, err = Parse("amount + 1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.EvalBool(&MapEnv{Values: map[string]any{"amount": 1}})
	wantErr(t, err, CodeType, "type_mismatch")
}

func TestExpr_fieldsListsReferencesOnce(t *testing.T) {
	e, err := Parse("a + b.c + a + IF(d, 1, 2) + TODAY() - today")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(e.Fields(), ",")
	if got != "a,b.c,d,today" {
		t.Fatalf("Fields() = %s", got)
	}
	if e.Source() == "" || e.Type() != TypeNull {
		t.Fatal("Source or Type wrong before Check")
	}
}

func TestEval_isSafeForConcurrentUse(t *testing.T) {
	e, _, err := Compile(`IF(AND(ISPICKVAL(stage, 'won'), amount > 0), TEXT(amount * 2) & ' ' & TEXT(TODAY()), 'no')`, testTypes())
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, "Asia/Tokyo")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				v, err := e.Eval(env)
				if err != nil || v != "2469 2024-02-29" {
					t.Errorf("got %v, %v", v, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
