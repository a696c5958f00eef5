package mongo

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/opencrm/crm/platform/store"
)

func TestEncodeKey_isReversibleAndLeavesFieldNamesAlone(t *testing.T) {
	for _, c := range []struct {
		key    string
		top    bool
		stored string
	}{
		{"name", true, "name"},
		{"_under", true, "_under"},
		{"has space", false, "has space"},
		{"$schema", true, "~~24schema"},
		{"$ref", false, "~~24ref"},
		{"a.b", false, "~a~2Eb"},
		{"~tilde", false, "~~7Etilde"},
		{"~24x", true, "~~7E24x"},
		{"", false, "~"},
		{"_id", true, "~_id"},
		{"_id", false, "_id"},
		{"nul\x00", false, "~nul~00"},
		{"a$b", false, "a$b"},
	} {
		t.Run(c.key, func(t *testing.T) {
			if got := encodeKey(c.key, c.top); got != c.stored {
				t.Errorf("encodeKey(%q, %v) = %q, want %q", c.key, c.top, got, c.stored)
			}
			if back := decodeKey(c.stored); back != c.key {
				t.Errorf("decodeKey(%q) = %q, want %q", c.stored, back, c.key)
			}
		})
	}
}

func TestEncodeDoc_normalisesAndRefuses(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	enc, norm, err := encodeDoc(store.Doc{
		"id": "a", "version": int64(9), "gone": nil, "i": 3, "when": when, "tags": []string{"x", "y"},
		"m": map[string]any{"k": nil, "$op": int32(1)}, "arr": []any{nil, uint8(2)},
	}, 4)
	if err != nil {
		t.Fatal(err)
	}
	wantNorm := store.Doc{"id": "a", "version": int64(4), "i": int64(3), "when": "2026-01-02T03:04:05Z",
		"tags": []any{"x", "y"}, "m": map[string]any{"$op": int64(1)}, "arr": []any{nil, int64(2)}}
	if !reflect.DeepEqual(norm, wantNorm) {
		t.Errorf("normalised = %#v\nwant %#v", norm, wantNorm)
	}
	wantEnc := bson.D{{Key: "_id", Value: "a"}, {Key: "arr", Value: bson.A{nil, int64(2)}}, {Key: "i", Value: int64(3)},
		{Key: "m", Value: bson.D{{Key: "~~24op", Value: int64(1)}}}, {Key: "tags", Value: bson.A{"x", "y"}},
		{Key: "when", Value: "2026-01-02T03:04:05Z"}, {Key: "version", Value: int64(4)}}
	if !reflect.DeepEqual(enc, wantEnc) {
		t.Errorf("encoded = %v\nwant %v", enc, wantEnc)
	}
	raw, err := bson.Marshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeDoc(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, wantNorm) {
		t.Errorf("decoded = %#v\nwant %#v", back, wantNorm)
	}

	for name, doc := range map[string]store.Doc{
		"no id":        {"a": "b"},
		"numeric id":   {"id": int64(1)},
		"NaN":          {"id": "x", "f": math.NaN()},
		"a channel":    {"id": "x", "c": make(chan int)},
		"too deep":     {"id": "x", "d": deep(100)},
		"infinite sub": {"id": "x", "m": map[string]any{"f": math.Inf(1)}},
	} {
		if _, _, err := encodeDoc(doc, 1); !errors.Is(err, store.ErrInvalidDocument) {
			t.Errorf("%s: encodeDoc = %v, want ErrInvalidDocument", name, err)
		}
	}
}

func deep(n int) any {
	var v any = "leaf"
	for range n {
		v = map[string]any{"x": v}
	}
	return v
}

func TestDecodeValue_mapsForeignTypes(t *testing.T) {
	oid := bson.NewObjectID()
	raw, err := bson.Marshal(bson.D{
		{Key: "i32", Value: int32(7)}, {Key: "dt", Value: bson.NewDateTimeFromTime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))},
		{Key: "oid", Value: oid}, {Key: "null", Value: nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeDoc(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Doc{"i32": int64(7), "dt": "2026-03-01T12:00:00.000Z", "oid": oid.Hex()}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeDoc = %#v, want %#v", got, want)
	}
}
