package sales_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/plugins/sales"
)

// settings saves the sales settings as the admin (which starts the tick).
func (e *clockEnv) settings(raw string) {
	e.t.Helper()
	var set sales.Settings
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.PutSettings(e.as(e.admin), set); err != nil {
		e.t.Fatal(err)
	}
}

// newLead creates a lead as the admin and returns its id.
func (e *clockEnv) newLead(fields map[string]any) string {
	e.t.Helper()
	r, err := e.recs.Create(e.as(e.admin), "lead", fields)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

// tick moves the clock on by a tick's interval and waits for the runner.
func (e *clockEnv) tick() {
	e.t.Helper()
	e.clock.Advance(time.Minute)
	e.idle()
}

func (e *clockEnv) held(id string) (owner string, pooled bool, note string) {
	l := e.lead(id)
	return str(l["owner"]), l["poolStatus"] == "public", str(l["dispatchNote"])
}

func str(v any) string { s, _ := v.(string); return s }

func TestDispatch_roundRobinUpToTheClaimCap(t *testing.T) {
	e := newClockEnv(t)
	var leads []string
	for _, score := range []int{90, 80, 70, 60, 50} {
		leads = append(leads, e.newLead(map[string]any{"name": "RR", "source": "website", "score": score}))
	}
	e.settings(`{"claimCap": 2, "dispatch": {"enabled": true, "teams": [{"name": "inside", "role": "sales_rep"}], "defaultTeam": "inside"}}`)
	e.idle()
	var owners []string
	for _, l := range leads[:4] {
		owner, pooled, _ := e.held(l)
		if pooled || (owner != e.ann.ID && owner != e.bob.ID) {
			t.Fatalf("lead %s: owner %s, pooled %v", l, owner, pooled)
		}
		owners = append(owners, owner)
	}
	t.Run("the reps take turns, best score first", func(t *testing.T) {
		if owners[0] == owners[1] || owners[0] != owners[2] || owners[1] != owners[3] {
			t.Errorf("owners in score order %v", owners)
		}
	})
	t.Run("a dispatched lead is assigned as a claim is", func(t *testing.T) {
		l := e.lead(leads[0])
		if l["assignedAt"] == nil || l["dispatchedAt"] == nil || l["firstContactAt"] != nil {
			t.Errorf("lead %v", l)
		}
		e.timerDue("lead_first_contact_sla", leads[0])
	})
	t.Run("past the cap the lead stays in the pool with the reason", func(t *testing.T) {
		_, pooled, note := e.held(leads[4])
		if !pooled || !strings.Contains(note, "claim cap of 2") {
			t.Errorf("pooled %v, note %q", pooled, note)
		}
	})
}

func TestDispatch_theFirstMatchingRulePicksTheTarget(t *testing.T) {
	e := newClockEnv(t)
	north := e.newLead(map[string]any{"name": "North", "source": "partnership", "region": "north"})
	partner := e.newLead(map[string]any{"name": "Partner", "source": "partnership", "region": "south"})
	other := e.newLead(map[string]any{"name": "Other", "source": "website"})
	e.settings(`{"dispatch": {"enabled": true,
		"teams": [{"name": "partners", "users": ["` + e.ann.ID + `"]}],
		"rules": [{"name": "north", "region": ["north"], "user": "` + e.bob.ID + `"},
		          {"name": "partnerships", "source": ["partnership", "channel_partner"], "team": "partners"}]}}`)
	e.idle()
	for _, c := range []struct {
		name, lead, owner, note string
	}{
		{"region north goes to the rule's user, before the source rule", north, e.bob.ID, ""},
		{"a partnership lead goes to the partners team", partner, e.ann.ID, ""},
		{"no rule and no default team: the lead stays", other, "", "no dispatch rule matches"},
	} {
		t.Run(c.name, func(t *testing.T) {
			owner, pooled, note := e.held(c.lead)
			if c.owner == "" {
				if !pooled || !strings.Contains(note, c.note) {
					t.Errorf("pooled %v, note %q", pooled, note)
				}
				return
			}
			if pooled || owner != c.owner {
				t.Errorf("owner %s pooled %v, want %s", owner, pooled, c.owner)
			}
		})
	}
}

func TestDispatch_aTeamGetsLeadsOnlyWithItsFieldsAndScore(t *testing.T) {
	e := newClockEnv(t)
	good := e.newLead(map[string]any{"name": "Good", "source": "sem", "score": 80, "email": "good@x.example", "company": "Good Co"})
	noEmail := e.newLead(map[string]any{"name": "No Email", "source": "sem", "score": 80, "company": "Quiet Co"})
	low := e.newLead(map[string]any{"name": "Low", "source": "sem", "score": 20, "email": "low@x.example", "company": "Low Co"})
	e.settings(`{"dispatch": {"enabled": true, "defaultTeam": "sales",
		"teams": [{"name": "sales", "role": "sales_rep", "requiredFields": ["email", "company"], "minScore": 50}]}}`)
	e.idle()
	t.Run("a complete lead above the threshold is dispatched", func(t *testing.T) {
		if _, pooled, _ := e.held(good); pooled {
			t.Fatal("not dispatched")
		}
	})
	t.Run("the others stay in the pool, the reason on the lead", func(t *testing.T) {
		for lead, want := range map[string]string{noEmail: "held for team sales: missing email", low: "held for team sales: score 20 below 50"} {
			if _, pooled, note := e.held(lead); !pooled || note != want {
				t.Errorf("pooled %v, note %q, want %q", pooled, note, want)
			}
		}
	})
	t.Run("once fixed they go at the next tick and the note is cleared", func(t *testing.T) {
		for lead, patch := range map[string]map[string]any{noEmail: {"email": "quiet@x.example"}, low: {"score": 60}} {
			if _, err := e.recs.Update(e.as(e.admin), "lead", lead, patch, 0); err != nil {
				t.Fatal(err)
			}
		}
		e.tick()
		for _, lead := range []string{noEmail, low} {
			if _, pooled, note := e.held(lead); pooled || note != "" {
				t.Errorf("pooled %v, note %q", pooled, note)
			}
		}
	})
}

func TestDispatch_bestLeadsGoToTheBestReps(t *testing.T) {
	e := newClockEnv(t)
	// Ann converted her recent leads, Bob lost his.
	for i := range 3 {
		for rep, stage := range map[string]string{e.ann.ID: "converted", e.bob.ID: "disqualified"} {
			e.newLead(map[string]any{"name": "History", "source": "seo", "owner": rep, "stage": stage, "poolStatus": "private", "score": i})
		}
	}
	hot := []string{e.newLead(map[string]any{"name": "Hot", "source": "seo", "score": 95}), e.newLead(map[string]any{"name": "Hot", "source": "seo", "score": 75})}
	cold := []string{e.newLead(map[string]any{"name": "Cold", "source": "seo", "score": 40}), e.newLead(map[string]any{"name": "Cold", "source": "seo", "score": 10})}
	e.settings(`{"dispatch": {"enabled": true, "strategy": "bestToBest", "scoreTiers": [70], "defaultTeam": "inside",
		"teams": [{"name": "inside", "role": "sales_rep"}]}}`)
	e.idle()
	for _, c := range []struct {
		name  string
		leads []string
		owner string
	}{{"leads scoring 70 and more go to the rep converting best", hot, e.ann.ID}, {"the rest go to the others", cold, e.bob.ID}} {
		t.Run(c.name, func(t *testing.T) {
			for _, l := range c.leads {
				if owner, pooled, _ := e.held(l); pooled || owner != c.owner {
					t.Errorf("lead %s: owner %s, pooled %v", l, owner, pooled)
				}
			}
		})
	}
}

func TestDispatch_outsideBusinessHoursWaitsForTheOpening(t *testing.T) {
	e := newClockEnv(t)
	saturday := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	e.clock.Set(saturday)
	lead := e.newLead(map[string]any{"name": "Weekend", "source": "website"})
	e.settings(`{"businessHours": {"timeZone": "Europe/Berlin", "days": [1,2,3,4,5], "start": "09:00", "end": "17:00"},
		"dispatch": {"enabled": true, "teams": [{"name": "inside", "role": "sales_rep"}], "defaultTeam": "inside"}}`)
	e.idle()
	// Monday 09:00 in Berlin (CET) is 08:00 UTC.
	opening := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{saturday.Add(time.Hour), saturday.Add(30 * time.Hour), opening.Add(-time.Minute)} {
		e.clock.Set(at)
		e.idle()
		if _, pooled, _ := e.held(lead); !pooled {
			t.Fatalf("dispatched at %s, before the opening", at)
		}
	}
	e.clock.Set(opening)
	eventually(t, "the lead is dispatched at the opening", func() bool { _, pooled, _ := e.held(lead); return !pooled })
	if at := e.lead(lead)["dispatchedAt"]; !strings.HasPrefix(str(at), "2026-03-09T08:00:00") {
		t.Errorf("dispatched at %v", at)
	}
}

func TestDispatch_aLeadReturnedAfter24HoursGoesToAnotherRep(t *testing.T) {
	e := newClockEnv(t)
	lead := e.newLead(map[string]any{"name": "Unlucky", "source": "website"})
	e.settings(`{"dispatch": {"enabled": true, "teams": [{"name": "inside", "role": "sales_rep"}], "defaultTeam": "inside"}}`)
	e.idle()
	first, pooled, _ := e.held(lead)
	if pooled {
		t.Fatal("not dispatched")
	}
	e.clock.Set(monday.Add(24 * time.Hour))
	eventually(t, "the 24 h rule returns the lead and dispatch gives it to the other rep", func() bool {
		e.idle()
		owner, pooled, _ := e.held(lead)
		if pooled || owner == first {
			e.clock.Advance(time.Minute)
			return false
		}
		return true
	})
	notes, err := e.wf.Notifications(context.Background(), e.tenant, first, 10)
	if err != nil || len(notes) != 1 || notes[0].Title != "Unlucky went back to the pool" {
		t.Errorf("the first rep was not told the lead went back: %+v, %v", notes, err)
	}
}

func TestDispatch_managersRunAPassOverHTTP(t *testing.T) {
	e := newEnv(t)
	if err := e.App.Sales.Automate(sales.Automation{Jobs: e.App.Jobs, Users: e.App.Identity}); err != nil {
		t.Fatal(err)
	}
	res := e.Do(t, "POST", "/api/v1/sales/dispatch", e.Tokens["manager"], "")
	if res.Status != 409 || !strings.Contains(string(res.Body), "sales.dispatch_disabled") {
		t.Fatalf("disabled: %d %s", res.Status, res.Body)
	}
	e.call(t, "admin", "PUT", "/api/v1/sales/settings", `{"businessHours":{"days":[0,1,2,3,4,5,6],"start":"00:00","end":"23:59"},
		"dispatch":{"enabled":true,"teams":[{"name":"inside","role":"sales_rep"}],"defaultTeam":"inside"}}`, 200)
	if res := e.Do(t, "POST", "/api/v1/sales/dispatch", e.Tokens["ann"], ""); res.Status != 403 {
		t.Fatalf("a rep ran a dispatch: %d %s", res.Status, res.Body)
	}
	res = e.Do(t, "PUT", "/api/v1/sales/settings", e.Tokens["admin"], `{"dispatch":{"enabled":true,"rules":[{"name":"x","team":"nobody"}]}}`)
	if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"dispatch.rules[0].team"`) {
		t.Fatalf("bad settings: %d %s", res.Status, res.Body)
	}
	out := e.call(t, "manager", "POST", "/api/v1/sales/dispatch", "", 200)
	if _, ok := out["dispatched"].([]any); !ok {
		t.Fatalf("result %v", out)
	}
}

func TestDispatch_savingTheSettingsAgainKeepsOneTickChain(t *testing.T) {
	e := newClockEnv(t)
	on := `{"dispatch": {"enabled": true, "teams": [{"name": "inside", "role": "sales_rep"}], "defaultTeam": "inside"}}`
	for range 3 {
		e.settings(on)
		e.idle()
		e.clock.Advance(7 * time.Second)
	}
	// Ticks run when due, one at a time as a real clock would have them:
	// step the clock in small steps for three intervals.
	for range 26 {
		e.clock.Advance(7 * time.Second)
		e.idle()
	}
	queued, err := e.jobs.List(context.Background(), e.tenant, jobs.ListOptions{Kind: sales.KindTick, State: jobs.Queued})
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 {
		t.Fatalf("%d ticks queued after three saves, want one chain", len(queued))
	}
}
