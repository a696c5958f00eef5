package id

import (
	"regexp"
	"sort"
	"testing"
)

func TestNew_isTwentyBase32CharsAndSortsInCreationOrder(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{20}$`)
	ids := make([]string, 10000)
	seen := map[string]bool{}
	for i := range ids {
		ids[i] = New()
		if !re.MatchString(ids[i]) {
			t.Fatalf("id %q has the wrong shape", ids[i])
		}
		if seen[ids[i]] {
			t.Fatalf("id %q made twice", ids[i])
		}
		seen[ids[i]] = true
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids made one after another do not sort in creation order")
	}
}

func TestSecret_isRandomAndURLSafe(t *testing.T) {
	a, b := Secret(32), Secret(32)
	if a == b || len(a) != 43 {
		t.Fatalf("secrets %q and %q: want two different 43-char strings", a, b)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(a) {
		t.Fatalf("secret %q is not base64url", a)
	}
}
