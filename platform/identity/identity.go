// Package identity owns who a caller is: users of a tenant, their password
// hashes, API keys and session tokens, and the onboarding of a new tenant with
// its first admin and key. It authenticates bearer credentials into a
// Principal; deciding what a principal may do is the access package's job.
//
// Credentials are "ck_<tenant id>_<key id>_<secret>" for API keys and
// "cs_<tenant id>_<session id>_<secret>" for sessions. Only a SHA-256 of the
// 32-byte random secret is stored (the secret has full entropy, so a slow hash
// adds nothing); passwords are stored as argon2id hashes. Every comparison of
// a secret is constant-time.
//
// It imports platform/store, platform/tenant, platform/errs and platform/id;
// never the HTTP edge.
package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/crm/platform/audit"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/logx"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/tenant"
)

// Collections of each tenant that this package owns.
const (
	usersColl    = "_users"
	apiKeysColl  = "_apikeys"
	sessionsColl = "_sessions"
)

// AdminRole is the built-in role that may do everything in its tenant.
const AdminRole = "admin"

// Config configures the identity service. The zero value is usable.
type Config struct {
	// SessionTTL is how long a session token lives; default 12 h.
	SessionTTL time.Duration
	// Lockout governs the backoff after failed logins.
	Lockout LockoutConfig
	// Argon2 are the password hash costs; zero means the defaults.
	Argon2 Argon2
	// Now is the clock; default time.Now.
	Now func() time.Time
	// AuthCacheTTL is how long a node trusts a credential it checked
	// without reading it again (default 1 s; negative disables the cache).
	// A revoke on the node is immediate; on other nodes it takes this long.
	AuthCacheTTL time.Duration
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.SessionTTL < 0 {
		return errors.New("identity: SessionTTL must not be negative")
	}
	return c.Lockout.Validate()
}

func (c Config) withDefaults() Config {
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.AuthCacheTTL == 0 {
		c.AuthCacheTTL = time.Second
	}
	c.Lockout = c.Lockout.withDefaults()
	return c
}

// Service is the identity service.
type Service struct {
	st        store.Store
	tenants   *tenant.Registry
	cfg       Config
	dummyHash string // checked against when the user is unknown, so timing does not tell
	failures  *failures
	auth      *authCache
	audit     *audit.Log

	usersMu sync.Mutex
	users   map[string]cachedUser // GetUser answers: users.go
}

// SetAudit makes the service record sign-ins, key and user changes in the
// tenant's security audit log.
func (s *Service) SetAudit(l *audit.Log) { s.audit = l }

// record appends to the audit log, when there is one. The actor is the
// principal of ctx unless given. NB: an audit failure is logged, not
// returned: a lost entry must not lock users out.
func (s *Service) record(ctx context.Context, tenantID string, e audit.Event) {
	if s.audit == nil || tenantID == "" {
		return
	}
	if e.Actor == "" {
		if p, ok := PrincipalFrom(ctx); ok {
			e.Actor = p.UserID
		}
	}
	if err := s.audit.Record(ctx, tenantID, e); err != nil {
		logx.From(ctx).Error("security audit entry lost", "kind", e.Kind, "err", err)
	}
}

// New returns the identity service.
func New(st store.Store, tenants *tenant.Registry, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Service{st: st, tenants: tenants, cfg: cfg,
		dummyHash: cfg.Argon2.hashPassword(id.Secret(16)),
		failures:  newFailures(cfg.Lockout, cfg.Now),
		auth:      newAuthCache(cfg.AuthCacheTTL, 100_000), users: map[string]cachedUser{}}, nil
}

// Principal is an authenticated caller.
type Principal struct {
	TenantID       string   `json:"tenantId"`
	TenantName     string   `json:"tenantName"`
	UserID         string   `json:"userId"`
	Email          string   `json:"email"`
	Name           string   `json:"name"`
	Roles          []string `json:"roles"`
	Manager        string   `json:"manager,omitempty"`
	CredentialKind string   `json:"credentialKind"` // "apikey" or "session"
	CredentialID   string   `json:"credentialId"`
}

// IsAdmin reports whether the principal has the built-in admin role.
func (p Principal) IsAdmin() bool {
	for _, r := range p.Roles {
		if r == AdminRole {
			return true
		}
	}
	return false
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

var errBadCredential = errs.New(errs.Unauthenticated, "auth.invalid_credential", "the credential is missing, invalid, expired or revoked")

// Provision creates the identity collections of a new tenant.
func (s *Service) Provision(ctx context.Context, tenantID string) error {
	for _, c := range []struct {
		name string
		idx  []store.Index
	}{
		{usersColl, []store.Index{{Name: "email_unique", Keys: []store.IndexKey{{Field: "email"}}, Unique: true}}},
		{apiKeysColl, []store.Index{{Name: "user", Keys: []store.IndexKey{{Field: "user"}}}}},
		{sessionsColl, []store.Index{{Name: "user", Keys: []store.IndexKey{{Field: "user"}}}}},
	} {
		if err := s.st.EnsureCollection(ctx, tenantID, c.name); err != nil {
			return fmt.Errorf("identity: provision %s: %w", c.name, err)
		}
		if err := s.st.SyncIndexes(ctx, tenantID, c.name, c.idx); err != nil {
			return fmt.Errorf("identity: provision %s indexes: %w", c.name, err)
		}
	}
	return nil
}

// Authenticate turns a bearer token into a principal. Every failure is the
// same 401, whatever was wrong.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	parts := strings.SplitN(token, "_", 4)
	if len(parts) != 4 || (parts[0] != "ck" && parts[0] != "cs") || store.ValidTenant(parts[1]) != nil || parts[2] == "" {
		return Principal{}, errBadCredential
	}
	tenantID, credID, secret := parts[1], parts[2], parts[3]
	if p, ok := s.auth.get(credID, token, s.cfg.Now()); ok {
		return p, nil
	}
	t, err := s.tenants.ByID(ctx, tenantID)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return Principal{}, errBadCredential
		}
		return Principal{}, err
	}
	if !t.Active() {
		return Principal{}, errBadCredential
	}
	coll, kind := apiKeysColl, "apikey"
	if parts[0] == "cs" {
		coll, kind = sessionsColl, "session"
	}
	cred, err := s.st.Get(ctx, tenantID, coll, credID, nil)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
			return Principal{}, errBadCredential
		}
		return Principal{}, fmt.Errorf("identity: load credential: %w", err)
	}
	if !secretMatches(str(cred, "secretHash"), secret) {
		return Principal{}, errBadCredential
	}
	now := s.cfg.Now().UTC()
	if kind == "session" && str(cred, "expiresAt") <= stamp(now) {
		return Principal{}, errBadCredential
	}
	u, err := s.getUser(ctx, tenantID, str(cred, "user"))
	if err != nil || !u.Active {
		return Principal{}, errBadCredential
	}
	sessionExpiry := ""
	if kind == "apikey" {
		s.touchKey(ctx, tenantID, cred, now)
	} else {
		sessionExpiry = str(cred, "expiresAt")
	}
	p := Principal{TenantID: t.ID, TenantName: t.Name, UserID: u.ID, Email: u.Email, Name: u.Name,
		Roles: u.Roles, Manager: u.Manager, CredentialKind: kind, CredentialID: credID}
	s.auth.put(credID, token, p, s.cfg.Now(), sessionExpiry)
	return p, nil
}

// touchKey records when a key was last used, at most once a minute, so that
// authentication does not write on every request. A failure to record is not
// a failure to authenticate.
func (s *Service) touchKey(ctx context.Context, tenantID string, key store.Doc, now time.Time) {
	last, _ := time.Parse(stampLayout, str(key, "lastUsedAt"))
	if now.Sub(last) < time.Minute {
		return
	}
	key["lastUsedAt"] = stamp(now)
	_, _ = s.st.Update(ctx, tenantID, apiKeysColl, key, 0)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func secretMatches(storedHash, secret string) bool {
	got := hashSecret(secret)
	return len(storedHash) == len(got) && subtle.ConstantTimeCompare([]byte(storedHash), []byte(got)) == 1
}

const stampLayout = "2006-01-02T15:04:05.000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

func str(d store.Doc, k string) string {
	v, _ := d[k].(string)
	return v
}
