package formula

import (
	"fmt"
	"strings"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// Eval evaluates the formula. The result is nil (null), Decimal, string,
// bool, Date or time.Time. Errors are *errs.Error with code formula.eval
// (division by zero, an invalid date, a number or text over the limits, a
// bad field value) or formula.type (an unchecked formula applied to values
// of the wrong type), each with a position; an error returned by env.Value
// is passed on wrapped. Eval is safe for concurrent use once Check is done.
func (e *Expr) Eval(env ValueEnv) (any, error) {
	ev := evaluator{src: e.src, env: env, budget: MaxEvalTextBytes}
	v, err := ev.eval(e.root)
	if err != nil {
		return nil, err
	}
	return v.toAny(), nil
}

// EvalBool evaluates a condition (a validation rule or a workflow criterion):
// null counts as false, and a non-Boolean result is a formula.type error.
func (e *Expr) EvalBool(env ValueEnv) (bool, error) {
	ev := evaluator{src: e.src, env: env, budget: MaxEvalTextBytes}
	return ev.cond(e.root)
}

type evaluator struct {
	src    string
	env    ValueEnv
	budget int // text bytes this evaluation may still produce or scan
	nowSet bool
	now    time.Time
	locSet bool
	loc    *time.Location
}

func (ev *evaluator) clock() time.Time {
	if !ev.nowSet {
		ev.now, ev.nowSet = ev.env.Now(), true
	}
	return ev.now
}

func (ev *evaluator) location() *time.Location {
	if !ev.locSet {
		ev.loc, ev.locSet = ev.env.Location(), true
		if ev.loc == nil {
			ev.loc = time.UTC
		}
	}
	return ev.loc
}

func (ev *evaluator) fail(n *node, detail, format string, args ...any) error {
	return posError(CodeEval, detail, ev.src, n.pos, format, args...)
}

func (ev *evaluator) typeErr(n *node, format string, args ...any) error {
	return posError(CodeType, "type_mismatch", ev.src, n.pos, format, args...)
}

func errMessage(err error) string {
	if e := errs.As(err); e != nil {
		return e.Message
	}
	return err.Error()
}

// spend charges bytes of text work against the evaluation's budget.
func (ev *evaluator) spend(n *node, bytes int) error {
	ev.budget -= bytes
	if ev.budget < 0 {
		return ev.fail(n, "too_much_text", "formula handles more than %d bytes of text", MaxEvalTextBytes)
	}
	return nil
}

// produce checks a text result's length and charges it.
func (ev *evaluator) produce(n *node, length int) error {
	if length > MaxTextBytes {
		return ev.fail(n, "text_too_long", "text result is longer than %d bytes", MaxTextBytes)
	}
	return ev.spend(n, length)
}

func (ev *evaluator) eval(n *node) (value, error) {
	switch n.kind {
	case nLit:
		return n.lit, nil
	case nField:
		raw, err := ev.env.Value(n.name)
		if err != nil {
			return value{}, fmt.Errorf("formula: field %s: %w", n.name, err)
		}
		return ev.fromAny(n, raw)
	case nNeg:
		v, err := ev.eval(n.args[0])
		if err != nil || v.k == kNull {
			return v, err
		}
		if v.k != kNum {
			return value{}, ev.typeErr(n, "unary - needs a Number, not %s", v.k.staticType())
		}
		return numVal(v.d.neg()), nil
	case nNot:
		b, err := ev.cond(n.args[0])
		return boolVal(!b), err
	case nAnd, nOr:
		// Short-circuit: AND stops at the first false, OR at the first true.
		stopAt := n.kind == nOr
		for _, a := range n.args {
			b, err := ev.cond(a)
			if err != nil {
				return value{}, err
			}
			if b == stopAt {
				return boolVal(stopAt), nil
			}
		}
		return boolVal(!stopAt), nil
	case nBin:
		l, err := ev.eval(n.args[0])
		if err != nil {
			return value{}, err
		}
		r, err := ev.eval(n.args[1])
		if err != nil {
			return value{}, err
		}
		switch n.op {
		case tAmp:
			return ev.concat(n, l, r)
		case tPlus, tMinus:
			return ev.additive(n, l, r)
		case tStar, tSlash:
			return ev.multiplicative(n, l, r)
		}
		return ev.compare(n, l, r)
	case nCall:
		return ev.call(n)
	}
	return value{}, ev.fail(n, "internal", "unknown node")
}

// cond evaluates a logical operand: null is false.
func (ev *evaluator) cond(n *node) (bool, error) {
	v, err := ev.eval(n)
	if err != nil {
		return false, err
	}
	switch v.k {
	case kBool:
		return v.b, nil
	case kNull:
		return false, nil
	}
	return false, ev.typeErr(n, "a condition must be Boolean, not %s", v.k.staticType())
}

func (ev *evaluator) concat(n *node, l, r value) (value, error) {
	if l.k != kNull && l.k != kText || r.k != kNull && r.k != kText {
		return value{}, ev.typeErr(n, "& joins Text, not %s and %s", l.k.staticType(), r.k.staticType())
	}
	switch {
	case l.s == "":
		return textVal(r.s), nil
	case r.s == "":
		return textVal(l.s), nil
	}
	if err := ev.produce(n, len(l.s)+len(r.s)); err != nil {
		return value{}, err
	}
	return textVal(l.s + r.s), nil
}

func (ev *evaluator) outOfRange(n *node) error {
	return ev.fail(n, "out_of_range", "number is out of range")
}

func (ev *evaluator) additive(n *node, l, r value) (value, error) {
	if n.op == tPlus && (l.k == kText || r.k == kText) {
		return ev.concat(n, l, r)
	}
	if l.k == kNull || r.k == kNull {
		return value{}, nil
	}
	sub := n.op == tMinus
	switch {
	case l.k == kNum && r.k == kNum:
		var d Decimal
		var ok bool
		if sub {
			d, ok = l.d.sub(r.d)
		} else {
			d, ok = l.d.add(r.d)
		}
		if !ok {
			return value{}, ev.outOfRange(n)
		}
		return numVal(d), nil
	case !sub && l.k == kNum && (r.k == kDate || r.k == kDateTime):
		return ev.shiftDays(n, r, l.d)
	case (l.k == kDate || l.k == kDateTime) && r.k == kNum:
		days := r.d
		if sub {
			days = days.neg()
		}
		return ev.shiftDays(n, l, days)
	case sub && l.k == kDate && r.k == kDate:
		return numVal(DecimalFromInt(int64(l.day.days) - int64(r.day.days))), nil
	case sub && l.k == kDateTime && r.k == kDateTime:
		ms := millisBetween(r.t, l.t)
		d, _ := DecimalFromInt(ms).quo(DecimalFromInt(86400000))
		return numVal(d), nil
	}
	return value{}, ev.typeErr(n, "cannot apply %s to %s and %s", tokNames[n.op], l.k.staticType(), r.k.staticType())
}

// shiftDays adds days to a Date (fractions dropped, toward zero) or a
// DateTime (n × 24 hours, to the millisecond).
func (ev *evaluator) shiftDays(n *node, v value, days Decimal) (value, error) {
	if v.k == kDate {
		d, ok := v.day.addDays(days.trunc())
		if !ok {
			return value{}, ev.fail(n, "invalid_date", "date is outside years 1 to 9999")
		}
		return dateVal(d), nil
	}
	msd, ok := days.mul(DecimalFromInt(86400000))
	if ok {
		msd, ok = msd.round(0)
	}
	const limit = 400_000_000_000_000 // about 12,700 years in milliseconds
	if !ok || msd.coef > limit || msd.coef < -limit {
		return value{}, ev.fail(n, "invalid_date", "date-time is outside years 1 to 9999")
	}
	return ev.timeResult(n, addMillis(v.t, msd.coef))
}

func addMillis(t time.Time, ms int64) time.Time {
	return time.Unix(t.Unix()+ms/1000, int64(t.Nanosecond())+(ms%1000)*1e6).In(t.Location())
}

func (ev *evaluator) timeResult(n *node, t time.Time) (value, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return value{}, ev.fail(n, "invalid_date", "date-time is outside years 1 to 9999")
	}
	return timeVal(t), nil
}

// millisBetween returns b - a in whole milliseconds, truncated toward zero.
func millisBetween(a, b time.Time) int64 {
	sec := b.Unix() - a.Unix()
	ns := int64(b.Nanosecond()) - int64(a.Nanosecond())
	return sec*1000 + ns/1e6
}

func (ev *evaluator) multiplicative(n *node, l, r value) (value, error) {
	if l.k != kNull && l.k != kNum || r.k != kNull && r.k != kNum {
		return value{}, ev.typeErr(n, "cannot apply %s to %s and %s", tokNames[n.op], l.k.staticType(), r.k.staticType())
	}
	if l.k == kNull || r.k == kNull {
		return value{}, nil
	}
	var d Decimal
	var ok bool
	if n.op == tStar {
		d, ok = l.d.mul(r.d)
	} else {
		if r.d.coef == 0 {
			return value{}, ev.fail(n, "division_by_zero", "division by zero")
		}
		d, ok = l.d.quo(r.d)
	}
	if !ok {
		return value{}, ev.outOfRange(n)
	}
	return numVal(d), nil
}

func (ev *evaluator) compare(n *node, l, r value) (value, error) {
	c, err := ev.order(n, l, r, n.op == tEq || n.op == tNe)
	if err != nil || c == cmpNull {
		return value{}, err
	}
	var b bool
	switch n.op {
	case tEq:
		b = c == 0
	case tNe:
		b = c != 0
	case tLt:
		b = c < 0
	case tLe:
		b = c <= 0
	case tGt:
		b = c > 0
	case tGe:
		b = c >= 0
	}
	return boolVal(b), nil
}

// cmpNull is order's answer when a null makes an ordering unknown.
const cmpNull = 2

// order compares two values: -1, 0, +1, or cmpNull. For equality (eq), null
// and the empty text are equal to each other and unequal to everything
// else; for ordering, a null operand gives cmpNull.
func (ev *evaluator) order(n *node, l, r value, eq bool) (int, error) {
	if l.k == kNull || r.k == kNull {
		switch {
		case !eq:
			return cmpNull, nil
		case l.blank() && r.blank():
			return 0, nil
		}
		return 1, nil
	}
	if l.k != r.k {
		return 0, ev.typeErr(n, "cannot compare %s with %s", l.k.staticType(), r.k.staticType())
	}
	switch l.k {
	case kNum:
		return l.d.Cmp(r.d), nil
	case kText:
		if err := ev.spend(n, min(len(l.s), len(r.s))); err != nil {
			return 0, err
		}
		return strings.Compare(l.s, r.s), nil
	case kBool:
		if !eq {
			return 0, ev.typeErr(n, "Boolean values have no order")
		}
		if l.b == r.b {
			return 0, nil
		}
		return 1, nil
	case kDate:
		switch {
		case l.day.days < r.day.days:
			return -1, nil
		case l.day.days > r.day.days:
			return 1, nil
		}
		return 0, nil
	}
	return l.t.Compare(r.t), nil
}
