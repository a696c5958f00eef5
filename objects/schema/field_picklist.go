package schema

import (
	"strings"

	"github.com/opencrm/crm/platform/errs"
)

// picklistType is one value out of the definition's "enum" list. Labels,
// colours and inactive flags come from x-crm-values; an inactive value is
// refused on new input but stays on the records that have it.
type picklistType struct{}

func (picklistType) Name() string     { return "picklist" }
func (picklistType) JSONType() string { return "string" }
func (picklistType) Kind(*Field) Kind { return KindString }
func (picklistType) Indexable() bool  { return true }

func (picklistType) Check(f *Field) []errs.FieldError { return checkValues(f) }

func (picklistType) Normalize(f *Field, v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	return s, checkPick(f, s)
}

func (picklistType) Render(_ *Field, stored any) any { return stored }

func (picklistType) Schema(f *Field) map[string]any {
	return map[string]any{"type": "string", "enum": valueList(f)}
}

// checkPick refuses a value that is not listed or is inactive.
func checkPick(f *Field, s string) error {
	pv, ok := f.Value(s)
	if !ok {
		return valueErr("enum", "must be one of %s", strings.Join(activeValues(f), ", "))
	}
	if pv.Inactive {
		return valueErr("inactive", "%q is no longer an allowed value", s)
	}
	return nil
}

// checkValues verifies that every key of x-crm-values is a listed value.
func checkValues(f *Field) []errs.FieldError {
	var out []errs.FieldError
	meta, _ := f.Def["x-crm-values"].(map[string]any)
	for k := range meta {
		if _, ok := f.Value(k); !ok {
			out = append(out, errs.FieldError{Field: f.Pointer() + "/x-crm-values/" + escapePointer(k),
				Code: "unknown_value", Message: "is not one of the field's values"})
		}
	}
	active := false
	for _, v := range f.Values {
		active = active || !v.Inactive
	}
	if len(f.Values) > 0 && !active {
		out = append(out, errs.FieldError{Field: f.Pointer() + "/x-crm-values", Code: "no_active_value",
			Message: "at least one value must be active"})
	}
	return out
}

func valueList(f *Field) []any {
	out := make([]any, len(f.Values))
	for i, v := range f.Values {
		out[i] = v.Value
	}
	return out
}

func activeValues(f *Field) []string {
	var out []string
	for _, v := range f.Values {
		if !v.Inactive {
			out = append(out, v.Value)
		}
	}
	return out
}

// escapePointer escapes one JSON pointer segment.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// NormalizeUpdate accepts the record's current value even when it has been
// made inactive since.
func (t picklistType) NormalizeUpdate(f *Field, v, old any) (any, error) {
	if s, ok := v.(string); ok && s != "" && s == old {
		if _, known := f.Value(s); known {
			return s, nil
		}
	}
	return t.Normalize(f, v)
}
