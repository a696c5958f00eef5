package jsvm

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// Worker processes: the hard bound for untrusted tenants.
//
// In-process runs are stopped by interrupts, size guards and a heap
// watchdog, all of which wait for the script to reach an instruction
// boundary. One step of a script can be a single long native operation
// (s += s copies a 64 MiB string in one memmove, about a second on a machine
// whose fresh memory faults in slowly), which nothing in the process can
// preempt: the run ends late, and the garbage collector's stop-the-world
// waits for that copy, pausing every other tenant with it.
//
// A tenant whose Limits.Isolation is IsolationProcess runs its scripts in a
// worker: the same binary started again (ServeWorkerIfChild), running the
// same in-process engine, which reaches ctx.records through the parent. The
// parent enforces two bounds that the child cannot delay: it kills the
// worker (SIGKILL) when a run lasts its wall time plus WorkerConfig.Grace,
// not counting the time the parent spent serving its ctx.records calls
// (the child's own timer counts that, as in-process), and when the
// worker's resident set has grown by more than Limits.Memory since the run
// began (read from /proc every PollInterval). Either stop is the usual
// script.limit error naming "time" or "memory". An RLIMIT_DATA backs the
// polling up (backstop). A killed worker is replaced by a fresh one in the
// background.
//
// Workers serve the runs of one tenant only, one run at a time, and are
// reused between that tenant's runs: their engine already keeps no state
// between runs, and a sandbox escape would find no other tenant's records
// in its memory. NB: a worker runs as the same user as the server, in its
// directory, and gets none of its environment; it is no security boundary
// against an escape beyond that. Top-level runs in workers are bounded by
// WorkerConfig.Max; a hook run nested in a worker's ctx.records call (the
// record pipeline runs hooks again) takes another worker without waiting for
// a slot, as the outer worker is blocked on it: nesting is bounded by
// Limits.Depth, so at most Max x Depth workers are busy, and no run waits for
// a worker that only its own caller could free.
//
// Cost: a trivial hook takes a pipe round trip and two gob encodings more
// than in-process (see BenchmarkWorkerTrivialHook), each worker holds a Go
// runtime (about 15 MiB resident), and a killed worker costs a process
// start.
// Choose IsolationProcess for tenants whose scripts are not trusted to stay
// far from the limits (trial tenants, tenants whose consultants are not
// known); the in-process default is bounded for everything but a single
// native step that outlasts its wall time.

// WorkerConfig configures the worker processes. The zero value is usable.
type WorkerConfig struct {
	// Command is the executable started as a worker; it must call
	// ServeWorkerIfChild first thing. Default: this process's executable.
	Command string
	// Max bounds the top-level runs in workers at once (default 8); a run
	// waits for a free slot.
	Max int
	// Spare is how many started, unused workers are kept ready once the
	// first isolated run has happened (default 1; negative keeps none).
	Spare int
	// IdlePerTenant bounds the workers a tenant keeps between runs
	// (default 4: hooks nest, and each level holds a worker); MaxIdle bounds
	// them in all (default 16).
	IdlePerTenant, MaxIdle int
	// Grace is how long past its wall time a run may take before its worker
	// is killed (default 100 ms).
	Grace time.Duration
	// PollInterval is how often a running worker's resident set is read
	// (default 1 ms).
	PollInterval time.Duration
	// StartTimeout bounds a worker's start, up to its first message
	// (default 10 s).
	StartTimeout time.Duration
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Max, 8)
	def(&c.Spare, 1)
	def(&c.IdlePerTenant, 4)
	def(&c.MaxIdle, 16)
	if c.Grace == 0 {
		c.Grace = 100 * time.Millisecond
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Millisecond
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 10 * time.Second
	}
	return c
}

// Validate refuses negative bounds.
func (c WorkerConfig) Validate() error {
	if c.Max < 0 || c.IdlePerTenant < 0 || c.MaxIdle < 0 || c.Grace < 0 || c.PollInterval < 0 || c.StartTimeout < 0 {
		return errs.New(errs.Invalid, "script.config", "jsvm: worker bounds must not be negative")
	}
	return nil
}

// maxWorkerUses is how many runs a worker serves before it is replaced.
const maxWorkerUses = 10_000

// worker is one child process, used by one run at a time.
type worker struct {
	cmd    *exec.Cmd
	stdin  *os.File
	enc    *gob.Encoder
	in     chan fromChild // frames from the child; closed when it is gone
	gone   chan struct{}  // closed by kill
	exited chan struct{}  // closed once the process was reaped
	rss    *procRSS
	stderr *tailWriter

	killOnce sync.Once
	readErr  error // why in was closed; read only after in is closed

	tenant  string          // "" until its first run
	uses    int             // runs served
	known   map[string]bool // programs the child has compiled, by id
	rssBase int64           // resident set when it last became idle
	rss0    int64           // resident set after its start
	data0   int64           // data segment after its start
	dataMax int64           // its RLIMIT_DATA, 0 while unset
}

// startWorker starts a worker process and waits for its hello.
func startWorker(cfg WorkerConfig) (*worker, error) {
	path := cfg.Command
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, errs.Wrap(err, errs.Internal, "script.worker", "cannot find this program to start a script worker")
		}
		path = exe
	}
	childIn, parentOut, err := os.Pipe()
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "script.worker", "cannot start a script worker")
	}
	parentIn, childOut, err := os.Pipe()
	if err != nil {
		childIn.Close()
		parentOut.Close()
		return nil, errs.Wrap(err, errs.Internal, "script.worker", "cannot start a script worker")
	}
	w := &worker{stdin: parentOut, in: make(chan fromChild), gone: make(chan struct{}), exited: make(chan struct{}),
		stderr: &tailWriter{max: 2048}, known: map[string]bool{}}
	w.cmd = exec.Command(path)
	// NB: one P: a worker runs one script at a time, and with more the Go
	// scheduler wakes idle threads on each handoff (measured: the trivial
	// hook 130-160 µs instead of 170-190). Its own timers may fire up to a
	// preemption period (10 ms) late; the parent's bounds do not depend on
	// them.
	//
	// The environment is not passed on (it may hold the store's
	// credentials), but for the time zone scripts' dates use.
	w.cmd.Env = []string{workerEnv + "=1", "GOMAXPROCS=1"}
	for _, k := range []string{"TZ", "ZONEINFO"} {
		if v, ok := os.LookupEnv(k); ok {
			w.cmd.Env = append(w.cmd.Env, k+"="+v)
		}
	}
	w.cmd.Stdin, w.cmd.Stdout, w.cmd.Stderr = childIn, childOut, w.stderr
	err = w.cmd.Start()
	childIn.Close()
	childOut.Close()
	if err != nil {
		parentOut.Close()
		parentIn.Close()
		return nil, errs.Wrap(err, errs.Internal, "script.worker", "cannot start a script worker")
	}
	w.enc = gob.NewEncoder(parentOut)
	w.rss = openRSS(w.cmd.Process.Pid)
	go func() {
		_ = w.cmd.Wait()
		close(w.exited)
	}()
	go w.read(parentIn)

	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case m, ok := <-w.in:
		if ok && m.Hello != nil && m.Hello.Protocol == workerProtocol {
			w.rss0 = w.rss.bytes()
			w.rssBase = w.rss0
			w.data0 = w.rss.data()
			return w, nil
		}
	case <-timer.C:
	}
	w.kill()
	<-w.exited
	return nil, errs.Wrap(fmt.Errorf("%s: %s", path, w.stderr.String()), errs.Internal, "script.worker",
		"a script worker did not start (does the program call jsvm.ServeWorkerIfChild first thing?)")
}

// read decodes the child's frames until it goes away.
func (w *worker) read(r *os.File) {
	defer r.Close()
	defer close(w.in)
	dec := gob.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	for {
		var m fromChild
		if err := dec.Decode(&m); err != nil {
			w.readErr = err
			return
		}
		select {
		case w.in <- m:
		case <-w.gone:
			w.readErr = errors.New("killed")
			return
		}
	}
}

// send writes one frame, giving up at deadline (a stalled child may not
// read its pipe).
func (w *worker) send(m toChild, deadline time.Time) error {
	_ = w.stdin.SetWriteDeadline(deadline)
	return w.enc.Encode(m)
}

// backstop sets the worker's RLIMIT_DATA for a run with limits: room for
// twice the memory limit above its data segment after its start (a kept
// worker has used at most one, see release), so that a worker the parent
// somehow failed to kill dies of its own allocations ("out of memory",
// which the run reports as the memory limit). The Go runtime reserves its
// address space up front (1.2 GiB of it for a worker using 15 MiB), which
// rules out RLIMIT_AS; the data segment counts only what it mapped writable.
func (w *worker) backstop(limits Limits) {
	if w.data0 <= 0 {
		return
	}
	n := w.data0 + 2*limits.Memory + 64<<20
	if n != w.dataMax && limitData(w.cmd.Process.Pid, n) == nil {
		w.dataMax = n
	}
}

// kill ends the process at once. It is safe to call more than once.
func (w *worker) kill() {
	w.killOnce.Do(func() {
		close(w.gone)
		_ = w.cmd.Process.Kill()
		w.stdin.Close()
		w.rss.close()
	})
}

// tailWriter keeps the first and the last max bytes written: a worker's
// stderr, for the error that reports its death (the Go runtime's fatal
// error comes first, then a long goroutine dump).
type tailWriter struct {
	mu         sync.Mutex
	max        int
	head, tail []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if room := t.max - len(t.head); room > 0 {
		k := min(room, len(p))
		t.head, p = append(t.head, p[:k]...), p[k:]
	}
	t.tail = append(t.tail, p...)
	if len(t.tail) > t.max {
		t.tail = append(t.tail[:0], t.tail[len(t.tail)-t.max:]...)
	}
	return n, nil
}

// String returns the start of the output, and its end when it is longer.
func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.tail) == 0 {
		return string(t.head)
	}
	return string(t.head) + "\n…\n" + string(t.tail)
}

// workerPool owns the worker processes of one Engine.
type workerPool struct {
	cfg   WorkerConfig
	slots chan struct{} // one per top-level run in a worker

	mu       sync.Mutex
	idle     map[string][]*worker // by tenant
	nIdle    int
	spare    []*worker // started, never used
	starting int
	closed   bool
	bg       sync.WaitGroup // background starts
}

func newWorkerPool(cfg WorkerConfig) *workerPool {
	cfg = cfg.withDefaults()
	return &workerPool{cfg: cfg, slots: make(chan struct{}, cfg.Max), idle: map[string][]*worker{}}
}

// acquire returns a worker for a run of tenant: one the tenant used
// before, a spare one, or a new one. A top-level run first waits for a slot;
// a nested run does not (see the comment at the top of this file).
func (p *workerPool) acquire(ctx context.Context, tenant string, nested bool) (*worker, error) {
	if !nested {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, errs.Wrap(ctx.Err(), errs.Unavailable, "script.canceled", "canceled while waiting for a script worker: %v", ctx.Err())
		}
	}
	w, err := p.take(tenant)
	if err != nil && !nested {
		<-p.slots
	}
	return w, err
}

func (p *workerPool) take(tenant string) (*worker, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errs.New(errs.Unavailable, "script.closed", "the script engine is closed")
	}
	if list := p.idle[tenant]; len(list) > 0 {
		w := list[len(list)-1]
		if len(list) == 1 {
			delete(p.idle, tenant)
		} else {
			p.idle[tenant] = list[:len(list)-1]
		}
		p.nIdle--
		p.mu.Unlock()
		return w, nil
	}
	var w *worker
	if n := len(p.spare); n > 0 {
		w, p.spare = p.spare[n-1], p.spare[:n-1]
	}
	p.fillLocked()
	p.mu.Unlock()
	if w == nil {
		var err error
		if w, err = startWorker(p.cfg); err != nil {
			return nil, err
		}
	}
	w.tenant = tenant
	return w, nil
}

// fillLocked starts spare workers in the background up to cfg.Spare.
func (p *workerPool) fillLocked() {
	for !p.closed && len(p.spare)+p.starting < p.cfg.Spare {
		p.starting++
		p.bg.Add(1)
		go func() {
			defer p.bg.Done()
			w, err := startWorker(p.cfg)
			p.mu.Lock()
			defer p.mu.Unlock()
			p.starting--
			if err != nil {
				return // the next run starts its own and reports the error
			}
			if p.closed {
				w.kill()
				return
			}
			p.spare = append(p.spare, w)
		}()
	}
}

// release ends a run on w: the worker goes back to its tenant's idle list
// when keep is set and it is healthy, and is killed (and a spare started)
// otherwise. The resident set is read again after a run that lasted a
// polling interval (a shorter one cannot have grown it much) and every 64th
// run: reading it costs about 10 µs.
func (p *workerPool) release(w *worker, nested, keep bool, limits Limits, long bool) {
	if !nested {
		defer func() { <-p.slots }()
	}
	w.uses++
	if keep && (long || w.uses%64 == 0) {
		// A worker whose resident set stayed high after a run (Go returns
		// memory to the system slowly) is replaced rather than measured
		// against that high base on its next run.
		rss, data := w.rss.bytes(), w.rss.data()
		keep = rss >= 0 && rss <= w.rss0+limits.Memory && data <= w.data0+limits.Memory && w.uses < maxWorkerUses
		w.rssBase = rss
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !keep || p.closed || len(p.idle[w.tenant]) >= p.cfg.IdlePerTenant {
		w.kill()
		p.fillLocked()
		return
	}
	if p.nIdle >= p.cfg.MaxIdle {
		for t, list := range p.idle { // make room: another tenant's oldest
			if t != w.tenant {
				list[0].kill()
				if len(list) == 1 {
					delete(p.idle, t)
				} else {
					p.idle[t] = list[1:]
				}
				p.nIdle--
				break
			}
		}
		if p.nIdle >= p.cfg.MaxIdle {
			w.kill()
			return
		}
	}
	p.idle[w.tenant] = append(p.idle[w.tenant], w)
	p.nIdle++
}

// close kills every idle and spare worker and waits for background starts.
// Busy workers are killed when their runs end.
func (p *workerPool) close() {
	p.mu.Lock()
	p.closed = true
	var all []*worker
	for _, list := range p.idle {
		all = append(all, list...)
	}
	all = append(all, p.spare...)
	p.idle, p.spare, p.nIdle = map[string][]*worker{}, nil, 0
	p.mu.Unlock()
	for _, w := range all {
		w.kill()
	}
	p.bg.Wait()
	for _, w := range all {
		<-w.exited
	}
}
