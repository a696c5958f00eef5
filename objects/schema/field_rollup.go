package schema

import "github.com/opencrm/crm/platform/errs"

// rollupResults are the result types each roll-up operation may declare.
var rollupResults = map[string]map[string]bool{
	"count": {"number": true},
	"sum":   {"number": true, "currency": true, "percent": true},
	"avg":   {"number": true, "currency": true, "percent": true},
	"min":   {"number": true, "currency": true, "percent": true, "date": true, "datetime": true},
	"max":   {"number": true, "currency": true, "percent": true, "date": true, "datetime": true},
}

// rollupType is a read-only summary (count, sum, avg, min, max) of a field
// of the child records that point at this record through a master-detail
// field. The value is stored on the parent by the record service; this type
// carries the definition (Field.Rollup) and the result type (x-crm-result,
// "number" by default), which renders the value.
type rollupType struct{}

func (rollupType) Name() string       { return "rollup" }
func (rollupType) JSONType() string   { return "" }
func (rollupType) Computed() bool     { return true }
func (rollupType) Indexable() bool    { return true }
func (rollupType) Kind(f *Field) Kind { return f.result.Kind() }

func (rollupType) Check(f *Field) []errs.FieldError {
	var out []errs.FieldError
	if f.Rollup.Op != "count" && f.Rollup.Field == "" {
		out = append(out, errs.FieldError{Field: f.Pointer() + "/x-crm-rollup/field", Code: "required",
			Message: "a " + f.Rollup.Op + " roll-up needs the field it summarises"})
	}
	if allowed := rollupResults[f.Rollup.Op]; allowed != nil && !allowed[f.result.TypeName] {
		out = append(out, errs.FieldError{Field: f.Pointer() + "/x-crm-result", Code: "enum",
			Message: "a " + f.Rollup.Op + " roll-up cannot produce a " + f.result.TypeName})
	}
	return out
}

func (rollupType) Normalize(f *Field, v any) (any, error) { return f.result.Normalize(v) }

func (rollupType) Render(f *Field, stored any) any { return f.result.Render(stored) }

func (rollupType) Schema(f *Field) map[string]any {
	s := f.result.typ.Schema(f.result)
	s["readOnly"] = true
	return s
}
