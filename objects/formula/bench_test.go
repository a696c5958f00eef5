package formula

import "testing"

// BenchmarkEval measures parse-once, evaluate-many on a checked formula with
// a map environment; the validation rule is the reference figure.
func BenchmarkEval(b *testing.B) {
	for _, c := range []struct{ name, src string }{
		{"validation rule", `AND(ISPICKVAL(stage, 'won'), amount <= 0)`},
		{"currency formula", `ROUND(amount * qty * (1 - price), 2)`},
		{"date formula", `IF(ISBLANK(close), NULL, DATEDIFF('day', TODAY(), close))`},
		{"text formula", `UPPER(LEFT(name, 4)) & '-' & TEXT(YEAR(close))`},
	} {
		b.Run(c.name, func(b *testing.B) {
			e, _, err := Compile(c.src, testTypes())
			if err != nil {
				b.Fatal(err)
			}
			env := testEnv(b, "Europe/Paris")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Eval(env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("validation rule EvalBool", func(b *testing.B) {
		e, _, err := Compile(`AND(ISPICKVAL(stage, 'won'), amount <= 0)`, testTypes())
		if err != nil {
			b.Fatal(err)
		}
		env := testEnv(b, "")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.EvalBool(env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParse measures Parse and Check of a typical formula.
func BenchmarkParse(b *testing.B) {
	types := testTypes()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Compile(`IF(AND(ISPICKVAL(stage, 'won'), amount > 0), ROUND(amount * 0.2, 2), BLANKVALUE(nothing, 0))`, types); err != nil {
			b.Fatal(err)
		}
	}
}
