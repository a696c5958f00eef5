package schema

import (
	"fmt"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse: it must never panic, and
// whatever it accepts must describe, parse back and compile a validator.
// The seed corpus lives in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(invoiceDef))
	f.Add([]byte(allTypesDef))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := Parse("thing", raw)
		if err != nil {
			return
		}
		again, err := Parse("thing", o.Describe())
		if err != nil {
			t.Fatalf("Describe output does not parse back: %v\n%s", err, o.Describe())
		}
		if len(again.Fields) != len(o.Fields) {
			t.Fatalf("round trip changed the fields")
		}
		v, err := o.Validator()
		if err != nil {
			t.Fatalf("accepted definition does not compile: %v", err)
		}
		rec := map[string]any{}
		o.ApplyDefaults(rec)
		v.Validate(rec, Create)
		_ = o.Indexes()
		_ = Diff(o, again)
	})
}

func BenchmarkValidate20Fields(b *testing.B) {
	props := ""
	rec := "{"
	kinds := []struct{ def, val string }{
		{`{"x-crm-type":"text","maxLength":80}`, `"Acme Corporation"`},
		{`{"x-crm-type":"email"}`, `"ann@acme.test"`},
		{`{"x-crm-type":"currency","minimum":0}`, `1234.56`},
		{`{"x-crm-type":"number"}`, `42`},
		{`{"x-crm-type":"picklist","enum":["new","open","won","lost"]}`, `"open"`},
		{`{"x-crm-type":"date"}`, `"2026-01-31"`},
		{`{"x-crm-type":"datetime"}`, `"2026-01-31T10:00:00+01:00"`},
		{`{"x-crm-type":"boolean"}`, `true`},
		{`{"x-crm-type":"lookup","x-crm-target":"account"}`, `"acc_123"`},
		{`{"x-crm-type":"phone"}`, `"+33 1 23 45 67 89"`},
	}
	for i := 0; i < 20; i++ {
		k := kinds[i%len(kinds)]
		if i > 0 {
			props += ","
			rec += ","
		}
		props += fmt.Sprintf(`"f%d":%s`, i, k.def)
		rec += fmt.Sprintf(`"f%d":%s`, i, k.val)
	}
	rec += "}"
	o := mustParse(b, "bench", `{"title":"Bench","properties":{`+props+`},"required":["f0","f2"]}`)
	v, err := o.Validator()
	if err != nil {
		b.Fatal(err)
	}
	input := body(b, rec)
	if p := v.Validate(input, Create); p != nil {
		b.Fatalf("benchmark record is invalid: %v", p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, p := v.Prepare(input, nil, Create); p != nil {
			b.Fatal(p)
		}
	}
}
