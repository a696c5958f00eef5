package workflows

import (
	"context"
	"fmt"

	"github.com/opencrm/crm/objects/formula"
	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
)

// assign picks an owner for the record and writes it through the record
// service. The group is the first rule's whose condition holds, else the
// action's users; the rotation starts at a per-action counter in the store
// (so every node continues the same round robin) and skips inactive users
// and users at the cap (MaxOpen records matching OpenFilter, counted by the
// store). Outside the tenant's business hours the run waits for the next
// opening.
func (s *Service) assign(ctx context.Context, tenant string, w *compiled, i int, in runInput) (string, error) {
	a := &w.Actions[i]
	if a.BusinessHours {
		set, err := s.Settings(ctx, tenant)
		if err != nil {
			return "", err
		}
		now := s.clock.Now()
		open := set.BusinessHours.NextOpen(now, set.location())
		if open.IsZero() {
			return "", jobs.Permanent(errs.New(errs.Invalid, "workflow.no_business_hours", "the tenant's business hours have no working day"))
		}
		if open.After(now) {
			return "", jobs.Defer(open)
		}
	}
	group := a.Users
	for k, cond := range w.rules[i] {
		ok, err := cond.EvalBool(&formula.MapEnv{Values: in.record, Clock: s.clock.Now})
		if err == nil && ok {
			group = a.Rules[k].Users
			break
		}
	}
	if len(group) == 0 {
		return "", errs.New(errs.Conflict, "workflow.no_assignee", "no assignment group applies to this record")
	}
	var open store.Filter
	if a.MaxOpen > 0 {
		f, err := query.ParseFilter(a.OpenFilter, metadata.QueryResolver(w.obj))
		if err != nil {
			return "", jobs.Permanent(err)
		}
		open = f
	}
	seq, err := s.st.NextSequence(ctx, tenant, fmt.Sprintf("wf_rr_%s_%d", w.Name, i))
	if err != nil {
		return "", err
	}
	n := len(group)
	for k := range n {
		u := group[(int(seq-1)+k)%n]
		if usr, err := s.users.GetUser(ctx, tenant, u); err != nil || !usr.Active {
			continue
		}
		if a.MaxOpen > 0 {
			f := store.And{store.Eq("owner", u), store.Cmp{Field: "id", Op: store.OpNe, Value: in.recID}}
			if open != nil {
				f = append(f, open)
			}
			c, err := s.st.Count(ctx, tenant, w.Object, f)
			if err != nil {
				return "", err
			}
			if c >= int64(a.MaxOpen) {
				continue
			}
		}
		if _, err := s.recs.Update(ctx, w.Object, in.recID, map[string]any{"owner": u}, 0); err != nil {
			return "", err
		}
		in.record["owner"] = u
		return "assigned to " + u, nil
	}
	// Retried with backoff: records may close and free capacity.
	return "", errs.New(errs.Conflict, "workflow.no_assignee", "every user of the group is inactive or at the cap of %d open records", a.MaxOpen)
}
