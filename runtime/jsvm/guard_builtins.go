package jsvm

import (
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// guardStrings wraps the String.prototype methods whose output size is not
// bounded by their input: repeat, padStart, padEnd, concat, replace and
// replaceAll.
func (sb *sandbox) guardStrings() {
	vm := sb.vm
	proto := vm.Get("String").ToObject(vm).Get("prototype").ToObject(vm)
	receiver := func(this goja.Value) (goja.Value, float64) {
		if isNullish(this) {
			return this, 0 // the original throws the TypeError
		}
		return str(this)
	}
	sb.wrap(proto, "repeat", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		s, n := receiver(c.This)
		count := c.Argument(0).ToNumber()
		if n > 0 {
			sb.checkString(n*count.ToFloat(), "String.prototype.repeat")
		}
		return s, []goja.Value{count}
	})
	for _, name := range []string{"padStart", "padEnd"} {
		sb.wrap(proto, name, func(c goja.FunctionCall) (goja.Value, []goja.Value) {
			s, _ := receiver(c.This)
			max := c.Argument(0).ToNumber()
			sb.checkString(max.ToFloat(), "String.prototype."+name)
			return s, append([]goja.Value{max}, c.Arguments[min(1, len(c.Arguments)):]...)
		})
	}
	sb.wrap(proto, "concat", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		s, total := receiver(c.This)
		args := make([]goja.Value, len(c.Arguments))
		for i, a := range c.Arguments {
			var n float64
			args[i], n = str(a)
			total += n
		}
		sb.checkString(total, "String.prototype.concat")
		return s, args
	})
	for _, name := range []string{"replace", "replaceAll"} {
		sb.wrap(proto, name, func(c goja.FunctionCall) (goja.Value, []goja.Value) {
			s, n := receiver(c.This)
			pattern, repl := c.Argument(0), c.Argument(1)
			many := name == "replaceAll"
			if o, ok := pattern.(*goja.Object); ok && o.ClassName() == "RegExp" {
				many = many || strings.Contains(o.Get("flags").String(), "g")
			}
			matches := 1.0
			if many {
				matches = n + 1
			}
			if fn, ok := goja.AssertFunction(repl); ok {
				// The replacer's results are summed as they are produced.
				total := n
				wrapped := vm.ToValue(func(call goja.FunctionCall) goja.Value {
					v, err := fn(call.This, call.Arguments...)
					if err != nil {
						panic(err)
					}
					v, l := str(v)
					total += l
					sb.checkString(total, "String.prototype."+name)
					return v
				})
				return s, []goja.Value{pattern, wrapped}
			}
			r, rl := str(repl)
			rs := r.String()
			// "$`" and "$'" insert up to the whole input per match; "$&"
			// and groups insert at most the input once in total.
			quotes := float64(strings.Count(rs, "$`") + strings.Count(rs, "$'"))
			groups := float64(strings.Count(rs, "$"))
			sb.checkString(n+matches*rl+groups*n+quotes*matches*n, "String.prototype."+name)
			return s, []goja.Value{pattern, r}
		})
	}
}

// arrayWalkers are the Array.prototype methods that walk (or build) up to
// length elements natively, where vm.Interrupt is not seen. push, pop and at
// touch a bounded number of elements and stay unwrapped, for speed.
var arrayWalkers = []string{
	"copyWithin", "entries", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex",
	"forEach", "includes", "indexOf", "keys", "lastIndexOf", "map", "reduce", "reduceRight", "reverse",
	"shift", "slice", "some", "sort", "splice", "toLocaleString", "toString", "unshift", "values",
	"toReversed", "toSorted", "toSpliced", "with",
}

// guardArrays bounds every walking Array.prototype method by the receiver's
// length, and concat, join, flat, flatMap and Array.from by what they build.
func (sb *sandbox) guardArrays() {
	vm := sb.vm
	ctor := vm.Get("Array").ToObject(vm)
	proto := ctor.Get("prototype").ToObject(vm)
	for _, name := range arrayWalkers {
		what := "Array.prototype." + name + " on an array"
		f := sb.wrap(proto, name, func(c goja.FunctionCall) (goja.Value, []goja.Value) {
			sb.checkArray(sb.lengthOf(c.This), what)
			return c.This, c.Arguments
		})
		if name == "values" && f != nil {
			_ = proto.DefineDataPropertySymbol(goja.SymIterator, f, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		}
	}
	sb.wrap(proto, "concat", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		total := sb.lengthOf(c.This)
		for _, a := range c.Arguments {
			if o, ok := a.(*goja.Object); ok && o.ClassName() == "Array" {
				total += sb.lengthOf(o)
			} else {
				total++
			}
		}
		sb.checkArray(total, "Array.prototype.concat result")
		return c.This, c.Arguments
	})
	sb.wrap(proto, "join", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		n := sb.lengthOf(c.This)
		sb.checkArray(n, "Array.prototype.join on an array")
		sep, sepLen := vm.ToValue(","), 1.0
		if a := c.Argument(0); !goja.IsUndefined(a) {
			sep, sepLen = str(a)
		}
		// Each element is converted once (nested arrays through this same
		// guard) and the total checked before the original joins them.
		o := c.This.ToObject(vm)
		parts := make([]any, n)
		total := sepLen * float64(max(n-1, 0))
		for i := int64(0); i < n; i++ {
			e := o.Get(strconv.FormatInt(i, 10))
			if isNullish(e) {
				parts[i] = ""
				continue
			}
			var l float64
			parts[i], l = str(e)
			total += l
			sb.checkString(total, "Array.prototype.join")
		}
		sb.checkString(total, "Array.prototype.join")
		return vm.NewArray(parts...), []goja.Value{sep}
	})
	sb.wrap(proto, "flat", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		depth := 1.0
		if a := c.Argument(0); !goja.IsUndefined(a) {
			depth = a.ToFloat()
		}
		sb.checkFlat(c.This, depth)
		return c.This, c.Arguments
	})
	sb.wrap(proto, "flatMap", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		sb.checkArray(sb.lengthOf(c.This), "Array.prototype.flatMap on an array")
		fn, ok := goja.AssertFunction(c.Argument(0))
		if !ok {
			return c.This, c.Arguments
		}
		total := int64(0)
		wrapped := vm.ToValue(func(call goja.FunctionCall) goja.Value {
			v, err := fn(call.This, call.Arguments...)
			if err != nil {
				panic(err)
			}
			total += max(sb.lengthOf(v), 1)
			sb.checkArray(total, "Array.prototype.flatMap result")
			return v
		})
		return c.This, append([]goja.Value{wrapped}, c.Arguments[1:]...)
	})
	sb.wrap(ctor, "from", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		if o, ok := c.Argument(0).(*goja.Object); ok {
			sb.checkArray(sb.lengthOf(o), "Array.from source")
		}
		return c.This, c.Arguments
	})
}

// checkFlat counts what flat(depth) would produce, visiting each nested
// array as flat does, and stops at the array limit or when arrays nest
// deeper than the JSON depth limit (a cycle does both).
func (sb *sandbox) checkFlat(v goja.Value, depth float64) {
	var count int64
	var walk func(v goja.Value, depth float64)
	level := 0
	walk = func(v goja.Value, depth float64) {
		level++
		defer func() { level-- }()
		if level > sb.st.limits.JSONDepth {
			sb.st.limit("array", "Array.prototype.flat on arrays nested deeper than %d", sb.st.limits.JSONDepth)
		}
		n := sb.lengthOf(v)
		count += n
		sb.checkArray(count, "Array.prototype.flat result")
		o := v.ToObject(sb.vm)
		for i := int64(0); i < n; i++ {
			e := o.Get(strconv.FormatInt(i, 10))
			if eo, ok := e.(*goja.Object); ok && depth >= 1 && eo.ClassName() == "Array" {
				walk(eo, depth-1)
			}
		}
	}
	walk(v, depth)
}

// guardFunctions bounds the argument lists that apply, Reflect.apply and
// Reflect.construct build natively from an array-like.
func (sb *sandbox) guardFunctions() {
	vm := sb.vm
	proto := vm.Get("Function").ToObject(vm).Get("prototype").ToObject(vm)
	sb.wrap(proto, "apply", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		sb.checkArray(sb.lengthOf(c.Argument(1)), "Function.prototype.apply arguments")
		return c.This, c.Arguments
	})
	reflect := vm.Get("Reflect").ToObject(vm)
	sb.wrap(reflect, "apply", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		sb.checkArray(sb.lengthOf(c.Argument(2)), "Reflect.apply arguments")
		return c.This, c.Arguments
	})
	sb.wrap(reflect, "construct", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		sb.checkArray(sb.lengthOf(c.Argument(1)), "Reflect.construct arguments")
		return c.This, c.Arguments
	})
}
