package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// MaxDefinitionSize is the largest object definition Parse accepts, in
// bytes.
const MaxDefinitionSize = 1 << 20

// Sharing is an object's organisation-wide default for record visibility.
type Sharing string

// The sharing defaults (x-crm-sharing). A definition without one is
// private.
const (
	SharingPrivate   Sharing = "private"
	SharingRead      Sharing = "read"
	SharingReadWrite Sharing = "readwrite"
)

var objectNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidObjectName checks an object API name: ^[a-z][a-z0-9_]{0,39}$.
func ValidObjectName(apiName string) bool { return objectNameRe.MatchString(apiName) }

// Object is the typed view of one object definition. It is immutable after
// Parse and safe for concurrent use.
type Object struct {
	APIName     string
	Label       string
	PluralLabel string
	Description string
	Sharing     Sharing
	// Fields are the custom fields in the order of the definition's
	// properties, including fields marked deleted.
	Fields []*Field
	// Required lists the required custom fields in definition order
	// (master-detail fields are always required).
	Required []string
	// Rules are the validation rules (x-crm-rules) in definition order,
	// inactive ones included; see rules.go.
	Rules []Rule
	// Raw is the definition as submitted.
	Raw json.RawMessage

	system  []*Field
	byName  map[string]*Field
	topKeys []string
	topRaw  map[string]json.RawMessage

	validatorOnce sync.Once
	validator     *Validator
	validatorErr  error

	indexesOnce sync.Once
	indexes     []store.Index
}

// Parse parses and checks an object definition: first against the
// embedded meta-schema, then semantically. Every problem is reported in one
// *errs.Error (Kind Invalid, code "metadata.invalid") whose field errors
// carry the JSON pointer of the offending keyword, for example
// "/properties/amount/x-crm-type".
func Parse(apiName string, raw []byte) (*Object, error) {
	if !ValidObjectName(apiName) {
		return nil, invalid([]errs.FieldError{{Field: "apiName", Code: "pattern",
			Message: "must be a lower-case letter followed by at most 39 lower-case letters, digits or _"}})
	}
	if len(raw) > MaxDefinitionSize {
		return nil, invalid([]errs.FieldError{{Field: "/", Code: "too_large",
			Message: "the definition is larger than 1 MiB"}})
	}
	doc, err := decodeJSON(raw)
	if err != nil {
		return nil, invalid([]errs.FieldError{{Field: "/", Code: "json", Message: "is not valid JSON: " + err.Error()}})
	}
	meta, err := compiledMeta()
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "metadata.meta_schema", "the meta-schema does not compile")
	}
	if err := meta.Validate(doc); err != nil {
		return nil, invalid(metaErrors(err))
	}
	top := doc.(map[string]any)
	o := &Object{APIName: apiName, Raw: append(json.RawMessage(nil), raw...), Sharing: SharingPrivate,
		byName: map[string]*Field{}}
	if o.topKeys, o.topRaw, err = orderedMembers(raw); err != nil {
		return nil, invalid([]errs.FieldError{{Field: "/", Code: "json", Message: err.Error()}})
	}
	var propKeys []string
	var propRaw map[string]json.RawMessage
	if r, ok := o.topRaw["properties"]; ok {
		if propKeys, propRaw, err = orderedMembers(r); err != nil {
			return nil, invalid([]errs.FieldError{{Field: "/properties", Code: "duplicate", Message: err.Error()}})
		}
	}
	o.Label, _ = top["title"].(string)
	o.PluralLabel, _ = top["x-crm-plural"].(string)
	if o.PluralLabel == "" {
		o.PluralLabel = o.Label
	}
	o.Description, _ = top["description"].(string)
	if s, ok := top["x-crm-sharing"].(string); ok {
		o.Sharing = Sharing(s)
	}
	o.system = systemFields()
	for _, f := range o.system {
		o.byName[f.Name] = f
	}

	var problems []errs.FieldError
	props := top["properties"].(map[string]any)
	for _, name := range propKeys {
		def := props[name].(map[string]any)
		if _, reserved := o.byName[name]; reserved || reservedNames[name] {
			if sys, _ := def["x-crm-system"].(bool); sys && !reservedNames[name] {
				continue // a system field echoed back from Describe
			}
			problems = append(problems, errs.FieldError{Field: "/properties/" + name, Code: "reserved",
				Message: "is a reserved system field name"})
			continue
		}
		if sys, _ := def["x-crm-system"].(bool); sys {
			problems = append(problems, errs.FieldError{Field: "/properties/" + name + "/x-crm-system",
				Code: "reserved", Message: "only platform fields are system fields"})
			continue
		}
		f, fp := buildField(name, def, propRaw[name])
		problems = append(problems, fp...)
		if f != nil {
			o.Fields = append(o.Fields, f)
			o.byName[name] = f
		}
	}
	problems = append(problems, o.checkRequired(top)...)
	problems = append(problems, o.parseRules(top)...) // validation rules: rules.go
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	return o, nil
}

// reservedNames may not be used by custom fields although they are not
// system fields of a record (the recycle bin uses them).
var reservedNames = map[string]bool{"deletedAt": true, "deletedBy": true}

// checkRequired resolves the "required" list and marks the fields.
func (o *Object) checkRequired(top map[string]any) []errs.FieldError {
	var problems []errs.FieldError
	list, _ := top["required"].([]any)
	req := map[string]bool{}
	for i, v := range list {
		name := v.(string)
		f, ok := o.byName[name]
		switch {
		case !ok:
			problems = append(problems, errs.FieldError{Field: "/required/" + itoa(i), Code: "unknown_field",
				Message: "names no field of this object: " + name})
		case f.System:
			problems = append(problems, errs.FieldError{Field: "/required/" + itoa(i), Code: "read_only",
				Message: "a system field cannot be listed as required: " + name})
		case f.Computed():
			problems = append(problems, errs.FieldError{Field: "/required/" + itoa(i), Code: "read_only",
				Message: "a computed field cannot be required: " + name})
		case f.Deleted:
			problems = append(problems, errs.FieldError{Field: "/required/" + itoa(i), Code: "deleted",
				Message: "a deleted field cannot be required: " + name})
		default:
			req[name] = true
		}
	}
	for _, f := range o.Fields {
		if f.TypeName == "masterdetail" && !f.Deleted {
			req[f.Name] = true
		}
		if req[f.Name] {
			f.Required = true
			o.Required = append(o.Required, f.Name)
		}
	}
	return problems
}

// Field returns the field (custom or system) with that name.
func (o *Object) Field(name string) (*Field, bool) {
	f, ok := o.byName[name]
	return f, ok
}

// SystemFields returns the platform-managed fields every record has: id,
// owner, createdAt, createdBy, updatedAt, updatedBy and version.
func (o *Object) SystemFields() []*Field { return o.system }

// AllFields returns the system fields followed by the custom fields.
func (o *Object) AllFields() []*Field {
	out := make([]*Field, 0, len(o.system)+len(o.Fields))
	return append(append(out, o.system...), o.Fields...)
}

// decodeJSON decodes one JSON value with numbers as json.Number.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// orderedMembers returns the member names of a JSON object in document
// order with their raw values; a repeated name is an error.
func orderedMembers(raw []byte) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errors.New("expected a JSON object")
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := vals[k]; dup {
			return nil, nil, errors.New("member " + k + " appears twice")
		}
		keys = append(keys, k)
		vals[k] = v
	}
	return keys, vals, nil
}

// humanize turns an API name into a label: "closeDate" is "Close Date".
func humanize(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case i == 0:
			b.WriteRune(unicode.ToUpper(r))
		case r == '_':
			b.WriteRune(' ')
		case unicode.IsUpper(r):
			b.WriteRune(' ')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
