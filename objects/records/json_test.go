package records

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomValue builds a JSON value of the kinds records hold, with the
// strings and numbers that formatting gets wrong.
func randomValue(r *rand.Rand, depth int) any {
	strs := []string{"", "plain", `q"uote\back`, "<a href='x'>&amp;</a>", "tab\tnew\nline\r\x00\x1f\x7f",
		"ünïcödé ✓ 日本", "\u2028\u2029", "bad \xff\xfe utf8", "emoji 😀", strings.Repeat("x", 300)}
	floats := []float64{0, -0.0, 1, -1.5, 3.14159, 1e20, 1e21, 1.5e21, 1e-6, 9.99e-7, 1e-7, -2.5e-9, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64}
	switch k := r.IntN(9); {
	case k == 0:
		return nil
	case k == 1:
		return r.IntN(2) == 0
	case k == 2:
		return int64(r.Int64()) - math.MaxInt64/2
	case k == 3:
		return floats[r.IntN(len(floats))]
	case k == 4 && depth < 3:
		m := map[string]any{}
		for i := range r.IntN(5) {
			m[strs[r.IntN(len(strs))]+string(rune('a'+i))] = randomValue(r, depth+1)
		}
		return m
	case k == 5 && depth < 3:
		a := make([]any, r.IntN(4))
		for i := range a {
			a[i] = randomValue(r, depth+1)
		}
		return a
	case k == 6:
		return r.Float64() * math.Pow(10, float64(r.IntN(50)-25))
	default:
		return strs[r.IntN(len(strs))]
	}
}

func TestAppendJSON_matchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		data := map[string]any{"id": "r1"}
		for j := range 8 {
			data[string(rune('a'+j))] = randomValue(r, 0)
		}
		want, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := (&Record{Data: data}).AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
	t.Run("a page", func(t *testing.T) {
		next := "c<1>"
		p := &Page{Items: []*Record{{Data: map[string]any{"n": 1.0}}, {Data: map[string]any{"n": int64(2)}}}, NextCursor: &next}
		want, _ := json.Marshal(struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"nextCursor"`
		}{[]map[string]any{{"n": 1.0}, {"n": int64(2)}}, &next})
		got, err := p.AppendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Fatalf("got %s, %v; want %s", got, err, want)
		}
	})
	t.Run("values JSON cannot hold are errors, as in encoding/json", func(t *testing.T) {
		if _, err := (&Record{Data: map[string]any{"x": math.Inf(1)}}).AppendJSON(nil); err == nil {
			t.Fatal("no error for +Inf")
		}
	})
}
