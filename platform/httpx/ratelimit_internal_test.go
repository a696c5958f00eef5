package httpx

import (
	"testing"
	"time"
)

func TestLimiter_idleKeysAreForgottenOnceTheirBucketIsFull(t *testing.T) {
	l := NewLimiter(10, 5, 0) // full again after 500 ms idle
	t0 := time.Unix(1_000_000, 0)
	for _, k := range []string{"a", "b", "c"} {
		l.allowAt(k, t0)
	}
	l.allowAt("c", t0.Add(400*time.Millisecond))
	// At 600 ms a and b have been idle 600 ms, c only 200 ms.
	l.allowAt("d", t0.Add(600*time.Millisecond))
	if n := l.Len(); n != 2 {
		t.Fatalf("tracks %d keys, want 2 (c and d)", n)
	}
	if _, ok := l.keys["c"]; !ok {
		t.Fatal("busy key c forgotten")
	}
}

func TestLimiter_refillsAtTheRateUpToTheBurst(t *testing.T) {
	l := NewLimiter(2, 3, 0)
	t0 := time.Unix(1_000_000, 0)
	for _, step := range []struct {
		at   time.Duration
		ok   bool
		wait time.Duration
	}{
		{0, true, 0}, {0, true, 0}, {0, true, 0},
		{0, false, 500 * time.Millisecond},
		{250 * time.Millisecond, false, 250 * time.Millisecond},
		{500 * time.Millisecond, true, 0},
		{500 * time.Millisecond, false, 500 * time.Millisecond},
		{10 * time.Second, true, 0}, // capped at the burst, not 20 tokens
		{10 * time.Second, true, 0},
		{10 * time.Second, true, 0},
		{10 * time.Second, false, 500 * time.Millisecond},
	} {
		ok, wait := l.allowAt("k", t0.Add(step.at))
		if ok != step.ok || wait != step.wait {
			t.Fatalf("at %s: got (%v, %s), want (%v, %s)", step.at, ok, wait, step.ok, step.wait)
		}
	}
}
