package identity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/crm/platform/audit"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// LockoutConfig governs the backoff after failed logins: after Threshold
// failures for one tenant and email, each further attempt is refused for
// Base × 2^(failures-Threshold), at most Max. The zero value means 5
// failures, 1 s, 15 min. Failures are counted per node, in memory, for known
// and unknown emails alike, so the answer never tells whether a user exists.
type LockoutConfig struct {
	Threshold int
	Base      time.Duration
	Max       time.Duration
	// MaxTracked bounds the memory: at most this many (tenant, email) pairs
	// are tracked; default 100,000.
	MaxTracked int
}

// Validate checks the configuration.
func (c LockoutConfig) Validate() error {
	if c.Threshold < 0 || c.Base < 0 || c.Max < 0 || c.MaxTracked < 0 {
		return errors.New("identity: lockout settings must not be negative")
	}
	return nil
}

func (c LockoutConfig) withDefaults() LockoutConfig {
	if c.Threshold == 0 {
		c.Threshold = 5
	}
	if c.Base == 0 {
		c.Base = time.Second
	}
	if c.Max == 0 {
		c.Max = 15 * time.Minute
	}
	if c.MaxTracked == 0 {
		c.MaxTracked = 100_000
	}
	return c
}

// Session is the answer of a successful login.
type Session struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
	User      User   `json:"user"`
}

var errBadLogin = errs.New(errs.Unauthenticated, "auth.invalid_login", "the tenant, email or password is wrong")

// Login checks a password and opens a session. A wrong tenant, unknown email,
// inactive user and wrong password all give the same answer after the same
// work (one argon2id hash).
func (s *Service) Login(ctx context.Context, tenantName, email, password string) (Session, error) {
	key := tenantName + "\x00" + strings.ToLower(strings.TrimSpace(email))
	if wait := s.failures.blockedFor(key); wait > 0 {
		e := errs.New(errs.RateLimited, "auth.locked", "too many failed sign-ins; try again in %d s", secondsCeil(wait))
		e.Extra = map[string]any{"retryAfter": secondsCeil(wait)}
		return Session{}, e
	}
	hash, user := s.dummyHash, store.Doc(nil)
	t, err := s.tenants.ByName(ctx, tenantName)
	switch {
	case err == nil && t.Active():
		doc, found, err := s.userByEmail(ctx, t.ID, email)
		if err != nil {
			return Session{}, err
		}
		if found {
			if h := str(doc, "passwordHash"); h != "" {
				hash, user = h, doc
			}
		}
	case err != nil && errs.KindOf(err) != errs.NotFound:
		return Session{}, err
	}
	ok := checkPassword(hash, password) && user != nil
	if ok {
		if active, _ := user["active"].(bool); !active {
			ok = false
		}
	}
	if !ok {
		s.failures.fail(key)
		if t.ID != "" && t.Active() {
			detail := map[string]any{"email": strings.ToLower(strings.TrimSpace(email))}
			if ip := clientIP(ctx); ip != "" {
				detail["ip"] = ip
			}
			s.record(ctx, t.ID, audit.Event{Kind: audit.LoginFailed, Detail: detail})
		}
		return Session{}, errBadLogin
	}
	s.failures.reset(key)
	u := userFromDoc(user)
	sid, secret := id.New(), id.Secret(32)
	now := s.cfg.Now().UTC()
	exp := stamp(now.Add(s.cfg.SessionTTL))
	doc := store.Doc{"id": sid, "user": u.ID, "secretHash": hashSecret(secret), "createdAt": stamp(now), "expiresAt": exp}
	if _, err := s.st.Insert(ctx, t.ID, sessionsColl, doc); err != nil {
		return Session{}, fmt.Errorf("identity: open session: %w", err)
	}
	detail := map[string]any{"session": sid}
	if ip := clientIP(ctx); ip != "" {
		detail["ip"] = ip
	}
	s.record(ctx, t.ID, audit.Event{Kind: audit.LoginSucceeded, Actor: u.ID, Target: u.ID, Detail: detail})
	return Session{Token: "cs_" + t.ID + "_" + sid + "_" + secret, ExpiresAt: exp, User: u}, nil
}

// Logout ends the principal's session. Logging out with an API key is a
// no-op: keys are revoked, not logged out.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.CredentialKind != "session" {
		return nil
	}
	s.auth.drop(p.CredentialID)
	err := s.st.Delete(ctx, p.TenantID, sessionsColl, p.CredentialID, 0)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("identity: logout: %w", err)
	}
	s.record(ctx, p.TenantID, audit.Event{Kind: audit.Logout, Actor: p.UserID, Target: p.UserID})
	return nil
}

func secondsCeil(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// failures counts failed logins per (tenant, email) in memory.
type failures struct {
	cfg LockoutConfig
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*failure
}

type failure struct {
	count int
	until time.Time
	last  time.Time
}

func newFailures(cfg LockoutConfig, now func() time.Time) *failures {
	return &failures{cfg: cfg, now: now, m: map[string]*failure{}}
}

func (f *failures) blockedFor(key string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.m[key]
	if e == nil {
		return 0
	}
	if d := e.until.Sub(f.now()); d > 0 {
		return d
	}
	return 0
}

func (f *failures) fail(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.m) >= f.cfg.MaxTracked {
		f.evict(now)
	}
	e := f.m[key]
	if e == nil {
		e = &failure{}
		f.m[key] = e
	}
	e.count++
	e.last = now
	if over := e.count - f.cfg.Threshold; over >= 0 {
		d := f.cfg.Max
		if over < 30 {
			if b := f.cfg.Base << over; b > 0 && b < d {
				d = b
			}
		}
		e.until = now.Add(d)
	}
}

func (f *failures) reset(key string) {
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
}

// evict drops entries idle for longer than the maximal lockout; if that frees
// nothing, it drops everything (the lesser evil than unbounded memory).
func (f *failures) evict(now time.Time) {
	for k, e := range f.m {
		if now.Sub(e.last) > f.cfg.Max {
			delete(f.m, k)
		}
	}
	if len(f.m) >= f.cfg.MaxTracked {
		f.m = map[string]*failure{}
	}
}

type ipKey struct{}

// WithClientIP returns a context that carries the caller's address, for the
// audit log.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

func clientIP(ctx context.Context) string {
	ip, _ := ctx.Value(ipKey{}).(string)
	return ip
}
