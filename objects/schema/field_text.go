package schema

import (
	"unicode/utf8"

	"github.com/opencrm/crm/platform/errs"
)

// textType is a single-line text ("text", at most 255 characters by
// default) or a long text ("textarea", 32768). An empty string is stored as
// no value.
type textType struct {
	name   string
	maxLen int
}

func (t textType) Name() string                     { return t.name }
func (textType) JSONType() string                   { return "string" }
func (textType) Kind(*Field) Kind                   { return KindString }
func (t textType) Indexable() bool                  { return t.name == "text" }
func (t textType) Check(f *Field) []errs.FieldError { return checkMaxLength(f, t.maxLen) }

func (t textType) Normalize(f *Field, v any) (any, error) { return normalizeText(v) }

func (textType) Render(_ *Field, stored any) any { return stored }

func (t textType) Schema(f *Field) map[string]any {
	return f.constraints(map[string]any{"type": "string", "maxLength": t.maxLen}, stringKeywords...)
}

// checkMaxLength refuses a maxLength above the type's ceiling.
func checkMaxLength(f *Field, ceiling int) []errs.FieldError {
	if n, ok := f.defInt("maxLength"); ok && n > int64(ceiling) {
		return []errs.FieldError{{Field: f.Pointer() + "/maxLength", Code: "maximum",
			Message: "a " + f.TypeName + " field holds at most " + itoa(ceiling) + " characters"}}
	}
	return nil
}

// normalizeText accepts a valid UTF-8 string without NUL characters; an
// empty string becomes nil.
func normalizeText(v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	if !utf8.ValidString(s) {
		return nil, valueErr("format", "must be valid UTF-8 text")
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, valueErr("format", "must not contain NUL characters")
		}
	}
	return s, nil
}
