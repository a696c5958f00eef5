package schema

import (
	"net/url"
	"strings"

	"github.com/opencrm/crm/platform/errs"
)

// urlType is an absolute http or https URL.
type urlType struct{}

func (urlType) Name() string                     { return "url" }
func (urlType) JSONType() string                 { return "string" }
func (urlType) Kind(*Field) Kind                 { return KindString }
func (urlType) Indexable() bool                  { return true }
func (urlType) Check(f *Field) []errs.FieldError { return checkMaxLength(f, 2048) }

func (urlType) Normalize(_ *Field, v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, valueErr("format", "must be an http or https URL")
	}
	return s, nil
}

func (urlType) Render(_ *Field, stored any) any { return stored }

func (urlType) Schema(f *Field) map[string]any {
	return f.constraints(map[string]any{"type": "string", "format": "uri", "maxLength": 2048}, "maxLength")
}
