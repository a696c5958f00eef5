package schema

import (
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// DateTimeLayout is the stored and API form of a date-time: UTC with
// milliseconds, fixed width, so that string order is time order.
const DateTimeLayout = "2006-01-02T15:04:05.000Z"

// datetimeType is an instant. Input is RFC 3339 with any offset; it is
// stored in UTC at millisecond precision (finer digits are truncated).
type datetimeType struct{}

func (datetimeType) Name() string                   { return "datetime" }
func (datetimeType) JSONType() string               { return "string" }
func (datetimeType) Kind(*Field) Kind               { return KindDateTime }
func (datetimeType) Indexable() bool                { return true }
func (datetimeType) Check(*Field) []errs.FieldError { return nil }

func (datetimeType) Normalize(_ *Field, v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, valueErr("format", "must be a date-time like 2026-01-31T10:00:00Z")
	}
	out, err := FormatDateTime(t)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FormatDateTime returns the stored form of t, or a "format" error for a
// year outside 0000-9999.
func FormatDateTime(t time.Time) (string, error) {
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return "", valueErr("format", "must be between the years 0000 and 9999")
	}
	return t.Format(DateTimeLayout), nil
}

func (datetimeType) Render(_ *Field, stored any) any { return stored }

func (datetimeType) Schema(*Field) map[string]any {
	return map[string]any{"type": "string", "format": "date-time"}
}
