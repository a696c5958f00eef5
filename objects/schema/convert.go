package schema

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/errs"
)

// Type families for conversions.
var (
	textual = []string{"text", "textarea", "richtext", "email", "phone", "url", "picklist"}
	numeric = []string{"number", "currency", "percent"}
	plain   = []string{"text", "textarea"}
)

// Convertible reports whether values of one field type can be converted to
// another (value by value, some values may still fail): text-like types
// among themselves; numbers, currency and percent among themselves and
// from/to plain text; booleans, dates and date-times from/to plain text;
// date and date-time into one another; picklist and multi-picklist into one
// another; lookup and master-detail into one another; auto-numbers and
// lookups into plain text. Formula and roll-up fields hold no stored data
// to convert; geolocations convert to nothing.
func Convertible(from, to string) bool {
	if from == to {
		return true
	}
	in := func(list []string, a, b string) bool { return contains(list, a) && contains(list, b) }
	switch {
	case in(textual, from, to), in(numeric, from, to):
		return true
	case contains(plain, to) && (contains(numeric, from) || contains([]string{"boolean", "date", "datetime",
		"multipicklist", "autonumber", "lookup", "masterdetail"}, from)):
		return true
	case contains(plain, from) && (contains(numeric, to) || contains([]string{"boolean", "date", "datetime"}, to)):
		return true
	case in([]string{"date", "datetime"}, from, to), in([]string{"picklist", "multipicklist"}, from, to),
		in([]string{"lookup", "masterdetail"}, from, to):
		return true
	}
	return false
}

// Converter returns the function that turns a value stored under the
// field from (of the old definition) into the stored form of the field of
// the same name in this validator's object, checking it against the new
// definition: its type, constraints, values and required flag. It is what a
// migration job runs over every record, first as a dry run that collects
// the failures. The second result is false when the field is gone,
// computed, or of a type the old one cannot convert to.
func (v *Validator) Converter(from *Field) (func(stored any) (any, *errs.FieldError), bool) {
	to, ok := v.obj.byName[from.Name]
	if !ok || to.System || to.Deleted || to.ReadOnly() || !Convertible(from.TypeName, to.TypeName) || (from.Computed() && from.TypeName != "autonumber") {
		return nil, false
	}
	return func(stored any) (any, *errs.FieldError) {
		if stored == nil {
			if to.Required && !to.Deleted {
				return nil, &errs.FieldError{Field: to.Name, Code: "required", Message: "has no value"}
			}
			return nil, nil
		}
		api, err := coerce(from.Render(stored), from, to)
		if err != nil {
			return nil, &errs.FieldError{Field: to.Name, Code: ValueCode(err), Message: err.(*ValueError).Message}
		}
		var old map[string]any
		if from.TypeName == to.TypeName {
			old = map[string]any{to.Name: stored}
		}
		out, problems := v.Prepare(map[string]any{to.Name: api}, old, Update)
		if len(problems) > 0 {
			return nil, &problems[0]
		}
		return out[to.Name], nil
	}, true
}

// coerce turns an API value of field from into API input for field to.
func coerce(v any, from, to *Field) (any, error) {
	if from.TypeName == to.TypeName {
		return v, nil
	}
	switch {
	case contains(numeric, to.TypeName):
		if s, ok := v.(string); ok {
			s = strings.TrimSpace(s)
			if _, ok := parseDecimal(s); !ok {
				return nil, valueErr("type", "%q is not a number", s)
			}
			return json.Number(s), nil
		}
		return v, nil
	case to.TypeName == "boolean":
		if s, ok := v.(string); ok {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return nil, valueErr("type", "%q is not true or false", s)
			}
			return b, nil
		}
	case to.TypeName == "datetime" && from.TypeName == "date":
		return v.(string) + "T00:00:00Z", nil
	case to.TypeName == "date" && from.TypeName == "datetime":
		return v.(string)[:10], nil
	case to.TypeName == "multipicklist":
		return []any{v}, nil
	case to.TypeName == "picklist" && from.TypeName == "multipicklist":
		list, _ := v.([]any)
		if len(list) != 1 {
			return nil, valueErr("type", "holds %d values, a picklist holds one", len(list))
		}
		return list[0], nil
	}
	// Into text.
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i], _ = p.(string)
		}
		return strings.Join(parts, ";"), nil
	}
	if s, ok := decimalText(v); ok {
		return s, nil
	}
	return v, nil
}
