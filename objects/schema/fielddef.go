package schema

import (
	"encoding/json"
	"regexp"

	"github.com/opencrm/crm/platform/errs"
)

// keywordTypes lists the field types that may carry each type-specific
// keyword; a keyword on another type is refused ("not_applicable").
var keywordTypes = map[string][]string{
	"x-crm-target":     {"lookup", "masterdetail"},
	"x-crm-format":     {"autonumber"},
	"x-crm-scale":      {"number", "currency", "percent", "formula", "rollup"},
	"x-crm-values":     {"picklist", "multipicklist"},
	"x-crm-formula":    {"formula"},
	"x-crm-result":     {"formula", "rollup"},
	"x-crm-rollup":     {"rollup"},
	"enum":             {"picklist"},
	"items":            {"multipicklist"},
	"minimum":          {"number", "currency", "percent"},
	"maximum":          {"number", "currency", "percent"},
	"exclusiveMinimum": {"number", "currency", "percent"},
	"exclusiveMaximum": {"number", "currency", "percent"},
	"multipleOf":       {"number", "percent"},
	"maxLength":        {"text", "textarea", "richtext", "email", "phone", "url"},
	"minLength":        {"text", "textarea", "email"},
	"pattern":          {"text", "textarea", "email"},
	"minItems":         {"multipicklist"},
	"maxItems":         {"multipicklist"},
	"default": {"text", "textarea", "richtext", "email", "phone", "url", "number", "currency", "percent",
		"boolean", "date", "datetime", "picklist", "multipicklist", "lookup", "masterdetail", "geolocation"},
}

// buildField builds one custom field from its (meta-schema valid)
// property and checks its settings.
func buildField(name string, def map[string]any, raw json.RawMessage) (*Field, []errs.FieldError) {
	f := &Field{Name: name, Def: def, Raw: append(json.RawMessage(nil), raw...), Scale: -1}
	f.TypeName, _ = def["x-crm-type"].(string)
	f.typ = registry[f.TypeName]
	var problems []errs.FieldError
	bad := func(kw, code, msg string) {
		problems = append(problems, errs.FieldError{Field: f.Pointer() + "/" + kw, Code: code, Message: msg})
	}
	for kw, types := range keywordTypes {
		if _, ok := def[kw]; ok && !contains(types, f.TypeName) {
			bad(kw, "not_applicable", "does not apply to a "+f.TypeName+" field")
		}
	}
	f.Label = f.defString("x-crm-label")
	if f.Label == "" {
		f.Label = f.defString("title")
	}
	if f.Label == "" {
		f.Label = humanize(name)
	}
	f.Help = f.defString("x-crm-help")
	if f.Help == "" {
		f.Help = f.defString("description")
	}
	f.Indexed, _ = def["x-crm-indexed"].(bool)
	f.Unique, _ = def["x-crm-unique"].(bool)
	f.History, _ = def["x-crm-history"].(bool)
	f.Deleted, _ = def["x-crm-deleted"].(bool)
	f.Target = f.defString("x-crm-target")
	f.Format = f.defString("x-crm-format")
	if n, ok := f.defInt("x-crm-scale"); ok {
		f.Scale = int(n)
	}
	f.Values = picklistValues(f)
	if expr := f.defString("x-crm-formula"); expr != "" {
		f.Formula = &Formula{Expression: expr, Result: f.defString("x-crm-result")}
	}
	if r, ok := def["x-crm-rollup"].(map[string]any); ok {
		f.Rollup = &Rollup{}
		f.Rollup.Object, _ = r["object"].(string)
		f.Rollup.Field, _ = r["field"].(string)
		f.Rollup.Op, _ = r["op"].(string)
		f.Rollup.Filter, _ = r["filter"].(string)
	}
	if f.TypeName == "currency" && f.Scale < 0 {
		f.Scale = DefaultCurrencyScale
	}
	if f.TypeName == "formula" || f.TypeName == "rollup" {
		f.result = resultField(f)
	}
	if len(problems) > 0 {
		return nil, problems // settings of the wrong type would confuse the checks below
	}

	if jt := f.defString("type"); jt != "" && jt != expectedJSONType(f) &&
		!(jt == "integer" && (f.TypeName == "number" || f.TypeName == "percent")) {
		bad("type", "type", "must be \""+expectedJSONType(f)+"\" for a "+f.TypeName+" field")
	}
	if p := f.defString("pattern"); p != "" {
		if _, err := regexp.Compile(p); err != nil {
			bad("pattern", "pattern", "is not a valid regular expression")
		}
	}
	problems = append(problems, f.typ.Check(f)...)
	if (f.Indexed || f.Unique) && !f.Indexable() {
		kw := "x-crm-indexed"
		if f.Unique {
			kw = "x-crm-unique"
		}
		bad(kw, "not_indexable", "a "+f.TypeName+" field cannot be indexed")
	}
	if v, ok := def["default"]; ok && len(problems) == 0 {
		if v == nil {
			bad("default", "type", "must not be null")
		} else if stored, err := f.Normalize(v); err != nil {
			bad("default", ValueCode(err), "is not a valid value: "+err.(*ValueError).Message)
		} else {
			f.Default, f.HasDefault = stored, stored != nil
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return f, nil
}

// expectedJSONType is the JSON type of the field's API values.
func expectedJSONType(f *Field) string {
	if f.result != nil {
		return f.result.typ.JSONType()
	}
	return f.typ.JSONType()
}

// resultField is the value type of a formula or roll-up field: a field of
// the result type with the same name and scale.
func resultField(f *Field) *Field {
	name := f.defString("x-crm-result")
	if name == "" {
		name = "number"
	}
	r := &Field{Name: f.Name, TypeName: name, typ: registry[name], Scale: f.Scale, Def: map[string]any{}}
	if name == "currency" && r.Scale < 0 {
		r.Scale = DefaultCurrencyScale
	}
	return r
}

// picklistValues reads enum (or items.enum) and x-crm-values.
func picklistValues(f *Field) []PicklistValue {
	list, _ := f.Def["enum"].([]any)
	if items, ok := f.Def["items"].(map[string]any); ok {
		list, _ = items["enum"].([]any)
	}
	meta, _ := f.Def["x-crm-values"].(map[string]any)
	out := make([]PicklistValue, 0, len(list))
	for _, v := range list {
		s, _ := v.(string)
		pv := PicklistValue{Value: s, Label: s}
		if m, ok := meta[s].(map[string]any); ok {
			if l, ok := m["label"].(string); ok {
				pv.Label = l
			}
			pv.Inactive, _ = m["inactive"].(bool)
			pv.Color, _ = m["color"].(string)
		}
		out = append(out, pv)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// UserObject is the target of the owner and createdBy/updatedBy lookups:
// the platform's users, which exist in every tenant.
const UserObject = "user"

// systemFieldDefs are the platform-managed fields, in Describe order.
var systemFieldDefs = []struct{ name, def string }{
	{"id", `{"type":"string","x-crm-type":"text","x-crm-label":"Record ID","readOnly":true,"x-crm-system":true}`},
	{"owner", `{"type":"string","x-crm-type":"lookup","x-crm-target":"user","x-crm-label":"Owner","x-crm-indexed":true,"x-crm-system":true}`},
	{"createdAt", `{"type":"string","x-crm-type":"datetime","x-crm-label":"Created At","x-crm-indexed":true,"readOnly":true,"x-crm-system":true}`},
	{"createdBy", `{"type":"string","x-crm-type":"lookup","x-crm-target":"user","x-crm-label":"Created By","readOnly":true,"x-crm-system":true}`},
	{"updatedAt", `{"type":"string","x-crm-type":"datetime","x-crm-label":"Updated At","x-crm-indexed":true,"readOnly":true,"x-crm-system":true}`},
	{"updatedBy", `{"type":"string","x-crm-type":"lookup","x-crm-target":"user","x-crm-label":"Updated By","readOnly":true,"x-crm-system":true}`},
	{"version", `{"type":"integer","x-crm-type":"number","x-crm-label":"Version","readOnly":true,"x-crm-system":true}`},
}

// systemFields builds the system fields of one object.
func systemFields() []*Field {
	out := make([]*Field, 0, len(systemFieldDefs))
	for _, s := range systemFieldDefs {
		def, err := decodeJSON([]byte(s.def))
		if err != nil {
			panic("schema: bad system field " + s.name) // a constant above is broken
		}
		m := def.(map[string]any)
		delete(m, "x-crm-system") // buildField refuses nothing here; keep Def clean of the marker
		f, problems := buildField(s.name, m, json.RawMessage(s.def))
		if len(problems) > 0 {
			panic("schema: bad system field " + s.name)
		}
		f.System = true
		out = append(out, f)
	}
	return out
}
