package scripts

import (
	"context"
	"sync"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/runtime/jsvm"
)

// Run is one execution in the log.
type Run struct {
	Script     string            `json:"script"`
	Version    int64             `json:"version"`
	Event      string            `json:"event"`
	At         string            `json:"at"`
	DurationMs float64           `json:"durationMs"`
	Outcome    string            `json:"outcome"` // ok, rejected, error, limit
	Logs       []string          `json:"logs"`
	Usage      Usage             `json:"usage"`
	Err        *errs.Error       `json:"-"`
	Error      *RunError         `json:"error,omitempty"`
	Fields     []errs.FieldError `json:"fieldErrors,omitempty"`
}

// RunError is a failed run's error as the log shows it.
type RunError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Limit   string `json:"limit,omitempty"`
}

func errOf(err error, res jsvm.Result) *errs.Error {
	if err != nil {
		if e := errs.As(err); e != nil {
			return e
		}
		return errs.Wrap(err, errs.Internal, "script.internal", "the script could not run")
	}
	if e := res.Err(); e != nil {
		return errs.As(e)
	}
	return nil
}

// ring keeps the most recent runs of one tenant. The log lives in each
// node's memory: it is for a consultant debugging a script, not an audit
// trail, and bounded so a busy tenant cannot grow it.
type ring struct {
	mu   sync.Mutex
	runs []Run
	next int
	full bool
}

func (s *Service) logRun(tenant string, r Run) {
	switch {
	case r.Err == nil:
		r.Outcome = "ok"
	case r.Err.Code == "script.rejected":
		r.Outcome, r.Fields = "rejected", r.Err.Fields
	case r.Err.Code == "script.limit":
		r.Outcome = "limit"
	default:
		r.Outcome = "error"
	}
	if r.Err != nil && r.Outcome != "rejected" {
		re := &RunError{Code: r.Err.Code, Message: r.Err.Message}
		if len(r.Err.Fields) > 0 {
			re.Line, re.Column = r.Err.Fields[0].Line, r.Err.Fields[0].Column
		}
		if l, ok := r.Err.Extra["limit"].(string); ok {
			re.Limit = l
		}
		r.Error = re
	}
	if r.Logs == nil {
		r.Logs = []string{}
	}
	s.mu.Lock()
	rg := s.runs[tenant]
	if rg == nil {
		rg = &ring{runs: make([]Run, s.cfg.RunLog)}
		s.runs[tenant] = rg
	}
	s.mu.Unlock()
	rg.mu.Lock()
	rg.runs[rg.next] = r
	rg.next = (rg.next + 1) % len(rg.runs)
	rg.full = rg.full || rg.next == 0
	rg.mu.Unlock()
}

// Runs returns the tenant's recent runs, newest first, optionally of one
// script.
func (s *Service) Runs(ctx context.Context, script string) ([]Run, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	rg := s.runs[p.TenantID]
	s.mu.Unlock()
	out := []Run{}
	if rg == nil {
		return out, nil
	}
	rg.mu.Lock()
	defer rg.mu.Unlock()
	n := rg.next
	if rg.full {
		n = len(rg.runs)
	}
	for i := 1; i <= n; i++ {
		r := rg.runs[(rg.next-i+len(rg.runs))%len(rg.runs)]
		if script == "" || r.Script == script {
			out = append(out, r)
		}
	}
	return out, nil
}
