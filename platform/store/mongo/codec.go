package mongo

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/opencrm/crm/platform/store"
)

// maxDepth bounds the nesting of a document (MongoDB refuses more than 100
// levels; the adapter keeps a margin).
const maxDepth = 90

// Keys of stored documents.
//
// The port's "id" is stored as _id. Other keys are stored as they are,
// unless MongoDB would read them as something else: a key that starts with
// "$" (an operator), contains "." (a path) or NUL, is empty, is a top-level
// "_id", or starts with the escape character "~" itself. Such a key is stored
// as "~" followed by the key with "~", "$", "." and NUL written as ~7E, ~24,
// ~2E and ~00. The mapping is reversible and never applies to a valid field
// name (store.ValidField), so queries address fields without escaping except
// for a top-level "_id".

// encodeKey returns the stored form of key (top tells whether it is a
// top-level key).
func encodeKey(key string, top bool) string {
	if key != "" && !strings.HasPrefix(key, "$") && !strings.HasPrefix(key, "~") &&
		!strings.ContainsAny(key, ".\x00") && !(top && key == "_id") {
		return key
	}
	var b strings.Builder
	b.WriteByte('~')
	for i := 0; i < len(key); i++ {
		switch c := key[i]; c {
		case '~', '$', '.', 0:
			fmt.Fprintf(&b, "~%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// decodeKey reverses encodeKey.
func decodeKey(key string) string {
	if !strings.HasPrefix(key, "~") {
		return key
	}
	var b strings.Builder
	s := key[1:]
	for i := 0; i < len(s); i++ {
		if s[i] == '~' && i+2 < len(s) {
			if c, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// path maps a validated field name or dotted path of the port to the stored
// path: "id" is _id, a top-level "_id" is escaped.
func path(field string) string {
	first, rest, dotted := strings.Cut(field, ".")
	switch first {
	case "id":
		first = "_id"
	case "_id":
		first = encodeKey("_id", true)
	}
	if dotted {
		return first + "." + rest
	}
	return first
}

// fieldOf maps a stored path back to the port's field name.
func fieldOf(p string) string {
	first, rest, dotted := strings.Cut(p, ".")
	if first == "_id" {
		first = "id"
	} else {
		first = decodeKey(first)
	}
	if dotted {
		return first + "." + rest
	}
	return first
}

// encodeDoc turns a port document into its stored form: nil values dropped,
// integers as int64, keys escaped, "id" as _id, version set to version.
// The second result is the normalised document the port returns.
func encodeDoc(doc store.Doc, version int64) (bson.D, store.Doc, error) {
	id, ok := doc["id"].(string)
	if !ok || id == "" {
		return nil, nil, store.ErrInvalidDocument.WithField("id", "required", "id must be a non-empty string")
	}
	norm := make(store.Doc, len(doc)+1)
	for k, v := range doc {
		if k == "id" || k == "version" || v == nil {
			continue
		}
		nv, err := normValue(v, 1)
		if err != nil {
			return nil, nil, invalidDoc(k, err)
		}
		if nv != nil {
			norm[k] = nv
		}
	}
	out := make(bson.D, 0, len(norm)+2)
	out = append(out, bson.E{Key: "_id", Value: id})
	for _, k := range sortedKeys(norm) {
		out = append(out, bson.E{Key: encodeKey(k, true), Value: toBSON(norm[k])})
	}
	out = append(out, bson.E{Key: "version", Value: version})
	norm["id"] = id
	norm["version"] = version
	return out, norm, nil
}

func invalidDoc(field string, err error) error {
	return store.ErrInvalidDocument.WithField(field, "type", err.Error())
}

// normValue normalises a value to the port's types: nil, bool, int64,
// float64, string, []any, map[string]any (without nil members). Other Go
// values go through JSON, as a JSON document store would see them.
func normValue(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels", maxDepth)
	}
	switch x := store.NormalizeValue(v).(type) {
	case nil:
		return nil, nil
	case bool, int64, string:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v is not a storable number", x)
		}
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ne, err := normValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = ne
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ne, err := normValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			if ne != nil {
				out[k] = ne
			}
		}
		return out, nil
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("unsupported value of type %T", v)
		}
		var back any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&back); err != nil {
			return nil, fmt.Errorf("unsupported value of type %T", v)
		}
		return normValue(back, depth)
	}
}

// toBSON converts a normalised value to what the driver encodes.
func toBSON(v any) any {
	switch x := v.(type) {
	case []any:
		out := make(bson.A, len(x))
		for i, e := range x {
			out[i] = toBSON(e)
		}
		return out
	case map[string]any:
		out := make(bson.D, 0, len(x))
		for _, k := range sortedKeys(x) {
			out = append(out, bson.E{Key: encodeKey(k, false), Value: toBSON(x[k])})
		}
		return out
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decodeDoc turns a stored document into a port document.
func decodeDoc(raw bson.Raw) (store.Doc, error) {
	elems, err := raw.Elements()
	if err != nil {
		return nil, err
	}
	out := make(store.Doc, len(elems))
	for _, e := range elems {
		k := e.Key()
		if k == "_id" {
			k = "id"
		} else {
			k = decodeKey(k)
		}
		v, err := decodeValue(e.Value())
		if err != nil {
			return nil, err
		}
		if v != nil {
			out[k] = v
		}
	}
	return out, nil
}

// decodeValue converts a BSON value to the port's types: numbers as int64
// or float64, arrays as []any, documents as map[string]any. Types the
// adapter never writes (from other tools) become their closest port value.
func decodeValue(rv bson.RawValue) (any, error) {
	switch rv.Type {
	case 0, bson.TypeNull, bson.TypeUndefined: // 0: absent
		return nil, nil
	case bson.TypeBoolean:
		return rv.Boolean(), nil
	case bson.TypeInt32:
		return int64(rv.Int32()), nil
	case bson.TypeInt64:
		return rv.Int64(), nil
	case bson.TypeDouble:
		return rv.Double(), nil
	case bson.TypeString:
		return rv.StringValue(), nil
	case bson.TypeEmbeddedDocument:
		elems, err := rv.Document().Elements()
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(elems))
		for _, e := range elems {
			v, err := decodeValue(e.Value())
			if err != nil {
				return nil, err
			}
			if v != nil {
				m[decodeKey(e.Key())] = v
			}
		}
		return m, nil
	case bson.TypeArray:
		vals, err := rv.Array().Values()
		if err != nil {
			return nil, err
		}
		out := make([]any, len(vals))
		for i, e := range vals {
			if out[i], err = decodeValue(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case bson.TypeDateTime:
		return rv.Time().UTC().Format("2006-01-02T15:04:05.000Z"), nil
	case bson.TypeObjectID:
		return rv.ObjectID().Hex(), nil
	case bson.TypeDecimal128:
		f, err := decimalFloat(rv)
		if err != nil {
			return nil, err
		}
		return f, nil
	case bson.TypeTimestamp:
		t, _ := rv.Timestamp()
		return time.Unix(int64(t), 0).UTC().Format("2006-01-02T15:04:05.000Z"), nil
	}
	return rv.String(), nil
}

func decimalFloat(rv bson.RawValue) (float64, error) {
	d := rv.Decimal128()
	var f float64
	if _, err := fmt.Sscan(d.String(), &f); err != nil {
		return 0, fmt.Errorf("decimal %s: %w", d.String(), err)
	}
	return f, nil
}
