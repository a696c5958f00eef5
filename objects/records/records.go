// Package records owns the record service: the one pipeline through which
// every record of every object is created, read, changed, deleted and
// restored, whatever the origin (REST, studio, scripts, workflows, imports).
//
// A write runs: authenticate (the principal in the context) -> tenant ->
// authorize the object action -> field-level security -> defaults ->
// before-hooks -> validate -> store write with a version check -> field
// history -> after-hooks. A read runs: authorize -> record visibility as part
// of the store query -> store -> field-level projection. The hook points
// (Hook) and the permission checks (Guard) are interfaces declared here: the
// JavaScript runtime and the access package plug into them, so this package
// never imports either.
//
// It imports objects/metadata, objects/schema, objects/query, objects/formula
// and platform packages; never the HTTP edge.
package records

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Collections the service keeps in each tenant besides one per object.
const (
	recycleColl = "_recycle_bin"
	historyColl = "_field_history"
)

// Config tunes the service. The zero value is usable except for CursorKey.
type Config struct {
	// CursorKey signs list cursors (at least 32 bytes).
	CursorKey []byte
	// MaxPageSize caps `limit` (default 200); DefaultPageSize is used
	// without one (default 50).
	MaxPageSize     int
	DefaultPageSize int
	// MaxBulk caps the records of one bulk request (default 1000).
	MaxBulk int
	// ScanLimit is the number of records above which a filter or sort that
	// no index serves is refused with a 400 naming the field to index
	// (default 20,000): below it a scan is fast enough.
	ScanLimit int64
	// RecycleRetention is how long deleted records can be restored
	// (default 30 days).
	RecycleRetention time.Duration
	// MaxDepth bounds writes that trigger writes through hooks (default 5).
	MaxDepth int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if err := (query.Cursors{Key: c.CursorKey}).Validate(); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	if c.MaxPageSize < 0 || c.DefaultPageSize < 0 || c.MaxBulk < 0 || c.ScanLimit < 0 || c.RecycleRetention < 0 || c.MaxDepth < 0 {
		return errors.New("records: limits must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxPageSize == 0 {
		c.MaxPageSize = 200
	}
	if c.DefaultPageSize == 0 {
		c.DefaultPageSize = 50
	}
	if c.MaxBulk == 0 {
		c.MaxBulk = 1000
	}
	if c.ScanLimit == 0 {
		c.ScanLimit = 20_000
	}
	if c.RecycleRetention == 0 {
		c.RecycleRetention = 30 * 24 * time.Hour
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = 5
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Users checks record owners; the identity service implements it.
type Users interface {
	GetUser(ctx context.Context, tenant, id string) (identity.User, error)
}

// Service is the record service.
type Service struct {
	st      store.Store
	meta    *metadata.Service
	users   Users
	guard   Guard
	hooks   []Hook
	cfg     Config
	cursors query.Cursors
	counts  *countCache
	purges  *purgeClock
	exprs   *exprCache // compiled formulas and rules per object version: computed.go
	flights *flights   // coalesced roll-up recomputes: rollup.go
}

// Option configures a Service.
type Option func(*Service)

// WithGuard sets the permission checks (default OpenGuard).
func WithGuard(g Guard) Option { return func(s *Service) { s.guard = g } }

// WithHooks adds hooks, run in the order given.
func WithHooks(h ...Hook) Option { return func(s *Service) { s.hooks = append(s.hooks, h...) } }

// Use adds hooks after those given to New, for a hook whose owner needs
// the service to be built first (an app's rules that query records). Call
// it while assembling the application, before any write: the list of
// hooks is not guarded against concurrent writes.
func (s *Service) Use(h ...Hook) { s.hooks = append(s.hooks, h...) }

// New returns the record service.
func New(st store.Store, meta *metadata.Service, users Users, cfg Config, opts ...Option) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{st: st, meta: meta, users: users, guard: OpenGuard{}, cfg: cfg,
		cursors: query.Cursors{Key: cfg.CursorKey}, counts: newCountCache(time.Now), purges: newPurgeClock(),
		exprs: newExprCache(), flights: newFlights()}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Provision creates a new tenant's record-service collections.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	for _, c := range []struct {
		name string
		idx  []store.Index
	}{
		{recycleColl, []store.Index{{Name: "object_deleted", Keys: []store.IndexKey{{Field: "object"}, {Field: "deletedAt", Desc: true}}},
			{Name: "deleted", Keys: []store.IndexKey{{Field: "deletedAt"}}},
			{Name: "cascade", Keys: []store.IndexKey{{Field: "cascadeOf"}}}}}, // master-detail cascades: cascade.go
		{historyColl, []store.Index{{Name: "record_at", Keys: []store.IndexKey{{Field: "record"}, {Field: "at", Desc: true}}}}},
	} {
		if err := s.st.EnsureCollection(ctx, tenant, c.name); err != nil {
			return fmt.Errorf("records: provision %s: %w", c.name, err)
		}
		if err := s.st.SyncIndexes(ctx, tenant, c.name, c.idx); err != nil {
			return fmt.Errorf("records: provision %s: %w", c.name, err)
		}
	}
	return nil
}

// Record is one record in its API form.
type Record struct {
	Object  string
	ID      string
	Version int64
	// Data is the record as clients see it: every field the caller may
	// read, system fields included.
	Data map[string]any
}

// ETag is the record's entity tag: its version, quoted.
func (r *Record) ETag() string { return fmt.Sprintf(`"%d"`, r.Version) }

// MarshalJSON writes the record's data.
func (r *Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

// principal returns the caller, or a 401 when the context has none.
func principal(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok || p.TenantID == "" {
		return identity.Principal{}, errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	return p, nil
}

// ParseETag reads an If-Match value: a version as this service writes it
// ("3", W/"3" or 3). ok is false for "*" or an empty value.
func ParseETag(v string) (version int64, ok bool, err error) {
	if v == "" || v == "*" {
		return 0, false, nil
	}
	if len(v) > 2 && v[:2] == "W/" {
		v = v[2:]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if _, err := fmt.Sscanf(v, "%d", &version); err != nil || version < 1 || fmt.Sprint(version) != v {
		return 0, false, errs.New(errs.Malformed, "request.bad_if_match", "If-Match must be an ETag this API returned, like \"3\"")
	}
	return version, true, nil
}

// Transactional reports whether Atomically can make several writes all or
// nothing on this deployment's store.
func (s *Service) Transactional() bool { return s.st.Capabilities().Transactions }

// Atomically runs fn in one store transaction of the caller's tenant: every
// record call made with fn's context takes effect together or not at all.
func (s *Service) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if !s.Transactional() {
		return store.ErrNoTransactions
	}
	return s.st.Tx(ctx, p.TenantID, fn)
}
