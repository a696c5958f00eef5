package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Conflict is a place where the tenant and the new package version both
// changed a definition differently. The tenant's value is kept.
type Conflict struct {
	// Path is a JSON pointer into the definition, e.g.
	// "/properties/stage/enum".
	Path    string          `json:"path"`
	Tenant  json.RawMessage `json:"tenant,omitempty"`
	Package json.RawMessage `json:"package,omitempty"`
	Message string          `json:"message"`
}

// merge3 merges three versions of a JSON document: base (the package
// version the tenant installed), theirs (the new package version) and mine
// (the tenant's current definition). A nil value is an absent one.
//
// Per member, recursively through objects: what only one side changed
// takes that side's value (a removal included); what both changed alike is
// kept; what both changed differently keeps the tenant's value and is
// reported as a conflict. Arrays of distinct strings (required, enum) merge
// as sets: each side's additions and removals apply. Member order follows
// the tenant's document, with members new in the package appended.
func merge3(base, theirs, mine json.RawMessage, ptr string, conflicts *[]Conflict) json.RawMessage {
	switch {
	case sameJSON(mine, base):
		return theirs
	case sameJSON(theirs, base), sameJSON(mine, theirs):
		return mine
	}
	bo, bok := members(base)
	to, tok := members(theirs)
	mo, mok := members(mine)
	if tok && mok && (bok || base == nil) {
		return mergeObjects(bo, to, mo, ptr, conflicts)
	}
	bs, bsok := stringSet(base)
	ts, tsok := stringSet(theirs)
	ms, msok := stringSet(mine)
	if tsok && msok && (bsok || base == nil) {
		return mergeSets(bs, ts, ms)
	}
	*conflicts = append(*conflicts, Conflict{Path: ptr, Tenant: mine, Package: theirs, Message: conflictMessage(base, theirs, mine)})
	return mine
}

func conflictMessage(base, theirs, mine json.RawMessage) string {
	switch {
	case mine == nil:
		return "the tenant removed this and the new package version changes it; it stays removed"
	case theirs == nil:
		return "the tenant changed this and the new package version removes it; the tenant's version is kept"
	case base == nil:
		return "the tenant and the new package version both added this differently; the tenant's version is kept"
	}
	return "the tenant and the new package version both changed this; the tenant's version is kept"
}

type object struct {
	keys []string
	vals map[string]json.RawMessage
}

// members decodes a JSON object keeping its member order.
func members(raw json.RawMessage) (object, bool) {
	o := object{vals: map[string]json.RawMessage{}}
	if raw == nil {
		return o, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return o, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return o, false
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return o, false
		}
		if _, dup := o.vals[k]; !dup {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v
	}
	return o, true
}

func (o object) encode() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(o.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

func mergeObjects(base, theirs, mine object, ptr string, conflicts *[]Conflict) json.RawMessage {
	out := object{vals: map[string]json.RawMessage{}}
	put := func(k string) {
		v := merge3(base.vals[k], theirs.vals[k], mine.vals[k], ptr+"/"+escapePointer(k), conflicts)
		if v != nil {
			out.keys = append(out.keys, k)
			out.vals[k] = v
		}
	}
	seen := map[string]bool{}
	for _, k := range mine.keys {
		seen[k] = true
		put(k)
	}
	for _, k := range theirs.keys {
		if !seen[k] {
			seen[k] = true
			put(k)
		}
	}
	for _, k := range base.keys { // removed by both: stays removed
		if !seen[k] {
			put(k)
		}
	}
	return out.encode()
}

// stringSet decodes an array of distinct strings.
func stringSet(raw json.RawMessage) ([]string, bool) {
	if raw == nil {
		return nil, false
	}
	var ss []string
	if json.Unmarshal(raw, &ss) != nil || ss == nil {
		return nil, false
	}
	seen := map[string]bool{}
	for _, s := range ss {
		if seen[s] {
			return nil, false
		}
		seen[s] = true
	}
	return ss, true
}

// mergeSets keeps what both sides kept, plus each side's additions: the
// package's order first, then the tenant's additions.
func mergeSets(base, theirs, mine []string) json.RawMessage {
	in := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	var out []string
	for _, s := range theirs {
		if in(mine, s) || !in(base, s) {
			out = append(out, s)
		}
	}
	for _, s := range mine {
		if !in(out, s) && !in(base, s) {
			out = append(out, s)
		}
	}
	if out == nil {
		out = []string{}
	}
	b, _ := json.Marshal(out)
	return b
}

// sameJSON compares two JSON values by meaning (member order and white
// space aside); nil equals only nil.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if bytes.Equal(a, b) {
		return true
	}
	va, ea := decodeAny(a)
	vb, eb := decodeAny(b)
	return ea == nil && eb == nil && reflect.DeepEqual(va, vb)
}

func decodeAny(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// mergeObject merges an object definition and keeps every field the
// tenant's definition has: a field the new package version drops while
// the tenant left it as installed is kept, marked x-crm-deleted, so that
// its data is never dropped silently.
func mergeObject(base, theirs, mine json.RawMessage, conflicts *[]Conflict) (json.RawMessage, []string, error) {
	merged := merge3(base, theirs, mine, "", conflicts)
	top, ok := members(merged)
	if !ok {
		return nil, nil, fmt.Errorf("the merged definition is not a JSON object")
	}
	mineTop, _ := members(mine)
	mineProps, _ := members(mineTop.vals["properties"])
	props, _ := members(top.vals["properties"])
	var deprecated []string
	for _, k := range mineProps.keys {
		if _, kept := props.vals[k]; kept {
			continue
		}
		f, ok := members(mineProps.vals[k])
		if !ok {
			continue
		}
		if _, was := f.vals["x-crm-deleted"]; !was {
			f.keys = append(f.keys, "x-crm-deleted")
		}
		f.vals["x-crm-deleted"] = json.RawMessage("true")
		props.keys = append(props.keys, k)
		props.vals[k] = f.encode()
		deprecated = append(deprecated, k)
	}
	if len(deprecated) > 0 {
		top.vals["properties"] = props.encode()
	}
	return top.encode(), deprecated, nil
}
