package sales

import (
	"context"
	"errors"
	"time"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
)

// The app's automation runs on the platform's durable jobs: a tick
// ("sales.tick") per tenant that, while dispatch or nurture is on, runs a
// dispatch pass within the business hours and starts and stops nurture
// cadences, then queues the next tick (after dispatch.intervalSeconds, or
// at the next opening when only dispatch is on and the office is closed);
// and one job per nurture touch ("sales.touch"), due on its day. Queueing
// a tick cancels the other queued ones, so a tenant has one chain of ticks.

// Job kinds of the sales app.
const (
	KindTick  = "sales.tick"
	KindTouch = "sales.touch"
)

// Jobs queues jobs; *jobs.Service implements it.
type Jobs interface {
	Enqueue(ctx context.Context, tenant string, sp jobs.Spec) (*jobs.Job, bool, error)
	CancelGroup(ctx context.Context, tenant, group, keep string) (int, error)
	List(ctx context.Context, tenant string, opt jobs.ListOptions) ([]*jobs.Job, error)
}

// Users lists a tenant's users; *identity.Service implements it.
type Users interface {
	ListUsers(ctx context.Context, tenant string) ([]identity.User, error)
	GetUser(ctx context.Context, tenant, userID string) (identity.User, error)
}

var (
	_ Jobs  = (*jobs.Service)(nil)
	_ Users = (*identity.Service)(nil)
)

// Automation are the services dispatch and nurture need besides the record
// service. Without them (the zero value) the app still claims, assigns,
// converts and reports, but RunDispatch answers 500 sales.no_automation
// and no tick runs.
type Automation struct {
	Jobs  Jobs
	Users Users
}

// Automate gives the service what its automation needs. Call it once,
// before Register and before serving.
func (s *Service) Automate(a Automation) error {
	if a.Jobs == nil || a.Users == nil {
		return errors.New("sales: automation needs Jobs and Users")
	}
	s.auto = a
	return nil
}

// Register adds the app's job handlers to a runner (before Start).
func (s *Service) Register(r *jobs.Runner) {
	r.Register(KindTick, s.tickJob)
	r.Register(KindTouch, s.touchJob)
}

// startTick queues a tick due now.
func (s *Service) startTick(ctx context.Context, tenant string) error {
	if s.auto.Jobs == nil {
		return nil
	}
	return s.queueTick(ctx, tenant, s.now())
}

// queueTick queues a tick at at and then cancels every queued tick but
// the earliest, so that the tenant has one chain of ticks: saving the
// settings starts a tick now while the chain already running has its next
// one queued (each save used to add a chain that ran forever). Keeping the
// earliest, whoever queued it, is a rule every caller applies alike, so
// concurrent callers agree and a chain is never left without its next
// tick: a tick that started meanwhile queues its own successor.
func (s *Service) queueTick(ctx context.Context, tenant string, at time.Time) error {
	// The key merges ticks queued for the same moment; when a tick of that
	// key already ran or was cancelled, the new one gets a key of its own.
	key := "tick@" + clock.Stamp(at)
	for range 20 {
		j, _, err := s.auto.Jobs.Enqueue(ctx, tenant, jobs.Spec{Kind: KindTick, Key: key, Group: tickGroup, RunAt: at})
		if err != nil {
			return err
		}
		if j.State == jobs.Queued || j.State == jobs.Running {
			break
		}
		key += "#" + j.ID
	}
	queued, err := s.auto.Jobs.List(ctx, tenant, jobs.ListOptions{Kind: KindTick, Group: tickGroup, State: jobs.Queued, Limit: 500})
	if err != nil || len(queued) < 2 {
		return err
	}
	first := queued[0]
	for _, j := range queued[1:] {
		if j.RunAt < first.RunAt || j.RunAt == first.RunAt && j.ID < first.ID {
			first = j
		}
	}
	_, err = s.auto.Jobs.CancelGroup(ctx, tenant, tickGroup, first.ID)
	return err
}

// tickGroup is the job group of a tenant's ticks.
const tickGroup = "sales:tick"

// runAs is the principal the automation acts for: the admin who saved the
// settings, with the admin role (the app decides, not the user's
// sharing), or an error when that user is gone.
func (s *Service) runAs(ctx context.Context, tenant string, set Settings) (context.Context, error) {
	u, err := s.auto.Users.GetUser(ctx, tenant, set.RunAs)
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, jobs.Permanent(errors.New("sales: the automation's user (who last saved the sales settings) is deactivated; an admin must save them again"))
	}
	p := identity.Principal{TenantID: tenant, UserID: u.ID, Email: u.Email, Name: u.Name, Roles: u.Roles, CredentialKind: "system"}
	return system(ctx, p), nil
}

func (s *Service) tickJob(ctx context.Context, j *jobs.Job) error {
	set, err := s.settings(ctx, j.Tenant)
	if err != nil {
		return err
	}
	if !set.Dispatch.Enabled && !set.Nurture.Enabled {
		return nil // off: the chain ends; saving the settings starts it again
	}
	actx, err := s.runAs(ctx, j.Tenant, set)
	if err != nil {
		return err
	}
	now := s.now()
	next := now.Add(time.Duration(set.Dispatch.IntervalSeconds) * time.Second)
	if set.Nurture.Enabled {
		if err := s.nurtureScan(actx, j.Tenant, set); err != nil {
			return err
		}
	}
	if set.Dispatch.Enabled {
		res, err := s.dispatch(actx, j.Tenant, set)
		if err != nil {
			return err
		}
		if res.NextOpen != "" && !set.Nurture.Enabled {
			next = set.BusinessHours.NextOpen(now)
		}
	}
	return s.queueTick(ctx, j.Tenant, next)
}
