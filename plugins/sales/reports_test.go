package sales_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/plugins/sales"
)

// seeded is what the report test inserted, kept to recompute every figure
// independently of the service.
type seededLead struct {
	source, stage, owner, month string
	assigned, contacted         time.Time // zero: none
	opp                         *seededOpp
}

type seededOpp struct {
	stage, closeMonth string
	amount            float64
	furthest          int // index in stages of the furthest open stage it was at
}

var (
	channels  = []string{"website", "seo", "sem"}
	leadStage = []string{"uql", "mql", "sql", "disqualified", "converted", "converted"}
	openStage = []string{"prospecting", "qualification", "proposal", "negotiation"}
)

// seedReports inserts 120 leads over January to March 2026 (the clock set
// to each lead's creation), converts a third of them, and closes or keeps
// open their opportunities; it also adds one campaign per channel.
func seedReports(t *testing.T, e *clockEnv, bob identity.User) []*seededLead {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 9))
	var out []*seededLead
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := range 120 {
		at := start.Add(time.Duration(i) * 18 * time.Hour)
		e.clock.Set(at)
		l := &seededLead{source: channels[rng.IntN(3)], stage: leadStage[rng.IntN(len(leadStage))], month: at.Format("2006-01")}
		owner := e.ann
		if rng.IntN(2) == 0 {
			owner = bob
		}
		l.owner = owner.ID
		in := map[string]any{"name": "Lead " + at.Format(time.RFC3339), "source": l.source, "owner": owner.ID}
		if rng.IntN(4) > 0 {
			l.assigned = at.Add(-time.Duration(rng.IntN(5)) * time.Hour)
			in["assignedAt"] = clock.Stamp(l.assigned)
			if rng.IntN(3) > 0 {
				l.contacted = l.assigned.Add(time.Duration(rng.IntN(72*60)) * time.Minute)
				in["firstContactAt"] = clock.Stamp(l.contacted)
			}
		}
		if l.stage != "converted" {
			in["stage"] = l.stage
		}
		r, err := e.recs.Create(e.as(e.admin), "lead", in)
		if err != nil {
			t.Fatal(err)
		}
		if l.stage == "converted" {
			o := &seededOpp{amount: float64(1000 * (1 + rng.IntN(50))), furthest: rng.IntN(4)}
			o.stage = openStage[o.furthest]
			close := time.Date(2026, time.Month(1+rng.IntN(6)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
			conv, err := e.svc.Convert(e.as(owner), r.ID, sales.ConvertRequest{Opportunity: true, Mapping: map[string]map[string]any{
				"opportunity": {"amount": o.amount, "stage": o.stage, "closeDate": close.Format(time.DateOnly)}}})
			if err != nil {
				t.Fatal(err)
			}
			if close.Before(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) { // closed by now
				o.stage = "closed_lost"
				if rng.IntN(2) == 0 {
					o.stage = "closed_won"
				}
				if _, err := e.recs.Update(e.as(owner), "opportunity", conv.Opportunity.ID, map[string]any{"stage": o.stage}, 0); err != nil {
					t.Fatal(err)
				}
			}
			o.closeMonth = close.Format("2006-01")
			l.opp = o
		}
		out = append(out, l)
	}
	for i, ch := range channels {
		if _, err := e.recs.Create(e.as(e.admin), "campaign", map[string]any{"name": ch + " Q1", "channel": ch,
			"cost": float64(5000 * (i + 1)), "startDate": "2026-01-15"}); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the range: not counted.
	if _, err := e.recs.Create(e.as(e.admin), "campaign", map[string]any{"name": "old", "channel": "seo", "cost": 99999.0, "startDate": "2025-06-01"}); err != nil {
		t.Fatal(err)
	}
	return out
}

func report(t *testing.T, e *clockEnv, name string, q sales.ReportQuery, into any) {
	t.Helper()
	out, err := e.svc.Report(e.as(e.admin), name, q)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, _ := json.Marshal(out)
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	r := math.Round(float64(a)/float64(b)*1e4) / 1e4
	return &r
}

func sameRate(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || math.Abs(*a-*b) < 1e-9)
}

func TestReports_matchTheInsertedData(t *testing.T) {
	e := newClockEnv(t)
	bob, err := e.idsCreate("robert@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	data := seedReports(t, e, bob)
	e.clock.Set(time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC))
	q1 := sales.ReportQuery{From: "2026-01-01", To: "2026-04-01"}

	t.Run("funnel by channel and month", func(t *testing.T) {
		type cell struct{ uql, mql, sql, won int }
		want := map[[2]string]*cell{}
		for _, l := range data {
			k := [2]string{l.source, l.month}
			if want[k] == nil {
				want[k] = &cell{}
			}
			c := want[k]
			c.uql++
			if slices.Contains([]string{"mql", "sql", "converted"}, l.stage) {
				c.mql++
			}
			if l.stage == "sql" || l.stage == "converted" {
				c.sql++
			}
			if l.opp != nil && l.opp.stage == "closed_won" {
				c.won++
			}
		}
		var got sales.Funnel
		report(t, e, "funnel", q1, &got)
		if len(got.Rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(got.Rows), len(want))
		}
		total := 0
		for _, r := range got.Rows {
			w := want[[2]string{r.Channel, r.Period}]
			if w == nil || r.UQL != int64(w.uql) || r.MQL != int64(w.mql) || r.SQL != int64(w.sql) || r.Won != int64(w.won) {
				t.Errorf("row %+v, want %+v", r, w)
				continue
			}
			if !sameRate(r.Rates.UQLToMQL, ratio(w.mql, w.uql)) || !sameRate(r.Rates.MQLToSQL, ratio(w.sql, w.mql)) ||
				!sameRate(r.Rates.SQLToWon, ratio(w.won, w.sql)) {
				t.Errorf("rates of %s %s: %+v", r.Channel, r.Period, r.Rates)
			}
			total += w.uql
		}
		t.Logf("funnel Q1: %+v rates %v %v %v", got.Total.Stages, *got.Total.Rates.UQLToMQL, *got.Total.Rates.MQLToSQL, *got.Total.Rates.SQLToWon)
		if got.Total.UQL != int64(total) || total != len(data) {
			t.Errorf("total %d, want %d", got.Total.UQL, len(data))
		}
	})

	t.Run("each rep against the team", func(t *testing.T) {
		var got sales.RepConversion
		report(t, e, "rep-conversion", q1, &got)
		for _, r := range got.Reps {
			uql, mql, won := 0, 0, 0
			for _, l := range data {
				if l.owner != r.Rep {
					continue
				}
				uql++
				if slices.Contains([]string{"mql", "sql", "converted"}, l.stage) {
					mql++
				}
				if l.opp != nil && l.opp.stage == "closed_won" {
					won++
				}
			}
			if r.UQL != int64(uql) || r.MQL != int64(mql) || r.Won != int64(won) {
				t.Errorf("rep %s: %+v, want uql %d mql %d won %d", r.Rep, r.Stages, uql, mql, won)
			}
			if want := *ratio(mql, uql) - *got.Team.Rates.UQLToMQL; r.VsTeam.UQLToMQL == nil || math.Abs(*r.VsTeam.UQLToMQL-want) > 1e-4 {
				t.Errorf("rep %s against the team %v, want %v", r.Rep, r.VsTeam.UQLToMQL, want)
			}
		}
		if len(got.Reps) != 2 || got.Team.UQL != int64(len(data)) {
			t.Errorf("reps %d, team %+v", len(got.Reps), got.Team)
		}
	})

	t.Run("pipeline and forecast from historical stage rates", func(t *testing.T) {
		next := sales.ReportQuery{From: "2026-04-01", To: "2026-07-01"}
		amount, count := map[string]float64{}, map[string]int{}
		reached, won := make([]int, 4), make([]int, 4)
		for _, l := range data {
			o := l.opp
			if o == nil {
				continue
			}
			switch o.stage {
			case "closed_won":
				for i := range 4 {
					reached[i]++
					won[i]++
				}
			case "closed_lost":
				for i := 0; i <= o.furthest; i++ {
					reached[i]++
				}
			default:
				amount[o.stage] += o.amount
				count[o.stage]++
			}
		}
		var pipe sales.Pipeline
		report(t, e, "pipeline", next, &pipe)
		for _, r := range pipe.Stages {
			if r.Count != int64(count[r.Stage]) || math.Abs(r.Amount-amount[r.Stage]) > 1e-6 {
				t.Errorf("pipeline %+v, want %d, %v", r, count[r.Stage], amount[r.Stage])
			}
		}
		var fc sales.Forecast
		report(t, e, "forecast", next, &fc)
		historical, def := 0.0, 0.0
		for i, st := range openStage {
			r := ratio(won[i], reached[i])
			if !sameRate(fc.Rates[i].Rate, r) || fc.Rates[i].Reached != int64(reached[i]) {
				t.Errorf("rate of %s %+v, want %v of %d", st, fc.Rates[i], *r, reached[i])
			}
			historical += amount[st] * *r
			def += amount[st] * []float64{0.1, 0.2, 0.5, 0.75}[i]
		}
		t.Logf("forecast Apr-Jun: %d open, amount %.0f, historical %.2f, default-probability %.2f; rates %v %v %v %v",
			fc.Total.Count, fc.Total.Amount, fc.Total.Historical, fc.Total.Default, *fc.Rates[0].Rate, *fc.Rates[1].Rate, *fc.Rates[2].Rate, *fc.Rates[3].Rate)
		if math.Abs(fc.Total.Historical-historical) > 0.05 || math.Abs(fc.Total.Default-def) > 0.05 {
			t.Errorf("forecast %+v, want historical %.2f default %.2f", fc.Total, historical, def)
		}
		if fc.Rates[0].Rate == nil || *fc.Rates[3].Rate <= *fc.Rates[0].Rate {
			t.Errorf("later stages should win more often: %+v", fc.Rates)
		}
	})

	t.Run("response time from assignment to first contact", func(t *testing.T) {
		var hours []float64
		notContacted := 0
		for _, l := range data {
			if l.assigned.IsZero() || l.assigned.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
				continue
			}
			if l.contacted.IsZero() {
				notContacted++
				continue
			}
			hours = append(hours, l.contacted.Sub(l.assigned).Hours())
		}
		slices.Sort(hours)
		sum := 0.0
		for _, h := range hours {
			sum += h
		}
		var got sales.ResponseTime
		report(t, e, "response-time", q1, &got)
		if got.Team.Contacted != int64(len(hours)) || got.NotContacted != int64(notContacted) ||
			math.Abs(*got.Team.AvgHours-sum/float64(len(hours))) > 0.01 ||
			math.Abs(*got.Team.MedianHours-hours[(len(hours)+1)/2-1]) > 0.01 {
			t.Errorf("response time %+v (not contacted %d), want %d contacted, %d not, avg %.2f", got.Team, got.NotContacted,
				len(hours), notContacted, sum/float64(len(hours)))
		}
	})

	t.Run("channel quality: cost per won deal", func(t *testing.T) {
		var got sales.ChannelQuality
		report(t, e, "channel-quality", q1, &got)
		for i, ch := range channels {
			leads, wonN, wonAmt := 0, 0, 0.0
			for _, l := range data {
				if l.source == ch {
					leads++
					if l.opp != nil && l.opp.stage == "closed_won" {
						wonN++
						wonAmt += l.opp.amount
					}
				}
			}
			cost := float64(5000 * (i + 1))
			idx := slices.IndexFunc(got.Channels, func(r sales.ChannelRow) bool { return r.Channel == ch })
			if idx < 0 {
				t.Fatalf("no row for %s", ch)
			}
			r := got.Channels[idx]
			if r.Cost != cost || r.Leads != int64(leads) || r.Won != int64(wonN) || math.Abs(r.WonAmount-wonAmt) > 1e-6 ||
				(wonN > 0 && math.Abs(*r.CostPerWon-cost/float64(wonN)) > 0.01) {
				t.Errorf("%s: %+v, want cost %v leads %d won %d amount %v", ch, r, cost, leads, wonN, wonAmt)
			}
		}
	})

	t.Run("a bad range is refused", func(t *testing.T) {
		for _, q := range []sales.ReportQuery{{From: "2026-02-01", To: "2026-01-01"}, {From: "yesterday"}, {Period: "week"}} {
			if _, err := e.svc.Report(e.as(e.admin), "funnel", q); err == nil || !strings.Contains(err.Error(), "report.bad_query") {
				t.Errorf("%+v: %v", q, err)
			}
		}
	})
}

func (e *clockEnv) idsCreate(email string) (identity.User, error) {
	return e.ids.CreateUser(context.Background(), e.tenant, identity.NewUser{Email: email, Password: "a long password", Name: email,
		Roles: []string{"sales_rep"}})
}
