package scripts

import (
	"context"
	"strings"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/runtime/jsvm"
)

// Hook returns the records.Hook that runs the tenant's active scripts bound
// to each write, in their order: before-events may change the record (the
// record service validates the result), a ctx.error or a thrown error fails
// the save with 422 naming the script and line, and a stopped limit says
// which.
func (s *Service) Hook() records.Hook { return hook{s} }

type hook struct{ s *Service }

func eventName(phase string, op records.Op) string {
	switch op {
	case records.OpCreate:
		return phase + "Create"
	case records.OpUpdate:
		return phase + "Update"
	case records.OpDelete:
		return phase + "Delete"
	}
	return ""
}

func (h hook) Before(ctx context.Context, ev *records.Event) error {
	return h.s.fire(ctx, ev, eventName("before", ev.Op))
}

func (h hook) After(ctx context.Context, ev *records.Event) error {
	return h.s.fire(ctx, ev, eventName("after", ev.Op))
}

func (s *Service) fire(ctx context.Context, ev *records.Event, event string) error {
	if event == "" {
		return nil
	}
	list, err := s.active(ctx, ev.Tenant)
	if err != nil {
		return err
	}
	for _, sc := range list {
		if !sc.Active || sc.Object != ev.Object.APIName || !contains(sc.Events, event) {
			continue
		}
		res, err := s.run(ctx, ev.Tenant, sc, event, ev.Principal, ev.Record, ev.Old)
		if err != nil {
			return err
		}
		if err := res.Err(); err != nil {
			e := errs.As(err)
			e.Message = "script " + sc.Name + " refused the record: " + firstMessage(res.Errors)
			return e
		}
		if res.Record != nil {
			ev.Record = res.Record
		}
	}
	return nil
}

func firstMessage(fe []errs.FieldError) string {
	if len(fe) == 0 {
		return ""
	}
	if fe[0].Field != "" {
		return fe[0].Field + " " + fe[0].Message
	}
	return fe[0].Message
}

// run executes one script for one event and logs the run.
func (s *Service) run(ctx context.Context, tenant string, sc *Script, event string, p identity.Principal, rec, old map[string]any) (jsvm.Result, error) {
	prog, err := s.engine.Cache().Program(jsvm.CacheKey{Tenant: tenant, Name: sc.Name, Version: sc.Version}, sc.Source)
	if err != nil {
		return jsvm.Result{}, err
	}
	if sc.RunAs == "system" {
		p = systemPrincipal(p, sc)
	}
	in := jsvm.Input{Tenant: tenant, Record: rec, Old: old,
		User: jsvm.User{ID: p.UserID, Email: p.Email, Name: p.Name, Roles: p.Roles}}
	hostCtx := identity.WithPrincipal(ctx, p)
	start := time.Now()
	res, err := s.engine.Run(hostCtx, prog, event, in, host{s.records})
	s.logRun(tenant, Run{Script: sc.Name, Version: sc.Version, Event: event, At: start.UTC().Format(time.RFC3339Nano),
		DurationMs: float64(res.Usage.Duration.Microseconds()) / 1000, Logs: res.Logs, Usage: usageOf(res.Usage), Err: errOf(err, res)})
	return res, err
}

// systemPrincipal acts for a system-rights script: the caller's identity
// with the admin role added, so permissions do not narrow what it does.
func systemPrincipal(p identity.Principal, sc *Script) identity.Principal {
	roles := append([]string{identity.AdminRole}, p.Roles...)
	p.Roles = roles
	if p.UserID == "" {
		p.UserID = sc.UpdatedBy
	}
	return p
}

// host gives scripts the record service as ctx.records, with the context
// (so the principal and the hook depth) of the run.
type host struct{ r *records.Service }

func (h host) Get(ctx context.Context, object, id string) (map[string]any, error) {
	rec, err := h.r.Get(ctx, object, id, records.GetOptions{})
	if err != nil {
		return nil, err
	}
	return rec.Data, nil
}

func (h host) Query(ctx context.Context, object string, q jsvm.Query) (jsvm.QueryResult, error) {
	page, err := h.r.List(ctx, object, records.ListOptions{Filter: q.Filter, Sort: q.Sort, Limit: q.Limit,
		Cursor: q.Cursor, Fields: strings.Join(q.Fields, ",")})
	if err != nil {
		return jsvm.QueryResult{}, err
	}
	out := jsvm.QueryResult{Items: make([]map[string]any, len(page.Items))}
	for i, r := range page.Items {
		out.Items[i] = r.Data
	}
	if page.NextCursor != nil {
		out.NextCursor = *page.NextCursor
	}
	return out, nil
}

func (h host) Create(ctx context.Context, object string, record map[string]any) (map[string]any, error) {
	rec, err := h.r.Create(ctx, object, record)
	if err != nil {
		return nil, err
	}
	return rec.Data, nil
}

func (h host) Update(ctx context.Context, object, id string, patch map[string]any) (map[string]any, error) {
	rec, err := h.r.Update(ctx, object, id, patch, 0)
	if err != nil {
		return nil, err
	}
	return rec.Data, nil
}

func (h host) Delete(ctx context.Context, object, id string) error {
	return h.r.Delete(ctx, object, id, 0)
}

func (h host) Aggregate(ctx context.Context, object string, a jsvm.Aggregate) ([]map[string]any, error) {
	req := records.AggregateRequest{Filter: a.Filter}
	for _, g := range a.GroupBy {
		req.GroupBy = append(req.GroupBy, records.GroupKey{Field: g.Field, By: g.By})
	}
	for _, m := range a.Measures {
		req.Measures = append(req.Measures, records.MeasureIn{Op: m.Op, Field: m.Field})
	}
	return h.r.Aggregate(ctx, object, req)
}
