package schema

import (
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// DateLayout is the stored and API form of a date.
const DateLayout = "2006-01-02"

// dateType is a calendar date without time zone, "2006-01-02".
type dateType struct{}

func (dateType) Name() string                   { return "date" }
func (dateType) JSONType() string               { return "string" }
func (dateType) Kind(*Field) Kind               { return KindDate }
func (dateType) Indexable() bool                { return true }
func (dateType) Check(*Field) []errs.FieldError { return nil }

func (dateType) Normalize(_ *Field, v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return nil, valueErr("format", "must be a date like 2026-01-31")
	}
	return s, nil
}

func (dateType) Render(_ *Field, stored any) any { return stored }

func (dateType) Schema(*Field) map[string]any {
	return map[string]any{"type": "string", "format": "date"}
}
