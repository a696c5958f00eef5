package query

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
)

// Kind is the query type of a field: what literals it can be compared with.
type Kind int

// The field kinds. A picklist, e-mail, lookup or text field is a String; a
// currency or percent field is a Number (with its own Convert). A
// multi-picklist is a List: it holds several values, and since the store
// compares only single values, a filter can only ask whether it holds any
// (IS NULL, IS NOT NULL) and a sort cannot use it; a List field should not
// be Sortable.
const (
	String Kind = iota + 1
	Number
	Boolean
	Date
	DateTime
	List
)

var kindNames = [...]string{"", "string", "number", "boolean", "date", "datetime", "multi-value"}

// String returns the kind's lower-case name as used in error messages.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Field is what the parser needs to know about one field of an object.
type Field struct {
	Kind       Kind
	Filterable bool
	Sortable   bool
	// Convert turns a literal that fits Kind into the value the store holds
	// for this field (see Literal for what each kind receives). Nil means
	// DefaultConvert(Kind). An error becomes query.type_mismatch at the
	// literal's position with the error's text; the result must be a bool,
	// int64, finite float64 or string. LIKE patterns are not converted.
	Convert func(lit Literal) (any, error)
}

// Resolver describes an object's fields to the parser. The record service
// implements it on top of the object's metadata (and field-level security:
// a field the caller may not read should be reported as unknown).
type Resolver interface {
	// Field returns the field named name (exactly as written, case
	// included), or false when there is none.
	Field(name string) (Field, bool)
}

// MapResolver is a Resolver backed by a map, for tests and simple callers.
type MapResolver map[string]Field

// Field implements Resolver.
func (m MapResolver) Field(name string) (Field, bool) {
	f, ok := m[name]
	return f, ok
}

// LitKind is the syntactic kind of a literal.
type LitKind int

// The literal kinds.
const (
	LitString   LitKind = iota + 1 // Value is a string (escapes resolved)
	LitInt                         // Value is an int64
	LitDecimal                     // Value is a float64; Text keeps the exact digits
	LitBool                        // Value is a bool
	LitDate                        // Value is a time.Time at 00:00 UTC
	LitDateTime                    // Value is a time.Time in UTC, truncated to the millisecond
)

var litNames = [...]string{"", "string", "integer", "decimal", "boolean", "date", "datetime"}

// String returns the literal kind's name as used in error messages.
func (k LitKind) String() string {
	if k > 0 && int(k) < len(litNames) {
		return litNames[k]
	}
	return fmt.Sprintf("literal(%d)", int(k))
}

// Literal is a value written in a filter. Convert functions receive only the
// kinds their field accepts: String fields get LitString; Number fields
// LitInt and LitDecimal; Boolean fields LitBool; Date fields LitDate;
// DateTime fields LitDateTime (a date compared with a datetime field is turned
// into datetime bounds first, see the package documentation).
type Literal struct {
	Kind  LitKind
	Value any
	// Text is the literal as written in the filter (for strings: the quoted
	// source). Number converters that need exact decimals parse it.
	Text string
}

// The stored forms of dates and datetimes: fixed width, so that string order
// is time order (see platform/store).
const (
	DateLayout     = "2006-01-02"
	DateTimeLayout = "2006-01-02T15:04:05.000Z"
)

// accepts reports whether a field of kind k takes a literal of kind l.
func (k Kind) accepts(l LitKind) bool {
	switch k {
	case String:
		return l == LitString
	case Number:
		return l == LitInt || l == LitDecimal
	case Boolean:
		return l == LitBool
	case Date:
		return l == LitDate
	case DateTime:
		return l == LitDateTime || l == LitDate
	}
	return false
}

// DefaultConvert returns the converter for fields of kind k that store values
// as the platform's documents do: strings, int64 or float64 numbers, bools,
// "2006-01-02" dates and "2006-01-02T15:04:05.000Z" datetimes. It returns nil
// for an unknown kind.
func DefaultConvert(k Kind) func(Literal) (any, error) {
	switch k {
	case String, Boolean:
		return convertAsIs
	case Number:
		return convertNumber
	case Date:
		return convertDate
	case DateTime:
		return convertDateTime
	}
	return nil
}

func convertAsIs(lit Literal) (any, error) { return lit.Value, nil }

func convertNumber(lit Literal) (any, error) {
	switch v := lit.Value.(type) {
	case int64, float64:
		return v, nil
	}
	return nil, fmt.Errorf("expected a number, found a %s", lit.Kind)
}

func convertDate(lit Literal) (any, error) {
	t, ok := lit.Value.(time.Time)
	if !ok {
		return nil, fmt.Errorf("expected a date, found a %s", lit.Kind)
	}
	return t.UTC().Format(DateLayout), nil
}

func convertDateTime(lit Literal) (any, error) {
	t, ok := lit.Value.(time.Time)
	if !ok {
		return nil, fmt.Errorf("expected a datetime, found a %s", lit.Kind)
	}
	return t.UTC().Format(DateTimeLayout), nil
}

// CurrencyConvert returns the converter of a currency field stored as int64
// minor units with the given number of decimal places (2 for cents): 19.99
// becomes 1999 and 5 becomes 500, exactly. A literal with more decimals than
// the currency has becomes a float64 of minor units (19.995 is 1999.5), which
// compares correctly with the stored integers but never equals one.
func CurrencyConvert(decimals int) func(Literal) (any, error) {
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
	return func(lit Literal) (any, error) {
		var r big.Rat
		switch v := lit.Value.(type) {
		case int64:
			r.SetInt64(v)
		case float64:
			if _, ok := r.SetString(strings.TrimPrefix(lit.Text, "+")); !ok {
				r.SetFloat64(v)
			}
		default:
			return nil, fmt.Errorf("expected an amount, found a %s", lit.Kind)
		}
		r.Mul(&r, scale)
		if r.IsInt() {
			if n := r.Num(); n.IsInt64() {
				return n.Int64(), nil
			}
			return nil, errors.New("amount out of range")
		}
		f, _ := r.Float64()
		if math.IsInf(f, 0) || math.Abs(f) > 1<<63 {
			return nil, errors.New("amount out of range")
		}
		if f == math.Trunc(f) {
			// Rounded onto a whole number of minor units, which would
			// then equal a stored amount: step towards the true value.
			f = math.Nextafter(f, math.Inf(r.Cmp(new(big.Rat).SetFloat64(f))))
		}
		return f, nil
	}
}
