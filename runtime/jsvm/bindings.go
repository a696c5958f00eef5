package jsvm

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/opencrm/crm/platform/errs"
)

// maxFieldErrors bounds ctx.error calls kept per run.
const maxFieldErrors = 100

// bindings builds the frozen ctx object for one run and returns it with the
// record object the script may change.
func (r *run) bindings(in Input) (ctxObj, recObj *goja.Object) {
	vm := r.vm
	ctxObj = vm.NewObject()
	recObj = r.toObject(in.Record)
	if !IsBefore(r.event) {
		r.deepFreeze(recObj)
	}
	define(ctxObj, "record", recObj)
	if in.Old != nil {
		old := r.toObject(in.Old)
		r.deepFreeze(old)
		define(ctxObj, "old", old)
	} else {
		define(ctxObj, "old", goja.Null())
	}
	define(ctxObj, "user", r.user(in.User))
	define(ctxObj, "event", vm.ToValue(r.event))
	api := r.sb.api()
	define(ctxObj, "error", api.error)
	define(ctxObj, "log", api.log)
	define(ctxObj, "records", api.records)
	r.freeze(ctxObj)
	return ctxObj, recObj
}

// user returns ctx.user, frozen. A runtime serves one tenant, often one
// user many times in a row (a bulk load, an integration's stream of
// writes), so it keeps the last one: frozen, it cannot carry anything from
// one run to the next.
func (r *run) user(u User) *goja.Object {
	key := u.ID + "\x00" + u.Email + "\x00" + u.Name + "\x00" + strings.Join(u.Roles, "\x00")
	if r.sb.user != nil && r.sb.userKey == key {
		return r.sb.user
	}
	vm := r.vm
	user := vm.NewObject()
	define(user, "id", vm.ToValue(u.ID))
	define(user, "email", vm.ToValue(u.Email))
	define(user, "name", vm.ToValue(u.Name))
	roles := make([]any, len(u.Roles))
	for i, s := range u.Roles {
		roles[i] = s
	}
	define(user, "roles", vm.NewArray(roles...))
	r.deepFreeze(user)
	r.sb.user, r.sb.userKey = user, key
	return user
}

// sandboxAPI holds the functions of ctx that do not depend on the run's
// input: they are built once per runtime, frozen, and call the current run.
type sandboxAPI struct {
	error, log, records *goja.Object
}

// api returns the runtime's ctx functions, building them on first use.
func (sb *sandbox) api() *sandboxAPI {
	if sb.ctxAPI != nil {
		return sb.ctxAPI
	}
	vm := sb.vm
	fn := func(f func(r *run, call goja.FunctionCall) goja.Value) *goja.Object {
		o := vm.ToValue(func(call goja.FunctionCall) goja.Value { return f(sb.st, call) }).(*goja.Object)
		sb.st.freeze(o)
		return o
	}
	a := &sandboxAPI{error: fn((*run).jsError), log: fn((*run).jsLog), records: vm.NewObject()}
	define(a.records, "get", fn((*run).jsGet))
	define(a.records, "query", fn((*run).jsQuery))
	define(a.records, "create", fn((*run).jsCreate))
	define(a.records, "update", fn((*run).jsUpdate))
	define(a.records, "delete", fn((*run).jsDelete))
	define(a.records, "aggregate", fn((*run).jsAggregate))
	sb.st.freeze(a.records)
	sb.ctxAPI = a
	return a
}

func define(o *goja.Object, name string, v goja.Value) {
	_ = o.DefineDataProperty(name, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
}

func (r *run) freeze(o *goja.Object) {
	if _, err := r.sb.freeze(goja.Undefined(), o); err != nil {
		panic(err)
	}
}

func (r *run) deepFreeze(o *goja.Object) {
	for _, k := range o.Keys() {
		if c, ok := o.Get(k).(*goja.Object); ok {
			r.deepFreeze(c)
		}
	}
	r.freeze(o)
}

// jsError is ctx.error(field, message): it records a field error; the save
// fails with 422 after the hook returns.
func (r *run) jsError(call goja.FunctionCall) goja.Value {
	field := ""
	if a := call.Argument(0); !goja.IsUndefined(a) && !goja.IsNull(a) {
		field = clip(a.String(), 200)
	}
	msg := clip(call.Argument(1).String(), 1000)
	if goja.IsUndefined(call.Argument(1)) {
		msg = "invalid"
	}
	if len(r.fieldErrs) < maxFieldErrors {
		r.fieldErrs = append(r.fieldErrs, errs.FieldError{Field: field, Code: "script", Message: msg})
	}
	return goja.Undefined()
}

// jsLog is ctx.log(...values): one line of space-separated values; strings
// as they are, other values as bounded JSON.
func (r *run) jsLog(call goja.FunctionCall) goja.Value {
	room := r.limits.LogBytes - r.usage.LogBytes
	var b strings.Builder
	for i, a := range call.Arguments {
		if i > 0 {
			b.WriteByte(' ')
		}
		if s, ok := a.(goja.String); ok {
			b.WriteString(prefix(s, room+1))
		} else {
			formatValue(&b, a, 0, room+1)
		}
		if b.Len() > room {
			break
		}
	}
	if b.Len() > room {
		r.limit("log", "log output over %d bytes", r.limits.LogBytes)
	}
	r.usage.LogBytes += b.Len()
	r.logs = append(r.logs, b.String())
	return goja.Undefined()
}

// formatValue writes a bounded JSON-like rendering of v without toJSON or
// toString; it never builds more than about max bytes.
func formatValue(b *strings.Builder, v goja.Value, depth, max int) {
	if b.Len() > max {
		return
	}
	switch {
	case v == nil || goja.IsUndefined(v):
		b.WriteString("undefined")
		return
	case goja.IsNull(v):
		b.WriteString("null")
		return
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		if s, ok := v.(goja.String); ok {
			room := max - b.Len()
			if s.Length() > room {
				// Over the bound anyway: the unquoted prefix saves quoting
				// a megabyte only to discard it.
				b.WriteString(prefix(s, room+1))
				return
			}
			q, _ := json.Marshal(s.String())
			b.Write(q)
			return
		}
		b.WriteString(v.String())
		return
	}
	if depth > 8 {
		b.WriteString("…")
		return
	}
	switch obj.ClassName() {
	case "Function":
		b.WriteString("[function]")
		return
	case "Error":
		name, msg := getSafe(obj, "name"), getSafe(obj, "message")
		if name != nil && msg != nil {
			b.WriteString(name.String() + ": " + msg.String())
		} else {
			b.WriteString("Error")
		}
		return
	case "Date":
		if t, ok := obj.Export().(time.Time); ok {
			b.WriteString(t.UTC().Format(time.RFC3339Nano))
			return
		}
	case "Array":
		b.WriteByte('[')
		n := obj.Get("length").ToInteger()
		for i := int64(0); i < n && b.Len() <= max; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			formatValue(b, dataValue(obj, strconv.FormatInt(i, 10)), depth+1, max)
		}
		b.WriteByte(']')
		return
	}
	b.WriteByte('{')
	for i, k := range obj.Keys() {
		if b.Len() > max {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		q, _ := json.Marshal(k)
		b.Write(q)
		b.WriteByte(':')
		formatValue(b, dataValue(obj, k), depth+1, max)
	}
	b.WriteByte('}')
}

// prefix returns at most the first n UTF-16 units of s as a Go string,
// without converting the rest.
func prefix(s goja.String, n int) string {
	if n < 0 {
		n = 0
	}
	if s.Length() > n {
		s = s.Substring(0, n)
	}
	return s.String()
}

// dataValue reads a property for display. A getter runs as script code,
// inside the run's limits.
func dataValue(o *goja.Object, k string) goja.Value {
	if v := o.Get(k); v != nil {
		return v
	}
	return goja.Undefined()
}

// toObject copies a Go record into a plain JavaScript object. Values are
// copied as JSON values: nothing of the host is ever reachable from script.
func (r *run) toObject(m map[string]any) *goja.Object {
	o := r.vm.NewObject()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		define(o, k, r.toJS(m[k], 0))
	}
	return o
}

func (r *run) toJS(v any, depth int) goja.Value {
	if depth > r.limits.JSONDepth {
		r.limit("json", "record values nested deeper than %d", r.limits.JSONDepth)
	}
	switch x := v.(type) {
	case nil:
		return goja.Null()
	case string, bool, int, int8, int16, int32, int64, uint8, uint16, uint32, float32, float64:
		return r.vm.ToValue(x)
	case uint, uint64:
		return r.vm.ToValue(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return r.vm.ToValue(f)
		}
		return r.vm.ToValue(x.String())
	case time.Time:
		return r.vm.ToValue(x.UTC().Format(time.RFC3339Nano))
	case map[string]any:
		o := r.vm.NewObject()
		for k, e := range x {
			define(o, k, r.toJS(e, depth+1))
		}
		return o
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = r.toJS(e, depth+1)
		}
		return r.vm.NewArray(items...)
	case []string:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = e
		}
		return r.vm.NewArray(items...)
	case []map[string]any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = r.toJS(e, depth+1)
		}
		return r.vm.NewArray(items...)
	}
	// Anything else goes through JSON, so no Go value (and none of its
	// methods) is ever wrapped into the runtime.
	raw, err := json.Marshal(v)
	if err != nil {
		return goja.Null()
	}
	var plain any
	if err := json.Unmarshal(raw, &plain); err != nil {
		return goja.Null()
	}
	return r.toJS(plain, depth)
}

// fromJS copies a script value back to a JSON-compatible Go value. Dates
// become RFC 3339 strings; functions and symbols are refused; undefined
// properties are dropped.
func (r *run) fromJS(v goja.Value, path string, depth int) (any, bool, error) {
	if depth > r.limits.JSONDepth {
		return nil, false, r.valueError(path, "nested deeper than "+strconv.Itoa(r.limits.JSONDepth))
	}
	switch {
	case v == nil || goja.IsUndefined(v):
		return nil, false, nil
	case goja.IsNull(v):
		return nil, true, nil
	}
	if _, ok := v.(*goja.Symbol); ok {
		return nil, false, r.valueError(path, "is a symbol, which cannot be stored")
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		switch x := v.Export().(type) {
		case string, bool, int64:
			return x, true, nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, false, r.valueError(path, "is not a finite number")
			}
			return x, true, nil
		}
		return nil, false, r.valueError(path, "is a "+v.ExportType().String()+", which cannot be stored")
	}
	switch obj.ClassName() {
	case "Function":
		return nil, false, r.valueError(path, "is a function, which cannot be stored")
	case "Date":
		if t, ok := obj.Export().(time.Time); ok {
			return t.UTC().Format(time.RFC3339Nano), true, nil
		}
	case "Array":
		n := obj.Get("length").ToInteger()
		if n > int64(r.limits.ArrayLength) {
			return nil, false, r.valueError(path, "is an array longer than "+strconv.Itoa(r.limits.ArrayLength))
		}
		out := make([]any, 0, n)
		for i := int64(0); i < n; i++ {
			e, _, err := r.fromJS(obj.Get(strconv.FormatInt(i, 10)), path+"["+strconv.FormatInt(i, 10)+"]", depth+1)
			if err != nil {
				return nil, false, err
			}
			out = append(out, e)
		}
		return out, true, nil
	}
	out := map[string]any{}
	for _, k := range obj.Keys() {
		e, present, err := r.fromJS(obj.Get(k), path+"."+k, depth+1)
		if err != nil {
			return nil, false, err
		}
		if present {
			out[k] = e
		}
	}
	return out, true, nil
}

func (r *run) valueError(path, what string) error {
	path = strings.TrimPrefix(path, ".")
	e := errs.New(errs.Invalid, "script.error", "script %q: value of %s %s", r.prog.name, path, what)
	e.Fields = []errs.FieldError{{Field: path, Code: "script", Message: "value " + what}}
	e.Extra = map[string]any{"script": r.prog.name}
	return e
}

// exportRecord copies ctx.record back after a before-event.
func (r *run) exportRecord(o *goja.Object) (map[string]any, error) {
	v, _, err := r.fromJS(o, "", 0)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}
