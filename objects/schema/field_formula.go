package schema

import "github.com/opencrm/crm/platform/errs"

// formulaResults are the types a formula or a roll-up can produce.
var formulaResults = map[string]bool{"text": true, "number": true, "currency": true, "percent": true,
	"boolean": true, "date": true, "datetime": true}

// formulaType is a read-only value computed from the record by the formula
// package. This type only carries the expression (Field.Formula) and
// delegates values to its result type (x-crm-result), so an evaluator's
// output is normalised and rendered like a stored field of that type.
type formulaType struct{}

func (formulaType) Name() string                   { return "formula" }
func (formulaType) JSONType() string               { return "" }
func (formulaType) Computed() bool                 { return true }
func (formulaType) Kind(f *Field) Kind             { return f.result.Kind() }
func (formulaType) Check(*Field) []errs.FieldError { return nil }

func (formulaType) Normalize(f *Field, v any) (any, error) { return f.result.Normalize(v) }

func (formulaType) Render(f *Field, stored any) any { return f.result.Render(stored) }

func (formulaType) Schema(f *Field) map[string]any {
	s := f.result.typ.Schema(f.result)
	s["readOnly"] = true
	return s
}
