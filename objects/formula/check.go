package formula

import "strconv"

// Type is the static type of a field or an expression.
type Type uint8

// The types. TypeNull is the type of the NULL literal (and of expressions
// that are always null); it is compatible with every other type. TypeCurrency
// behaves as TypeNumber in every operation (both are exact Decimals at run
// time); the checker keeps it apart only so that a formula's result can be
// shown as money: an arithmetic result is TypeCurrency when an operand is,
// except currency / currency, which is a plain TypeNumber (a ratio).
const (
	TypeNull Type = iota
	TypeNumber
	TypeCurrency
	TypeText
	TypeBoolean
	TypeDate
	TypeDateTime
)

var typeNames = [...]string{"Null", "Number", "Currency", "Text", "Boolean", "Date", "DateTime"}

// String returns the type's name as used in error messages.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Invalid"
}

func (t Type) numeric() bool { return t == TypeNumber || t == TypeCurrency }

// TypeEnv resolves a field reference (as written in the formula, possibly a
// dotted lookup path such as "account.name") to its type. It reports false
// for an unknown field.
type TypeEnv interface {
	FieldType(name string) (Type, bool)
}

// TypeMap is a TypeEnv backed by a map; names are matched exactly.
type TypeMap map[string]Type

// FieldType implements TypeEnv.
func (m TypeMap) FieldType(name string) (Type, bool) {
	t, ok := m[name]
	return t, ok
}

// Compile parses and checks src in one step.
func Compile(src string, env TypeEnv) (*Expr, Type, error) {
	e, err := Parse(src)
	if err != nil {
		return nil, TypeNull, err
	}
	t, err := e.Check(env)
	if err != nil {
		return nil, TypeNull, err
	}
	return e, t, nil
}

// Check type-checks the formula against env and returns its result type.
// Errors are *errs.Error with code formula.type and the position of the
// offending sub-expression. Check records each field's declared type in the
// Expr so that Eval can convert raw values (for example a "2024-05-01" text
// for a Date field); NB: call Check before sharing the Expr between
// goroutines, never concurrently with Eval.
func (e *Expr) Check(env TypeEnv) (Type, error) {
	c := checker{src: e.src, env: env}
	t, err := c.check(e.root)
	if err != nil {
		return TypeNull, err
	}
	e.checked, e.typ = true, t
	return t, nil
}

// Type returns the result type found by the last successful Check, or
// TypeNull when the formula was not checked.
func (e *Expr) Type() Type { return e.typ }

type checker struct {
	src string
	env TypeEnv
}

func (c *checker) errf(n *node, detail, format string, args ...any) error {
	return posError(CodeType, detail, c.src, n.pos, format, args...)
}

func (c *checker) mismatch(n *node, format string, args ...any) error {
	return c.errf(n, "type_mismatch", format, args...)
}

// want checks that n has one of the allowed types; TypeNull always passes.
func (c *checker) want(n *node, what string, allowed ...Type) (Type, error) {
	t, err := c.check(n)
	if err != nil {
		return TypeNull, err
	}
	if t == TypeNull {
		return t, nil
	}
	for _, a := range allowed {
		if t == a {
			return t, nil
		}
	}
	return TypeNull, c.mismatch(n, "%s must be %s, not %s", what, typeList(allowed), t)
}

func typeList(ts []Type) string {
	s := ""
	for i, t := range ts {
		switch {
		case i == 0:
		case i == len(ts)-1:
			s += " or "
		default:
			s += ", "
		}
		s += t.String()
	}
	return s
}

// unify returns the common type of two branches.
func unify(a, b Type) (Type, bool) {
	switch {
	case a == b:
		return a, true
	case a == TypeNull:
		return b, true
	case b == TypeNull:
		return a, true
	case a.numeric() && b.numeric():
		return TypeCurrency, true
	}
	return TypeNull, false
}

// comparable reports whether values of a and b can be compared; ordered
// says whether < and > apply too.
func comparable(a, b Type) (ok, ordered bool) {
	if a == TypeNull || b == TypeNull {
		return true, a != TypeBoolean && b != TypeBoolean
	}
	if a.numeric() && b.numeric() || a == b {
		return true, a != TypeBoolean
	}
	return false, false
}

var (
	numericTypes = []Type{TypeNumber, TypeCurrency}
	dateTypes    = []Type{TypeDate, TypeDateTime}
)

func (c *checker) check(n *node) (Type, error) {
	switch n.kind {
	case nLit:
		return n.lit.k.staticType(), nil
	case nField:
		t, ok := c.env.FieldType(n.name)
		if !ok {
			return TypeNull, c.errf(n, "unknown_field", "unknown field %s", truncateForMessage(n.name))
		}
		if t == TypeNull || t > TypeDateTime {
			return TypeNull, c.errf(n, "unknown_field", "field %s has no formula type", truncateForMessage(n.name))
		}
		n.ftype, n.checked = t, true
		return t, nil
	case nNeg:
		return c.want(n.args[0], "the operand of unary -", numericTypes...)
	case nNot, nAnd, nOr:
		for _, a := range n.args {
			if _, err := c.want(a, "a logical operand", TypeBoolean); err != nil {
				return TypeNull, err
			}
		}
		return TypeBoolean, nil
	case nBin:
		return c.binary(n)
	case nCall:
		return c.call(n)
	}
	return TypeNull, c.errf(n, "internal", "unknown node")
}

func (c *checker) binary(n *node) (Type, error) {
	l, err := c.check(n.args[0])
	if err != nil {
		return TypeNull, err
	}
	r, err := c.check(n.args[1])
	if err != nil {
		return TypeNull, err
	}
	opName := tokNames[n.op]
	switch n.op {
	case tAmp:
		if l != TypeText && l != TypeNull {
			return TypeNull, c.mismatch(n.args[0], "& joins Text, not %s (use TEXT())", l)
		}
		if r != TypeText && r != TypeNull {
			return TypeNull, c.mismatch(n.args[1], "& joins Text, not %s (use TEXT())", r)
		}
		return TypeText, nil
	case tPlus, tMinus:
		if t, ok := additive(n.op, l, r); ok {
			return t, nil
		}
		return TypeNull, c.mismatch(n, "cannot apply %s to %s and %s", opName, l, r)
	case tStar, tSlash:
		if (l.numeric() || l == TypeNull) && (r.numeric() || r == TypeNull) {
			switch {
			case n.op == tSlash && l == TypeCurrency && r == TypeCurrency:
				return TypeNumber, nil
			case l == TypeCurrency || r == TypeCurrency:
				return TypeCurrency, nil
			}
			return TypeNumber, nil
		}
		return TypeNull, c.mismatch(n, "cannot apply %s to %s and %s", opName, l, r)
	}
	// Comparisons.
	ok, ordered := comparable(l, r)
	if !ok || !ordered && n.op != tEq && n.op != tNe {
		return TypeNull, c.mismatch(n, "cannot compare %s with %s using %s", l, r, opName)
	}
	return TypeBoolean, nil
}

// additive types + and -: numbers, text concatenation with +, date and
// date-time arithmetic in days.
func additive(op tokKind, l, r Type) (Type, bool) {
	switch {
	case (l.numeric() || l == TypeNull) && (r.numeric() || r == TypeNull):
		if l == TypeCurrency || r == TypeCurrency {
			return TypeCurrency, true
		}
		return TypeNumber, true
	case op == tPlus && (l == TypeText || r == TypeText) && (l == TypeText || l == TypeNull) && (r == TypeText || r == TypeNull):
		return TypeText, true
	case (l == TypeDate || l == TypeDateTime) && (r.numeric() || r == TypeNull):
		return l, true
	case op == tPlus && l.numeric() && (r == TypeDate || r == TypeDateTime):
		return r, true
	case op == tPlus && l == TypeNull && (r == TypeDate || r == TypeDateTime):
		return r, true
	case op == tMinus && (l == TypeDate || l == TypeDateTime) && r == l:
		return TypeNumber, true
	case op == tMinus && (l == TypeDate || l == TypeDateTime) && r == TypeNull:
		return l, true
	case op == tMinus && l == TypeNull && (r == TypeDate || r == TypeDateTime):
		return TypeNumber, true
	}
	return TypeNull, false
}

func (c *checker) call(n *node) (Type, error) {
	a := n.args
	text := func(i int) error { _, err := c.want(a[i], n.name+" argument "+itoa(i+1), TypeText); return err }
	num := func(i int) error {
		_, err := c.want(a[i], n.name+" argument "+itoa(i+1), numericTypes...)
		return err
	}
	all := func(check func(int) error, t Type) (Type, error) {
		for i := range a {
			if err := check(i); err != nil {
				return TypeNull, err
			}
		}
		return t, nil
	}
	switch n.fn {
	case fIf:
		if _, err := c.want(a[0], "the IF condition", TypeBoolean); err != nil {
			return TypeNull, err
		}
		return c.branches(n, a[1], a[2])
	case fCase:
		subject, err := c.check(a[0])
		if err != nil {
			return TypeNull, err
		}
		result := TypeNull
		for i := 1; i < len(a); i++ {
			if i < len(a)-1 { // a value of a value/result pair
				v, err := c.check(a[i])
				if err != nil {
					return TypeNull, err
				}
				if ok, _ := comparable(subject, v); !ok {
					return TypeNull, c.mismatch(a[i], "CASE value %s cannot match %s", v, subject)
				}
				i++
			}
			t, err := c.check(a[i])
			if err != nil {
				return TypeNull, err
			}
			u, ok := unify(result, t)
			if !ok {
				return TypeNull, c.mismatch(a[i], "CASE results mix %s and %s", result, t)
			}
			result = u
		}
		return result, nil
	case fConcat:
		return all(text, TypeText)
	case fText:
		_, err := c.check(a[0])
		return TypeText, err
	case fValue:
		return all(text, TypeNumber)
	case fLen:
		return all(text, TypeNumber)
	case fUpper, fLower, fTrim:
		return all(text, TypeText)
	case fLeft, fRight:
		if err := text(0); err != nil {
			return TypeNull, err
		}
		return TypeText, num(1)
	case fMid:
		if err := text(0); err != nil {
			return TypeNull, err
		}
		if err := num(1); err != nil {
			return TypeNull, err
		}
		return TypeText, num(2)
	case fContains, fBegins, fIsPickVal:
		return all(text, TypeBoolean)
	case fSubstitute:
		return all(text, TypeText)
	case fIsBlank:
		_, err := c.check(a[0])
		return TypeBoolean, err
	case fBlankValue:
		return c.branches(n, a[0], a[1])
	case fAbs, fFloor, fCeiling:
		return c.want(a[0], n.name+" argument", numericTypes...)
	case fRound:
		t, err := c.want(a[0], "ROUND argument 1", numericTypes...)
		if err != nil || len(a) == 1 {
			return t, err
		}
		return t, num(1)
	case fMod:
		t, err := c.want(a[0], "MOD argument 1", numericTypes...)
		if err != nil {
			return TypeNull, err
		}
		return t, num(1)
	case fMin, fMax:
		result := TypeNull
		for i := range a {
			t, err := c.want(a[i], n.name+" argument "+itoa(i+1), TypeNumber, TypeCurrency, TypeDate, TypeDateTime)
			if err != nil {
				return TypeNull, err
			}
			u, ok := unify(result, t)
			if !ok {
				return TypeNull, c.mismatch(a[i], "%s mixes %s and %s", n.name, result, t)
			}
			result = u
		}
		return result, nil
	case fToday:
		return TypeDate, nil
	case fNow:
		return TypeDateTime, nil
	case fDate:
		return all(num, TypeDate)
	case fDateValue:
		_, err := c.want(a[0], "DATEVALUE argument", TypeText, TypeDate, TypeDateTime)
		return TypeDate, err
	case fDateTimeValue:
		_, err := c.want(a[0], "DATETIMEVALUE argument", TypeText, TypeDate, TypeDateTime)
		return TypeDateTime, err
	case fYear, fMonth, fDay, fWeekday:
		_, err := c.want(a[0], n.name+" argument", dateTypes...)
		return TypeNumber, err
	case fAddDays:
		t, err := c.want(a[0], "ADDDAYS argument 1", dateTypes...)
		if err != nil {
			return TypeNull, err
		}
		if t == TypeNull {
			t = TypeDate
		}
		return t, num(1)
	case fAddMonths:
		t, err := c.want(a[0], "ADDMONTHS argument 1", dateTypes...)
		if err != nil {
			return TypeNull, err
		}
		if t == TypeNull {
			t = TypeDate
		}
		return t, num(1)
	case fDateDiff:
		first := 0
		if len(a) == 3 {
			first = 1
			if err := text(0); err != nil {
				return TypeNull, err
			}
			if a[0].kind == nLit && a[0].lit.k == kText && parseUnit(a[0].lit.s) == unitBad {
				return TypeNull, c.errf(a[0], "bad_unit", "unknown DATEDIFF unit %q (day, week, month, year, hour, minute, second)", truncateForMessage(a[0].lit.s))
			}
		}
		l, err := c.want(a[first], "DATEDIFF start", dateTypes...)
		if err != nil {
			return TypeNull, err
		}
		r, err := c.want(a[first+1], "DATEDIFF end", dateTypes...)
		if err != nil {
			return TypeNull, err
		}
		if l != r && l != TypeNull && r != TypeNull {
			return TypeNull, c.mismatch(a[first+1], "DATEDIFF mixes %s and %s", l, r)
		}
		return TypeNumber, nil
	}
	return TypeNull, c.errf(n, "internal", "unknown function %s", n.name)
}

func (c *checker) branches(n, x, y *node) (Type, error) {
	a, err := c.check(x)
	if err != nil {
		return TypeNull, err
	}
	b, err := c.check(y)
	if err != nil {
		return TypeNull, err
	}
	t, ok := unify(a, b)
	if !ok {
		return TypeNull, c.mismatch(y, "%s results mix %s and %s", n.name, a, b)
	}
	return t, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
