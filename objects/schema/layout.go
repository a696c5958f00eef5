package schema

import (
	"bytes"
	"encoding/json"
	"regexp"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

var viewNameRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,39}$`)

// Layout is the arrangement of an object's fields on the record form.
type Layout struct {
	Name     string          `json:"name"`
	Label    string          `json:"label,omitempty"`
	Object   string          `json:"object"`
	Sections []LayoutSection `json:"sections"`
}

// LayoutSection is a titled group of fields shown in one or two columns.
type LayoutSection struct {
	Label   string       `json:"label,omitempty"`
	Columns int          `json:"columns,omitempty"` // 1 or 2; 0 means 2
	Items   []LayoutItem `json:"items"`
}

// LayoutItem places one field.
type LayoutItem struct {
	Field string `json:"field"`
	// ReadOnly shows the field without letting the form edit it; field
	// security still applies on top.
	ReadOnly bool `json:"readOnly,omitempty"`
}

// ListView is a saved list of an object's records: columns, a filter in
// the API filter language (carried here, parsed and checked by the query
// package) and a sort order.
type ListView struct {
	Name    string          `json:"name"`
	Label   string          `json:"label,omitempty"`
	Object  string          `json:"object"`
	Columns []string        `json:"columns"`
	Filter  string          `json:"filter,omitempty"`
	Sort    []store.SortKey `json:"sort,omitempty"`
	Limit   int             `json:"limit,omitempty"` // 0 means the API default
}

// ParseLayout decodes a layout strictly (unknown members are refused).
func ParseLayout(raw []byte) (*Layout, error) {
	var l Layout
	if err := strictDecode(raw, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// ParseListView decodes a list view strictly (unknown members are refused).
func ParseListView(raw []byte) (*ListView, error) {
	var lv ListView
	if err := strictDecode(raw, &lv); err != nil {
		return nil, err
	}
	return &lv, nil
}

func strictDecode(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Wrap(err, errs.Invalid, "metadata.invalid", "the definition is not valid JSON of the expected shape: %v", err)
	}
	return nil
}

// Check verifies the layout against its object: a valid name, every field
// exists, is not deleted and appears once, and every required writable
// field is on the form (or records could not be created with it).
func (l *Layout) Check(o *Object) error {
	var p []errs.FieldError
	bad := func(field, code, msg string) { p = append(p, errs.FieldError{Field: field, Code: code, Message: msg}) }
	if !viewNameRe.MatchString(l.Name) {
		bad("/name", "pattern", "must be a letter followed by at most 39 letters, digits or _")
	}
	if l.Object != o.APIName {
		bad("/object", "object", "must be "+o.APIName)
	}
	seen := map[string]bool{}
	for si, s := range l.Sections {
		sp := "/sections/" + itoa(si)
		if s.Columns < 0 || s.Columns > 2 {
			bad(sp+"/columns", "enum", "must be 1 or 2")
		}
		for ii, it := range s.Items {
			ip := sp + "/items/" + itoa(ii) + "/field"
			f, ok := o.Field(it.Field)
			switch {
			case !ok || f.Deleted:
				bad(ip, "unknown_field", "names no field of "+o.APIName+": "+it.Field)
			case seen[it.Field]:
				bad(ip, "duplicate", it.Field+" is placed twice")
			}
			seen[it.Field] = true
		}
	}
	for _, r := range o.Required {
		if f, _ := o.Field(r); !f.Deleted && !seen[r] {
			bad("/sections", "missing_required", "the required field "+r+" is not on the layout")
		}
	}
	if len(p) > 0 {
		return invalidView(p)
	}
	return nil
}

// Check verifies the list view against its object: a valid name, columns
// and sort fields exist and are not deleted, sort fields are sortable
// (stored and of a scalar kind), and the limit is within 0..200. The filter
// is not checked here.
func (lv *ListView) Check(o *Object) error {
	var p []errs.FieldError
	bad := func(field, code, msg string) { p = append(p, errs.FieldError{Field: field, Code: code, Message: msg}) }
	if !viewNameRe.MatchString(lv.Name) {
		bad("/name", "pattern", "must be a letter followed by at most 39 letters, digits or _")
	}
	if lv.Object != o.APIName {
		bad("/object", "object", "must be "+o.APIName)
	}
	if len(lv.Columns) == 0 {
		bad("/columns", "required", "a list view shows at least one column")
	}
	seen := map[string]bool{}
	for i, c := range lv.Columns {
		f, ok := o.Field(c)
		switch {
		case !ok || f.Deleted:
			bad("/columns/"+itoa(i), "unknown_field", "names no field of "+o.APIName+": "+c)
		case seen[c]:
			bad("/columns/"+itoa(i), "duplicate", c+" is shown twice")
		}
		seen[c] = true
	}
	for i, s := range lv.Sort {
		f, ok := o.Field(s.Field)
		switch {
		case !ok || f.Deleted:
			bad("/sort/"+itoa(i)+"/field", "unknown_field", "names no field of "+o.APIName+": "+s.Field)
		case !Sortable(f):
			bad("/sort/"+itoa(i)+"/field", "not_sortable", "a "+f.TypeName+" field cannot be sorted")
		}
	}
	if lv.Limit < 0 || lv.Limit > 200 {
		bad("/limit", "maximum", "must be between 1 and 200")
	}
	if len(p) > 0 {
		return invalidView(p)
	}
	return nil
}

// Sortable reports whether the store can sort and range-filter a field:
// it is stored (not a formula) and its values are scalars.
func Sortable(f *Field) bool {
	if f.TypeName == "formula" {
		return false
	}
	k := f.Kind()
	return k != KindList && k != KindObject
}

func invalidView(p []errs.FieldError) *errs.Error {
	e := errs.New(errs.Invalid, "metadata.invalid", "the definition is invalid")
	e.Fields = p
	return e
}
