package openapi

import (
	"encoding/json"
	"strings"

	"github.com/opencrm/crm/objects/schema"
)

// view is the shape a field schema is for.
type view int

const (
	// viewRead is a record as the API returns it: every field, read-only
	// ones marked, lookups possibly expanded.
	viewRead view = iota
	// viewCreate is the body of a create: writable fields, active picklist
	// values, defaults shown, optional fields nullable.
	viewCreate
	// viewPatch is a JSON merge patch: writable fields, null clears an
	// optional one.
	viewPatch
)

// fieldSchema returns the schema of one field's value in a view.
func (g *gen) fieldSchema(f *schema.Field, v view) obj {
	s := obj(f.Type().Schema(f))
	if v != viewRead {
		restrictToActive(f, s)
	}
	if typ, _ := s["type"].(string); typ == "number" {
		if scale, ok := decimalScale(f); ok {
			if _, has := s["multipleOf"]; !has {
				s["multipleOf"] = step(scale)
			}
		}
	}
	s["title"] = f.Label
	if f.Help != "" {
		s["description"] = f.Help
	}
	s["x-crm-type"] = f.TypeName
	if len(f.Values) > 0 {
		labels := obj{}
		for _, pv := range f.Values {
			if v == viewRead || !pv.Inactive {
				labels[pv.Value] = pv.Label
			}
		}
		s["x-crm-labels"] = labels
	}
	switch v {
	case viewRead:
		if f.ReadOnly() {
			s["readOnly"] = true
		}
		if target, ok := g.expandable(f); ok {
			return g.expandableLookup(f, s, target)
		}
	case viewCreate:
		// NB: the one writable system field, owner, is not nullable: a
		// create without it defaults to the caller, and a record always
		// has an owner.
		if d, ok := f.Def["default"]; ok && d != nil {
			s["default"] = d
		} else if d, ok := f.Type().(schema.Defaulter); ok {
			if val, ok := d.ImplicitDefault(f); ok {
				s["default"] = val
			}
		}
		if !f.Required && !f.System {
			nullable(s)
		}
	case viewPatch:
		if !f.Required && !f.System {
			nullable(s)
		}
	}
	return s
}

// expandable reports whether expand= may name the field, and the schema
// name of its target: lookups to an object of this document (the users
// behind owner, createdBy and updatedBy are not records).
func (g *gen) expandable(f *schema.Field) (string, bool) {
	if f.Deleted || (f.TypeName != "lookup" && f.TypeName != "masterdetail") || f.Target == schema.UserObject {
		return "", false
	}
	n, ok := g.names[f.Target]
	return n.Base, ok
}

// expandableLookup is a lookup in a read shape: the target's id, or with
// expand= the target record itself.
func (g *gen) expandableLookup(f *schema.Field, id obj, target string) obj {
	out := obj{}
	for _, k := range []string{"title", "description", "readOnly", "x-crm-type", "x-crm-target"} {
		if val, ok := id[k]; ok {
			out[k] = val
			delete(id, k)
		}
	}
	id["description"] = "The id of the " + f.Target + " record."
	expanded := schemaRef(target)
	expanded["description"] = "The " + f.Target + " record, when expand names this field."
	out["anyOf"] = []any{id, expanded}
	return out
}

// restrictToActive leaves only the active values of a picklist in a write
// shape: inactive values stay on the records that have them but are
// refused on new input.
func restrictToActive(f *schema.Field, s obj) {
	if len(f.Values) == 0 {
		return
	}
	active := make([]any, 0, len(f.Values))
	for _, pv := range f.Values {
		if !pv.Inactive {
			active = append(active, pv.Value)
		}
	}
	if _, ok := s["enum"]; ok {
		s["enum"] = active
	}
	if items, ok := s["items"].(map[string]any); ok {
		if _, ok := items["enum"]; ok {
			items["enum"] = active
		}
	}
}

// nullable lets a schema accept null too.
func nullable(s obj) {
	if t, ok := s["type"].(string); ok {
		s["type"] = []any{t, "null"}
	}
	if e, ok := s["enum"].([]any); ok {
		s["enum"] = append(append(make([]any, 0, len(e)+1), e...), nil)
	}
}

// decimalScale returns the decimal places a number field keeps, when the
// field fixes them: currency (2 by default), and numbers or percents with
// x-crm-scale, also as the result of a formula or roll-up.
func decimalScale(f *schema.Field) (int, bool) {
	typ := f.TypeName
	switch typ {
	case "formula":
		typ = "number"
		if f.Formula != nil && f.Formula.Result != "" {
			typ = f.Formula.Result
		}
	case "rollup":
		typ = "number"
		if r, ok := f.Def["x-crm-result"].(string); ok && r != "" {
			typ = r
		}
	}
	scale := f.Scale
	switch typ {
	case "currency":
		if scale < 0 {
			scale = schema.DefaultCurrencyScale
		}
	case "number", "percent":
	default:
		return 0, false
	}
	return scale, scale >= 0
}

// step is 10^-scale as an exact JSON number: 2 is 0.01.
func step(scale int) json.Number {
	if scale <= 0 {
		return "1"
	}
	return json.Number("0." + strings.Repeat("0", scale-1) + "1")
}

// liveFields are the fields that are not deleted, system fields first.
func liveFields(o *schema.Object) []*schema.Field {
	all := o.AllFields()
	out := all[:0:0]
	for _, f := range all {
		if !f.Deleted {
			out = append(out, f)
		}
	}
	return out
}

// writable reports whether clients may send the field.
func writable(f *schema.Field) bool { return !f.Deleted && !f.ReadOnly() }

// sortable reports whether a list may be sorted by the field.
func sortable(f *schema.Field) bool {
	k := f.Kind()
	return k != schema.KindList && k != schema.KindObject
}
