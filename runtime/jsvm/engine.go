package jsvm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/opencrm/crm/platform/errs"
)

// Config configures an Engine. The zero value is usable.
type Config struct {
	// Limits are the engine-wide limits; zero fields take DefaultLimits.
	// Input.Limits overrides them per run (per tenant).
	Limits Limits
	// Tenants are limits for some tenants from the deployment's
	// configuration, by tenant id, over Limits and under Input.Limits: for
	// example Isolation for the tenants whose scripts run in worker
	// processes (CRM_SCRIPT_ISOLATED_TENANTS) or any limit (CRM_SCRIPT_LIMITS,
	// read by ParseLimitsConfig).
	Tenants map[string]Limits
	// CacheSize bounds the compiled-program cache (default 1024 programs).
	CacheSize int
	// Spare is how many hardened, never-used runtimes are kept ready
	// (default 4; negative keeps none and builds each runtime on demand).
	Spare int
	// MemorySampleInterval is how often the watchdog samples the heap while
	// runs are active (default 1 ms).
	MemorySampleInterval time.Duration
	// Workers configures the worker processes that run the scripts of
	// tenants whose Limits.Isolation is IsolationProcess (worker.go).
	Workers WorkerConfig
}

// Validate refuses a configuration that cannot work.
func (c Config) Validate() error {
	if c.CacheSize < 0 || c.MemorySampleInterval < 0 {
		return errs.New(errs.Invalid, "script.config", "jsvm: cache size and sample interval must not be negative")
	}
	if err := c.Workers.Validate(); err != nil {
		return err
	}
	for _, l := range c.Tenants {
		if err := l.Validate(); err != nil {
			return err
		}
	}
	return c.Limits.Validate()
}

// Engine runs scripts. It is safe for concurrent use; Close stops its
// goroutines.
type Engine struct {
	limits  Limits
	tenants map[string]Limits
	cache   *Cache
	spare   chan *sandbox
	dog     *watchdog
	// workers run the tenants isolated in processes; none is started
	// before the first such run.
	workers *workerPool
	stop    chan struct{}
	done    sync.WaitGroup
	closed  sync.Once

	idleMu sync.Mutex
	idle   map[string][]*sandbox // by tenant: runtimes between runs
	nIdle  int
}

// Reuse of runtimes (lockdown.go): a runtime serves at most maxUses runs,
// each tenant keeps at most idlePerTenant between runs, and the engine at
// most maxIdle in all.
const (
	maxUses       = 1000
	idlePerTenant = 4 // hooks nest: each level holds a runtime
	maxIdle       = 64
)

// New returns a running Engine.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Spare == 0 {
		cfg.Spare = 4
	}
	if cfg.MemorySampleInterval == 0 {
		cfg.MemorySampleInterval = time.Millisecond
	}
	e := &Engine{
		limits:  DefaultLimits().Over(cfg.Limits),
		tenants: maps.Clone(cfg.Tenants),
		cache:   NewCache(cfg.CacheSize),
		stop:    make(chan struct{}),
		idle:    map[string][]*sandbox{},
	}
	e.workers = newWorkerPool(cfg.Workers)
	e.dog = newWatchdog(cfg.MemorySampleInterval)
	e.done.Add(1)
	go func() { defer e.done.Done(); e.dog.loop(e.stop) }()
	if cfg.Spare > 0 {
		e.spare = make(chan *sandbox, cfg.Spare)
		e.done.Add(1)
		go func() { defer e.done.Done(); e.refill() }()
	}
	return e, nil
}

// Close stops the engine's goroutines and worker processes. Runs in
// progress finish normally.
func (e *Engine) Close() {
	e.closed.Do(func() {
		close(e.stop)
		e.workers.close()
	})
	e.done.Wait()
}

// Cache returns the engine's compiled-program cache.
func (e *Engine) Cache() *Cache { return e.cache }

// Limits returns the engine-wide limits.
func (e *Engine) Limits() Limits { return e.limits }

// refill keeps the spare channel full of fresh hardened runtimes.
func (e *Engine) refill() {
	for {
		sb := newSandbox()
		select {
		case e.spare <- sb:
		case <-e.stop:
			return
		}
	}
}

// sandbox returns a runtime for a run of tenant: one the tenant used
// before, a spare one, or a new one.
func (e *Engine) sandbox(tenant string) *sandbox {
	e.idleMu.Lock()
	if list := e.idle[tenant]; len(list) > 0 {
		sb := list[len(list)-1]
		if len(list) == 1 {
			delete(e.idle, tenant)
		} else {
			e.idle[tenant] = list[:len(list)-1]
		}
		e.nIdle--
		e.idleMu.Unlock()
		return sb
	}
	e.idleMu.Unlock()
	if e.spare != nil {
		select {
		case sb := <-e.spare:
			return sb
		default:
		}
	}
	return newSandbox()
}

// release keeps a runtime whose run ended cleanly for the tenant's next
// run; a runtime that was stopped, threw, or served maxUses runs is dropped.
func (e *Engine) release(tenant string, sb *sandbox, clean bool) {
	if !clean || sb.uses+1 >= maxUses {
		return
	}
	sb.reset()
	e.idleMu.Lock()
	defer e.idleMu.Unlock()
	if len(e.idle[tenant]) >= idlePerTenant {
		return
	}
	if e.nIdle >= maxIdle {
		for t, list := range e.idle { // make room: another tenant's oldest
			if t != tenant {
				if len(list) == 1 {
					delete(e.idle, t)
				} else {
					e.idle[t] = list[1:]
				}
				e.nIdle--
				break
			}
		}
		if e.nIdle >= maxIdle {
			return
		}
	}
	e.idle[tenant] = append(e.idle[tenant], sb)
	e.nIdle++
}

// User is the user a run is for, as the script sees it in ctx.user.
type User struct {
	ID    string
	Email string
	Name  string
	Roles []string
}

// Input is what one run sees.
type Input struct {
	Tenant string
	// Record is the record being saved (ctx.record). In before-events the
	// script may change it and Result.Record is the changed copy; Run never
	// modifies this map.
	Record map[string]any
	// Old is the stored record before the change (ctx.old), nil on create.
	Old  map[string]any
	User User
	// Limits override the engine's limits for this run (a tenant's
	// settings); zero fields keep the engine's.
	Limits Limits
}

// Result is what one run produced.
type Result struct {
	// Record is the record after a before-event (nil for other events).
	Record map[string]any
	// Errors are the ctx.error calls; when any, the save must fail with 422
	// (see Err).
	Errors []errs.FieldError
	Logs   []string
	Usage  Usage
}

// Err returns the *errs.Error that fails the save when the script reported
// field errors through ctx.error, or nil.
func (r Result) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	e := errs.New(errs.Invalid, "script.rejected", "%d field error(s) reported by a script", len(r.Errors))
	e.Fields = append([]errs.FieldError(nil), r.Errors...)
	return e
}

// Usage is what a run consumed, reported also when it failed.
type Usage struct {
	Duration       time.Duration
	Queries        int
	Writes         int
	RecordsFetched int
	LogBytes       int
	Depth          int
}

// IsBefore reports whether event is a before-event, whose record changes are
// kept.
func IsBefore(event string) bool { return strings.HasPrefix(event, "before") }

// Run runs the script's function for event with in, calling host for record
// I/O. The returned error is an *errs.Error: script.limit (a limit stopped
// the run), script.error (the script threw), script.no_event (the script has
// no such function), or script.canceled (ctx ended).
func (e *Engine) Run(ctx context.Context, prog *Program, event string, in Input, host Host) (res Result, err error) {
	start := time.Now()
	limits := e.limits.Over(e.tenants[in.Tenant]).Over(in.Limits)
	depth := DepthOf(ctx) + 1
	res.Usage.Depth = depth
	defer func() { res.Usage.Duration = time.Since(start) }()
	if depth > limits.Depth {
		return res, limitError(prog.name, "depth", "hooks nested %d deep (at most %d)", depth, limits.Depth)
	}
	if !prog.Has(event) {
		return res, errs.New(errs.Invalid, "script.no_event", "script %q has no function %s", prog.name, event)
	}
	if limits.Isolation == IsolationProcess {
		return e.workers.run(ctx, prog, event, in, limits, depth, host)
	}
	// The wall time counts from here: building a runtime (a tenant's first
	// run, a nested hook) is the engine's time, not the script's.
	sb := e.sandbox(in.Tenant)
	st := &run{
		prog: prog, event: event, limits: limits, vm: sb.vm, sb: sb, hosts: host,
		ctx: WithDepth(ctx, depth), deadline: time.Now().Add(limits.WallTime), usage: &res.Usage,
	}
	sb.st = st
	sb.vm.SetMaxCallStackSize(limits.CallStack)

	timer := time.AfterFunc(limits.WallTime, func() {
		st.stop(limitError(prog.name, "time", "ran longer than %v", limits.WallTime))
	})
	defer timer.Stop()
	stopCtx := context.AfterFunc(ctx, func() {
		st.stop(errs.Wrap(ctx.Err(), errs.Unavailable, "script.canceled", "script %q canceled: %v", prog.name, ctx.Err()))
	})
	defer stopCtx()
	e.dog.add(st, limits.Memory)
	defer e.dog.remove(st)
	sampling := time.AfterFunc(e.dog.interval, e.dog.kick)
	defer sampling.Stop()

	defer st.cancelHost()
	res.Record, err = st.execute(in)
	res.Errors, res.Logs = st.fieldErrs, st.logs
	timer.Stop()
	stopCtx()
	e.release(in.Tenant, sb, err == nil && st.stopped() == nil)
	if err != nil {
		res.Record = nil
		return res, err
	}
	if !IsBefore(event) {
		res.Record = nil
	}
	return res, nil
}

// run is the state of one execution. Only the goroutine calling Run touches
// it, except stop, which timers and the watchdog call.
type run struct {
	prog     *Program
	event    string
	limits   Limits
	vm       *goja.Runtime
	sb       *sandbox
	hosts    Host
	ctx      context.Context
	deadline time.Time
	usage    *Usage

	mu      sync.Mutex
	stopErr error

	hostCtx    context.Context // ctx with the run's deadline, made on the first Host call
	hostCancel context.CancelFunc

	fieldErrs []errs.FieldError
	logs      []string
	heapBase  uint64 // watchdog's baseline
}

// host returns the context for Host calls: the caller's, with the hook
// depth and the run's deadline, so a slow store call ends with the run.
func (r *run) host() context.Context {
	if r.hostCtx == nil {
		r.hostCtx, r.hostCancel = context.WithDeadline(r.ctx, r.deadline)
	}
	return r.hostCtx
}

func (r *run) cancelHost() {
	if r.hostCancel != nil {
		r.hostCancel()
	}
}

// stop records the first reason to stop and interrupts the runtime; it may
// be called from any goroutine.
func (r *run) stop(err error) {
	r.mu.Lock()
	if r.stopErr == nil {
		r.stopErr = err
	}
	r.mu.Unlock()
	r.vm.Interrupt(err)
}

// override replaces the reason to stop by a more precise one and unwinds
// the script.
func (r *run) override(err error) {
	r.mu.Lock()
	r.stopErr = err
	r.mu.Unlock()
	r.vm.Interrupt(err)
	panic(&goja.InterruptedError{})
}

func (r *run) stopped() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopErr
}

// limit stops the run for a limit and unwinds the script at once; it is
// called from inside bindings and guards, on the run's goroutine.
func (r *run) limit(limit, format string, args ...any) {
	r.stop(limitError(r.prog.name, limit, format, args...))
	panic(&goja.InterruptedError{})
}

// execute runs the program's top level and then the event function.
func (r *run) execute(in Input) (rec map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			if stop := r.stopped(); stop != nil {
				rec, err = nil, stop
				return
			}
			if e, ok := p.(error); ok {
				var ex *goja.Exception
				if errors.As(e, &ex) {
					rec, err = nil, r.convert(e)
					return
				}
			}
			buf := make([]byte, 4096)
			buf = buf[:runtime.Stack(buf, false)]
			rec, err = nil, errs.Wrap(fmt.Errorf("panic: %v\n%s", p, buf), errs.Internal, "script.internal",
				"script %q failed inside the engine", r.prog.name)
		}
	}()
	ctxObj, recObj := r.bindings(in)
	wrapped, err := r.vm.RunProgram(r.prog.prg) // the script as a function: compile.go
	if err != nil {
		return nil, r.convert(err)
	}
	top, ok := goja.AssertFunction(wrapped)
	if !ok {
		return nil, errs.New(errs.Internal, "script.internal", "script %q did not compile to a function", r.prog.name)
	}
	events, err := top(goja.Undefined())
	if err != nil {
		return nil, r.convert(err)
	}
	fn, ok := goja.AssertFunction(events.ToObject(r.vm).Get(r.event))
	if !ok {
		return nil, errs.New(errs.Invalid, "script.no_event", "script %q has no function %s", r.prog.name, r.event)
	}
	ret, err := fn(goja.Undefined(), ctxObj)
	if err != nil {
		return nil, r.convert(err)
	}
	if err := r.settle(ret); err != nil {
		return nil, err
	}
	if stop := r.stopped(); stop != nil {
		return nil, stop
	}
	if !IsBefore(r.event) {
		return nil, nil
	}
	out, ferr := r.exportRecord(recObj)
	if stop := r.stopped(); stop != nil {
		return nil, stop
	}
	return out, ferr
}

// settle turns a rejected or never-settled promise returned by an async
// hook into an error.
func (r *run) settle(v goja.Value) error {
	if v == nil {
		return nil
	}
	p, ok := v.Export().(*goja.Promise)
	if !ok {
		return nil
	}
	switch p.State() {
	case goja.PromiseStateRejected:
		return r.thrown(p.Result(), 0, 0)
	case goja.PromiseStatePending:
		return errs.New(errs.Invalid, "script.error", "script %q: %s returned a promise that never settled", r.prog.name, r.event)
	}
	return nil
}

// convert maps an error returned by goja to the domain error.
func (r *run) convert(err error) error {
	if stop := r.stopped(); stop != nil {
		return stop
	}
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	var ex *goja.Exception
	switch {
	case errors.As(err, &ie):
		if e, ok := ie.Value().(error); ok {
			return e
		}
		return limitError(r.prog.name, "time", "interrupted")
	case errors.As(err, &so):
		return limitError(r.prog.name, "stack", "call stack deeper than %d", r.limits.CallStack)
	case errors.As(err, &ex):
		line, col := 0, 0
		for _, f := range ex.Stack() {
			if p := f.Position(); p.Line > wrapLines && p.Filename == r.prog.name {
				line, col = p.Line-wrapLines, p.Column
				break
			}
		}
		return r.thrown(ex.Value(), line, col)
	}
	return errs.Wrap(err, errs.Internal, "script.internal", "script %q failed inside the engine", r.prog.name)
}

// thrown builds the script.error for a value the script threw.
func (r *run) thrown(v goja.Value, line, col int) error {
	msg := r.describe(v)
	at := ""
	if line > 0 {
		at = fmt.Sprintf(" at line %d, column %d", line, col)
	}
	e := errs.New(errs.Invalid, "script.error", "script %q failed%s: %s", r.prog.name, at, msg)
	e.Fields = []errs.FieldError{{Code: "script", Message: msg, Line: line, Column: col}}
	e.Extra = map[string]any{"script": r.prog.name, "line": line, "column": col}
	if obj, ok := v.(*goja.Object); ok {
		if cv := getSafe(obj, "code"); cv != nil {
			if c, ok := cv.Export().(string); ok && c != "" {
				e.Extra["code"] = c
			}
		}
	}
	return e
}

// describe renders a thrown value readably: "TypeError: x is not a function",
// the string itself, a number, or a bounded JSON rendering of an object.
func (r *run) describe(v goja.Value) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = "uncaught exception"
		}
	}()
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		return clip(v.String(), 1000)
	}
	if obj.ClassName() == "Error" {
		name, m := getSafe(obj, "name"), getSafe(obj, "message")
		s := "Error"
		if name != nil && !goja.IsUndefined(name) {
			s = name.String()
		}
		if m != nil && !goja.IsUndefined(m) && m.String() != "" {
			s += ": " + m.String()
		}
		return clip(s, 1000)
	}
	var b strings.Builder
	formatValue(&b, obj, 0, 1000)
	return b.String()
}

// getSafe reads a property, returning nil when it is missing or its getter
// throws.
func getSafe(o *goja.Object, name string) (v goja.Value) {
	defer func() {
		if recover() != nil {
			v = nil
		}
	}()
	return o.Get(name)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
