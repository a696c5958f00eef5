package records

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/opencrm/crm/platform/jsonx"
)

// Records are maps of JSON values, and encoding/json spends most of a
// list's answer on them: reflection for every value, sorting the keys, and
// then validating again what MarshalJSON returned. appendValue writes the
// same bytes as json.Marshal (sorted keys, the same number formats, the same
// escaping, including of <, > and &) for the types records hold, and falls
// back to json.Marshal for anything else; TestAppendJSON_matchesEncodingJSON
// holds it to that.

// AppendJSON appends the record's JSON to b.
func (r *Record) AppendJSON(b []byte) ([]byte, error) { return appendValue(b, r.Data) }

// AppendJSON appends the page's JSON ({"items":[…],"nextCursor":…}) to b.
func (p *Page) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"items":[`...)
	for i, r := range p.Items {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = r.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	b = append(b, `],"nextCursor":`...)
	if p.NextCursor == nil {
		return append(b, "null}"...), nil
	}
	b = appendString(b, *p.NextCursor)
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float64:
		return appendFloat(b, v)
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// appendFloat formats as encoding/json does: like ES6, plain notation
// between 1e-6 and 1e21, exponent notation outside, without a leading zero
// in a negative exponent's digits.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f) // the same UnsupportedValueError
		return nil, err
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b, nil
}

// appendString quotes s as encoding/json does, HTML escaping included.
func appendString(b []byte, s string) []byte { return jsonx.AppendString(b, s, true) }
