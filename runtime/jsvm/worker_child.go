package jsvm

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opencrm/crm/platform/errs"
)

// workerEnv marks a process started as a script worker (worker.go).
const workerEnv = "CRM_JSVM_WORKER"

// ServeWorkerIfChild makes this process a script worker when the engine
// started it as one, and returns at once otherwise. A binary whose engine
// may isolate tenants in worker processes must call it first thing in main
// (and a test binary in TestMain), because the engine starts its workers by
// executing its own binary again:
//
//	func main() {
//		jsvm.ServeWorkerIfChild()
//		...
//	}
//
// In a worker it never returns: it serves runs over stdin and stdout until
// the engine closes stdin, then exits.
func ServeWorkerIfChild() {
	if os.Getenv(workerEnv) != "1" {
		return
	}
	os.Unsetenv(workerEnv)
	in, out := os.Stdin, os.Stdout
	// NB: stdout is the protocol; anything printed by mistake goes to stderr.
	os.Stdout = os.Stderr
	if err := serveWorker(in, out); err != nil {
		fmt.Fprintf(os.Stderr, "jsvm worker: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// child is the worker's side of the protocol: an in-process engine whose
// Host sends each call to the parent. One goroutine reads the pipe and runs
// the scripts, one run at a time: a handoff to another goroutine would add a
// thread wakeup to every run.
type child struct {
	engine *Engine
	dec    *gob.Decoder
	enc    *gob.Encoder
	progs  map[string]*Program // by Program.id
}

// maxChildPrograms bounds the compiled programs a worker keeps; the parent
// sends a program's source again when the child lost it (NeedSource).
const maxChildPrograms = 512

func serveWorker(in io.Reader, out io.Writer) error {
	e, err := New(Config{Spare: 1})
	if err != nil {
		return err
	}
	defer e.Close()
	// A worker is ready once it has a runtime for its first run, so that
	// no run builds one on its clock (the engine does not start its wall
	// time before it has one; the parent does, when it sends the run).
	sb := <-e.spare
	select {
	case e.spare <- sb:
	default: // refilled meanwhile
	}
	c := &child{engine: e, dec: gob.NewDecoder(bufio.NewReaderSize(in, 64<<10)), enc: gob.NewEncoder(out),
		progs: map[string]*Program{}}
	if err := c.enc.Encode(fromChild{Hello: &wireHello{Protocol: workerProtocol, PID: os.Getpid()}}); err != nil {
		return err
	}
	for {
		var m toChild
		if err := c.dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the engine let this worker go
			}
			return err
		}
		if m.Run != nil {
			if err := c.serve(m.Run); err != nil {
				return err
			}
		}
	}
}

// serve runs one script and sends its result.
func (c *child) serve(r *wireRun) error {
	prog := c.progs[r.ProgID]
	if prog == nil {
		if r.Source == "" {
			return c.enc.Encode(fromChild{NeedSource: true})
		}
		p, err := Compile(r.Name, r.Source)
		if err != nil {
			return c.enc.Encode(fromChild{Done: &wireDone{Err: toWireError(err)}})
		}
		if len(c.progs) >= maxChildPrograms {
			clear(c.progs)
		}
		c.progs[r.ProgID], prog = p, p
		// Compiling is the engine's time, not the script's: as in-process,
		// where programs come compiled from the cache.
		if err := c.enc.Encode(fromChild{Started: true}); err != nil {
			return err
		}
	}
	rec, err := r.Record.record()
	if err != nil {
		return err
	}
	old, err := r.Old.record()
	if err != nil {
		return err
	}
	ctx := WithDepth(context.Background(), r.Depth-1)
	in := Input{Tenant: r.Tenant, Record: rec, Old: old, User: r.User, Limits: r.Limits}
	res, err := c.engine.Run(ctx, prog, r.Event, in, &childHost{c: c, maxDepth: r.Limits.JSONDepth + 2})
	d := &wireDone{Record: wireRecord(res.Record, 1<<30), Errors: res.Errors, Logs: res.Logs, Usage: res.Usage, Err: toWireError(err)}
	return c.enc.Encode(fromChild{Done: d})
}

// call sends one ctx.records call to the parent and waits for its reply.
// The parent answers every call (the run is blocked on it meanwhile); if it
// goes away, the worker exits.
func (c *child) call(w *wireCall) *wireReply {
	err := c.enc.Encode(fromChild{Call: w})
	for err == nil {
		var m toChild
		if err = c.dec.Decode(&m); err == nil && m.Reply != nil {
			return m.Reply
		}
	}
	fmt.Fprintf(os.Stderr, "jsvm worker: %v\n", err)
	os.Exit(1)
	return nil
}

// childHost is the Host of a run in a worker: the parent's Host, reached
// over the pipe.
type childHost struct {
	c        *child
	maxDepth int
}

func (h *childHost) record(w *wireValue) (map[string]any, error) {
	m, err := w.record()
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "script.internal", "a worker received a malformed record")
	}
	return m, nil
}

func (h *childHost) Get(_ context.Context, object, id string) (map[string]any, error) {
	r := h.c.call(&wireCall{Method: "get", Object: object, ID: id})
	if r.Err != nil {
		return nil, r.Err.err()
	}
	return h.record(r.Record)
}

func (h *childHost) Query(_ context.Context, object string, q Query) (QueryResult, error) {
	r := h.c.call(&wireCall{Method: "query", Object: object, Query: q})
	if r.Err != nil {
		return QueryResult{}, r.Err.err()
	}
	res := QueryResult{NextCursor: r.NextCursor}
	if r.Items != nil {
		res.Items = make([]map[string]any, len(r.Items))
		for i := range r.Items {
			m, err := h.record(&r.Items[i])
			if err != nil {
				return QueryResult{}, err
			}
			res.Items[i] = m
		}
	}
	return res, nil
}

func (h *childHost) Create(_ context.Context, object string, rec map[string]any) (map[string]any, error) {
	r := h.c.call(&wireCall{Method: "create", Object: object, Record: wireRecord(rec, h.maxDepth)})
	if r.Err != nil {
		return nil, r.Err.err()
	}
	return h.record(r.Record)
}

func (h *childHost) Update(_ context.Context, object, id string, patch map[string]any) (map[string]any, error) {
	r := h.c.call(&wireCall{Method: "update", Object: object, ID: id, Record: wireRecord(patch, h.maxDepth)})
	if r.Err != nil {
		return nil, r.Err.err()
	}
	return h.record(r.Record)
}

func (h *childHost) Delete(_ context.Context, object, id string) error {
	r := h.c.call(&wireCall{Method: "delete", Object: object, ID: id})
	return r.Err.err()
}

func (h *childHost) Aggregate(_ context.Context, object string, a Aggregate) ([]map[string]any, error) {
	r := h.c.call(&wireCall{Method: "aggregate", Object: object, Aggregate: a})
	if r.Err != nil {
		return nil, r.Err.err()
	}
	var rows []map[string]any
	if r.Items != nil {
		rows = make([]map[string]any, len(r.Items))
		for i := range r.Items {
			m, err := h.record(&r.Items[i])
			if err != nil {
				return nil, err
			}
			rows[i] = m
		}
	}
	return rows, nil
}
