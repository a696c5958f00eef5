package sqlite

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/opencrm/crm/platform/jsonx"
	"github.com/opencrm/crm/platform/store"
)

// encodeDoc validates doc and returns the JSON of its fields other than id
// and version, together with the normalised document the store returns
// (integers as int64, nil values removed, nested values copied).
func encodeDoc(doc store.Doc) (id string, data []byte, norm store.Doc, err error) {
	id, ok := doc["id"].(string)
	if !ok || id == "" {
		return "", nil, nil, store.ErrInvalidDocument.WithField("id", "required", "the document needs a non-empty string id")
	}
	norm = make(store.Doc, len(doc)+1)
	buf := make([]byte, 0, 256)
	buf = append(buf, '{')
	first := true
	for k, v := range doc {
		if k == "id" || k == "version" {
			continue
		}
		nv, keep, err := normValue(k, v)
		if err != nil {
			return "", nil, nil, err
		}
		if !keep {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = appendValue(buf, nv)
		norm[k] = nv
	}
	buf = append(buf, '}')
	norm["id"] = id
	return id, buf, norm, nil
}

// normValue normalises one value; keep is false for nil.
func normValue(field string, v any) (out any, keep bool, err error) {
	v = store.NormalizeValue(v)
	switch v := v.(type) {
	case nil:
		return nil, false, nil
	case bool, int64, string:
		return v, true, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false, invalidValue(field, "NaN and infinite numbers cannot be stored")
		}
		return v, true, nil
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			ne, keep, err := normValue(field+"."+k, e)
			if err != nil {
				return nil, false, err
			}
			if keep {
				m[k] = ne
			}
		}
		return m, true, nil
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			ne, _, err := normValue(field, e)
			if err != nil {
				return nil, false, err
			}
			a[i] = ne // a nil element keeps its place
		}
		return a, true, nil
	case []string:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = e
		}
		return a, true, nil
	case []map[string]any:
		a := make([]any, len(v))
		for i, e := range v {
			ne, _, err := normValue(field, e)
			if err != nil {
				return nil, false, err
			}
			a[i] = ne
		}
		return a, true, nil
	}
	return nil, false, invalidValue(field, "unsupported value type")
}

func invalidValue(field, msg string) error {
	e := store.ErrInvalidDocument.WithField(field, "type", msg)
	e.Message = "invalid value of " + field
	return e
}

// appendValue appends the JSON of a normalised value. A float64 always
// carries a '.' or an exponent, so that it reads back as a float64 and an
// int64 as an int64.
func appendValue(buf []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		return strconv.AppendBool(buf, v)
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case float64:
		start := len(buf)
		abs := math.Abs(v)
		if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
			buf = strconv.AppendFloat(buf, v, 'e', -1, 64)
		} else {
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
		}
		if !bytes.ContainsAny(buf[start:], ".e") {
			buf = append(buf, ".0"...)
		}
		return buf
	case string:
		return appendString(buf, v)
	case []any:
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendValue(buf, e)
		}
		return append(buf, ']')
	case map[string]any:
		buf = append(buf, '{')
		first := true
		for k, e := range v {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, k)
			buf = append(buf, ':')
			buf = appendValue(buf, e)
		}
		return append(buf, '}')
	}
	panic("sqlite: appendValue of a value normValue did not produce")
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(buf []byte, s string) []byte { return jsonx.AppendString(buf, s, false) }

// decodeDoc decodes stored JSON into a document with int64 and float64
// numbers and adds id and version.
func decodeDoc(id string, version int64, data []byte) (store.Doc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	doc := store.Doc{}
	if err := dec.Decode(&doc); err != nil {
		return nil, internal("decode document", err)
	}
	for k, v := range doc {
		doc[k] = fromJSON(v)
	}
	doc["id"] = id
	doc["version"] = version
	return doc, nil
}

// fromJSON turns json.Number into int64 or float64, recursively.
func fromJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		return store.NormalizeValue(v)
	case map[string]any:
		for k, e := range v {
			v[k] = fromJSON(e)
		}
	case []any:
		for i, e := range v {
			v[i] = fromJSON(e)
		}
	}
	return v
}

// project keeps only the given fields (dotted paths keep the nested value
// inside its parents) plus id and version.
func project(doc store.Doc, fields []string) store.Doc {
	if len(fields) == 0 {
		return doc
	}
	out := store.Doc{"id": doc["id"], "version": doc["version"]}
	for _, f := range fields {
		v := store.Lookup(doc, f)
		if v == nil {
			continue
		}
		setPath(out, f, v)
	}
	return out
}

func setPath(doc store.Doc, path string, v any) {
	cur := doc
	for {
		i := indexByte(path, '.')
		if i < 0 {
			cur[path] = v
			return
		}
		next, ok := cur[path[:i]].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[path[:i]] = next
		}
		cur, path = next, path[i+1:]
	}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
