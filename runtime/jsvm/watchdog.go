package jsvm

import (
	"runtime/metrics"
	"sync"
	"time"
)

// heapMetric is the live-heap figure the watchdog samples: bytes in heap
// objects, live or not yet swept.
const heapMetric = "/memory/classes/heap/objects:bytes"

// watchdog interrupts runs whose heap growth passes their memory limit. It
// sleeps while no run is active. See the package doc for why it exists and
// what it cannot attribute.
type watchdog struct {
	interval time.Duration
	wake     chan struct{}

	mu   sync.Mutex
	runs map[*run]watched
}

// watched is a run's memory limit and when the watchdog began watching it.
type watched struct {
	limit int64
	since time.Time
}

func newWatchdog(interval time.Duration) *watchdog {
	return &watchdog{interval: interval, wake: make(chan struct{}, 1), runs: map[*run]watched{}}
}

func readHeap(s []metrics.Sample) uint64 {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func (w *watchdog) add(r *run, limit int64) {
	s := []metrics.Sample{{Name: heapMetric}}
	r.heapBase = readHeap(s)
	w.mu.Lock()
	w.runs[r] = watched{limit, time.Now()}
	w.mu.Unlock()
}

// kick wakes the sampling loop. Runs call it through a timer once they have
// lasted one interval: most runs end sooner, and waking the loop for each
// would cost them more than they take.
func (w *watchdog) kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watchdog) remove(r *run) {
	w.mu.Lock()
	delete(w.runs, r)
	w.mu.Unlock()
}

// loop samples while runs are active, until stop is closed.
func (w *watchdog) loop(stop <-chan struct{}) {
	s := []metrics.Sample{{Name: heapMetric}}
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	for {
		w.mu.Lock()
		idle := len(w.runs) == 0
		w.mu.Unlock()
		if idle {
			select {
			case <-w.wake:
			case <-stop:
				return
			}
		}
		select {
		case <-ticker.C:
		case <-stop:
			return
		}
		heap := readHeap(s)
		var worst *run
		var since time.Time
		w.mu.Lock()
		for r, e := range w.runs {
			if heap > r.heapBase && int64(heap-r.heapBase) > e.limit && (worst == nil || e.since.Before(since)) {
				worst, since = r, e.since
			}
		}
		if worst != nil {
			// The heap is the process's: of the runs whose limit it passed,
			// the one running longest is the likeliest cause and is
			// stopped; the others are measured afresh from here, so a short
			// run that merely overlapped an allocation bomb is not stopped
			// with it. Should one of them be a bomb too, it is stopped once
			// it has grown past its own limit again.
			for r := range w.runs {
				if r != worst {
					r.heapBase = heap
				}
			}
		}
		w.mu.Unlock()
		if worst != nil {
			worst.stop(limitError(worst.prog.name, "memory", "the heap grew by more than %d MiB while the script ran",
				worst.limits.Memory>>20))
		}
	}
}
