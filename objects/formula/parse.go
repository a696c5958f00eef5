package formula

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/errs"
)

// Limits of the language. They bound parse and evaluation time and memory
// whatever the input.
const (
	// MaxSourceBytes is the longest formula accepted by Parse.
	MaxSourceBytes = 16 << 10
	// MaxDepth bounds the nesting of parentheses, calls and unary operators
	// and the depth of the parsed tree.
	MaxDepth = 256
	// MaxTextBytes is the longest text value an evaluation may produce.
	MaxTextBytes = 1 << 20
	// MaxEvalTextBytes bounds the text bytes one evaluation may produce or
	// scan in total.
	MaxEvalTextBytes = 16 << 20
)

// Error codes of the package; every error is an *errs.Error of kind Invalid
// with one FieldError whose Position is the 1-based character offset in the
// source and whose Code says what went wrong (for example "unexpected_token",
// "unknown_field", "type_mismatch", "division_by_zero"). FieldError.Field is
// left empty for the caller to fill with the metadata property that holds
// the formula.
const (
	CodeSyntax = "formula.syntax" // Parse
	CodeType   = "formula.type"   // Check, and Eval of an unchecked formula
	CodeEval   = "formula.eval"   // Eval
)

type nodeKind uint8

const (
	nLit nodeKind = iota
	nField
	nNeg  // unary minus
	nBin  // binary operator in op
	nAnd  // n-ary, short-circuit
	nOr   // n-ary, short-circuit
	nNot  // unary
	nCall // builtin in fn
)

type node struct {
	kind  nodeKind
	op    tokKind // nBin: the operator token (tEq covers = and ==)
	fn    funcID
	pos   int    // byte offset
	depth int    // height of the subtree
	name  string // field reference, or the function name in upper case
	lit   value
	args  []*node
	// ftype is the declared type of a field reference, set by Check; the
	// evaluator converts raw field values with it.
	ftype   Type
	checked bool
}

// Expr is a parsed formula. It is immutable after Check, and then safe for
// concurrent Eval calls.
type Expr struct {
	src     string
	root    *node
	fields  []string
	checked bool
	typ     Type
}

// Source returns the formula text Parse was given.
func (e *Expr) Source() string { return e.src }

// Fields returns the distinct field references in order of first appearance,
// as written (for example "amount", "account.name"). Resolving them, and
// deciding whether names are case-sensitive, is the caller's job.
func (e *Expr) Fields() []string { return append([]string(nil), e.fields...) }

// Parse parses a formula. Errors are *errs.Error with code formula.syntax
// and the 1-based position of the problem.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxSourceBytes {
		return nil, syntaxError(src, MaxSourceBytes, "too_long", "formula is longer than %d bytes", MaxSourceBytes)
	}
	if !utf8.ValidString(src) {
		return nil, syntaxError(src, 0, "bad_encoding", "formula is not valid UTF-8")
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, seen: map[string]bool{}}
	root, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return &Expr{src: src, root: root, fields: p.fields}, nil
}

type parser struct {
	src    string
	toks   []token
	i      int
	nest   int
	fields []string
	seen   map[string]bool
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) error {
	return syntaxError(p.src, t.pos, "unexpected_token", "unexpected %s", t.describe())
}

func (p *parser) mk(kind nodeKind, pos int, args ...*node) (*node, error) {
	n := &node{kind: kind, pos: pos, args: args}
	for _, a := range args {
		n.depth = max(n.depth, a.depth+1)
	}
	if n.depth > MaxDepth {
		return nil, syntaxError(p.src, pos, "too_deep", "formula is nested more than %d levels deep", MaxDepth)
	}
	return n, nil
}

// enter guards recursion; every call must be paired with leave.
func (p *parser) enter(pos int) error {
	p.nest++
	if p.nest > MaxDepth {
		return syntaxError(p.src, pos, "too_deep", "formula is nested more than %d levels deep", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.nest-- }

// Grammar, loosest first:
//
//	expr    = and { (OR | "||") and }
//	and     = not { (AND | "&&") not }
//	not     = (NOT | "!") not | cmp          (NOT followed by "(" is the function)
//	cmp     = concat { cmpop concat }
//	concat  = add { "&" add }
//	add     = mul { ("+" | "-") mul }
//	mul     = unary { ("*" | "/") unary }
//	unary   = ("-" | "+") unary | primary
//	primary = number | text | TRUE | FALSE | NULL | name | name "(" [expr {"," expr}] ")" | "(" expr ")"
func (p *parser) expr() (*node, error) {
	return p.nary(nOr, func(t token) bool { return t.kind == tOrOr || t.isKeyword("OR") }, p.and)
}

func (p *parser) and() (*node, error) {
	return p.nary(nAnd, func(t token) bool { return t.kind == tAndAnd || t.isKeyword("AND") }, p.not)
}

func (p *parser) nary(kind nodeKind, isOp func(token) bool, operand func() (*node, error)) (*node, error) {
	first, err := operand()
	if err != nil || !isOp(p.peek()) {
		return first, err
	}
	args := []*node{first}
	pos := p.peek().pos
	for isOp(p.peek()) {
		p.next()
		n, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, n)
	}
	return p.mk(kind, pos, args...)
}

func (p *parser) not() (*node, error) {
	t := p.peek()
	isNot := t.kind == tBang || t.isKeyword("NOT") && p.toks[p.i+1].kind != tLParen
	if !isNot {
		return p.cmp()
	}
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	p.next()
	x, err := p.not()
	if err != nil {
		return nil, err
	}
	return p.mk(nNot, t.pos, x)
}

func (p *parser) binaryChain(ops func(tokKind) bool, operand func() (*node, error)) (*node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for ops(p.peek().kind) {
		op := p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		if l, err = p.mk(nBin, op.pos, l, r); err != nil {
			return nil, err
		}
		l.op = op.kind
	}
	return l, nil
}

func (p *parser) cmp() (*node, error) {
	return p.binaryChain(func(k tokKind) bool { return k >= tEq && k <= tGe }, p.concat)
}

func (p *parser) concat() (*node, error) {
	return p.binaryChain(func(k tokKind) bool { return k == tAmp }, p.add)
}

func (p *parser) add() (*node, error) {
	return p.binaryChain(func(k tokKind) bool { return k == tPlus || k == tMinus }, p.mul)
}

func (p *parser) mul() (*node, error) {
	return p.binaryChain(func(k tokKind) bool { return k == tStar || k == tSlash }, p.unary)
}

func (p *parser) unary() (*node, error) {
	t := p.peek()
	if t.kind != tMinus && t.kind != tPlus {
		return p.primary()
	}
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	p.next()
	x, err := p.unary()
	if err != nil || t.kind == tPlus {
		return x, err
	}
	if x.kind == nLit && x.lit.k == kNum && x.lit.d.coef != 0 {
		x.lit.d = x.lit.d.neg() // fold -literal so -5 is a constant
		x.pos = t.pos
		return x, nil
	}
	return p.mk(nNeg, t.pos, x)
}

func (p *parser) primary() (*node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		return &node{kind: nLit, pos: t.pos, lit: value{k: kNum, d: t.num}}, nil
	case tStr:
		return &node{kind: nLit, pos: t.pos, lit: value{k: kText, s: t.text}}, nil
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, syntaxError(p.src, c.pos, "unexpected_token", "expected ')' to close '(' at position %d, found %s", runePos(p.src, t.pos), c.describe())
		}
		return x, nil
	case tIdent:
		if p.peek().kind == tLParen {
			return p.call(t)
		}
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return &node{kind: nLit, pos: t.pos, lit: value{k: kBool, b: true}}, nil
		case "FALSE":
			return &node{kind: nLit, pos: t.pos, lit: value{k: kBool}}, nil
		case "NULL":
			return &node{kind: nLit, pos: t.pos}, nil
		case "AND", "OR", "NOT":
			return nil, p.unexpected(t)
		}
		if !p.seen[t.text] {
			p.seen[t.text] = true
			p.fields = append(p.fields, t.text)
		}
		return &node{kind: nField, pos: t.pos, name: t.text}, nil
	}
	return nil, p.unexpected(t)
}

func (p *parser) call(name token) (*node, error) {
	if err := p.enter(name.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	upper := strings.ToUpper(name.text)
	b, ok := builtins[upper]
	if !ok {
		return nil, syntaxError(p.src, name.pos, "unknown_function", "unknown function %s", truncateForMessage(name.text))
	}
	p.next() // (
	var args []*node
	if p.peek().kind != tRParen {
		for {
			a, err := p.expr()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	if c := p.next(); c.kind != tRParen {
		return nil, syntaxError(p.src, c.pos, "unexpected_token", "expected ',' or ')' in call of %s, found %s", upper, c.describe())
	}
	if len(args) < b.min || b.max >= 0 && len(args) > b.max || b.id == fCase && len(args)%2 != 0 {
		return nil, syntaxError(p.src, name.pos, "wrong_arguments", "%s takes %s, not %d", upper, b.arity(), len(args))
	}
	kind := nCall
	switch b.id {
	case fAnd:
		kind = nAnd
	case fOr:
		kind = nOr
	case fNot:
		kind = nNot
	}
	n, err := p.mk(kind, name.pos, args...)
	if err != nil {
		return nil, err
	}
	n.fn, n.name = b.id, upper
	return n, nil
}

// runePos converts a byte offset to a 1-based character position.
func runePos(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return utf8.RuneCountInString(src[:off]) + 1
}

func posError(code, detail, src string, off int, format string, args ...any) *errs.Error {
	msg := fmt.Sprintf(format, args...)
	pos := runePos(src, off)
	return &errs.Error{
		Kind:    errs.Invalid,
		Code:    code,
		Message: fmt.Sprintf("%s at position %d", msg, pos),
		Fields:  []errs.FieldError{{Code: detail, Message: msg, Position: pos}},
	}
}

func syntaxError(src string, off int, detail, format string, args ...any) error {
	return posError(CodeSyntax, detail, src, off, format, args...)
}
