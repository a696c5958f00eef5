package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

const settingsID = "settings"

// Settings are a tenant's automation settings.
type Settings struct {
	// TimeZone is an IANA zone name for schedules and business hours
	// (default "UTC").
	TimeZone string `json:"timeZone"`
	// BusinessHours are when assignOwner actions with businessHours run.
	BusinessHours BusinessHours `json:"businessHours"`
	// WebhookHosts are the hosts (name, or name:port) webhooks may call.
	WebhookHosts []string `json:"webhookHosts"`
	// WebhookSecret signs webhooks (HMAC-SHA256); made on provisioning.
	WebhookSecret string `json:"webhookSecret"`
}

// BusinessHours are the working days and the daily opening hours.
type BusinessHours struct {
	// Days are weekdays, 0 = Sunday … 6 = Saturday (default Monday to
	// Friday).
	Days []int `json:"days"`
	// Start and End are "HH:MM" local times (default 09:00 to 17:00).
	Start string `json:"start"`
	End   string `json:"end"`
}

func defaultSettings() Settings {
	return Settings{TimeZone: "UTC", BusinessHours: BusinessHours{Days: []int{1, 2, 3, 4, 5}, Start: "09:00", End: "17:00"},
		WebhookHosts: []string{}, WebhookSecret: id.Secret(32)}
}

// Settings returns the tenant's settings, made with defaults on first use.
func (s *Service) Settings(ctx context.Context, tenant string) (Settings, error) {
	d, err := s.st.Get(ctx, tenant, settingsColl, settingsID, nil)
	if errors.Is(err, store.ErrNotFound) {
		def := defaultSettings()
		raw, _ := json.Marshal(def)
		_, err = s.st.Insert(ctx, tenant, settingsColl, store.Doc{"id": settingsID, "settings": string(raw)})
		if err != nil && !errors.Is(err, store.ErrDuplicate) {
			return Settings{}, fmt.Errorf("workflows: settings: %w", err)
		}
		return s.Settings(ctx, tenant)
	}
	if err != nil {
		return Settings{}, fmt.Errorf("workflows: settings: %w", err)
	}
	var set Settings
	if err := json.Unmarshal([]byte(str(d, "settings")), &set); err != nil {
		return Settings{}, fmt.Errorf("workflows: stored settings: %w", err)
	}
	return set, nil
}

// PutSettings replaces the tenant's settings; an empty WebhookSecret keeps
// the current one.
func (s *Service) PutSettings(ctx context.Context, tenant string, set Settings) (Settings, error) {
	if _, err := time.LoadLocation(set.TimeZone); err != nil || set.TimeZone == "" {
		return Settings{}, errs.New(errs.Invalid, "workflow.invalid_settings", "timeZone must be an IANA time zone such as Europe/Paris").
			WithField("timeZone", "time_zone", "unknown time zone")
	}
	if _, _, err := set.BusinessHours.window(); err != nil {
		return Settings{}, err
	}
	for _, d := range set.BusinessHours.Days {
		if d < 0 || d > 6 {
			return Settings{}, errs.New(errs.Invalid, "workflow.invalid_settings", "business days are 0 (Sunday) to 6 (Saturday)").
				WithField("businessHours.days", "range", "0 to 6")
		}
	}
	for i, h := range set.WebhookHosts {
		set.WebhookHosts[i] = strings.ToLower(strings.TrimSpace(h))
	}
	cur, err := s.Settings(ctx, tenant)
	if err != nil {
		return Settings{}, err
	}
	if set.WebhookSecret == "" {
		set.WebhookSecret = cur.WebhookSecret
	} else if len(set.WebhookSecret) < 16 {
		return Settings{}, errs.New(errs.Invalid, "workflow.invalid_settings", "webhookSecret must have at least 16 characters").
			WithField("webhookSecret", "min_length", "at least 16 characters")
	}
	if set.WebhookHosts == nil {
		set.WebhookHosts = []string{}
	}
	raw, _ := json.Marshal(set)
	if _, err := s.st.Update(ctx, tenant, settingsColl, store.Doc{"id": settingsID, "settings": string(raw)}, 0); err != nil {
		return Settings{}, fmt.Errorf("workflows: save settings: %w", err)
	}
	return set, nil
}

func (set Settings) location() *time.Location {
	loc, err := time.LoadLocation(set.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// allowsHost reports whether a webhook may call u: its host (with the port
// when one is given) or its host name is allow-listed.
func (set Settings) allowsHost(u *url.URL) bool {
	host, name := strings.ToLower(u.Host), strings.ToLower(u.Hostname())
	for _, h := range set.WebhookHosts {
		if h == host || h == name {
			return true
		}
	}
	return false
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// window returns the opening and closing minute of the day.
func (b BusinessHours) window() (int, int, error) {
	start, err1 := parseClock(b.Start)
	end, err2 := parseClock(b.End)
	if err1 != nil || err2 != nil || start >= end {
		return 0, 0, errs.New(errs.Invalid, "workflow.invalid_settings", "business hours are start and end as HH:MM with start before end").
			WithField("businessHours", "window", "start must be before end, as HH:MM")
	}
	return start, end, nil
}

func (b BusinessHours) isDay(d time.Weekday) bool {
	for _, x := range b.Days {
		if x == int(d) {
			return true
		}
	}
	return false
}

// NextOpen returns t itself when t is within business hours, else the next
// opening instant (the zero time when no day is a business day).
func (b BusinessHours) NextOpen(t time.Time, loc *time.Location) time.Time {
	start, end, err := b.window()
	if err != nil || len(b.Days) == 0 {
		return time.Time{}
	}
	lt := t.In(loc)
	minute := lt.Hour()*60 + lt.Minute()
	if b.isDay(lt.Weekday()) && minute >= start && minute < end {
		return t
	}
	for k := 0; k <= 7; k++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+k, 0, 0, 0, 0, loc)
		open := day.Add(time.Duration(start) * time.Minute)
		if b.isDay(day.Weekday()) && open.After(t) {
			return open
		}
	}
	return time.Time{}
}
