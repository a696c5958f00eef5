package jsvm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// run executes one run in a worker of the tenant (worker.go): the parent's
// half of the protocol, and the hard bounds. limits are resolved; depth is
// the run's own, already checked.
func (p *workerPool) run(ctx context.Context, prog *Program, event string, in Input, limits Limits, depth int, host Host) (res Result, err error) {
	res.Usage.Depth = depth
	nested := DepthOf(ctx) > 0
	w, err := p.acquire(ctx, in.Tenant, nested)
	if err != nil {
		return res, err
	}
	keep := false
	// As in-process, the wall time counts once the run has its worker.
	start := time.Now()
	defer func() { p.release(w, nested, keep, limits, time.Since(start) >= p.cfg.PollInterval) }()

	deadline := start.Add(limits.WallTime)
	killAt := deadline.Add(p.cfg.Grace)
	child := limits
	child.Isolation = IsolationInProcess
	maxDepth := limits.JSONDepth + 2 // toJS stops at JSONDepth, a level below the record
	msg := &wireRun{ProgID: prog.id, Name: prog.name, Event: event, Tenant: in.Tenant,
		Record: wireRecord(in.Record, maxDepth), Old: wireRecord(in.Old, maxDepth), User: in.User, Limits: child, Depth: depth}
	if !w.known[prog.id] {
		msg.Source = prog.source
	}
	w.backstop(limits)
	if err := w.send(toChild{Run: msg}, killAt); err != nil {
		return res, w.died(prog, err)
	}
	// Host calls get the caller's context with the depth and the run's
	// deadline (made on the first call).
	hc := &hostContext{parent: WithDepth(ctx, depth)}
	defer hc.cancel()
	timer := time.NewTimer(time.Until(killAt))
	defer timer.Stop()
	tick := time.NewTicker(p.cfg.PollInterval)
	defer tick.Stop()
	var seen Usage // what the parent served, the usage of a killed run
	seen.Depth = depth
	for {
		select {
		case m, ok := <-w.in:
			if !ok {
				return res, w.died(prog, w.readErr)
			}
			switch {
			case m.Started:
				start = time.Now()
				deadline = start.Add(limits.WallTime)
				killAt = deadline.Add(p.cfg.Grace)
				timer.Reset(time.Until(killAt))
			case m.NeedSource:
				msg.Source = prog.source
				if err := w.send(toChild{Run: msg}, killAt); err != nil {
					return res, w.died(prog, err)
				}
			case m.Call != nil:
				called := time.Now()
				reply, err := serveCall(hc.get(deadline), host, m.Call, &seen, maxDepth)
				if err != nil {
					w.kill()
					return res, err
				}
				// The child waited while the parent served the call (a
				// nested hook may take its own wall time): that time does
				// not count against the hard bound. The child's own wall
				// time, which counts it as in-process, still applies.
				killAt = killAt.Add(time.Since(called))
				timer.Reset(time.Until(killAt))
				if err := w.send(toChild{Reply: reply}, killAt); err != nil {
					return res, w.died(prog, err)
				}
			case m.Done != nil:
				keep = true
				w.known[prog.id] = true
				if len(w.known) > maxChildPrograms {
					clear(w.known) // the child clears its own at the same size; NeedSource covers the rest
				}
				return done(ctx, prog, m.Done)
			}
		case <-timer.C:
			w.kill()
			res.Usage = seen
			return res, limitError(prog.name, "time", "ran longer than %v", limits.WallTime)
		case <-tick.C:
			if rss := w.rss.bytes(); rss > 0 && rss-w.rssBase > limits.Memory {
				w.kill()
				res.Usage = seen
				return res, limitError(prog.name, "memory", "the worker process grew by more than %d MiB while the script ran",
					limits.Memory>>20)
			}
		case <-ctx.Done():
			// The run cannot be interrupted from here without a pipe
			// read the script may never make: the worker goes, and the
			// caller is answered at once.
			w.kill()
			res.Usage = seen
			return res, canceledError(ctx, prog)
		}
	}
}

// hostContext is the context of a run's Host calls, made once.
type hostContext struct {
	parent context.Context
	ctx    context.Context
	stop   context.CancelFunc
}

func (h *hostContext) get(deadline time.Time) context.Context {
	if h.ctx == nil {
		h.ctx, h.stop = context.WithDeadline(h.parent, deadline)
	}
	return h.ctx
}

func (h *hostContext) cancel() {
	if h.stop != nil {
		h.stop()
	}
}

func canceledError(ctx context.Context, prog *Program) error {
	return errs.Wrap(ctx.Err(), errs.Unavailable, "script.canceled", "script %q canceled: %v", prog.name, ctx.Err())
}

// done turns the child's answer into the run's result.
func done(ctx context.Context, prog *Program, d *wireDone) (res Result, err error) {
	res.Errors, res.Logs, res.Usage = d.Errors, d.Logs, d.Usage
	if res.Record, err = d.Record.record(); err != nil {
		return res, errs.Wrap(err, errs.Internal, "script.internal", "script %q: its worker sent a malformed record", prog.name)
	}
	err = d.Err.err()
	if errs.CodeOf(err) == "script.canceled" && ctx.Err() != nil {
		err = canceledError(ctx, prog) // with the caller's cause
	}
	return res, err
}

// died is the error of a run whose worker went away unasked: a crash (the
// Go runtime out of memory, a bug) or a broken pipe.
func (w *worker) died(prog *Program, cause error) error {
	w.kill()
	<-w.exited
	out := strings.TrimSpace(w.stderr.String())
	// The Go runtime's and the race detector's ways of dying of the data
	// limit (backstop).
	for _, oom := range []string{"out of memory", "cannot allocate memory", "failed to allocate"} {
		if strings.Contains(out, oom) {
			return limitError(prog.name, "memory", "the worker process ran out of memory")
		}
	}
	first, _, _ := strings.Cut(out, "\n")
	return errs.Wrap(fmt.Errorf("%v; stderr: %s", cause, clip(first, 500)), errs.Internal, "script.internal",
		"script %q: its worker process died", prog.name)
}

// serveCall runs one ctx.records call of the child on the real Host and
// counts it as the child does. A panic in the Host becomes the run's
// script.internal error, as in-process.
func serveCall(ctx context.Context, host Host, c *wireCall, u *Usage, maxDepth int) (reply *wireReply, err error) {
	defer func() {
		if p := recover(); p != nil {
			reply, err = nil, errs.Wrap(fmt.Errorf("panic: %v", p), errs.Internal, "script.internal", "a script's record call failed inside the engine")
		}
	}()
	fail := func(err error) *wireReply { return &wireReply{Err: toWireError(err)} }
	rec := func() (map[string]any, error) {
		m, err := c.Record.record()
		if m == nil && err == nil {
			m = map[string]any{}
		}
		return m, err
	}
	switch c.Method {
	case "get":
		u.Queries++
		out, err := host.Get(ctx, c.Object, c.ID)
		if err != nil {
			return fail(err), nil
		}
		if out != nil {
			u.RecordsFetched++
		}
		return &wireReply{Record: wireRecord(out, maxDepth)}, nil
	case "query":
		u.Queries++
		out, err := host.Query(ctx, c.Object, c.Query)
		if err != nil {
			return fail(err), nil
		}
		u.RecordsFetched += len(out.Items)
		r := &wireReply{NextCursor: out.NextCursor, Items: make([]wireValue, len(out.Items))}
		for i, it := range out.Items {
			r.Items[i] = toWire(it, 0, maxDepth)
		}
		return r, nil
	case "aggregate":
		u.Queries++
		rows, err := host.Aggregate(ctx, c.Object, c.Aggregate)
		if err != nil {
			return fail(err), nil
		}
		u.RecordsFetched += len(rows)
		r := &wireReply{Items: make([]wireValue, len(rows))}
		for i, it := range rows {
			r.Items[i] = toWire(it, 0, maxDepth)
		}
		return r, nil
	case "create", "update":
		u.Writes++
		m, err := rec()
		if err != nil {
			return nil, errs.Wrap(err, errs.Internal, "script.internal", "a script worker sent a malformed record")
		}
		var out map[string]any
		if c.Method == "create" {
			out, err = host.Create(ctx, c.Object, m)
		} else {
			out, err = host.Update(ctx, c.Object, c.ID, m)
		}
		if err != nil {
			return fail(err), nil
		}
		return &wireReply{Record: wireRecord(out, maxDepth)}, nil
	case "delete":
		u.Writes++
		if err := host.Delete(ctx, c.Object, c.ID); err != nil {
			return fail(err), nil
		}
		return &wireReply{}, nil
	}
	return nil, errs.New(errs.Internal, "script.internal", "a script worker sent an unknown call %q", c.Method)
}
