package jsvm

import (
	"github.com/dop251/goja"
)

// sandbox is one hardened, locked-down runtime. It serves the runs of one
// tenant, one at a time (lockdown.go explains why that is safe), until a
// run ends in an error or it has served maxUses runs.
type sandbox struct {
	vm     *goja.Runtime
	st     *run // set by Run before any script code runs
	freeze goja.Callable
	rx     map[string]*rxInfo // regular expressions seen by this run
	// nesting counts guarded built-ins active on the stack.
	nesting int
	// regExp is the original RegExp constructor, the only species
	// matchAll accepts.
	regExp goja.Value

	lastInput   goja.Value // the last regular-expression subject, and its runes
	lastUnicode bool
	lastRunes   []rune

	uses   int         // runs served (lockdown.go: a runtime serves many runs)
	ctxAPI *sandboxAPI // ctx functions, built on the first run: bindings.go
	// user is the last frozen ctx.user and the user it was built for
	// (userKey): consecutive runs for one user share it (bindings.go).
	user    *goja.Object
	userKey string
}

// removedGlobals allocate natively from a number (typed arrays, buffers),
// generate code from strings (eval) or carry BigInt, whose exponentiation is
// unbounded.
var removedGlobals = []string{
	"eval", "ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray",
	"Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
	"BigInt64Array", "BigUint64Array", "BigInt", "WeakRef", "FinalizationRegistry",
}

// functionPrototypes yields the prototypes of the async and generator functions
// (goja has no async generators), whose constructors compile code from strings.
var functionPrototypes = goja.MustCompile("jsvm-prelude",
	`[Object.getPrototypeOf(async function(){}), Object.getPrototypeOf(function*(){})]`, true)

// newSandbox builds a fresh runtime and hardens it: removed globals, no
// code generation from strings, size guards on the built-ins.
func newSandbox() *sandbox {
	vm := goja.New()
	sb := &sandbox{vm: vm}
	obj := func(v goja.Value) *goja.Object { return v.ToObject(vm) }
	sb.freeze, _ = goja.AssertFunction(obj(vm.Get("Object")).Get("freeze"))

	g := vm.GlobalObject()
	for _, name := range removedGlobals {
		g.Delete(name)
	}
	sb.disableCodeGeneration()
	sb.guardStrings()
	sb.guardArrays()
	sb.guardFunctions()
	sb.guardJSON()
	sb.guardRegExp()
	// The guards read the run's limits; lockdown runs a little code.
	sb.st = &run{prog: &Program{name: "lockdown"}, limits: DefaultLimits(), vm: vm, sb: sb}
	sb.lockdown() // lockdown.go
	sb.st = nil
	return sb
}

// reset prepares a sandbox that ended a run cleanly for the next run.
func (sb *sandbox) reset() {
	sb.st, sb.nesting = nil, 0
	sb.lastInput, sb.lastRunes = nil, nil
	sb.vm.ClearInterrupt()
	sb.uses++
}

// disableCodeGeneration replaces Function and the constructors reachable as
// (async/generator function).constructor by a function that throws.
func (sb *sandbox) disableCodeGeneration() {
	vm := sb.vm
	thrower := vm.ToValue(func(goja.FunctionCall) goja.Value {
		panic(vm.NewTypeError("code generation from strings is disabled in scripts"))
	}).(*goja.Object)
	fnProto := vm.Get("Function").ToObject(vm).Get("prototype").ToObject(vm)
	_ = thrower.DefineDataProperty("prototype", fnProto, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = fnProto.DefineDataProperty("constructor", thrower, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	_ = vm.GlobalObject().DefineDataProperty("Function", thrower, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	protos, err := vm.RunProgram(functionPrototypes)
	if err != nil {
		panic(err)
	}
	list := protos.ToObject(vm)
	for i := 0; i < 2; i++ {
		p := list.Get(string(rune('0' + i))).ToObject(vm)
		_ = p.DefineDataProperty("constructor", thrower, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
}

// wrap replaces obj[name] by a native function that runs pre (which may stop
// the run or return a new receiver and arguments) and then the original.
func (sb *sandbox) wrap(obj *goja.Object, name string, pre func(call goja.FunctionCall) (goja.Value, []goja.Value)) *goja.Object {
	orig, ok := goja.AssertFunction(obj.Get(name))
	if !ok {
		return nil
	}
	f := sb.vm.ToValue(func(call goja.FunctionCall) goja.Value {
		// Built-ins call one another natively (toString -> join ->
		// toString of an element), below goja's call-stack limit; a
		// self-containing array would recurse until the Go stack
		// overflows, which kills the process. Guarded built-ins count
		// their nesting instead.
		sb.nesting++
		defer func() { sb.nesting-- }()
		if sb.nesting > sb.st.limits.CallStack {
			sb.st.limit("stack", "built-in functions nested deeper than %d (a self-referencing value?)", sb.st.limits.CallStack)
		}
		this, args := pre(call)
		v, err := orig(this, args...)
		if err != nil {
			panic(err)
		}
		return v
	}).(*goja.Object)
	_ = obj.DefineDataProperty(name, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	return f
}

// lengthOf reads ToLength(o.length) of an object-coercible value.
func (sb *sandbox) lengthOf(v goja.Value) int64 {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0
	}
	o, ok := v.(*goja.Object)
	if !ok {
		if s, ok := v.(goja.String); ok {
			return int64(s.Length())
		}
		return 0
	}
	return o.Get("length").ToInteger()
}

func (sb *sandbox) checkArray(n int64, what string) {
	if max := int64(sb.st.limits.ArrayLength); n > max {
		sb.st.limit("array", "%s of length %d (at most %d)", what, n, max)
	}
}

func (sb *sandbox) checkString(n float64, what string) {
	if max := float64(sb.st.limits.StringLength); n > max {
		sb.st.limit("string", "%s would be %.0f characters long (at most %.0f)", what, n, max)
	}
}

// str converts v to a string value once, so that a toString with side
// effects runs once, and returns it with its length in UTF-16 units.
func str(v goja.Value) (goja.Value, float64) {
	s := v.ToString()
	if gs, ok := s.(goja.String); ok {
		return s, float64(gs.Length())
	}
	return s, float64(len(s.String()))
}

func isNullish(v goja.Value) bool { return v == nil || goja.IsUndefined(v) || goja.IsNull(v) }
