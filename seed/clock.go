package seed

import (
	"sync/atomic"
	"time"
)

// Clock is the clock the record service reads while a seed runs: the system
// clock, except while the seed pins it to the moment an event of the
// generated history happened, so that createdAt, updatedAt and the field
// history of the stage carry the dates of that history. Its zero value is
// the system clock and it is safe for concurrent use.
//
// Wire it as the record service's clock (records.Config.Now = clock.Now)
// of the App that seeds. NB: while a seed runs, every record write of that
// App is stamped with the pinned time, so seed before the server takes
// requests.
type Clock struct {
	pinned atomic.Int64 // Unix nanoseconds; 0 means the system clock
}

// Now returns the pinned instant, or the system time when nothing is pinned.
func (c *Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	if ns := c.pinned.Load(); ns != 0 {
		return time.Unix(0, ns).UTC()
	}
	return time.Now()
}

// Pin makes Now return t until the next Pin or Release.
func (c *Clock) Pin(t time.Time) {
	if c != nil {
		c.pinned.Store(t.UnixNano())
	}
}

// Release gives the system clock back.
func (c *Clock) Release() {
	if c != nil {
		c.pinned.Store(0)
	}
}
