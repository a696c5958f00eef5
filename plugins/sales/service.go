package sales

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Collections of each tenant that this package owns.
const (
	journalColl  = "_conversions"
	mergeColl    = "_lead_merges"
	settingsColl = "_sales_settings"
	settingsID   = "settings"
)

// Config tunes the service. The zero value is usable.
type Config struct {
	// Clock stamps assignments and conversions; default clock.Real.
	Clock clock.Clock
	// ConversionLease is how long one conversion call holds a lead's
	// journal before another call may resume it (default 30 s): a call
	// that crashed is resumed after it.
	ConversionLease time.Duration
	// NoTransactions makes conversions run as journaled steps even where
	// the store has transactions, as they run on a store without them
	// (MongoDB without a replica set). Tests use it to exercise that path.
	NoTransactions bool
	// Fault, when set, is called after each step of a conversion has
	// written its record and before the journal records it, with the
	// step's name ("account", "contact", "opportunity", "lead"), and after
	// each step of a merge ("merge:children", "merge:note",
	// "merge:delete", "merge:fill"); an error stops the conversion or
	// merge there, as a crash would. For tests only.
	Fault func(step string) error
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.ConversionLease < 0 {
		return errors.New("sales: ConversionLease must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.ConversionLease == 0 {
		c.ConversionLease = 30 * time.Second
	}
	return c
}

// Records is the part of the record service the app uses;
// *records.Service implements it. Every call acts for the principal of its
// context.
type Records interface {
	Get(ctx context.Context, object, id string, opt records.GetOptions) (*records.Record, error)
	Create(ctx context.Context, object string, input map[string]any) (*records.Record, error)
	Update(ctx context.Context, object, id string, patch map[string]any, ifMatch int64) (*records.Record, error)
	List(ctx context.Context, object string, opt records.ListOptions) (*records.Page, error)
	Aggregate(ctx context.Context, object string, req records.AggregateRequest) ([]map[string]any, error)
	History(ctx context.Context, object, recID string) ([]records.Change, error)
	Delete(ctx context.Context, object, recID string, ifMatch int64) error
	Transactional() bool
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
}

var _ Records = (*records.Service)(nil)

// Service is the sales app's domain logic. It is safe for concurrent use.
type Service struct {
	recs Records
	st   store.Store
	cfg  Config
	auto Automation
	// recent are settings read in the last settingsTTL, for the
	// duplicate rule, which needs them on every lead written.
	recent settingsCache
}

// New returns the service over the record service (every record access)
// and the store (the journal and the settings only).
func New(recs Records, st store.Store, cfg Config) (*Service, error) {
	if recs == nil || st == nil {
		return nil, errors.New("sales: the record service and the store are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{recs: recs, st: st, cfg: cfg.withDefaults()}, nil
}

// Provision creates a tenant's sales collections. It is idempotent, and
// harmless in a tenant that has not installed the sales package.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	for _, c := range []string{journalColl, settingsColl, mergeColl} {
		if err := s.st.EnsureCollection(ctx, tenant, c); err != nil {
			return fmt.Errorf("sales: provision %s: %w", c, err)
		}
	}
	return nil
}

// caller returns the principal of ctx, or a 401.
func caller(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok || p.TenantID == "" {
		return identity.Principal{}, errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	return p, nil
}

// system returns ctx acting for p with the admin role added: for the few
// steps where the app, not the caller's sharing, decides (taking a lead
// out of the pool that the caller cannot see yet). The write still runs
// the whole pipeline and is recorded as the caller's.
func system(ctx context.Context, p identity.Principal) context.Context {
	p.Roles = append([]string{identity.AdminRole}, p.Roles...)
	return identity.WithPrincipal(ctx, p)
}

func (s *Service) now() time.Time { return s.cfg.Clock.Now() }

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}
