package jsonx

import (
	"encoding/json"
	"testing"
)

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"plain", "<&>\u2028\xff", "q\"\\\b\f\n\r\t\x00\x1f", "ünï ✓ 😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s, true); string(got) != string(want) {
			t.Fatalf("web: got %s, want %s", got, want)
		}
		var back string
		if err := json.Unmarshal(AppendString(nil, s, false), &back); err != nil {
			t.Fatalf("storage form does not parse: %v", err)
		}
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("storage form reads back %q, want %q", back, wantBack)
		}
	})
}
