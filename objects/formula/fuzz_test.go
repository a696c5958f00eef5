package formula

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/errs"
)

// checkDomainError asserts that err is a positioned *errs.Error of one of
// the package's codes, with a position inside the source.
func checkDomainError(t *testing.T, src string, err error, codes ...string) {
	t.Helper()
	de := errs.As(err)
	if de == nil {
		t.Fatalf("%q: not a domain error: %v", src, err)
	}
	found := false
	for _, c := range codes {
		found = found || de.Code == c
	}
	if !found || de.Kind != errs.Invalid || len(de.Fields) != 1 {
		t.Fatalf("%q: unexpected error %v", src, err)
	}
	limit := utf8.RuneCountInString(src) + 1
	if p := de.Fields[0].Position; p < 1 || p > limit {
		t.Fatalf("%q: position %d outside 1..%d", src, p, limit)
	}
}

// FuzzParse parses arbitrary input, then checks and evaluates what parses:
// nothing may panic or hang, and every error is a positioned domain error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`AND(ISPICKVAL(stage, 'won'), amount <= 0)`, `1 + 2 * -3`, `'a\'b' & "c"`, `(((1)))`} {
		f.Add(s)
	}
	types := testTypes()
	env := testEnv(f, "")
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			if len(src) <= MaxSourceBytes && utf8.ValidString(src) {
				checkDomainError(t, src, err, CodeSyntax)
			}
			return
		}
		if _, err := e.Check(types); err != nil {
			checkDomainError(t, src, err, CodeType)
			return
		}
		if _, err := e.Eval(env); err != nil {
			checkDomainError(t, src, err, CodeEval, CodeType)
		}
	})
}

// FuzzEval evaluates formulas over fuzzed field values, checked and
// unchecked, and requires a bounded, panic-free evaluation.
func FuzzEval(f *testing.F) {
	f.Add(`IF(qty > 0, amount / qty, 0)`, 1.5, "won", int64(0))
	f.Add(`DATEDIFF('month', close, TODAY() + qty)`, 1e6, "x", int64(1e15))
	f.Add(`SUBSTITUTE(name, 'a', name & name)`, -0.0001, "banana", int64(-1))
	types := testTypes()
	f.Fuzz(func(t *testing.T, src string, num float64, text string, unixSec int64) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		env := &MapEnv{
			Values: map[string]any{
				"qty": num, "amount": num, "price": text, "name": text, "stage": text, "notext": text,
				"close": text, "created": time.Unix(unixSec%(1<<35), 0).UTC(), "active": num > 0,
			},
			Clock: func() time.Time { return time.Unix(unixSec%(1<<35), 0) },
			Loc:   time.FixedZone("fuzz", int(unixSec%50400)),
		}
		start := time.Now()
		if _, err := e.Eval(env); err != nil && errs.As(err) == nil {
			t.Fatalf("%q unchecked: %v", src, err)
		}
		if _, err := e.Check(types); err == nil {
			if _, err := e.Eval(env); err != nil {
				checkDomainError(t, src, err, CodeEval, CodeType)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q took %v", src, d)
		}
	})
}
