package jsvm

import (
	"errors"

	"github.com/dop251/goja"
	"github.com/opencrm/crm/platform/errs"
)

// The ctx.records bindings. Each checks its limit before calling the Host,
// so a query storm stops at the limit without reaching the store.

func (r *run) countQuery() {
	if r.usage.Queries >= r.limits.Queries {
		r.limit("queries", "more than %d record queries", r.limits.Queries)
	}
	r.usage.Queries++
}

func (r *run) countWrite() {
	if r.usage.Writes >= r.limits.Writes {
		r.limit("writes", "more than %d record writes", r.limits.Writes)
	}
	r.usage.Writes++
}

func (r *run) countFetched(n int) {
	r.usage.RecordsFetched += n
	if r.usage.RecordsFetched > r.limits.Records {
		r.limit("records", "more than %d records fetched", r.limits.Records)
	}
}

// hostError turns a Host error into a script exception, or stops the run
// when a nested run hit a limit (or the context ended).
func (r *run) hostError(err error) {
	if errs.CodeOf(err) == "script.limit" || errs.CodeOf(err) == "script.canceled" {
		r.stop(err)
		panic(&goja.InterruptedError{})
	}
	if stop := r.stopped(); stop != nil {
		panic(&goja.InterruptedError{})
	}
	msg, code := "record operation failed", "internal"
	if e := errs.As(err); e != nil {
		msg, code = e.Message, e.Code
	}
	obj := r.vm.NewGoError(errors.New(msg))
	_ = obj.Set("message", msg)
	_ = obj.Set("code", code)
	if e := errs.As(err); e != nil && len(e.Fields) > 0 {
		fields := make([]any, 0, len(e.Fields))
		for _, f := range e.Fields {
			fields = append(fields, map[string]any{"field": f.Field, "code": f.Code, "message": f.Message})
		}
		_ = obj.Set("fields", r.toJS(fields, 0))
	}
	// NB: the Go error itself is not exposed: NewGoError's "value" would
	// wrap it, so it is removed.
	obj.Delete("value")
	panic(obj)
}

func (r *run) stringArg(call goja.FunctionCall, i int, what string) string {
	a := call.Argument(i)
	if s, ok := a.Export().(string); ok && s != "" {
		return s
	}
	panic(r.vm.NewTypeError("%s must be a non-empty string", what))
}

func (r *run) objectArg(call goja.FunctionCall, i int, what string) map[string]any {
	a := call.Argument(i)
	if goja.IsUndefined(a) || goja.IsNull(a) {
		return map[string]any{}
	}
	v, _, err := r.fromJS(a, what, 0)
	if err != nil {
		panic(r.vm.NewTypeError(errs.As(err).Message))
	}
	m, ok := v.(map[string]any)
	if !ok {
		panic(r.vm.NewTypeError("%s must be an object", what))
	}
	return m
}

func (r *run) jsGet(call goja.FunctionCall) goja.Value {
	object, id := r.stringArg(call, 0, "object"), r.stringArg(call, 1, "id")
	r.countQuery()
	rec, err := r.hosts.Get(r.host(), object, id)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return goja.Null()
		}
		r.hostError(err)
	}
	if rec == nil {
		return goja.Null()
	}
	r.countFetched(1)
	return r.toObject(rec)
}

func (r *run) jsQuery(call goja.FunctionCall) goja.Value {
	object := r.stringArg(call, 0, "object")
	opts := r.objectArg(call, 1, "options")
	q := Query{}
	q.Filter, _ = opts["filter"].(string)
	q.Sort, _ = opts["sort"].(string)
	q.Cursor, _ = opts["cursor"].(string)
	switch n := opts["limit"].(type) {
	case int64:
		q.Limit = int(n)
	case float64:
		q.Limit = int(n)
	}
	if fs, ok := opts["fields"].([]any); ok {
		for _, f := range fs {
			if s, ok := f.(string); ok {
				q.Fields = append(q.Fields, s)
			}
		}
	}
	r.countQuery()
	res, err := r.hosts.Query(r.host(), object, q)
	if err != nil {
		r.hostError(err)
	}
	r.countFetched(len(res.Items))
	out := r.vm.NewObject()
	items := make([]any, len(res.Items))
	for i, it := range res.Items {
		items[i] = r.toObject(it)
	}
	define(out, "items", r.vm.NewArray(items...))
	if res.NextCursor != "" {
		define(out, "nextCursor", r.vm.ToValue(res.NextCursor))
	} else {
		define(out, "nextCursor", goja.Null())
	}
	return out
}

func (r *run) jsCreate(call goja.FunctionCall) goja.Value {
	object := r.stringArg(call, 0, "object")
	rec := r.objectArg(call, 1, "record")
	r.countWrite()
	out, err := r.hosts.Create(r.host(), object, rec)
	if err != nil {
		r.hostError(err)
	}
	return r.toObject(out)
}

func (r *run) jsUpdate(call goja.FunctionCall) goja.Value {
	object, id := r.stringArg(call, 0, "object"), r.stringArg(call, 1, "id")
	patch := r.objectArg(call, 2, "patch")
	r.countWrite()
	out, err := r.hosts.Update(r.host(), object, id, patch)
	if err != nil {
		r.hostError(err)
	}
	return r.toObject(out)
}

func (r *run) jsDelete(call goja.FunctionCall) goja.Value {
	object, id := r.stringArg(call, 0, "object"), r.stringArg(call, 1, "id")
	r.countWrite()
	if err := r.hosts.Delete(r.host(), object, id); err != nil {
		r.hostError(err)
	}
	return goja.Undefined()
}

func (r *run) jsAggregate(call goja.FunctionCall) goja.Value {
	object := r.stringArg(call, 0, "object")
	opts := r.objectArg(call, 1, "options")
	a := Aggregate{}
	a.Filter, _ = opts["filter"].(string)
	if gs, ok := opts["groupBy"].([]any); ok {
		for _, g := range gs {
			switch x := g.(type) {
			case string:
				a.GroupBy = append(a.GroupBy, GroupBy{Field: x})
			case map[string]any:
				f, _ := x["field"].(string)
				by, _ := x["by"].(string)
				a.GroupBy = append(a.GroupBy, GroupBy{Field: f, By: by})
			}
		}
	}
	if ms, ok := opts["measures"].([]any); ok {
		for _, m := range ms {
			if x, ok := m.(map[string]any); ok {
				op, _ := x["op"].(string)
				f, _ := x["field"].(string)
				a.Measures = append(a.Measures, Measure{Op: op, Field: f})
			}
		}
	}
	r.countQuery()
	rows, err := r.hosts.Aggregate(r.host(), object, a)
	if err != nil {
		r.hostError(err)
	}
	r.countFetched(len(rows))
	items := make([]any, len(rows))
	for i, row := range rows {
		items[i] = r.toObject(row)
	}
	return r.vm.NewArray(items...)
}
