package jsvm

import (
	"strings"
	"time"
	"unicode/utf16"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// rxInfo is what the guard knows of one (source, flags) pair.
type rxInfo struct {
	linear bool            // goja matches it with RE2 when starting at 0
	re     *regexp2.Regexp // our backtracking copy, nil when it did not compile
	sticky *regexp2.Regexp // anchored at the start position, for the y flag
	err    bool
}

// guardRegExp replaces RegExp.prototype.exec and test (non-writable and
// non-configurable, so a script cannot put the originals back or shadow them
// on the prototype) by wrappers that preflight any match goja would run on
// regexp2. Replacing exec also turns off goja's internal fast paths, so
// match, matchAll, replace, search and split all call exec.
func (sb *sandbox) guardRegExp() {
	vm := sb.vm
	proto := vm.Get("RegExp").ToObject(vm).Get("prototype").ToObject(vm)
	for _, name := range []string{"exec", "test"} {
		f := sb.wrap(proto, name, func(c goja.FunctionCall) (goja.Value, []goja.Value) {
			input, _ := str(c.Argument(0))
			sb.preflight(c.This, input)
			return c.This, []goja.Value{input}
		})
		_ = proto.DefineDataProperty(name, f, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
	// matchAll's iterator builds its matcher with the species constructor
	// and, when that matcher's exec is not callable, goja falls back to the
	// unguarded native exec. Only the built-in RegExp is accepted as species.
	sb.regExp = vm.Get("RegExp")
	matchAll := proto.GetSymbol(goja.SymMatchAll)
	if orig, ok := goja.AssertFunction(matchAll); ok {
		f := vm.ToValue(func(c goja.FunctionCall) goja.Value {
			sb.checkSpecies(c.This)
			v, err := orig(c.This, c.Arguments...)
			if err != nil {
				panic(err)
			}
			return v
		})
		_ = proto.DefineDataPropertySymbol(goja.SymMatchAll, f, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	}
}

// checkSpecies throws unless this regular expression's species constructor
// is the built-in RegExp.
func (sb *sandbox) checkSpecies(this goja.Value) {
	o, ok := this.(*goja.Object)
	if !ok {
		return
	}
	ctor := o.Get("constructor")
	if isNullish(ctor) {
		return
	}
	co, ok := ctor.(*goja.Object)
	if !ok {
		return
	}
	species := co.GetSymbol(goja.SymSpecies)
	if isNullish(species) || species.SameAs(sb.regExp) {
		return
	}
	panic(sb.vm.NewTypeError("matchAll with a RegExp subclass is not supported in scripts"))
}

// preflight runs, on our own regexp2 copy with a timeout of the time left,
// the match goja is about to run on regexp2; a timeout is the regex limit.
// Matches goja runs on RE2 (linear) are not preflighted.
func (sb *sandbox) preflight(this goja.Value, input goja.Value) {
	o, ok := this.(*goja.Object)
	if !ok || o.ClassName() != "RegExp" {
		return // the original throws the TypeError
	}
	source, flags := o.Get("source").String(), o.Get("flags").String()
	start := int64(0)
	global, sticky := strings.ContainsRune(flags, 'g'), strings.ContainsRune(flags, 'y')
	if global || sticky {
		start = o.Get("lastIndex").ToInteger()
	}
	info := sb.regexp(source, flags)
	if start == 0 && info.linear {
		return
	}
	if info.err {
		sb.st.limit("regex", "regular expression /%s/%s cannot be checked for run time", clip(source, 100), flags)
	}
	runes := sb.runesOf(input, strings.ContainsRune(flags, 'u'))
	if start < 0 || start > int64(len(runes)) {
		return
	}
	left := time.Until(sb.st.deadline)
	if left <= 0 {
		sb.st.limit("time", "ran longer than %v", sb.st.limits.WallTime)
	}
	re := info.re
	if sticky {
		re = info.sticky
	}
	// Three quarters of the time left, so that the regex limit (not the
	// wall-time timer racing it) names the cause.
	re.MatchTimeout = left * 3 / 4
	if _, err := re.FindRunesMatchStartingAt(runes, int(start)); err != nil {
		// NB: regexp2 notices a timeout up to 100 ms late (its clock
		// period), so the wall-time timer may have fired meanwhile; the
		// regular expression is the cause, and the error says so.
		sb.st.override(limitError(sb.st.prog.name, "regex", "regular expression /%s/%s ran out of time (%v left)",
			clip(source, 100), flags, left.Round(time.Millisecond)))
	}
}

// runesOf converts a subject string to what regexp2 matches: code points
// with the u flag, UTF-16 units without. The last conversion is kept, since
// a global regular expression is executed once per match on one subject.
func (sb *sandbox) runesOf(input goja.Value, unicode bool) []rune {
	if sb.lastInput != nil && sb.lastUnicode == unicode && sb.lastInput.SameAs(input) {
		return sb.lastRunes
	}
	var runes []rune
	if unicode {
		runes = []rune(input.String())
	} else {
		units := utf16.Encode([]rune(input.String()))
		runes = make([]rune, len(units))
		for i, u := range units {
			runes[i] = rune(u)
		}
	}
	sb.lastInput, sb.lastUnicode, sb.lastRunes = input, unicode, runes
	return runes
}

func (sb *sandbox) regexp(source, flags string) *rxInfo {
	key := flags + "/" + source
	if info, ok := sb.rx[key]; ok {
		return info
	}
	info := &rxInfo{}
	dotAll, unicode := strings.ContainsRune(flags, 's'), strings.ContainsRune(flags, 'u')
	if _, err := parser.TransformRegExp(source, dotAll, unicode); err == nil && isASCII(source) {
		info.linear = true
	}
	opts := regexp2.ECMAScript
	if strings.ContainsRune(flags, 'i') {
		opts |= regexp2.IgnoreCase
	}
	if strings.ContainsRune(flags, 'm') {
		opts |= regexp2.Multiline
	}
	if dotAll {
		opts |= regexp2.Singleline
	}
	if unicode {
		opts |= regexp2.Unicode
	}
	var err1, err2 error
	info.re, err1 = regexp2.Compile(source, opts)
	info.sticky, err2 = regexp2.Compile(`\G(?:`+source+`)`, opts)
	info.err = err1 != nil || err2 != nil
	if sb.rx == nil {
		sb.rx = map[string]*rxInfo{}
	}
	sb.rx[key] = info
	return info
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
