package formula

import (
	"math"
	"time"
)

// ValueEnv supplies what an evaluation reads: field values, the clock and
// the time zone. Eval calls Now and Location at most once each.
type ValueEnv interface {
	// Value returns the value of a field reference as written in the
	// formula (possibly a lookup path such as "account.name"); nil is null.
	// Accepted values: nil, Decimal, any Go integer, float32/float64
	// (converted through their shortest decimal form), string, bool, Date
	// and time.Time. When the formula was checked, strings are parsed into
	// the field's declared type ("12.50" for a Number, "2024-05-01" for a
	// Date, RFC 3339 for a DateTime; "" is null for these), a time.Time is
	// taken as its calendar date (in its own location) for a Date field, and
	// a Date is midnight in Location for a DateTime field. An error is
	// returned from Eval wrapped with the field name.
	Value(name string) (any, error)
	// Now returns the current instant, for NOW() and TODAY().
	Now() time.Time
	// Location is the time zone in which TODAY() is taken and date-times
	// are turned into dates; nil means UTC.
	Location() *time.Location
}

// MapEnv is a ValueEnv over a map of field values. A name absent from
// Values is null.
type MapEnv struct {
	Values map[string]any
	// Clock returns the current instant; nil means time.Now.
	Clock func() time.Time
	// Loc is the time zone for TODAY(); nil means UTC.
	Loc *time.Location
}

// Value implements ValueEnv.
func (m *MapEnv) Value(name string) (any, error) { return m.Values[name], nil }

// Now implements ValueEnv.
func (m *MapEnv) Now() time.Time {
	if m.Clock == nil {
		return time.Now()
	}
	return m.Clock()
}

// Location implements ValueEnv.
func (m *MapEnv) Location() *time.Location { return m.Loc }

type vkind uint8

const (
	kNull vkind = iota
	kNum
	kText
	kBool
	kDate
	kDateTime
)

func (k vkind) staticType() Type {
	return [...]Type{TypeNull, TypeNumber, TypeText, TypeBoolean, TypeDate, TypeDateTime}[k]
}

// value is a run-time value, passed by value so evaluation does not
// allocate.
type value struct {
	k   vkind
	b   bool
	day Date
	d   Decimal
	s   string
	t   time.Time
}

func numVal(d Decimal) value    { return value{k: kNum, d: d} }
func textVal(s string) value    { return value{k: kText, s: s} }
func boolVal(b bool) value      { return value{k: kBool, b: b} }
func dateVal(d Date) value      { return value{k: kDate, day: d} }
func timeVal(t time.Time) value { return value{k: kDateTime, t: t} }

// blank reports null or the empty text.
func (v value) blank() bool { return v.k == kNull || v.k == kText && v.s == "" }

// toAny returns the public form of v: nil, Decimal, string, bool, Date or
// time.Time.
func (v value) toAny() any {
	switch v.k {
	case kNum:
		return v.d
	case kText:
		return v.s
	case kBool:
		return v.b
	case kDate:
		return v.day
	case kDateTime:
		return v.t
	}
	return nil
}

// fromAny converts a field value from the environment. want is the declared
// type when checked is true.
func (ev *evaluator) fromAny(n *node, raw any) (value, error) {
	var v value
	switch x := raw.(type) {
	case nil:
		return value{}, nil
	case Decimal:
		v = numVal(x)
	case int:
		v = numVal(DecimalFromInt(int64(x)))
	case int64:
		v = numVal(DecimalFromInt(x))
	case int32:
		v = numVal(DecimalFromInt(int64(x)))
	case int16:
		v = numVal(DecimalFromInt(int64(x)))
	case int8:
		v = numVal(DecimalFromInt(int64(x)))
	case uint:
		return ev.fromUint(n, uint64(x))
	case uint64:
		return ev.fromUint(n, x)
	case uint32:
		v = numVal(DecimalFromInt(int64(x)))
	case uint16:
		v = numVal(DecimalFromInt(int64(x)))
	case uint8:
		v = numVal(DecimalFromInt(int64(x)))
	case float64:
		return ev.fromFloat(n, x, 64)
	case float32:
		return ev.fromFloat(n, float64(x), 32)
	case string:
		return ev.fromString(n, x)
	case bool:
		v = boolVal(x)
	case Date:
		v = dateVal(x)
		if n.checked && n.ftype == TypeDateTime {
			v = timeVal(x.Time(ev.location()))
		}
	case time.Time:
		v = timeVal(x)
		if n.checked && n.ftype == TypeDate {
			v = dateVal(DateOf(x))
		}
	default:
		return value{}, ev.fail(n, "bad_value", "field %s holds an unsupported %T", n.name, raw)
	}
	if n.checked {
		if t := v.k.staticType(); t != n.ftype && !(t == TypeNumber && n.ftype == TypeCurrency) {
			return value{}, ev.typeErr(n, "field %s is declared %s but holds %s", n.name, n.ftype, t)
		}
	}
	return v, nil
}

func (ev *evaluator) fromFloat(n *node, f float64, bitSize int) (value, error) {
	d, err := decimalFromFloat(f, bitSize)
	if err != nil {
		return value{}, ev.fail(n, "bad_value", "field %s: %s", n.name, errMessage(err))
	}
	return ev.fromAny(n, d)
}

func (ev *evaluator) fromUint(n *node, x uint64) (value, error) {
	if x > math.MaxInt64 {
		return value{}, ev.fail(n, "out_of_range", "field %s: %d is out of range", n.name, x)
	}
	return ev.fromAny(n, int64(x))
}

func (ev *evaluator) fromString(n *node, s string) (value, error) {
	if !n.checked || n.ftype == TypeText {
		return textVal(s), nil
	}
	if s == "" {
		return value{}, nil
	}
	switch n.ftype {
	case TypeNumber, TypeCurrency:
		d, err := ParseDecimal(s)
		if err != nil {
			return value{}, ev.fail(n, "bad_value", "field %s: %s", n.name, errMessage(err))
		}
		return numVal(d), nil
	case TypeDate:
		d, err := ParseDate(s)
		if err != nil {
			return value{}, ev.fail(n, "bad_value", "field %s: %s", n.name, errMessage(err))
		}
		return dateVal(d), nil
	case TypeDateTime:
		t, err := parseDateTime(s)
		if err != nil {
			return value{}, ev.fail(n, "bad_value", "field %s: %s", n.name, errMessage(err))
		}
		return timeVal(t), nil
	case TypeBoolean:
		switch s {
		case "true", "TRUE", "True":
			return boolVal(true), nil
		case "false", "FALSE", "False":
			return boolVal(false), nil
		}
	}
	return value{}, ev.typeErr(n, "field %s is declared %s but holds text", n.name, n.ftype)
}
