package query

import (
	"slices"
	"strings"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Advice says whether one of an object's indexes serves a filter and sort.
type Advice struct {
	// Served is true when the store can answer from an index (or the
	// primary key) rather than by scanning and sorting the whole object.
	Served bool
	// Index names the serving index: an index name, "id" for the primary
	// key, or several names joined by "|" for an OR served branch by branch.
	Index string
	// Field is, when not Served, the field that needs an index first: the
	// one to name to the client.
	Field string
	// Suggest is, when not Served, an index that would serve the query.
	Suggest []store.IndexKey
}

// Err returns nil when the query is served, else a 400 with code
// CodeUnindexed naming Field and the suggested index. The record service
// returns it for objects too large to scan.
func (a Advice) Err() error {
	if a.Served {
		return nil
	}
	keys := make([]string, len(a.Suggest))
	for i, k := range a.Suggest {
		keys[i] = k.Field
		if k.Desc {
			keys[i] = "-" + k.Field
		}
	}
	msg := "this object is too large to filter or sort on '" + a.Field + "' without an index"
	if len(keys) > 0 {
		msg += " (an index on " + strings.Join(keys, ", ") + " would serve this query)"
	}
	e := errs.New(errs.Malformed, CodeUnindexed, "%s", msg)
	e.Fields = []errs.FieldError{{Field: a.Field, Code: "unindexed", Message: msg}}
	return e
}

// Advise tells whether one of indexes serves filter f with sort, by this
// rule (the one SQLite's planner and MongoDB follow for a single index):
//
//  1. f is normalised; its conditions are the children of a top-level And
//     (nested Ands included, or f itself). Equality conditions are "x = v", "x IS NULL" and "x IN
//     (v)"; range conditions are "x < <= > >= v" and "x IN (v1, v2, ...)".
//     Conditions under an Or, !=, NOT IN, LIKE and IS NOT NULL help no index.
//  2. An equality on id is served by the primary key, as is a query with
//     neither conditions nor sort keys. A trailing "id" sort key is the
//     store's tie-breaker and is ignored; keys after an "id" key are moot.
//  3. For an index, p is the number of its leading keys that have equality
//     conditions. Sort keys with equality conditions are dropped (they are
//     constant). If sort keys remain, the index serves when they are exactly
//     its keys p, p+1, ... in order, all in the index's direction or all in
//     the reverse one. If none remain, it serves when p > 0 or its key p has
//     a range condition (the store seeks, then scans only the matches).
//  4. A filter that is a top-level Or without sort keys is served when
//     every branch is served on its own (an index union).
//
// When nothing serves, Suggest lists the equality fields in filter order,
// then the remaining sort keys (or, without sort keys, the first range
// field), and Field is the first of those no index covers as a prefix.
//
// NB: a served sort may still walk many index entries when the filter is
// selective on unindexed fields; the rule does not guess selectivity.
func Advise(f store.Filter, sort []store.SortKey, indexes []store.Index) Advice {
	nf, err := store.Normalize(f)
	if err != nil {
		return Advice{}
	}
	var keys []store.SortKey
	for _, k := range sort {
		if k.Field == "id" {
			break
		}
		keys = append(keys, k)
	}
	if or, ok := nf.(store.Or); ok && len(keys) == 0 && len(or) > 0 {
		var names []string
		for _, branch := range or {
			a := Advise(branch, nil, indexes)
			if !a.Served {
				return a
			}
			if !slices.Contains(names, a.Index) {
				names = append(names, a.Index)
			}
		}
		return Advice{Served: true, Index: strings.Join(names, "|")}
	}

	var conds []store.Filter
	var flatten func(store.Filter)
	flatten = func(f store.Filter) {
		if and, ok := f.(store.And); ok {
			for _, c := range and {
				flatten(c)
			}
		} else if f != nil {
			conds = append(conds, f)
		}
	}
	flatten(nf)
	var eqs, ranges []string
	isEq := map[string]bool{}
	var firstField string
	for _, c := range conds {
		field, kind := classify(c)
		if firstField == "" {
			firstField = field
		}
		switch kind {
		case condEq:
			if !isEq[field] {
				isEq[field] = true
				eqs = append(eqs, field)
			}
		case condRange:
			ranges = append(ranges, field)
		}
	}
	if isEq["id"] || len(conds) == 0 && len(keys) == 0 {
		return Advice{Served: true, Index: "id"}
	}
	if len(keys) == 0 {
		// A conjunct that an index serves on its own (an OR of served
		// branches) narrows the rows to those it finds; the other
		// conjuncts only filter them.
		for _, c := range conds {
			if or, ok := c.(store.Or); ok {
				if a := Advise(or, nil, indexes); a.Served {
					return a
				}
			}
		}
	}
	var rest []store.SortKey
	for _, k := range keys {
		if !isEq[k.Field] {
			rest = append(rest, k)
		}
	}
	isRange := map[string]bool{}
	for _, r := range ranges {
		isRange[r] = true
	}

	for _, ix := range indexes {
		p := 0
		for p < len(ix.Keys) && isEq[ix.Keys[p].Field] {
			p++
		}
		if len(rest) > 0 {
			if sortServed(ix.Keys[p:], rest) {
				return Advice{Served: true, Index: ix.Name}
			}
			continue
		}
		if p > 0 || p < len(ix.Keys) && isRange[ix.Keys[p].Field] {
			return Advice{Served: true, Index: ix.Name}
		}
	}

	var suggest []store.IndexKey
	for _, e := range eqs {
		suggest = append(suggest, store.IndexKey{Field: e})
	}
	for _, k := range rest {
		suggest = append(suggest, store.IndexKey{Field: k.Field, Desc: k.Desc})
	}
	if len(rest) == 0 && len(ranges) > 0 {
		suggest = append(suggest, store.IndexKey{Field: ranges[0]})
	}
	a := Advice{Suggest: suggest, Field: firstField}
	if len(suggest) > 0 {
		covered := 0
		for _, ix := range indexes {
			n := 0
			for n < len(ix.Keys) && n < len(suggest) && ix.Keys[n].Field == suggest[n].Field {
				n++
			}
			covered = max(covered, n)
		}
		a.Field = suggest[min(covered, len(suggest)-1)].Field
	}
	return a
}

// sortServed reports whether index keys begin with the sort keys, all in
// the same direction or all reversed.
func sortServed(ix []store.IndexKey, sort []store.SortKey) bool {
	if len(ix) < len(sort) {
		return false
	}
	reversed := ix[0].Desc != sort[0].Desc
	for i, k := range sort {
		if ix[i].Field != k.Field || (ix[i].Desc != k.Desc) != reversed {
			return false
		}
	}
	return true
}

type condKind int

const (
	condOther condKind = iota
	condEq
	condRange
)

// classify says what a normalised condition offers an index.
func classify(c store.Filter) (string, condKind) {
	switch c := c.(type) {
	case store.Cmp:
		switch c.Op {
		case store.OpEq:
			return c.Field, condEq
		case store.OpLt, store.OpLte, store.OpGt, store.OpGte:
			return c.Field, condRange
		}
		return c.Field, condOther
	case store.In:
		switch {
		case c.Not || len(c.Values) == 0:
			return c.Field, condOther
		case len(c.Values) == 1:
			return c.Field, condEq
		}
		return c.Field, condRange
	case store.Null:
		if c.Not {
			return c.Field, condOther
		}
		return c.Field, condEq
	case store.Like:
		return c.Field, condOther
	case store.And, store.Or:
		return firstFieldOf(c), condOther
	}
	return "", condOther
}

func firstFieldOf(f store.Filter) string {
	switch f := f.(type) {
	case store.And:
		for _, c := range f {
			if n := firstFieldOf(c); n != "" {
				return n
			}
		}
	case store.Or:
		for _, c := range f {
			if n := firstFieldOf(c); n != "" {
				return n
			}
		}
	default:
		n, _ := classify(f)
		return n
	}
	return ""
}
