package query

import (
	"strconv"
	"strings"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// ParseSort parses a sort list such as "-createdAt,name": comma-separated
// field names, each optionally prefixed by '-' (descending) or '+'
// (ascending, the default). An empty or blank src is no sort (nil, nil).
//
// An unknown field is CodeUnknownField, a field that is not Sortable (a
// List field never is) CodeNotSortable, a field given twice CodeDuplicateField and more than
// MaxSortKeys keys CodeTooComplex; each names the field and its position.
// The store appends "id" as the final tie-breaker (store.FullSort).
func ParseSort(src string, fields Resolver) ([]store.SortKey, error) {
	items, err := splitList("sort", src)
	if err != nil {
		return nil, err
	}
	var keys []store.SortKey
	for _, it := range items {
		desc := false
		name, off := it.text, it.off
		if name[0] == '-' || name[0] == '+' {
			desc = name[0] == '-'
			name, off = name[1:], off+1
		}
		if err := checkName("sort", src, name, off); err != nil {
			return nil, err
		}
		f, ok := fields.Field(name)
		if !ok {
			return nil, posError("sort", src, off, CodeUnknownField, "unknown field '%s'", shorten(name))
		}
		if f.Kind == List {
			return nil, posError("sort", src, off, CodeNotSortable, "field '%s' cannot be sorted on: it holds several values", name)
		}
		if !f.Sortable {
			return nil, posError("sort", src, off, CodeNotSortable, "field '%s' cannot be sorted on", name)
		}
		for _, k := range keys {
			if k.Field == name {
				return nil, posError("sort", src, off, CodeDuplicateField, "field '%s' is already a sort key", name)
			}
		}
		if len(keys) == MaxSortKeys {
			return nil, posError("sort", src, it.off, CodeTooComplex, "a sort has at most %d keys", MaxSortKeys)
		}
		keys = append(keys, store.SortKey{Field: name, Desc: desc})
	}
	return keys, nil
}

// ParseFields parses a projection such as "name,email" into field names in
// the order given, without repeats (a repeated name is ignored). An empty or
// blank src is no projection (nil, nil): whole records. An unknown field is
// CodeUnknownField; more than MaxFields names is CodeTooComplex.
func ParseFields(src string, fields Resolver) ([]string, error) {
	items, err := splitList("fields", src)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if err := checkName("fields", src, it.text, it.off); err != nil {
			return nil, err
		}
		if _, ok := fields.Field(it.text); !ok {
			return nil, posError("fields", src, it.off, CodeUnknownField, "unknown field '%s'", shorten(it.text))
		}
		if seen[it.text] {
			continue
		}
		if len(out) == MaxFields {
			return nil, posError("fields", src, it.off, CodeTooComplex, "a projection has at most %d fields", MaxFields)
		}
		seen[it.text] = true
		out = append(out, it.text)
	}
	return out, nil
}

// ParseLimit parses the page size of `limit=`: an empty src is DefaultLimit;
// anything but an integer from 1 to MaxLimit is CodeBadLimit.
func ParseLimit(src string) (int, error) {
	src = strings.TrimSpace(src)
	if src == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(src)
	if err != nil || n < 1 || n > MaxLimit {
		msg := "limit must be an integer from 1 to " + strconv.Itoa(MaxLimit) + ", found '" + shorten(src) + "'"
		e := errs.New(errs.Malformed, CodeBadLimit, "%s", msg)
		e.Fields = []errs.FieldError{{Field: "limit", Code: "bad_limit", Message: msg}}
		return 0, e
	}
	return n, nil
}

type listItem struct {
	text string
	off  int // byte offset of text in the source
}

// splitList splits a comma-separated list, trimming blanks around items. An
// empty item (",," or a trailing comma) is a syntax error at its position.
func splitList(param, src string) ([]listItem, error) {
	if len(src) > MaxFilterLength {
		return nil, posError(param, src, MaxFilterLength, CodeTooComplex, "the %s list is longer than %d bytes", param, MaxFilterLength)
	}
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	var items []listItem
	start := 0
	for {
		end := strings.IndexByte(src[start:], ',')
		last := end < 0
		if last {
			end = len(src)
		} else {
			end += start
		}
		raw := src[start:end]
		lead := len(raw) - len(strings.TrimLeft(raw, " \t"))
		text := strings.TrimSpace(raw)
		if text == "" {
			found := "','"
			if last {
				found = "end of input"
			}
			return nil, posError(param, src, start+lead, CodeSyntax, "expected a field name, found %s", found)
		}
		items = append(items, listItem{text: text, off: start + lead})
		if last {
			return items, nil
		}
		start = end + 1
	}
}

// checkName refuses text that is not a field name at all.
func checkName(param, src, name string, off int) *errs.Error {
	if name == "" || store.ValidField(name) != nil {
		return posError(param, src, off, CodeSyntax, "expected a field name, found '%s'", shorten(name))
	}
	return nil
}
