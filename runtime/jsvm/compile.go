package jsvm

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
	"github.com/opencrm/crm/platform/errs"
)

// Program is a compiled script. It is immutable and may be run by any number
// of goroutines at once, each in its own runtime.
type Program struct {
	name   string
	prg    *goja.Program
	events map[string]bool
	// source and id (a digest of name and source) let a worker process
	// compile and cache the same program (worker.go).
	source string
	id     string
}

// Name returns the script's name, used in error messages.
func (p *Program) Name() string { return p.name }

// Has reports whether the script defines a top-level function for event.
func (p *Program) Has(event string) bool { return p.events[event] }

// Events returns the names of the script's top-level functions, sorted.
func (p *Program) Events() []string {
	out := make([]string, 0, len(p.events))
	for e := range p.events {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// Compile parses and compiles a script in strict mode. A syntax error is an
// *errs.Error of Kind Invalid and code script.compile whose one FieldError
// carries the line and column.
//
// Events are the script's top-level function declarations, and top-level var
// declarations initialised with a function or an arrow:
//
//	function beforeCreate(ctx) { ctx.record.status = ctx.record.status || 'new' }
func Compile(name, source string) (*Program, error) {
	file, err := parser.ParseFile(nil, name, source, 0, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, compileError(name, err)
	}
	if n := bigIntLiteral(file); n != nil {
		pos := file.File.Position(int(n.Idx) - file.File.Base())
		e := errs.New(errs.Invalid, "script.compile", "script %q does not compile: BigInt is not available in scripts (line %d, column %d)",
			name, pos.Line, pos.Column)
		e.Fields = []errs.FieldError{{Field: "source", Code: "syntax", Message: "BigInt is not available in scripts", Line: pos.Line, Column: pos.Column}}
		return nil, e
	}
	if _, err := goja.CompileAST(file, true); err != nil {
		return nil, compileError(name, err)
	}
	events := topLevelFunctions(file)
	prg, err := goja.Compile(name, wrap(source, events), true)
	if err != nil {
		return nil, compileError(name, err)
	}
	sum := sha256.Sum256([]byte(name + "\x00" + source))
	return &Program{name: name, prg: prg, events: events, source: source, id: hex.EncodeToString(sum[:16])}, nil
}

// wrapLines is how many lines wrap puts before the script's first line.
const wrapLines = 1

// wrap makes a script's top level the body of a function that returns its
// event functions. Running the program yields that function; each run calls
// it, so the script's top-level declarations are the locals of one call:
// nothing a run declares outlives it, and a runtime can serve the next run
// (sandbox.go). Positions in the wrapped text are wrapLines lines further
// down than in the script.
func wrap(source string, events map[string]bool) string {
	names := make([]string, 0, len(events))
	for e := range events {
		names = append(names, e)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("(function () {\n")
	b.WriteString(source)
	b.WriteString("\n;return {")
	for _, e := range names { // identifiers, from the parsed script
		b.WriteString(e + ": typeof " + e + " === 'function' ? " + e + " : undefined, ")
	}
	b.WriteString("}})")
	return b.String()
}

func topLevelFunctions(file *ast.Program) map[string]bool {
	events := map[string]bool{}
	for _, st := range file.Body {
		switch s := st.(type) {
		case *ast.FunctionDeclaration:
			if s.Function != nil && s.Function.Name != nil {
				events[string(s.Function.Name.Name)] = true
			}
		case *ast.VariableStatement:
			for _, b := range s.List {
				id, ok := b.Target.(*ast.Identifier)
				if !ok {
					continue
				}
				switch b.Initializer.(type) {
				case *ast.FunctionLiteral, *ast.ArrowFunctionLiteral:
					events[string(id.Name)] = true
				}
			}
		}
	}
	return events
}

func compileError(name string, err error) error {
	fe := errs.FieldError{Field: "source", Code: "syntax"}
	var list parser.ErrorList
	var one *parser.Error
	var cse *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &list) && len(list) > 0:
		fe.Message, fe.Line, fe.Column = list[0].Message, list[0].Position.Line, list[0].Position.Column
	case errors.As(err, &one):
		fe.Message, fe.Line, fe.Column = one.Message, one.Position.Line, one.Position.Column
	case errors.As(err, &cse):
		fe.Message = cse.Message
		if cse.File != nil {
			pos := cse.File.Position(cse.Offset)
			fe.Line, fe.Column = pos.Line, pos.Column
		}
	default:
		fe.Message = err.Error()
	}
	e := errs.Wrap(err, errs.Invalid, "script.compile", "script %q does not compile: %s (line %d, column %d)",
		name, fe.Message, fe.Line, fe.Column)
	e.Fields = []errs.FieldError{fe}
	return e
}

// CacheKey identifies one version of one tenant's script.
type CacheKey struct {
	Tenant  string
	Name    string
	Version int64
}

// Cache holds compiled programs by (tenant, script name, version), bounded
// to a number of entries with least-recently-used eviction. It is safe for
// concurrent use.
type Cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cacheEntry, most recent first
	byKey map[CacheKey]*list.Element
}

type cacheEntry struct {
	key CacheKey
	prg *Program
}

// NewCache returns a cache holding at most max programs (1024 when max <= 0).
func NewCache(max int) *Cache {
	if max <= 0 {
		max = 1024
	}
	return &Cache{max: max, order: list.New(), byKey: map[CacheKey]*list.Element{}}
}

// Program returns the cached program for key, compiling source on a miss.
// A new version of a script is a new key; older versions age out.
func (c *Cache) Program(key CacheKey, source string) (*Program, error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		p := el.Value.(*cacheEntry).prg
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	// NB: compile outside the lock; two goroutines may compile the same
	// version at once, and the second result simply replaces the first.
	p, err := Compile(key.Name, source)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		el.Value.(*cacheEntry).prg = p
		c.order.MoveToFront(el)
		return p, nil
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, prg: p})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cacheEntry).key)
	}
	return p, nil
}

// Len returns the number of cached programs.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Forget drops every cached version of a tenant's script, for example after
// the script was deleted.
func (c *Cache) Forget(tenant, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.byKey {
		if k.Tenant == tenant && k.Name == name {
			c.order.Remove(el)
			delete(c.byKey, k)
		}
	}
}

// bigIntLiteral finds the first BigInt literal in a parsed script. BigInt
// exponentiation runs natively and unbounded (2n ** 10n ** 10n), so scripts
// may not use BigInt at all; the global BigInt is removed from the runtime.
func bigIntLiteral(node any) *ast.NumberLiteral {
	var found *ast.NumberLiteral
	var walk func(v reflect.Value)
	numType := reflect.TypeOf(&ast.NumberLiteral{})
	walk = func(v reflect.Value) {
		if found != nil || !v.IsValid() {
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if v.IsNil() {
				return
			}
			if v.Type() == numType {
				if n := v.Interface().(*ast.NumberLiteral); n != nil {
					if _, ok := n.Value.(*big.Int); ok {
						found = n
						return
					}
				}
			}
			walk(v.Elem())
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(node))
	return found
}
