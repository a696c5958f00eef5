package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/errs"
)

// diffDef has every writable field type, with every keyword a field may
// carry into the record schema.
const diffDef = `{
  "title": "Diff",
  "properties": {
    "name":     {"x-crm-type": "text", "minLength": 2, "maxLength": 10, "pattern": "^[A-Za-zé ]*$"},
    "code":     {"x-crm-type": "text", "pattern": "^[A-Z]{2}-\\d+$"},
    "notes":    {"x-crm-type": "textarea", "maxLength": 20},
    "body":     {"x-crm-type": "richtext", "maxLength": 30},
    "email":    {"x-crm-type": "email", "minLength": 6, "pattern": "\\.(test|co)$"},
    "phone":    {"x-crm-type": "phone"},
    "site":     {"x-crm-type": "url"},
    "qty":      {"x-crm-type": "number", "type": "integer", "minimum": 0, "maximum": 1000},
    "ratio":    {"x-crm-type": "number", "x-crm-scale": 3, "exclusiveMinimum": -1.5, "exclusiveMaximum": 1e2},
    "step":     {"x-crm-type": "number", "multipleOf": 0.25},
    "big":      {"x-crm-type": "number", "minimum": -9007199254740993, "maximum": 1.5e300},
    "free":     {"x-crm-type": "number"},
    "amount":   {"x-crm-type": "currency", "minimum": 0.01, "maximum": 99999.99},
    "yen":      {"x-crm-type": "currency", "x-crm-scale": 0, "exclusiveMinimum": -10},
    "discount": {"x-crm-type": "percent", "minimum": 0, "maximum": 100, "multipleOf": 0.5},
    "active":   {"x-crm-type": "boolean"},
    "due":      {"x-crm-type": "date"},
    "at":       {"x-crm-type": "datetime"},
    "stage":    {"x-crm-type": "picklist", "enum": ["new", "won", "old", "Ünï"], "x-crm-values": {"old": {"inactive": true}}},
    "tags":     {"x-crm-type": "multipicklist", "items": {"enum": ["a", "b", "c", "x"]}, "minItems": 1, "maxItems": 3, "x-crm-values": {"x": {"inactive": true}}},
    "labels":   {"x-crm-type": "multipicklist", "items": {"enum": ["p", "q"]}},
    "account":  {"x-crm-type": "lookup", "x-crm-target": "account"},
    "parent":   {"x-crm-type": "masterdetail", "x-crm-target": "account"},
    "where":    {"x-crm-type": "geolocation"},
    "locked":   {"x-crm-type": "text", "readOnly": true},
    "number":   {"x-crm-type": "autonumber", "x-crm-format": "N-{000}"},
    "total":    {"x-crm-type": "formula", "x-crm-formula": "qty * 2", "x-crm-result": "currency"},
    "gone":     {"x-crm-type": "text", "x-crm-deleted": true}
  },
  "required": ["name", "amount"]
}`

// legacyPrepare is Prepare as it was before the fast path: the whole
// record through jsonschema, field lookups and read-only checks on every
// call. The differential tests hold Prepare to it.
func legacyPrepare(v *Validator, input, old map[string]any, mode Mode) (map[string]any, []errs.FieldError) {
	var problems []errs.FieldError
	add := func(field, code, msg string) {
		problems = append(problems, errs.FieldError{Field: field, Code: code, Message: msg})
	}
	out := make(map[string]any, len(input))
	check := make(map[string]any, len(input))
	for name, val := range input {
		f, ok := v.obj.byName[name]
		if !ok || f.Deleted {
			add(name, "unknown_field", "is not a field of "+v.obj.APIName)
			continue
		}
		if f.ReadOnly() {
			if val != nil && !sameValue(f, val, old[name]) {
				add(name, "read_only", "is read-only")
			}
			continue
		}
		if val == nil {
			if f.Required {
				add(name, "required", "is required")
			} else {
				out[name] = nil
			}
			continue
		}
		check[name] = val
	}
	if mode == Create {
		for _, name := range v.obj.Required {
			if val, ok := input[name]; !ok || val == nil || val == "" {
				if ok && val == "" {
					delete(check, name)
				}
				if !ok || val == "" {
					add(name, "required", "is required")
				}
			}
		}
	}
	bad := map[string]bool{}
	if len(check) > 0 {
		if err := v.schema.Validate(check); err != nil {
			for _, fe := range recordErrors(err) {
				if !bad[fe.Field] {
					bad[fe.Field] = true
					problems = append(problems, fe)
				}
			}
		}
	}
	for name, val := range check {
		if bad[name] {
			continue
		}
		f := v.obj.byName[name]
		var stored any
		var err error
		if un, ok := f.typ.(updateNormalizer); ok && old != nil {
			stored, err = un.NormalizeUpdate(f, val, old[name])
		} else {
			stored, err = f.typ.Normalize(f, val)
		}
		if err != nil {
			msg := err.Error()
			if ve, ok := err.(*ValueError); ok {
				msg = ve.Message
			}
			add(name, ValueCode(err), msg)
			continue
		}
		if stored == nil && f.Required {
			add(name, "required", "is required")
			continue
		}
		out[name] = stored
	}
	if len(problems) > 0 {
		sortFieldErrors(problems)
		return nil, problems
	}
	return out, nil
}

// outcome is what one Prepare call did, a panic included.
type outcome struct {
	out      map[string]any
	problems []errs.FieldError
	panicked string
}

func (o outcome) String() string {
	if o.panicked != "" {
		return "panic: " + o.panicked
	}
	return fmt.Sprintf("out=%#v problems=%+v", o.out, o.problems)
}

func runPrepare(prepare func() (map[string]any, []errs.FieldError)) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o.panicked = fmt.Sprint(r)
		}
	}()
	o.out, o.problems = prepare()
	return o
}

// checkDifferential runs Prepare and legacyPrepare on the same input and
// fails unless they agree. When a geolocation has two bad members,
// jsonschema reports whichever it meets first in the iteration of its
// properties map, where one order can be several times likelier than the
// other; so a mismatch is retried against up to 1000 fresh legacy runs
// before it counts.
func checkDifferential(t testing.TB, v *Validator, input, old map[string]any, mode Mode) outcome {
	t.Helper()
	got := runPrepare(func() (map[string]any, []errs.FieldError) { return v.Prepare(input, old, mode) })
	var want outcome
	for try := 0; try < 1000; try++ {
		want = runPrepare(func() (map[string]any, []errs.FieldError) { return legacyPrepare(v, input, old, mode) })
		if reflect.DeepEqual(got, want) {
			return got
		}
	}
	t.Fatalf("fast path and jsonschema disagree on %#v (old %#v, mode %d)\n fast:   %v\n legacy: %v", input, old, mode, got, want)
	return got
}

// checkSound fails when the fast path accepts a value of a field that
// jsonschema refuses (or chokes on).
func checkSound(t testing.TB, v *Validator, name string, val any) bool {
	t.Helper()
	p := v.plans[name]
	if p == nil || p.fast == nil || !p.fast.valid(val) {
		return false
	}
	one := runPrepare(func() (map[string]any, []errs.FieldError) {
		if err := v.schema.Validate(map[string]any{name: val}); err != nil {
			return nil, recordErrors(err)
		}
		return nil, nil
	})
	if one.panicked != "" || one.problems != nil {
		t.Fatalf("fast path accepts %s=%#v, jsonschema says %v", name, val, one)
	}
	return true
}

// sortedPlanNames lists the validator's field names in order, so that the
// generated cases depend on the seed alone.
func sortedPlanNames(v *Validator) []string {
	var names []string
	for name := range v.plans {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func diffValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := mustParse(t, "diff", diffDef).Validator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// typicalValid are values every field's fast check must accept by itself:
// a fast path that sends everything to jsonschema would be correct but
// useless.
var typicalValid = map[string][]any{
	"name":     {"Ann", "Ann Lee", "éé", "abcdefghij"},
	"code":     {"AB-1", "ZZ-0042"},
	"notes":    {"", "line 1\nline 2", strings.Repeat("日", 20)},
	"body":     {"<p>Hi</p>"},
	"email":    {"ann@acme.test", "a.b+c@x-y.co"},
	"phone":    {"+33 1 23 45 67 89", "555 123-4567 x12"},
	"site":     {"https://acme.test/x?y=1", "http://a"},
	"qty":      {json.Number("0"), json.Number("1000"), json.Number("1e2"), json.Number("12.0"), 3.0, int64(7), 9},
	"ratio":    {json.Number("-1.499"), json.Number("99.999"), json.Number("0"), 0.5},
	"step":     {json.Number("0.75"), json.Number("-2.5"), json.Number("0"), 1.25},
	"big":      {json.Number("-9007199254740993"), json.Number("1.5e300"), 1e300, int64(-9007199254740993)},
	"free":     {json.Number("-0"), json.Number("123456789.123456789"), 0.1},
	"amount":   {json.Number("0.01"), json.Number("99999.99"), json.Number("1234.56"), 19.99},
	"yen":      {json.Number("500"), json.Number("-5"), int64(10)},
	"discount": {json.Number("0"), json.Number("100"), json.Number("12.5")},
	"active":   {true, false},
	"due":      {"2026-02-28", "2024-02-29"},
	"at":       {"2026-01-31T10:00:00Z", "2026-01-31t10:00:00.123456+02:00", "2016-12-31T23:59:60Z"},
	"stage":    {"new", "old", "Ünï"},
	"tags":     {[]any{"a"}, []any{"c", "a", "x"}},
	"labels":   {[]any{}, []any{"q", "p"}},
	"account":  {"acc_1", strings.Repeat("x", 64)},
	"parent":   {"a-b_C9"},
	"where": {
		map[string]any{"lat": json.Number("48.85"), "lng": json.Number("2.35")},
		map[string]any{"lat": -90.0, "lng": int64(180)},
	},
}

func TestFastPath_acceptsTypicalValuesOfEveryFieldType(t *testing.T) {
	v := diffValidator(t)
	for name, p := range v.plans {
		if !p.inSchema {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if p.fast == nil {
				t.Fatalf("field %s (%s) has no fast check", name, p.f.TypeName)
			}
			vals, ok := typicalValid[name]
			if !ok {
				t.Fatalf("no typical values for %s", name)
			}
			for _, val := range vals {
				if !checkSound(t, v, name, val) {
					t.Errorf("fast path sends %s=%#v to jsonschema", name, val)
				}
			}
		})
	}
}

func TestFastPath_compilesOnlyWhatItKnows(t *testing.T) {
	cases := []struct {
		name     string
		fragment string
		fast     bool
	}{
		{"type, length and pattern", `{"type": "string", "maxLength": 5, "pattern": "^a"}`, true},
		{"annotations and x- keywords are ignored", `{"type": "string", "readOnly": true, "contentMediaType": "text/html", "x-crm-target": "a"}`, true},
		{"object with closed properties", `{"type": "object", "properties": {"a": {"type": "number", "minimum": 0}}, "required": ["a"], "additionalProperties": false}`, true},
		{"not is unknown", `{"type": "string", "not": {"const": "a"}}`, false},
		{"const is unknown", `{"const": "a"}`, false},
		{"enum of numbers is left to jsonschema", `{"enum": [1, 2]}`, false},
		{"format jsonschema does not assert", `{"type": "string", "format": "color"}`, false},
		{"additionalProperties schema", `{"type": "object", "additionalProperties": {"type": "string"}}`, false},
		{"unknown keyword inside items", `{"type": "array", "items": {"anyOf": [{"type": "string"}]}}`, false},
		{"bound beyond the fast range", `{"type": "number", "minimum": 1e99999}`, false},
		{"bound with 20 significant digits", `{"type": "number", "maximum": 12345678901234567891}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := decodeJSON([]byte(c.fragment))
			if err != nil {
				t.Fatal(err)
			}
			if got := compileFast(doc) != nil; got != c.fast {
				t.Fatalf("compiled: %v, want %v", got, c.fast)
			}
		})
	}
}

// TestFastPath_fieldWithoutFastCheckGoesToJSONSchema forces the slow
// path on every field and checks that the answers do not change.
func TestFastPath_fieldWithoutFastCheckGoesToJSONSchema(t *testing.T) {
	v := diffValidator(t)
	slow := &Validator{obj: v.obj, schema: v.schema, plans: map[string]*fieldPlan{}}
	for name, p := range v.plans {
		q := *p
		q.fast = nil
		slow.plans[name] = &q
	}
	for _, in := range []string{
		`{"name": "Ann", "amount": 1, "qty": 3, "tags": ["a"], "where": {"lat": 1, "lng": 2}}`,
		`{"name": "A", "amount": 0, "qty": 3.5, "tags": [], "where": {"lat": 91, "lng": 2}, "email": "x"}`,
	} {
		got := runPrepare(func() (map[string]any, []errs.FieldError) { return slow.Prepare(body(t, in), nil, Create) })
		want := runPrepare(func() (map[string]any, []errs.FieldError) { return legacyPrepare(v, body(t, in), nil, Create) })
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\n slow:   %v\n legacy: %v", in, got, want)
		}
	}
}

// genValue returns a value for a field: mostly near-valid values of the
// field's type with random damage, sometimes anything at all.
func genValue(r *rand.Rand, name string) any {
	if r.IntN(6) == 0 {
		return genAny(r, 2)
	}
	switch name {
	case "qty", "ratio", "step", "big", "free", "amount", "yen", "discount":
		return genNumber(r)
	case "active":
		return r.IntN(2) == 0
	case "tags", "labels":
		n := r.IntN(5)
		list := make([]any, n)
		for i := range list {
			if r.IntN(12) == 0 {
				list[i] = genAny(r, 0)
			} else {
				list[i] = pick(r, "a", "b", "c", "x", "p", "q", "z", "")
			}
		}
		if r.IntN(10) == 0 {
			return []string{"a", "b"}
		}
		return list
	case "where":
		m := map[string]any{}
		for _, k := range []string{"lat", "lng", "alt"} {
			if r.IntN(5) > 0 || k != "alt" && r.IntN(2) == 0 {
				if k == "alt" && r.IntN(3) > 0 {
					continue
				}
				m[k] = genNumber(r)
			}
		}
		return m
	}
	if pool, ok := stringPool[name]; ok {
		return mutate(r, pick(r, pool...))
	}
	return genAny(r, 1)
}

var stringPool = map[string][]string{
	"name":    {"Ann", "Ann Lee", "a", "", "abcdefghij", "abcdefghijk", "ééééééééé", "éééééééééé", "Ann1"},
	"code":    {"AB-1", "ab-1", "AB-", "ABC-12", "AB-12x"},
	"notes":   {"", "line", strings.Repeat("ab", 10), strings.Repeat("日", 21)},
	"body":    {"<p>Hi</p>", "<script>x</script>", strings.Repeat("<b>x</b>", 4)},
	"email":   {"ann@acme.test", "a.b+c@x-y.co", "ann@acme", "Ann <ann@acme.test>", " ann@acme.test", "ann@@acme.test", `"q r"@acme.test`, "ann@[127.0.0.1]", "ann@[IPv6:::1]", "ann@-acme.test", "ann@acme..test", strings.Repeat("a", 65) + "@x.io", "a@b.c-"},
	"phone":   {"+33 1 23 45 67 89", "555-1234", "(555) 123-4567 x12", "call me", "+1", "1234567890123456789012345678901", "12 ext. 3"},
	"site":    {"https://acme.test/x", "http://a", "javascript:alert(1)", "ftp://x", "/relative", "https://[::1]/", "https://[zz]/", "http://a b", "https://ex.test:99999", "HTTP://A"},
	"due":     {"2026-02-28", "2026-02-30", "2024-02-29", "2026-1-01", "20260101", "2026-13-01", "0000-01-01", "2026-02-28T00:00:00Z"},
	"at":      {"2026-01-31T10:00:00Z", "2026-01-31t10:00:00z", "2026-01-31T10:00:00.123456+02:00", "2026-01-31T23:59:60Z", "2016-12-31T23:59:60Z", "2026-01-31 10:00", "2026-01-31T10:00:00", "2026-01-31T10:00:00+2:00", "2026-01-31T24:00:00Z", "2026-01-31T10:00:00.Z"},
	"stage":   {"new", "won", "old", "lost", "", "NEW", "Ünï"},
	"account": {"acc_1", "a b", "", strings.Repeat("x", 64), strings.Repeat("x", 65), "a-b_C9"},
	"parent":  {"acc_2", "a/b", ""},
}

var numberPool = []string{"0", "-0", "1", "-1", "0.5", "0.25", "0.1", "1e2", "1E-2", "1.5e300", "1.6e300",
	"-9007199254740993", "-9007199254740994", "12345678901234567890", "1000", "1000.0001", "1001", "99999.99",
	"99999.991", "0.01", "0.009", "100", "100.0", "99.9999", "-1.5", "-1.4999999999999999999999", "1e400",
	"1e-400", "0012", "0x10", "+1", ".5", "1.", "abc", "", "1e99999", "1_000", "5", "7.5", "2.5e-1", "-1e0",
	"0.0000000000000000000000000001", "10000000000000000000000", "1e+2", "4e-1"}

func genNumber(r *rand.Rand) any {
	switch r.IntN(8) {
	case 0:
		return pick(r, 0.1, 1e21, 1e-7, math.NaN(), math.Inf(1), math.Copysign(0, -1), 99999.99, 100.0, -1.5, 0.25, 1.5e300)
	case 1:
		return pick[any](r, int64(math.MinInt64), int64(1000), 7, int64(-5), float32(0.1), int16(3), uint8(4))
	case 2:
		return r.NormFloat64() * math.Pow(10, float64(r.IntN(8)))
	case 3:
		return json.Number(fmt.Sprintf("%d", r.IntN(2000)-500))
	case 4:
		return json.Number(fmt.Sprintf("%.*f", r.IntN(5), (r.Float64()-0.3)*200))
	}
	return json.Number(mutate(r, pick(r, numberPool...)))
}

func genAny(r *rand.Rand, depth int) any {
	switch r.IntN(9) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return genNumber(r)
	case 3, 4:
		return mutate(r, pick(r, "", "x", "new", "a", "2026-01-01", "acc_1"))
	case 5:
		if depth > 0 {
			return []any{genAny(r, depth-1), genAny(r, depth-1)}
		}
	case 6:
		if depth > 0 {
			return map[string]any{"lat": genAny(r, depth-1), "lng": genAny(r, depth-1)}
		}
	case 7:
		return []string{"a"}
	}
	return map[string]string{"a": "b"}
}

// mutate damages a string now and then: a character inserted, removed or
// replaced.
func mutate(r *rand.Rand, s string) string {
	if r.IntN(3) > 0 {
		return s
	}
	chars := []string{"a", "Z", "0", "9", "-", ".", "@", " ", "é", "日", "\x00", "/", ":", "+", "_", "e", "\xff", "T"}
	c := chars[r.IntN(len(chars))]
	runes := []rune(s)
	i := 0
	if len(runes) > 0 {
		i = r.IntN(len(runes))
	}
	switch {
	case r.IntN(3) == 0 && len(runes) > 0:
		return string(runes[:i]) + string(runes[i+1:])
	case r.IntN(2) == 0 && len(runes) > 0:
		return string(runes[:i]) + c + string(runes[i+1:])
	}
	return string(runes[:i]) + c + string(runes[i:])
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// TestFastPath_agreesWithJSONSchemaOnGeneratedValues checks, for many
// generated values of every field, that the fast path never accepts a
// value jsonschema refuses and that Prepare answers exactly as before.
func TestFastPath_agreesWithJSONSchemaOnGeneratedValues(t *testing.T) {
	v := diffValidator(t)
	r := rand.New(rand.NewPCG(3, 20))
	n := 1500
	if testing.Short() {
		n = 300
	}
	for _, name := range sortedPlanNames(v) {
		if !v.plans[name].inSchema {
			continue
		}
		t.Run(name, func(t *testing.T) {
			accepted, refused := 0, 0
			for i := 0; i < n; i++ {
				val := genValue(r, name)
				if checkSound(t, v, name, val) {
					accepted++
				}
				res := checkDifferential(t, v, map[string]any{name: val}, nil, Update)
				if res.problems != nil {
					refused++
				}
			}
			// The generators must exercise both sides.
			if accepted == 0 || refused == 0 {
				t.Fatalf("%d accepted, %d refused: the generator does not cover both", accepted, refused)
			}
		})
	}
}

// TestFastPath_agreesWithJSONSchemaOnGeneratedRecords checks whole
// records: several fields at once, unknown, deleted, read-only and system
// fields, nulls, empty required values, both modes, with and without the
// current record.
func TestFastPath_agreesWithJSONSchemaOnGeneratedRecords(t *testing.T) {
	v := diffValidator(t)
	r := rand.New(rand.NewPCG(7, 11))
	names := append(sortedPlanNames(v), "nmae", "gone")
	old := map[string]any{"id": "r1", "version": int64(3), "stage": "old", "tags": []any{"a", "x"},
		"locked": "keep", "number": "N-001", "amount": int64(100)}
	n := 4000
	if testing.Short() {
		n = 400
	}
	for i := 0; i < n; i++ {
		in := map[string]any{}
		for k := r.IntN(8); k >= 0; k-- {
			name := pick(r, names...)
			switch r.IntN(10) {
			case 0:
				in[name] = nil
			case 1:
				in[name] = ""
			default:
				in[name] = genValue(r, name)
			}
		}
		mode := Mode(r.IntN(2))
		var cur map[string]any
		if r.IntN(2) == 0 {
			cur = old
		}
		checkDifferential(t, v, in, cur, mode)
	}
}

// FuzzValidateDifferential feeds arbitrary JSON records to Prepare and to
// the jsonschema-only legacy Prepare: they must give the same stored
// values and the same problems, and the fast path must never accept a
// member jsonschema refuses. The seed corpus lives in
// testdata/fuzz/FuzzValidateDifferential.
func FuzzValidateDifferential(f *testing.F) {
	v := diffValidator(f)
	f.Add([]byte(`{"name": "Ann", "amount": 12.5, "qty": 3, "stage": "new", "tags": ["a", "b"]}`), true)
	f.Add([]byte(`{"where": {"lat": 48.85, "lng": 2.35}, "at": "2026-01-31T10:00:00+02:00"}`), false)
	f.Fuzz(func(t *testing.T, raw []byte, create bool) {
		doc, err := decodeJSON(raw)
		if err != nil {
			return
		}
		in, ok := doc.(map[string]any)
		if !ok {
			return
		}
		for name, val := range in {
			checkSound(t, v, name, val)
		}
		mode := Update
		if create {
			mode = Create
		}
		checkDifferential(t, v, in, nil, mode)
		checkDifferential(t, v, in, map[string]any{"stage": "old", "tags": []any{"x"}, "locked": "keep"}, mode)
	})
}

func TestFastDecimal_comparesExactly(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1", "1.0", 0}, {"0.1", "0.10000000000000001", -1}, {"-0", "0", 0}, {"1e2", "100", 0},
		{"99999.99", "99999.991", -1}, {"-1.5", "-1.4999", -1}, {"1e-3", "0.001", 0}, {"-2", "1", -1},
		{"1234567890123456789", "1234567890123456788", 1}, {"5e-1", "0.49", 1}, {"0012", "12", 0},
	}
	for _, c := range cases {
		t.Run(c.a+" vs "+c.b, func(t *testing.T) {
			a, okA := parseFastDecimal(c.a)
			b, okB := parseFastDecimal(c.b)
			if !okA || !okB {
				t.Fatalf("parse %v %v", okA, okB)
			}
			if got := a.cmp(b); got != c.want {
				t.Fatalf("cmp = %d, want %d", got, c.want)
			}
			ra, rb := a.rat(), b.rat()
			if ra.Cmp(rb) != c.want {
				t.Fatalf("rat cmp disagrees: %v %v", ra, rb)
			}
		})
	}
	for _, s := range []string{"", "-", "1.", ".5", "+1", "0x10", "1e", "1e99999", "12345678901234567890", "1_0", "NaN"} {
		if _, ok := parseFastDecimal(s); ok {
			t.Errorf("%q parsed", s)
		}
	}
}
