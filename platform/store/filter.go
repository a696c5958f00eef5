package store

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Filter is a node of the platform's query AST. The concrete node types are
// And, Or, Not, Cmp, In, Like and Null. Adapters compile a filter after
// Normalize, which removes Not.
//
// Semantics, which every adapter keeps (storetest checks them):
//   - An absent field is null. Cmp with OpEq, OpLt, OpLte, OpGt, OpGte never
//     matches null; OpNe matches null (so "status != 'new'" includes records
//     without a status), as does In{Not: true}.
//   - Numbers compare by value whatever their Go type (int64 1 equals float64
//     1.0); strings compare by bytes; false < true. Comparing values of
//     different types is unspecified: the layers above type-check filters.
//   - Like matches a whole string value with % (any run) and _ (one
//     character), case-insensitively for ASCII letters; a backslash escapes %,
//     _ and itself. It never matches null.
type Filter interface{ isFilter() }

// And matches when every child matches; an empty And matches everything.
type And []Filter

// Or matches when any child matches; an empty Or matches nothing.
type Or []Filter

// Not negates its child.
type Not struct{ F Filter }

// CmpOp is a comparison operator.
type CmpOp string

// The comparison operators.
const (
	OpEq  CmpOp = "="
	OpNe  CmpOp = "!="
	OpLt  CmpOp = "<"
	OpLte CmpOp = "<="
	OpGt  CmpOp = ">"
	OpGte CmpOp = ">="
)

// Cmp compares a field with a non-null scalar value (bool, int64, float64,
// string).
type Cmp struct {
	Field string
	Op    CmpOp
	Value any
}

// In matches when the field equals one of Values (Not: none of them; a null
// field then matches). An empty In matches nothing; an empty NOT IN matches
// everything.
type In struct {
	Field  string
	Values []any
	Not    bool
}

// Like matches a string field against a pattern (see Filter). Not negates it,
// and then also matches null.
type Like struct {
	Field   string
	Pattern string
	Not     bool
}

// Null matches when the field is null or absent (Not: when it has a value).
type Null struct {
	Field string
	Not   bool
}

func (And) isFilter()  {}
func (Or) isFilter()   {}
func (Not) isFilter()  {}
func (Cmp) isFilter()  {}
func (In) isFilter()   {}
func (Like) isFilter() {}
func (Null) isFilter() {}

// Eq is shorthand for Cmp{field, OpEq, value}.
func Eq(field string, value any) Filter { return Cmp{Field: field, Op: OpEq, Value: value} }

// Validate checks every field name and value of a filter. Adapters call it
// (through Normalize) before compiling, so a bad filter is ErrInvalidQuery.
func Validate(f Filter) error {
	switch f := f.(type) {
	case nil:
		return nil
	case And:
		for _, c := range f {
			if err := Validate(c); err != nil {
				return err
			}
		}
	case Or:
		for _, c := range f {
			if err := Validate(c); err != nil {
				return err
			}
		}
	case Not:
		if f.F == nil {
			return invalidQuery("NOT without an operand")
		}
		return Validate(f.F)
	case Cmp:
		if err := ValidField(f.Field); err != nil {
			return err
		}
		switch f.Op {
		case OpEq, OpNe, OpLt, OpLte, OpGt, OpGte:
		default:
			return invalidQuery("unknown operator %q", f.Op)
		}
		if !isScalar(f.Value) {
			return invalidQuery("%s: comparison value must be a boolean, number or string, not %T", f.Field, f.Value)
		}
	case In:
		if err := ValidField(f.Field); err != nil {
			return err
		}
		for _, v := range f.Values {
			if !isScalar(v) {
				return invalidQuery("%s: IN value must be a boolean, number or string, not %T", f.Field, v)
			}
		}
	case Like:
		if err := ValidField(f.Field); err != nil {
			return err
		}
	case Null:
		if err := ValidField(f.Field); err != nil {
			return err
		}
	default:
		return invalidQuery("unknown filter node %T", f)
	}
	return nil
}

func invalidQuery(format string, args ...any) error {
	e := *ErrInvalidQuery
	e.Message = fmt.Sprintf(format, args...)
	return &e
}

func isScalar(v any) bool {
	switch v := v.(type) {
	case bool, int64, string:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	return false
}

// Normalize validates f, normalises its values (Go integer types to int64,
// json.Number to int64 or float64) and pushes every Not down to the leaves,
// so the result contains no Not node. Adapters compile the result.
func Normalize(f Filter) (Filter, error) {
	f = normValues(f)
	if err := Validate(f); err != nil {
		return nil, err
	}
	return push(f, false), nil
}

func normValues(f Filter) Filter {
	switch f := f.(type) {
	case And:
		out := make(And, len(f))
		for i, c := range f {
			out[i] = normValues(c)
		}
		return out
	case Or:
		out := make(Or, len(f))
		for i, c := range f {
			out[i] = normValues(c)
		}
		return out
	case Not:
		return Not{F: normValues(f.F)}
	case Cmp:
		f.Value = NormalizeValue(f.Value)
		return f
	case In:
		vals := make([]any, len(f.Values))
		for i, v := range f.Values {
			vals[i] = NormalizeValue(v)
		}
		f.Values = vals
		return f
	}
	return f
}

// push returns f (negated when neg) with negations pushed to the leaves.
func push(f Filter, neg bool) Filter {
	switch f := f.(type) {
	case nil:
		if neg {
			return Or{}
		}
		return nil
	case And:
		out := make([]Filter, len(f))
		for i, c := range f {
			out[i] = push(c, neg)
		}
		if neg {
			return Or(out)
		}
		return And(out)
	case Or:
		out := make([]Filter, len(f))
		for i, c := range f {
			out[i] = push(c, neg)
		}
		if neg {
			return And(out)
		}
		return Or(out)
	case Not:
		return push(f.F, !neg)
	case Cmp:
		if !neg {
			return f
		}
		switch f.Op {
		case OpEq:
			return Cmp{Field: f.Field, Op: OpNe, Value: f.Value}
		case OpNe: // not (x != v) is x = v: null is != v, so it is excluded
			return Cmp{Field: f.Field, Op: OpEq, Value: f.Value}
		case OpLt:
			return Or{Cmp{Field: f.Field, Op: OpGte, Value: f.Value}, Null{Field: f.Field}}
		case OpLte:
			return Or{Cmp{Field: f.Field, Op: OpGt, Value: f.Value}, Null{Field: f.Field}}
		case OpGt:
			return Or{Cmp{Field: f.Field, Op: OpLte, Value: f.Value}, Null{Field: f.Field}}
		default: // OpGte
			return Or{Cmp{Field: f.Field, Op: OpLt, Value: f.Value}, Null{Field: f.Field}}
		}
	case In:
		if neg {
			f.Not = !f.Not
		}
		return f
	case Like:
		if neg {
			f.Not = !f.Not
		}
		return f
	case Null:
		if neg {
			f.Not = !f.Not
		}
		return f
	}
	return f
}

// NormalizeValue turns Go integer types and json.Number into int64 (or
// float64 when not integral) and float32 into float64; other values are
// returned as they are.
func NormalizeValue(v any) any {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case uint8:
		return int64(n)
	case uint16:
		return int64(n)
	case uint32:
		return int64(n)
	case uint:
		return int64(n)
	case uint64:
		return int64(n)
	case float32:
		return float64(n)
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i
		}
		if f, err := n.Float64(); err == nil {
			return f
		}
		return n.String()
	}
	return v
}

// FullSort returns sort with "id" ascending appended unless it already ends
// with id: the total order that Find pages through.
func FullSort(sort []SortKey) []SortKey {
	if len(sort) > 0 && sort[len(sort)-1].Field == "id" {
		return sort
	}
	out := make([]SortKey, 0, len(sort)+1)
	out = append(out, sort...)
	return append(out, SortKey{Field: "id"})
}

// AfterFilter returns the filter that selects the documents strictly after
// the keyset position after in the order sort (which must be a FullSort).
// Adapters And it with the query's filter. It leads with a redundant range
// condition on the first key so that an index on that key can seek.
func AfterFilter(sort []SortKey, after []any) (Filter, error) {
	if len(after) != len(sort) {
		return nil, ErrBadCursor
	}
	vals := make([]any, len(after))
	for i, v := range after {
		v = NormalizeValue(v)
		if v != nil && !isScalar(v) {
			return nil, ErrBadCursor
		}
		vals[i] = v
	}
	if id, ok := vals[len(vals)-1].(string); !ok || id == "" {
		return nil, ErrBadCursor
	}
	var alts Or
	for i := range sort {
		var conj And
		for j := 0; j < i; j++ {
			conj = append(conj, equalTo(sort[j].Field, vals[j]))
		}
		step := strictlyAfter(sort[i], vals[i])
		if step == nil {
			continue // nothing sorts after this value on this key
		}
		conj = append(conj, step)
		alts = append(alts, conj)
	}
	if lead := notBefore(sort[0], vals[0]); lead != nil {
		return And{lead, alts}, nil
	}
	return alts, nil
}

func equalTo(field string, v any) Filter {
	if v == nil {
		return Null{Field: field}
	}
	return Cmp{Field: field, Op: OpEq, Value: v}
}

// strictlyAfter: nulls first ascending, last descending.
func strictlyAfter(k SortKey, v any) Filter {
	switch {
	case !k.Desc && v == nil:
		return Null{Field: k.Field, Not: true}
	case !k.Desc:
		return Cmp{Field: k.Field, Op: OpGt, Value: v}
	case v == nil:
		return nil
	default:
		return Or{Cmp{Field: k.Field, Op: OpLt, Value: v}, Null{Field: k.Field}}
	}
}

// notBefore is the index-friendly bound on the first key, or nil.
func notBefore(k SortKey, v any) Filter {
	switch {
	case v == nil && k.Desc:
		return Null{Field: k.Field}
	case v == nil:
		return nil
	case !k.Desc:
		return Cmp{Field: k.Field, Op: OpGte, Value: v}
	default:
		return nil // x <= v OR x IS NULL gains nothing over the alternatives
	}
}

// KeysetOf returns the values of the sort keys of doc: the Page.Next of a
// page that ends with doc.
func KeysetOf(sort []SortKey, doc Doc) []any {
	out := make([]any, len(sort))
	for i, k := range sort {
		out[i] = Lookup(doc, k.Field)
	}
	return out
}

// Lookup returns the value at a field name or dotted path of doc, or nil.
func Lookup(doc Doc, field string) any {
	var cur any = doc
	for _, part := range strings.Split(field, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
