package jsvm

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// LimitsConfig is how a deployment writes script limits (CRM_SCRIPT_LIMITS):
// a JSON object whose member "*" holds the engine-wide limits and every
// other member a tenant's, by tenant id, in readable units; an absent
// member keeps the value below it (the default, then "*"):
//
//	{"*":    {"wallTimeMs": 300, "memoryMiB": 96},
//	 "06h…": {"wallTimeMs": 1000, "queries": 500, "isolation": "process"}}
type LimitsConfig map[string]LimitsJSON

// LimitsJSON is one set of limits in LimitsConfig.
type LimitsJSON struct {
	WallTimeMs   int    `json:"wallTimeMs,omitempty"`
	CallStack    int    `json:"callStack,omitempty"`
	Queries      int    `json:"queries,omitempty"`
	Writes       int    `json:"writes,omitempty"`
	Records      int    `json:"records,omitempty"`
	LogBytes     int    `json:"logBytes,omitempty"`
	Depth        int    `json:"depth,omitempty"`
	StringLength int    `json:"stringLength,omitempty"`
	ArrayLength  int    `json:"arrayLength,omitempty"`
	JSONDepth    int    `json:"jsonDepth,omitempty"`
	MemoryMiB    int64  `json:"memoryMiB,omitempty"`
	Isolation    string `json:"isolation,omitempty"`
}

// Limits returns the limits in the engine's units.
func (j LimitsJSON) Limits() Limits {
	return Limits{WallTime: time.Duration(j.WallTimeMs) * time.Millisecond, CallStack: j.CallStack, Queries: j.Queries,
		Writes: j.Writes, Records: j.Records, LogBytes: j.LogBytes, Depth: j.Depth, StringLength: j.StringLength,
		ArrayLength: j.ArrayLength, JSONDepth: j.JSONDepth, Memory: j.MemoryMiB << 20, Isolation: j.Isolation}
}

// ParseLimitsConfig reads a LimitsConfig and applies it to cfg: "*" over
// cfg.Limits, each tenant's over cfg.Tenants[id]. Unknown members, wrong
// types and invalid values are refused with an error naming them.
func ParseLimitsConfig(data []byte, cfg *Config) error {
	bad := func(format string, args ...any) error {
		return errs.New(errs.Invalid, "script.limits", "script limits configuration: "+format, args...)
	}
	var lc LimitsConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lc); err != nil {
		return bad("%v", err)
	}
	if dec.More() {
		return bad("unexpected data after the JSON object")
	}
	for key, j := range lc {
		l := j.Limits()
		if err := l.Validate(); err != nil {
			return bad("%q: %s", key, errs.As(err).Message)
		}
		if key == "*" {
			cfg.Limits = cfg.Limits.Over(l)
			continue
		}
		if key == "" {
			return bad("a tenant id is empty")
		}
		if cfg.Tenants == nil {
			cfg.Tenants = map[string]Limits{}
		}
		cfg.Tenants[key] = cfg.Tenants[key].Over(l)
	}
	return nil
}
