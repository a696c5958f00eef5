package schema

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/errs"
)

// autonumberFormat is a literal prefix, one {000...} group of 1 to 12 zeros
// giving the minimum width, and a literal suffix: "INV-{0000}".
var autonumberFormat = regexp.MustCompile(`^([^{}]{0,40})\{(0{1,12})\}([^{}]{0,40})$`)

// autonumberType is a read-only number the platform assigns on create from
// a per-object counter (store.NextSequence with SequenceName) and formats
// with FormatAutoNumber.
type autonumberType struct{}

func (autonumberType) Name() string     { return "autonumber" }
func (autonumberType) JSONType() string { return "string" }
func (autonumberType) Kind(*Field) Kind { return KindString }
func (autonumberType) Indexable() bool  { return true }
func (autonumberType) Computed() bool   { return true }

func (autonumberType) Check(f *Field) []errs.FieldError {
	if !autonumberFormat.MatchString(f.Format) {
		return []errs.FieldError{{Field: f.Pointer() + "/x-crm-format", Code: "format",
			Message: `must be a prefix, one group of zeros in braces and a suffix, like "INV-{0000}"`}}
	}
	return nil
}

func (autonumberType) Normalize(_ *Field, v any) (any, error) { return normalizeText(v) }

func (autonumberType) Render(_ *Field, stored any) any { return stored }

func (autonumberType) Schema(*Field) map[string]any {
	return map[string]any{"type": "string", "readOnly": true}
}

// FormatAutoNumber formats the n-th number of an auto-number field:
// FormatAutoNumber("INV-{0000}", 42) is "INV-0042"; a number wider than the
// group is written in full. An invalid format yields the bare number.
func FormatAutoNumber(format string, n int64) string {
	m := autonumberFormat.FindStringSubmatch(format)
	num := strconv.FormatInt(n, 10)
	if m == nil {
		return num
	}
	if pad := len(m[2]) - len(num); pad > 0 {
		num = strings.Repeat("0", pad) + num
	}
	return m[1] + num + m[3]
}

// SequenceName is the store counter of an object's auto-number field.
func SequenceName(object, field string) string { return "autonumber." + object + "." + field }
