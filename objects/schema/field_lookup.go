package schema

import (
	"regexp"

	"github.com/opencrm/crm/platform/errs"
)

// recordIDPattern is the shape of a record id a lookup may hold.
const recordIDPattern = `^[A-Za-z0-9_-]{1,64}$`

var recordIDRe = regexp.MustCompile(recordIDPattern)

// lookupType is a reference to a record of the x-crm-target object, stored
// as its id: "lookup" (optional, the parent may go) or "masterdetail" (the
// child belongs to its parent: always required, and the parent's roll-up
// summaries count it). Both are always indexed. Whether the target object
// exists is checked by CheckReferences.
type lookupType struct{ name string }

func (t lookupType) Name() string   { return t.name }
func (lookupType) JSONType() string { return "string" }
func (lookupType) Kind(*Field) Kind { return KindString }
func (lookupType) Indexable() bool  { return true }

func (lookupType) Check(*Field) []errs.FieldError { return nil }

func (lookupType) Normalize(_ *Field, v any) (any, error) {
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	if !recordIDRe.MatchString(s) {
		return nil, valueErr("format", "must be a record id")
	}
	return s, nil
}

func (lookupType) Render(_ *Field, stored any) any { return stored }

func (lookupType) Schema(f *Field) map[string]any {
	return map[string]any{"type": "string", "pattern": recordIDPattern, "x-crm-target": f.Target}
}
