package schema

import (
	"reflect"
	"sort"

	"github.com/opencrm/crm/platform/errs"
)

// Severity says what a definition change needs before it may be applied.
type Severity int

// The severities, from harmless to impossible.
const (
	// Safe changes apply at once (labels, help, new optional fields...).
	Safe Severity = iota
	// NeedsCheck changes apply only after a job has checked (and, for type
	// changes, converted) every stored record; see Check.
	NeedsCheck
	// Refused changes are never applied: they would lose or corrupt data.
	Refused
)

func (s Severity) String() string {
	return [...]string{"safe", "needs_check", "refused"}[s]
}

// CheckKind names the data check a NeedsCheck change requires.
type CheckKind string

// The data checks. Convert, Required, Values and Constraints are all done
// by running Validator.Converter over the stored values; Unique by building
// the unique index; Purge by removing the field's data.
const (
	CheckConvert     CheckKind = "convert"     // the type or scale changes
	CheckRequired    CheckKind = "required"    // the field becomes required
	CheckUnique      CheckKind = "unique"      // the field becomes unique
	CheckValues      CheckKind = "values"      // picklist values were removed
	CheckConstraints CheckKind = "constraints" // minimum, maxLength, pattern... changed
	CheckPurge       CheckKind = "purge"       // a deleted field leaves the definition
)

// Change is one difference between two versions of an object definition.
type Change struct {
	// Field is the field's API name, or "" for the object itself.
	Field string `json:"field,omitempty"`
	// Op is "added", "removed" or "changed".
	Op string `json:"op"`
	// What names the changed aspect: "type", "label", "required", "values"...
	What     string    `json:"what,omitempty"`
	Severity Severity  `json:"-"`
	Check    CheckKind `json:"check,omitempty"`
	// Removed lists the picklist values a CheckValues change removes.
	Removed []string `json:"removed,omitempty"`
	Message string   `json:"message"`
}

// Changes is the outcome of Diff, in field order.
type Changes []Change

// Filter returns the changes of one severity.
func (cs Changes) Filter(s Severity) Changes {
	var out Changes
	for _, c := range cs {
		if c.Severity == s {
			out = append(out, c)
		}
	}
	return out
}

// Checks returns the distinct data checks the changes need, by field.
func (cs Changes) Checks() map[string][]CheckKind {
	out := map[string][]CheckKind{}
	for _, c := range cs.Filter(NeedsCheck) {
		if !contains(checkNames(out[c.Field]), string(c.Check)) {
			out[c.Field] = append(out[c.Field], c.Check)
		}
	}
	return out
}

func checkNames(ks []CheckKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// Err returns nil when no change is refused, or a Conflict error with code
// "metadata.change_refused" naming each refused field.
func (cs Changes) Err() error {
	refused := cs.Filter(Refused)
	if len(refused) == 0 {
		return nil
	}
	e := errs.New(errs.Conflict, "metadata.change_refused", "the change would lose or break data: %s", refused[0].Message)
	for _, c := range refused {
		e.Fields = append(e.Fields, errs.FieldError{Field: c.Field, Code: c.What, Message: c.Message})
	}
	return e
}

// Diff compares two versions of an object definition and classifies every
// difference. It is pure: whether data actually blocks a NeedsCheck change
// is for the caller to find out.
func Diff(old, new *Object) Changes {
	var cs Changes
	add := func(c Change) { cs = append(cs, c) }
	if old.APIName != new.APIName {
		add(Change{Op: "changed", What: "apiName", Severity: Refused, Message: "an object's API name never changes"})
	}
	if old.Label != new.Label || old.PluralLabel != new.PluralLabel || old.Description != new.Description {
		add(Change{Op: "changed", What: "label", Message: "labels changed"})
	}
	if old.Sharing != new.Sharing {
		add(Change{Op: "changed", What: "sharing", Message: "sharing changed from " + string(old.Sharing) + " to " + string(new.Sharing)})
	}
	if !reflect.DeepEqual(old.Rules, new.Rules) { // validation rules (rules.go): safe, they apply to later saves
		add(Change{Op: "changed", What: "rules", Message: "validation rules changed"})
	}
	for _, nf := range new.Fields {
		of, ok := old.byName[nf.Name]
		if !ok || of.System {
			c := Change{Field: nf.Name, Op: "added", Message: "new field"}
			if nf.Required && !nf.Deleted {
				c.Severity, c.Check, c.Message = NeedsCheck, CheckRequired, "a new required field needs a value on every existing record"
			}
			add(c)
			continue
		}
		for _, c := range diffField(of, nf) {
			c.Field, c.Op = nf.Name, "changed"
			add(c)
		}
	}
	for _, of := range old.Fields {
		if _, ok := new.byName[of.Name]; ok {
			continue
		}
		if of.Deleted {
			add(Change{Field: of.Name, Op: "removed", Severity: NeedsCheck, Check: CheckPurge,
				Message: "the field's stored data is purged"})
		} else {
			add(Change{Field: of.Name, Op: "removed", What: "removed", Severity: Refused,
				Message: "a field with data is never dropped: mark it x-crm-deleted first"})
		}
	}
	return cs
}

// diffField classifies the changes of one field.
func diffField(of, nf *Field) []Change {
	var out []Change
	add := func(what string, sev Severity, check CheckKind, msg string) {
		out = append(out, Change{What: what, Severity: sev, Check: check, Message: msg})
	}
	if of.TypeName != nf.TypeName {
		switch {
		case !Convertible(of.TypeName, nf.TypeName):
			add("type", Refused, "", "a "+of.TypeName+" field cannot become a "+nf.TypeName+" field")
		case of.Computed() || nf.Computed():
			add("type", Refused, "", "a stored field and a computed field cannot turn into one another")
		default:
			add("type", NeedsCheck, CheckConvert, "values are converted from "+of.TypeName+" to "+nf.TypeName)
		}
		return out // the other aspects are checked by the conversion
	}
	if of.Target != nf.Target {
		add("target", Refused, "", "a lookup's target object never changes: add a new field instead")
	}
	if of.Scale != nf.Scale && !of.Computed() {
		add("scale", NeedsCheck, CheckConvert, "stored amounts are rescaled")
	}
	if removed := removedValues(of, nf); len(removed) > 0 {
		out = append(out, Change{What: "values", Severity: NeedsCheck, Check: CheckValues, Removed: removed,
			Message: "records holding a removed value block the change"})
	} else if !reflect.DeepEqual(of.Values, nf.Values) {
		add("values", Safe, "", "values added, relabelled, reordered or (in)activated")
	}
	if !of.Required && nf.Required && !nf.Deleted {
		add("required", NeedsCheck, CheckRequired, "records without a value block the change")
	} else if of.Required != nf.Required {
		add("required", Safe, "", "no longer required")
	}
	if !of.Unique && nf.Unique && !nf.Deleted {
		add("unique", NeedsCheck, CheckUnique, "duplicate values block the change")
	} else if of.Unique != nf.Unique {
		add("unique", Safe, "", "no longer unique")
	}
	if !sameKeywords(of, nf, constraintKeywords) || effectiveJSONType(of) != effectiveJSONType(nf) {
		add("constraints", NeedsCheck, CheckConstraints, "stored values must satisfy the new constraints")
	}
	if of.Deleted != nf.Deleted {
		msg := "hidden; its data is kept"
		if !nf.Deleted {
			msg = "restored with its data"
		}
		add("deleted", Safe, "", msg)
	}
	for _, a := range []struct {
		what    string
		changed bool
	}{
		{"label", of.Label != nf.Label || of.Help != nf.Help},
		{"history", of.History != nf.History},
		{"indexed", of.Indexed != nf.Indexed},
		{"default", !reflect.DeepEqual(of.Default, nf.Default)},
		{"format", of.Format != nf.Format},
		{"formula", !reflect.DeepEqual(of.Formula, nf.Formula)},
		{"rollup", !reflect.DeepEqual(of.Rollup, nf.Rollup)},
	} {
		if a.changed {
			add(a.what, Safe, "", a.what+" changed")
		}
	}
	return out
}

// constraintKeywords are the JSON Schema keywords that restrict values.
var constraintKeywords = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"minLength", "maxLength", "pattern", "minItems", "maxItems"}

func sameKeywords(a, b *Field, keys []string) bool {
	for _, k := range keys {
		if !reflect.DeepEqual(a.Def[k], b.Def[k]) {
			return false
		}
	}
	return true
}

// removedValues lists the picklist values of of that nf no longer has.
func removedValues(of, nf *Field) []string {
	var out []string
	for _, v := range of.Values {
		if _, ok := nf.Value(v.Value); !ok {
			out = append(out, v.Value)
		}
	}
	sort.Strings(out)
	return out
}

// effectiveJSONType is the definition's "type", or the type's own.
func effectiveJSONType(f *Field) string {
	if t := f.defString("type"); t != "" {
		return t
	}
	return expectedJSONType(f)
}
