package store

import (
	"strings"
)

// Match evaluates a filter against one document in memory with exactly the
// semantics adapters implement. It is the reference the conformance suite
// compares adapters with, and the evaluator for conditions on a single record
// (workflow triggers, sharing rules) where no query is needed.
func Match(f Filter, doc Doc) bool {
	switch f := f.(type) {
	case nil:
		return true
	case And:
		for _, c := range f {
			if !Match(c, doc) {
				return false
			}
		}
		return true
	case Or:
		for _, c := range f {
			if Match(c, doc) {
				return true
			}
		}
		return false
	case Not:
		return !Match(f.F, doc)
	case Cmp:
		v := NormalizeValue(Lookup(doc, f.Field))
		want := NormalizeValue(f.Value)
		if v == nil {
			return f.Op == OpNe
		}
		c, ok := Compare(v, want)
		if !ok {
			return f.Op == OpNe
		}
		switch f.Op {
		case OpEq:
			return c == 0
		case OpNe:
			return c != 0
		case OpLt:
			return c < 0
		case OpLte:
			return c <= 0
		case OpGt:
			return c > 0
		case OpGte:
			return c >= 0
		}
		return false
	case In:
		v := NormalizeValue(Lookup(doc, f.Field))
		if v == nil {
			return f.Not
		}
		for _, w := range f.Values {
			if c, ok := Compare(v, NormalizeValue(w)); ok && c == 0 {
				return !f.Not
			}
		}
		return f.Not
	case Like:
		s, ok := Lookup(doc, f.Field).(string)
		if !ok {
			return f.Not && Lookup(doc, f.Field) == nil
		}
		return LikeMatch(f.Pattern, s) != f.Not
	case Null:
		return (Lookup(doc, f.Field) == nil) != f.Not
	}
	return false
}

// Compare orders two non-null scalars of the same kind: numbers by value,
// strings by bytes, false before true. ok is false when they are not
// comparable.
func Compare(a, b any) (c int, ok bool) {
	a, b = NormalizeValue(a), NormalizeValue(b)
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case float64:
			return cmp3(float64(x) < y, float64(x) > y), true
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < float64(y), x > float64(y)), true
		case float64:
			return cmp3(x < y, x > y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(!x && y, x && !y), true
		}
	}
	return 0, false
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// LikeMatch reports whether s matches a LIKE pattern: % any run, _ one
// character (rune), ASCII case-insensitive, backslash escapes.
func LikeMatch(pattern, s string) bool {
	p := []rune(pattern)
	r := []rune(s)
	// Iterative matcher with backtracking on the last %.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(r) {
		if pi < len(p) {
			switch {
			case p[pi] == '%':
				starP, starS = pi, si
				pi++
				continue
			case p[pi] == '_':
				pi++
				si++
				continue
			case p[pi] == '\\' && pi+1 < len(p):
				if foldASCII(p[pi+1]) == foldASCII(r[si]) {
					pi += 2
					si++
					continue
				}
			default:
				if foldASCII(p[pi]) == foldASCII(r[si]) {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si = starS
		pi = starP + 1
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

func foldASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}
