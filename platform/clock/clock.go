// Package clock owns the one clock the platform reads: Real in production,
// Manual in tests that move time by hand. Code that schedules or compares
// times takes a Clock instead of calling time.Now, so a test can make a job
// come due without sleeping. It imports nothing of the project.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current instant.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Manual is a clock that moves only when told to. It is safe for concurrent
// use.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a manual clock showing t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now returns the clock's current instant.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t
}

// Set moves the clock to t (backwards too).
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.t = t
	m.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new instant.
func (m *Manual) Advance(d time.Duration) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.t = m.t.Add(d)
	return m.t
}

// StampLayout is how the platform stores instants: fixed-width UTC with
// milliseconds, so string order is time order.
const StampLayout = "2006-01-02T15:04:05.000Z"

// Stamp formats t in StampLayout.
func Stamp(t time.Time) string { return t.UTC().Format(StampLayout) }

// ParseStamp reads an instant in StampLayout or RFC 3339.
func ParseStamp(s string) (time.Time, error) {
	if t, err := time.Parse(StampLayout, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
