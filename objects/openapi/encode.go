package openapi

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// encoder writes the document's JSON: objects with their members in key
// order (so the output is deterministic), no insignificant white space, and
// no HTML escaping. It handles the value types the document is built from
// and falls back to encoding/json for any other.
type encoder struct {
	buf  []byte
	keys []string // scratch space for sorting, reused by depth
	err  error
}

func (e *encoder) value(v any) {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.str(x)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case json.Number:
		if x == "" {
			x = "0"
		}
		e.buf = append(e.buf, x...)
	case map[string]any:
		e.object(x)
	case []any:
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.value(el)
		}
		e.buf = append(e.buf, ']')
	case []obj:
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.object(el)
		}
		e.buf = append(e.buf, ']')
	default:
		b, err := json.Marshal(x)
		if err != nil && e.err == nil {
			e.err = err
		}
		e.buf = append(e.buf, b...)
	}
}

func (e *encoder) object(m map[string]any) {
	start := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.str(k)
		e.buf = append(e.buf, ':')
		e.value(m[k])
	}
	e.buf = append(e.buf, '}')
	e.keys = e.keys[:start]
}

// member writes one member of an object whose members are written in a
// fixed order; first says whether it opens the object.
func (e *encoder) member(first bool, k string, v any) {
	if first {
		e.buf = append(e.buf, '{')
	} else {
		e.buf = append(e.buf, ',')
	}
	e.str(k)
	e.buf = append(e.buf, ':')
	e.value(v)
}

const hexDigits = "0123456789abcdef"

// str writes a JSON string as encoding/json does without HTML escaping.
// Invalid UTF-8 goes through encoding/json, which replaces it.
func (e *encoder) str(s string) {
	if !utf8.ValidString(s) {
		b, _ := json.Marshal(s)
		e.buf = append(e.buf, b...)
		return
	}
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
			// U+2028 and U+2029 end lines in older JavaScript: escaped, as
			// encoding/json does.
			e.buf = append(e.buf, s[start:i]...)
			e.buf = append(e.buf, '\\', 'u', '2', '0', '2', hexDigits[s[i+2]&0xf])
			i += 2
			start = i + 1
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		switch c {
		case '"', '\\':
			e.buf = append(e.buf, '\\', c)
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
		case '\r':
			e.buf = append(e.buf, '\\', 'r')
		case '\t':
			e.buf = append(e.buf, '\\', 't')
		default:
			e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
}
