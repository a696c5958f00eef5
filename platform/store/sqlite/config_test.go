package sqlite

import (
	"errors"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

func TestConfig_validateAndDefaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string // "" when valid
	}{
		{"only a directory is valid", Config{Dir: "/tmp/x"}, ""},
		{"full synchronous is valid", Config{Dir: "/tmp/x", Synchronous: "FULL"}, ""},
		{"a missing directory is refused", Config{}, "Dir"},
		{"a directory with a query mark is refused", Config{Dir: "/tmp/a?b"}, "Dir"},
		{"an unknown synchronous mode is refused", Config{Dir: "/tmp/x", Synchronous: "off"}, "Synchronous"},
		{"a negative busy timeout is refused", Config{Dir: "/tmp/x", BusyTimeout: -time.Second}, "BusyTimeout"},
		{"a negative reader count is refused", Config{Dir: "/tmp/x", MaxReaders: -1}, "MaxReaders"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				d := tc.cfg.withDefaults()
				if d.Synchronous != "normal" && d.Synchronous != "full" || d.BusyTimeout <= 0 || d.MaxReaders < 4 {
					t.Errorf("defaults = %+v", d)
				}
				return
			}
			e := errs.As(err)
			if e == nil || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
				t.Fatalf("Validate = %v, want an error on %s", err, tc.field)
			}
			if _, err := Open(tc.cfg); !errors.Is(err, e) {
				t.Errorf("Open accepted an invalid configuration: %v", err)
			}
		})
	}
}
