package schema

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// TestQuickAcceptors_neverAcceptWhatTheRealCheckRefuses compares every
// quick acceptor with the check it stands for (jsonschema's format
// function, the pattern's regexp) on typical, damaged and random strings.
func TestQuickAcceptors_neverAcceptWhatTheRealCheckRefuses(t *testing.T) {
	type acceptor struct {
		quick   func(string) bool
		real    func(string) bool
		typical []string
	}
	format := func(name string) func(string) bool {
		return func(s string) bool { return jsonschema.Formats[name](s) }
	}
	pattern := func(src string) func(string) bool { return regexp.MustCompile(src).MatchString }
	cases := map[string]acceptor{
		"date": {quickDate, format("date"), []string{"2026-01-31", "2024-02-29", "0000-01-01", "2000-02-29"}},
		"date-time": {quickDateTime, format("date-time"), []string{"2026-01-31T10:00:00Z", "2026-01-31t10:00:00.5z",
			"2026-01-31T10:00:00.123456789+02:00", "2026-01-31T23:59:59-23:59"}},
		"email": {quickEmail, format("email"), []string{"ann@acme.test", "a.b+c@x-y.co", "o'hara{x}@a.b.c",
			strings.Repeat("a", 64) + "@x.io"}},
		"record id": {quickRecordID, pattern(recordIDPattern), []string{"acc_1", "a-B", strings.Repeat("z", 64)}},
		"phone": {quickPhone, pattern(phonePattern), []string{"+33 1 23 45 67 89", "555-1234", "0(1)23.45 x12",
			"555 123-4567 ext. 123456", "123ext4", "12)"}},
	}
	pool := []string{"2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-01-00", "2026-1-01", "+026-01-01",
		"2026-01-31T24:00:00Z", "2026-01-31T23:59:60Z", "2026-01-31T10:00:00+24:00", "2026-01-31T10:00:00.Z",
		"2026-01-31T10:00:00", "2026-01-31 10:00:00Z", "2026-01-31T1:00:00Z", "ann@acme", "ann@-acme.test",
		"ann@acme-.test", "ann@acme..test", "ann@acme.test.", ".ann@acme.test", "ann.@acme.test", "a..b@x.io",
		"ann@@x.io", "Ann <ann@x.io>", " ann@x.io", "ann@[127.0.0.1]", `"a b"@x.io`, strings.Repeat("a", 65) + "@x.io",
		"ann@" + strings.Repeat("a", 64) + ".io", "ann@" + strings.Repeat("abcdefghi.", 26) + "io", "é@x.io",
		"a b", "", strings.Repeat("z", 65), "acc/1", "+1", "12", "(555) 123", "555 x", "555 ext.", "555 x 1234567",
		"555  x1", "555-", "555xx1", "555 e1", "12 34 56 78 90 12 34 56 78 90 12", "++1 555", "1-2-3 ext 9"}
	chars := "0123456789-:.TtZz+ @ae()x_éA/\x00"
	r := rand.New(rand.NewPCG(5, 8))
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for _, s := range c.typical {
				if !c.quick(s) {
					t.Errorf("quick acceptor refuses typical %q", s)
				}
			}
			try := func(s string) {
				if c.quick(s) && !c.real(s) {
					t.Fatalf("quick acceptor accepts %q, the real check refuses it", s)
				}
			}
			for _, s := range append(pool, c.typical...) {
				try(s)
			}
			for i := 0; i < 100000; i++ {
				s := []byte(c.typical[r.IntN(len(c.typical))])
				if r.IntN(4) == 0 {
					s = []byte(pool[r.IntN(len(pool))])
				}
				for k := r.IntN(3); k >= 0; k-- {
					ch := chars[r.IntN(len(chars))]
					switch p := r.IntN(len(s) + 1); {
					case r.IntN(3) == 0 && p < len(s):
						s = append(s[:p], s[p+1:]...)
					case r.IntN(2) == 0 && p < len(s):
						s[p] = ch
					default:
						s = append(s[:p], append([]byte{ch}, s[p:]...)...)
					}
				}
				try(string(s))
			}
		})
	}
}
