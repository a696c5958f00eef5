package query

import (
	"fmt"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/errs"
)

// Stable error codes. Every one is of kind errs.Malformed (400) except
// CodeUnindexed, which is also a 400 but concerns the object's indexes.
const (
	CodeSyntax         = "query.syntax"          // the text is not in the language
	CodeUnknownField   = "query.unknown_field"   // no such field
	CodeTypeMismatch   = "query.type_mismatch"   // a literal or operator does not fit the field
	CodeNotFilterable  = "query.not_filterable"  // the field exists but cannot be filtered on
	CodeNotSortable    = "query.not_sortable"    // the field exists but cannot be sorted on
	CodeDuplicateField = "query.duplicate_field" // a sort key given twice
	CodeTooComplex     = "query.too_complex"     // a size limit was passed
	CodeBadCursor      = "query.bad_cursor"      // a cursor that is forged, garbled or of another query
	CodeBadLimit       = "query.bad_limit"       // a page size that is not 1..MaxLimit
	CodeUnindexed      = "query.unindexed"       // no index serves the filter and sort
)

// The limits of the language. They bound the work a single request can ask
// of the parser and of the store.
const (
	// MaxFilterLength is the longest filter accepted, in bytes.
	MaxFilterLength = 4096
	// MaxDepth is how deep parentheses and NOTs may nest.
	MaxDepth = 32
	// MaxInValues is the most values one IN list may hold.
	MaxInValues = 1000
	// MaxSortKeys is the most keys a sort may have.
	MaxSortKeys = 4
	// MaxFields is the most fields a projection may list.
	MaxFields = 200
	// DefaultLimit is the page size when the request gives none.
	DefaultLimit = 50
	// MaxLimit is the largest page size a request may ask for.
	MaxLimit = 200
	// MaxCursorLength is the longest cursor token accepted, in bytes.
	MaxCursorLength = 4096
)

// posError returns a Malformed error at a byte offset of src. param names the
// request parameter ("filter", "sort", "fields"); the field error carries the
// short code (the part after "query.") and the 1-based character position.
func posError(param, src string, off int, code, format string, args ...any) *errs.Error {
	pos := charPos(src, off)
	msg := fmt.Sprintf("position %d: ", pos) + fmt.Sprintf(format, args...)
	e := errs.New(errs.Malformed, code, "invalid %s: %s", param, msg)
	e.Fields = []errs.FieldError{{Field: param, Code: code[len("query."):], Message: msg, Position: pos}}
	return e
}

// charPos turns a byte offset into a 1-based character position. An offset
// inside an invalid UTF-8 sequence counts each byte as one character.
func charPos(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return utf8.RuneCountInString(src[:off]) + 1
}
