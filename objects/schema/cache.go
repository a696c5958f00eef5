package schema

import (
	"sync"

	"github.com/opencrm/crm/platform/errs"
)

// CacheConfig configures a Cache.
type CacheConfig struct {
	// MaxEntries bounds the number of compiled validators kept; 0 means
	// 4096. When full, the entries of other versions of the same object go
	// first, then an arbitrary entry.
	MaxEntries int
}

// Validate checks the configuration.
func (c CacheConfig) Validate() error {
	if c.MaxEntries < 0 {
		return errs.New(errs.Invalid, "config.invalid", "schema cache: MaxEntries must not be negative")
	}
	return nil
}

type cacheKey struct {
	tenant, object string
	version        int64
}

type cacheEntry struct {
	once sync.Once
	v    *Validator
	err  error
}

// Cache keeps compiled record validators by (tenant, object, metadata
// version), so a schema is compiled once per version on each node. It is
// safe for concurrent use; concurrent misses of one key compile once.
type Cache struct {
	max     int
	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
}

// NewCache returns an empty cache.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = 4096
	}
	return &Cache{max: cfg.MaxEntries, entries: map[cacheKey]*cacheEntry{}}, nil
}

// Validator returns the validator of obj at the given metadata version,
// compiling it on a miss. obj must be the definition of that version.
func (c *Cache) Validator(tenant string, version int64, obj *Object) (*Validator, error) {
	k := cacheKey{tenant, obj.APIName, version}
	c.mu.Lock()
	e, ok := c.entries[k]
	if !ok {
		c.evictFor(k)
		e = &cacheEntry{}
		c.entries[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.v, e.err = obj.Validator() })
	if e.err != nil {
		c.mu.Lock()
		if c.entries[k] == e {
			delete(c.entries, k)
		}
		c.mu.Unlock()
	}
	return e.v, e.err
}

// evictFor makes room for k: older versions of the same object are
// dropped, then, if the cache is still full, one arbitrary entry.
func (c *Cache) evictFor(k cacheKey) {
	for old := range c.entries {
		if old.tenant == k.tenant && old.object == k.object && old.version != k.version {
			delete(c.entries, old)
		}
	}
	for old := range c.entries {
		if len(c.entries) < c.max {
			break
		}
		delete(c.entries, old)
	}
}

// Forget drops every cached validator of the tenant's object (all of the
// tenant's objects when object is "").
func (c *Cache) Forget(tenant, object string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.tenant == tenant && (object == "" || k.object == object) {
			delete(c.entries, k)
		}
	}
}

// Len returns the number of cached validators.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
