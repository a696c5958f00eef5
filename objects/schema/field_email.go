package schema

import (
	"net/mail"
	"strings"

	"github.com/opencrm/crm/platform/errs"
)

// emailType is one e-mail address (addr-spec only, no display name), stored
// as given without surrounding spaces.
type emailType struct{}

func (emailType) Name() string                     { return "email" }
func (emailType) JSONType() string                 { return "string" }
func (emailType) Kind(*Field) Kind                 { return KindString }
func (emailType) Indexable() bool                  { return true }
func (emailType) Check(f *Field) []errs.FieldError { return checkMaxLength(f, 254) }

func (emailType) Normalize(_ *Field, v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return nil, valueErr("format", "must be an e-mail address")
	}
	return s, nil
}

func (emailType) Render(_ *Field, stored any) any { return stored }

func (emailType) Schema(f *Field) map[string]any {
	return f.constraints(map[string]any{"type": "string", "format": "email", "maxLength": 254}, stringKeywords...)
}
