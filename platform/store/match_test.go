package store_test

import (
	"encoding/json"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

func TestMatch(t *testing.T) {
	doc := store.Doc{
		"id": "r1", "n": int64(2), "f": 2.5, "s": "Apple", "b": false, "empty": "",
		"m": map[string]any{"x": int64(1), "city": "Oslo"}, "flat": "text",
	}
	for _, c := range []struct {
		name string
		f    store.Filter
		want bool
	}{
		{"nil matches", nil, true},
		{"int equals int", store.Eq("n", int64(2)), true},
		{"int equals an equal float", store.Eq("n", 2.0), true},
		{"int equals a Go int", store.Eq("n", 2), true},
		{"int equals a json.Number", store.Eq("n", json.Number("2")), true},
		{"float less than", store.Cmp{Field: "f", Op: store.OpLt, Value: int64(3)}, true},
		{"float not greater", store.Cmp{Field: "f", Op: store.OpGt, Value: 2.5}, false},
		{"float greater or equal", store.Cmp{Field: "f", Op: store.OpGte, Value: 2.5}, true},
		{"int less or equal", store.Cmp{Field: "n", Op: store.OpLte, Value: 1.9}, false},
		{"string equality is case-sensitive", store.Eq("s", "apple"), false},
		{"strings compare by bytes", store.Cmp{Field: "s", Op: store.OpLt, Value: "a"}, true},
		{"false is less than true", store.Cmp{Field: "b", Op: store.OpLt, Value: true}, true},
		{"empty string is a value", store.Eq("empty", ""), true},
		{"equal never matches absent", store.Eq("absent", "x"), false},
		{"less than never matches absent", store.Cmp{Field: "absent", Op: store.OpLt, Value: int64(9)}, false},
		{"not equal matches absent", store.Cmp{Field: "absent", Op: store.OpNe, Value: "x"}, true},
		{"not equal on a different value", store.Cmp{Field: "s", Op: store.OpNe, Value: "x"}, true},
		{"not equal on the same value", store.Cmp{Field: "s", Op: store.OpNe, Value: "Apple"}, false},
		{"different types are not equal", store.Eq("s", int64(1)), false},
		{"different types are not equal so != matches", store.Cmp{Field: "s", Op: store.OpNe, Value: int64(1)}, true},
		{"in matches a member", store.In{Field: "n", Values: []any{"x", 2.0}}, true},
		{"in without a member", store.In{Field: "n", Values: []any{int64(3)}}, false},
		{"empty in matches nothing", store.In{Field: "n"}, false},
		{"empty not in matches everything", store.In{Field: "n", Not: true}, true},
		{"not in with a member", store.In{Field: "n", Values: []any{int64(2)}, Not: true}, false},
		{"in never matches absent", store.In{Field: "absent", Values: []any{"x"}}, false},
		{"not in matches absent", store.In{Field: "absent", Values: []any{"x"}, Not: true}, true},
		{"like folds ASCII case", store.Like{Field: "s", Pattern: "APP%"}, true},
		{"like never matches absent", store.Like{Field: "absent", Pattern: "%"}, false},
		{"not like matches absent", store.Like{Field: "absent", Pattern: "%", Not: true}, true},
		{"like never matches a number", store.Like{Field: "n", Pattern: "%"}, false},
		{"not like does not match a number either", store.Like{Field: "n", Pattern: "x", Not: true}, false},
		{"not like on a string", store.Like{Field: "s", Pattern: "b%", Not: true}, true},
		{"is null on absent", store.Null{Field: "absent"}, true},
		{"is null on empty string", store.Null{Field: "empty"}, false},
		{"is not null", store.Null{Field: "b", Not: true}, true},
		{"dotted path", store.Eq("m.x", int64(1)), true},
		{"dotted path through a scalar is null", store.Null{Field: "flat.x"}, true},
		{"and", store.And{store.Eq("n", int64(2)), store.Eq("b", false)}, true},
		{"and with one false", store.And{store.Eq("n", int64(2)), store.Eq("b", true)}, false},
		{"empty and", store.And{}, true},
		{"or", store.Or{store.Eq("n", int64(3)), store.Eq("b", false)}, true},
		{"empty or", store.Or{}, false},
		{"not", store.Not{F: store.Eq("n", int64(2))}, false},
		{"not of absent comparison", store.Not{F: store.Cmp{Field: "absent", Op: store.OpLt, Value: int64(1)}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := store.Match(c.f, doc); got != c.want {
				t.Errorf("Match(%#v) = %v, want %v", c.f, got, c.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b any
		want int
		ok   bool
	}{
		{"ints", int64(1), int64(2), -1, true},
		{"int and float equal", int64(2), 2.0, 0, true},
		{"float and int", 2.5, int64(2), 1, true},
		{"Go int and float", 3, 2.5, 1, true},
		{"json.Number", json.Number("10"), int64(9), 1, true},
		{"strings by bytes", "B", "a", -1, true},
		{"non-ASCII after ASCII", "é", "z", 1, true},
		{"equal strings", "x", "x", 0, true},
		{"false before true", false, true, -1, true},
		{"true after false", true, false, 1, true},
		{"equal bools", true, true, 0, true},
		{"string and number", "1", int64(1), 0, false},
		{"bool and number", true, int64(1), 0, false},
		{"nil", nil, int64(1), 0, false},
		{"map", map[string]any{}, map[string]any{}, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := store.Compare(c.a, c.b)
			if ok != c.ok || (ok && got != c.want) {
				t.Errorf("Compare(%#v, %#v) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestLikeMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"%", "", true},
		{"%", "anything", true},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"abc", "ABC", true},
		{"ABC", "abc", true},
		{"a%", "apple", true},
		{"a%", "banana", false},
		{"%na", "banana", true},
		{"%an%", "banana", true},
		{"%x%", "banana", false},
		{"b%n%a", "banana", true},
		{"b%n%n%n%a", "banana", false},
		{"_", "a", true},
		{"_", "", false},
		{"_", "ab", false},
		{"__", "é✓", true}, // _ is one character, not one byte
		{"_pple", "Apple", true},
		{"%_", "", false},
		{"%%", "", true},
		{`\%`, "%", true},
		{`\%`, "a", false},
		{`100\%`, "100%", true},
		{`100\%`, "1000", false},
		{`\_`, "_", true},
		{`\_`, "a", false},
		{`a\\b`, `a\b`, true},
		{`a\\%`, `a\bc`, true},
		{`a\\%`, `ab`, false},
		{`%\%%`, "50% off", true},
		{`%\%%`, "50 off", false},
		{`\a`, "a", true},  // an escaped ordinary character is itself
		{`a\`, `a\`, true}, // a trailing backslash is literal
		{"é", "É", false},  // only ASCII letters fold
		{"ÉCLAIR", "Éclair", true},
		{".*", "abc", false}, // regular-expression characters are literal
		{"[a]", "[A]", true},
		{"%a%a%a%", "aaa", true},
		{"%a%a%a%", "aa", false},
	} {
		t.Run(c.pattern+" ~ "+c.s, func(t *testing.T) {
			if got := store.LikeMatch(c.pattern, c.s); got != c.want {
				t.Errorf("LikeMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
			}
		})
	}
}

func TestNormalizeValue(t *testing.T) {
	for _, c := range []struct {
		in, want any
	}{
		{int(3), int64(3)}, {int8(-3), int64(-3)}, {int16(3), int64(3)}, {int32(3), int64(3)},
		{uint(3), int64(3)}, {uint8(3), int64(3)}, {uint16(3), int64(3)}, {uint32(3), int64(3)}, {uint64(3), int64(3)},
		{float32(0.5), 0.5}, {json.Number("42"), int64(42)}, {json.Number("4.5"), 4.5}, {json.Number("1e3"), 1000.0},
		{"s", "s"}, {true, true}, {nil, nil}, {int64(9007199254740993), int64(9007199254740993)},
	} {
		if got := store.NormalizeValue(c.in); got != c.want {
			t.Errorf("NormalizeValue(%#v) = %#v (%T), want %#v (%T)", c.in, got, got, c.want, c.want)
		}
	}
}
