package formula

import (
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// The supported calendar range, years 0001 to 9999, in days since
// 1970-01-01.
const (
	minDays = -719162 // 0001-01-01
	maxDays = 2932896 // 9999-12-31
)

// Date is a calendar date without time of day or time zone (proleptic
// Gregorian, years 1 to 9999). The zero value is 1970-01-01.
type Date struct {
	days int32 // days since 1970-01-01
}

// NewDate returns the date y-m-d, or an error when it does not exist (such as
// 2023-02-29) or lies outside years 1 to 9999.
func NewDate(y int, m time.Month, d int) (Date, error) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return Date{}, errInvalidDate(y, m, d)
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return Date{}, errInvalidDate(y, m, d)
	}
	return Date{days: int32(t.Unix() / 86400)}, nil
}

func errInvalidDate(y int, m time.Month, d int) error {
	return errs.New(errs.Invalid, "formula.eval", "%04d-%02d-%02d is not a valid date", y, int(m), d)
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{days: int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)}
}

// ParseDate parses "YYYY-MM-DD". A longer RFC 3339 timestamp is accepted too,
// and its calendar date as written is taken ("2024-03-01T23:00:00-05:00" is
// 2024-03-01).
func ParseDate(s string) (Date, error) {
	if len(s) > 10 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') {
		s = s[:10]
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, errs.New(errs.Invalid, "formula.eval", "%q is not a date (YYYY-MM-DD)", truncateForMessage(s))
	}
	y, ok1 := atoiDigits(s[0:4])
	m, ok2 := atoiDigits(s[5:7])
	d, ok3 := atoiDigits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, errs.New(errs.Invalid, "formula.eval", "%q is not a date (YYYY-MM-DD)", s)
	}
	return NewDate(y, time.Month(m), d)
}

// parseDateTime parses an RFC 3339 timestamp, or a bare date taken as
// midnight UTC.
func parseDateTime(s string) (time.Time, error) {
	if len(s) == 10 {
		d, err := ParseDate(s)
		if err != nil {
			return time.Time{}, err
		}
		return d.Time(time.UTC), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, errs.New(errs.Invalid, "formula.eval", "%q is not a date-time (RFC 3339)", truncateForMessage(s))
	}
	return t, nil
}

func atoiDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// Date returns the year, month and day.
func (d Date) Date() (year int, month time.Month, day int) {
	return time.Unix(int64(d.days)*86400, 0).UTC().Date()
}

// Time returns midnight of d in loc (UTC when loc is nil).
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Weekday((int64(d.days)%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
}

// String returns the date as YYYY-MM-DD.
func (d Date) String() string {
	var b [10]byte
	return string(d.appendTo(b[:0]))
}

func (d Date) appendTo(b []byte) []byte {
	y, m, day := d.Date()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+int(m)/10), byte('0'+int(m)%10), '-')
	return append(b, byte('0'+day/10), byte('0'+day%10))
}

// MarshalJSON encodes the date as a "YYYY-MM-DD" JSON string.
func (d Date) MarshalJSON() ([]byte, error) {
	b := append(make([]byte, 0, 12), '"')
	return append(d.appendTo(b), '"'), nil
}

// addDays returns d+n days, or false outside years 1 to 9999.
func (d Date) addDays(n int64) (Date, bool) {
	r := int64(d.days) + n
	if n > maxDays-minDays || n < minDays-maxDays || r < minDays || r > maxDays {
		return Date{}, false
	}
	return Date{days: int32(r)}, true
}

// addMonths adds n calendar months, clamping the day to the last day of the
// target month: 2024-01-31 plus one month is 2024-02-29.
func (d Date) addMonths(n int64) (Date, bool) {
	y, m, day := d.Date()
	total := int64(y)*12 + int64(m) - 1 + n
	if total < 12 || total > 9999*12+11 {
		return Date{}, false
	}
	ny, nm := int(total/12), time.Month(total%12+1)
	if last := daysIn(ny, nm); day > last {
		day = last
	}
	r, err := NewDate(ny, nm, day)
	return r, err == nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// monthsBetween returns the number of complete months from a to b: the
// largest n with addMonths(a, n) <= b when b >= a, and the n closest to zero
// with addMonths(a, n) >= b when b < a.
func monthsBetween(a, b Date) int64 {
	ay, am, _ := a.Date()
	by, bm, _ := b.Date()
	n := int64(by-ay)*12 + int64(bm-am)
	c, _ := a.addMonths(n)
	switch {
	case b.days >= a.days && c.days > b.days:
		n--
	case b.days < a.days && c.days < b.days:
		n++
	}
	return n
}
