package schema

import "github.com/opencrm/crm/platform/errs"

// richtextMax is the longest rich text accepted, in characters.
const richtextMax = 131072

// richtextType is HTML text, sanitised on input with an allow-list (see
// Sanitize): scripts, event handlers and javascript: URLs never reach the
// store.
type richtextType struct{}

func (richtextType) Name() string                     { return "richtext" }
func (richtextType) JSONType() string                 { return "string" }
func (richtextType) Kind(*Field) Kind                 { return KindString }
func (richtextType) Check(f *Field) []errs.FieldError { return checkMaxLength(f, richtextMax) }

func (richtextType) Normalize(_ *Field, v any) (any, error) {
	t, err := normalizeText(v)
	if t == nil || err != nil {
		return nil, err
	}
	clean := Sanitize(t.(string))
	if clean == "" {
		return nil, nil
	}
	return clean, nil
}

func (richtextType) Render(_ *Field, stored any) any { return stored }

func (richtextType) Schema(f *Field) map[string]any {
	return f.constraints(map[string]any{"type": "string", "maxLength": richtextMax,
		"contentMediaType": "text/html"}, "maxLength")
}
