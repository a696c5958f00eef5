package schema

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/opencrm/crm/platform/errs"
)

// numberType is a number ("number") or a percentage ("percent", 12.5 means
// 12.5 %), stored as a float64. With x-crm-scale, values with more decimal
// places are refused; the JSON type "integer" allows whole numbers only.
type numberType struct{ name string }

func (t numberType) Name() string   { return t.name }
func (numberType) JSONType() string { return "number" }
func (numberType) Kind(*Field) Kind { return KindNumber }
func (numberType) Indexable() bool  { return true }

func (numberType) Check(f *Field) []errs.FieldError { return nil }

func (numberType) Normalize(f *Field, v any) (any, error) {
	text, ok := decimalText(v)
	if !ok {
		return nil, valueErr("type", "must be a number")
	}
	d, ok := parseDecimal(text)
	if !ok {
		return nil, valueErr("type", "must be a number")
	}
	if f.Scale >= 0 && d.places() > f.Scale {
		return nil, valueErr("scale", "must have at most %d decimal places", f.Scale)
	}
	if f.defString("type") == "integer" && d.places() > 0 {
		return nil, valueErr("type", "must be a whole number")
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(x, 0) {
		return nil, valueErr("maximum", "is too large")
	}
	return x, nil
}

func (numberType) Render(_ *Field, stored any) any {
	switch n := stored.(type) {
	case float64, int64, json.Number:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	}
	return stored
}

func (t numberType) Schema(f *Field) map[string]any {
	typ := "number"
	if f.defString("type") == "integer" {
		typ = "integer"
	}
	return f.constraints(map[string]any{"type": typ}, numberKeywords...)
}
