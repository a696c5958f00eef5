package workflows

import (
	"testing"
	"time"
)

func TestPlain_copiesDeeplyAndTurnsOtherTypesIntoJSON(t *testing.T) {
	in := map[string]any{"n": int64(3), "x": 1.5, "s": "a", "b": true, "none": nil,
		"tags": []any{"a", map[string]any{"k": "v"}}, "geo": map[string]any{"lat": 1.0},
		"at": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	out, err := plain(in)
	if err != nil {
		t.Fatal(err)
	}
	if out["at"] != "2026-01-02T03:04:05Z" || out["n"] != int64(3) || out["x"] != 1.5 || out["b"] != true {
		t.Fatalf("out = %#v", out)
	}
	out["geo"].(map[string]any)["lat"] = 2.0
	out["tags"].([]any)[1].(map[string]any)["k"] = "changed"
	if in["geo"].(map[string]any)["lat"] != 1.0 || in["tags"].([]any)[1].(map[string]any)["k"] != "v" {
		t.Fatal("the copy shares maps with the record")
	}
	if _, err := plain(map[string]any{"bad": make(chan int)}); err == nil {
		t.Fatal("no error for a value JSON cannot hold")
	}
}
