package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// Handler runs one attempt of a job. A nil error marks the job done; an
// error retries it with backoff until its attempts are spent, then
// dead-letters it with the error. Permanent and Defer change that.
// Handlers must be idempotent: an attempt that outlives its lease may
// overlap with the next one.
type Handler func(ctx context.Context, job *Job) error

// permanent marks an error that no retry can cure.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the job is dead-lettered at once.
func Permanent(err error) error { return permanent{err} }

// deferral asks for the job to run again later without spending an attempt.
type deferral struct{ until time.Time }

func (d deferral) Error() string { return "deferred until " + clock.Stamp(d.until) }

// Defer returns an error that puts the job back in the queue, due at until,
// without counting the attempt (outside business hours, for example).
func Defer(until time.Time) error { return deferral{until} }

// Deferred reports whether err asks for a deferral (Defer), and until when.
func Deferred(err error) (time.Time, bool) {
	var d deferral
	if errors.As(err, &d) {
		return d.until, true
	}
	return time.Time{}, false
}

// RunnerConfig tunes a Runner. The zero value is usable except Tenants.
type RunnerConfig struct {
	// Tenants lists the tenants whose jobs this runner serves (required).
	Tenants func(ctx context.Context) ([]string, error)
	// Owner names this runner in leases; default a new random id.
	Owner string
	// Poll is how often each tenant is checked for due jobs (default 1 s);
	// a job enqueued on this node that is due at once wakes the runner
	// immediately.
	Poll time.Duration
	// Lease is how long an attempt may run before another node may take
	// the job over (default 5 min); the handler's context ends with it.
	Lease time.Duration
	// Workers is the number of jobs run at the same time (default 4).
	Workers int
	// Batch is how many due jobs are read per query (default 64).
	Batch int
	// Retention is how long done and cancelled jobs are kept (default
	// 7 days); the idempotency of a key lasts as long.
	Retention time.Duration
	// Log receives failures; default discards.
	Log *slog.Logger
}

func (c RunnerConfig) withDefaults() RunnerConfig {
	if c.Owner == "" {
		c.Owner = id.New()
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 5 * time.Minute
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Retention <= 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Runner claims due jobs of every tenant and runs their handlers. Its owner
// starts it with Start and stops it with Stop.
type Runner struct {
	svc      *Service
	cfg      RunnerConfig
	mu       sync.Mutex
	handlers map[string]Handler
	wake     chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
	purged   map[string]time.Time
}

// NewRunner returns a runner over the service's jobs.
func NewRunner(svc *Service, cfg RunnerConfig) *Runner {
	return &Runner{svc: svc, cfg: cfg.withDefaults(), handlers: map[string]Handler{},
		wake: make(chan struct{}, 1), purged: map[string]time.Time{}}
}

// Register sets the handler of a kind of job. Register before Start.
func (r *Runner) Register(kind string, h Handler) {
	r.mu.Lock()
	r.handlers[kind] = h
	r.mu.Unlock()
}

// Owner is the name this runner writes into leases.
func (r *Runner) Owner() string { return r.cfg.Owner }

// Start begins polling in a goroutine. Jobs that came due while no runner
// was running (after a restart, say) are picked up by the first poll.
func (r *Runner) Start(ctx context.Context) error {
	if r.cfg.Tenants == nil {
		return errors.New("jobs: RunnerConfig.Tenants is required")
	}
	if !r.svc.st.Capabilities().AtomicUpdate {
		return errs.New(errs.Unavailable, "jobs.no_atomic_update", "this store cannot take leases atomically (%s)", r.svc.st.Capabilities().Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return errors.New("jobs: runner started twice")
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	kick := r.Kick
	r.svc.kick.Store(&kick)
	go r.loop(ctx)
	return nil
}

// Stop stops polling and waits for running handlers to return (their
// contexts are cancelled).
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Kick makes the runner poll now.
func (r *Runner) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) loop(ctx context.Context) {
	defer close(r.done)
	sem := make(chan struct{}, r.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	for {
		busy := r.pollAll(ctx, sem, &wg)
		if busy {
			continue // a full page: there may be more due at once
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
	}
}

// pollAll runs due jobs of every tenant; it reports whether some tenant had
// a full page of due jobs.
func (r *Runner) pollAll(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) bool {
	tenants, err := r.cfg.Tenants(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.cfg.Log.Error("jobs: list tenants", "err", err)
		}
		return false
	}
	busy := false
	for _, tenant := range tenants {
		if ctx.Err() != nil {
			return false
		}
		n, err := r.pollTenant(ctx, tenant, sem, wg)
		if err != nil && !errors.Is(err, store.ErrUnknownCollection) && ctx.Err() == nil {
			r.cfg.Log.Error("jobs: poll", "tenant", tenant, "err", err)
		}
		busy = busy || n >= r.cfg.Batch
		r.purge(ctx, tenant)
	}
	return busy
}

func (r *Runner) pollTenant(ctx context.Context, tenant string, sem chan struct{}, wg *sync.WaitGroup) (int, error) {
	now := clock.Stamp(r.svc.cfg.Clock.Now())
	due, err := r.svc.st.Find(ctx, tenant, Coll, store.Query{
		Filter: store.And{store.Eq("state", Queued), store.Cmp{Field: "runAt", Op: store.OpLte, Value: now}},
		Sort:   []store.SortKey{{Field: "state"}, {Field: "runAt"}}, Limit: r.cfg.Batch})
	if err != nil {
		return 0, err
	}
	expired, err := r.svc.st.Find(ctx, tenant, Coll, store.Query{
		Filter: store.And{store.Eq("state", Running), store.Cmp{Field: "leaseUntil", Op: store.OpLte, Value: now}},
		Sort:   []store.SortKey{{Field: "state"}, {Field: "leaseUntil"}}, Limit: r.cfg.Batch})
	if err != nil {
		return 0, err
	}
	docs := append(due.Items, expired.Items...)
	// Runners that read the same page try its jobs in different orders, so
	// they collide on few of them.
	rand.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	for _, d := range docs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return len(due.Items), nil
		}
		claimed, ok := r.claim(ctx, tenant, d)
		if !ok {
			<-sem
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.run(ctx, tenant, claimed)
		}()
	}
	return len(due.Items), nil
}

// claim takes the lease of one job with a compare-and-set on its version.
func (r *Runner) claim(ctx context.Context, tenant string, d store.Doc) (store.Doc, bool) {
	v := num(d, "version")
	now := r.svc.cfg.Clock.Now()
	d["state"] = Running
	d["leaseOwner"] = r.cfg.Owner
	d["leaseUntil"] = clock.Stamp(now.Add(r.cfg.Lease))
	d["attempts"] = num(d, "attempts") + 1
	d["updatedAt"] = clock.Stamp(now)
	saved, err := r.svc.st.Update(ctx, tenant, Coll, d, v)
	if err != nil {
		if !errors.Is(err, store.ErrVersionConflict) && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			r.cfg.Log.Error("jobs: claim", "tenant", tenant, "job", str(d, "id"), "err", err)
		}
		return nil, false
	}
	return saved, true
}

func (r *Runner) run(ctx context.Context, tenant string, d store.Doc) {
	job := jobOf(tenant, d)
	r.mu.Lock()
	h := r.handlers[job.Kind]
	r.mu.Unlock()
	var err error
	if h == nil {
		err = Permanent(fmt.Errorf("no handler for job kind %q", job.Kind))
	} else {
		hctx, cancel := context.WithTimeout(ctx, r.cfg.Lease)
		err = safely(hctx, h, job)
		cancel()
	}
	if ctx.Err() != nil && err != nil {
		return // stopping: the lease expires and another runner retries
	}
	r.finish(context.WithoutCancel(ctx), tenant, d, err)
}

func safely(ctx context.Context, h Handler, job *Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, job)
}

// finish records an attempt's outcome unless the lease was lost meanwhile
// (the job was cancelled, or another runner took it over).
func (r *Runner) finish(ctx context.Context, tenant string, d store.Doc, herr error) {
	v := num(d, "version")
	now := r.svc.cfg.Clock.Now()
	attempts := num(d, "attempts")
	var perm permanent
	var def deferral
	switch {
	case herr == nil:
		d["state"], d["finishedAt"] = Done, clock.Stamp(now)
	case errors.As(herr, &def):
		d["state"], d["runAt"], d["attempts"] = Queued, clock.Stamp(def.until), attempts-1
	case errors.As(herr, &perm) || attempts >= num(d, "maxAttempts"):
		d["state"], d["finishedAt"], d["lastError"] = Dead, clock.Stamp(now), herr.Error()
	default:
		d["state"], d["lastError"] = Queued, herr.Error()
		d["runAt"] = clock.Stamp(now.Add(Backoff(int(attempts), r.svc.cfg.BackoffBase, r.svc.cfg.BackoffMax)))
	}
	clearLease(d)
	d["updatedAt"] = clock.Stamp(now)
	if _, err := r.svc.st.Update(ctx, tenant, Coll, d, v); err != nil && !errors.Is(err, store.ErrVersionConflict) {
		r.cfg.Log.Error("jobs: finish", "tenant", tenant, "job", str(d, "id"), "err", err)
	}
	if herr != nil {
		r.cfg.Log.Warn("jobs: attempt failed", "tenant", tenant, "job", str(d, "id"), "kind", str(d, "kind"), "err", herr)
	}
}

// purge drops done and cancelled jobs past retention, once an hour per
// tenant.
func (r *Runner) purge(ctx context.Context, tenant string) {
	now := r.svc.cfg.Clock.Now()
	if last, ok := r.purged[tenant]; ok && now.Sub(last) < time.Hour {
		return
	}
	r.purged[tenant] = now
	cut := clock.Stamp(now.Add(-r.cfg.Retention))
	_, err := r.svc.st.DeleteMany(ctx, tenant, Coll, store.And{
		store.In{Field: "state", Values: []any{Done, Cancelled}}, store.Cmp{Field: "finishedAt", Op: store.OpLt, Value: cut}})
	if err != nil && !errors.Is(err, store.ErrUnknownCollection) && ctx.Err() == nil {
		r.cfg.Log.Error("jobs: purge", "tenant", tenant, "err", err)
	}
}
