package schema

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/opencrm/crm/platform/errs"
)

// Kind is how the store and the filter language see a field's stored value.
type Kind string

// The value kinds. KindList is a list of strings (a multi-picklist) and
// KindObject a nested object (a geolocation); neither sorts.
const (
	KindString   Kind = "string"
	KindNumber   Kind = "number"
	KindBool     Kind = "bool"
	KindDate     Kind = "date"
	KindDateTime Kind = "datetime"
	KindList     Kind = "list"
	KindObject   Kind = "object"
)

// Type is one field type of the registry. Each implementation lives in its
// own file (field_currency.go, ...). Methods receive the field so that they
// can read its settings (scale, values, target...).
type Type interface {
	// Name is the x-crm-type keyword value.
	Name() string
	// JSONType is the JSON Schema "type" of the field's API value.
	JSONType() string
	// Kind is the kind of the stored value, for filters and sorting.
	Kind(f *Field) Kind
	// Check verifies the field's settings and returns problems pointing at
	// the offending keyword (f.Pointer() + "/x-crm-...").
	Check(f *Field) []errs.FieldError
	// Normalize turns a non-nil API value into its stored form, or returns
	// a *ValueError.
	Normalize(f *Field, v any) (any, error)
	// Render turns a stored value into its API form.
	Render(f *Field, stored any) any
	// Schema returns the JSON Schema fragment of the API value, used for
	// record validation and the OpenAPI document.
	Schema(f *Field) map[string]any
}

// Computed is implemented by types whose values the platform computes
// (formula, roll-up, auto-number): clients never write them.
type Computed interface{ Computed() bool }

// Indexable is implemented by types whose stored values can carry a
// secondary index.
type Indexable interface{ Indexable() bool }

// Defaulter is implemented by types that have an implicit default when the
// definition gives none (a checkbox is false).
type Defaulter interface{ ImplicitDefault(f *Field) (any, bool) }

// updateNormalizer is implemented by types whose accepted input depends on
// the record's current value (inactive picklist values stay allowed on the
// records that have them).
type updateNormalizer interface {
	NormalizeUpdate(f *Field, v, old any) (any, error)
}

// ValueCode returns the code of a *ValueError, or "invalid".
func ValueCode(err error) string {
	if ve, ok := err.(*ValueError); ok {
		return ve.Code
	}
	return "invalid"
}

// ValueError is a problem with one value: Code is a stable word such as
// "type", "format", "scale" or "inactive".
type ValueError struct {
	Code    string
	Message string
}

// Error implements error.
func (e *ValueError) Error() string { return e.Code + ": " + e.Message }

func valueErr(code, format string, args ...any) error {
	return &ValueError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// registry maps x-crm-type to its implementation. It is built once from
// constant values and never changed, so it is safe to share.
var registry = func() map[string]Type {
	m := map[string]Type{}
	for _, t := range []Type{
		textType{name: "text", maxLen: 255}, textType{name: "textarea", maxLen: 32768}, richtextType{},
		emailType{}, phoneType{}, urlType{}, numberType{name: "number"}, numberType{name: "percent"},
		currencyType{}, booleanType{}, dateType{}, datetimeType{}, picklistType{}, multipicklistType{},
		lookupType{name: "lookup"}, lookupType{name: "masterdetail"}, autonumberType{}, geolocationType{},
		formulaType{}, rollupType{},
	} {
		m[t.Name()] = t
	}
	return m
}()

// Types returns the names of all field types in name order.
func Types() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupType returns the registered type with that name.
func LookupType(name string) (Type, bool) {
	t, ok := registry[name]
	return t, ok
}

// PicklistValue is one value of a picklist or multi-picklist, in definition
// order. An inactive value is refused on new input but kept on records that
// have it.
type PicklistValue struct {
	Value    string
	Label    string
	Inactive bool
	Color    string
}

// Formula carries a formula field's expression and result type; the formula
// package evaluates it.
type Formula struct {
	Expression string
	Result     string // a field type name: text, number, currency, ...
}

// Rollup carries a roll-up summary definition: Op over Field of the Object
// records that point at this record through a master-detail field.
type Rollup struct {
	Object string `json:"object"`
	Field  string `json:"field,omitempty"`
	Op     string `json:"op"`
	Filter string `json:"filter,omitempty"`
}

// Field is one field of an object, system or custom. It is immutable after
// Parse.
type Field struct {
	Name     string
	TypeName string // the x-crm-type value
	Label    string
	Help     string
	Required bool
	Indexed  bool
	Unique   bool
	History  bool
	// Deleted marks a field hidden from records and forms whose stored data
	// is kept until the field is removed from the definition.
	Deleted bool
	// System marks the platform-managed fields (id, owner, createdAt...).
	System bool
	Target string          // lookup and master-detail: the target object
	Format string          // auto-number: "INV-{0000}"
	Scale  int             // currency (default 2), number and percent (-1: any)
	Values []PicklistValue // picklist and multi-picklist, in order
	// Formula is set for formula fields; Result names the result type.
	Formula *Formula
	// Rollup is set for roll-up summary fields.
	Rollup *Rollup
	// Default is the stored form of the default value, when HasDefault.
	Default    any
	HasDefault bool
	// Def is the decoded property of the definition (numbers as
	// json.Number); Raw its original JSON text.
	Def map[string]any
	Raw json.RawMessage

	typ Type
	// result is the value type of a formula or roll-up field.
	result *Field
}

// Type returns the field's type implementation.
func (f *Field) Type() Type { return f.typ }

// Kind returns the kind of the field's stored values.
func (f *Field) Kind() Kind { return f.typ.Kind(f) }

// Pointer is the JSON pointer of the field's property in the definition.
func (f *Field) Pointer() string { return "/properties/" + f.Name }

// ReadOnly reports whether clients may not write the field: computed types
// and system fields other than owner.
func (f *Field) ReadOnly() bool {
	if f.System {
		return f.Name != "owner"
	}
	if c, ok := f.typ.(Computed); ok && c.Computed() {
		return true
	}
	b, _ := f.Def["readOnly"].(bool)
	return b
}

// Computed reports whether the platform computes the field's value.
func (f *Field) Computed() bool {
	c, ok := f.typ.(Computed)
	return ok && c.Computed()
}

// Indexable reports whether the field's values can be indexed.
func (f *Field) Indexable() bool {
	i, ok := f.typ.(Indexable)
	return ok && i.Indexable()
}

// Normalize turns a non-nil API value into the field's stored form.
func (f *Field) Normalize(v any) (any, error) { return f.typ.Normalize(f, v) }

// Render turns a stored value into its API form; nil stays nil.
func (f *Field) Render(stored any) any {
	if stored == nil {
		return nil
	}
	return f.typ.Render(f, stored)
}

// Value returns the picklist value with that name.
func (f *Field) Value(v string) (PicklistValue, bool) {
	for _, pv := range f.Values {
		if pv.Value == v {
			return pv, true
		}
	}
	return PicklistValue{}, false
}

// defString returns a string keyword of the definition.
func (f *Field) defString(key string) string {
	s, _ := f.Def[key].(string)
	return s
}

// defInt returns an integer keyword of the definition.
func (f *Field) defInt(key string) (int64, bool) {
	n, ok := f.Def[key].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// constraints copies the given JSON Schema keywords from the definition
// into a schema fragment.
func (f *Field) constraints(dst map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		if v, ok := f.Def[k]; ok {
			dst[k] = v
		}
	}
	return dst
}

// numberKeywords and stringKeywords are the JSON Schema constraints a field
// definition may carry into the record schema.
var (
	numberKeywords = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
	stringKeywords = []string{"minLength", "maxLength", "pattern"}
)
