// Package jsvm owns the JavaScript sandbox in which consultants' hooks run:
// compiling scripts (Compile, Cache), running one event of a script against
// one record (Engine.Run), the API that scripts see as ctx, and every limit
// that keeps a hostile script from hurting the process or another tenant.
//
// It is the only package that imports github.com/dop251/goja. It imports
// platform/errs and nothing else of the project (and golang.org/x/sys/unix
// for a worker's resource limit): the record pipeline calls it
// and hands it a Host (declared here) through which scripts read and write
// records, so the object model never imports the JavaScript engine.
//
// # Isolation: a fresh global state for every execution
//
// A goja runtime that simply served run after run would keep prototype
// changes and globals between them. Building a hardened runtime, though,
// costs far more than a hook (about 3 ms of CPU with the lockdown below,
// BenchmarkNewSandbox: goja creates its built-ins lazily, and wrapping and
// freezing them forces their creation), so runtimes are reused within one
// tenant, made safe to reuse by two measures (lockdown.go):
//
//   - each script is compiled as the body of a function that returns its
//     event functions (compile.go); every run calls it afresh, so the
//     script's top-level declarations are locals of that call;
//   - every built-in object, the global object and the intrinsics reachable
//     only from syntax are frozen once, when the runtime is built; the
//     inherited properties that ordinary code assigns on its own objects
//     (toString, an Error's name and message…) become accessors that define
//     the property on the object assigned to.
//
// A run therefore can neither leave a global nor change a built-in: it gets
// a TypeError, as for any frozen object in strict mode. A runtime returns to
// its tenant's idle list only after a run that ended cleanly (a thrown
// error or a stopped run drops it), serves at most 1,000 runs, and is never
// handed to another tenant; idle runtimes (about 400 KiB each) are bounded
// per tenant and in all. A few built, never-used runtimes are kept ready
// (Config.Spare) for a tenant's first run, refilled by one background
// goroutine. The compiled *goja.Program (immutable) is shared within one
// tenant (the cache key starts with the tenant). A trivial hook costs about
// 15-20 µs (BenchmarkTrivialHook "saturated", no-spare) and two goroutines
// run about 30,000 a second (BenchmarkTrivialHookParallel), where a new
// runtime per run allowed about 4,000.
//
// # Limits
//
// Every stop for a limit is an *errs.Error of Kind Invalid, code script.limit,
// naming the limit in its message and in Extra["limit"]: "time", "stack",
// "queries", "writes", "records", "log", "depth", "string", "array",
// "regex", "json", "memory". Limit stops are uncatchable by the script: the
// binding that detects one records it and interrupts the runtime, so a
// try/catch around ctx.records.query cannot swallow the query limit.
//
// goja's vm.Interrupt is only checked between instructions, so a built-in that
// loops or allocates natively ignores it (measured: 'x'.repeat(2**28) took 256
// MB, new Array(3e7).fill(0) ran 14.6 s past a 10 ms interrupt, indexOf on an
// array whose length was set to 4e9 ran for minutes). Hence:
//
//   - Size guards (guard_*.go): each runtime's allocating and length-iterating
//     built-ins are replaced by wrappers that check the size a call would
//     produce or walk before calling the original: String.prototype.repeat,
//     padStart, padEnd, concat, replace, replaceAll (including "$`"
//     expansion and the total of a replacer function's results), every
//     Array.prototype method that walks its receiver (all but push, pop and
//     at) and Array.from (length of the receiver or source; an array whose
//     length was set to 4e9 is refused before indexOf walks it), concat and
//     flat (total length, nesting), join (total size, each element converted
//     once), Function.prototype.apply and Reflect.apply/construct (argument
//     count), JSON.stringify (output size, array length and nesting counted
//     through an internal replacer) and JSON.parse (nesting). Guarded
//     built-ins also count how deeply they nest (String of a self-containing
//     array recursed natively until the Go stack overflowed and killed the
//     process). Typed arrays and ArrayBuffer, which allocate natively from a
//     number, are removed; BigInt literals are refused at compile time and
//     the BigInt global removed (2n ** 10n ** 10n is one native operation);
//     eval and the Function constructors are disabled (there is nothing of
//     the host to reach, but code from strings defeats reading a script).
//   - Regular expressions: goja matches with Go's linear RE2 engine when it
//     can and falls back to the backtracking regexp2 engine otherwise, where a
//     catastrophic pattern ignores the interrupt, and a regexp2 match timeout
//     would silently read as "no match". RegExp.prototype.exec and test are
//     replaced (non-writable, non-configurable) by wrappers that, whenever goja
//     would use regexp2, first run the same match on our own regexp2 copy with
//     a timeout equal to the time left; a timeout is the "regex" limit. Since
//     replacing exec disables goja's fast paths, String.prototype.match,
//     replace, split, search and matchAll all go through the wrappers (at a
//     cost: a global replace and a split over 10 kB of text take
//     milliseconds, see BenchmarkRegexHeavyHook). matchAll refuses RegExp
//     subclasses, whose non-callable exec would make goja fall back to its
//     unguarded native exec.
//   - Memory: goja has no heap limit and string concatenation in a loop (s +=
//     s) grows without any guarded built-in. In-process, the Engine runs one watchdog
//     goroutine, awake only while a run has lasted longer than one sampling
//     interval, which samples the live heap
//     (runtime/metrics) every Config.MemorySampleInterval. When the heap has
//     grown by more than Limits.Memory since a run started, it interrupts the
//     longest-running of the runs over their limit and measures the others
//     afresh from that moment: heap growth is process-wide, and a short run
//     that merely overlapped a memory bomb must not be stopped with it (a
//     second bomb is stopped once it has grown past its limit again). The
//     guards above keep ordinary scripts far from the budget, and the
//     watchdog is the hard bound that keeps the process alive.
//   - Wall time: a timer interrupts the runtime after Limits.WallTime, and the
//     caller's context cancels the run the same way.
//   - Re-entrance: a script's record writes re-enter the pipeline, which runs
//     hooks again; the depth travels in the context (WithDepth, DepthOf) and a
//     run deeper than Limits.Depth is refused before it starts, so a hook that
//     updates its own record forever ends with the "depth" limit.
//
// # Hard bounds: worker processes
//
// Every stop above waits for the script to reach an instruction boundary.
// One step can be a single long native operation: s += s copies a 64 MiB
// string in one memmove, which took about a second on a machine whose fresh
// memory faults in slowly; the run then ends well past its limit (measured:
// 1.3-1.6 s late) and the garbage collector's stop-the-world waits for that
// copy, pausing the other tenants (0.25-0.8 s seen). No interrupt can help,
// so a hard bound needs another process.
//
// A tenant whose Limits.Isolation is IsolationProcess (engine-wide in
// Config.Limits, per tenant in Config.Tenants or Input.Limits) runs its
// scripts in worker processes: the same binary started again
// (ServeWorkerIfChild), running this same engine in-process, its ctx.records
// served by the parent's Host over the pipe. The parent kills a worker that
// passes its wall time plus a grace or whose resident set grows past the
// memory limit, and sets an RLIMIT_DATA backstop; worker.go has the details,
// the protocol is in worker_wire.go. The results are the in-process
// engine's, value for value (TestWorker_givesTheSameResultsAsInProcess).
//
// When to choose which: in-process costs about 15 µs for a trivial hook and
// a runtime per tenant; a worker costs a pipe round trip (about 130-250 µs
// here, BenchmarkWorkerTrivialHook) and a process per tenant (about 15 MiB
// resident), but a runaway step ends at wall time plus grace and nothing
// of it reaches the other tenants' latency. Keep trusted tenants in-process
// and isolate the ones whose scripts are not known.
//
// # Known gaps
//
//   - In-process, a guarded built-in may finish one step past its limit
//     (JSON.stringify quotes up to Limits.StringLength characters before
//     stopping; a string concatenation that crosses the memory budget
//     completes before the interrupt is seen), so peak memory can reach a
//     few times Limits.Memory, and memory is attributed by time window, not
//     by run (see above). Worker processes bound both per run.
//   - A run's CPU is bounded by wall time only; runs are not preempted in
//     favour of other tenants beyond what the Go scheduler (or, for
//     workers, the kernel's) does.
//   - A canceled context kills a busy worker (it reads its pipe only between
//     runs and during ctx.records calls), which then costs a process start.
//
// Scripts are compiled in strict mode: assigning to the frozen API objects or
// to an undeclared variable is an error rather than a silent no-op.
package jsvm
