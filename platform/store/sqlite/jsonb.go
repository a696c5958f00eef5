package sqlite

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/opencrm/crm/platform/store"
)

// SQLite JSONB element types (https://sqlite.org/jsonb.html). A header byte
// holds the type in its low four bits and the payload size, or how many
// bytes encode the size, in its high four bits.
const (
	jbNull    = 0
	jbTrue    = 1
	jbFalse   = 2
	jbInt     = 3
	jbInt5    = 4
	jbFloat   = 5
	jbFloat5  = 6
	jbText    = 7
	jbTextJ   = 8
	jbText5   = 9
	jbTextRaw = 10
	jbArray   = 11
	jbObject  = 12
)

var errJSONB = errors.New("malformed JSONB")

// decodeJSONB reads a stored JSONB document directly, which is several
// times faster than asking SQLite for JSON text and parsing that with
// encoding/json.
func decodeJSONB(b []byte) (store.Doc, error) {
	v, rest, err := jsonbValue(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok || len(rest) != 0 {
		return nil, errJSONB
	}
	return m, nil
}

// jsonbHeader returns an element's type, its payload and what follows it.
func jsonbHeader(b []byte) (typ byte, payload, rest []byte, err error) {
	if len(b) == 0 {
		return 0, nil, nil, errJSONB
	}
	typ = b[0] & 0x0f
	size := uint64(b[0] >> 4)
	hdr := 1
	if size >= 12 {
		n := 1 << (size - 12) // 1, 2, 4 or 8 bytes of big-endian size
		if len(b) < 1+n {
			return 0, nil, nil, errJSONB
		}
		size = 0
		for _, c := range b[1 : 1+n] {
			size = size<<8 | uint64(c)
		}
		hdr = 1 + n
	}
	if uint64(len(b)-hdr) < size {
		return 0, nil, nil, errJSONB
	}
	end := hdr + int(size)
	return typ, b[hdr:end], b[end:], nil
}

func jsonbValue(b []byte) (any, []byte, error) {
	typ, p, rest, err := jsonbHeader(b)
	if err != nil {
		return nil, nil, err
	}
	switch typ {
	case jbNull:
		return nil, rest, nil
	case jbTrue:
		return true, rest, nil
	case jbFalse:
		return false, rest, nil
	case jbInt, jbInt5:
		s, base := string(p), 10
		if typ == jbInt5 {
			base = 0 // JSON5 hexadecimal
		}
		if i, err := strconv.ParseInt(s, base, 64); err == nil {
			return i, rest, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, nil, errJSONB
		}
		return f, rest, nil
	case jbFloat, jbFloat5:
		f, err := strconv.ParseFloat(string(p), 64)
		if err != nil {
			return nil, nil, errJSONB
		}
		return f, rest, nil
	case jbText, jbTextRaw:
		return string(p), rest, nil
	case jbTextJ, jbText5:
		var s string
		q := make([]byte, 0, len(p)+2)
		q = append(append(append(q, '"'), p...), '"')
		if err := json.Unmarshal(q, &s); err != nil {
			return nil, nil, errJSONB
		}
		return s, rest, nil
	case jbArray:
		a := []any{}
		for len(p) > 0 {
			v, next, err := jsonbValue(p)
			if err != nil {
				return nil, nil, err
			}
			a = append(a, v)
			p = next
		}
		return a, rest, nil
	case jbObject:
		m := make(map[string]any, 16)
		for len(p) > 0 {
			k, next, err := jsonbValue(p)
			if err != nil {
				return nil, nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, nil, errJSONB
			}
			v, next, err := jsonbValue(next)
			if err != nil {
				return nil, nil, err
			}
			m[key] = v
			p = next
		}
		return m, rest, nil
	}
	return nil, nil, errJSONB
}
