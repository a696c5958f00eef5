package schema

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// decimalText returns the decimal text of a numeric API value: json.Number
// as is, other Go numbers formatted exactly (the shortest text that
// round-trips a float64).
func decimalText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return string(n), true
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return "", false
		}
		return strconv.FormatFloat(n, 'f', -1, 64), true
	case float32:
		return decimalText(float64(n))
	case int64:
		return strconv.FormatInt(n, 10), true
	case int:
		return strconv.Itoa(n), true
	case int32:
		return strconv.FormatInt(int64(n), 10), true
	}
	return "", false
}

// decimal is a parsed decimal number: value = (-1 if neg) × digits × 10^exp,
// with digits free of leading and trailing zeros ("" for zero).
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// parseDecimal parses JSON number syntax (an optional minus sign, digits,
// an optional fraction and exponent) exactly.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	var b strings.Builder
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		b.WriteByte(s[i])
		i++
	}
	if i == intStart {
		return d, false
	}
	frac := 0
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
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
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < 100000 {
				exp = exp*10 + int(s[i]-'0')
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
	digits := strings.TrimLeft(b.String(), "0")
	exp -= frac
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	d.digits = trimmed
	d.exp = exp
	if d.digits == "" {
		d.neg, d.exp = false, 0
	}
	return d, true
}

// places returns the number of decimal places the value needs.
func (d decimal) places() int {
	if d.exp >= 0 {
		return 0
	}
	return -d.exp
}

// scaled returns the value × 10^scale as an int64, or false when it is not
// an integer (too many decimal places) or does not fit.
func (d decimal) scaled(scale int) (int64, bool, bool) {
	if d.digits == "" {
		return 0, true, true
	}
	shift := d.exp + scale
	if shift < 0 {
		return 0, false, true
	}
	if len(d.digits)+shift > 18 {
		return 0, true, false
	}
	n, err := strconv.ParseInt(d.digits+strings.Repeat("0", shift), 10, 64)
	if err != nil {
		return 0, true, false
	}
	if d.neg {
		n = -n
	}
	return n, true, true
}

// stringValue returns v as a string or a type error.
func stringValue(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", valueErr("type", "must be a string")
	}
	return s, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
