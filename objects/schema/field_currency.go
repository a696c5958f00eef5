package schema

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/errs"
)

// DefaultCurrencyScale is the number of decimal places of a currency field
// without x-crm-scale.
const DefaultCurrencyScale = 2

// currencyType is an exact amount of money. It is stored as an int64 count
// of minor units (12.34 with scale 2 is 1234), so sums stay exact, and
// rendered back as an exact JSON number. Input with more decimal places than
// the scale is refused rather than rounded.
type currencyType struct{}

func (currencyType) Name() string                     { return "currency" }
func (currencyType) JSONType() string                 { return "number" }
func (currencyType) Kind(*Field) Kind                 { return KindNumber }
func (currencyType) Indexable() bool                  { return true }
func (currencyType) Check(f *Field) []errs.FieldError { return nil }

func (currencyType) Normalize(f *Field, v any) (any, error) {
	return ToMinorUnits(v, f.Scale)
}

func (currencyType) Render(f *Field, stored any) any { return renderMinor(stored, f.Scale) }

func (currencyType) Schema(f *Field) map[string]any {
	return f.constraints(map[string]any{"type": "number"}, numberKeywords...)
}

// ToMinorUnits converts an API amount (json.Number, float64, int64...) into
// minor units at the given scale. More decimal places than the scale are a
// "scale" error; an amount beyond ±10^18 minor units a "maximum" error.
func ToMinorUnits(v any, scale int) (int64, error) {
	text, ok := decimalText(v)
	if !ok {
		return 0, valueErr("type", "must be a number")
	}
	d, ok := parseDecimal(text)
	if !ok {
		return 0, valueErr("type", "must be a number")
	}
	n, exact, fits := d.scaled(scale)
	if !exact {
		return 0, valueErr("scale", "must have at most %d decimal places", scale)
	}
	if !fits {
		return 0, valueErr("maximum", "is too large")
	}
	return n, nil
}

// FormatMinorUnits renders minor units at the given scale as an exact JSON
// number: 1234 at scale 2 is 12.34.
func FormatMinorUnits(minor int64, scale int) json.Number {
	neg := minor < 0
	var digits string
	if neg {
		digits = strconv.FormatUint(uint64(-(minor+1))+1, 10)
	} else {
		digits = strconv.FormatInt(minor, 10)
	}
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		digits = "-" + digits
	}
	return json.Number(digits)
}

// renderMinor renders a stored currency value; adapters may hand back other
// numeric Go types, which are rounded to whole minor units.
func renderMinor(stored any, scale int) any {
	switch n := stored.(type) {
	case int64:
		return FormatMinorUnits(n, scale)
	case int:
		return FormatMinorUnits(int64(n), scale)
	case int32:
		return FormatMinorUnits(int64(n), scale)
	case float64:
		if math.Abs(n) < 1e18 {
			return FormatMinorUnits(int64(math.Round(n)), scale)
		}
	}
	return stored
}
