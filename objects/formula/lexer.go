package formula

import (
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tStr
	tIdent
	tLParen
	tRParen
	tComma
	tPlus
	tMinus
	tStar
	tSlash
	tAmp
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tAndAnd
	tOrOr
	tBang
)

var tokNames = [...]string{tEOF: "end of formula", tNum: "number", tStr: "text", tIdent: "name",
	tLParen: "'('", tRParen: "')'", tComma: "','", tPlus: "'+'", tMinus: "'-'", tStar: "'*'",
	tSlash: "'/'", tAmp: "'&'", tEq: "'='", tNe: "'!='", tLt: "'<'", tLe: "'<='", tGt: "'>'",
	tGe: "'>='", tAndAnd: "'&&'", tOrOr: "'||'", tBang: "'!'"}

type token struct {
	kind tokKind
	pos  int    // byte offset in the source
	text string // identifier as written, or the decoded string literal
	num  Decimal
}

// describe names the token for a syntax error message.
func (t token) describe() string {
	switch t.kind {
	case tIdent:
		return "'" + truncateForMessage(t.text) + "'"
	case tNum:
		return "number " + t.num.String()
	case tStr:
		return "text literal"
	}
	return tokNames[t.kind]
}

// isKeyword reports whether t is the identifier kw (upper case), ignoring
// case.
func (t token) isKeyword(kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

// lex splits src into tokens. Whitespace and /* … */ comments separate
// tokens and are dropped.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '*' {
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, syntaxError(src, i, "unterminated_comment", "comment is not closed with */")
				}
				i += end + 4
				continue
			}
			break
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, pos: len(src)}), nil
		}
		start := i
		c := src[i]
		switch {
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			for i < len(src) && (src[i] >= '0' && src[i] <= '9' || src[i] == '.') {
				i++
			}
			if i < len(src) && isIdentStart(src[i]) {
				return nil, syntaxError(src, i, "bad_number", "a number is directly followed by a name")
			}
			d, ok := parseDecimal(src[start:i])
			if !ok {
				return nil, syntaxError(src, start, "bad_number", "%q is not a valid number (at most 18 integer digits, one decimal point)", truncateForMessage(src[start:i]))
			}
			toks = append(toks, token{kind: tNum, pos: start, num: d})
			continue
		case c == '\'' || c == '"':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tStr, pos: start, text: s})
			i = n
			continue
		case isIdentStart(c):
			for {
				for i < len(src) && isIdentPart(src[i]) {
					i++
				}
				// A dot followed by a name continues a lookup path: account.owner.name.
				if i+1 < len(src) && src[i] == '.' && isIdentStart(src[i+1]) {
					i++
					continue
				}
				break
			}
			toks = append(toks, token{kind: tIdent, pos: start, text: src[start:i]})
			continue
		}
		two := ""
		if i+1 < len(src) {
			two = src[i : i+2]
		}
		var k tokKind
		width := 2
		switch two {
		case "==":
			k = tEq
		case "!=", "<>":
			k = tNe
		case "<=":
			k = tLe
		case ">=":
			k = tGe
		case "&&":
			k = tAndAnd
		case "||":
			k = tOrOr
		default:
			width = 1
			switch c {
			case '(':
				k = tLParen
			case ')':
				k = tRParen
			case ',':
				k = tComma
			case '+':
				k = tPlus
			case '-':
				k = tMinus
			case '*':
				k = tStar
			case '/':
				k = tSlash
			case '&':
				k = tAmp
			case '=':
				k = tEq
			case '<':
				k = tLt
			case '>':
				k = tGt
			case '!':
				k = tBang
			default:
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, syntaxError(src, i, "unexpected_character", "unexpected character %q", r)
			}
		}
		toks = append(toks, token{kind: k, pos: start})
		i += width
	}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

// lexString decodes the literal that starts with a quote at src[i] and
// returns it with the offset just after the closing quote. Escapes: \\ \' \"
// \n \r \t.
func lexString(src string, i int) (string, int, error) {
	q := src[i]
	j := i + 1
	// Fast path: no escapes.
	for j < len(src) && src[j] != q && src[j] != '\\' {
		j++
	}
	if j < len(src) && src[j] == q {
		return src[i+1 : j], j + 1, nil
	}
	var b strings.Builder
	b.WriteString(src[i+1 : j])
	for j < len(src) {
		c := src[j]
		switch {
		case c == q:
			return b.String(), j + 1, nil
		case c == '\\':
			if j+1 >= len(src) {
				return "", 0, syntaxError(src, i, "unterminated_text", "text literal is not closed")
			}
			switch src[j+1] {
			case '\\', '\'', '"':
				b.WriteByte(src[j+1])
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				return "", 0, syntaxError(src, j, "bad_escape", "unknown escape \\%c in text literal", src[j+1])
			}
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, syntaxError(src, i, "unterminated_text", "text literal is not closed")
}
