package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencrm/crm/objects/formula"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
)

// Hook returns the records.Hook that records every record change as an
// outbox event. Register it with records.WithHooks.
func (s *Service) Hook() records.Hook { return hook{s} }

type hook struct{ s *Service }

// Before implements records.Hook; workflows act after the write.
func (hook) Before(context.Context, *records.Event) error { return nil }

// After implements records.Hook; the event is recorded by InTx.
func (hook) After(context.Context, *records.Event) error { return nil }

// InTx implements records.TxHook: it enqueues the event in the write's own
// transaction, so the record and its event commit together (a crash cannot
// keep one without the other on a store with transactions). Its key
// (object, record id, version, operation) makes a repeated call a no-op.
// Tenants without a workflow on the object get no event.
func (h hook) InTx(ctx context.Context, ev *records.Event) error {
	s := h.s
	defs, err := s.active(ctx, ev.Tenant)
	if err != nil {
		return err
	}
	wanted := false
	for _, w := range defs {
		if w.Object == ev.Object.APIName && s.wants(w, ev) {
			wanted = true
			break
		}
	}
	if !wanted {
		return nil
	}
	rec := ev.Record
	recID, _ := rec["id"].(string)
	version, _ := store.NormalizeValue(rec["version"]).(int64)
	payload := map[string]any{"op": string(ev.Op), "object": ev.Object.APIName, "recordId": recID,
		"chain": int64(chain(ctx)), "by": ev.Principal.UserID}
	if payload["record"], err = plain(rec); err != nil {
		return err
	}
	if ev.Old != nil {
		if payload["old"], err = plain(ev.Old); err != nil {
			return err
		}
	}
	key := fmt.Sprintf("%s:%s:%d:%s", ev.Object.APIName, recID, version, ev.Op)
	if _, _, err := s.jobs.Enqueue(ctx, ev.Tenant, jobs.Spec{Kind: KindEvent, Key: key, Payload: payload}); err != nil {
		return fmt.Errorf("workflows: record the %s event of %s %s: %w", ev.Op, ev.Object.APIName, recID, err)
	}
	return nil
}

// plain turns an API-form record into store document values: a deep copy
// of its maps and lists (the payload must not share them with the caller),
// with any value of another Go type turned into its JSON form.
func plain(m map[string]any) (map[string]any, error) {
	v, err := plainValue(m)
	if err != nil {
		return nil, fmt.Errorf("workflows: encode record: %w", err)
	}
	out, _ := v.(map[string]any)
	return out, nil
}

func plainValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, float64, int64, int:
		return v, nil
	case map[string]any:
		if v == nil {
			return nil, nil
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			c, err := plainValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		if v == nil {
			return nil, nil
		}
		out := make([]any, len(v))
		for i, e := range v {
			c, err := plainValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(raw, &out)
	return out, err
}

// dispatch runs for one outbox event: it enqueues a run of each matching
// record-triggered workflow and keeps the record's timers in step.
func (s *Service) dispatch(ctx context.Context, j *jobs.Job) error {
	p := j.Payload
	object, op, recID := str(p, "object"), str(p, "op"), str(p, "recordId")
	rec, _ := p["record"].(map[string]any)
	old, _ := p["old"].(map[string]any)
	depth := int(num(p, "chain"))
	defs, err := s.active(ctx, j.Tenant)
	if err != nil {
		return err
	}
	for _, w := range defs {
		if w.Object != object {
			continue
		}
		if w.Trigger.Type == OnTime {
			if err := s.syncTimer(ctx, j.Tenant, w, recID); err != nil {
				return err
			}
			continue
		}
		if !w.matches(op, rec, old) {
			continue
		}
		subject := rec
		if op == string(records.OpDelete) {
			subject = old
		}
		ok, err := s.holds(w, subject)
		if err != nil {
			s.cfg.Log.Warn("workflows: condition failed", "tenant", j.Tenant, "workflow", w.Name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		if depth >= s.cfg.MaxChain {
			s.cfg.Log.Warn("workflows: chain too long", "tenant", j.Tenant, "workflow", w.Name, "record", recID)
			continue
		}
		_, _, err = s.jobs.Enqueue(ctx, j.Tenant, jobs.Spec{Kind: KindRun, Key: j.ID + ":" + w.Name, Payload: map[string]any{
			"workflow": w.Name, "version": w.Version, "trigger": op, "object": object, "recordId": recID,
			"record": subject, "old": old, "chain": int64(depth + 1)}})
		if err != nil {
			return err
		}
	}
	return nil
}

// wants reports whether a workflow may act on a write, so that writes no
// workflow cares about leave no outbox event. A record trigger wants the
// writes it matches. A time trigger wants every delete and restore; a
// create when the record has the trigger field and meets the condition
// (otherwise no timer is due and none exists yet); an update that changes
// the trigger field or a field of the condition (otherwise its timer, or
// the lack of one, stays right).
func (s *Service) wants(w *compiled, ev *records.Event) bool {
	switch w.Trigger.Type {
	case OnSchedule:
		return false
	case OnTime:
		switch ev.Op {
		case records.OpCreate:
			if ev.Record[w.Trigger.Field] == nil {
				return false
			}
			ok, err := s.holds(w, ev.Record)
			return ok || err != nil
		case records.OpUpdate:
			if !sameJSON(ev.Record[w.Trigger.Field], ev.Old[w.Trigger.Field]) {
				return true
			}
			if w.cond != nil {
				for _, f := range w.cond.Fields() {
					if !sameJSON(ev.Record[f], ev.Old[f]) {
						return true
					}
				}
			}
			return false
		}
		return true
	}
	return w.matches(string(ev.Op), ev.Record, ev.Old)
}

// matches reports whether an event fires a record trigger.
func (w *compiled) matches(op string, rec, old map[string]any) bool {
	switch w.Trigger.Type {
	case OnCreated:
		return op == string(records.OpCreate) || op == string(records.OpRestore)
	case OnDeleted:
		return op == string(records.OpDelete)
	case OnUpdated:
		if op != string(records.OpUpdate) {
			return false
		}
		if len(w.Trigger.Fields) == 0 {
			return true
		}
		for _, f := range w.Trigger.Fields {
			if !sameJSON(rec[f], old[f]) {
				return true
			}
		}
	}
	return false
}

func sameJSON(a, b any) bool {
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	return string(ra) == string(rb)
}

// holds evaluates the workflow's condition on a record.
func (s *Service) holds(w *compiled, rec map[string]any) (bool, error) {
	if w.cond == nil {
		return true, nil
	}
	return w.cond.EvalBool(&formula.MapEnv{Values: rec, Clock: s.clock.Now})
}

func timerGroup(w *compiled, recID string) string { return "timer:" + w.Name + ":" + recID }

// syncTimer makes the record's timer of a time-triggered workflow match the
// record as stored now: scheduled (at field + offset) while the record
// qualifies, cancelled otherwise. It reads the current record rather than
// the event, so events handled in any order converge; a timer scheduled
// from a newer version than the one read is never cancelled.
func (s *Service) syncTimer(ctx context.Context, tenant string, w *compiled, recID string) error {
	p, err := s.principal(ctx, tenant, w)
	if err != nil {
		return err
	}
	var rec map[string]any
	var version int64
	r, err := s.recs.Get(identity.WithPrincipal(ctx, p), w.Object, recID, records.GetOptions{})
	switch {
	case err == nil:
		rec, version = r.Data, r.Version
	case errs.KindOf(err) == errs.NotFound:
		version = 1 << 62 // gone: cancel every timer
	default:
		return err
	}
	keep := ""
	if rec != nil {
		value, _ := rec[w.Trigger.Field].(string)
		ok, cerr := s.holds(w, rec)
		if cerr != nil {
			s.cfg.Log.Warn("workflows: condition failed", "tenant", tenant, "workflow", w.Name, "err", cerr)
		}
		if due, derr := parseWhen(value); value != "" && ok && derr == nil {
			// A timer with this value that was cancelled (the record stopped
			// qualifying, then qualified again) is re-armed under a key
			// derived from it, so concurrent dispatchers agree.
			key := fmt.Sprintf("%s:%d:%s:%s", w.Name, w.Version, recID, value)
			for range 20 {
				j, _, err := s.jobs.Enqueue(ctx, tenant, jobs.Spec{Kind: KindTimer, Group: timerGroup(w, recID), Key: key,
					RunAt: due.Add(w.offset), Payload: map[string]any{"workflow": w.Name, "recordId": recID,
						"value": value, "recVersion": version}})
				if err != nil {
					return err
				}
				keep = j.ID
				if j.State != jobs.Cancelled {
					break
				}
				key += "#" + j.ID
			}
		}
	}
	queued, err := s.jobs.List(ctx, tenant, jobs.ListOptions{State: jobs.Queued, Kind: KindTimer, Group: timerGroup(w, recID)})
	if err != nil {
		return err
	}
	for _, q := range queued {
		if q.ID == keep || num(q.Payload, "recVersion") > version {
			continue
		}
		if _, err := s.jobs.Cancel(ctx, tenant, q.ID); err != nil && errs.KindOf(err) != errs.Conflict {
			return err
		}
	}
	return nil
}

// parseWhen reads a date ("2026-03-01", midnight UTC) or datetime value.
func parseWhen(v string) (time.Time, error) {
	if len(v) == len("2006-01-02") {
		return time.Parse("2006-01-02", v)
	}
	return clock.ParseStamp(v)
}

// timerJob runs a time-triggered workflow when its timer is due, after
// checking that the record still qualifies with the same field value.
func (s *Service) timerJob(ctx context.Context, j *jobs.Job) error {
	defs, err := s.active(ctx, j.Tenant)
	if err != nil {
		return err
	}
	w := defs[str(j.Payload, "workflow")]
	if w == nil || w.Trigger.Type != OnTime {
		return nil // deleted or deactivated since
	}
	p, err := s.principal(ctx, j.Tenant, w)
	if err != nil {
		return err
	}
	recID := str(j.Payload, "recordId")
	r, err := s.recs.Get(identity.WithPrincipal(ctx, p), w.Object, recID, records.GetOptions{})
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if v, _ := r.Data[w.Trigger.Field].(string); v != str(j.Payload, "value") {
		return nil // rescheduled: another timer carries the new value
	}
	if ok, err := s.holds(w, r.Data); err != nil || !ok {
		return nil
	}
	return s.run(ctx, j, w, runInput{trigger: OnTime, object: w.Object, recID: recID, record: r.Data, chain: 1})
}

// backfillJob schedules the timers of the records that exist when a time
// workflow is saved, a page at a time.
func (s *Service) backfillJob(ctx context.Context, j *jobs.Job) error {
	defs, err := s.active(ctx, j.Tenant)
	if err != nil {
		return err
	}
	w := defs[str(j.Payload, "workflow")]
	if w == nil || w.Version != num(j.Payload, "version") {
		return nil
	}
	q := store.Query{Filter: store.Null{Field: w.Trigger.Field, Not: true}, Limit: 200, Fields: []string{"id"}}
	for {
		page, err := s.st.Find(ctx, j.Tenant, w.Object, q)
		if err != nil {
			return err
		}
		for _, d := range page.Items {
			if err := s.syncTimer(ctx, j.Tenant, w, str(d, "id")); err != nil {
				return err
			}
		}
		if page.Next == nil {
			return nil
		}
		q.After = page.Next
	}
}

// enqueueCron enqueues a schedule's next run after t.
func (s *Service) enqueueCron(ctx context.Context, tenant string, w *compiled, after time.Time) error {
	set, err := s.Settings(ctx, tenant)
	if err != nil {
		return err
	}
	next := w.cron.Next(after, set.location())
	if next.IsZero() {
		return nil
	}
	_, _, err = s.jobs.Enqueue(ctx, tenant, jobs.Spec{Kind: KindCron, RunAt: next,
		Key:     fmt.Sprintf("%s:%d:%s", w.Name, w.Version, clock.Stamp(next)),
		Payload: map[string]any{"workflow": w.Name, "version": w.Version, "at": clock.Stamp(next)}})
	return err
}

// cronJob runs a scheduled workflow and enqueues its next run. A newer
// version of the workflow has enqueued its own, so an old one stops here.
func (s *Service) cronJob(ctx context.Context, j *jobs.Job) error {
	defs, err := s.active(ctx, j.Tenant)
	if err != nil {
		return err
	}
	w := defs[str(j.Payload, "workflow")]
	if w == nil || w.Trigger.Type != OnSchedule || w.Version != num(j.Payload, "version") {
		return nil
	}
	at, err := clock.ParseStamp(str(j.Payload, "at"))
	if err != nil {
		return jobs.Permanent(err)
	}
	if err := s.enqueueCron(ctx, j.Tenant, w, at); err != nil {
		return err
	}
	return s.run(ctx, j, w, runInput{trigger: OnSchedule, object: w.Object, chain: 1})
}

// runJob runs one workflow for one event.
func (s *Service) runJob(ctx context.Context, j *jobs.Job) error {
	defs, err := s.active(ctx, j.Tenant)
	if err != nil {
		return err
	}
	w := defs[str(j.Payload, "workflow")]
	if w == nil {
		return nil
	}
	rec, _ := j.Payload["record"].(map[string]any)
	old, _ := j.Payload["old"].(map[string]any)
	return s.run(ctx, j, w, runInput{trigger: str(j.Payload, "trigger"), object: str(j.Payload, "object"),
		recID: str(j.Payload, "recordId"), record: rec, old: old, chain: int(num(j.Payload, "chain"))})
}
