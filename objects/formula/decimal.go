package formula

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"

	"github.com/opencrm/crm/platform/errs"
)

// MaxScale is the largest number of decimal places a Decimal keeps. Results
// with more places (products, quotients) are rounded half away from zero.
const MaxScale = 18

// pow10 holds 10^0 … 10^19; all fit in a uint64.
var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// Decimal is an exact decimal number coef × 10^-scale with a 64-bit
// coefficient and 0 to 18 decimal places. Every number in a formula is a
// Decimal, so currency sums such as 0.1 + 0.2 are exactly 0.3. Addition,
// subtraction and comparison are exact; products and quotients keep as many
// places as fit in the coefficient (at most 18) and round half away from
// zero. A result whose integer part does not fit (about ±9.2e18) is an
// evaluation error, never a silent wrap. The zero value is 0.
type Decimal struct {
	coef  int64
	scale int8
}

// NewDecimal returns coef × 10^-scale, for example a currency amount stored
// as minor units: NewDecimal(1234, 2) is 12.34. scale must be within 0..18.
func NewDecimal(coef int64, scale int) (Decimal, error) {
	if scale < 0 || scale > MaxScale || coef == math.MinInt64 {
		return Decimal{}, errs.New(errs.Invalid, "formula.eval", "decimal %d×10^-%d is out of range", coef, scale)
	}
	return Decimal{coef: coef, scale: int8(scale)}, nil
}

// DecimalFromInt returns the integer i as a Decimal.
func DecimalFromInt(i int64) Decimal {
	if i == math.MinInt64 {
		i++ // NB: the one int64 without a positive counterpart; off by one in 9.2e18.
	}
	return Decimal{coef: i}
}

// DecimalFromFloat converts f through its shortest decimal representation, so
// DecimalFromFloat(0.1) is exactly 0.1 (not 0.1000000000000000055…). More
// than 18 decimal places are rounded; NaN, infinities and magnitudes above
// about 9.2e18 are errors.
func DecimalFromFloat(f float64) (Decimal, error) { return decimalFromFloat(f, 64) }

// decimalFromFloat uses the shortest form at the given precision (32 for a
// float32, so float32(0.1) is 0.1 too).
func decimalFromFloat(f float64, bitSize int) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, errs.New(errs.Invalid, "formula.eval", "number %v is not finite", f)
	}
	var buf [64]byte
	b := strconv.AppendFloat(buf[:0], f, 'f', -1, bitSize)
	d, ok := parseDecimal(b)
	if !ok {
		return Decimal{}, errs.New(errs.Invalid, "formula.eval", "number %v is out of range", f)
	}
	return d, nil
}

// ParseDecimal parses an optionally signed decimal such as "-12.50" or ".5".
// Exponents are not accepted. More than 18 decimal places are rounded half
// away from zero.
func ParseDecimal(s string) (Decimal, error) {
	d, ok := parseDecimal(s)
	if !ok {
		return Decimal{}, errs.New(errs.Invalid, "formula.eval", "%q is not a number", truncateForMessage(s))
	}
	return d, nil
}

func parseDecimal[T string | []byte](s T) (Decimal, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		i++
	}
	var coef uint64
	scale, digits, firstDropped := 0, 0, -1
	seenDot := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if seenDot {
				return Decimal{}, false
			}
			seenDot = true
			continue
		}
		if c < '0' || c > '9' {
			return Decimal{}, false
		}
		digits++
		d := uint64(c - '0')
		if firstDropped >= 0 {
			if !seenDot {
				return Decimal{}, false // the integer part does not fit
			}
			continue
		}
		if (seenDot && scale == MaxScale) || coef > (math.MaxInt64-d)/10 {
			if !seenDot {
				return Decimal{}, false
			}
			firstDropped = int(d)
			continue
		}
		coef = coef*10 + d
		if seenDot {
			scale++
		}
	}
	if digits == 0 {
		return Decimal{}, false
	}
	if firstDropped >= 5 {
		d, ok := norm128(neg, 0, coef+1, scale)
		return d, ok
	}
	c := int64(coef)
	if neg {
		c = -c
	}
	return Decimal{coef: c, scale: int8(scale)}, true
}

// Rescale returns d rounded half away from zero to scale places as a
// coefficient: the minor units of a currency amount. Rescale(2) of 12.345 is
// 1235.
func (d Decimal) Rescale(scale int) (int64, error) {
	if scale < 0 || scale > MaxScale {
		return 0, errs.New(errs.Invalid, "formula.eval", "scale %d is out of range", scale)
	}
	r, ok := d.round(scale)
	if ok && int(r.scale) < scale {
		hi, lo := bits.Mul64(mag(r.coef), pow10[scale-int(r.scale)])
		r, ok = norm128(r.coef < 0, hi, lo, scale)
		ok = ok && int(r.scale) == scale
	}
	if !ok {
		return 0, errs.New(errs.Invalid, "formula.eval", "number %s does not fit in %d places", d, scale)
	}
	return r.coef, nil
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	switch {
	case d.coef < 0:
		return -1
	case d.coef > 0:
		return 1
	}
	return 0
}

// IsInteger reports whether d has no fractional part.
func (d Decimal) IsInteger() bool {
	return d.scale == 0 || d.coef%int64(pow10[d.scale]) == 0
}

// Float64 returns the float64 nearest to d.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// String returns the shortest plain decimal form of d, without exponent and
// without trailing fractional zeros: 2.50 prints as "2.5".
func (d Decimal) String() string {
	var buf [48]byte
	return string(d.appendTo(buf[:0]))
}

// MarshalJSON encodes d as a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) {
	return d.appendTo(nil), nil
}

func (d Decimal) appendTo(b []byte) []byte {
	if d.coef < 0 {
		b = append(b, '-')
	}
	var tmp [24]byte
	digits := strconv.AppendUint(tmp[:0], mag(d.coef), 10)
	s := int(d.scale)
	for s > 0 && len(digits) > 0 && digits[len(digits)-1] == '0' && d.coef != 0 {
		digits = digits[:len(digits)-1]
		s--
	}
	if d.coef == 0 || s == 0 {
		return append(b, digits...)
	}
	if len(digits) <= s {
		b = append(b, '0', '.')
		for i := len(digits); i < s; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-s]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-s:]...)
}

// Cmp returns -1, 0 or +1 as d is less than, equal to or greater than o.
func (d Decimal) Cmp(o Decimal) int {
	if d.scale == o.scale {
		switch {
		case d.coef < o.coef:
			return -1
		case d.coef > o.coef:
			return 1
		}
		return 0
	}
	ds, os := d.Sign(), o.Sign()
	if ds != os {
		if ds < os {
			return -1
		}
		return 1
	}
	s := max(d.scale, o.scale)
	ahi, alo := bits.Mul64(mag(d.coef), pow10[s-d.scale])
	bhi, blo := bits.Mul64(mag(o.coef), pow10[s-o.scale])
	c := cmp128(ahi, alo, bhi, blo)
	if ds < 0 {
		c = -c
	}
	return c
}

func mag(c int64) uint64 {
	if c < 0 {
		return uint64(-c)
	}
	return uint64(c)
}

func cmp128(ahi, alo, bhi, blo uint64) int {
	switch {
	case ahi < bhi || (ahi == bhi && alo < blo):
		return -1
	case ahi == bhi && alo == blo:
		return 0
	}
	return 1
}

func div128by10(hi, lo uint64) (qhi, qlo, rem uint64) {
	qhi = hi / 10
	qlo, rem = bits.Div64(hi%10, lo, 10)
	return qhi, qlo, rem
}

// norm128 turns a 128-bit magnitude at a scale into a Decimal, dropping
// places (rounding half away from zero) until the coefficient fits in an
// int64 and the scale is at most MaxScale. It reports false when even the
// integer part does not fit.
func norm128(neg bool, hi, lo uint64, scale int) (Decimal, bool) {
	var last uint64
	dropped := false
	for {
		for scale > MaxScale || hi != 0 || lo > math.MaxInt64 {
			if scale == 0 {
				return Decimal{}, false
			}
			hi, lo, last = div128by10(hi, lo)
			dropped = true
			scale--
		}
		if dropped && last >= 5 {
			if lo == math.MaxInt64 {
				if scale == 0 {
					return Decimal{}, false
				}
				hi, lo, last = div128by10(hi, lo)
				scale--
				continue
			}
			lo++
		}
		break
	}
	c := int64(lo)
	if neg {
		c = -c
	}
	return Decimal{coef: c, scale: int8(scale)}, true
}

func (d Decimal) neg() Decimal { return Decimal{coef: -d.coef, scale: d.scale} }

func (d Decimal) abs() Decimal {
	if d.coef < 0 {
		return d.neg()
	}
	return d
}

func (d Decimal) add(o Decimal) (Decimal, bool) {
	if d.scale == o.scale {
		c := d.coef + o.coef
		// Overflow happened when both operands have the sign the sum lacks.
		if (d.coef >= 0) == (o.coef >= 0) && (c >= 0) != (d.coef >= 0) || c == math.MinInt64 {
			return d.addSlow(o)
		}
		return Decimal{coef: c, scale: d.scale}, true
	}
	return d.addSlow(o)
}

func (d Decimal) addSlow(o Decimal) (Decimal, bool) {
	s := max(d.scale, o.scale)
	ahi, alo := bits.Mul64(mag(d.coef), pow10[s-d.scale])
	bhi, blo := bits.Mul64(mag(o.coef), pow10[s-o.scale])
	an, bn := d.coef < 0, o.coef < 0
	if an == bn {
		lo, carry := bits.Add64(alo, blo, 0)
		hi, _ := bits.Add64(ahi, bhi, carry)
		return norm128(an, hi, lo, int(s))
	}
	if cmp128(ahi, alo, bhi, blo) < 0 {
		ahi, alo, bhi, blo, an = bhi, blo, ahi, alo, bn
	}
	lo, borrow := bits.Sub64(alo, blo, 0)
	hi, _ := bits.Sub64(ahi, bhi, borrow)
	if hi == 0 && lo == 0 {
		an = false
	}
	return norm128(an, hi, lo, int(s))
}

func (d Decimal) sub(o Decimal) (Decimal, bool) { return d.add(o.neg()) }

func (d Decimal) mul(o Decimal) (Decimal, bool) {
	hi, lo := bits.Mul64(mag(d.coef), mag(o.coef))
	neg := (d.coef < 0) != (o.coef < 0) && (hi != 0 || lo != 0)
	return norm128(neg, hi, lo, int(d.scale)+int(o.scale))
}

// quo divides by long division, producing decimal places until the quotient
// is exact, the scale reaches MaxScale or the coefficient is full, and then
// rounds half away from zero. o must not be zero.
func (d Decimal) quo(o Decimal) (Decimal, bool) {
	a, b := mag(d.coef), mag(o.coef)
	neg := (d.coef < 0) != (o.coef < 0)
	q, r := a/b, a%b
	// After k generated places the quotient is q×10^-k, so the result's
	// scale is k + d.scale - o.scale; it must not be negative.
	minK := int(o.scale) - int(d.scale)
	k := 0
	for {
		scale := k + int(d.scale) - int(o.scale)
		if (r == 0 && k >= minK) || scale == MaxScale {
			break
		}
		hi, lo := bits.Mul64(r, 10)
		digit, rem := bits.Div64(hi, lo, b)
		if q > (math.MaxInt64-digit)/10 {
			if k < minK {
				return Decimal{}, false
			}
			break
		}
		q, r = q*10+digit, rem
		k++
	}
	scale := k + int(d.scale) - int(o.scale)
	if r != 0 {
		hi, lo := bits.Mul64(r, 10)
		if next, _ := bits.Div64(hi, lo, b); next >= 5 {
			q++
		}
	}
	if q == 0 {
		neg = false
	}
	return norm128(neg, 0, q, scale)
}

// mod returns the remainder of truncated division: its sign is the sign of
// d, as in MOD(-7, 3) = -1. o must not be zero.
func (d Decimal) mod(o Decimal) (Decimal, bool) {
	s := max(d.scale, o.scale)
	ahi, alo := bits.Mul64(mag(d.coef), pow10[s-d.scale])
	bhi, blo := bits.Mul64(mag(o.coef), pow10[s-o.scale])
	var r uint64
	switch {
	case bhi == 0:
		r = bits.Rem64(ahi, alo, blo)
	case cmp128(ahi, alo, bhi, blo) < 0:
		return d, true
	default:
		// Both aligned magnitudes exceed 64 bits: rare enough for big.Int.
		x := new(big.Int).Lsh(new(big.Int).SetUint64(ahi), 64)
		x.Or(x, new(big.Int).SetUint64(alo))
		y := new(big.Int).Lsh(new(big.Int).SetUint64(bhi), 64)
		y.Or(y, new(big.Int).SetUint64(blo))
		x.Rem(x, y)
		rhi := new(big.Int).Rsh(x, 64).Uint64()
		rlo := new(big.Int).And(x, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
		return norm128(d.coef < 0 && x.Sign() != 0, rhi, rlo, int(s))
	}
	return norm128(d.coef < 0 && r != 0, 0, r, int(s))
}

// round rounds half away from zero to places decimal places; places may be
// negative (ROUND(1250, -2) = 1300).
func (d Decimal) round(places int) (Decimal, bool) {
	if places >= int(d.scale) {
		return d, true
	}
	k := int(d.scale) - places
	if k > 19 {
		return Decimal{}, true
	}
	m := mag(d.coef)
	q, r := m/pow10[k], m%pow10[k]
	if r >= pow10[k]/2 && k > 0 {
		q++
	}
	neg := d.coef < 0 && q != 0
	if places >= 0 {
		return norm128(neg, 0, q, places)
	}
	hi, lo := bits.Mul64(q, pow10[-places]) // k ≤ 19 ⇒ -places ≤ 19
	return norm128(neg, hi, lo, 0)
}

// floor rounds toward negative infinity to an integer.
func (d Decimal) floor() Decimal {
	if d.scale == 0 {
		return d
	}
	p := int64(pow10[d.scale])
	q := d.coef / p
	if d.coef%p != 0 && d.coef < 0 {
		q--
	}
	return Decimal{coef: q}
}

// ceil rounds toward positive infinity to an integer.
func (d Decimal) ceil() Decimal {
	if d.scale == 0 {
		return d
	}
	p := int64(pow10[d.scale])
	q := d.coef / p
	if d.coef%p != 0 && d.coef > 0 {
		q++
	}
	return Decimal{coef: q}
}

// trunc returns the integer part of d, rounded toward zero.
func (d Decimal) trunc() int64 {
	return d.coef / int64(pow10[d.scale])
}

func truncateForMessage(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
