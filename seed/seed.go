package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/tenant"
)

// Tenants finds tenants by name; *tenant.Registry implements it.
type Tenants interface {
	ByName(ctx context.Context, name string) (tenant.Tenant, error)
}

// Identity onboards tenants and makes users; *identity.Service implements
// it.
type Identity interface {
	Onboard(ctx context.Context, name string, admin identity.NewUser, provisioners ...identity.Provisioner) (identity.Onboarded, error)
	CreateUser(ctx context.Context, tenantID string, in identity.NewUser) (identity.User, error)
	ListUsers(ctx context.Context, tenantID string) ([]identity.User, error)
}

// Meta tells which objects a tenant has; *metadata.Service implements it.
type Meta interface {
	Object(ctx context.Context, tenant, apiName string) (*metadata.Entry, error)
}

// Records is the record pipeline; *records.Service implements it. Every
// record the seed makes goes through Bulk.
type Records interface {
	Bulk(ctx context.Context, object string, req records.BulkRequest) ([]records.BulkResult, error)
	Aggregate(ctx context.Context, object string, req records.AggregateRequest) ([]map[string]any, error)
}

var (
	_ Tenants  = (*tenant.Registry)(nil)
	_ Identity = (*identity.Service)(nil)
	_ Meta     = (*metadata.Service)(nil)
	_ Records  = (*records.Service)(nil)
)

// Deps are the services a seed writes through. All are required except
// Clock and Provisioners.
type Deps struct {
	// Store runs the writes of a few hundred leads in one transaction where
	// the backend has transactions (fewer commits; the pipeline is the
	// same).
	Store    store.Store
	Tenants  Tenants
	Identity Identity
	Meta     Meta
	Records  Records
	// Provisioners prepare a tenant the seed has to create (the App's).
	Provisioners []identity.Provisioner
	// InstallSales installs the sales package (plugins/sales) in the
	// tenant; the context carries the tenant's admin. It is called only
	// when the tenant lacks the package's objects.
	InstallSales func(ctx context.Context, tenantID string) error
	// Clock must be the record service's clock (records.Config.Now =
	// Clock.Now) for records to carry the dates of their history; without
	// it every record is stamped with the time of the seed and only the
	// date fields (assignedAt, closeDate, occurredAt…) tell the story.
	Clock *Clock
}

// Config says what to seed. The zero value seeds 2,000 leads into "demo".
type Config struct {
	// Tenant is the tenant's name (default "demo"); it is created when
	// missing, and must not have leads yet.
	Tenant string
	// Leads is the number of leads, 1 to 1,000,000 (default 2,000).
	// Users, campaigns, accounts, contacts, opportunities, activities and
	// tasks follow from it.
	Leads int
	// Seed fixes the random choices (default 1): the same Seed, Leads and
	// Now give the same data, ids aside.
	Seed uint64
	// Now is the end of the seeded history (default: the start of today,
	// UTC). Leads arrive over the Months before it.
	Now time.Time
	// Months is the span of the history (default 18).
	Months int
	// HistoryPercent is the share of leads (chosen by a hash of their
	// number) whose stage progression is written as successive updates,
	// so that the field history holds each change at its date; the others
	// are created at their final stage. Default: 100 up to 20,000 leads,
	// 20 above; negative means none.
	HistoryPercent int
	// AdminEmail and AdminPassword sign in the admin of a tenant the seed
	// creates (defaults admin@<tenant>.test and "demo-password");
	// UserPassword is every generated user's (default "demo-password").
	AdminEmail, AdminPassword, UserPassword string
	// TxLeads is the number of leads written per transaction (default
	// 2,000: at 10k leads, 2,000 per commit seeded in 17-20 s what 200 per
	// commit did in 24 s).
	TxLeads int
}

// MaxLeads is the largest seed.
const MaxLeads = 1_000_000

// Validate checks the configuration.
func (c Config) Validate() error {
	bad := errs.New(errs.Invalid, "seed.bad_config", "the seed configuration is invalid")
	if c.Leads < 0 || c.Leads > MaxLeads {
		bad = bad.WithField("leads", "range", fmt.Sprintf("must be between 1 and %d", MaxLeads))
	}
	if c.Months < 0 || c.Months > 120 {
		bad = bad.WithField("months", "range", "must be between 1 and 120")
	}
	if c.HistoryPercent > 100 {
		bad = bad.WithField("historyPercent", "range", "must be at most 100")
	}
	if c.TxLeads < 0 {
		bad = bad.WithField("txLeads", "range", "must not be negative")
	}
	if c.Tenant != "" {
		if err := tenant.ValidName(c.Tenant); err != nil {
			bad = bad.WithField("tenant", "pattern", err.Error())
		}
	}
	if len(bad.Fields) > 0 {
		return bad
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Tenant == "" {
		c.Tenant = "demo"
	}
	if c.Leads == 0 {
		c.Leads = 2000
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Now.IsZero() {
		c.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	c.Now = c.Now.UTC()
	if c.Months == 0 {
		c.Months = 18
	}
	switch {
	case c.HistoryPercent < 0:
		c.HistoryPercent = 0
	case c.HistoryPercent == 0 && c.Leads <= 20_000:
		c.HistoryPercent = 100
	case c.HistoryPercent == 0:
		c.HistoryPercent = 20
	}
	if c.AdminEmail == "" {
		c.AdminEmail = "admin@" + c.Tenant + ".test"
	}
	if c.AdminPassword == "" {
		c.AdminPassword = "demo-password"
	}
	if c.UserPassword == "" {
		c.UserPassword = "demo-password"
	}
	if c.TxLeads == 0 {
		c.TxLeads = 2000
	}
	return c
}

// Report is what a seed made.
type Report struct {
	Tenant   string `json:"tenant"`
	TenantID string `json:"tenantId"`
	// Created is true when the seed onboarded the tenant; APIKey is then
	// its admin's first key (shown once).
	Created    bool   `json:"created"`
	APIKey     string `json:"apiKey,omitempty"`
	AdminEmail string `json:"adminEmail"`
	Installed  bool   `json:"installed"` // the sales package was installed by this seed
	Users      int    `json:"users"`     // users created
	// Records counts the records created per object; Updates the updates
	// (stage changes written as history).
	Records      map[string]int `json:"records"`
	Updates      int            `json:"updates"`
	HistoryLeads int            `json:"historyLeads"`
	From         time.Time      `json:"from"`
	To           time.Time      `json:"to"`
	Elapsed      time.Duration  `json:"elapsed"`
	// Time is the time spent in the record pipeline per object and
	// operation ("lead create"), to show where a seed spends it.
	Time map[string]time.Duration `json:"time"`
}

// Total is the number of records created.
func (r Report) Total() int {
	n := 0
	for _, c := range r.Records {
		n += c
	}
	return n
}

// salesObjects are the objects of the sales package the seed fills.
var salesObjects = []string{"account", "activity", "campaign", "contact", "lead", "opportunity", "task"}

// Run seeds a tenant: it onboards it when missing, installs the sales
// package when missing, creates the sales organisation (a director, team
// managers, reps), the campaigns of every channel and quarter, then the
// leads with their activities, conversions into accounts, contacts and
// opportunities, and tasks, every record through the record pipeline as
// the tenant's admin. Progress goes to progress (nil for none).
func Run(ctx context.Context, d Deps, cfg Config, progress io.Writer) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	if d.Store == nil || d.Tenants == nil || d.Identity == nil || d.Meta == nil || d.Records == nil || d.InstallSales == nil {
		return Report{}, errors.New("seed: Store, Tenants, Identity, Meta, Records and InstallSales are required")
	}
	cfg = cfg.withDefaults()
	if progress == nil {
		progress = io.Discard
	}
	started := time.Now()
	rep := Report{Tenant: cfg.Tenant, AdminEmail: cfg.AdminEmail, Records: map[string]int{}, Time: map[string]time.Duration{}}
	t, err := d.Tenants.ByName(ctx, cfg.Tenant)
	switch {
	case errs.KindOf(err) == errs.NotFound:
		on, err := d.Identity.Onboard(ctx, cfg.Tenant, identity.NewUser{Email: cfg.AdminEmail, Password: cfg.AdminPassword, Name: "Demo Admin"}, d.Provisioners...)
		if err != nil {
			return rep, fmt.Errorf("seed: create tenant %s: %w", cfg.Tenant, err)
		}
		t, rep.Created, rep.APIKey = on.Tenant, true, on.APIKey
		fmt.Fprintf(progress, "tenant %s: created, admin %s\n", t.Name, cfg.AdminEmail)
	case err != nil:
		return rep, err
	default:
		fmt.Fprintf(progress, "tenant %s: exists\n", t.Name)
	}
	rep.TenantID = t.ID
	admin, err := adminOf(ctx, d, t)
	if err != nil {
		return rep, err
	}
	rep.AdminEmail = admin.Email
	ctx = identity.WithPrincipal(ctx, admin)
	if rep.Installed, err = ensureSales(ctx, d, t.ID); err != nil {
		return rep, err
	}
	if rep.Installed {
		fmt.Fprintln(progress, "package sales: installed")
	}
	if rows, err := d.Records.Aggregate(ctx, "lead", records.AggregateRequest{Measures: []records.MeasureIn{{Op: "count"}}}); err != nil {
		return rep, err
	} else if n := countOf(rows); n > 0 {
		return rep, errs.New(errs.Conflict, "seed.not_empty", "tenant %s has %d leads already; seed an empty tenant", t.Name, n)
	}

	o, err := buildOrg(ctx, d, cfg, t.ID, rand.New(rand.NewPCG(cfg.Seed, 0x05e7)))
	if err != nil {
		return rep, err
	}
	rep.Users = o.users
	fmt.Fprintf(progress, "users: %d created (a director, %d teams of a manager and %d reps)\n", o.users, len(o.teams), repsPerTeam)

	from := cfg.Now.AddDate(0, -cfg.Months, 0)
	rep.From, rep.To = from, cfg.Now
	r := rand.New(rand.NewPCG(cfg.Seed, 0xa77))
	times := arrivals(r, cfg.Leads, from, cfg.Now)
	sources := make([]uint8, cfg.Leads)
	cw := channelWeights()
	for i := range sources {
		sources[i] = uint8(weighted(r, cw))
	}
	w := &writer{d: d, tenant: t.ID, clock: d.Clock, rep: &rep, admin: admin.UserID}
	defer d.Clock.Release()
	camps, err := seedCampaigns(ctx, w, from, cfg.Now, times, sources, r)
	if err != nil {
		return rep, err
	}
	fmt.Fprintf(progress, "campaigns: %d (one per channel and quarter)\n", rep.Records["campaign"])

	g := &planner{seed: cfg.Seed, now: cfg.Now, from: from, times: times, sources: sources, org: o,
		emails: make(map[string]int, cfg.Leads), phoneMul: 387_420_489, phoneAdd: mix(cfg.Seed, 7) % 1_000_000_000,
		campaign: camps.of, history: cfg.HistoryPercent}
	lw := &leadWriter{w: w, camps: camps}
	fmt.Fprintf(progress, "leads: %d from %s to %s (%d%% with their stage history as updates)\n",
		cfg.Leads, from.Format("2006-01-02"), cfg.Now.Format("2006-01-02"), cfg.HistoryPercent)
	nextReport := 10
	done := 0
	tick := func() {
		done++
		if pct := done * 100 / cfg.Leads; pct >= nextReport || done == cfg.Leads {
			el := time.Since(started)
			fmt.Fprintf(progress, "leads %d/%d (%d%%): %d records, %d updates, %.1f s, %.0f writes/s\n",
				done, cfg.Leads, pct, rep.Total(), rep.Updates, el.Seconds(), float64(rep.Total()+rep.Updates)/el.Seconds())
			nextReport = pct - pct%10 + 10
		}
	}
	for lo := 0; lo < cfg.Leads; lo += cfg.TxLeads {
		hi := min(lo+cfg.TxLeads, cfg.Leads)
		plans := make([]*leadPlan, 0, hi-lo)
		for i := lo; i < hi; i++ {
			plans = append(plans, g.plan(i))
		}
		err := w.atomically(ctx, func(ctx context.Context) error {
			for _, p := range plans {
				if err := lw.write(ctx, p); err != nil {
					return err
				}
				tick()
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		for _, p := range plans {
			if p.history {
				rep.HistoryLeads++
			}
		}
	}
	d.Clock.Release()
	rep.Elapsed = time.Since(started)
	fmt.Fprintf(progress, "done in %.1f s: %s\n", rep.Elapsed.Seconds(), rep.summary())
	return rep, nil
}

func (r Report) summary() string {
	s := ""
	for _, o := range salesObjects {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", r.Records[o], o)
	}
	return fmt.Sprintf("%s; %d updates", s, r.Updates)
}

// adminOf returns a principal for the tenant's first active admin.
func adminOf(ctx context.Context, d Deps, t tenant.Tenant) (identity.Principal, error) {
	users, err := d.Identity.ListUsers(ctx, t.ID)
	if err != nil {
		return identity.Principal{}, err
	}
	for _, u := range users {
		for _, role := range u.Roles {
			if u.Active && role == identity.AdminRole {
				return identity.Principal{TenantID: t.ID, TenantName: t.Name, UserID: u.ID, Email: u.Email, Name: u.Name,
					Roles: u.Roles, CredentialKind: "seed"}, nil
			}
		}
	}
	return identity.Principal{}, errs.New(errs.Conflict, "seed.no_admin", "tenant %s has no active admin to seed as", t.Name)
}

// ensureSales installs the sales package unless the tenant has its objects.
func ensureSales(ctx context.Context, d Deps, tenantID string) (bool, error) {
	missing := false
	for _, o := range salesObjects {
		if _, err := d.Meta.Object(ctx, tenantID, o); errs.KindOf(err) == errs.NotFound {
			missing = true
		} else if err != nil {
			return false, err
		}
	}
	if !missing {
		return false, nil
	}
	if err := d.InstallSales(ctx, tenantID); err != nil {
		return false, fmt.Errorf("seed: install the sales package: %w", err)
	}
	for _, o := range salesObjects {
		if _, err := d.Meta.Object(ctx, tenantID, o); err != nil {
			return false, fmt.Errorf("seed: the sales package did not install %s: %w", o, err)
		}
	}
	return true, nil
}

func countOf(rows []map[string]any) int64 {
	if len(rows) == 0 {
		return 0
	}
	switch v := rows[0]["count"].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	}
	return 0
}
