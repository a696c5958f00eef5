package seed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/seed"
)

// now is the end of every seeded history in these tests.
var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// seeded is one tenant seeded with 2,000 leads, shared by the shape tests.
type seeded struct {
	app      *app.App
	ctx      context.Context // the tenant's admin
	report   seed.Report
	progress string
}

// demoTenant seeds a tenant with 2,000 leads.
func demoTenant(t *testing.T) *seeded {
	t.Helper()
	a, d := newApp(t)
	var out bytes.Buffer
	rep, err := seed.Run(context.Background(), d, seed.Config{Leads: 2000, Now: now}, &out)
	if err != nil {
		t.Fatal(err)
	}
	return &seeded{app: a, ctx: adminCtx(t, a, rep.TenantID), report: rep, progress: out.String()}
}

func adminCtx(t testing.TB, a *app.App, tenantID string) context.Context {
	t.Helper()
	users, err := a.Identity.ListUsers(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if len(u.Roles) > 0 && u.Roles[0] == identity.AdminRole {
			return identity.WithPrincipal(context.Background(), identity.Principal{TenantID: tenantID, UserID: u.ID, Roles: u.Roles})
		}
	}
	t.Fatal("no admin")
	return nil
}

// agg runs an aggregate and returns its rows.
func (s *seeded) agg(t *testing.T, object, filter string, groupBy []records.GroupKey, measures ...records.MeasureIn) []map[string]any {
	t.Helper()
	if len(measures) == 0 {
		measures = []records.MeasureIn{{Op: "count"}}
	}
	rows, err := s.app.Records.Aggregate(s.ctx, object, records.AggregateRequest{Filter: filter, GroupBy: groupBy, Measures: measures})
	if err != nil {
		t.Fatalf("aggregate %s %q: %v", object, filter, err)
	}
	return rows
}

// count is the number of records of object matching filter.
func (s *seeded) count(t *testing.T, object, filter string) float64 {
	t.Helper()
	rows := s.agg(t, object, filter, nil)
	if len(rows) == 0 {
		return 0
	}
	return num(rows[0]["count"])
}

// countBy counts records of object matching filter per value of field.
func (s *seeded) countBy(t *testing.T, object, filter, field string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, r := range s.agg(t, object, filter, []records.GroupKey{{Field: field}}) {
		out[fmt.Sprint(r[field])] = num(r["count"])
	}
	return out
}

func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case float64:
		return x
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return 0
}

func TestSeed_shapeOfADemoTenant(t *testing.T) {
	s := demoTenant(t)
	open := "stage IN ('uql','mql','sql')"

	t.Run("every lead, and records of every sales object, are created", func(t *testing.T) {
		if got := s.count(t, "lead", ""); got != 2000 {
			t.Fatalf("leads = %v, want 2000", got)
		}
		for _, o := range []string{"account", "activity", "campaign", "contact", "opportunity", "task"} {
			if got := s.count(t, o, ""); got == 0 || got != float64(s.report.Records[o]) {
				t.Errorf("%s: %v in the store, %d in the report", o, got, s.report.Records[o])
			}
		}
	})

	t.Run("funnel counts decrease from UQL to MQL to SQL to converted to won", func(t *testing.T) {
		funnel := []float64{
			s.count(t, "lead", ""),
			s.count(t, "lead", "stage IN ('mql','sql','converted')"),
			s.count(t, "lead", "stage IN ('sql','converted')"),
			s.count(t, "lead", "stage = 'converted'"),
			s.count(t, "opportunity", "stage = 'closed_won'"),
		}
		for i := 1; i < len(funnel); i++ {
			if !(funnel[i] < funnel[i-1]) || funnel[i] == 0 {
				t.Fatalf("funnel %v does not decrease strictly at step %d", funnel, i)
			}
		}
		t.Logf("funnel all/mql+/sql+/converted/won: %v", funnel)
	})

	t.Run("conversion by source follows the channel design", func(t *testing.T) {
		all := s.countBy(t, "lead", "", "source")
		conv := s.countBy(t, "lead", "stage = 'converted'", "source")
		rate := func(src ...string) float64 {
			var c, n float64
			for _, x := range src {
				c, n = c+conv[x], n+all[x]
			}
			return c / n
		}
		// The design: referral best, then partners, then inbound web, SEM worst.
		order := []string{"referral", "channel_partner", "website", "sem"}
		for i := 1; i < len(order); i++ {
			if !(rate(order[i]) < rate(order[i-1])) {
				t.Errorf("conversion of %s (%.3f) is not below %s (%.3f)", order[i], rate(order[i]), order[i-1], rate(order[i-1]))
			}
		}
		best, worst := rate("referral", "partnership", "channel_partner", "offline_event"), rate("community", "app", "new_media", "sem")
		if best < 3*worst {
			t.Errorf("the best channels convert %.3f, the worst %.3f: want at least 3x", best, worst)
		}
		if all["website"] < all["partnership"] || all["sem"] < all["referral"] {
			t.Errorf("volumes do not follow the design (website and SEM bring more leads than partnership and referral): %v", all)
		}
	})

	t.Run("SEM costs more per lead than referral", func(t *testing.T) {
		cost := map[string]float64{}
		for _, r := range s.agg(t, "campaign", "", []records.GroupKey{{Field: "channel"}}, records.MeasureIn{Op: "sum", Field: "cost"}) {
			cost[fmt.Sprint(r["channel"])] = num(r["sum_cost"])
		}
		leads := s.countBy(t, "lead", "", "source")
		sem, ref := cost["sem"]/leads["sem"], cost["referral"]/leads["referral"]
		if !(sem > 4*ref) {
			t.Errorf("cost per lead: SEM %.0f, referral %.0f; want SEM far above", sem, ref)
		}
	})

	t.Run("every converted lead links to its account, contact and opportunity", func(t *testing.T) {
		converted := s.count(t, "lead", "stage = 'converted'")
		if n := s.count(t, "lead", "stage = 'converted' AND (convertedAccount IS NULL OR convertedContact IS NULL OR convertedOpportunity IS NULL)"); n != 0 {
			t.Fatalf("%v converted leads lack a link", n)
		}
		if n := s.count(t, "lead", "stage != 'converted' AND convertedAccount IS NOT NULL"); n != 0 {
			t.Fatalf("%v leads link to an account without being converted", n)
		}
		for _, o := range []string{"account", "contact", "opportunity"} {
			if n := s.count(t, o, ""); n != converted {
				t.Errorf("%v %s records for %v converted leads", n, o, converted)
			}
		}
		page, err := s.app.Records.List(s.ctx, "lead", records.ListOptions{Filter: "stage = 'converted'", Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Items {
			acct, con, opp := get(t, s, "account", l.Data["convertedAccount"]), get(t, s, "contact", l.Data["convertedContact"]),
				get(t, s, "opportunity", l.Data["convertedOpportunity"])
			if con["account"] != acct["id"] || opp["account"] != acct["id"] || opp["contact"] != con["id"] {
				t.Fatalf("lead %s: contact and opportunity do not point at the account %s: %v / %v", l.ID, acct["id"], con, opp)
			}
			if con["email"] != l.Data["email"] || acct["name"] != l.Data["company"] {
				t.Fatalf("lead %s: the contact or account is not the lead's person and company", l.ID)
			}
		}
	})

	t.Run("leads span 18 months and their volume grows", func(t *testing.T) {
		rows := s.agg(t, "lead", "", []records.GroupKey{{Field: "createdAt", By: "month"}})
		if len(rows) != 18 {
			t.Fatalf("leads fall in %d months, want 18: %v", len(rows), rows)
		}
		counts := make([]float64, len(rows))
		for i, r := range rows {
			counts[i] = num(r["count"])
		}
		first, last := counts[0]+counts[1]+counts[2]+counts[3]+counts[4]+counts[5], counts[12]+counts[13]+counts[14]+counts[15]+counts[16]+counts[17]
		if fmt.Sprint(rows[0]["createdAt"]) > fmt.Sprint(rows[17]["createdAt"]) {
			counts[0], counts[17] = counts[17], counts[0]
			first, last = last, first
		}
		if !(last > 1.3*first) {
			t.Errorf("the last 6 months have %v leads, the first 6 %v: want growth", last, first)
		}
	})

	t.Run("open leads idle for 15 days are back in the public pool", func(t *testing.T) {
		idle := now.Add(-15 * 24 * time.Hour).Format(time.RFC3339)
		if n := s.count(t, "lead", open+" AND poolStatus = 'private' AND lastActivityAt < "+idle); n != 0 {
			t.Errorf("%v open private leads have had no activity since before %s", n, idle)
		}
		if n := s.count(t, "lead", open+" AND poolStatus = 'private'"); n == 0 {
			t.Error("no open lead is owned by a rep")
		}
		if n := s.count(t, "lead", "poolStatus = 'private' AND firstContactAt IS NULL AND assignedAt < "+now.Add(-24*time.Hour).Format(time.RFC3339)); n != 0 {
			t.Errorf("%v private leads were not contacted within 24 h of assignment", n)
		}
	})

	t.Run("pipeline stages carry their forecast category", func(t *testing.T) {
		want := map[string]string{"prospecting": "pipeline", "qualification": "pipeline", "proposal": "best_case",
			"negotiation": "commit", "closed_won": "closed", "closed_lost": "omitted"}
		rows := s.agg(t, "opportunity", "", []records.GroupKey{{Field: "stage"}, {Field: "forecastCategory"}},
			records.MeasureIn{Op: "count"}, records.MeasureIn{Op: "sum", Field: "amount"})
		stages := map[string]bool{}
		for _, r := range rows {
			st := fmt.Sprint(r["stage"])
			stages[st] = true
			if want[st] != r["forecastCategory"] {
				t.Errorf("stage %s has forecast category %v", st, r["forecastCategory"])
			}
			if num(r["sum_amount"]) <= 0 {
				t.Errorf("stage %s has no amount", st)
			}
		}
		if !stages["closed_won"] || !stages["closed_lost"] || !(stages["prospecting"] || stages["qualification"] || stages["proposal"] || stages["negotiation"]) {
			t.Errorf("the pipeline lacks won, lost or open deals: %v", stages)
		}
	})

	t.Run("reps convert at different rates", func(t *testing.T) {
		all := s.countBy(t, "lead", "stage != 'uql'", "owner")
		conv := s.countBy(t, "lead", "stage = 'converted'", "owner")
		lo, hi := 1.0, 0.0
		for owner, n := range all {
			if n < 40 {
				continue
			}
			r := conv[owner] / n
			lo, hi = min(lo, r), max(hi, r)
		}
		if !(hi > 1.5*lo) {
			t.Errorf("rep conversion ranges from %.3f to %.3f: want a visible spread", lo, hi)
		}
	})

	t.Run("visits carry their check-in", func(t *testing.T) {
		if n := s.count(t, "activity", "type = 'visit'"); n == 0 {
			t.Fatal("no visits")
		}
		page, err := s.app.Records.List(s.ctx, "activity", records.ListOptions{Filter: "type = 'visit'", Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Items {
			loc, _ := v.Data["checkInLocation"].(map[string]any)
			if loc["lat"] == nil || loc["lng"] == nil || v.Data["checkInAt"] == nil {
				t.Fatalf("visit %s has no check-in: %v", v.ID, v.Data)
			}
		}
	})

	t.Run("stage changes are in the field history at their dates", func(t *testing.T) {
		page, err := s.app.Records.List(s.ctx, "lead", records.ListOptions{Filter: "stage = 'converted'", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Items {
			h, err := s.app.Records.History(s.ctx, "lead", l.ID)
			if err != nil {
				t.Fatal(err)
			}
			var path []string
			last := fmt.Sprint(l.Data["createdAt"])
			for i := len(h) - 1; i >= 0; i-- { // oldest first
				if h[i].Field != "stage" {
					continue
				}
				path = append(path, fmt.Sprint(h[i].To))
				if h[i].At < last || h[i].At > now.Format(time.RFC3339) {
					t.Fatalf("lead %s: stage change at %s is not between its creation %s and now", l.ID, h[i].At, last)
				}
				last = h[i].At
			}
			if strings.Join(path, ",") != "mql,sql,converted" {
				t.Fatalf("lead %s: stage history %v", l.ID, path)
			}
		}
	})

	t.Run("seeding the tenant again is refused", func(t *testing.T) {
		_, err := seed.Run(context.Background(), depsOf(s.app, &seed.Clock{}), seed.Config{Leads: 10, Now: now}, nil)
		if errs.CodeOf(err) != "seed.not_empty" {
			t.Fatalf("err = %v, want seed.not_empty", err)
		}
	})

	t.Run("progress is reported", func(t *testing.T) {
		for _, want := range []string{"package sales: installed", "leads 1000/2000 (50%)", "leads 2000/2000 (100%)", "done in"} {
			if !strings.Contains(s.progress, want) {
				t.Errorf("progress lacks %q:\n%s", want, s.progress)
			}
		}
	})
}

func get(t *testing.T, s *seeded, object string, id any) map[string]any {
	t.Helper()
	r, err := s.app.Records.Get(s.ctx, object, fmt.Sprint(id), records.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %v: %v", object, id, err)
	}
	return r.Data
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  seed.Config
		code string
	}{
		{"the zero value is valid", seed.Config{}, ""},
		{"a million leads is valid", seed.Config{Leads: seed.MaxLeads}, ""},
		{"more than a million leads is refused", seed.Config{Leads: seed.MaxLeads + 1}, "seed.bad_config"},
		{"a bad tenant name is refused", seed.Config{Tenant: "Bad Name"}, "seed.bad_config"},
		{"a history share above 100% is refused", seed.Config{HistoryPercent: 101}, "seed.bad_config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errs.CodeOf(tc.cfg.Validate()); got != tc.code {
				t.Fatalf("code = %q, want %q", got, tc.code)
			}
		})
	}
}
