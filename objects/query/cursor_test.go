package query

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/opencrm/crm/platform/store"
)

func testCursors() Cursors { return Cursors{Key: bytes.Repeat([]byte{7}, 32)} }

func testBinding(t *testing.T) Binding {
	t.Helper()
	f, err := ParseFilter("status = 'new' AND score >= 50", leadFields())
	if err != nil {
		t.Fatal(err)
	}
	return Binding{Tenant: "acme", Object: "lead", Filter: f,
		Sort: []store.SortKey{{Field: "score", Desc: true}, {Field: "name"}, {Field: "createdAt"}}}
}

func TestCursors_roundTripKeepsTypes(t *testing.T) {
	c := testCursors()
	b := testBinding(t)
	for _, tc := range []struct {
		name string
		next []any
	}{
		{"int, string, nil, id", []any{int64(50), "Ann", nil, "01HZX"}},
		{"float stays float", []any{50.0, "", "2026-01-31T10:00:00.000Z", "id-1"}},
		{"negative and large ints", []any{int64(-9223372036854775808), "ünï", nil, "x"}},
		{"booleans", []any{true, false, nil, "x"}},
		{"Go ints are normalised to int64", []any{7, "a", "b", "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := c.Encode(b, tc.next)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(tok, "+/=") {
				t.Fatalf("token %q is not unpadded base64url", tok)
			}
			got, err := c.Decode(tok, b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := make([]any, len(tc.next))
			for i, v := range tc.next {
				want[i] = store.NormalizeValue(v)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode = %#v, want %#v", got, want)
			}
		})
	}
}

func TestCursors_equivalentFilterSharesCursor(t *testing.T) {
	c := testCursors()
	b := testBinding(t)
	b.Filter, b.Sort = store.Not{F: store.Eq("status", "lost")}, nil
	tok, err := c.Encode(b, []any{"id-9"})
	if err != nil {
		t.Fatal(err)
	}
	b.Filter = store.Cmp{Field: "status", Op: store.OpNe, Value: "lost"}
	b.Sort = []store.SortKey{{Field: "id"}} // FullSort of no sort
	if _, err := c.Decode(tok, b); err != nil {
		t.Fatalf("Decode with the normalised filter: %v", err)
	}
}

func TestCursors_refusesForeignOrBrokenTokens(t *testing.T) {
	c := testCursors()
	b := testBinding(t)
	tok, err := c.Encode(b, []any{int64(50), "Ann", nil, "01HZX"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flip := func(i int) string {
		r := bytes.Clone(raw)
		r[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(r)
	}
	with := func(edit func(*Binding)) Binding {
		nb := b
		edit(&nb)
		return nb
	}
	otherFilter, _ := ParseFilter("status = 'new' AND score >= 51", leadFields())
	for _, tc := range []struct {
		name    string
		token   string
		binding Binding
		cursors Cursors
	}{
		{"flipped payload byte", flip(3), b, c},
		{"flipped version byte", flip(0), b, c},
		{"flipped signature byte", flip(len(raw) - 1), b, c},
		{"truncated", tok[:len(tok)-4], b, c},
		{"extended", tok + "AAAA", b, c},
		{"garbage", "not a cursor!", b, c},
		{"empty", "", b, c},
		{"too long", strings.Repeat("A", MaxCursorLength+1), b, c},
		{"another key", tok, b, Cursors{Key: bytes.Repeat([]byte{8}, 32)}},
		{"another tenant", tok, with(func(b *Binding) { b.Tenant = "globex" }), c},
		{"another object", tok, with(func(b *Binding) { b.Object = "contact" }), c},
		{"another filter", tok, with(func(b *Binding) { b.Filter = otherFilter }), c},
		{"no filter", tok, with(func(b *Binding) { b.Filter = nil }), c},
		{"another sort direction", tok, with(func(b *Binding) {
			b.Sort = []store.SortKey{{Field: "score"}, {Field: "name"}, {Field: "createdAt"}}
		}), c},
		{"another sort order", tok, with(func(b *Binding) {
			b.Sort = []store.SortKey{{Field: "name"}, {Field: "score", Desc: true}, {Field: "createdAt"}}
		}), c},
		{"another user", tok, with(func(b *Binding) { b.Extra = "user-2" }), c},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cursors.Decode(tc.token, tc.binding)
			if err == nil {
				t.Fatalf("Decode = %#v, want %s", got, CodeBadCursor)
			}
			wantQueryError(t, err, "cursor", CodeBadCursor, 0, "invalid cursor")
		})
	}
}

func TestCursors_refusesAShortKey(t *testing.T) {
	c := Cursors{Key: []byte("short")}
	if _, err := c.Encode(testBinding(t), []any{"x"}); err == nil {
		t.Fatal("Encode with a 5-byte key succeeded")
	}
	if _, err := (Cursors{}).Decode("AAAA", testBinding(t)); err == nil {
		t.Fatal("Decode without a key succeeded")
	}
}

func TestCursors_refusesValuesThatAreNotScalars(t *testing.T) {
	b := testBinding(t)
	for _, v := range []any{map[string]any{}, []any{1}, struct{}{}} {
		if _, err := testCursors().Encode(b, []any{v, "a", "b", "id"}); err == nil {
			t.Errorf("Encode(%#v) succeeded", v)
		}
	}
}
