package sales

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Settings are a tenant's sales settings (GET|PUT /sales/settings).
//
//	{"claimCap": 30,
//	 "businessHours": {"timeZone": "Europe/Berlin", "days": [1,2,3,4,5], "start": "09:00", "end": "17:00"},
//	 "dispatch": {"enabled": true, "strategy": "roundRobin",
//	   "teams": [{"name": "inside", "role": "sales_rep", "requiredFields": ["email"], "minScore": 30}],
//	   "rules": [{"name": "partners", "source": ["channel_partner"], "user": "<user id>"}],
//	   "defaultTeam": "inside"},
//	 "nurture": {"enabled": true},
//	 "duplicates": {"emailPhone": "block", "similar": "flag", "maxDistance": 2}}
type Settings struct {
	// ClaimCap is how many open private leads (stage UQL, MQL or SQL) one
	// rep may own before claims, assignments and dispatch to them stop
	// (default 50).
	ClaimCap int `json:"claimCap"`
	// ManagerRoles may assign leads to reps and run a dispatch (default
	// ["sales_manager"]); admins always may.
	ManagerRoles []string `json:"managerRoles"`
	// OpportunityCloseDays is how far after a conversion the new
	// opportunity's close date is set (default 90).
	OpportunityCloseDays int `json:"opportunityCloseDays"`
	// BusinessHours are when dispatch hands out leads; the time zone also
	// dates the nurture touches.
	BusinessHours Hours `json:"businessHours"`
	// Dispatch is automatic dispatch of pooled leads (dispatch.go).
	Dispatch Dispatch `json:"dispatch"`
	// Nurture is the nurture cadence (nurture.go).
	Nurture Nurture `json:"nurture"`
	// Duplicates are the modes of the duplicate rule (duplicates.go).
	Duplicates Duplicates `json:"duplicates"`
	// RunAs is the user whose rights the automation (dispatch, nurture)
	// acts with: the admin who last saved the settings. Set by PutSettings.
	RunAs string `json:"runAs,omitempty"`
}

// Hours are a time zone, working days and daily opening hours.
type Hours struct {
	// TimeZone is an IANA zone name (default "UTC").
	TimeZone string `json:"timeZone"`
	// Days are weekdays, 0 = Sunday … 6 = Saturday (default Monday to
	// Friday).
	Days []int `json:"days"`
	// Start and End are "HH:MM" local times (default 09:00 to 17:00).
	Start string `json:"start"`
	End   string `json:"end"`
}

// Nurture is the nurture cadence: a lead enters nurture when someone
// ticks its "nurture" box (a disqualified lead worth keeping warm, say) and
// leaves it when the box is cleared.
type Nurture struct {
	Enabled bool `json:"enabled"`
	// Touches are the tasks made for the lead's owner: each Day days after
	// the lead entered nurture (default day 1 brand, day 3 product, day 7
	// case study, day 10 offer).
	Touches []Touch `json:"touches"`
}

// Touch is one step of the nurture cadence.
type Touch struct {
	Day   int    `json:"day"`
	Topic string `json:"topic"`
}

// Duplicate rule modes.
const (
	DupOff   = "off"   // no check
	DupFlag  = "flag"  // the lead is saved with duplicateOf and duplicateReason set
	DupBlock = "block" // the lead is refused (422) unless allowDuplicate is ticked
)

// Duplicates configure the duplicate rule.
type Duplicates struct {
	// EmailPhone is the mode for another lead with the same email or phone
	// (default block).
	EmailPhone string `json:"emailPhone"`
	// Similar is the mode for another lead with a similar company and name
	// (default flag): equal once normalised (case, accents, punctuation,
	// legal suffixes such as GmbH, Inc, Ltd) or within MaxDistance edits.
	Similar string `json:"similar"`
	// MaxDistance is the largest edit distance of a similar company or
	// name (default 2; never more than a quarter of the longer text).
	MaxDistance *int `json:"maxDistance"`
}

var defaultTouches = []Touch{{1, "brand"}, {3, "product"}, {7, "case study"}, {10, "offer"}}

func (set Settings) withDefaults() Settings {
	if set.ClaimCap <= 0 {
		set.ClaimCap = 50
	}
	if set.ManagerRoles == nil {
		set.ManagerRoles = []string{"sales_manager"}
	}
	if set.OpportunityCloseDays <= 0 {
		set.OpportunityCloseDays = 90
	}
	h := &set.BusinessHours
	if h.TimeZone == "" {
		h.TimeZone = "UTC"
	}
	if h.Days == nil {
		h.Days = []int{1, 2, 3, 4, 5}
	}
	if h.Start == "" && h.End == "" {
		h.Start, h.End = "09:00", "17:00"
	}
	set.Dispatch = set.Dispatch.withDefaults()
	if set.Nurture.Touches == nil {
		set.Nurture.Touches = slices.Clone(defaultTouches)
	}
	if set.Duplicates.EmailPhone == "" {
		set.Duplicates.EmailPhone = DupBlock
	}
	if set.Duplicates.Similar == "" {
		set.Duplicates.Similar = DupFlag
	}
	if set.Duplicates.MaxDistance == nil {
		two := 2
		set.Duplicates.MaxDistance = &two
	}
	return set
}

// validate checks settings with defaults filled in; every problem is a
// field of one 422 sales.invalid_settings.
func (set Settings) validate() error {
	var p []errs.FieldError
	bad := func(field, code, msg string) { p = append(p, errs.FieldError{Field: field, Code: code, Message: msg}) }
	if set.ClaimCap < 0 {
		bad("claimCap", "minimum", "must not be negative")
	}
	if set.OpportunityCloseDays < 0 {
		bad("opportunityCloseDays", "minimum", "must not be negative")
	}
	if _, err := time.LoadLocation(set.BusinessHours.TimeZone); err != nil {
		bad("businessHours.timeZone", "time_zone", "must be an IANA time zone such as Europe/Paris")
	}
	if set.BusinessHours.wf().NextOpen(time.Unix(0, 0), time.UTC).IsZero() {
		bad("businessHours", "window", "needs at least one day (0 = Sunday … 6 = Saturday) and start before end, as HH:MM")
	}
	for _, d := range set.BusinessHours.Days {
		if d < 0 || d > 6 {
			bad("businessHours.days", "range", "days are 0 (Sunday) to 6 (Saturday)")
		}
	}
	p = append(p, set.Dispatch.validate()...)
	seen := map[int]bool{}
	for i, t := range set.Nurture.Touches {
		if t.Day < 1 || t.Day > 365 || seen[t.Day] {
			bad(fmt.Sprintf("nurture.touches[%d].day", i), "range", "each touch has its own day, 1 to 365")
		}
		if t.Topic == "" || len(t.Topic) > 100 {
			bad(fmt.Sprintf("nurture.touches[%d].topic", i), "required", "a touch needs a topic of at most 100 characters")
		}
		seen[t.Day] = true
	}
	for field, mode := range map[string]string{"duplicates.emailPhone": set.Duplicates.EmailPhone, "duplicates.similar": set.Duplicates.Similar} {
		if mode != DupOff && mode != DupFlag && mode != DupBlock {
			bad(field, "enum", "must be off, flag or block")
		}
	}
	if d := *set.Duplicates.MaxDistance; d < 0 || d > 5 {
		bad("duplicates.maxDistance", "range", "must be 0 to 5")
	}
	if len(p) == 0 {
		return nil
	}
	slices.SortFunc(p, func(a, b errs.FieldError) int { return cmpStr(a.Field, b.Field) })
	e := errs.New(errs.Invalid, "sales.invalid_settings", "the sales settings are invalid: %s %s", p[0].Field, p[0].Message)
	e.Fields = p
	return e
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// wf is the hours as the workflow engine's business hours, whose NextOpen
// this package shares.
func (h Hours) wf() workflows.BusinessHours {
	return workflows.BusinessHours{Days: h.Days, Start: h.Start, End: h.End}
}

func (h Hours) location() *time.Location {
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// NextOpen returns t when t is within the hours, else the next opening.
func (h Hours) NextOpen(t time.Time) time.Time { return h.wf().NextOpen(t, h.location()) }

// Settings returns the caller's tenant's settings, defaults filled in.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	p, err := caller(ctx)
	if err != nil {
		return Settings{}, err
	}
	return s.settings(ctx, p.TenantID)
}

func (s *Service) settings(ctx context.Context, tenant string) (Settings, error) {
	d, err := s.st.Get(ctx, tenant, settingsColl, settingsID, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownCollection) {
		return Settings{}.withDefaults(), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("sales: settings: %w", err)
	}
	var set Settings
	raw, _ := d["settings"].(string)
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return Settings{}, fmt.Errorf("sales: stored settings: %w", err)
	}
	return set.withDefaults(), nil
}

// settingsTTL is how long the duplicate rule reuses settings it read: a
// change made on another node applies to leads saved after it.
const settingsTTL = 2 * time.Second

type settingsCache struct {
	mu sync.Mutex
	m  map[string]cachedSettings
}

type cachedSettings struct {
	set Settings
	at  time.Time
}

// recentSettings returns the tenant's settings as read at most settingsTTL
// ago; a change through PutSettings on this node applies at once.
func (s *Service) recentSettings(ctx context.Context, tenant string) (Settings, error) {
	c := &s.recent
	c.mu.Lock()
	e, ok := c.m[tenant]
	c.mu.Unlock()
	if ok && time.Since(e.at) < settingsTTL {
		return e.set, nil
	}
	set, err := s.settings(ctx, tenant)
	if err != nil {
		return Settings{}, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedSettings{}
	}
	c.m[tenant] = cachedSettings{set, time.Now()}
	c.mu.Unlock()
	return set, nil
}

func (s *Service) forgetSettings(tenant string) {
	s.recent.mu.Lock()
	delete(s.recent.m, tenant)
	s.recent.mu.Unlock()
}

// PutSettings replaces the caller's tenant's settings; only an admin may.
// The caller becomes the user the automation acts as. It keeps the
// tenant's sales_setting record (the duplicate modes as a record) in step,
// and starts the automation's tick when dispatch or nurture is on.
func (s *Service) PutSettings(ctx context.Context, set Settings) (Settings, error) {
	p, err := caller(ctx)
	if err != nil {
		return Settings{}, err
	}
	if !p.IsAdmin() {
		return Settings{}, errs.New(errs.Forbidden, "sales.settings_forbidden", "only an admin may change the sales settings")
	}
	set = set.withDefaults()
	if err := set.validate(); err != nil {
		return Settings{}, err
	}
	set.RunAs = p.UserID
	raw, _ := json.Marshal(set)
	doc := store.Doc{"id": settingsID, "settings": string(raw)}
	if _, err := s.st.Update(ctx, p.TenantID, settingsColl, doc, 0); errors.Is(err, store.ErrNotFound) {
		_, err = s.st.Insert(ctx, p.TenantID, settingsColl, doc)
		if err != nil && !errors.Is(err, store.ErrDuplicate) {
			return Settings{}, fmt.Errorf("sales: save settings: %w", err)
		}
	} else if err != nil {
		return Settings{}, fmt.Errorf("sales: save settings: %w", err)
	}
	s.forgetSettings(p.TenantID)
	if err := s.mirror(ctx, set); err != nil {
		return Settings{}, err
	}
	if set.Dispatch.Enabled || set.Nurture.Enabled {
		if err := s.startTick(ctx, p.TenantID); err != nil {
			return Settings{}, err
		}
	}
	return set, nil
}

// settingRecord is the name of the one sales_setting record.
const settingRecord = "sales"

// mirror writes the duplicate modes into the tenant's sales_setting
// record, where the tenant's own scripts and reports can read them (the
// duplicate rule reads the settings themselves). A tenant
// without the object (the package not installed) is left alone.
func (s *Service) mirror(ctx context.Context, set Settings) error {
	vals := map[string]any{"name": settingRecord, "duplicateEmailPhone": set.Duplicates.EmailPhone,
		"duplicateSimilar": set.Duplicates.Similar, "duplicateMaxDistance": *set.Duplicates.MaxDistance}
	page, err := s.recs.List(ctx, "sales_setting", records.ListOptions{Filter: "name = " + quote(settingRecord), Limit: 1, Fields: "id"})
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if len(page.Items) > 0 {
		_, err = s.recs.Update(ctx, "sales_setting", page.Items[0].ID, vals, 0)
	} else {
		_, err = s.recs.Create(ctx, "sales_setting", vals)
	}
	return err
}
