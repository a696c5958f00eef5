package openapi

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// The encoder must write what encoding/json writes (without HTML
// escaping), members in key order.
func TestEncoder_writesWhatEncodingJSONWrites(t *testing.T) {
	cases := []struct {
		name string
		v    any
	}{
		{"scalars", []any{nil, true, false, 0, -17, int64(math.MaxInt64), json.Number("0.001"), 1.5, "plain"}},
		{"escapes", []any{"quote \" backslash \\ slash /", "new\nline\ttab\rret", "\x00\x01\x1f\x7f", "<html> & 'x'"}},
		{"line separators", "a\u2028b\u2029c"},
		{"unicode", "Grüße, 東京, 🙂"},
		{"invalid UTF-8", "bad \xff\xfe byte"},
		{"nested objects in key order", obj{"b": obj{"z": 1, "a": []any{obj{"y": 2, "x": 3}}}, "a": []obj{{"k": "v"}}, "": "empty key"}},
		{"other types", obj{"strings": []string{"a", "b"}, "map": map[string]int{"b": 2, "a": 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.v); err != nil {
				t.Fatal(err)
			}
			e := &encoder{}
			e.value(tc.v)
			if e.err != nil {
				t.Fatal(e.err)
			}
			if got, w := string(e.buf), string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))); got != w {
				t.Fatalf("got  %s\nwant %s", got, w)
			}
		})
	}
	t.Run("a value encoding/json refuses is an error", func(t *testing.T) {
		e := &encoder{}
		e.value(obj{"f": math.Inf(1)})
		if e.err == nil {
			t.Fatal("no error for +Inf")
		}
	})
}
