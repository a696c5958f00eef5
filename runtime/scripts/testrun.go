package scripts

import (
	"context"
	"errors"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/runtime/jsvm"
)

// TestRequest is a test run: one event of a stored script against a sample
// record (and old record, for update and delete events).
type TestRequest struct {
	Event  string         `json:"event"`
	Record map[string]any `json:"record"`
	Old    map[string]any `json:"old"`
}

// TestResult is what a test run produced. Nothing of it was saved.
type TestResult struct {
	Record map[string]any `json:"record"`
	Logs   []string       `json:"logs"`
	Error  *TestError     `json:"error"`
	Usage  Usage          `json:"usage"`
	Limits Limits         `json:"limits"`
}

// Usage is what a run consumed, next to Limits, what it may consume.
type Usage struct {
	DurationMs     float64 `json:"durationMs"`
	Queries        int     `json:"queries"`
	Writes         int     `json:"writes"`
	RecordsFetched int     `json:"recordsFetched"`
	LogBytes       int     `json:"logBytes"`
	Depth          int     `json:"depth"`
}

// Limits are the limits of a run, in the units of Usage.
type Limits struct {
	WallTimeMs float64 `json:"wallTimeMs"`
	Queries    int     `json:"queries"`
	Writes     int     `json:"writes"`
	Records    int     `json:"records"`
	LogBytes   int     `json:"logBytes"`
	Depth      int     `json:"depth"`
	CallStack  int     `json:"callStack"`
	MemoryMB   int64   `json:"memoryMB"`
}

func usageOf(u jsvm.Usage) Usage {
	return Usage{DurationMs: float64(u.Duration.Microseconds()) / 1000, Queries: u.Queries, Writes: u.Writes,
		RecordsFetched: u.RecordsFetched, LogBytes: u.LogBytes, Depth: u.Depth}
}

func limitsOf(l jsvm.Limits) Limits {
	return Limits{WallTimeMs: float64(l.WallTime.Microseconds()) / 1000, Queries: l.Queries, Writes: l.Writes,
		Records: l.Records, LogBytes: l.LogBytes, Depth: l.Depth, CallStack: l.CallStack, MemoryMB: l.Memory >> 20}
}

// TestError is the error of a test run, with where it happened.
type TestError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Line    int               `json:"line,omitempty"`
	Column  int               `json:"column,omitempty"`
	Limit   string            `json:"limit,omitempty"`
	Fields  []errs.FieldError `json:"errors,omitempty"`
}

var errRollback = errors.New("scripts: test run rolls back")

// Test runs one event of a script against a sample record. Writes the script
// makes through ctx.records happen inside a transaction that is always
// rolled back; on a store without transactions they are refused.
func (s *Service) Test(ctx context.Context, name string, req TestRequest) (*TestResult, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := s.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if !contains(Events, req.Event) {
		return nil, errs.New(errs.Invalid, "script.invalid", "event must be one of the script events").WithField("event", "enum", "unknown event")
	}
	if req.Record == nil {
		req.Record = map[string]any{}
	}
	out := &TestResult{Limits: limitsOf(s.engine.Limits()), Logs: []string{}}
	exec := func(ctx context.Context, h jsvm.Host) {
		prog, err := s.engine.Cache().Program(jsvm.CacheKey{Tenant: p.TenantID, Name: sc.Name, Version: sc.Version}, sc.Source)
		if err != nil {
			out.Error = testError(err)
			return
		}
		in := jsvm.Input{Tenant: p.TenantID, Record: req.Record, Old: req.Old,
			User: jsvm.User{ID: p.UserID, Email: p.Email, Name: p.Name, Roles: p.Roles}}
		res, err := s.engine.Run(ctx, prog, req.Event, in, h)
		out.Usage, out.Record = usageOf(res.Usage), res.Record
		if res.Logs != nil {
			out.Logs = res.Logs
		}
		if out.Record == nil {
			out.Record = req.Record
		}
		if err == nil {
			err = res.Err()
		}
		if err != nil {
			out.Error = testError(err)
		}
	}
	if s.records.Transactional() {
		err := s.records.Atomically(ctx, func(ctx context.Context) error {
			exec(ctx, host{s.records})
			return errRollback
		})
		if err != nil && !errors.Is(err, errRollback) {
			return nil, err
		}
		return out, nil
	}
	exec(ctx, readOnlyHost{host{s.records}})
	return out, nil
}

func testError(err error) *TestError {
	e := errs.As(err)
	if e == nil {
		return &TestError{Code: "script.internal", Message: "the script could not run"}
	}
	te := &TestError{Code: e.Code, Message: e.Message}
	if e.Code == "script.rejected" {
		te.Fields = e.Fields
	} else if len(e.Fields) > 0 {
		te.Line, te.Column = e.Fields[0].Line, e.Fields[0].Column
	}
	if l, ok := e.Extra["limit"].(string); ok {
		te.Limit = l
	}
	return te
}

// readOnlyHost refuses writes, for test runs on stores that cannot roll
// them back.
type readOnlyHost struct{ host }

var errNoWrites = errs.New(errs.Invalid, "script.test_read_only", "this store cannot undo writes, so a test run may only read records")

func (readOnlyHost) Create(context.Context, string, map[string]any) (map[string]any, error) {
	return nil, errNoWrites
}
func (readOnlyHost) Update(context.Context, string, string, map[string]any) (map[string]any, error) {
	return nil, errNoWrites
}
func (readOnlyHost) Delete(context.Context, string, string) error { return errNoWrites }
