package jsvm

import (
	"strconv"

	"github.com/dop251/goja"
)

// guardJSON wraps JSON.stringify and JSON.parse. stringify recurses natively
// and its output is not bounded by anything the script holds (an array of a
// thousand references to one large string), so the wrapper passes an
// internal replacer that counts the output size, array lengths and nesting;
// a replacer of the script's own runs first. parse is refused when the text
// nests deeper than the limit.
func (sb *sandbox) guardJSON() {
	vm := sb.vm
	j := vm.Get("JSON").ToObject(vm)
	sb.wrap(j, "stringify", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		user, _ := goja.AssertFunction(c.Argument(1))
		var allow map[string]bool
		if o, ok := c.Argument(1).(*goja.Object); ok && o.ClassName() == "Array" {
			n := sb.lengthOf(o)
			sb.checkArray(n, "JSON.stringify property list")
			allow = map[string]bool{}
			for _, k := range o.Keys() {
				allow[o.Get(k).String()] = true
			}
		}
		indent := 0.0
		if sp := c.Argument(2); !isNullish(sp) {
			indent = 10
		}
		depths := map[*goja.Object]int{}
		total := 0.0
		limits := sb.st.limits
		replacer := vm.ToValue(func(call goja.FunctionCall) goja.Value {
			key, v := call.Argument(0), call.Argument(1)
			holder, _ := call.This.(*goja.Object)
			d := depths[holder] // the root holder is not in the map: 0
			if user != nil {
				var err error
				if v, err = user(call.This, key, v); err != nil {
					panic(err)
				}
			}
			if allow != nil && holder != nil && holder.ClassName() != "Array" && d > 0 && !allow[key.String()] {
				return goja.Undefined()
			}
			_, kl := str(key)
			total += kl + 4 + indent*float64(d)
			switch x := v.(type) {
			case *goja.Object:
				if d+1 > limits.JSONDepth {
					sb.st.limit("json", "JSON.stringify nesting deeper than %d", limits.JSONDepth)
				}
				depths[x] = d + 1
				if x.ClassName() == "Array" {
					n := sb.lengthOf(x)
					sb.checkArray(n, "JSON.stringify of an array")
					total += float64(n)
					// The direct string elements are counted before any is
					// serialized: an array of many references to one large
					// string stops here, not after quoting megabytes.
					ahead := total
					for i := int64(0); i < n; i++ {
						if s, ok := x.Get(strconv.FormatInt(i, 10)).(goja.String); ok {
							ahead += float64(s.Length())
						}
					}
					if ahead > float64(limits.StringLength) {
						sb.st.limit("json", "JSON.stringify output over %d characters", limits.StringLength)
					}
				}
				total += 2
			case goja.String:
				total += float64(x.Length()) + 2
			default:
				total += 24
			}
			if total > float64(limits.StringLength) {
				sb.st.limit("json", "JSON.stringify output over %d characters", limits.StringLength)
			}
			return v
		})
		return c.This, []goja.Value{c.Argument(0), replacer, c.Argument(2)}
	})
	sb.wrap(j, "parse", func(c goja.FunctionCall) (goja.Value, []goja.Value) {
		text, _ := str(c.Argument(0))
		if d := jsonDepth(text.String()); d > sb.st.limits.JSONDepth {
			sb.st.limit("json", "JSON.parse text nests %d deep (at most %d)", d, sb.st.limits.JSONDepth)
		}
		return c.This, append([]goja.Value{text}, c.Arguments[min(1, len(c.Arguments)):]...)
	})
}

// jsonDepth returns the deepest nesting of brackets in a JSON text, ignoring
// brackets inside strings.
func jsonDepth(s string) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}
