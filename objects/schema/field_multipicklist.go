package schema

import "github.com/opencrm/crm/platform/errs"

// multipicklistType is a set of values out of the definition's
// "items.enum" list, stored as a list of strings in definition order
// without duplicates. An empty list is stored as no value.
type multipicklistType struct{}

func (multipicklistType) Name() string     { return "multipicklist" }
func (multipicklistType) JSONType() string { return "array" }
func (multipicklistType) Kind(*Field) Kind { return KindList }

func (multipicklistType) Check(f *Field) []errs.FieldError { return checkValues(f) }

func (multipicklistType) Normalize(f *Field, v any) (any, error) { return normalizeMulti(f, v, nil) }

// NormalizeUpdate accepts inactive values that the record had already.
func (multipicklistType) NormalizeUpdate(f *Field, v, old any) (any, error) {
	keep := map[string]bool{}
	if l, ok := old.([]any); ok {
		for _, s := range l {
			if str, ok := s.(string); ok {
				keep[str] = true
			}
		}
	}
	return normalizeMulti(f, v, keep)
}

func normalizeMulti(f *Field, v any, keep map[string]bool) (any, error) {
	list, ok := v.([]any)
	if !ok {
		if ss, isStrings := v.([]string); isStrings {
			for _, s := range ss {
				list = append(list, s)
			}
		} else {
			return nil, valueErr("type", "must be a list of values")
		}
	}
	chosen := make(map[string]bool, len(list))
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			return nil, valueErr("type", "must be a list of strings")
		}
		if err := checkPick(f, s); err != nil && !(keep[s] && ValueCode(err) == "inactive") {
			return nil, err
		}
		chosen[s] = true
	}
	if len(chosen) == 0 {
		return nil, nil
	}
	out := make([]any, 0, len(chosen))
	for _, pv := range f.Values {
		if chosen[pv.Value] {
			out = append(out, pv.Value)
		}
	}
	return out, nil
}

func (multipicklistType) Render(_ *Field, stored any) any { return stored }

func (multipicklistType) Schema(f *Field) map[string]any {
	return f.constraints(map[string]any{"type": "array", "uniqueItems": true,
		"items": map[string]any{"type": "string", "enum": valueList(f)}}, "minItems", "maxItems")
}
