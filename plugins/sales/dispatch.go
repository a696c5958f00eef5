package sales

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
)

// Automatic dispatch hands the open leads of the public pool (new ones,
// released ones and those the recycle workflows returned) to reps. Each
// pass, run by the tick job (automation.go) or by a manager through
// POST /sales/dispatch, takes the pooled leads best score first and for
// each one:
//
//  1. picks a target: the first rule whose region, industry and source
//     lists all hold the lead's values (an empty list holds any value)
//     names a team or a user; else the default team; else the lead stays;
//  2. gates a team: the lead must have the team's required fields filled
//     and a score of at least the team's minimum, else it stays in the
//     pool with the reason in its dispatchNote;
//  3. picks a member: the team's users and the active users of its role,
//     without the lead's last owner when anybody else can take it (a lead
//     the 24 h rule returned goes to someone new), without those at the
//     claim cap; "roundRobin" rotates through them with a counter in the
//     store that every node shares; "bestToBest" ranks them by their
//     recent conversion rate and splits them into tiers by the scoreTiers
//     thresholds, so the leads above the highest threshold rotate among
//     the best reps;
//  4. assigns the lead as a claim does (owner, private, assignedAt, so the
//     24 h and 15-day workflows start) and stamps dispatchedAt.
//
// Outside the business hours nothing is dispatched: the tick waits for
// the next opening.

// Dispatch strategies.
const (
	RoundRobin = "roundRobin"
	BestToBest = "bestToBest"
)

// Dispatch configures automatic dispatch.
type Dispatch struct {
	Enabled bool `json:"enabled"`
	// Strategy is roundRobin (default) or bestToBest.
	Strategy string `json:"strategy"`
	// Teams are the groups leads are dispatched to.
	Teams []Team `json:"teams"`
	// Rules are tried in order; the first that matches picks the target.
	Rules []Rule `json:"rules"`
	// DefaultTeam takes the leads no rule matches ("" leaves them in the
	// pool).
	DefaultTeam string `json:"defaultTeam,omitempty"`
	// IntervalSeconds is how often the tick runs a pass (default 60, at
	// least 10).
	IntervalSeconds int `json:"intervalSeconds"`
	// WindowDays is how far back bestToBest looks at conversion rates
	// (default 90).
	WindowDays int `json:"windowDays"`
	// ScoreTiers are bestToBest's descending score thresholds (default
	// [70]: leads scoring 70 and more go to the better half of the team).
	ScoreTiers []int `json:"scoreTiers"`
}

// Team is a group of reps that leads are dispatched to.
type Team struct {
	Name string `json:"name"`
	// Role adds every active user with this role; Users adds users by id.
	Role  string   `json:"role,omitempty"`
	Users []string `json:"users,omitempty"`
	// RequiredFields must be filled and MinScore reached before a lead is
	// dispatched to the team.
	RequiredFields []string `json:"requiredFields,omitempty"`
	MinScore       int      `json:"minScore,omitempty"`
}

// Rule picks a team or a user for the leads it matches.
type Rule struct {
	Name     string   `json:"name"`
	Region   []string `json:"region,omitempty"`
	Industry []string `json:"industry,omitempty"`
	Source   []string `json:"source,omitempty"`
	Team     string   `json:"team,omitempty"`
	User     string   `json:"user,omitempty"`
}

func (d Dispatch) withDefaults() Dispatch {
	if d.Strategy == "" {
		d.Strategy = RoundRobin
	}
	if d.IntervalSeconds == 0 {
		d.IntervalSeconds = 60
	}
	if d.WindowDays == 0 {
		d.WindowDays = 90
	}
	if d.ScoreTiers == nil {
		d.ScoreTiers = []int{70}
	}
	if d.Teams == nil {
		d.Teams = []Team{}
	}
	if d.Rules == nil {
		d.Rules = []Rule{}
	}
	return d
}

func (d Dispatch) validate() []errs.FieldError {
	var p []errs.FieldError
	bad := func(field, code, msg string) { p = append(p, errs.FieldError{Field: field, Code: code, Message: msg}) }
	if d.Strategy != RoundRobin && d.Strategy != BestToBest {
		bad("dispatch.strategy", "enum", "must be roundRobin or bestToBest")
	}
	if d.IntervalSeconds < 10 {
		bad("dispatch.intervalSeconds", "minimum", "at least 10")
	}
	if d.WindowDays < 1 {
		bad("dispatch.windowDays", "minimum", "at least 1")
	}
	if !slices.IsSortedFunc(d.ScoreTiers, func(a, b int) int { return b - a }) {
		bad("dispatch.scoreTiers", "order", "thresholds go from the highest down")
	}
	teams := map[string]bool{}
	for i, t := range d.Teams {
		f := fmt.Sprintf("dispatch.teams[%d]", i)
		if t.Name == "" || teams[t.Name] {
			bad(f+".name", "required", "each team needs its own name")
		}
		teams[t.Name] = true
		if t.Role == "" && len(t.Users) == 0 {
			bad(f, "required", "a team needs a role or users")
		}
		if t.MinScore < 0 || t.MinScore > 100 {
			bad(f+".minScore", "range", "0 to 100")
		}
	}
	for i, r := range d.Rules {
		f := fmt.Sprintf("dispatch.rules[%d]", i)
		if (r.Team == "") == (r.User == "") {
			bad(f, "target", "a rule names a team or a user")
		}
		if r.Team != "" && !teams[r.Team] {
			bad(f+".team", "unknown", "no team named "+r.Team)
		}
	}
	if d.DefaultTeam != "" && !teams[d.DefaultTeam] {
		bad("dispatch.defaultTeam", "unknown", "no team named "+d.DefaultTeam)
	}
	return p
}

func (r Rule) matches(lead map[string]any) bool {
	for _, c := range []struct {
		field string
		in    []string
	}{{"region", r.Region}, {"industry", r.Industry}, {"source", r.Source}} {
		if len(c.in) > 0 && !slices.Contains(c.in, str(lead, c.field)) {
			return false
		}
	}
	return true
}

// Dispatched is one lead a pass assigned.
type Dispatched struct {
	Lead string `json:"lead"`
	User string `json:"user"`
	Team string `json:"team,omitempty"`
	Rule string `json:"rule,omitempty"`
}

// Held is one lead a pass left in the pool, and why.
type Held struct {
	Lead   string `json:"lead"`
	Reason string `json:"reason"`
}

// DispatchResult is what one pass did.
type DispatchResult struct {
	Dispatched []Dispatched `json:"dispatched"`
	Held       []Held       `json:"held"`
	// NextOpen is set when the pass ran outside the business hours and
	// dispatched nothing: when it will.
	NextOpen string `json:"nextOpen,omitempty"`
}

// passLimit bounds the leads one pass looks at; the next pass takes the
// rest.
const passLimit = 500

// RunDispatch runs one dispatch pass now for the caller's tenant; only
// admins and the manager roles may.
func (s *Service) RunDispatch(ctx context.Context) (*DispatchResult, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	set, err := s.settings(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && !slices.ContainsFunc(p.Roles, func(r string) bool { return slices.Contains(set.ManagerRoles, r) }) {
		return nil, errs.New(errs.Forbidden, "sales.dispatch_forbidden", "only sales managers run a dispatch")
	}
	if !set.Dispatch.Enabled {
		return nil, errs.New(errs.Conflict, "sales.dispatch_disabled", "automatic dispatch is off in the sales settings")
	}
	return s.dispatch(system(ctx, p), p.TenantID, set)
}

// pass is the state of one dispatch pass.
type pass struct {
	s      *Service
	ctx    context.Context
	tenant string
	set    Settings
	users  []identity.User
	open   map[string]int64   // open private leads per user, counted once
	rates  map[string]float64 // recent conversion rate per user (bestToBest)
	teams  map[string]Team
}

// dispatch runs a pass acting with ctx's principal (the system's rights).
func (s *Service) dispatch(ctx context.Context, tenant string, set Settings) (*DispatchResult, error) {
	out := &DispatchResult{Dispatched: []Dispatched{}, Held: []Held{}}
	now := s.now()
	if open := set.BusinessHours.NextOpen(now); !open.Equal(now) {
		out.NextOpen = clock.Stamp(open)
		return out, nil
	}
	if s.auto.Users == nil {
		return nil, errs.New(errs.Internal, "sales.no_automation", "this node runs no sales automation")
	}
	users, err := s.auto.Users.ListUsers(ctx, tenant)
	if err != nil {
		return nil, err
	}
	ps := &pass{s: s, ctx: ctx, tenant: tenant, set: set, users: users, open: map[string]int64{}, teams: map[string]Team{}}
	for _, t := range set.Dispatch.Teams {
		ps.teams[t.Name] = t
	}
	opt := records.ListOptions{Filter: "poolStatus = 'public' AND stage IN ('uql', 'mql', 'sql')", Sort: "-score,createdAt", Limit: 100}
	seen := 0
	for seen < passLimit {
		page, err := s.recs.List(ctx, "lead", opt)
		if err != nil {
			return nil, err
		}
		for _, l := range page.Items {
			seen++
			d, reason, err := ps.one(l)
			if err != nil {
				return nil, err
			}
			if d != nil {
				out.Dispatched = append(out.Dispatched, *d)
			} else if reason != "" {
				out.Held = append(out.Held, Held{Lead: l.ID, Reason: reason})
			}
		}
		if page.NextCursor == nil {
			break
		}
		opt.Cursor = *page.NextCursor
	}
	return out, nil
}

// one dispatches one lead, or returns why it stays ("" for a lost race).
func (ps *pass) one(l *records.Record) (*Dispatched, string, error) {
	var rule *Rule
	for i := range ps.set.Dispatch.Rules {
		if ps.set.Dispatch.Rules[i].matches(l.Data) {
			rule = &ps.set.Dispatch.Rules[i]
			break
		}
	}
	d := &Dispatched{Lead: l.ID}
	var members []string
	var team Team
	switch {
	case rule != nil && rule.User != "":
		d.Rule, members = rule.Name, []string{rule.User}
	case rule != nil:
		d.Rule, team = rule.Name, ps.teams[rule.Team]
	case ps.set.Dispatch.DefaultTeam != "":
		team = ps.teams[ps.set.Dispatch.DefaultTeam]
	default:
		return nil, ps.hold(l, "no dispatch rule matches and there is no default team"), nil
	}
	if team.Name != "" {
		d.Team = team.Name
		if why := gate(team, l.Data); why != "" {
			return nil, ps.hold(l, why), nil
		}
		members = ps.members(team)
	}
	user, why, err := ps.pick(team, members, l)
	if err != nil {
		return nil, "", err
	}
	if user == "" {
		return nil, ps.hold(l, why), nil
	}
	now := clock.Stamp(ps.s.now())
	err = ps.s.take(ps.ctx, l.ID, user, true, map[string]any{"dispatchedAt": now, "dispatchNote": nil})
	switch {
	case errs.CodeOf(err) == "lead.not_in_pool":
		return nil, "", nil // claimed meanwhile
	case err != nil:
		return nil, "", err
	}
	ps.open[user]++
	d.User = user
	return d, "", nil
}

// gate returns why a lead may not go to the team yet, or "".
func gate(t Team, lead map[string]any) string {
	var missing []string
	for _, f := range t.RequiredFields {
		if v, ok := lead[f]; !ok || v == nil || v == "" {
			missing = append(missing, f)
		}
	}
	var why []string
	if len(missing) > 0 {
		why = append(why, "missing "+strings.Join(missing, ", "))
	}
	if score := number(lead["score"]); score < float64(t.MinScore) {
		why = append(why, fmt.Sprintf("score %v below %d", score, t.MinScore))
	}
	if len(why) == 0 {
		return ""
	}
	return "held for team " + t.Name + ": " + strings.Join(why, "; ")
}

// hold records why the lead stays in the pool (once: an unchanged reason
// is not written again) and returns it.
func (ps *pass) hold(l *records.Record, why string) string {
	if str(l.Data, "dispatchNote") != why {
		// Best effort: the reason is also in the pass's result.
		_, _ = ps.s.recs.Update(ps.ctx, "lead", l.ID, map[string]any{"dispatchNote": why}, l.Version)
	}
	return why
}

// members are the team's users and the active users of its role, by id.
func (ps *pass) members(t Team) []string {
	set := map[string]bool{}
	for _, u := range t.Users {
		set[u] = true
	}
	for _, u := range ps.users {
		if t.Role != "" && slices.Contains(u.Roles, t.Role) {
			set[u.ID] = true
		}
	}
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// eligible filters members down to active users below the claim cap,
// leaving out the lead's last owner unless nobody else is left.
func (ps *pass) eligible(members []string, lastOwner string) ([]string, string, error) {
	active := map[string]bool{}
	for _, u := range ps.users {
		active[u.ID] = u.Active
	}
	var ok []string
	for _, u := range members {
		if !active[u] {
			continue
		}
		n, seen := ps.open[u]
		if !seen {
			var err error
			if n, err = ps.s.openLeads(ps.ctx, u); err != nil {
				return nil, "", err
			}
			ps.open[u] = n
		}
		if n < int64(ps.set.ClaimCap) {
			ok = append(ok, u)
		}
	}
	if len(ok) == 0 {
		if len(members) == 0 {
			return nil, "the team has no members", nil
		}
		return nil, fmt.Sprintf("every member is inactive or holds the claim cap of %d open leads", ps.set.ClaimCap), nil
	}
	if others := slices.DeleteFunc(slices.Clone(ok), func(u string) bool { return u == lastOwner }); len(others) > 0 {
		ok = others
	}
	return ok, "", nil
}

// pick chooses the member for the lead.
func (ps *pass) pick(t Team, members []string, l *records.Record) (string, string, error) {
	ok, why, err := ps.eligible(members, str(l.Data, "owner"))
	if err != nil || len(ok) == 0 {
		return "", why, err
	}
	counter := "sales_rr_" + t.Name
	if t.Name != "" && ps.set.Dispatch.Strategy == BestToBest {
		tier, err := ps.tier(ok, number(l.Data["score"]))
		if err != nil {
			return "", "", err
		}
		ok = tier.members
		counter = fmt.Sprintf("%s_tier%d", counter, tier.n)
	}
	if len(ok) == 1 {
		return ok[0], "", nil
	}
	seq, err := ps.s.st.NextSequence(ps.ctx, ps.tenant, counter)
	if err != nil {
		return "", "", fmt.Errorf("sales: dispatch counter: %w", err)
	}
	return ok[int(seq-1)%len(ok)], "", nil
}

type tier struct {
	n       int
	members []string
}

// tier ranks the eligible reps by recent conversion rate (best first, then
// by id), splits them evenly into one tier per score band, and returns the
// band of the score (the nearest non-empty one).
func (ps *pass) tier(ok []string, score float64) (tier, error) {
	if ps.rates == nil {
		rates, err := ps.s.conversionRates(ps.ctx, ps.set.Dispatch.WindowDays)
		if err != nil {
			return tier{}, err
		}
		ps.rates = rates
	}
	ranked := slices.Clone(ok)
	sort.SliceStable(ranked, func(i, j int) bool {
		a, b := ps.rates[ranked[i]], ps.rates[ranked[j]]
		if a != b {
			return a > b
		}
		return ranked[i] < ranked[j]
	})
	bands := len(ps.set.Dispatch.ScoreTiers) + 1
	want := bands - 1
	for i, th := range ps.set.Dispatch.ScoreTiers {
		if score >= float64(th) {
			want = i
			break
		}
	}
	byBand := make([][]string, bands)
	for i, u := range ranked {
		b := i * bands / len(ranked)
		byBand[b] = append(byBand[b], u)
	}
	for d := 0; d < bands; d++ {
		for _, b := range []int{want + d, want - d} {
			if b >= 0 && b < bands && len(byBand[b]) > 0 {
				return tier{n: b, members: byBand[b]}, nil
			}
		}
	}
	return tier{members: ranked}, nil
}

// conversionRates is each owner's share of converted leads among the
// leads created in the window that were closed (converted or
// disqualified).
func (s *Service) conversionRates(ctx context.Context, days int) (map[string]float64, error) {
	since := s.now().Add(-time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)
	rows, err := s.recs.Aggregate(ctx, "lead", records.AggregateRequest{
		Filter:   "stage IN ('converted', 'disqualified') AND createdAt >= " + since,
		GroupBy:  []records.GroupKey{{Field: "owner"}, {Field: "stage"}},
		Measures: []records.MeasureIn{{Op: "count"}}})
	if err != nil {
		return nil, err
	}
	won, closed := map[string]int64{}, map[string]int64{}
	for _, r := range rows {
		o, n := key(r, "owner"), count(r)
		closed[o] += n
		if key(r, "stage") == "converted" {
			won[o] += n
		}
	}
	out := map[string]float64{}
	for o, n := range closed {
		out[o] = float64(won[o]) / float64(n)
	}
	return out, nil
}
