package sales

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// The lead pool. A lead is in the public pool when its poolStatus is
// "public", and held by a rep when it is "private". Every record has an
// owner, so a pooled lead keeps its last owner as owner: poolStatus, not
// the owner, says whether anybody holds it (and reawakening tells the last
// owner). Taking a lead (claim, assign) sets the owner, poolStatus
// private, assignedAt and lastActivityAt to now and clears firstContactAt,
// which starts the package's two recycle workflows afresh (24 h to a first
// contact, 15 days without activity); returning it (release, or those
// workflows) sets poolStatus public and clears assignedAt and
// firstContactAt.

// openStages are the stages of a lead still being worked.
var openStages = []string{"uql", "mql", "sql"}

const openFilter = "poolStatus = 'private' AND stage IN ('uql', 'mql', 'sql')"

func isOpen(lead map[string]any) bool { return slices.Contains(openStages, str(lead, "stage")) }

// Claim takes a lead from the public pool for the caller, unless the caller
// holds the tenant's cap of open private leads already. Of two reps
// claiming one lead at the same time one wins; the other gets a 409.
func (s *Service) Claim(ctx context.Context, leadID string) (*records.Record, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	// The caller's own open leads, counted as the caller: this also checks
	// that the caller may read leads at all.
	held, err := s.openLeads(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	set, err := s.settings(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if held >= int64(set.ClaimCap) {
		return nil, errs.New(errs.Conflict, "lead.claim_cap_reached",
			"you hold %d open leads, the most this tenant allows (%d); work or release some first", held, set.ClaimCap)
	}
	if err := s.take(system(ctx, p), leadID, p.UserID, true, nil); err != nil {
		return nil, err
	}
	return s.recs.Get(ctx, "lead", leadID, records.GetOptions{})
}

// Assign gives a lead, pooled or held, to a rep; only admins and the
// tenant's manager roles may. The rep's cap applies as for a claim.
func (s *Service) Assign(ctx context.Context, leadID, user string) (*records.Record, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	set, err := s.settings(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && !slices.ContainsFunc(p.Roles, func(r string) bool { return slices.Contains(set.ManagerRoles, r) }) {
		return nil, errs.New(errs.Forbidden, "lead.assign_forbidden", "only sales managers assign leads; reps claim them from the pool")
	}
	if user == "" {
		return nil, errs.New(errs.Invalid, "lead.assign_invalid", "name the user to assign the lead to").WithField("user", "required", "required")
	}
	held, err := s.openLeads(system(ctx, p), user)
	if err != nil {
		return nil, err
	}
	if held >= int64(set.ClaimCap) {
		return nil, errs.New(errs.Conflict, "lead.claim_cap_reached",
			"that rep holds %d open leads, the most this tenant allows (%d)", held, set.ClaimCap)
	}
	// As the caller: the manager must be allowed to change this lead.
	if err := s.take(ctx, leadID, user, false, nil); err != nil {
		return nil, err
	}
	return s.recs.Get(ctx, "lead", leadID, records.GetOptions{})
}

// take makes user the holder of the lead, writing extra fields with it.
// fromPool requires the lead to be in the pool and refuses a lost race.
func (s *Service) take(ctx context.Context, leadID, user string, fromPool bool, extra map[string]any) error {
	lead, err := s.recs.Get(ctx, "lead", leadID, records.GetOptions{})
	if err != nil {
		return err
	}
	if !isOpen(lead.Data) {
		return errs.New(errs.Conflict, "lead.closed", "the lead is %s; only open leads (UQL, MQL, SQL) are pooled and assigned", str(lead.Data, "stage"))
	}
	if fromPool && str(lead.Data, "poolStatus") != "public" {
		return errs.New(errs.Conflict, "lead.not_in_pool", "the lead is not in the pool: someone holds it")
	}
	now := clock.Stamp(s.now())
	patch := map[string]any{"owner": user, "poolStatus": "private", "assignedAt": now, "lastActivityAt": now, "firstContactAt": nil}
	maps.Copy(patch, extra)
	ifMatch := int64(0)
	if fromPool {
		ifMatch = lead.Version
	}
	if _, err := s.recs.Update(ctx, "lead", leadID, patch, ifMatch); err != nil {
		if errs.KindOf(err) == errs.Stale {
			return errs.New(errs.Conflict, "lead.not_in_pool", "someone else claimed the lead first").WithCause(err)
		}
		return err
	}
	return nil
}

// Release returns a lead the caller may change to the public pool.
func (s *Service) Release(ctx context.Context, leadID string) (*records.Record, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	lead, err := s.recs.Get(ctx, "lead", leadID, records.GetOptions{})
	if err != nil {
		return nil, err
	}
	if str(lead.Data, "poolStatus") != "private" || !isOpen(lead.Data) {
		return nil, errs.New(errs.Conflict, "lead.not_held", "only an open lead that someone holds can be released")
	}
	return s.recs.Update(ctx, "lead", leadID, map[string]any{"poolStatus": "public", "assignedAt": nil, "firstContactAt": nil}, 0)
}

// openLeads counts the open private leads user owns that ctx's principal
// sees.
func (s *Service) openLeads(ctx context.Context, user string) (int64, error) {
	rows, err := s.recs.Aggregate(ctx, "lead", records.AggregateRequest{
		Filter: fmt.Sprintf("owner = %s AND %s", quote(user), openFilter), Measures: []records.MeasureIn{{Op: "count"}}})
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, nil
	}
	n, _ := store.NormalizeValue(rows[0]["count"]).(int64)
	return n, nil
}

// Inquiry is what Inquire did.
type Inquiry struct {
	// Lead is the new lead, or the existing one that inquired again.
	Lead *records.Record `json:"lead"`
	// Reactivated: an existing lead with the same email or phone was found
	// and given back to its last owner.
	Reactivated bool `json:"reactivated"`
	// Task is the follow-up task made for the owner of a reactivated lead.
	Task *records.Record `json:"task,omitempty"`
}

// Inquire takes in a lead from a channel (a web form, an import). When an
// open lead with the same email (or, without an email, the same phone)
// exists already, no duplicate is made: that lead is reawakened instead.
// A pooled one goes back to its last owner as a fresh assignment, a held
// one stays with its holder, and in both cases the owner gets a follow-up
// task due today. Otherwise the lead is created as given.
func (s *Service) Inquire(ctx context.Context, input map[string]any) (*Inquiry, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	sys := system(ctx, p)
	var existing *records.Record
	for _, f := range []string{"email", "phone"} {
		v, _ := input[f].(string)
		if v == "" {
			continue
		}
		page, err := s.recs.List(sys, "lead", records.ListOptions{Filter: fmt.Sprintf("%s = %s AND stage IN ('uql', 'mql', 'sql')", f, quote(v)),
			Sort: "-createdAt", Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Items) > 0 {
			existing = page.Items[0]
			break
		}
	}
	if existing == nil {
		r, err := s.recs.Create(ctx, "lead", input)
		if err != nil {
			return nil, err
		}
		return &Inquiry{Lead: r}, nil
	}
	owner := str(existing.Data, "owner")
	if str(existing.Data, "poolStatus") == "public" {
		if err := s.take(sys, existing.ID, owner, false, nil); err != nil {
			return nil, err
		}
	} else {
		now := clock.Stamp(s.now())
		if _, err := s.recs.Update(sys, "lead", existing.ID, map[string]any{"lastActivityAt": now}, 0); err != nil {
			return nil, err
		}
	}
	source, _ := input["source"].(string)
	task, err := s.recs.Create(sys, "task", map[string]any{"owner": owner, "lead": existing.ID, "priority": "high",
		"subject": "Inquired again: " + str(existing.Data, "name"), "dueDate": s.now().UTC().Format("2006-01-02"),
		"description": "The lead inquired again" + via(source) + "; it is yours again: contact them within 24 hours."})
	if err != nil {
		return nil, err
	}
	lead, err := s.recs.Get(sys, "lead", existing.ID, records.GetOptions{})
	if err != nil {
		return nil, err
	}
	return &Inquiry{Lead: lead, Reactivated: true, Task: task}, nil
}

func via(source string) string {
	if source == "" {
		return ""
	}
	return " via " + source
}

// quote writes s as a string literal of the filter language.
func quote(s string) string {
	return "'" + literalEscaper.Replace(s) + "'"
}

// literalEscaper escapes a filter string literal's backslashes and quotes.
// Built once: building a Replacer allocates about 20 KB, a fifth of a
// seed's allocations when quote built one per call.
var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
