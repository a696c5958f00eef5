package schema

import (
	"regexp"

	"github.com/opencrm/crm/platform/errs"
)

// phonePattern accepts international and national notations: digits,
// spaces, dots, dashes and parentheses, an optional leading plus sign and an
// optional extension.
const phonePattern = `^\+?[0-9][0-9 ().\-]{1,28}[0-9)]( ?(x|ext\.?) ?[0-9]{1,6})?$`

var phoneRe = regexp.MustCompile(phonePattern)

// phoneType is a telephone number, stored as given.
type phoneType struct{}

func (phoneType) Name() string                     { return "phone" }
func (phoneType) JSONType() string                 { return "string" }
func (phoneType) Kind(*Field) Kind                 { return KindString }
func (phoneType) Indexable() bool                  { return true }
func (phoneType) Check(f *Field) []errs.FieldError { return checkMaxLength(f, 40) }

func (phoneType) Normalize(_ *Field, v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	if !phoneRe.MatchString(s) {
		return nil, valueErr("format", "must be a phone number")
	}
	return s, nil
}

func (phoneType) Render(_ *Field, stored any) any { return stored }

func (phoneType) Schema(f *Field) map[string]any {
	return f.constraints(map[string]any{"type": "string", "pattern": phonePattern, "maxLength": 40}, "maxLength")
}
