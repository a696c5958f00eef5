package query

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Binding is what a cursor belongs to: a page of one object of one tenant,
// for one filter and sort. A cursor decoded with any other binding is
// refused.
type Binding struct {
	Tenant string
	Object string
	// Filter is the client's filter as parsed (before any visibility filter
	// the service adds; nil for none). It is bound in its store.Normalize
	// form, so "NOT a = 1" and "a != 1" share cursors; other rewrites (such
	// as reordering an AND) make another binding.
	Filter store.Filter
	// Sort is the client's sort; store.FullSort is applied before binding.
	Sort []store.SortKey
	// Extra binds the cursor to anything else the caller chooses, such as
	// the user id, so that one user's cursor is refused for another.
	Extra string
}

// Cursors encodes and decodes keyset cursors: opaque base64url tokens that
// carry the store's Page.Next values with their types (nil, bool, int64,
// float64, string), signed with HMAC-SHA256 under Key over the values and the
// binding.
//
// NB: changing Key invalidates every cursor in circulation; clients then get
// query.bad_cursor and start again from the first page.
type Cursors struct {
	// Key is the server's secret; at least 32 bytes.
	Key []byte
}

// MinCursorKey is the shortest Key Cursors accepts.
const MinCursorKey = 32

const cursorVersion = 1

// Validate checks the configuration.
func (c Cursors) Validate() error {
	if len(c.Key) < MinCursorKey {
		return fmt.Errorf("query: cursor key must be at least %d bytes, have %d", MinCursorKey, len(c.Key))
	}
	return nil
}

// Encode returns the token that continues after next (a Page.Next) for the
// binding. It fails only on a misconfiguration or a bug: a short key, a
// binding whose filter does not normalise, or a value that is not a scalar.
func (c Cursors) Encode(b Binding, next []any) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	digest, err := bindingDigest(b)
	if err != nil {
		return "", fmt.Errorf("query: encode cursor: %w", err)
	}
	payload := []byte{cursorVersion}
	payload = binary.AppendUvarint(payload, uint64(len(next)))
	for i, v := range next {
		if payload, err = appendValue(payload, store.NormalizeValue(v)); err != nil {
			return "", fmt.Errorf("query: encode cursor value %d: %w", i, err)
		}
	}
	token := append(payload, c.mac(digest, payload)...)
	return base64.RawURLEncoding.EncodeToString(token), nil
}

// Decode returns the keyset values of a token made by Encode for the same
// binding and key. A token that is garbled, altered, made with another key
// or for another binding, or whose values do not fit the binding's sort is
// an *errs.Error of kind Malformed with code CodeBadCursor.
func (c Cursors) Decode(token string, b Binding) ([]any, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	digest, err := bindingDigest(b)
	if err != nil {
		return nil, fmt.Errorf("query: decode cursor: %w", err)
	}
	if len(token) > MaxCursorLength {
		return nil, badCursor("the cursor is too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 1+sha256.Size {
		return nil, badCursor("the cursor is not one this server made")
	}
	payload, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !hmac.Equal(sum, c.mac(digest, payload)) {
		return nil, badCursor("the cursor was altered or belongs to another query (tenant, object, filter or sort)")
	}
	vals, err := decodeValues(payload)
	if err != nil || len(vals) != len(store.FullSort(b.Sort)) {
		// Signed by us yet unreadable: only a format change can do this.
		return nil, badCursor("the cursor is from an incompatible version")
	}
	return vals, nil
}

func badCursor(msg string) *errs.Error {
	e := errs.New(errs.Malformed, CodeBadCursor, "invalid cursor: %s; request the first page again", msg)
	e.Fields = []errs.FieldError{{Field: "cursor", Code: "bad_cursor", Message: msg}}
	return e
}

func (c Cursors) mac(digest, payload []byte) []byte {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte("crm.query.cursor\x00"))
	m.Write(digest)
	m.Write(payload)
	return m.Sum(nil)
}

// bindingDigest hashes a canonical encoding of the binding: length-prefixed
// strings and a typed, prefix-free rendering of the normalised filter and
// the full sort.
func bindingDigest(b Binding) ([]byte, error) {
	f, err := store.Normalize(b.Filter)
	if err != nil {
		return nil, err
	}
	var buf []byte
	buf = appendString(buf, b.Tenant)
	buf = appendString(buf, b.Object)
	buf = appendString(buf, b.Extra)
	if buf, err = appendFilter(buf, f); err != nil {
		return nil, err
	}
	sort := store.FullSort(b.Sort)
	buf = binary.AppendUvarint(buf, uint64(len(sort)))
	for _, k := range sort {
		buf = appendString(buf, k.Field)
		buf = appendBool(buf, k.Desc)
	}
	sum := sha256.Sum256(buf)
	return sum[:], nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func appendBool(buf []byte, v bool) []byte {
	if v {
		return append(buf, 1)
	}
	return append(buf, 0)
}

// Value tags of the cursor and binding encodings.
const (
	tagNil    = 'n'
	tagFalse  = 'f'
	tagTrue   = 't'
	tagInt    = 'i'
	tagFloat  = 'd'
	tagString = 's'
)

func appendValue(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, tagNil), nil
	case bool:
		if x {
			return append(buf, tagTrue), nil
		}
		return append(buf, tagFalse), nil
	case int64:
		return binary.AppendVarint(append(buf, tagInt), x), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("not a finite number: %v", x)
		}
		return binary.BigEndian.AppendUint64(append(buf, tagFloat), math.Float64bits(x)), nil
	case string:
		return appendString(append(buf, tagString), x), nil
	}
	return nil, fmt.Errorf("not a scalar: %T", v)
}

func decodeValues(p []byte) ([]any, error) {
	if len(p) == 0 || p[0] != cursorVersion {
		return nil, errBadPayload
	}
	p = p[1:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return nil, errBadPayload
	}
	p = p[k:]
	vals := make([]any, 0, n)
	for i := uint64(0); i < n; i++ {
		if len(p) == 0 {
			return nil, errBadPayload
		}
		tag := p[0]
		p = p[1:]
		switch tag {
		case tagNil:
			vals = append(vals, nil)
		case tagFalse, tagTrue:
			vals = append(vals, tag == tagTrue)
		case tagInt:
			v, k := binary.Varint(p)
			if k <= 0 {
				return nil, errBadPayload
			}
			vals, p = append(vals, v), p[k:]
		case tagFloat:
			if len(p) < 8 {
				return nil, errBadPayload
			}
			vals, p = append(vals, math.Float64frombits(binary.BigEndian.Uint64(p))), p[8:]
		case tagString:
			l, k := binary.Uvarint(p)
			if k <= 0 || l > uint64(len(p)-k) {
				return nil, errBadPayload
			}
			vals, p = append(vals, string(p[k:k+int(l)])), p[k+int(l):]
		default:
			return nil, errBadPayload
		}
	}
	if len(p) != 0 {
		return nil, errBadPayload
	}
	return vals, nil
}

var errBadPayload = fmt.Errorf("query: malformed cursor payload")

// appendFilter renders a normalised filter canonically: a tag per node, a
// count before every list, typed values.
func appendFilter(buf []byte, f store.Filter) ([]byte, error) {
	var err error
	list := func(tag byte, children []store.Filter) ([]byte, error) {
		buf = binary.AppendUvarint(append(buf, tag), uint64(len(children)))
		for _, c := range children {
			if buf, err = appendFilter(buf, c); err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	switch f := f.(type) {
	case nil:
		return append(buf, '0'), nil
	case store.And:
		return list('&', f)
	case store.Or:
		return list('|', f)
	case store.Not:
		return appendFilter(append(buf, '!'), f.F)
	case store.Cmp:
		buf = appendString(append(buf, 'c'), f.Field)
		buf = appendString(buf, string(f.Op))
		return appendValue(buf, f.Value)
	case store.In:
		buf = appendBool(appendString(append(buf, 'i'), f.Field), f.Not)
		buf = binary.AppendUvarint(buf, uint64(len(f.Values)))
		for _, v := range f.Values {
			if buf, err = appendValue(buf, v); err != nil {
				return nil, err
			}
		}
		return buf, nil
	case store.Like:
		buf = appendBool(appendString(append(buf, 'l'), f.Field), f.Not)
		return appendString(buf, f.Pattern), nil
	case store.Null:
		return appendBool(appendString(append(buf, 'z'), f.Field), f.Not), nil
	}
	return nil, fmt.Errorf("unknown filter node %T", f)
}
