package identity

import (
	"sync"
	"time"
)

// authCache remembers recently authenticated credentials for a short time,
// so that a busy API key does not cost three store reads on every request.
// A revoke or logout on this node drops the entry at once; another node
// stops accepting the credential when its entry expires (Config.AuthCacheTTL,
// default 1 s), the same bound as every other cross-node change.
type authCache struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[string]authEntry // by credential id
}

type authEntry struct {
	token   string // the full token, compared before a hit counts
	p       Principal
	expires time.Time
	session string // a session's own expiry, checked on every hit
}

func newAuthCache(ttl time.Duration, max int) *authCache {
	return &authCache{ttl: ttl, max: max, m: map[string]authEntry{}}
}

func (c *authCache) get(credID, token string, now time.Time) (Principal, bool) {
	if c.ttl <= 0 {
		return Principal{}, false
	}
	c.mu.Lock()
	e, ok := c.m[credID]
	c.mu.Unlock()
	if !ok || e.token != token || !now.Before(e.expires) || (e.session != "" && e.session <= stamp(now)) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *authCache) put(credID, token string, p Principal, now time.Time, sessionExpiry string) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			c.m = map[string]authEntry{} // bounded memory beats a perfect hit rate
		}
	}
	c.m[credID] = authEntry{token: token, p: p, expires: now.Add(c.ttl), session: sessionExpiry}
}

func (c *authCache) drop(credID string) {
	c.mu.Lock()
	delete(c.m, credID)
	c.mu.Unlock()
}

// dropUser forgets every credential of a user (deactivation, role change).
func (c *authCache) dropUser(tenantID, userID string) {
	c.mu.Lock()
	for k, e := range c.m {
		if e.p.TenantID == tenantID && e.p.UserID == userID {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}
