package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/sqlite"
)

const tenant = "t1"

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// openStore opens an embedded store in dir (a second call on the same dir
// is a second, independent connection pool, as another process would have).
func openStore(t testing.TB, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(sqlite.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newService(t testing.TB, st store.Store, c clock.Clock) *jobs.Service {
	t.Helper()
	svc, err := jobs.New(st, jobs.Config{Clock: c, BackoffBase: time.Minute, BackoffMax: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Provision(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	return svc
}

func startRunner(t testing.TB, svc *jobs.Service, owner string, handlers map[string]jobs.Handler) *jobs.Runner {
	t.Helper()
	r := jobs.NewRunner(svc, jobs.RunnerConfig{Owner: owner, Log: testLog(t), Poll: 5 * time.Millisecond, Workers: 4,
		Tenants: func(context.Context) ([]string, error) { return []string{tenant}, nil }})
	for k, h := range handlers {
		r.Register(k, h)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// eventually waits (in real time) until cond holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func count(t testing.TB, st store.Store, coll string, f store.Filter) int64 {
	t.Helper()
	n, err := st.Count(context.Background(), tenant, coll, f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func getJob(t testing.TB, svc *jobs.Service, id string) *jobs.Job {
	t.Helper()
	j, err := svc.Get(context.Background(), tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestRunners_runEachDueJobExactlyOnce runs 1,000 due jobs with two runners
// over two independent connections to one store; each handler writes a side
// effect document, and every job must have exactly one.
func TestRunners_runEachDueJobExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	stA, stB := openStore(t, dir), openStore(t, dir)
	c := clock.NewManual(start)
	svcA, svcB := newService(t, stA, c), newService(t, stB, c)
	ctx := context.Background()
	if err := stA.EnsureCollection(ctx, tenant, "effects"); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	for i := range n {
		if _, _, err := svcA.Enqueue(ctx, tenant, jobs.Spec{Kind: "effect", Key: fmt.Sprint(i), Payload: map[string]any{"i": int64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	var byRunner [2]atomic.Int64
	effect := func(st store.Store, who int) jobs.Handler {
		return func(ctx context.Context, j *jobs.Job) error {
			byRunner[who].Add(1)
			_, err := st.Insert(ctx, tenant, "effects", store.Doc{"id": j.ID + "-" + fmt.Sprint(j.Attempts) + "-" + fmt.Sprint(who), "job": j.ID})
			return err
		}
	}
	startRunner(t, svcA, "a", map[string]jobs.Handler{"effect": effect(stA, 0)})
	startRunner(t, svcB, "b", map[string]jobs.Handler{"effect": effect(stB, 1)})
	eventually(t, "every job is done", func() bool { return count(t, stA, jobs.Coll, store.Eq("state", jobs.Done)) == n })

	if got := count(t, stA, "effects", nil); got != n {
		t.Fatalf("%d side effects for %d jobs", got, n)
	}
	rows, err := stA.Aggregate(ctx, tenant, "effects", store.AggregateQuery{GroupBy: []store.Group{{Field: "job"}}, Measures: []store.Measure{{Op: store.OpCount}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d jobs had effects, want %d", len(rows), n)
	}
	for _, r := range rows {
		if r.Values[0] != int64(1) {
			t.Fatalf("job %v took effect %v times", r.Keys[0], r.Values[0])
		}
	}
	t.Logf("runner a ran %d jobs, runner b %d", byRunner[0].Load(), byRunner[1].Load())
	if byRunner[0].Load()+byRunner[1].Load() != n {
		t.Fatalf("handlers ran %d times for %d jobs", byRunner[0].Load()+byRunner[1].Load(), n)
	}
}

func TestEnqueue_withAKeyIsIdempotent(t *testing.T) {
	svc := newService(t, openStore(t, t.TempDir()), clock.NewManual(start))
	ctx := context.Background()
	a, created, err := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "k", Key: "rec1:v2:update"})
	if err != nil || !created {
		t.Fatalf("first enqueue: created=%v err=%v", created, err)
	}
	b, created, err := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "k", Key: "rec1:v2:update", RunAt: start.Add(time.Hour)})
	if err != nil || created || b.ID != a.ID || b.RunAt != a.RunAt {
		t.Fatalf("second enqueue: created=%v id %s vs %s runAt %s err=%v", created, b.ID, a.ID, b.RunAt, err)
	}
	c, created, _ := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "other", Key: "rec1:v2:update"})
	if !created || c.ID == a.ID {
		t.Fatal("the same key of another kind must be another job")
	}
}

// TestRunner_retriesWithBackoffThenDeadLetters drives a failing job with the
// manual clock: it becomes due again 1, 2 minutes after each failure and
// is dead with its last error after its third attempt; an admin retry runs
// it again, a cancel stops it.
func TestRunner_retriesWithBackoffThenDeadLetters(t *testing.T) {
	st := openStore(t, t.TempDir())
	c := clock.NewManual(start)
	svc := newService(t, st, c)
	ctx := context.Background()
	var calls atomic.Int64
	fail := atomic.Bool{}
	fail.Store(true)
	startRunner(t, svc, "r", map[string]jobs.Handler{"flaky": func(context.Context, *jobs.Job) error {
		n := calls.Add(1)
		if fail.Load() {
			return fmt.Errorf("receiver said 500 (call %d)", n)
		}
		return nil
	}})
	j, _, err := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "flaky", MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		eventually(t, "the attempt failed", func() bool {
			return getJob(t, svc, j.ID).Attempts == attempt+1 && getJob(t, svc, j.ID).State == jobs.Queued
		})
		got := getJob(t, svc, j.ID)
		if want := clock.Stamp(c.Now().Add(wait)); got.RunAt != want || got.LastError == "" {
			t.Fatalf("after attempt %d: runAt %s lastError %q, want runAt %s", attempt+1, got.RunAt, got.LastError, want)
		}
		c.Advance(wait - time.Second)
		time.Sleep(30 * time.Millisecond)
		if n := calls.Load(); n != int64(attempt+1) {
			t.Fatalf("ran %d times before the backoff passed", n)
		}
		c.Advance(time.Second)
	}
	eventually(t, "the job is dead", func() bool { return getJob(t, svc, j.ID).State == jobs.Dead })
	if got := getJob(t, svc, j.ID); got.Attempts != 3 || got.LastError != "receiver said 500 (call 3)" {
		t.Fatalf("dead job: %+v", got)
	}

	fail.Store(false)
	if _, err := svc.Retry(ctx, tenant, j.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the retried job is done", func() bool { return getJob(t, svc, j.ID).State == jobs.Done })
	if _, err := svc.Retry(ctx, tenant, j.ID); err == nil {
		t.Fatal("a done job must not be retried")
	}

	later, _, _ := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "flaky", RunAt: c.Now().Add(time.Minute)})
	if _, err := svc.Cancel(ctx, tenant, later.ID); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	time.Sleep(30 * time.Millisecond)
	if got := getJob(t, svc, later.ID); got.State != jobs.Cancelled || calls.Load() != 4 {
		t.Fatalf("cancelled job: state %s, calls %d", got.State, calls.Load())
	}
	list, err := svc.List(ctx, tenant, jobs.ListOptions{State: jobs.Cancelled})
	if err != nil || len(list) != 1 || list[0].ID != later.ID {
		t.Fatalf("list cancelled: %v %v", list, err)
	}
}

func TestRunner_permanentAndDeferredOutcomes(t *testing.T) {
	st := openStore(t, t.TempDir())
	c := clock.NewManual(start)
	svc := newService(t, st, c)
	ctx := context.Background()
	var deferred atomic.Int64
	startRunner(t, svc, "r", map[string]jobs.Handler{
		"bad": func(context.Context, *jobs.Job) error { return jobs.Permanent(errors.New("no such host allowed")) },
		"later": func(context.Context, *jobs.Job) error {
			if deferred.Add(1) == 1 {
				return jobs.Defer(start.Add(10 * time.Hour))
			}
			return nil
		},
	})
	bad, _, _ := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "bad"})
	later, _, _ := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "later"})
	unknown, _, _ := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "nobody-handles-this"})
	eventually(t, "the permanent failure is dead", func() bool { return getJob(t, svc, bad.ID).State == jobs.Dead })
	eventually(t, "the unknown kind is dead", func() bool { return getJob(t, svc, unknown.ID).State == jobs.Dead })
	if got := getJob(t, svc, bad.ID); got.Attempts != 1 {
		t.Fatalf("a permanent failure took %d attempts", got.Attempts)
	}
	eventually(t, "the deferral is queued", func() bool {
		j := getJob(t, svc, later.ID)
		return j.State == jobs.Queued && j.RunAt == clock.Stamp(start.Add(10*time.Hour))
	})
	if got := getJob(t, svc, later.ID); got.Attempts != 0 {
		t.Fatalf("a deferral spent an attempt: %d", got.Attempts)
	}
	c.Set(start.Add(10 * time.Hour))
	eventually(t, "the deferred job ran", func() bool { return getJob(t, svc, later.ID).State == jobs.Done })
}

// TestRunner_picksUpAfterRestart: a job that came due while no runner ran,
// and a job whose runner died holding the lease, both run on a new runner.
func TestRunner_picksUpAfterRestart(t *testing.T) {
	dir := t.TempDir()
	c := clock.NewManual(start)
	ctx := context.Background()
	var mu sync.Mutex
	ran := map[string]string{}
	handler := func(owner string) jobs.Handler {
		return func(_ context.Context, j *jobs.Job) error {
			mu.Lock()
			defer mu.Unlock()
			ran[j.ID] += owner
			return nil
		}
	}
	st1 := openStore(t, dir)
	svc1 := newService(t, st1, c)
	r1 := startRunner(t, svc1, "first", map[string]jobs.Handler{"tick": handler("first")})
	due, _, _ := svc1.Enqueue(ctx, tenant, jobs.Spec{Kind: "tick", RunAt: start.Add(time.Hour)})
	orphan, _, _ := svc1.Enqueue(ctx, tenant, jobs.Spec{Kind: "tick", RunAt: start.Add(2 * time.Hour)})
	time.Sleep(20 * time.Millisecond)
	r1.Stop()
	// A node that took the lease and died: running, lease expired later.
	d, _ := st1.Get(ctx, tenant, jobs.Coll, orphan.ID, nil)
	d["state"], d["leaseOwner"], d["leaseUntil"], d["attempts"] = jobs.Running, "dead-node", clock.Stamp(start.Add(2*time.Hour+5*time.Minute)), int64(1)
	if _, err := st1.Update(ctx, tenant, jobs.Coll, d, 0); err != nil {
		t.Fatal(err)
	}
	st1.Close()

	c.Advance(3 * time.Hour) // the platform was down meanwhile
	svc2 := newService(t, openStore(t, dir), c)
	startRunner(t, svc2, "second", map[string]jobs.Handler{"tick": handler("second")})
	eventually(t, "both jobs ran", func() bool {
		return getJob(t, svc2, due.ID).State == jobs.Done && getJob(t, svc2, orphan.ID).State == jobs.Done
	})
	mu.Lock()
	defer mu.Unlock()
	if ran[due.ID] != "second" || ran[orphan.ID] != "second" {
		t.Fatalf("runs: %v", ran)
	}
	if got := getJob(t, svc2, orphan.ID); got.Attempts != 2 {
		t.Fatalf("the orphan's takeover is attempt %d, want 2", got.Attempts)
	}
}

func TestCancelGroup_keepsOneAndCancelsTheRest(t *testing.T) {
	svc := newService(t, openStore(t, t.TempDir()), clock.NewManual(start))
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		j, _, _ := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "timer", Key: fmt.Sprint(i), Group: "timer:wf:rec1", RunAt: start.Add(time.Hour)})
		ids = append(ids, j.ID)
	}
	other, _, _ := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "timer", Key: "x", Group: "timer:wf:rec2", RunAt: start.Add(time.Hour)})
	n, err := svc.CancelGroup(ctx, tenant, "timer:wf:rec1", ids[2])
	if err != nil || n != 2 {
		t.Fatalf("cancelled %d, %v", n, err)
	}
	for i, want := range []string{jobs.Cancelled, jobs.Cancelled, jobs.Queued} {
		if got := getJob(t, svc, ids[i]).State; got != want {
			t.Errorf("job %d is %s, want %s", i, got, want)
		}
	}
	if getJob(t, svc, other.ID).State != jobs.Queued {
		t.Error("another group's job was cancelled")
	}
}

func TestBackoff_doublesUpToTheCap(t *testing.T) {
	for _, c := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {20, time.Minute}} {
		t.Run(fmt.Sprint(c.attempt), func(t *testing.T) {
			if got := jobs.Backoff(c.attempt, time.Second, time.Minute); got != c.want {
				t.Fatalf("Backoff(%d) = %v, want %v", c.attempt, got, c.want)
			}
		})
	}
}

// testLog sends the runner's log to the test's output.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
