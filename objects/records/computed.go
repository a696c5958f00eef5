package records

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/formula"
	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// This file computes formula fields on read and checks validation rules on
// save. Both evaluate the object's expressions (metadata.Compile), compiled
// once per object version and cached here by the *schema.Object, which a
// new version replaces.
//
// Formula fields are never stored: every answer that renders a record
// (Get, List, the results of Create, Update, Restore and Bulk, expanded
// lookups) evaluates them from the stored record. Currency values reach a
// formula as exact decimals built from their minor units; results are
// rendered per x-crm-result: currency and number as exact JSON numbers
// (rounded half away from zero to the field's scale when it has one), dates
// as "2006-01-02", date-times as fixed-width UTC ("2006-01-02T15:04:05.000Z"),
// booleans and text as themselves. TODAY() and date conversions use UTC.
//
// NB: a formula whose evaluation fails (a division by zero, an invalid date,
// a value out of range) renders as null; it never fails the read. A formula
// that no longer compiles against its object renders as null too (Put
// refuses such definitions, so only definitions stored before the check can
// have one).

// maxCachedObjects bounds the expression cache; when it is full the cache
// starts over (entries are cheap to rebuild, and old object versions must
// not be kept alive forever).
const maxCachedObjects = 4096

// exprCache holds the compiled expressions of object versions.
type exprCache struct {
	mu sync.Mutex
	m  map[*schema.Object]*metadata.Expressions
}

func newExprCache() *exprCache { return &exprCache{m: map[*schema.Object]*metadata.Expressions{}} }

// expressions returns the compiled expressions of one object version.
func (s *Service) expressions(obj *schema.Object) *metadata.Expressions {
	c := s.exprs
	c.mu.Lock()
	x, ok := c.m[obj]
	c.mu.Unlock()
	if ok {
		return x
	}
	x = metadata.Compile(obj) // outside the lock: compiling may take a while
	c.mu.Lock()
	if len(c.m) >= maxCachedObjects {
		clear(c.m)
	}
	if prev, ok := c.m[obj]; ok {
		x = prev
	} else {
		c.m[obj] = x
	}
	c.mu.Unlock()
	return x
}

// hasFormulas reports whether an object has formula fields that are not
// deleted, so that records of other objects skip the work.
func hasFormulas(obj *schema.Object) bool {
	for _, f := range obj.Fields {
		if f.Formula != nil && !f.Deleted {
			return true
		}
	}
	return false
}

// addFormulas sets every formula field of the API form data from the stored
// record.
func (s *Service) addFormulas(obj *schema.Object, stored store.Doc, data map[string]any) {
	if !hasFormulas(obj) {
		return
	}
	env := s.newEnv(obj, stored)
	for _, cf := range env.x.Formulas() {
		api, _, err := env.formula(cf.Field.Name)
		if err != nil || api == nil {
			delete(data, cf.Field.Name)
			continue
		}
		data[cf.Field.Name] = api
	}
}

// recordEnv is the formula.ValueEnv of one stored record. Formula fields
// referred to by other formulas or by rules are evaluated once, on demand.
type recordEnv struct {
	obj  *schema.Object
	x    *metadata.Expressions
	doc  store.Doc
	now  time.Time
	memo map[string]computed
}

type computed struct {
	api, val any
	err      error
}

var errInProgress = errors.New("a formula refers to itself")

func (s *Service) newEnv(obj *schema.Object, doc store.Doc) *recordEnv {
	return &recordEnv{obj: obj, x: s.expressions(obj), doc: doc, now: s.cfg.Now(), memo: map[string]computed{}}
}

// Value implements formula.ValueEnv.
func (e *recordEnv) Value(name string) (any, error) {
	f, ok := e.obj.Field(name)
	if !ok || f.Deleted {
		return nil, nil
	}
	if f.TypeName == "formula" {
		_, v, err := e.formula(name)
		return v, err
	}
	return formulaInput(f, e.doc[name]), nil
}

// Now implements formula.ValueEnv.
func (e *recordEnv) Now() time.Time { return e.now }

// Location implements formula.ValueEnv: UTC until tenants have a time zone.
func (e *recordEnv) Location() *time.Location { return time.UTC }

// formula evaluates one formula field: its API value, and the value other
// formulas see (rounded to the field's scale like the API value).
func (e *recordEnv) formula(name string) (api, val any, err error) {
	if r, ok := e.memo[name]; ok {
		return r.api, r.val, r.err
	}
	cf, ok := e.x.Formula(name)
	if !ok || cf.Expr == nil {
		err := fmt.Errorf("formula %s does not compile", name)
		e.memo[name] = computed{err: err}
		return nil, nil, err
	}
	e.memo[name] = computed{err: errInProgress}
	v, err := cf.Expr.Eval(e)
	if err == nil {
		api, val, err = shapeResult(cf.Field.Result(), v)
	}
	if err != nil {
		api, val = nil, nil
	}
	e.memo[name] = computed{api: api, val: val, err: err}
	return api, val, err
}

// formulaInput turns a stored value into what a formula reads: currency
// (and currency results of roll-ups) as exact decimals from minor units.
func formulaInput(f *schema.Field, v any) any {
	if v == nil {
		return nil
	}
	rt := f
	if r := f.Result(); r != nil {
		rt = r
	}
	if rt.TypeName == "currency" {
		var minor int64
		switch n := store.NormalizeValue(v).(type) {
		case int64:
			minor = n
		case float64:
			minor = int64(math.Round(n))
		default:
			return v
		}
		if d, err := formula.NewDecimal(minor, rt.Scale); err == nil {
			return d
		}
	}
	return v
}

// shapeResult turns an evaluation result into the API value of the result
// type rf, and the value other formulas read.
func shapeResult(rf *schema.Field, v any) (api, val any, err error) {
	if v == nil {
		return nil, nil, nil
	}
	mismatch := func() (any, any, error) {
		return nil, nil, fmt.Errorf("a %s formula gave a %T", rf.TypeName, v)
	}
	switch rf.TypeName {
	case "currency", "number", "percent":
		d, ok := v.(formula.Decimal)
		if !ok {
			return mismatch()
		}
		if rf.Scale < 0 {
			return json.Number(d.String()), d, nil
		}
		minor, err := d.Rescale(rf.Scale)
		if err != nil {
			return nil, nil, err
		}
		rounded, err := formula.NewDecimal(minor, rf.Scale)
		if err != nil {
			return nil, nil, err
		}
		return schema.FormatMinorUnits(minor, rf.Scale), rounded, nil
	case "text":
		if s, ok := v.(string); ok {
			return s, s, nil
		}
	case "boolean":
		if b, ok := v.(bool); ok {
			return b, b, nil
		}
	case "date":
		if d, ok := v.(formula.Date); ok {
			return d.String(), d, nil
		}
	case "datetime":
		if t, ok := v.(time.Time); ok {
			return t.UTC().Format("2006-01-02T15:04:05.000Z"), t, nil
		}
	}
	return mismatch()
}

// checkRules evaluates the object's active validation rules against the
// new stored record (after before-hooks and schema validation). A rule
// whose condition is true fails the save with its message on its field (or
// on the whole record); a condition whose evaluation fails blocks the save
// as well (code rule_error), naming the problem.
func (s *Service) checkRules(c *call, stored store.Doc) error {
	if len(c.obj.Rules) == 0 {
		return nil
	}
	env := s.newEnv(c.obj, stored)
	var problems []errs.FieldError
	var names []string
	for _, r := range env.x.Rules {
		if !r.Active || r.Expr == nil {
			continue
		}
		hit, err := r.Expr.EvalBool(env)
		switch {
		case err != nil:
			msg := err.Error()
			if e := errs.As(err); e != nil {
				msg = e.Message
			}
			problems = append(problems, errs.FieldError{Field: r.Field, Code: "rule_error",
				Message: fmt.Sprintf("%s (rule %s could not be checked: %s)", r.Message, r.Name, msg)})
		case hit:
			problems = append(problems, errs.FieldError{Field: r.Field, Code: "rule", Message: r.Message})
		default:
			continue
		}
		names = append(names, r.Name)
	}
	if len(problems) == 0 {
		return nil
	}
	e := invalid(problems).(*errs.Error)
	e.Extra = map[string]any{"rules": names}
	return e
}

// projectionResolver is the resolver of fields=: the readable fields of
// resolverFor, plus formula fields (computed, so not filterable or
// sortable, but they can be asked for).
type projectionResolver struct{ c *call }

func (r projectionResolver) Field(name string) (query.Field, bool) {
	if qf, ok := resolverFor(r.c).Field(name); ok {
		return qf, true
	}
	f, ok := r.c.obj.Field(name)
	if !ok || f.Deleted || f.TypeName != "formula" || !r.c.readable(name) {
		return query.Field{}, false
	}
	return query.Field{Kind: query.String}, true
}

// storedFields is the store projection of a fields= list: formula fields
// are replaced by the stored fields they are computed from.
func (s *Service) storedFields(c *call, fields []string) []string {
	if len(fields) == 0 || !hasFormulas(c.obj) {
		return storeFields(fields)
	}
	x := s.expressions(c.obj)
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, name := range fields {
		cf, ok := x.Formula(name)
		if !ok {
			add(name)
			continue
		}
		for _, n := range cf.Needs() {
			if f, ok := c.obj.Field(n); ok && !f.Deleted {
				add(n)
			}
		}
	}
	if len(out) == 0 {
		add("id") // formulas of constants only: the store still needs a projection
	}
	return out
}

// beforeStore is the computed side of a write just before the store: a new
// record gets its roll-ups over no details, then the validation rules run
// against the whole new record.
func (s *Service) beforeStore(c *call, stored store.Doc, creating bool) error {
	if creating {
		initRollups(c.obj, stored)
	}
	return s.checkRules(c, stored)
}
