package schema

// Quick acceptors for the formats and patterns of the field types. Each
// one returns true only for strings that jsonschema's format function or
// the pattern's regexp certainly accepts too, and is much cheaper on the
// usual shapes; on false the fast path asks the real function or regexp.
// TestQuickAcceptors_neverAcceptWhatTheRealCheckRefuses holds them to
// that.

// quickFormats maps a format name to its quick acceptor.
var quickFormats = map[string]func(string) bool{
	"date":      quickDate,
	"date-time": quickDateTime,
	"email":     quickEmail,
}

// quickPatterns maps the patterns the field types put in the record
// schema to their quick acceptors.
var quickPatterns = map[string]func(string) bool{
	recordIDPattern: quickRecordID,
	phonePattern:    quickPhone,
}

// quickDate accepts "YYYY-MM-DD" with a month of 01-12 and a day that
// exists in that month, which time.Parse("2006-01-02", s) accepts.
func quickDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	month := int(s[5]-'0')*10 + int(s[6]-'0')
	day := int(s[8]-'0')*10 + int(s[9]-'0')
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// quickDateTime accepts "YYYY-MM-DDThh:mm:ss" with an optional fraction
// and "Z" or a "+hh:mm"/"-hh:mm" offset, leap seconds aside.
func quickDateTime(s string) bool {
	if len(s) < 20 || s[10] != 'T' && s[10] != 't' || !quickDate(s[:10]) {
		return false
	}
	t := s[11:]
	if t[2] != ':' || t[5] != ':' || !twoDigits(t[0:2], 23) || !twoDigits(t[3:5], 59) || !twoDigits(t[6:8], 59) {
		return false
	}
	t = t[8:]
	if t[0] == '.' {
		n := 1
		for n < len(t) && t[n] >= '0' && t[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		t = t[n:]
	}
	switch {
	case t == "Z" || t == "z":
		return true
	case len(t) == 6 && (t[0] == '+' || t[0] == '-') && t[3] == ':':
		return twoDigits(t[1:3], 23) && twoDigits(t[4:6], 59)
	}
	return false
}

// twoDigits reports whether s is two digits making at most max.
func twoDigits(s string, max int) bool {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return false
	}
	return int(s[0]-'0')*10+int(s[1]-'0') <= max
}

// quickEmail accepts local@domain where local is an ASCII dot-atom of at
// most 64 bytes and domain is a host name (letters, digits and inner
// hyphens in labels of 1 to 63 bytes, no trailing dot) of at most 253
// bytes: net/mail parses such an address as a bare addr-spec.
func quickEmail(s string) bool {
	at := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			at = i
			break
		}
	}
	if at < 1 || at > 64 || len(s) > 254 || len(s)-at-1 > 253 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	prevDot := true // no leading dot
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' {
			if prevDot {
				return false
			}
			prevDot = true
			continue
		}
		if !atext(c) {
			return false
		}
		prevDot = false
	}
	if prevDot {
		return false
	}
	label := 0
	for i := 0; i <= len(domain); i++ {
		if i == len(domain) || domain[i] == '.' {
			if label == 0 || label > 63 || domain[i-1] == '-' {
				return false
			}
			label = 0
			continue
		}
		c := domain[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-':
			if label == 0 {
				return false
			}
		default:
			return false
		}
		label++
	}
	return true
}

// atext reports whether c is an ASCII atext character of RFC 5322.
func atext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~':
		return true
	}
	return false
}

// quickRecordID is recordIDPattern, ^[A-Za-z0-9_-]{1,64}$.
func quickRecordID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// quickPhone accepts what phonePattern,
// ^\+?[0-9][0-9 ().\-]{1,28}[0-9)]( ?(x|ext\.?) ?[0-9]{1,6})?$, matches
// by splitting the number from its extension at the first x or e, which
// the number itself cannot contain.
func quickPhone(s string) bool {
	main, ext := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == 'x' || s[i] == 'e' {
			main, ext = s[:i], s[i:]
			if len(main) > 0 && main[len(main)-1] == ' ' {
				main = main[:len(main)-1]
			}
			break
		}
	}
	if ext != "" {
		switch {
		case len(ext) >= 4 && ext[:4] == "ext.":
			ext = ext[4:]
		case len(ext) >= 3 && ext[:3] == "ext":
			ext = ext[3:]
		case ext[0] == 'x':
			ext = ext[1:]
		default:
			return false
		}
		if len(ext) > 0 && ext[0] == ' ' {
			ext = ext[1:]
		}
		if len(ext) < 1 || len(ext) > 6 {
			return false
		}
		for i := 0; i < len(ext); i++ {
			if ext[i] < '0' || ext[i] > '9' {
				return false
			}
		}
	}
	if len(main) > 0 && main[0] == '+' {
		main = main[1:]
	}
	if len(main) < 3 || len(main) > 30 || main[0] < '0' || main[0] > '9' {
		return false
	}
	if last := main[len(main)-1]; last != ')' && (last < '0' || last > '9') {
		return false
	}
	for i := 1; i < len(main)-1; i++ {
		c := main[i]
		if !(c >= '0' && c <= '9' || c == ' ' || c == '(' || c == ')' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
