package jsvm

import (
	"context"
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// idleWorkers returns the workers tenant keeps between runs.
func idleWorkers(e *Engine, tenant string) []*worker {
	e.workers.mu.Lock()
	defer e.workers.mu.Unlock()
	return append([]*worker(nil), e.workers.idle[tenant]...)
}

func newIsolatedEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	cfg.Limits.Isolation = IsolationProcess
	return newEngine(t, cfg)
}

// warm makes sure tenant has an idle worker, so that a measured run does
// not include a process start.
func warm(t testing.TB, e *Engine, tenant string) {
	t.Helper()
	p := mustCompile(t, `function beforeCreate(ctx) {}`)
	if _, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: tenant}, newMapHost()); err != nil {
		t.Fatal(err)
	}
}

func TestWorker_eachHostileScriptIsStoppedWithTheRightError(t *testing.T) {
	e := newIsolatedEngine(t, Config{Limits: hostileLimits})
	for _, h := range hostileScripts() {
		t.Run(h.name, func(t *testing.T) {
			p := hostileProgram(t, h)
			start := time.Now()
			res, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: "evil", Record: map[string]any{}}, newMapHost())
			took := time.Since(start)
			checkHostile(t, h, res, err, took, e.Limits())
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
		})
	}
}

// memoryBombs grow without any guarded built-in: only the memory limit or
// the wall time stops them.
var memoryBombs = []struct{ name, src string }{
	{"string doubling", `let s = 'x'; for (;;) s += s`},
	{"array push", `const a = []; for (;;) a.push({n: a.length, s: 'row payload of 24 chars:' + a.length})`},
	{"map growth", `const m = new Map(); for (let i = 0;; i++) m.set(i, [i, i, i])`},
	{"template strings", "const a = []; for (let i = 0;; i++) a.push(`${i}-${'y'.repeat(1000)}`)"},
}

// TestWorker_memoryBombsEndWithinWallTimePlusGrace: whatever a bomb does
// inside its worker, the run ends by the wall time plus the grace, with the
// time or memory limit, and the worker it ran in is gone.
func TestWorker_memoryBombsEndWithinWallTimePlusGrace(t *testing.T) {
	const wall, grace = 300 * time.Millisecond, 100 * time.Millisecond
	for _, lim := range []Limits{{WallTime: wall, Memory: 64 << 20}, {WallTime: wall, Memory: 1 << 30}} {
		e := newIsolatedEngine(t, Config{Limits: lim, Workers: WorkerConfig{Grace: grace}})
		for _, b := range memoryBombs {
			t.Run(b.name+" with "+fmtMiB(lim.Memory), func(t *testing.T) {
				warm(t, e, "bomb")
				p := mustCompile(t, "function beforeCreate(ctx) { "+b.src+" }")
				start := time.Now()
				_, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: "bomb"}, newMapHost())
				took := time.Since(start)
				x := errs.As(err)
				if x == nil || x.Code != "script.limit" || (x.Extra["limit"] != "time" && x.Extra["limit"] != "memory") {
					t.Fatalf("err = %v", err)
				}
				// NB: slack over the bound for the timer and the scheduler
				// of a loaded machine (seen: 90 ms under the race detector,
				// 190 ms on 2 busy cores). The test is that the bound holds
				// at all; the figures are logged.
				const slack = time.Second
				if took > wall+grace+slack {
					t.Errorf("stopped after %v, over wall time %v + grace %v", took, wall, grace)
				}
				t.Logf("stopped after %v: %v", took.Round(time.Millisecond), err)
			})
		}
	}
}

func fmtMiB(n int64) string {
	return strings.TrimSuffix(strings.TrimSuffix(time.Duration(n>>20).String(), "ns"), "s") + " MiB"
}

// latencies runs the trivial hook for tenant on e until stop is closed.
type latencies struct {
	mu       sync.Mutex
	lat      []time.Duration
	failures int
}

func (l *latencies) loop(t *testing.T, e *Engine, tenant string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	p := mustCompile(t, `function beforeCreate(ctx) { ctx.record.ok = true }`)
	for {
		select {
		case <-stop:
			return
		default:
		}
		start := time.Now()
		res, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: tenant, Record: map[string]any{"n": 1}}, newMapHost())
		took := time.Since(start)
		l.mu.Lock()
		l.lat = append(l.lat, took)
		if err != nil || res.Record["ok"] != true {
			l.failures++
			t.Errorf("%s: trivial run failed: %v", tenant, err)
		}
		l.mu.Unlock()
		time.Sleep(500 * time.Microsecond)
	}
}

func (l *latencies) pct(p float64) time.Duration {
	sort.Slice(l.lat, func(i, j int) bool { return l.lat[i] < l.lat[j] })
	return l.lat[int(float64(len(l.lat)-1)*p)]
}

// TestWorker_otherTenantsKeepTheirLatency runs the memory bombs and the
// infinite loop in workers while one tenant runs trivial hooks in-process
// and another through its own worker. Every trivial run must succeed with a
// normal 99th percentile.
func TestWorker_otherTenantsKeepTheirLatency(t *testing.T) {
	e := newEngine(t, Config{Limits: Limits{WallTime: 300 * time.Millisecond, Memory: 64 << 20}})
	warm(t, e, "bomb") // in-process: runtimes for the tenants
	isolated := Limits{Isolation: IsolationProcess}
	var inProc, viaWorker latencies
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go inProc.loop(t, e, "good", stop, &wg)
	go func() {
		defer wg.Done()
		p := mustCompile(t, `function beforeCreate(ctx) { ctx.record.ok = true }`)
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			res, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: "good-isolated", Record: map[string]any{}, Limits: isolated}, newMapHost())
			viaWorker.mu.Lock()
			viaWorker.lat = append(viaWorker.lat, time.Since(start))
			if err != nil || res.Record["ok"] != true {
				viaWorker.failures++
				t.Errorf("isolated trivial run failed: %v", err)
			}
			viaWorker.mu.Unlock()
			time.Sleep(500 * time.Microsecond)
		}
	}()
	bombs := append(memoryBombs, struct{ name, src string }{"infinite loop", `for (;;) {}`})
	start := time.Now()
	for round := 0; round < 2; round++ {
		for _, b := range bombs {
			p := mustCompile(t, "function beforeCreate(ctx) { "+b.src+" }")
			_, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: "bomb", Limits: isolated}, newMapHost())
			if errs.CodeOf(err) != "script.limit" {
				t.Errorf("%s: err = %v", b.name, err)
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d bombs in %v", 2*len(bombs), time.Since(start).Round(time.Millisecond))
	bound := 50 * time.Millisecond
	if raceDetector {
		bound *= 4
	}
	for _, l := range []struct {
		name string
		l    *latencies
	}{{"in-process tenant", &inProc}, {"tenant in a worker", &viaWorker}} {
		if len(l.l.lat) == 0 {
			t.Fatalf("%s: no runs", l.name)
		}
		t.Logf("%s: %d trivial runs, %d failed; latency p50 %v, p90 %v, p99 %v, max %v", l.name, len(l.l.lat), l.l.failures,
			l.l.pct(0.5), l.l.pct(0.9), l.l.pct(0.99), l.l.pct(1))
		if p99 := l.l.pct(0.99); p99 > bound {
			t.Errorf("%s: p99 %v over %v", l.name, p99, bound)
		}
	}
	if rss := peakRSS(t); rss > 0 {
		t.Logf("parent peak RSS %d MiB", rss>>20)
	}
}

// TestWorker_aKilledWorkerDoesNotBreakTheNextRun kills the worker from
// outside in the middle of a run: that run fails as an internal error, and
// the tenant's next run gets a new worker.
func TestWorker_aKilledWorkerDoesNotBreakTheNextRun(t *testing.T) {
	e := newIsolatedEngine(t, Config{Limits: Limits{WallTime: 10 * time.Second}})
	warm(t, e, "victim")
	victim := idleWorkers(e, "victim")[0]
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = syscall.Kill(victim.cmd.Process.Pid, syscall.SIGKILL)
	}()
	start := time.Now()
	_, err := runScript(t, e, `function beforeCreate(ctx) { for (;;) {} }`, "beforeCreate", Input{Tenant: "victim"}, nil)
	if x := errs.As(err); x == nil || x.Code != "script.internal" || !strings.Contains(x.Message, "worker process died") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the death was noticed after %v", took)
	}
	t.Logf("killed run: %v", err)
	h := newMapHost()
	h.put("lead", map[string]any{"id": "l1", "name": "Ann"})
	res, err := runScript(t, e, `function beforeCreate(ctx) { ctx.record.name = ctx.records.get('lead', 'l1').name }`, "beforeCreate",
		Input{Tenant: "victim"}, h)
	if err != nil || res.Record["name"] != "Ann" {
		t.Fatalf("next run: %+v, %v", res, err)
	}
	next := idleWorkers(e, "victim")
	if len(next) != 1 || next[0] == victim {
		t.Fatal("the next run did not get a new worker")
	}
}

// TestWorker_nestedHooksRunInOtherWorkers: a worker's ctx.records write
// re-enters the pipeline, which runs hooks again in other workers; with one
// slot for top-level runs, nesting still cannot deadlock, and the depth
// limit holds.
func TestWorker_nestedHooksRunInOtherWorkers(t *testing.T) {
	e := newIsolatedEngine(t, Config{Limits: Limits{WallTime: 10 * time.Second}, Workers: WorkerConfig{Max: 1}})
	t.Run("an after-hook's write runs the related object's before-hook", func(t *testing.T) {
		after := mustCompile(t, `function afterCreate(ctx) { ctx.records.create('task', {subject: 'follow up ' + ctx.record.name}) }`)
		before := mustCompile(t, `function beforeCreate(ctx) { ctx.record.status = 'open'; ctx.record.depth = ctx.records.query('task').items.length }`)
		h := newMapHost()
		h.onWrite = func(ctx context.Context, object string, rec map[string]any) error {
			if object != "task" {
				return nil
			}
			res, err := e.Run(ctx, before, "beforeCreate", Input{Tenant: "nest", Record: rec}, h)
			if err == nil {
				for k, v := range res.Record {
					rec[k] = v
				}
			}
			return err
		}
		res, err := e.Run(context.Background(), after, "afterCreate", Input{Tenant: "nest", Record: map[string]any{"name": "Ann"}}, h)
		if err != nil {
			t.Fatal(err)
		}
		var tasks []map[string]any
		for _, r := range h.objects["task"] {
			tasks = append(tasks, r)
		}
		if len(tasks) != 1 || tasks[0]["status"] != "open" || tasks[0]["subject"] != "follow up Ann" {
			t.Fatalf("tasks = %v (usage %+v)", tasks, res.Usage)
		}
	})
	t.Run("a hook that updates its own record forever stops at the depth limit", func(t *testing.T) {
		p := mustCompile(t, `function afterUpdate(ctx) { ctx.records.update('account', ctx.record.id, {touched: (ctx.record.touched || 0) + 1}) }`)
		h := newMapHost()
		h.put("account", map[string]any{"id": "a1"})
		var runs atomic.Int64
		h.onWrite = func(ctx context.Context, object string, rec map[string]any) error {
			runs.Add(1)
			_, err := e.Run(ctx, p, "afterUpdate", Input{Tenant: "nest", Record: rec}, h)
			return err
		}
		_, err := e.Run(context.Background(), p, "afterUpdate", Input{Tenant: "nest", Record: map[string]any{"id": "a1"}}, h)
		x := errs.As(err)
		if x == nil || x.Code != "script.limit" || x.Extra["limit"] != "depth" {
			t.Fatalf("err = %v", err)
		}
		if n := runs.Load(); n != int64(e.Limits().Depth) {
			t.Fatalf("%d nested runs, want %d", n, e.Limits().Depth)
		}
	})
}

func TestWorker_contextCancellationEndsTheRunAtOnce(t *testing.T) {
	e := newIsolatedEngine(t, Config{Limits: Limits{WallTime: 10 * time.Second}})
	warm(t, e, "t")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Run(ctx, mustCompile(t, `function beforeCreate() { for (;;) {} }`), "beforeCreate", Input{Tenant: "t"}, newMapHost())
	if errs.CodeOf(err) != "script.canceled" || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestWorker_aProgramThatDoesNotServeWorkersIsReported(t *testing.T) {
	e := newIsolatedEngine(t, Config{Workers: WorkerConfig{Command: "/bin/true", Spare: -1}})
	_, err := runScript(t, e, `function beforeCreate() {}`, "beforeCreate", Input{}, nil)
	if x := errs.As(err); x == nil || x.Code != "script.worker" || !strings.Contains(x.Message, "ServeWorkerIfChild") {
		t.Fatalf("err = %v", err)
	}
}

func TestWorker_isolationIsChosenPerTenant(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		engine, config, tenant string
		want                   bool
	}{
		{"in-process by default", "", "", "", false},
		{"a tenant isolated by its limits", "", "", IsolationProcess, true},
		{"a tenant isolated by the configuration", "", IsolationProcess, "", true},
		{"every tenant isolated by the engine", IsolationProcess, "", "", true},
		{"a tenant let in-process by the configuration", IsolationProcess, IsolationInProcess, "", false},
		{"a tenant let in-process by its limits", IsolationProcess, IsolationProcess, IsolationInProcess, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Config{Limits: Limits{Isolation: tc.engine}, Tenants: map[string]Limits{"t": {Isolation: tc.config}, "u": {Isolation: IsolationProcess}},
				Workers: WorkerConfig{Spare: -1}})
			if _, err := runScript(t, e, `function beforeCreate() {}`, "beforeCreate", Input{Tenant: "t", Limits: Limits{Isolation: tc.tenant}}, nil); err != nil {
				t.Fatal(err)
			}
			if got := len(idleWorkers(e, "t")) == 1; got != tc.want {
				t.Fatalf("ran in a worker: %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := New(Config{Tenants: map[string]Limits{"t": {Isolation: "thread"}}}); errs.CodeOf(err) != "script.limits" {
		t.Fatalf("an unknown isolation: %v", err)
	}
}

// TestWorker_closeEndsEveryWorker: Close leaves no worker process behind.
func TestWorker_closeEndsEveryWorker(t *testing.T) {
	e, err := New(Config{Limits: Limits{Isolation: IsolationProcess}})
	if err != nil {
		t.Fatal(err)
	}
	warm(t, e, "a")
	warm(t, e, "b")
	var all []*worker
	e.workers.mu.Lock()
	for _, list := range e.workers.idle {
		all = append(all, list...)
	}
	e.workers.mu.Unlock()
	e.Close()
	for _, w := range all {
		select {
		case <-w.exited:
		default:
			t.Fatalf("worker %d still running after Close", w.cmd.Process.Pid)
		}
	}
	if _, err := runScript(t, e, `function beforeCreate() {}`, "beforeCreate", Input{}, nil); errs.CodeOf(err) != "script.closed" {
		t.Fatalf("a run after Close: %v", err)
	}
}

// TestWorker_theDataLimitBacksUpThePolling turns the parent's polling of
// the resident set off: the memory bombs still end with the memory limit,
// from the worker's own heap watchdog or from its RLIMIT_DATA (the Go
// runtime dies "out of memory").
func TestWorker_theDataLimitBacksUpThePolling(t *testing.T) {
	e := newIsolatedEngine(t, Config{Limits: Limits{WallTime: 20 * time.Second, Memory: 64 << 20},
		Workers: WorkerConfig{PollInterval: time.Hour}})
	for _, b := range memoryBombs {
		t.Run(b.name, func(t *testing.T) {
			warm(t, e, "bomb")
			w := idleWorkers(e, "bomb")[0]
			start := time.Now()
			_, err := runScript(t, e, "function beforeCreate(ctx) { "+b.src+" }", "beforeCreate", Input{Tenant: "bomb"}, nil)
			if x := errs.As(err); x == nil || x.Extra["limit"] != "memory" {
				t.Fatalf("err = %v", err)
			}
			if w.dataMax == 0 {
				t.Fatal("no RLIMIT_DATA was set")
			}
			t.Logf("stopped after %v (data limit %d MiB): %v", time.Since(start).Round(time.Millisecond), w.dataMax>>20, err)
		})
	}
}

// TestWorker_getsNoneOfTheEnvironment: a worker runs untrusted code, and
// the server's environment may hold the store's credentials.
func TestWorker_getsNoneOfTheEnvironment(t *testing.T) {
	t.Setenv("CRM_STORE", "mongodb://user:secret@db")
	e := newIsolatedEngine(t, Config{Workers: WorkerConfig{Spare: -1}})
	warm(t, e, "t")
	env, err := os.ReadFile("/proc/" + strconv.Itoa(idleWorkers(e, "t")[0].cmd.Process.Pid) + "/environ")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if strings.Contains(string(env), "secret") || !strings.Contains(string(env), workerEnv) {
		t.Fatalf("worker environment: %q", env)
	}
}
