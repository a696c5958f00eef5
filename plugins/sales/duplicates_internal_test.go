package sales

import "testing"

func TestNormalise(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		company  bool
		want     string
	}{
		{"legal suffixes are dropped from a company", "Acme Widgets Co. Ltd", true, "acme widgets"},
		{"a suffix alone is kept", "GmbH", true, "gmbh"},
		{"suffixes stay in a person's name", "Anna Co", false, "anna co"},
		{"accents are folded", "Müller & Söhne GmbH", true, "mueller and soehne"},
		{"punctuation runs become one space", "  O'Brien--Smith,  Jr. ", false, "o brien smith jr"},
		{"letters outside Latin are kept", "北京 科技 Co", true, "北京 科技"},
		{"empty stays empty", " .,- ", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := normalise(tc.in, tc.company); got != tc.want {
				t.Errorf("normalise(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		name, company, person string
		want                  any
	}{
		{"four letters of the company and the initials", "Acme Widgets GmbH", "Anna Maria Schmidt", "acme|as"},
		{"a short company is the whole block", "IBM", "Li Lei", "ibm|ll"},
		{"spaces do not count in the block", "A B C D E", "Zoe", "abcd|zz"},
		{"no company, no key", "", "Anna Schmidt", nil},
		{"no name, no key", "Acme", "", nil},
		{"non-Latin letters are letters", "华为技术有限公司", "王 小明", "华为技术|王小"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := map[string]any{"company": tc.company, "name": tc.person}
			setDuplicateKeys(r)
			if r["duplicateKey"] != tc.want {
				t.Errorf("duplicateKey = %v, want %v (record %v)", r["duplicateKey"], tc.want, r)
			}
		})
	}
}

func TestSimilar(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		max  int
		want bool
	}{
		{"acme widgets", "acme widgets", 2, true},
		{"acme widgets", "acme wigdets", 2, true}, // two substitutions
		{"acme widgets", "acme gadgets", 2, true}, // w-g, i-a
		{"acme widgets", "acme gizmos", 2, false},
		{"anna schmidt", "anna schmitt", 2, true},
		{"li lei", "li lie", 2, false}, // a quarter of 6 letters is 1
		{"li lei", "li le", 2, true},
		{"abc", "", 2, false},
		{"schmidt", "schmidt", 0, true},
		{"schmidt", "schmitt", 0, false},
	} {
		if got := similar(tc.a, tc.b, tc.max); got != tc.want {
			t.Errorf("similar(%q, %q, %d) = %v, want %v", tc.a, tc.b, tc.max, got, tc.want)
		}
	}
}

func TestDistanceMatchesTheFullMatrix(t *testing.T) {
	words := []string{"", "a", "ab", "ba", "kitten", "sitting", "flaw", "lawn", "schmidt", "schmitt", "smith", "müller", "mueller"}
	for _, a := range words {
		for _, b := range words {
			want := fullDistance([]rune(a), []rune(b))
			for max := 0; max <= 4; max++ {
				got := distance([]rune(a), []rune(b), max)
				if want <= max && got != want || want > max && got != max+1 {
					t.Errorf("distance(%q, %q, %d) = %d, full distance %d", a, b, max, got, want)
				}
			}
		}
	}
}

// fullDistance is the textbook Levenshtein distance, as a reference.
func fullDistance(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
		}
	}
	return d[len(a)][len(b)]
}
