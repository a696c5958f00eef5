package formula

import "strconv"

type funcID uint8

const (
	fNone funcID = iota
	fAnd
	fOr
	fNot
	fIf
	fCase
	fConcat
	fText
	fValue
	fLen
	fUpper
	fLower
	fTrim
	fLeft
	fRight
	fMid
	fContains
	fBegins
	fSubstitute
	fIsBlank
	fBlankValue
	fIsPickVal
	fAbs
	fRound
	fFloor
	fCeiling
	fMin
	fMax
	fMod
	fToday
	fNow
	fDate
	fDateValue
	fDateTimeValue
	fYear
	fMonth
	fDay
	fWeekday
	fAddDays
	fAddMonths
	fDateDiff
)

type builtin struct {
	id       funcID
	min, max int // max < 0: any number of arguments
}

func (b builtin) arity() string {
	switch {
	case b.id == fCase:
		return "an expression, value/result pairs and an else result"
	case b.max < 0:
		return "at least " + strconv.Itoa(b.min) + " arguments"
	case b.min == b.max && b.min == 1:
		return "1 argument"
	case b.min == b.max:
		return strconv.Itoa(b.min) + " arguments"
	}
	return strconv.Itoa(b.min) + " to " + strconv.Itoa(b.max) + " arguments"
}

// builtins is the fixed function table, keyed by upper-case name. It is
// never written after initialisation.
var builtins = map[string]builtin{
	"AND":           {fAnd, 1, -1},
	"OR":            {fOr, 1, -1},
	"NOT":           {fNot, 1, 1},
	"IF":            {fIf, 3, 3},
	"CASE":          {fCase, 4, -1},
	"CONCAT":        {fConcat, 1, -1},
	"TEXT":          {fText, 1, 1},
	"VALUE":         {fValue, 1, 1},
	"LEN":           {fLen, 1, 1},
	"UPPER":         {fUpper, 1, 1},
	"LOWER":         {fLower, 1, 1},
	"TRIM":          {fTrim, 1, 1},
	"LEFT":          {fLeft, 2, 2},
	"RIGHT":         {fRight, 2, 2},
	"MID":           {fMid, 3, 3},
	"CONTAINS":      {fContains, 2, 2},
	"BEGINS":        {fBegins, 2, 2},
	"SUBSTITUTE":    {fSubstitute, 3, 3},
	"ISBLANK":       {fIsBlank, 1, 1},
	"ISNULL":        {fIsBlank, 1, 1},
	"BLANKVALUE":    {fBlankValue, 2, 2},
	"NULLVALUE":     {fBlankValue, 2, 2},
	"ISPICKVAL":     {fIsPickVal, 2, 2},
	"ABS":           {fAbs, 1, 1},
	"ROUND":         {fRound, 1, 2},
	"FLOOR":         {fFloor, 1, 1},
	"CEILING":       {fCeiling, 1, 1},
	"MIN":           {fMin, 1, -1},
	"MAX":           {fMax, 1, -1},
	"MOD":           {fMod, 2, 2},
	"TODAY":         {fToday, 0, 0},
	"NOW":           {fNow, 0, 0},
	"DATE":          {fDate, 3, 3},
	"DATEVALUE":     {fDateValue, 1, 1},
	"DATETIMEVALUE": {fDateTimeValue, 1, 1},
	"YEAR":          {fYear, 1, 1},
	"MONTH":         {fMonth, 1, 1},
	"DAY":           {fDay, 1, 1},
	"WEEKDAY":       {fWeekday, 1, 1},
	"ADDDAYS":       {fAddDays, 2, 2},
	"ADDMONTHS":     {fAddMonths, 2, 2},
	"DATEDIFF":      {fDateDiff, 2, 3},
}

// dateUnit is a DATEDIFF unit.
type dateUnit uint8

const (
	unitBad dateUnit = iota
	unitDay
	unitWeek
	unitMonth
	unitYear
	unitHour
	unitMinute
	unitSecond
)

// parseUnit accepts singular and plural unit names in any case.
func parseUnit(s string) dateUnit {
	var b [8]byte
	if len(s) > len(b) {
		return unitBad
	}
	n := copy(b[:], s)
	for i := range n {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	w := b[:n]
	if n > 1 && w[n-1] == 's' {
		w = w[:n-1]
	}
	switch string(w) {
	case "day":
		return unitDay
	case "week":
		return unitWeek
	case "month":
		return unitMonth
	case "year":
		return unitYear
	case "hour":
		return unitHour
	case "minute":
		return unitMinute
	case "second":
		return unitSecond
	}
	return unitBad
}
