package schema

import (
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The fast path checks record values against the field schema fragments in
// plain Go, without the generic jsonschema evaluator. It only ever says
// "certainly valid": whenever it sees a problem, or a value or keyword it
// does not fully understand, it answers "ask jsonschema", and Prepare
// validates that field with the compiled jsonschema.Schema as before. So
// jsonschema stays the only source of error codes and messages, and the
// fast path is correct as long as it accepts nothing that jsonschema
// refuses (FuzzValidateDifferential and the differential tests hold it to
// that).
//
// Each fragment is compiled from the JSON form the jsonschema compiler
// reads (numbers as json.Number), with jsonschema's own readings: lengths
// through Float64, bounds as exact decimals, patterns with regexp, formats
// with the very functions of jsonschema.Formats.

// fastSchema is one compiled schema fragment. A zero field means that the
// keyword is absent; -1 is "absent" for the length and item counts, as in
// jsonschema.
type fastSchema struct {
	types        jsonTypes
	enum         map[string]struct{} // string values only; nil: no enum
	format       func(any) bool
	quickFormat  func(string) bool // see fastformat.go; nil: none
	minLen       int
	maxLen       int
	pattern      *regexp.Regexp
	quickPattern func(string) bool
	minimum      *fastBound
	maximum      *fastBound
	exclusiveMin *fastBound
	exclusiveMax *fastBound
	multipleOf   *big.Rat
	minItems     int
	maxItems     int
	uniqueItems  bool
	items        *fastSchema
	properties   map[string]*fastSchema
	required     []string
	closed       bool // additionalProperties: false
	numeric      bool // some keyword needs the exact number
}

// jsonTypes is a set of JSON Schema type names.
type jsonTypes uint8

const (
	typeString jsonTypes = 1 << iota
	typeNumber
	typeInteger
	typeBoolean
	typeObject
	typeArray
	typeNull
)

var typeBits = map[string]jsonTypes{"string": typeString, "number": typeNumber, "integer": typeInteger,
	"boolean": typeBoolean, "object": typeObject, "array": typeArray, "null": typeNull}

// annotations are the keywords that never fail validation under the
// record schema's compiler settings (AssertContent is off, so
// contentMediaType is an annotation too).
var annotations = map[string]bool{"title": true, "description": true, "default": true, "examples": true,
	"readOnly": true, "writeOnly": true, "deprecated": true, "$comment": true, "contentMediaType": true}

// compileFast compiles one decoded schema fragment, or returns nil when the
// fragment uses a keyword or a keyword value that the fast path does not
// handle; such a field is always checked by jsonschema.
func compileFast(doc any) *fastSchema {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	s := &fastSchema{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	for k, val := range m {
		if annotations[k] || strings.HasPrefix(k, "x-") {
			continue
		}
		var ok bool
		switch k {
		case "type":
			ok = s.setTypes(val)
		case "enum":
			ok = s.setEnum(val)
		case "format":
			name, isString := val.(string)
			s.format, s.quickFormat = jsonschema.Formats[name], quickFormats[name]
			ok = isString && s.format != nil
		case "minLength":
			s.minLen, ok = fastInt(val)
		case "maxLength":
			s.maxLen, ok = fastInt(val)
		case "minItems":
			s.minItems, ok = fastInt(val)
		case "maxItems":
			s.maxItems, ok = fastInt(val)
		case "pattern":
			var src string
			if src, ok = val.(string); ok {
				var err error
				s.pattern, err = regexp.Compile(src)
				s.quickPattern, ok = quickPatterns[src], err == nil
			}
		case "minimum":
			s.minimum, ok = newFastBound(val)
		case "maximum":
			s.maximum, ok = newFastBound(val)
		case "exclusiveMinimum":
			s.exclusiveMin, ok = newFastBound(val)
		case "exclusiveMaximum":
			s.exclusiveMax, ok = newFastBound(val)
		case "multipleOf":
			if n, isNum := val.(json.Number); isNum {
				s.multipleOf, ok = new(big.Rat).SetString(string(n))
				ok = ok && s.multipleOf.Sign() > 0
			}
		case "uniqueItems":
			s.uniqueItems, ok = val.(bool)
		case "items":
			s.items = compileFast(val)
			ok = s.items != nil
		case "properties":
			ok = s.setProperties(val)
		case "required":
			ok = s.setRequired(val)
		case "additionalProperties":
			closed, isBool := val.(bool)
			s.closed, ok = !closed, isBool
		}
		if !ok {
			return nil
		}
	}
	s.numeric = s.minimum != nil || s.maximum != nil || s.exclusiveMin != nil || s.exclusiveMax != nil ||
		s.multipleOf != nil || s.types&typeInteger != 0
	return s
}

func (s *fastSchema) setTypes(val any) bool {
	names := []any{val}
	if list, ok := val.([]any); ok {
		names = list
	}
	for _, n := range names {
		name, _ := n.(string)
		bit, ok := typeBits[name]
		if !ok {
			return false
		}
		s.types |= bit
	}
	return s.types != 0
}

// setEnum keeps enums of strings; jsonschema ignores an empty enum.
func (s *fastSchema) setEnum(val any) bool {
	list, ok := val.([]any)
	if !ok {
		return false
	}
	if len(list) == 0 {
		return true
	}
	s.enum = make(map[string]struct{}, len(list))
	for _, item := range list {
		str, ok := item.(string)
		if !ok {
			return false
		}
		s.enum[str] = struct{}{}
	}
	return true
}

func (s *fastSchema) setProperties(val any) bool {
	props, ok := val.(map[string]any)
	if !ok {
		return false
	}
	s.properties = make(map[string]*fastSchema, len(props))
	for name, doc := range props {
		if s.properties[name] = compileFast(doc); s.properties[name] == nil {
			return false
		}
	}
	return true
}

func (s *fastSchema) setRequired(val any) bool {
	list, ok := val.([]any)
	if !ok {
		return false
	}
	for _, item := range list {
		name, ok := item.(string)
		if !ok {
			return false
		}
		s.required = append(s.required, name)
	}
	return true
}

// fastInt reads a count the way jsonschema's compiler does (json.Number
// through Float64).
func fastInt(val any) (int, bool) {
	n, ok := val.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// valid reports whether v certainly satisfies the fragment. false means
// "unknown": the caller asks jsonschema.
func (s *fastSchema) valid(v any) bool {
	var num fastDecimal
	switch x := v.(type) {
	case string:
		if s.types != 0 && s.types&typeString == 0 {
			return false
		}
		if s.enum != nil {
			if _, ok := s.enum[x]; !ok {
				return false
			}
		}
		// The format function gets v itself: converting x back to an
		// interface would allocate.
		if s.format != nil && !(s.quickFormat != nil && s.quickFormat(x)) && !s.format(v) {
			return false
		}
		return s.validString(x)
	case bool:
		if s.types != 0 && s.types&typeBoolean == 0 || s.enum != nil || s.format != nil {
			return false
		}
		return true
	case json.Number, float64, int64, int:
		if s.types != 0 && s.types&(typeNumber|typeInteger) == 0 || s.enum != nil || s.format != nil {
			return false
		}
		if !s.numeric {
			return true
		}
		var ok bool
		if num, ok = readNumber(v); !ok {
			return false
		}
		if s.types != 0 && s.types&typeNumber == 0 && !num.isInt() {
			return false
		}
		return s.validNumber(num, v)
	case []any:
		if s.types != 0 && s.types&typeArray == 0 || s.enum != nil || s.format != nil {
			return false
		}
		return s.validArray(x)
	case map[string]any:
		if s.types != 0 && s.types&typeObject == 0 || s.enum != nil || s.format != nil {
			return false
		}
		return s.validObject(x)
	}
	// nil (the record schema has no "null" fields) and Go types outside
	// what jsonschema accepts as JSON values.
	return false
}

func (s *fastSchema) validString(x string) bool {
	if s.maxLen >= 0 && len(x) > s.maxLen || s.minLen > 0 {
		// Counting runes is only needed when the byte length is not
		// enough to decide.
		n := utf8.RuneCountInString(x)
		if s.maxLen >= 0 && n > s.maxLen || n < s.minLen {
			return false
		}
	}
	return s.pattern == nil || s.quickPattern != nil && s.quickPattern(x) || s.pattern.MatchString(x)
}

func (s *fastSchema) validNumber(n fastDecimal, v any) bool {
	if s.minimum != nil && n.cmp(s.minimum.dec) < 0 ||
		s.maximum != nil && n.cmp(s.maximum.dec) > 0 ||
		s.exclusiveMin != nil && n.cmp(s.exclusiveMin.dec) <= 0 ||
		s.exclusiveMax != nil && n.cmp(s.exclusiveMax.dec) >= 0 {
		return false
	}
	if s.multipleOf != nil {
		r := n.rat()
		if !r.Quo(r, s.multipleOf).IsInt() {
			return false
		}
	}
	return true
}

func (s *fastSchema) validArray(x []any) bool {
	if s.minItems >= 0 && len(x) < s.minItems || s.maxItems >= 0 && len(x) > s.maxItems {
		return false
	}
	if s.uniqueItems && !uniqueStrings(x) {
		return false
	}
	if s.items != nil {
		for _, item := range x {
			if !s.items.valid(item) {
				return false
			}
		}
	}
	return true
}

// uniqueStrings reports whether x holds distinct strings only; other items
// are left to jsonschema's notion of equality.
func uniqueStrings(x []any) bool {
	if len(x) > 16 {
		seen := make(map[string]struct{}, len(x))
		for _, item := range x {
			s, ok := item.(string)
			if !ok {
				return false
			}
			if _, dup := seen[s]; dup {
				return false
			}
			seen[s] = struct{}{}
		}
		return true
	}
	for i, item := range x {
		s, ok := item.(string)
		if !ok {
			return false
		}
		for _, prev := range x[:i] {
			if prev.(string) == s {
				return false
			}
		}
	}
	return true
}

func (s *fastSchema) validObject(x map[string]any) bool {
	for _, name := range s.required {
		if _, ok := x[name]; !ok {
			return false
		}
	}
	for name, val := range x {
		sub, known := s.properties[name]
		if !known {
			if s.closed {
				return false
			}
			continue
		}
		if !sub.valid(val) {
			return false
		}
	}
	return true
}

// fastBound is a numeric keyword value (minimum, maximum...) as an exact
// decimal.
type fastBound struct{ dec fastDecimal }

func newFastBound(val any) (*fastBound, bool) {
	n, ok := val.(json.Number)
	if !ok {
		return nil, false
	}
	d, ok := parseFastDecimal(string(n))
	if !ok {
		return nil, false
	}
	return &fastBound{dec: d}, true
}

// fastDecimal is a number (-1 if neg) × mant × 10^exp with mant free of
// trailing zeros (0 for zero). It covers the numbers of up to 19
// significant digits and small exponents, where jsonschema's big.Rat
// reading of the same text is certain to succeed and to be this value.
type fastDecimal struct {
	neg    bool
	mant   uint64
	digits int // decimal digits of mant
	exp    int
}

// maxFastText bounds the text read by the fast path; with the exponent
// limit below it keeps big.Rat far from its own exponent limits.
const (
	maxFastText = 64
	maxFastExp  = 9999
)

// readNumber reads a numeric Go value as jsonschema does (the text
// fmt.Sprint gives, through big.Rat.SetString).
func readNumber(v any) (fastDecimal, bool) {
	switch n := v.(type) {
	case json.Number:
		return parseFastDecimal(string(n))
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return fastDecimal{}, false
		}
		// The shortest decimal that round-trips, as fmt.Sprint writes
		// it (its choice of notation does not change the value).
		var buf [32]byte
		return parseFastDecimal(strconv.AppendFloat(buf[:0], n, 'g', -1, 64))
	case int64:
		return intDecimal(n), true
	case int:
		return intDecimal(int64(n)), true
	}
	return fastDecimal{}, false
}

func intDecimal(n int64) fastDecimal {
	d := fastDecimal{neg: n < 0, mant: uint64(n)}
	if n < 0 {
		d.mant = uint64(-(n + 1)) + 1
	}
	return d.normalized()
}

// parseFastDecimal parses JSON number syntax; it fails on anything else
// and on numbers outside the fast range.
func parseFastDecimal[T string | []byte](s T) (fastDecimal, bool) {
	var d fastDecimal
	if len(s) == 0 || len(s) > maxFastText {
		return d, false
	}
	i := 0
	if s[i] == '-' {
		d.neg = true
		i++
	}
	sig := 0 // significant digits taken into mant
	frac := 0
	digit := func(c byte) bool {
		if sig == 0 && c == '0' {
			return true // leading zero
		}
		if sig == 19 {
			return false
		}
		d.mant = d.mant*10 + uint64(c-'0')
		sig++
		return true
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if !digit(s[i]) {
			return d, false
		}
		i++
	}
	if i == start {
		return d, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if !digit(s[i]) {
				return d, false
			}
			i++
		}
		if i == start {
			return d, false
		}
		frac = i - start
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		sign := 1
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			if s[i] == '-' {
				sign = -1
			}
			i++
		}
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			exp = exp*10 + int(s[i]-'0')
			if exp > maxFastExp {
				return d, false
			}
			i++
		}
		if i == start {
			return d, false
		}
		exp *= sign
	}
	if i != len(s) {
		return d, false
	}
	d.exp = exp - frac
	return d.normalized(), true
}

// normalized strips trailing zeros from mant and counts its digits.
func (d fastDecimal) normalized() fastDecimal {
	if d.mant == 0 {
		return fastDecimal{}
	}
	for d.mant%10 == 0 {
		d.mant /= 10
		d.exp++
	}
	d.digits = 0
	for m := d.mant; m > 0; m /= 10 {
		d.digits++
	}
	return d
}

func (d fastDecimal) isInt() bool { return d.mant == 0 || d.exp >= 0 }

// cmp compares two decimals: -1, 0 or +1.
func (d fastDecimal) cmp(o fastDecimal) int {
	ds, os := d.sign(), o.sign()
	if ds != os {
		if ds < os {
			return -1
		}
		return 1
	}
	if ds == 0 {
		return 0
	}
	return ds * d.cmpAbs(o)
}

func (d fastDecimal) sign() int {
	switch {
	case d.mant == 0:
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// cmpAbs compares the magnitudes of two non-zero decimals.
func (d fastDecimal) cmpAbs(o fastDecimal) int {
	// The position of the leading digit decides first.
	if a, b := d.digits+d.exp, o.digits+o.exp; a != b {
		if a < b {
			return -1
		}
		return 1
	}
	// Same leading position: align the mantissas on the longer one
	// (at most 19 digits, so this fits in a uint64).
	x, y := d.mant, o.mant
	for i := d.digits; i < o.digits; i++ {
		x *= 10
	}
	for i := o.digits; i < d.digits; i++ {
		y *= 10
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// rat returns the decimal as a new big.Rat.
func (d fastDecimal) rat() *big.Rat {
	r := new(big.Rat).SetUint64(d.mant)
	if d.exp != 0 {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(d.exp))), nil)
		if d.exp > 0 {
			r.Mul(r, new(big.Rat).SetInt(p))
		} else {
			r.Quo(r, new(big.Rat).SetInt(p))
		}
	}
	if d.neg {
		r.Neg(r)
	}
	return r
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
