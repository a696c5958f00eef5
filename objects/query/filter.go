package query

import (
	"math"
	"time"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// ParseFilter parses a filter expression (see the package documentation for
// the language) into the store's AST, checking every field and literal with
// fields. An empty or blank src is no filter: it returns nil, nil.
//
// A List field (a multi-picklist) takes only IS [NOT] NULL; any other
// operator is CodeNotFilterable at the field.
//
// Every error is an *errs.Error of kind Malformed with code CodeSyntax,
// CodeUnknownField, CodeNotFilterable, CodeTypeMismatch or CodeTooComplex;
// its one FieldError (Field "filter") carries the 1-based character Position.
// The result contains Not nodes where the text says NOT; store.Normalize
// pushes them down.
func ParseFilter(src string, fields Resolver) (store.Filter, error) {
	if len(src) > MaxFilterLength {
		return nil, posError("filter", src, MaxFilterLength, CodeTooComplex,
			"the filter is longer than %d bytes", MaxFilterLength)
	}
	if !utf8.ValidString(src) {
		off := 0
		for off < len(src) {
			r, n := utf8.DecodeRuneInString(src[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, posError("filter", src, off, CodeSyntax, "invalid UTF-8")
	}
	p := &parser{lx: lexer{src: src}, fields: fields}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, nil
	}
	f, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf(p.tok, CodeSyntax, "expected AND, OR or end of input, found %s", p.tok.describe())
	}
	return f, nil
}

type parser struct {
	lx     lexer
	fields Resolver
	tok    token // the current, not yet consumed token
	depth  int
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errf(at token, code, format string, args ...any) *errs.Error {
	return posError("filter", p.lx.src, at.off, code, format, args...)
}

// enter counts one more level of nesting at t.
func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errf(t, CodeTooComplex, "the filter nests deeper than %d levels", MaxDepth)
	}
	return nil
}

// parseOr: and ( OR and )*
func (p *parser) parseOr() (store.Filter, error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tOr {
		return first, nil
	}
	out := appendFlat[store.Or](nil, first)
	for p.tok.kind == tOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		next, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		out = appendFlat[store.Or](out, next)
	}
	return out, nil
}

// parseAnd: unary ( AND unary )*
func (p *parser) parseAnd() (store.Filter, error) {
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tAnd {
		return first, nil
	}
	out := appendFlat[store.And](nil, first)
	for p.tok.kind == tAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		next, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		out = appendFlat[store.And](out, next)
	}
	return out, nil
}

// appendFlat appends f to list, splicing in the children of an f of the same
// connective (a parenthesised AND inside an AND).
func appendFlat[L store.And | store.Or](list L, f store.Filter) L {
	if same, ok := f.(L); ok {
		return append(list, same...)
	}
	return append(list, f)
}

// parseUnary: NOT unary | '(' or ')' | predicate
func (p *parser) parseUnary() (store.Filter, error) {
	switch p.tok.kind {
	case tNot:
		if err := p.enter(p.tok); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		f, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		p.depth--
		return store.Not{F: f}, nil
	case tLParen:
		open := p.tok
		if err := p.enter(open); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		f, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errf(p.tok, CodeSyntax, "expected AND, OR or ')' to close the '(' at position %d, found %s",
				charPos(p.lx.src, open.off), p.tok.describe())
		}
		p.depth--
		return f, p.advance()
	case tIdent:
		return p.parsePredicate()
	}
	return nil, p.errf(p.tok, CodeSyntax, "expected a field name, '(' or NOT, found %s", p.tok.describe())
}

// parsePredicate: field ( op value | [NOT] IN (values) | [NOT] LIKE string |
// IS [NOT] NULL )
func (p *parser) parsePredicate() (store.Filter, error) {
	ft := p.tok
	name := ft.text
	field, ok := p.fields.Field(name)
	if !ok || store.ValidField(name) != nil {
		return nil, p.errf(ft, CodeUnknownField, "unknown field '%s'", shorten(name))
	}
	if !field.Filterable {
		return nil, p.errf(ft, CodeNotFilterable, "field '%s' cannot be used in a filter", name)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	op := p.tok
	if field.Kind == List && op.kind != tIs {
		return nil, p.errf(ft, CodeNotFilterable,
			"field '%s' holds several values: only IS NULL and IS NOT NULL can be used on it, found %s", name, op.describe())
	}
	switch op.kind {
	case tOp:
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.parseComparison(name, field, op)
	case tIn:
		return p.parseIn(name, field, false)
	case tLike:
		return p.parseLike(name, field, false)
	case tNot:
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tIn:
			return p.parseIn(name, field, true)
		case tLike:
			return p.parseLike(name, field, true)
		}
		return nil, p.errf(p.tok, CodeSyntax, "expected IN or LIKE after NOT, found %s", p.tok.describe())
	case tIs:
		if err := p.advance(); err != nil {
			return nil, err
		}
		not := false
		if p.tok.kind == tNot {
			not = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if p.tok.kind != tNull {
			after := "IS"
			if not {
				after = "IS NOT"
			}
			return nil, p.errf(p.tok, CodeSyntax, "expected NULL after %s, found %s", after, p.tok.describe())
		}
		return store.Null{Field: name, Not: not}, p.advance()
	}
	return nil, p.errf(op, CodeSyntax, "expected an operator after '%s' (= != < <= > >= IN LIKE IS), found %s",
		name, op.describe())
}

func cmpOp(text string) store.CmpOp {
	if text == "<>" {
		return store.OpNe
	}
	return store.CmpOp(text)
}

func (p *parser) parseComparison(name string, field Field, op token) (store.Filter, error) {
	vt := p.tok
	lit, err := p.literal("a value after '" + op.text + "'")
	if err != nil {
		return nil, err
	}
	o := cmpOp(op.text)
	if field.Kind == Boolean && o != store.OpEq && o != store.OpNe {
		return nil, p.errf(op, CodeTypeMismatch, "'%s' does not apply to the boolean field '%s': use = or !=", op.text, name)
	}
	if err := p.fits(name, field, vt, lit); err != nil {
		return nil, err
	}
	if field.Kind == DateTime && lit.Kind == LitDate {
		return p.dayComparison(name, field, vt, o, lit)
	}
	v, err := p.convert(name, field, vt, lit)
	if err != nil {
		return nil, err
	}
	return store.Cmp{Field: name, Op: o, Value: v}, p.advance()
}

func (p *parser) parseIn(name string, field Field, not bool) (store.Filter, error) {
	if err := p.advance(); err != nil { // IN
		return nil, err
	}
	if p.tok.kind != tLParen {
		return nil, p.errf(p.tok, CodeSyntax, "expected '(' after IN, found %s", p.tok.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	var values []any
	var alts store.Or // the same values as alternatives, once a date meets a datetime field
	for {
		vt := p.tok
		lit, err := p.literal("a value in the IN list")
		if err != nil {
			return nil, err
		}
		if len(values) == MaxInValues {
			return nil, p.errf(vt, CodeTooComplex, "the IN list has more than %d values", MaxInValues)
		}
		if err := p.fits(name, field, vt, lit); err != nil {
			return nil, err
		}
		if field.Kind == DateTime && lit.Kind == LitDate {
			day, err := p.dayComparison(name, field, vt, store.OpEq, lit)
			if err != nil {
				return nil, err
			}
			if alts == nil {
				for _, v := range values {
					alts = append(alts, store.Cmp{Field: name, Op: store.OpEq, Value: v})
				}
			}
			values = append(values, nil) // counts towards the limit
			alts = append(alts, day)
		} else {
			v, err := p.convert(name, field, vt, lit)
			if err != nil {
				return nil, err
			}
			values = append(values, v)
			if alts != nil {
				alts = append(alts, store.Cmp{Field: name, Op: store.OpEq, Value: v})
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if p.tok.kind == tRParen {
			break
		}
		if p.tok.kind != tComma {
			return nil, p.errf(p.tok, CodeSyntax, "expected ',' or ')' in the IN list, found %s", p.tok.describe())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.advance(); err != nil { // ')'
		return nil, err
	}
	switch {
	case alts == nil:
		return store.In{Field: name, Values: values, Not: not}, nil
	case not:
		return store.Not{F: alts}, nil
	}
	return alts, nil
}

func (p *parser) parseLike(name string, field Field, not bool) (store.Filter, error) {
	like := p.tok
	if field.Kind != String {
		return nil, p.errf(like, CodeTypeMismatch, "LIKE needs a string field; '%s' is a %s field", name, field.Kind)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	pt := p.tok
	if pt.kind != tString {
		return nil, p.errf(pt, CodeSyntax, "expected a string pattern after LIKE, found %s", pt.describe())
	}
	pattern, bad := unquote(pt.text, true)
	if bad >= 0 {
		return nil, p.badEscape(pt, bad, true)
	}
	return store.Like{Field: name, Pattern: pattern, Not: not}, p.advance()
}

// literal reads the current token as a literal without consuming it.
func (p *parser) literal(expected string) (Literal, error) {
	t := p.tok
	switch t.kind {
	case tString:
		s, bad := unquote(t.text, false)
		if bad >= 0 {
			return Literal{}, p.badEscape(t, bad, false)
		}
		return Literal{Kind: LitString, Value: s, Text: t.text}, nil
	case tInt:
		return Literal{Kind: LitInt, Value: t.val, Text: t.text}, nil
	case tDecimal:
		return Literal{Kind: LitDecimal, Value: t.val, Text: t.text}, nil
	case tTrue, tFalse:
		return Literal{Kind: LitBool, Value: t.kind == tTrue, Text: t.text}, nil
	case tDate:
		return Literal{Kind: LitDate, Value: t.val, Text: t.text}, nil
	case tDateTime:
		return Literal{Kind: LitDateTime, Value: t.val, Text: t.text}, nil
	case tNull:
		return Literal{}, p.errf(t, CodeSyntax, "expected %s, found NULL (compare with null using IS NULL or IS NOT NULL)", expected)
	}
	return Literal{}, p.errf(t, CodeSyntax, "expected %s, found %s", expected, t.describe())
}

func (p *parser) badEscape(t token, bad int, like bool) error {
	off := t.off + bad // '\' sits at body offset bad-1, i.e. raw offset bad
	r, _ := utf8.DecodeRuneInString(t.text[bad+1:])
	esc := string(r)
	if (esc == "%" || esc == "_") && !like {
		return posError("filter", p.lx.src, off, CodeSyntax, "the escape \\%s is only valid in a LIKE pattern", esc)
	}
	return posError("filter", p.lx.src, off, CodeSyntax, "unknown escape \\%s (use \\\\ \\' \\n \\r \\t, or \\%% \\_ in LIKE)", esc)
}

var expectedOf = map[Kind]string{
	String:   "a string in single quotes",
	Number:   "a number",
	Boolean:  "true or false",
	Date:     "a date like 2026-01-31",
	DateTime: "a datetime like 2026-01-31T10:00:00Z or a date",
}

// fits checks that a literal suits the field's kind.
func (p *parser) fits(name string, field Field, at token, lit Literal) error {
	if field.Kind.accepts(lit.Kind) {
		return nil
	}
	want, ok := expectedOf[field.Kind]
	if !ok {
		return errs.New(errs.Internal, "query.bad_resolver", "field %q has no valid kind (%d)", name, int(field.Kind))
	}
	return p.errf(at, CodeTypeMismatch, "'%s' is a %s field: expected %s, found %s %s",
		name, field.Kind, want, lit.Kind, shorten(lit.Text))
}

// convert turns a literal into the field's stored form.
func (p *parser) convert(name string, field Field, at token, lit Literal) (any, error) {
	conv := field.Convert
	if conv == nil {
		conv = DefaultConvert(field.Kind)
	}
	v, err := conv(lit)
	if err != nil {
		return nil, p.errf(at, CodeTypeMismatch, "invalid value for '%s': %s", name, err.Error())
	}
	switch x := v.(type) {
	case bool, int64, string:
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, p.errf(at, CodeTypeMismatch, "invalid value for '%s': not a finite number", name)
		}
	default:
		return nil, errs.New(errs.Internal, "query.bad_resolver", "the converter of field %q returned %T", name, v)
	}
	return v, nil
}

// dayComparison compares a datetime field with a whole UTC day (see the
// package documentation) and consumes the date token.
func (p *parser) dayComparison(name string, field Field, at token, op store.CmpOp, lit Literal) (store.Filter, error) {
	day := lit.Value.(time.Time)
	bound := func(t time.Time) (any, error) {
		s := t.Format(DateTimeLayout)
		return p.convert(name, field, at, Literal{Kind: LitDateTime, Value: t, Text: s})
	}
	start, err := bound(day)
	if err != nil {
		return nil, err
	}
	var end any // nil: the day is the last one representable
	if next := day.AddDate(0, 0, 1); next.Year() <= 9999 {
		if end, err = bound(next); err != nil {
			return nil, err
		}
	}
	cmp := func(o store.CmpOp, v any) store.Filter { return store.Cmp{Field: name, Op: o, Value: v} }
	within := func() store.Filter {
		if end == nil {
			return cmp(store.OpGte, start)
		}
		return store.And{cmp(store.OpGte, start), cmp(store.OpLt, end)}
	}
	var f store.Filter
	switch op {
	case store.OpEq:
		f = within()
	case store.OpNe:
		f = store.Not{F: within()}
	case store.OpLt:
		f = cmp(store.OpLt, start)
	case store.OpGte:
		f = cmp(store.OpGte, start)
	case store.OpLte:
		if end == nil {
			f = store.Null{Field: name, Not: true}
		} else {
			f = cmp(store.OpLt, end)
		}
	case store.OpGt:
		if end == nil {
			f = store.Or{}
		} else {
			f = cmp(store.OpGte, end)
		}
	}
	return f, p.advance()
}
