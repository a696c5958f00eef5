package clock

import (
	"testing"
	"time"
)

func TestManual_movesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := NewManual(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	if got := c.Advance(90 * time.Minute); !got.Equal(start.Add(90 * time.Minute)) {
		t.Fatalf("Advance = %v", got)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Set did not move the clock back: %v", c.Now())
	}
}

func TestStamp_ordersLikeTime(t *testing.T) {
	a := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600))
	b := a.Add(time.Millisecond)
	if !(Stamp(a) < Stamp(b)) {
		t.Fatalf("%s !< %s", Stamp(a), Stamp(b))
	}
	if Stamp(a) != "2026-01-02T02:04:05.006Z" {
		t.Fatalf("Stamp = %s", Stamp(a))
	}
	for _, s := range []string{Stamp(a), "2026-01-02T02:04:05.006Z", "2026-01-02T03:04:05.006+01:00"} {
		got, err := ParseStamp(s)
		if err != nil || !got.Equal(a) {
			t.Errorf("ParseStamp(%q) = %v, %v", s, got, err)
		}
	}
}
