package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/opencrm/crm/platform/identity"
)

// rep is a sales rep with what makes reps differ in the reports: skill
// (multiplies the chance to convert and to win), responsiveness (hours
// from assignment to first contact) and optimism (points added to the
// win probability they type).
type rep struct {
	id, name, email string
	team            int
	skill           float64
	responseHours   float64
	optimism        float64
}

// team is a manager with reps, covering some regions.
type team struct {
	name      string
	managerID string
	regions   []string
	reps      []*rep
}

// org is the sales organisation: a director, team managers under them,
// reps under the managers (the manager chain that record visibility
// follows).
type org struct {
	directorID string
	teams      []*team
	byRegion   map[string][]int // region -> teams covering it
	users      int
}

// teamsFor sizes the organisation to the tenant: two teams of five reps
// for a small demo, one more team per 25,000 leads, at most eight.
func teamsFor(leads int) int { return min(2+leads/25_000, 8) }

const repsPerTeam = 5

// buildOrg creates the users (or finds them by email when the tenant has
// them already) and returns the organisation.
func buildOrg(ctx context.Context, d Deps, cfg Config, tenantID string, r *rand.Rand) (*org, error) {
	existing, err := d.Identity.ListUsers(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	byEmail := map[string]string{}
	for _, u := range existing {
		byEmail[u.Email] = u.ID
	}
	o := &org{byRegion: map[string][]int{}}
	domain := cfg.Tenant + ".test"
	used := map[string]bool{}
	user := func(roles []string, manager string) (string, string, string, error) {
		var p person
		var email string
		for {
			p = newPerson(r)
			email = strings.ToLower(slug(p.given) + "." + slug(p.family) + "@" + domain)
			if !used[email] {
				break
			}
		}
		used[email] = true
		if id, ok := byEmail[email]; ok {
			return id, p.name(), email, nil
		}
		u, err := d.Identity.CreateUser(ctx, tenantID, identity.NewUser{Email: email, Password: cfg.UserPassword,
			Name: p.name(), Roles: roles, Manager: manager})
		if err != nil {
			return "", "", "", fmt.Errorf("seed: user %s: %w", email, err)
		}
		o.users++
		return u.ID, p.name(), email, nil
	}
	if o.directorID, _, _, err = user([]string{"sales_manager"}, ""); err != nil {
		return nil, err
	}
	n := teamsFor(cfg.Leads)
	for t := range n {
		tm := &team{name: fmt.Sprintf("Team %c", 'A'+t)}
		if tm.managerID, _, _, err = user([]string{"sales_manager"}, o.directorID); err != nil {
			return nil, err
		}
		for range repsPerTeam {
			id, name, email, err := user([]string{"sales_rep"}, tm.managerID)
			if err != nil {
				return nil, err
			}
			tm.reps = append(tm.reps, &rep{id: id, name: name, email: email, team: t,
				skill:         clamp(0.6+0.8*r.Float64(), 0.6, 1.4),
				responseHours: 0.5 + 7.5*r.Float64(),
				optimism:      -5 + 25*r.Float64()})
		}
		o.teams = append(o.teams, tm)
	}
	// Each region is covered by one team (round robin), the bigger ones by
	// two when there are enough teams.
	for i, reg := range regions {
		o.byRegion[reg] = append(o.byRegion[reg], i%n)
		if n > len(regions) && i+len(regions) < n {
			o.byRegion[reg] = append(o.byRegion[reg], i+len(regions))
		}
		o.teams[i%n].regions = append(o.teams[i%n].regions, reg)
	}
	return o, nil
}

// assign picks the rep who gets a lead of a region: a team covering it,
// then a rep of that team.
func (o *org) assign(r *rand.Rand, region string) *rep {
	ts := o.byRegion[region]
	t := o.teams[ts[r.IntN(len(ts))]]
	return t.reps[r.IntN(len(t.reps))]
}
