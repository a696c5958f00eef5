package jsvm

import (
	"fmt"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// Limits bound one execution. A zero field means "the engine's value", and
// the engine's zero fields mean the defaults documented on each field.
type Limits struct {
	WallTime     time.Duration // whole run, top level included; default 200 ms
	CallStack    int           // JavaScript call-stack depth; default 256
	Queries      int           // ctx.records get/query/aggregate calls; default 100
	Writes       int           // ctx.records create/update/delete calls; default 150
	Records      int           // records returned by gets, queries and aggregates; default 10,000
	LogBytes     int           // total ctx.log output; default 1 MiB
	Depth        int           // re-entrant hook depth, counting this run; default 5
	StringLength int           // longest string a guarded built-in may build, in UTF-16 units; default 4 Mi
	ArrayLength  int           // longest array a guarded built-in may walk or build; default 1 Mi
	JSONDepth    int           // nesting of JSON.parse/stringify and of record values; default 128
	Memory       int64         // live-heap growth during the run, in bytes; default 128 MiB
	// Isolation is where the run executes: IsolationInProcess (the default)
	// or IsolationProcess, a worker process the engine kills at the hard
	// bounds (worker.go explains when to choose which).
	Isolation string
}

// The values of Limits.Isolation.
const (
	// IsolationInProcess runs scripts in the engine's own process: the
	// fastest, bounded by interrupts, size guards and the heap watchdog.
	IsolationInProcess = "in-process"
	// IsolationProcess runs scripts in a worker process that the engine
	// kills when a run passes its wall time or its memory limit.
	IsolationProcess = "process"
)

// DefaultLimits returns the documented defaults.
func DefaultLimits() Limits {
	return Limits{
		WallTime:     200 * time.Millisecond,
		CallStack:    256,
		Queries:      100,
		Writes:       150,
		Records:      10_000,
		LogBytes:     1 << 20,
		Depth:        5,
		StringLength: 4 << 20,
		ArrayLength:  1 << 20,
		JSONDepth:    128,
		Memory:       128 << 20,
		Isolation:    IsolationInProcess,
	}
}

// Over returns l with every non-zero field of o replacing l's: a tenant's
// settings over the engine's.
func (l Limits) Over(o Limits) Limits {
	pick := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	if o.WallTime != 0 {
		l.WallTime = o.WallTime
	}
	if o.Memory != 0 {
		l.Memory = o.Memory
	}
	if o.Isolation != "" {
		l.Isolation = o.Isolation
	}
	pick(&l.CallStack, o.CallStack)
	pick(&l.Queries, o.Queries)
	pick(&l.Writes, o.Writes)
	pick(&l.Records, o.Records)
	pick(&l.LogBytes, o.LogBytes)
	pick(&l.Depth, o.Depth)
	pick(&l.StringLength, o.StringLength)
	pick(&l.ArrayLength, o.ArrayLength)
	pick(&l.JSONDepth, o.JSONDepth)
	return l
}

// Validate refuses negative limits and an unknown isolation.
func (l Limits) Validate() error {
	switch l.Isolation {
	case "", IsolationInProcess, IsolationProcess:
	default:
		return errs.New(errs.Invalid, "script.limits", "script isolation must be %q or %q, not %q",
			IsolationInProcess, IsolationProcess, l.Isolation)
	}
	if l.WallTime < 0 || l.Memory < 0 || l.CallStack < 0 || l.Queries < 0 || l.Writes < 0 || l.Records < 0 ||
		l.LogBytes < 0 || l.Depth < 0 || l.StringLength < 0 || l.ArrayLength < 0 || l.JSONDepth < 0 {
		return errs.New(errs.Invalid, "script.limits", "script limits must not be negative")
	}
	return nil
}

// limitError is the one shape of a limit stop.
func limitError(script, limit, format string, args ...any) *errs.Error {
	e := errs.New(errs.Invalid, "script.limit", "script %q stopped by the %s limit: %s", script, limit, fmt.Sprintf(format, args...))
	e.Extra = map[string]any{"limit": limit, "script": script}
	return e
}
