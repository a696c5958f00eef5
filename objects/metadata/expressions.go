package metadata

import (
	"fmt"
	"strings"

	"github.com/opencrm/crm/objects/formula"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
)

// This file compiles the expressions an object definition carries: the
// formulas of formula fields and the conditions of validation rules (both in
// the formula language), and checks the filters of roll-up summaries (in the
// query language). Put refuses a definition whose expressions do not
// compile, with a 422 whose field errors point at the keyword
// ("/properties/total/x-crm-formula", "/x-crm-rules/0/condition") and carry
// the 1-based position in the expression. The record service compiles the
// same Expressions once per object version to evaluate them.

// Expressions are the compiled formulas and rule conditions of one object
// version. They are immutable and safe for concurrent use.
type Expressions struct {
	formulas map[string]*Formula
	order    []*Formula
	// Rules are the object's validation rules in definition order, each
	// with its compiled condition (Expr nil when it does not compile).
	Rules    []Rule
	problems []errs.FieldError
}

// Formula is one compiled formula field.
type Formula struct {
	Field *schema.Field
	// Expr is nil when the formula does not compile (Err says why).
	Expr *formula.Expr
	Err  error
	// needs are the stored fields the value depends on, through other
	// formulas too.
	needs []string
}

// Rule is one validation rule with its compiled condition.
type Rule struct {
	schema.Rule
	// Expr is nil when the condition does not compile (Err says why).
	Expr *formula.Expr
	Err  error
}

// FormulaType returns the formula-language type of a field's values, or
// false for fields a formula cannot read (multi-picklists, geolocations,
// deleted fields). Computed fields have the type of their x-crm-result.
func FormulaType(f *schema.Field) (formula.Type, bool) {
	if f.Deleted {
		return formula.TypeNull, false
	}
	name := f.TypeName
	if r := f.Result(); r != nil {
		name = r.TypeName
	}
	switch name {
	case "text", "textarea", "richtext", "email", "phone", "url", "picklist", "lookup", "masterdetail", "autonumber":
		return formula.TypeText, true
	case "number", "percent":
		return formula.TypeNumber, true
	case "currency":
		return formula.TypeCurrency, true
	case "boolean":
		return formula.TypeBoolean, true
	case "date":
		return formula.TypeDate, true
	case "datetime":
		return formula.TypeDateTime, true
	}
	return formula.TypeNull, false
}

type typeEnv struct{ obj *schema.Object }

func (e typeEnv) FieldType(name string) (formula.Type, bool) {
	f, ok := e.obj.Field(name)
	if !ok {
		return formula.TypeNull, false
	}
	return FormulaType(f)
}

// resultFits says whether a formula of type t may declare x-crm-result r.
func resultFits(t formula.Type, r string) bool {
	if t == formula.TypeNull {
		return true
	}
	switch r {
	case "number", "percent", "currency":
		return t == formula.TypeNumber || t == formula.TypeCurrency
	case "text":
		return t == formula.TypeText
	case "boolean":
		return t == formula.TypeBoolean
	case "date":
		return t == formula.TypeDate
	case "datetime":
		return t == formula.TypeDateTime
	}
	return false
}

// Compile compiles the object's formulas and rule conditions. It never
// fails as a whole: each formula or rule that does not compile carries its
// error, and Err reports them all.
func Compile(obj *schema.Object) *Expressions {
	x := &Expressions{formulas: map[string]*Formula{}}
	env := typeEnv{obj}
	for _, f := range obj.Fields {
		if f.Formula == nil || f.Deleted {
			continue
		}
		cf := &Formula{Field: f}
		ptr := f.Pointer() + "/x-crm-formula"
		expr, t, err := formula.Compile(f.Formula.Expression, env)
		switch {
		case err != nil:
			cf.Err = err
			x.problem(ptr, err)
		case !resultFits(t, f.Result().TypeName):
			cf.Err = errs.New(errs.Invalid, formula.CodeType, "the formula gives a %s, which cannot be shown as x-crm-result %q", t, f.Result().TypeName)
			x.problems = append(x.problems, errs.FieldError{Field: ptr, Code: "result_type", Message: cf.Err.(*errs.Error).Message, Position: 1})
		default:
			cf.Expr = expr
		}
		x.formulas[f.Name] = cf
		x.order = append(x.order, cf)
	}
	x.resolveDependencies(obj)
	for i, r := range obj.Rules {
		cr := Rule{Rule: r}
		ptr := schema.RulePointer(i) + "/condition"
		expr, t, err := formula.Compile(r.Condition, env)
		switch {
		case err != nil:
			cr.Err = err
			x.problem(ptr, err)
		case t != formula.TypeBoolean && t != formula.TypeNull:
			cr.Err = errs.New(errs.Invalid, formula.CodeType, "a rule condition must be true or false, not a %s", t)
			x.problems = append(x.problems, errs.FieldError{Field: ptr, Code: "result_type", Message: cr.Err.(*errs.Error).Message, Position: 1})
		default:
			cr.Expr = expr
		}
		x.Rules = append(x.Rules, cr)
	}
	return x
}

// problem records a formula error at a definition pointer, keeping its
// position.
func (x *Expressions) problem(ptr string, err error) {
	fe := errs.FieldError{Field: ptr, Code: "formula", Message: err.Error()}
	if e := errs.As(err); e != nil {
		fe.Code, fe.Message = e.Code, e.Message
		if len(e.Fields) > 0 {
			fe.Position = e.Fields[0].Position
		}
	}
	x.problems = append(x.problems, fe)
}

// resolveDependencies finds each formula's stored inputs and refuses
// formulas that refer to themselves through other formulas.
func (x *Expressions) resolveDependencies(obj *schema.Object) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(cf *Formula, path []string) []string
	visit = func(cf *Formula, path []string) []string {
		name := cf.Field.Name
		switch state[name] {
		case done:
			return cf.needs
		case active:
			return nil
		}
		state[name] = active
		path = append(path, name)
		seen := map[string]bool{}
		add := func(n string) {
			if !seen[n] {
				seen[n] = true
				cf.needs = append(cf.needs, n)
			}
		}
		if cf.Expr != nil {
			for _, ref := range cf.Expr.Fields() {
				dep, isFormula := x.formulas[ref]
				if !isFormula {
					add(ref)
					continue
				}
				if state[ref] == active {
					cycle := strings.Join(append(path[indexOf(path, ref):], ref), " → ")
					cf.Err = errs.New(errs.Invalid, formula.CodeType, "the formula refers to itself: %s", cycle)
					x.problems = append(x.problems, errs.FieldError{Field: cf.Field.Pointer() + "/x-crm-formula",
						Code: "cycle", Message: cf.Err.(*errs.Error).Message})
					continue
				}
				for _, n := range visit(dep, path) {
					add(n)
				}
			}
		}
		state[name] = done
		return cf.needs
	}
	for _, cf := range x.order {
		visit(cf, nil)
	}
	for _, cf := range x.order {
		if cf.Err != nil {
			cf.Expr = nil
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return 0
}

// Formula returns the compiled formula of a formula field.
func (x *Expressions) Formula(name string) (*Formula, bool) {
	f, ok := x.formulas[name]
	return f, ok
}

// Formulas returns the compiled formulas in field order.
func (x *Expressions) Formulas() []*Formula { return x.order }

// Needs returns the stored fields that the formula field name depends on,
// directly or through other formulas.
func (f *Formula) Needs() []string { return f.needs }

// Err returns nil when every formula and rule condition compiles, else a
// metadata.invalid error naming each one with the position of the problem.
func (x *Expressions) Err() error {
	return invalidDefinition(x.problems)
}

func invalidDefinition(problems []errs.FieldError) error {
	if len(problems) == 0 {
		return nil
	}
	e := errs.New(errs.Invalid, "metadata.invalid", "the object definition is invalid")
	if len(problems) == 1 {
		e.Message = fmt.Sprintf("the object definition is invalid: %s: %s", problems[0].Field, problems[0].Message)
	}
	e.Fields = problems
	return e
}

// CheckExpressions checks, when a definition is stored, that every formula
// and rule condition compiles against the object's fields with a fitting
// type, and that every roll-up filter parses against the summarised object.
func CheckExpressions(obj *schema.Object, r schema.Resolver) error {
	problems := append([]errs.FieldError(nil), Compile(obj).problems...)
	for _, f := range obj.Fields {
		if f.Rollup == nil || f.Rollup.Filter == "" || f.Deleted {
			continue
		}
		child, ok := r.Object(f.Rollup.Object)
		if f.Rollup.Object == obj.APIName {
			child, ok = obj, true
		}
		if !ok {
			continue // CheckReferences reports it
		}
		if _, err := query.ParseFilter(f.Rollup.Filter, QueryResolver(child)); err != nil {
			fe := errs.FieldError{Field: f.Pointer() + "/x-crm-rollup/filter", Code: "filter", Message: err.Error()}
			if e := errs.As(err); e != nil {
				fe.Code, fe.Message = e.Code, e.Message
				if len(e.Fields) > 0 {
					fe.Position = e.Fields[0].Position
				}
			}
			problems = append(problems, fe)
		}
	}
	return invalidDefinition(problems)
}

// QueryResolver describes every stored field of obj to the query parser,
// with no field-level security: roll-up filters run with the platform's
// rights. Formula fields are not stored, so they cannot be filtered on.
func QueryResolver(obj *schema.Object) query.Resolver { return objectResolver{obj} }

type objectResolver struct{ obj *schema.Object }

func (r objectResolver) Field(name string) (query.Field, bool) {
	f, ok := r.obj.Field(name)
	if !ok || f.Deleted || f.TypeName == "formula" {
		return query.Field{}, false
	}
	qf := query.Field{Filterable: true, Sortable: schema.Sortable(f)}
	switch f.Kind() {
	case schema.KindString:
		qf.Kind = query.String
	case schema.KindNumber:
		qf.Kind = query.Number
		if f.TypeName == "currency" {
			qf.Convert = query.CurrencyConvert(f.Scale)
		} else if r := f.Result(); r != nil && r.TypeName == "currency" {
			qf.Convert = query.CurrencyConvert(r.Scale)
		}
	case schema.KindBool:
		qf.Kind = query.Boolean
	case schema.KindDate:
		qf.Kind = query.Date
	case schema.KindDateTime:
		qf.Kind = query.DateTime
	case schema.KindList:
		qf.Kind = query.List
	default:
		return query.Field{}, false
	}
	return qf, true
}
