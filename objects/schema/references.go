package schema

import "github.com/opencrm/crm/platform/errs"

// Resolver finds the current definitions of a tenant's other objects. The
// metadata service implements it; CheckReferences uses it.
type Resolver interface {
	// Object returns the definition of the named object, or false when the
	// tenant has no such object.
	Object(apiName string) (*Object, bool)
}

// CheckReferences verifies what Parse cannot see alone: every lookup and
// master-detail target exists (the object itself and UserObject always
// do), and every roll-up summarises an existing child object that has a
// master-detail field pointing at this object, over an existing field whose
// type suits the operation. Problems are one metadata.invalid error.
func (o *Object) CheckReferences(r Resolver) error {
	var problems []errs.FieldError
	find := func(name string) (*Object, bool) {
		if name == o.APIName {
			return o, true
		}
		return r.Object(name)
	}
	for _, f := range o.Fields {
		if f.Deleted {
			continue
		}
		if f.Target != "" && f.Target != UserObject {
			if _, ok := find(f.Target); !ok {
				problems = append(problems, errs.FieldError{Field: f.Pointer() + "/x-crm-target", Code: "unknown_object",
					Message: "names no object: " + f.Target})
			}
		}
		if f.Rollup != nil {
			problems = append(problems, o.checkRollup(f, find)...)
		}
	}
	if len(problems) > 0 {
		return invalid(problems)
	}
	return nil
}

func (o *Object) checkRollup(f *Field, find func(string) (*Object, bool)) []errs.FieldError {
	ptr := f.Pointer() + "/x-crm-rollup"
	child, ok := find(f.Rollup.Object)
	if !ok {
		return []errs.FieldError{{Field: ptr + "/object", Code: "unknown_object", Message: "names no object: " + f.Rollup.Object}}
	}
	linked := false
	for _, cf := range child.Fields {
		linked = linked || (cf.TypeName == "masterdetail" && cf.Target == o.APIName && !cf.Deleted)
	}
	if !linked {
		return []errs.FieldError{{Field: ptr + "/object", Code: "not_detail",
			Message: f.Rollup.Object + " has no master-detail field pointing at " + o.APIName}}
	}
	if f.Rollup.Op == "count" {
		return nil
	}
	cf, ok := child.Field(f.Rollup.Field)
	if !ok || cf.Deleted {
		return []errs.FieldError{{Field: ptr + "/field", Code: "unknown_field",
			Message: "names no field of " + f.Rollup.Object + ": " + f.Rollup.Field}}
	}
	k := cf.Kind()
	numeric := k == KindNumber
	dated := k == KindDate || k == KindDateTime
	switch {
	case (f.Rollup.Op == "sum" || f.Rollup.Op == "avg") && !numeric,
		(f.Rollup.Op == "min" || f.Rollup.Op == "max") && !numeric && !dated:
		return []errs.FieldError{{Field: ptr + "/field", Code: "type",
			Message: "cannot " + f.Rollup.Op + " a " + cf.TypeName + " field"}}
	case cf.TypeName == "currency" && f.Rollup.Op != "avg" && (f.result.TypeName != "currency" || f.result.Scale != cf.Scale):
		return []errs.FieldError{{Field: f.Pointer() + "/x-crm-result", Code: "type",
			Message: "a roll-up of a currency field must be a currency with the same scale"}}
	case dated && f.result.Kind() != k:
		return []errs.FieldError{{Field: f.Pointer() + "/x-crm-result", Code: "type",
			Message: "must be " + string(k) + " like the summarised field"}}
	}
	return nil
}
