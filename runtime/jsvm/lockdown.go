package jsvm

import (
	"github.com/dop251/goja"
)

// Building a hardened runtime costs far more than a small hook (hundreds of
// microseconds: every guarded built-in is materialised and wrapped), so a
// runtime serves many runs of one tenant. That is safe only if a run can
// leave nothing behind for the next one, which lockdown and the program
// wrapper (compile.go) ensure together:
//
//   - a script's top level is the body of a function called once per run,
//     so its declarations are locals of that call;
//   - every object reachable from the global object, and the intrinsics
//     reachable only from syntax (the generator and async function
//     prototypes, the iterator prototypes), is frozen, the global object
//     included: a run cannot add a global, replace a built-in or pollute a
//     prototype (it gets a TypeError, as strict mode code does for any
//     frozen object);
//   - the inherited properties that ordinary code assigns on its own
//     objects (e.toString = …, this.name = … in an Error subclass) are
//     accessors whose setter defines the property on the object assigned
//     to, so freezing their prototypes does not break that code (the
//     "override mistake" of frozen prototypes).
//
// What stays shared is what no script can observe or change: Go-side caches
// of the guards, and the symbol registry (Symbol.for returns equal symbols
// whether or not another run asked for them first).

// hiddenIntrinsics yields the intrinsics that no global property leads to.
var hiddenIntrinsics = goja.MustCompile("jsvm-intrinsics", `[
  Object.getPrototypeOf(function* () {}),
  Object.getPrototypeOf(async function () {}),
  Object.getPrototypeOf([][Symbol.iterator]()),
  Object.getPrototypeOf(new Map().entries()),
  Object.getPrototypeOf(new Set().values()),
  Object.getPrototypeOf(''[Symbol.iterator]()),
  Object.getPrototypeOf(/a/[Symbol.matchAll]('')),
  Object.getPrototypeOf((function* () {})()),
]`, true)

// overridable lists, per prototype (by the global constructor that holds
// it), the properties that become accessors (see above); "*" is all of the
// prototype's data properties.
var overridable = map[string][]string{
	"Object":         {"*"},
	"Function":       {"toString", "name"},
	"Array":          {"toString", "constructor"},
	"Promise":        {"constructor"},
	"Error":          {"constructor", "message", "name", "toString"},
	"EvalError":      {"constructor", "message", "name"},
	"RangeError":     {"constructor", "message", "name"},
	"ReferenceError": {"constructor", "message", "name"},
	"SyntaxError":    {"constructor", "message", "name"},
	"TypeError":      {"constructor", "message", "name"},
	"URIError":       {"constructor", "message", "name"},
	"AggregateError": {"constructor", "message", "name"},
}

// lockdown freezes the runtime's intrinsics and global object; it runs once,
// when the sandbox is built, after the guards are in place.
func (sb *sandbox) lockdown() {
	vm := sb.vm
	object := vm.Get("Object").ToObject(vm)
	gopd, _ := goja.AssertFunction(object.Get("getOwnPropertyDescriptor"))
	for ctor, names := range overridable {
		c, ok := vm.Get(ctor).(*goja.Object)
		if !ok {
			continue
		}
		if proto, ok := c.Get("prototype").(*goja.Object); ok {
			sb.makeOverridable(proto, names, gopd)
		}
	}
	roots := []*goja.Object{vm.GlobalObject()}
	hidden, err := vm.RunProgram(hiddenIntrinsics)
	if err != nil {
		panic(err)
	}
	list := hidden.ToObject(vm)
	for _, k := range list.Keys() {
		if o, ok := list.Get(k).(*goja.Object); ok {
			roots = append(roots, o)
		}
	}
	seen := map[*goja.Object]bool{}
	for len(roots) > 0 {
		o := roots[len(roots)-1]
		roots = roots[:len(roots)-1]
		if o == nil || seen[o] {
			continue
		}
		seen[o] = true
		if p := o.Prototype(); p != nil {
			roots = append(roots, p)
		}
		add := func(d goja.Value) {
			desc, ok := d.(*goja.Object)
			if !ok {
				return
			}
			for _, part := range []string{"value", "get", "set"} {
				if v, ok := desc.Get(part).(*goja.Object); ok {
					roots = append(roots, v)
				}
			}
		}
		for _, name := range o.GetOwnPropertyNames() {
			d, err := gopd(goja.Undefined(), o, vm.ToValue(name))
			if err != nil {
				panic(err)
			}
			add(d)
		}
		for _, sym := range o.Symbols() {
			d, err := gopd(goja.Undefined(), o, sym)
			if err != nil {
				panic(err)
			}
			add(d)
		}
		if _, err := sb.freeze(goja.Undefined(), o); err != nil {
			panic(err)
		}
	}
}

// makeOverridable turns proto's listed data properties into accessors: the
// getter returns the value; the setter, on an object that inherits it,
// defines the property on that object, as assignment would have without
// the freeze; on proto itself it throws, as assignment to a frozen object
// does.
func (sb *sandbox) makeOverridable(proto *goja.Object, names []string, gopd goja.Callable) {
	vm := sb.vm
	if len(names) == 1 && names[0] == "*" {
		names = proto.GetOwnPropertyNames()
	}
	for _, name := range names {
		d, err := gopd(goja.Undefined(), proto, vm.ToValue(name))
		if err != nil {
			panic(err)
		}
		desc, ok := d.(*goja.Object)
		if !ok || desc.Get("value") == nil || !desc.Get("writable").ToBoolean() {
			continue // absent, an accessor already, or read-only
		}
		value := desc.Get("value")
		getter := vm.ToValue(func(goja.FunctionCall) goja.Value { return value })
		setter := vm.ToValue(func(call goja.FunctionCall) goja.Value {
			this, ok := call.This.(*goja.Object)
			if !ok || this == proto {
				panic(vm.NewTypeError("Cannot assign to read only property '%s' of a built-in prototype", name))
			}
			if err := this.DefineDataProperty(name, call.Argument(0), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
				panic(err)
			}
			return goja.Undefined()
		})
		enumerable := goja.FLAG_FALSE
		if desc.Get("enumerable").ToBoolean() {
			enumerable = goja.FLAG_TRUE
		}
		if err := proto.DefineAccessorProperty(name, getter, setter, goja.FLAG_FALSE, enumerable); err != nil {
			panic(err)
		}
	}
}
