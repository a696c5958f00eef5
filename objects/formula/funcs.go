package formula

import (
	"strings"
	"time"
	"unicode/utf8"
)

// argument helpers: each evaluates one argument and reports null.

func (ev *evaluator) numArg(n *node, i int) (Decimal, bool, error) {
	v, err := ev.eval(n.args[i])
	if err != nil || v.k == kNull {
		return Decimal{}, false, err
	}
	if v.k != kNum {
		return Decimal{}, false, ev.typeErr(n.args[i], "%s argument %d must be a Number, not %s", n.name, i+1, v.k.staticType())
	}
	return v.d, true, nil
}

// textArg returns the argument's text; null reads as "" with ok false.
func (ev *evaluator) textArg(n *node, i int) (string, bool, error) {
	v, err := ev.eval(n.args[i])
	if err != nil || v.k == kNull {
		return "", false, err
	}
	if v.k != kText {
		return "", false, ev.typeErr(n.args[i], "%s argument %d must be Text, not %s", n.name, i+1, v.k.staticType())
	}
	return v.s, true, nil
}

// intArg returns a numeric argument truncated toward zero and clamped to
// ±1e9 (which no text or calendar computation needs to exceed).
func (ev *evaluator) intArg(n *node, i int) (int64, bool, error) {
	d, ok, err := ev.numArg(n, i)
	if !ok || err != nil {
		return 0, ok, err
	}
	return min(max(d.trunc(), -1e9), 1e9), true, nil
}

// dateArg returns a Date or the calendar date of a DateTime in the
// environment's time zone.
func (ev *evaluator) dateArg(n *node, i int) (Date, bool, error) {
	v, err := ev.eval(n.args[i])
	if err != nil || v.k == kNull {
		return Date{}, false, err
	}
	switch v.k {
	case kDate:
		return v.day, true, nil
	case kDateTime:
		return DateOf(v.t.In(ev.location())), true, nil
	}
	return Date{}, false, ev.typeErr(n.args[i], "%s argument %d must be a Date or DateTime, not %s", n.name, i+1, v.k.staticType())
}

func (ev *evaluator) call(n *node) (value, error) {
	a := n.args
	switch n.fn {
	case fIf:
		c, err := ev.cond(a[0])
		if err != nil {
			return value{}, err
		}
		if c {
			return ev.eval(a[1])
		}
		return ev.eval(a[2])
	case fCase:
		subject, err := ev.eval(a[0])
		if err != nil {
			return value{}, err
		}
		for i := 1; i+1 < len(a); i += 2 {
			v, err := ev.eval(a[i])
			if err != nil {
				return value{}, err
			}
			c, err := ev.order(a[i], subject, v, true)
			if err != nil {
				return value{}, err
			}
			if c == 0 {
				return ev.eval(a[i+1])
			}
		}
		return ev.eval(a[len(a)-1])
	case fIsBlank:
		v, err := ev.eval(a[0])
		return boolVal(v.blank()), err
	case fBlankValue:
		v, err := ev.eval(a[0])
		if err != nil || !v.blank() {
			return v, err
		}
		return ev.eval(a[1])
	case fText:
		return ev.text(n)
	case fConcat, fValue, fLen, fUpper, fLower, fTrim, fLeft, fRight, fMid, fContains, fBegins, fSubstitute, fIsPickVal:
		return ev.textFunc(n)
	case fAbs, fFloor, fCeiling, fRound, fMod:
		return ev.numFunc(n)
	case fMin, fMax:
		return ev.minMax(n)
	}
	return ev.dateFunc(n)
}

func (ev *evaluator) text(n *node) (value, error) {
	v, err := ev.eval(n.args[0])
	if err != nil {
		return value{}, err
	}
	switch v.k {
	case kNum:
		return textVal(v.d.String()), nil
	case kBool:
		if v.b {
			return textVal("true"), nil
		}
		return textVal("false"), nil
	case kDate:
		return textVal(v.day.String()), nil
	case kDateTime:
		return textVal(v.t.UTC().Format(time.RFC3339)), nil
	}
	return v, nil // text and null as they are
}

func (ev *evaluator) textFunc(n *node) (value, error) {
	s, ok, err := ev.textArg(n, 0)
	if err != nil {
		return value{}, err
	}
	if err := ev.spend(n, len(s)); err != nil {
		return value{}, err
	}
	switch n.fn {
	case fConcat:
		var b strings.Builder
		b.WriteString(s)
		for i := 1; i < len(n.args); i++ {
			t, _, err := ev.textArg(n, i)
			if err != nil {
				return value{}, err
			}
			if err := ev.produce(n, b.Len()+len(t)); err != nil {
				return value{}, err
			}
			b.WriteString(t)
		}
		return textVal(b.String()), nil
	case fValue:
		s = strings.TrimSpace(s)
		if s == "" {
			return value{}, nil
		}
		d, err := ParseDecimal(s)
		if err != nil {
			return value{}, ev.fail(n, "not_a_number", "VALUE: %s", errMessage(err))
		}
		return numVal(d), nil
	case fLen:
		return numVal(DecimalFromInt(int64(utf8.RuneCountInString(s)))), nil
	case fUpper, fLower:
		if !ok {
			return value{}, nil
		}
		if n.fn == fUpper {
			s = strings.ToUpper(s)
		} else {
			s = strings.ToLower(s)
		}
		return textVal(s), ev.produce(n, len(s))
	case fTrim:
		if !ok {
			return value{}, nil
		}
		return textVal(strings.TrimSpace(s)), nil
	case fLeft, fRight:
		k, kok, err := ev.intArg(n, 1)
		if err != nil || !ok || !kok {
			return value{}, err
		}
		if n.fn == fLeft {
			return textVal(s[:runeOffset(s, k)]), nil
		}
		total := int64(utf8.RuneCountInString(s))
		return textVal(s[runeOffset(s, total-max(k, 0)):]), nil
	case fMid:
		start, sok, err := ev.intArg(n, 1)
		if err != nil {
			return value{}, err
		}
		k, kok, err := ev.intArg(n, 2)
		if err != nil || !ok || !sok || !kok {
			return value{}, err
		}
		from := runeOffset(s, max(start, 1)-1)
		rest := s[from:]
		return textVal(rest[:runeOffset(rest, k)]), nil
	case fContains, fBegins:
		t, _, err := ev.textArg(n, 1)
		if err != nil {
			return value{}, err
		}
		if n.fn == fContains {
			return boolVal(strings.Contains(s, t)), nil
		}
		return boolVal(strings.HasPrefix(s, t)), nil
	case fIsPickVal:
		t, _, err := ev.textArg(n, 1)
		return boolVal(s == t), err
	case fSubstitute:
		old, _, err := ev.textArg(n, 1)
		if err != nil {
			return value{}, err
		}
		repl, _, err := ev.textArg(n, 2)
		if err != nil || !ok {
			return value{}, err
		}
		if old == "" {
			return textVal(s), nil
		}
		count := strings.Count(s, old)
		if count == 0 {
			return textVal(s), nil
		}
		if err := ev.produce(n, len(s)+count*(len(repl)-len(old))); err != nil {
			return value{}, err
		}
		return textVal(strings.ReplaceAll(s, old, repl)), nil
	}
	return value{}, ev.fail(n, "internal", "unknown function %s", n.name)
}

// runeOffset returns the byte offset just after the first k runes of s
// (clamped to 0 and len(s)).
func runeOffset(s string, k int64) int {
	if k <= 0 {
		return 0
	}
	for i := range s {
		if k == 0 {
			return i
		}
		k--
	}
	return len(s)
}

func (ev *evaluator) numFunc(n *node) (value, error) {
	x, ok, err := ev.numArg(n, 0)
	if err != nil {
		return value{}, err
	}
	var y Decimal
	yok := true
	if len(n.args) > 1 {
		if y, yok, err = ev.numArg(n, 1); err != nil {
			return value{}, err
		}
	}
	if !ok || !yok {
		return value{}, nil
	}
	var r Decimal
	fits := true
	switch n.fn {
	case fAbs:
		r = x.abs()
	case fFloor:
		r = x.floor()
	case fCeiling:
		r = x.ceil()
	case fRound:
		r, fits = x.round(int(min(max(y.trunc(), -40), 40)))
	case fMod:
		if y.coef == 0 {
			return value{}, ev.fail(n, "division_by_zero", "MOD by zero")
		}
		r, fits = x.mod(y)
	}
	if !fits {
		return value{}, ev.outOfRange(n)
	}
	return numVal(r), nil
}

func (ev *evaluator) minMax(n *node) (value, error) {
	var best value
	for i, a := range n.args {
		v, err := ev.eval(a)
		if err != nil {
			return value{}, err
		}
		if v.k == kNull {
			return value{}, nil
		}
		if v.k != kNum && v.k != kDate && v.k != kDateTime {
			return value{}, ev.typeErr(a, "%s argument %d must be a Number, Date or DateTime, not %s", n.name, i+1, v.k.staticType())
		}
		if i == 0 {
			best = v
			continue
		}
		c, err := ev.order(a, v, best, false)
		if err != nil {
			return value{}, err
		}
		if n.fn == fMin && c < 0 || n.fn == fMax && c > 0 {
			best = v
		}
	}
	return best, nil
}

func (ev *evaluator) dateFunc(n *node) (value, error) {
	switch n.fn {
	case fToday:
		return dateVal(DateOf(ev.clock().In(ev.location()))), nil
	case fNow:
		return timeVal(ev.clock()), nil
	case fDate:
		var parts [3]int64
		for i := range parts {
			d, ok, err := ev.numArg(n, i)
			if err != nil || !ok {
				return value{}, err
			}
			if !d.IsInteger() {
				return value{}, ev.fail(n.args[i], "invalid_date", "DATE needs whole numbers, not %s", d)
			}
			parts[i] = min(max(d.trunc(), -1), 10000)
		}
		d, err := NewDate(int(parts[0]), time.Month(parts[1]), int(parts[2]))
		if err != nil {
			return value{}, ev.fail(n, "invalid_date", "%s", errMessage(err))
		}
		return dateVal(d), nil
	case fDateValue, fDateTimeValue:
		return ev.convertDate(n)
	case fYear, fMonth, fDay, fWeekday:
		d, ok, err := ev.dateArg(n, 0)
		if err != nil || !ok {
			return value{}, err
		}
		y, m, day := d.Date()
		r := day
		switch n.fn {
		case fYear:
			r = y
		case fMonth:
			r = int(m)
		case fWeekday:
			r = int(d.Weekday()) + 1 // 1 = Sunday … 7 = Saturday
		}
		return numVal(DecimalFromInt(int64(r))), nil
	case fAddDays:
		v, err := ev.eval(n.args[0])
		if err != nil {
			return value{}, err
		}
		days, ok, err := ev.numArg(n, 1)
		if err != nil || !ok || v.k == kNull {
			return value{}, err
		}
		if v.k != kDate && v.k != kDateTime {
			return value{}, ev.typeErr(n.args[0], "ADDDAYS argument 1 must be a Date or DateTime, not %s", v.k.staticType())
		}
		return ev.shiftDays(n, v, days)
	case fAddMonths:
		return ev.addMonths(n)
	case fDateDiff:
		return ev.dateDiff(n)
	}
	return value{}, ev.fail(n, "internal", "unknown function %s", n.name)
}

func (ev *evaluator) convertDate(n *node) (value, error) {
	v, err := ev.eval(n.args[0])
	if err != nil || v.blank() {
		return value{}, err
	}
	toDate := n.fn == fDateValue
	switch v.k {
	case kText:
		if toDate {
			d, err := ParseDate(strings.TrimSpace(v.s))
			if err != nil {
				return value{}, ev.fail(n, "invalid_date", "%s", errMessage(err))
			}
			return dateVal(d), nil
		}
		t, err := parseDateTime(strings.TrimSpace(v.s))
		if err != nil {
			return value{}, ev.fail(n, "invalid_date", "%s", errMessage(err))
		}
		return timeVal(t), nil
	case kDate:
		if toDate {
			return v, nil
		}
		return timeVal(v.day.Time(ev.location())), nil
	case kDateTime:
		if toDate {
			return dateVal(DateOf(v.t.In(ev.location()))), nil
		}
		return v, nil
	}
	return value{}, ev.typeErr(n.args[0], "%s needs Text, Date or DateTime, not %s", n.name, v.k.staticType())
}

func (ev *evaluator) addMonths(n *node) (value, error) {
	v, err := ev.eval(n.args[0])
	if err != nil {
		return value{}, err
	}
	k, ok, err := ev.intArg(n, 1)
	if err != nil || !ok || v.k == kNull {
		return value{}, err
	}
	var base Date
	switch v.k {
	case kDate:
		base = v.day
	case kDateTime:
		base = DateOf(v.t.In(ev.location()))
	default:
		return value{}, ev.typeErr(n.args[0], "ADDMONTHS argument 1 must be a Date or DateTime, not %s", v.k.staticType())
	}
	d, fits := base.addMonths(k)
	if !fits {
		return value{}, ev.fail(n, "invalid_date", "date is outside years 1 to 9999")
	}
	if v.k == kDate {
		return dateVal(d), nil
	}
	t := v.t.In(ev.location())
	y, m, day := d.Date()
	return timeVal(time.Date(y, m, day, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())), nil
}

func (ev *evaluator) dateDiff(n *node) (value, error) {
	unit, first := unitDay, 0
	if len(n.args) == 3 {
		first = 1
		s, ok, err := ev.textArg(n, 0)
		if err != nil || !ok {
			return value{}, err
		}
		if unit = parseUnit(s); unit == unitBad {
			return value{}, ev.fail(n.args[0], "bad_unit", "unknown DATEDIFF unit %q (day, week, month, year, hour, minute, second)", truncateForMessage(s))
		}
	}
	a, err := ev.eval(n.args[first])
	if err != nil {
		return value{}, err
	}
	b, err := ev.eval(n.args[first+1])
	if err != nil || a.k == kNull || b.k == kNull {
		return value{}, err
	}
	if a.k != b.k || a.k != kDate && a.k != kDateTime {
		return value{}, ev.typeErr(n, "DATEDIFF needs two Dates or two DateTimes, not %s and %s", a.k.staticType(), b.k.staticType())
	}
	var r int64
	if unit >= unitHour && a.k == kDateTime {
		secs := b.t.Unix() - a.t.Unix()
		ns := b.t.Nanosecond() - a.t.Nanosecond()
		switch {
		case secs > 0 && ns < 0:
			secs--
		case secs < 0 && ns > 0:
			secs++
		}
		switch unit {
		case unitHour:
			r = secs / 3600
		case unitMinute:
			r = secs / 60
		default:
			r = secs
		}
		return numVal(DecimalFromInt(r)), nil
	}
	da, db := a.day, b.day
	if a.k == kDateTime {
		da, db = DateOf(a.t.In(ev.location())), DateOf(b.t.In(ev.location()))
	}
	days := int64(db.days) - int64(da.days)
	switch unit {
	case unitDay:
		r = days
	case unitWeek:
		r = days / 7
	case unitMonth:
		r = monthsBetween(da, db)
	case unitYear:
		r = monthsBetween(da, db) / 12
	case unitHour:
		r = days * 24
	case unitMinute:
		r = days * 1440
	case unitSecond:
		r = days * 86400
	}
	return numVal(DecimalFromInt(r)), nil
}
