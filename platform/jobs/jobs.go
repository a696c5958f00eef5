// Package jobs owns durable background jobs in the store: enqueueing with a
// run-at time and an idempotency key, leases with expiry so that exactly one
// node runs each attempt, retries with exponential backoff, a dead-letter
// state that keeps the last error, and the admin operations list, retry and
// cancel. A Runner (runner.go) claims due jobs and runs the handler
// registered for their kind.
//
// Jobs live in each tenant's "_jobs" collection, so a job enqueued with a
// context inside a store transaction of that tenant is stored with the
// transaction or not at all: this is the platform's transactional outbox.
//
// A lease is taken with the store's compare-and-set Update (expectVersion),
// which is atomic on SQLite and MongoDB; Runner.Start refuses a store whose
// Capabilities.AtomicUpdate is false (FerretDB v1). Delivery is at least
// once per attempt that a node starts: a handler that outlives its lease may
// overlap with the next attempt, so handlers must be idempotent (keys,
// deterministic ids), and the lease should be far longer than a run.
//
// It imports platform/store, platform/clock, platform/errs and platform/id
// only.
package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// Coll is the collection of jobs in each tenant.
const Coll = "_jobs"

// States of a job.
const (
	Queued    = "queued"    // waiting for its run-at time
	Running   = "running"   // leased by a node
	Done      = "done"      // the handler succeeded
	Dead      = "dead"      // out of attempts (or a permanent failure); see LastError
	Cancelled = "cancelled" // cancelled by an admin or by its owner (CancelGroup)
)

// Config tunes the service. The zero value is usable.
type Config struct {
	// Clock is the time source; default clock.Real.
	Clock clock.Clock
	// MaxAttempts is the default number of attempts of a job (default 8).
	MaxAttempts int
	// BackoffBase is the delay before the second attempt; each further
	// attempt doubles it (default 1 s), up to BackoffMax (default 1 h).
	BackoffBase time.Duration
	BackoffMax  time.Duration
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.MaxAttempts < 0 || c.BackoffBase < 0 || c.BackoffMax < 0 {
		return errors.New("jobs: limits must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 8
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = time.Second
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = time.Hour
	}
	return c
}

// Service stores jobs. It is safe for concurrent use.
type Service struct {
	st   store.Store
	cfg  Config
	kick atomic.Pointer[func()] // set by a Runner on this node: wakes it for a due job
}

// New returns the job service.
func New(st store.Store, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{st: st, cfg: cfg.withDefaults()}, nil
}

// Clock returns the service's clock.
func (s *Service) Clock() clock.Clock { return s.cfg.Clock }

// Provision creates a tenant's job collection and its indexes.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	if err := s.st.EnsureCollection(ctx, tenant, Coll); err != nil {
		return fmt.Errorf("jobs: provision: %w", err)
	}
	err := s.st.SyncIndexes(ctx, tenant, Coll, []store.Index{
		{Name: "state_runat", Keys: []store.IndexKey{{Field: "state"}, {Field: "runAt"}}},
		{Name: "state_lease", Keys: []store.IndexKey{{Field: "state"}, {Field: "leaseUntil"}}},
		{Name: "group_state", Keys: []store.IndexKey{{Field: "group"}, {Field: "state"}}},
		{Name: "created", Keys: []store.IndexKey{{Field: "createdAt", Desc: true}}},
	})
	if err != nil {
		return fmt.Errorf("jobs: provision: %w", err)
	}
	return nil
}

// Spec describes a job to enqueue.
type Spec struct {
	// Kind names the handler (Runner.Register).
	Kind string
	// Key makes the enqueue idempotent: a second Enqueue with the same kind
	// and key returns the first job (whatever its state) and adds nothing,
	// for as long as the first job is kept (Runner's Retention).
	Key string
	// Group tags related jobs so that CancelGroup can cancel them together
	// (the timers of one record, for example).
	Group string
	// Payload is the handler's input; store document values only.
	Payload map[string]any
	// RunAt is when the job becomes due; zero means now.
	RunAt time.Time
	// MaxAttempts overrides Config.MaxAttempts when not 0.
	MaxAttempts int
}

// Job is one stored job.
type Job struct {
	ID          string         `json:"id"`
	Tenant      string         `json:"-"`
	Kind        string         `json:"kind"`
	Key         string         `json:"key,omitempty"`
	Group       string         `json:"group,omitempty"`
	State       string         `json:"state"`
	RunAt       string         `json:"runAt"`
	Attempts    int            `json:"attempts"`
	MaxAttempts int            `json:"maxAttempts"`
	LastError   string         `json:"lastError,omitempty"`
	LeaseOwner  string         `json:"leaseOwner,omitempty"`
	LeaseUntil  string         `json:"leaseUntil,omitempty"`
	Payload     map[string]any `json:"payload,omitempty"`
	CreatedAt   string         `json:"createdAt"`
	UpdatedAt   string         `json:"updatedAt"`
	FinishedAt  string         `json:"finishedAt,omitempty"`
	Version     int64          `json:"version"`
}

// KeyID is the id of the job of a kind and an idempotency key: a hash, so
// any key is a valid id and the same key always names the same job.
func KeyID(kind, key string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + key))
	return "k" + hex.EncodeToString(sum[:15])
}

// Enqueue stores a new job. With a Key it is idempotent: created is false
// and the existing job is returned when the kind and key were enqueued
// before. Called with a context inside a store transaction of tenant, the
// job is part of that transaction.
func (s *Service) Enqueue(ctx context.Context, tenant string, sp Spec) (job *Job, created bool, err error) {
	if sp.Kind == "" {
		return nil, false, errs.New(errs.Invalid, "job.invalid", "a job needs a kind")
	}
	now := s.cfg.Clock.Now()
	runAt := sp.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	max := sp.MaxAttempts
	if max <= 0 {
		max = s.cfg.MaxAttempts
	}
	jid := id.New()
	if sp.Key != "" {
		jid = KeyID(sp.Kind, sp.Key)
	}
	doc := store.Doc{"id": jid, "kind": sp.Kind, "state": Queued, "runAt": clock.Stamp(runAt),
		"attempts": int64(0), "maxAttempts": int64(max), "createdAt": clock.Stamp(now), "updatedAt": clock.Stamp(now)}
	if sp.Key != "" {
		doc["key"] = sp.Key
	}
	if sp.Group != "" {
		doc["group"] = sp.Group
	}
	if len(sp.Payload) > 0 {
		doc["payload"] = sp.Payload
	}
	saved, err := s.st.Insert(ctx, tenant, Coll, doc)
	if errors.Is(err, store.ErrDuplicate) && sp.Key != "" {
		existing, gerr := s.Get(ctx, tenant, jid)
		return existing, false, gerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("jobs: enqueue %s: %w", sp.Kind, err)
	}
	if !runAt.After(now) {
		s.wake()
	}
	return jobOf(tenant, saved), true, nil
}

// Get returns one job.
func (s *Service) Get(ctx context.Context, tenant, jobID string) (*Job, error) {
	d, err := s.st.Get(ctx, tenant, Coll, jobID, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return nil, errs.New(errs.NotFound, "job.not_found", "no job with id %q", jobID)
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: get: %w", err)
	}
	return jobOf(tenant, d), nil
}

// ListOptions select jobs for the admin list.
type ListOptions struct {
	State string // empty for all states
	Kind  string // empty for all kinds
	Group string // empty for all groups
	Limit int    // default 50, at most 500
}

// List returns jobs, newest first.
func (s *Service) List(ctx context.Context, tenant string, opt ListOptions) ([]*Job, error) {
	var f store.And
	if opt.State != "" {
		switch opt.State {
		case Queued, Running, Done, Dead, Cancelled:
		default:
			return nil, errs.New(errs.Malformed, "request.bad_parameter", "state must be one of queued, running, done, dead, cancelled").
				WithField("state", "enum", "unknown state")
		}
		f = append(f, store.Eq("state", opt.State))
	}
	if opt.Kind != "" {
		f = append(f, store.Eq("kind", opt.Kind))
	}
	if opt.Group != "" {
		f = append(f, store.Eq("group", opt.Group))
	}
	if opt.Limit <= 0 {
		opt.Limit = 50
	}
	if opt.Limit > 500 {
		opt.Limit = 500
	}
	q := store.Query{Sort: []store.SortKey{{Field: "createdAt", Desc: true}}, Limit: opt.Limit}
	if len(f) > 0 {
		q.Filter = f
	}
	page, err := s.st.Find(ctx, tenant, Coll, q)
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]*Job, 0, len(page.Items))
	for _, d := range page.Items {
		out = append(out, jobOf(tenant, d))
	}
	return out, nil
}

// Retry queues a dead or cancelled job again, due now, with a fresh budget
// of attempts; its last error is kept until the next attempt.
func (s *Service) Retry(ctx context.Context, tenant, jobID string) (*Job, error) {
	return s.transition(ctx, tenant, jobID, func(d store.Doc) error {
		if st := str(d, "state"); st != Dead && st != Cancelled {
			return errs.New(errs.Conflict, "job.not_retryable", "only a dead or cancelled job can be retried; this one is %s", st)
		}
		now := s.cfg.Clock.Now()
		d["state"], d["runAt"], d["attempts"] = Queued, clock.Stamp(now), int64(0)
		delete(d, "finishedAt")
		clearLease(d)
		return nil
	}, true)
}

// Cancel stops a queued, running or dead job from running (again). A
// running attempt is not interrupted, but its outcome is not recorded.
func (s *Service) Cancel(ctx context.Context, tenant, jobID string) (*Job, error) {
	return s.transition(ctx, tenant, jobID, func(d store.Doc) error {
		if st := str(d, "state"); st == Done || st == Cancelled {
			return errs.New(errs.Conflict, "job.not_cancellable", "the job is %s already", st)
		}
		d["state"], d["finishedAt"] = Cancelled, clock.Stamp(s.cfg.Clock.Now())
		clearLease(d)
		return nil
	}, false)
}

// CancelGroup cancels every queued job of a group except the job keep
// (which may be ""), and returns how many it cancelled.
func (s *Service) CancelGroup(ctx context.Context, tenant, group, keep string) (int, error) {
	page, err := s.st.Find(ctx, tenant, Coll, store.Query{
		Filter: store.And{store.Eq("group", group), store.Eq("state", Queued)}, Limit: 500})
	if err != nil {
		return 0, fmt.Errorf("jobs: cancel group: %w", err)
	}
	n := 0
	for _, d := range page.Items {
		if str(d, "id") == keep {
			continue
		}
		if _, err := s.Cancel(ctx, tenant, str(d, "id")); err == nil {
			n++
		} else if errs.KindOf(err) != errs.Conflict {
			return n, err
		}
	}
	return n, nil
}

// transition changes one job with a compare-and-set, retrying when a runner
// changed it in between.
func (s *Service) transition(ctx context.Context, tenant, jobID string, change func(store.Doc) error, kick bool) (*Job, error) {
	for attempt := 0; ; attempt++ {
		d, err := s.st.Get(ctx, tenant, Coll, jobID, nil)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
			return nil, errs.New(errs.NotFound, "job.not_found", "no job with id %q", jobID)
		}
		if err != nil {
			return nil, fmt.Errorf("jobs: get: %w", err)
		}
		v, _ := store.NormalizeValue(d["version"]).(int64)
		if err := change(d); err != nil {
			return nil, err
		}
		d["updatedAt"] = clock.Stamp(s.cfg.Clock.Now())
		saved, err := s.st.Update(ctx, tenant, Coll, d, v)
		if errors.Is(err, store.ErrVersionConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("jobs: update %s: %w", jobID, err)
		}
		if kick {
			s.wake()
		}
		return jobOf(tenant, saved), nil
	}
}

func (s *Service) wake() {
	if k := s.kick.Load(); k != nil {
		(*k)()
	}
}

// Backoff is the delay after the given failed attempt (1-based): base,
// 2×base, 4×base … capped at max.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

func clearLease(d store.Doc) {
	delete(d, "leaseOwner")
	delete(d, "leaseUntil")
}

func jobOf(tenant string, d store.Doc) *Job {
	j := &Job{Tenant: tenant, ID: str(d, "id"), Kind: str(d, "kind"), Key: str(d, "key"), Group: str(d, "group"),
		State: str(d, "state"), RunAt: str(d, "runAt"), LastError: str(d, "lastError"),
		LeaseOwner: str(d, "leaseOwner"), LeaseUntil: str(d, "leaseUntil"),
		CreatedAt: str(d, "createdAt"), UpdatedAt: str(d, "updatedAt"), FinishedAt: str(d, "finishedAt")}
	j.Attempts = int(num(d, "attempts"))
	j.MaxAttempts = int(num(d, "maxAttempts"))
	j.Version = num(d, "version")
	j.Payload, _ = d["payload"].(map[string]any)
	return j
}

func str(d store.Doc, k string) string {
	v, _ := d[k].(string)
	return v
}

func num(d store.Doc, k string) int64 {
	v, _ := store.NormalizeValue(d[k]).(int64)
	return v
}
