package schema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/opencrm/crm/platform/errs"
)

// Mode says what a record body is for.
type Mode int

// The validation modes: Create validates a whole new record (required
// fields must be present); Update validates a JSON merge patch (only the
// fields it names; null clears a field, which a required field refuses).
const (
	Create Mode = iota
	Update
)

// Validator validates and normalises record input for one version of one
// object. It is built once per object version (see Object.Validator and
// Cache) and is safe for concurrent use.
type Validator struct {
	obj    *Object
	schema *jsonschema.Schema
	// plans holds every field a record may name (the fields of obj that
	// are not deleted); a name missing here is an unknown field.
	plans map[string]*fieldPlan
}

// fieldPlan is what Prepare needs to know of one field, worked out once
// per validator rather than on every record.
type fieldPlan struct {
	f        *Field
	readOnly bool
	// inSchema is set for the fields of the record schema (the writable
	// custom fields); fast is their compiled fast check, nil when the
	// fragment needs jsonschema every time (see fastpath.go).
	inSchema bool
	fast     *fastSchema
	update   updateNormalizer
}

// pendingValue is a non-null input value of a writable field, waiting for
// the schema check and normalisation.
type pendingValue struct {
	name    string
	val     any
	plan    *fieldPlan
	removed bool
}

// Validator returns the object's compiled record validator, compiling it on
// first use.
func (o *Object) Validator() (*Validator, error) {
	o.validatorOnce.Do(func() { o.validator, o.validatorErr = compileValidator(o) })
	return o.validator, o.validatorErr
}

// compileValidator compiles the input schema: the writable custom fields,
// without "required" (checked in Go so that one schema serves both modes).
// Beside the jsonschema.Schema it compiles each field's fragment into a
// fast check (fastpath.go) that spares the usual valid values the generic
// evaluator; jsonschema still judges, and words, everything else.
func compileValidator(o *Object) (*Validator, error) {
	props := map[string]any{}
	for _, f := range o.Fields {
		if !f.Deleted && !f.ReadOnly() {
			props[f.Name] = f.typ.Schema(f)
		}
	}
	doc := map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"properties": props}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "metadata.schema_compile", "cannot build the record schema of %s", o.APIName)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = refuseLoad
	url := "mem://objects/" + o.APIName + ".json"
	if err := c.AddResource(url, bytes.NewReader(raw)); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "metadata.schema_compile", "cannot compile the record schema of %s", o.APIName)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "metadata.schema_compile", "cannot compile the record schema of %s", o.APIName)
	}
	// The fast checks read the same JSON text as the compiler, so they
	// see the keyword values exactly as jsonschema does.
	decoded, err := decodeJSON(raw)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "metadata.schema_compile", "cannot read the record schema of %s", o.APIName)
	}
	fragments := decoded.(map[string]any)["properties"].(map[string]any)
	plans := make(map[string]*fieldPlan, len(o.byName))
	for name, f := range o.byName {
		if f.Deleted {
			continue
		}
		p := &fieldPlan{f: f, readOnly: f.ReadOnly()}
		if frag, ok := fragments[name]; ok {
			p.inSchema = true
			p.fast = compileFast(frag)
		}
		p.update, _ = f.typ.(updateNormalizer)
		plans[name] = p
	}
	return &Validator{obj: o, schema: s, plans: plans}, nil
}

// Object returns the object the validator belongs to.
func (v *Validator) Object() *Object { return v.obj }

// Validate checks record input and returns its problems, nil when it is
// valid. Field names are record field names; codes are "unknown_field",
// "read_only", "required", "type", "format", "minimum", "enum", "scale",
// "inactive"... In Update mode without the current record every read-only
// field sent is refused; use Prepare to allow echoing unchanged values.
func (v *Validator) Validate(record map[string]any, mode Mode) []errs.FieldError {
	_, problems := v.Prepare(record, nil, mode)
	return problems
}

// Prepare validates input and returns the stored form of the fields it
// sets (nil for a cleared field). old is the current stored record in
// Update mode, or nil: a read-only field whose value equals old's is
// accepted and left out of the result, and an inactive picklist value the
// record already has stays allowed. Defaults are not applied here (see
// ApplyDefaults).
func (v *Validator) Prepare(input, old map[string]any, mode Mode) (map[string]any, []errs.FieldError) {
	var problems []errs.FieldError
	add := func(field, code, msg string) {
		problems = append(problems, errs.FieldError{Field: field, Code: code, Message: msg})
	}
	out := make(map[string]any, len(input))
	var buf [32]pendingValue
	check := buf[:0]
	for name, val := range input {
		p, ok := v.plans[name]
		if !ok {
			add(name, "unknown_field", "is not a field of "+v.obj.APIName)
			continue
		}
		if p.readOnly {
			if val != nil && !sameValue(p.f, val, old[name]) {
				add(name, "read_only", "is read-only")
			}
			continue
		}
		if val == nil {
			if p.f.Required {
				add(name, "required", "is required")
			} else {
				out[name] = nil
			}
			continue
		}
		check = append(check, pendingValue{name: name, val: val, plan: p})
	}
	if mode == Create {
		for _, name := range v.obj.Required {
			if val, ok := input[name]; !ok || val == nil || val == "" {
				if ok && val == "" {
					for i := range check {
						if check[i].name == name {
							check[i].removed = true
						}
					}
				}
				if !ok || val == "" {
					add(name, "required", "is required")
				}
			}
		}
	}
	bad := v.schemaProblems(check, &problems)
	for i := range check {
		c := &check[i]
		if c.removed || bad[c.name] {
			continue
		}
		f := c.plan.f
		var stored any
		var err error
		if c.plan.update != nil && old != nil {
			stored, err = c.plan.update.NormalizeUpdate(f, c.val, old[c.name])
		} else {
			stored, err = f.typ.Normalize(f, c.val)
		}
		if err != nil {
			msg := err.Error()
			if ve, ok := err.(*ValueError); ok {
				msg = ve.Message
			}
			add(c.name, ValueCode(err), msg)
			continue
		}
		if stored == nil && f.Required {
			add(c.name, "required", "is required")
			continue
		}
		out[c.name] = stored
	}
	if len(problems) > 0 {
		sortFieldErrors(problems)
		return nil, problems
	}
	return out, nil
}

// schemaProblems checks the pending values against the record schema,
// appends the first problem of each failing field and returns the names of
// the failing fields. Values the fast path accepts are valid for the
// schema; the others, and the fields without a fast check, go through
// jsonschema, which alone words the problems. Fields are independent in
// the record schema, so validating only those gives each of them the
// problems that validating the whole record would.
func (v *Validator) schemaProblems(check []pendingValue, problems *[]errs.FieldError) map[string]bool {
	var slow map[string]any
	for i := range check {
		c := &check[i]
		if c.removed || !c.plan.inSchema || c.plan.fast != nil && c.plan.fast.valid(c.val) {
			continue
		}
		if slow == nil {
			slow = make(map[string]any, len(check)-i)
		}
		slow[c.name] = c.val
	}
	if slow == nil {
		return nil
	}
	err := v.schema.Validate(slow)
	if err == nil {
		return nil
	}
	bad := map[string]bool{}
	for _, fe := range recordErrors(err) {
		if !bad[fe.Field] {
			bad[fe.Field] = true
			*problems = append(*problems, fe)
		}
	}
	return bad
}

// sameValue reports whether an input value equals the stored one, so a
// client may send read-only fields back unchanged.
func sameValue(f *Field, in, stored any) bool {
	if stored == nil {
		return false
	}
	if reflect.DeepEqual(in, stored) {
		return true
	}
	if n, err := f.typ.Normalize(f, in); err == nil {
		if reflect.DeepEqual(n, stored) {
			return true
		}
		a, okA := decimalText(n)
		b, okB := decimalText(stored)
		return okA && okB && a == b
	}
	return false
}

// recordErrors maps a record schema error to field errors named after the
// top-level record field.
func recordErrors(err error) []errs.FieldError {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []errs.FieldError{{Code: "invalid", Message: "the record cannot be validated"}}
	}
	var out []errs.FieldError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		loc := strings.TrimPrefix(e.InstanceLocation, "/")
		field, sub, _ := strings.Cut(loc, "/")
		field = unescapePointer(field)
		kw := e.KeywordLocation[strings.LastIndexByte(e.KeywordLocation, '/')+1:]
		msg := e.Message
		if sub != "" {
			msg = unescapePointer(sub) + ": " + msg
		}
		out = append(out, errs.FieldError{Field: field, Code: kw, Message: msg})
	}
	walk(ve)
	return out
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// sortFieldErrors orders problems by field then code, so answers are
// stable.
func sortFieldErrors(p []errs.FieldError) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && (p[j].Field < p[j-1].Field || p[j].Field == p[j-1].Field && p[j].Code < p[j-1].Code); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// ApplyDefaults sets, in the API input of a new record, every writable
// field that the input does not mention to its default (from the
// definition, or the type's implicit one such as false for a checkbox).
func (o *Object) ApplyDefaults(input map[string]any) {
	for _, f := range o.Fields {
		if f.Deleted || f.ReadOnly() {
			continue
		}
		if _, set := input[f.Name]; set {
			continue
		}
		if f.HasDefault {
			input[f.Name] = f.Render(f.Default)
		} else if d, ok := f.typ.(Defaulter); ok {
			if val, ok := d.ImplicitDefault(f); ok {
				input[f.Name] = val
			}
		}
	}
}

// Render turns a stored record into its API form: every known field that
// is not deleted, through its type's Render. Unknown stored members are
// left out.
func (o *Object) Render(stored map[string]any) map[string]any {
	out := make(map[string]any, len(stored))
	for name, val := range stored {
		if f, ok := o.byName[name]; ok && !f.Deleted && val != nil {
			out[name] = f.Render(val)
		}
	}
	return out
}
