package sqlite

import (
	"runtime"
	"strings"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// Config configures the embedded store. Only Dir is required; every other
// field has a documented zero-value default.
type Config struct {
	// Dir is the data directory. Each tenant's database is the file
	// Dir/tenants/<tenant>.db (with its -wal and -shm companions).
	Dir string
	// Synchronous is SQLite's synchronous setting for the write connection:
	// "normal" (the default) or "full". In WAL mode "normal" keeps every
	// acknowledged write across a crash of the process (kill -9); only a
	// power loss or an operating-system crash may lose the last few commits.
	// "full" also survives those, at the price of an fsync per commit.
	Synchronous string
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before it fails with store.unavailable. Default 5s.
	BusyTimeout time.Duration
	// MaxReaders caps the read connections per tenant database. Default:
	// the number of CPUs, at least 4.
	MaxReaders int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Dir == "" {
		return configError("Dir", "the data directory is required")
	}
	if strings.ContainsAny(c.Dir, "?#") {
		return configError("Dir", "the data directory must not contain '?' or '#'")
	}
	switch strings.ToLower(c.Synchronous) {
	case "", "normal", "full":
	default:
		return configError("Synchronous", `must be "normal" or "full"`)
	}
	if c.BusyTimeout < 0 {
		return configError("BusyTimeout", "must not be negative")
	}
	if c.MaxReaders < 0 {
		return configError("MaxReaders", "must not be negative")
	}
	return nil
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	c.Synchronous = strings.ToLower(c.Synchronous)
	if c.Synchronous == "" {
		c.Synchronous = "normal"
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.MaxReaders == 0 {
		c.MaxReaders = max(4, runtime.NumCPU())
	}
	return c
}

func configError(field, msg string) error {
	return errs.New(errs.Invalid, "store.config", "invalid sqlite store configuration").
		WithField(field, "invalid", msg)
}
