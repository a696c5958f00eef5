package schema

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// allowedTags are the HTML elements rich text keeps; void elements have no
// end tag.
var allowedTags = map[string]bool{
	"p": true, "br": true, "b": true, "strong": true, "i": true, "em": true, "u": true, "s": true,
	"strike": true, "sub": true, "sup": true, "ul": true, "ol": true, "li": true, "a": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true,
	"code": true, "pre": true, "span": true, "div": true, "hr": true, "table": true, "thead": true,
	"tbody": true, "tr": true, "th": true, "td": true,
}

var voidTags = map[string]bool{"br": true, "hr": true}

// droppedWithContent are elements removed together with everything inside
// them.
var droppedWithContent = map[string]bool{
	"script": true, "style": true, "iframe": true, "object": true, "embed": true, "template": true,
	"noscript": true, "svg": true, "math": true, "textarea": true, "select": true, "title": true,
	"head": true, "frame": true, "frameset": true, "noembed": true, "noframes": true, "xmp": true,
	"plaintext": true,
}

// Sanitize returns html reduced to an allow-list of formatting elements.
// Only a[href] (http, https and mailto URLs) and a[title] survive as
// attributes; elements outside the list are dropped but their text is kept,
// except for scripts, styles and embedded content, which go entirely. The
// result is well formed: every kept start tag has its end tag.
func Sanitize(in string) string {
	z := html.NewTokenizer(strings.NewReader(in))
	var b strings.Builder
	var open []string
	skip := 0 // depth inside a dropped-with-content element
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for i := len(open) - 1; i >= 0; i-- {
				b.WriteString("</" + open[i] + ">")
			}
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.WriteString(html.EscapeString(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			name := tok.Data
			if droppedWithContent[name] {
				if tt == html.StartTagToken && !voidTags[name] {
					skip++
				}
				continue
			}
			if skip > 0 || !allowedTags[name] {
				continue
			}
			b.WriteString("<" + name)
			if name == "a" {
				for _, a := range tok.Attr {
					switch {
					case a.Namespace != "":
					case a.Key == "href" && safeURL(a.Val):
						b.WriteString(` href="` + html.EscapeString(strings.TrimSpace(a.Val)) + `" rel="noopener noreferrer"`)
					case a.Key == "title":
						b.WriteString(` title="` + html.EscapeString(a.Val) + `"`)
					}
				}
			}
			b.WriteString(">")
			if !voidTags[name] {
				open = append(open, name)
			}
		case html.EndTagToken:
			tok := z.Token()
			name := tok.Data
			if droppedWithContent[name] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 || !allowedTags[name] || voidTags[name] {
				continue
			}
			// Close up to the matching open element; a stray end tag is
			// dropped.
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == name {
					for j := len(open) - 1; j >= i; j-- {
						b.WriteString("</" + open[j] + ">")
					}
					open = open[:i]
					break
				}
			}
		}
	}
}

// safeURL accepts absolute http, https and mailto URLs and relative URLs
// without a scheme.
func safeURL(raw string) bool {
	s := strings.TrimSpace(raw)
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	case "":
		head := s
		if i := strings.IndexAny(s, "/?#"); i >= 0 {
			head = s[:i]
		}
		return !strings.Contains(head, ":")
	}
	return false
}
