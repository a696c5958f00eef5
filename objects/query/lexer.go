package query

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opencrm/crm/platform/errs"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tDecimal
	tDate
	tDateTime
	tLParen
	tRParen
	tComma
	tOp // = != <> < <= > >=
	// keywords
	tAnd
	tOr
	tNot
	tIn
	tLike
	tIs
	tNull
	tTrue
	tFalse
)

var keywords = map[string]tokKind{
	"and": tAnd, "or": tOr, "not": tNot, "in": tIn, "like": tLike,
	"is": tIs, "null": tNull, "true": tTrue, "false": tFalse,
}

// token is one lexeme: off and end are byte offsets into the source.
type token struct {
	kind     tokKind
	off, end int
	text     string
	val      any // int64, float64 or time.Time for number and date tokens
}

// describe names the token for "found ..." in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return "string " + shorten(t.text)
	case tAnd, tOr, tNot, tIn, tLike, tIs, tNull, tTrue, tFalse:
		return strings.ToUpper(t.text)
	}
	return "'" + shorten(t.text) + "'"
}

func shorten(s string) string {
	const max = 32
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// lexer reads tokens from a filter one at a time, so that the first error in
// reading order is the one reported.
type lexer struct {
	src string
	pos int
}

func (lx *lexer) err(off int, code, format string, args ...any) *errs.Error {
	return posError("filter", lx.src, off, code, format, args...)
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token.
func (lx *lexer) next() (token, error) {
	src := lx.src
	for lx.pos < len(src) {
		if c := src[lx.pos]; c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			lx.pos++
			continue
		}
		break
	}
	start := lx.pos
	if start >= len(src) {
		return token{kind: tEOF, off: start, end: start}, nil
	}
	c := src[start]
	tok := func(k tokKind, n int) (token, error) {
		lx.pos = start + n
		return token{kind: k, off: start, end: lx.pos, text: src[start:lx.pos]}, nil
	}
	switch {
	case c == '(':
		return tok(tLParen, 1)
	case c == ')':
		return tok(tRParen, 1)
	case c == ',':
		return tok(tComma, 1)
	case c == '=':
		return tok(tOp, 1)
	case c == '!':
		if strings.HasPrefix(src[start:], "!=") {
			return tok(tOp, 2)
		}
		return token{}, lx.err(start, CodeSyntax, "unexpected '!' (did you mean '!='?)")
	case c == '<':
		if strings.HasPrefix(src[start:], "<=") || strings.HasPrefix(src[start:], "<>") {
			return tok(tOp, 2)
		}
		return tok(tOp, 1)
	case c == '>':
		if strings.HasPrefix(src[start:], ">=") {
			return tok(tOp, 2)
		}
		return tok(tOp, 1)
	case c == '\'':
		return lx.lexString(start)
	case c == '"':
		return token{}, lx.err(start, CodeSyntax, "unexpected '\"': strings are written in single quotes")
	case isDigit(c) || c == '-':
		return lx.lexNumberOrDate(start)
	case isIdentStart(c):
		return lx.lexIdent(start)
	}
	r, _ := utf8.DecodeRuneInString(src[start:])
	if r == utf8.RuneError {
		return token{}, lx.err(start, CodeSyntax, "invalid UTF-8")
	}
	return token{}, lx.err(start, CodeSyntax, "unexpected character %q", r)
}

func (lx *lexer) lexIdent(start int) (token, error) {
	src := lx.src
	i := start
	for {
		for i < len(src) && isIdentChar(src[i]) {
			i++
		}
		if i < len(src) && src[i] == '.' {
			if i+1 < len(src) && isIdentStart(src[i+1]) {
				i++
				continue
			}
			return token{}, lx.err(i+1, CodeSyntax, "expected a field name after '.' in %q", src[start:i+1])
		}
		break
	}
	lx.pos = i
	t := token{kind: tIdent, off: start, end: i, text: src[start:i]}
	if k, ok := keywords[strings.ToLower(t.text)]; ok {
		t.kind = k
	}
	return t, nil
}

// lexString reads a single-quoted string. Escapes are only checked for
// completeness here; the parser resolves them, since \% and \_ are valid in
// LIKE patterns only.
func (lx *lexer) lexString(start int) (token, error) {
	src := lx.src
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++ // the escaped byte; a missing one leaves the string unterminated
		case '\'':
			lx.pos = i + 1
			return token{kind: tString, off: start, end: lx.pos, text: src[start:lx.pos]}, nil
		}
	}
	return token{}, lx.err(start, CodeSyntax, "unterminated string: expected a closing '")
}

// unquote resolves the escapes of a string token. In a LIKE pattern \%, \_
// and \\ stay escaped, so the store matches them literally. It returns the
// byte offset (within raw) of a bad escape, or -1.
func unquote(raw string, like bool) (string, int) {
	body := raw[1 : len(raw)-1]
	if !strings.Contains(body, `\`) {
		return body, -1
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case '\'', '"':
			b.WriteByte(body[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\':
			if like {
				b.WriteByte('\\')
			}
			b.WriteByte('\\')
		case '%', '_':
			if !like {
				return "", i // offset of the escaped char in body = offset of '\' in raw
			}
			b.WriteByte('\\')
			b.WriteByte(body[i])
		default:
			return "", i
		}
	}
	return b.String(), -1
}

func (lx *lexer) lexNumberOrDate(start int) (token, error) {
	src := lx.src
	if isDateAt(src, start) {
		return lx.lexDate(start)
	}
	i := start
	if src[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(src) && isDigit(src[i]) {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return token{}, lx.err(start, CodeSyntax, "unexpected '-': expected a number after it")
	}
	kind := tInt
	if i < len(src) && src[i] == '.' {
		i++
		kind = tDecimal
		if digits() == 0 {
			return token{}, lx.err(i, CodeSyntax, "expected a digit after the decimal point")
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		kind = tDecimal
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		switch n := digits(); {
		case n == 0:
			return token{}, lx.err(i, CodeSyntax, "expected a digit in the exponent")
		case n > 3: // NB: also keeps exact decimal arithmetic (CurrencyConvert) cheap
			return token{}, lx.err(start, CodeSyntax, "number %s is out of range", shorten(src[start:i]))
		}
	}
	if i < len(src) && (isIdentChar(src[i]) || src[i] == '.') {
		return token{}, lx.err(i, CodeSyntax, "unexpected %q after the number %s", src[i], src[start:i])
	}
	lx.pos = i
	t := token{kind: kind, off: start, end: i, text: src[start:i]}
	if kind == tInt {
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return token{}, lx.err(start, CodeSyntax, "number %s is out of range", shorten(t.text))
		}
		t.val = n
		return t, nil
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) {
		return token{}, lx.err(start, CodeSyntax, "number %s is out of range", shorten(t.text))
	}
	t.val = f
	return t, nil
}

// isDateAt reports whether src has the shape dddd-dd-dd at i.
func isDateAt(src string, i int) bool {
	if len(src)-i < 10 {
		return false
	}
	for j := 0; j < 10; j++ {
		c := src[i+j]
		if j == 4 || j == 7 {
			if c != '-' {
				return false
			}
		} else if !isDigit(c) {
			return false
		}
	}
	return true
}

func (lx *lexer) lexDate(start int) (token, error) {
	src := lx.src
	i := start + 10
	kind := tDate
	if i < len(src) && (src[i] == 'T' || src[i] == 't') {
		kind = tDateTime
		i++
		for i < len(src) && (isDigit(src[i]) || strings.IndexByte(":.+-Zz", src[i]) >= 0) {
			i++
		}
	}
	if i < len(src) && (isIdentChar(src[i]) || src[i] == '.') {
		return token{}, lx.err(i, CodeSyntax, "unexpected %q after the date %s", src[i], src[start:i])
	}
	lx.pos = i
	t := token{kind: kind, off: start, end: i, text: src[start:i]}
	if kind == tDate {
		d, err := time.Parse(DateLayout, t.text)
		if err != nil {
			return token{}, lx.err(start, CodeSyntax, "invalid date %s: expected a real day as YYYY-MM-DD", t.text)
		}
		t.val = d
		return t, nil
	}
	d, err := time.Parse(time.RFC3339Nano, t.text)
	if err != nil || t.text[10] != 'T' || strings.IndexByte(t.text, 'z') >= 0 {
		return token{}, lx.err(start, CodeSyntax,
			"invalid datetime %s: expected YYYY-MM-DDThh:mm:ss[.fff] with Z or an offset like +02:00", shorten(t.text))
	}
	d = d.UTC().Truncate(time.Millisecond)
	if d.Year() < 0 || d.Year() > 9999 {
		return token{}, lx.err(start, CodeSyntax, "datetime %s is out of range", t.text)
	}
	t.val = d
	return t, nil
}
