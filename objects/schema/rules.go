package schema

import (
	"strconv"

	"github.com/opencrm/crm/platform/errs"
)

// Rule is one validation rule of an object (the x-crm-rules keyword): when
// its Condition, a formula, is true for a record being saved, the save fails
// with Message on Field (or on the whole record when Field is empty).
//
// Example:
//
//	"x-crm-rules": [{"name": "amount_positive",
//	  "condition": "AND(ISPICKVAL(status, 'paid'), amount <= 0)",
//	  "message": "A paid invoice needs an amount", "field": "amount"}]
//
// This package only reads and checks the keyword's shape (names unique, the
// field exists); the formula package checks the condition, when the metadata
// service stores the definition, and the record service evaluates it.
type Rule struct {
	Name      string `json:"name"`
	Condition string `json:"condition"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	// Active is true unless the definition says "active": false.
	Active      bool   `json:"active"`
	Description string `json:"description,omitempty"`
}

// RulePointer is the JSON pointer of the i-th rule in the definition.
func RulePointer(i int) string { return "/x-crm-rules/" + strconv.Itoa(i) }

// parseRules reads x-crm-rules of a (meta-schema valid) definition once the
// fields are known, and checks what the meta-schema cannot: unique names and
// fields that exist and are not deleted.
func (o *Object) parseRules(top map[string]any) []errs.FieldError {
	list, _ := top["x-crm-rules"].([]any)
	var problems []errs.FieldError
	seen := map[string]bool{}
	for i, v := range list {
		m := v.(map[string]any)
		r := Rule{Active: true}
		r.Name, _ = m["name"].(string)
		r.Condition, _ = m["condition"].(string)
		r.Message, _ = m["message"].(string)
		r.Field, _ = m["field"].(string)
		r.Description, _ = m["description"].(string)
		if a, ok := m["active"].(bool); ok {
			r.Active = a
		}
		if seen[r.Name] {
			problems = append(problems, errs.FieldError{Field: RulePointer(i) + "/name", Code: "duplicate",
				Message: "another rule has the name " + r.Name})
		}
		seen[r.Name] = true
		if r.Field != "" {
			if f, ok := o.byName[r.Field]; !ok || f.Deleted {
				problems = append(problems, errs.FieldError{Field: RulePointer(i) + "/field", Code: "unknown_field",
					Message: "names no field of this object: " + r.Field})
			}
		}
		o.Rules = append(o.Rules, r)
	}
	return problems
}

// Result returns the value type of a formula or roll-up field (a field of
// the x-crm-result type with the same name and scale), or nil for other
// fields. Computed values are normalised and rendered through it.
func (f *Field) Result() *Field { return f.result }
