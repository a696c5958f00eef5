package schema

import "github.com/opencrm/crm/platform/errs"

// booleanType is a checkbox. Without a default in the definition a new
// record gets false.
type booleanType struct{}

func (booleanType) Name() string                   { return "boolean" }
func (booleanType) JSONType() string               { return "boolean" }
func (booleanType) Kind(*Field) Kind               { return KindBool }
func (booleanType) Indexable() bool                { return true }
func (booleanType) Check(*Field) []errs.FieldError { return nil }

func (booleanType) ImplicitDefault(*Field) (any, bool) { return false, true }

func (booleanType) Normalize(_ *Field, v any) (any, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, valueErr("type", "must be true or false")
	}
	return b, nil
}

func (booleanType) Render(_ *Field, stored any) any { return stored }

func (booleanType) Schema(*Field) map[string]any { return map[string]any{"type": "boolean"} }
