package sales

import (
	"context"
	"fmt"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/jobs"
)

// The nurture cadence. A lead enters nurture when its "nurture" box is
// ticked (by a rep, an import or a workflow, at any stage but converted).
// The next tick notices it, stamps nurtureStartedAt and queues one touch
// job per touch of the settings, due Day days after that stamp; each makes
// a task for the lead's owner, due that day ("Nurture day 3: product").
// Clearing the box ends the cadence: the next tick clears nurtureStartedAt
// and cancels the touches not made yet; ticking it again later starts a
// new cadence. A touch's task carries an automationKey made of the lead,
// the cadence's start and the day, and that key is unique, so a retried or
// overlapping job never makes a second task.

// nurtureScan starts the cadences of leads that entered nurture and ends
// those of leads that left it.
func (s *Service) nurtureScan(ctx context.Context, tenant string, set Settings) error {
	start := records.ListOptions{Filter: "nurture = true AND nurtureStartedAt IS NULL AND stage != 'converted'", Limit: 200}
	for {
		page, err := s.recs.List(ctx, "lead", start)
		if err != nil {
			return err
		}
		for _, l := range page.Items {
			if err := s.startCadence(ctx, tenant, set, l); err != nil {
				return err
			}
		}
		if page.NextCursor == nil {
			break
		}
		start.Cursor = *page.NextCursor
	}
	stop := records.ListOptions{Filter: "(nurture = false OR nurture IS NULL) AND nurtureStartedAt IS NOT NULL", Limit: 200}
	for {
		page, err := s.recs.List(ctx, "lead", stop)
		if err != nil {
			return err
		}
		for _, l := range page.Items {
			if _, err := s.auto.Jobs.CancelGroup(ctx, tenant, "nurture:"+l.ID, ""); err != nil {
				return err
			}
			if _, err := s.recs.Update(ctx, "lead", l.ID, map[string]any{"nurtureStartedAt": nil}, l.Version); err != nil && errs.KindOf(err) != errs.Stale {
				return err
			}
		}
		if page.NextCursor == nil {
			break
		}
		stop.Cursor = *page.NextCursor
	}
	return nil
}

// startCadence stamps the lead's start (with a version check: of two ticks
// one starts it) and queues its touches, keyed so that queueing twice adds
// nothing.
func (s *Service) startCadence(ctx context.Context, tenant string, set Settings, l *records.Record) error {
	started := s.now()
	saved, err := s.recs.Update(ctx, "lead", l.ID, map[string]any{"nurtureStartedAt": clock.Stamp(started)}, l.Version)
	if err != nil {
		if errs.KindOf(err) == errs.Stale {
			return nil
		}
		return err
	}
	stamp := str(saved.Data, "nurtureStartedAt") // as stored: the touches compare it
	for _, t := range set.Nurture.Touches {
		key := fmt.Sprintf("nurture:%s:%s:%d", l.ID, stamp, t.Day)
		_, _, err := s.auto.Jobs.Enqueue(ctx, tenant, jobs.Spec{Kind: KindTouch, Key: key, Group: "nurture:" + l.ID,
			RunAt:   started.Add(time.Duration(t.Day) * 24 * time.Hour),
			Payload: map[string]any{"lead": l.ID, "startedAt": stamp, "day": int64(t.Day), "topic": t.Topic}})
		if err != nil {
			return err
		}
	}
	return nil
}

// touchJob makes one touch's task, unless the lead left that cadence.
func (s *Service) touchJob(ctx context.Context, j *jobs.Job) error {
	set, err := s.settings(ctx, j.Tenant)
	if err != nil {
		return err
	}
	actx, err := s.runAs(ctx, j.Tenant, set)
	if err != nil {
		return err
	}
	leadID, _ := j.Payload["lead"].(string)
	started, _ := j.Payload["startedAt"].(string)
	topic, _ := j.Payload["topic"].(string)
	day := int(number(j.Payload["day"]))
	lead, err := s.recs.Get(actx, "lead", leadID, records.GetOptions{})
	if errs.KindOf(err) == errs.NotFound {
		return nil // deleted (or merged away)
	}
	if err != nil {
		return err
	}
	if lead.Data["nurture"] != true || str(lead.Data, "nurtureStartedAt") != started {
		return nil // left this cadence
	}
	at, err := time.Parse(time.RFC3339Nano, started)
	if err != nil {
		return jobs.Permanent(err)
	}
	due := at.Add(time.Duration(day) * 24 * time.Hour).In(set.BusinessHours.location()).Format(time.DateOnly)
	_, err = s.recs.Create(actx, "task", map[string]any{"owner": str(lead.Data, "owner"), "lead": leadID, "dueDate": due,
		"subject":       fmt.Sprintf("Nurture day %d: %s", day, topic),
		"description":   fmt.Sprintf("Nurture touch for %s: %s.", str(lead.Data, "name"), topic),
		"automationKey": fmt.Sprintf("nurture:%s:%s:%d", leadID, started, day)})
	if errs.CodeOf(err) == "record.duplicate" {
		return nil // made by an earlier attempt
	}
	return err
}
