package sales

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
)

// historyCap bounds the closed opportunities whose stage history one
// forecast reads (newest closes first).
const historyCap = 5000

// defaultProbability is the package's default win probability per open
// stage (opportunity.defaultProbability), in percent.
var defaultProbability = map[string]float64{"prospecting": 10, "qualification": 20, "proposal": 50, "negotiation": 75}

// StageRate is the historical win rate of opportunities that reached a
// stage.
type StageRate struct {
	Stage   string   `json:"stage"`
	Reached int64    `json:"reached"` // closed opportunities that reached the stage
	Won     int64    `json:"won"`     // of which won
	Rate    *float64 `json:"rate"`
}

// ForecastRow is one period of the forecast.
type ForecastRow struct {
	Period string  `json:"period"`
	Count  int64   `json:"count"`
	Amount float64 `json:"amount"`
	// Historical is the amount weighted by each stage's historical win
	// rate; Default by the stage's default probability.
	Historical float64 `json:"historical"`
	Default    float64 `json:"default"`
}

// Forecast is the forecast report: open opportunities closing in the
// range, weighted by how often opportunities that reached their stage were
// won over the year before the range.
type Forecast struct {
	From        string        `json:"from"`
	To          string        `json:"to"`
	Period      string        `json:"period"`
	HistoryFrom string        `json:"historyFrom"`
	Rates       []StageRate   `json:"rates"`
	Rows        []ForecastRow `json:"rows"`
	Total       ForecastRow   `json:"total"`
	// Truncated: more closed opportunities than historyCap; the rates come
	// from the newest.
	Truncated bool `json:"truncated"`
}

func (s *Service) forecast(ctx context.Context, r span) (*Forecast, error) {
	from, _ := time.Parse(time.DateOnly, r.From)
	hist := span{From: from.AddDate(-1, 0, 0).Format(time.DateOnly), To: r.From}
	rates, truncated, err := s.stageRates(ctx, hist)
	if err != nil {
		return nil, err
	}
	group := []records.GroupKey{{Field: "closeDate", By: r.Period}, {Field: "stage"}}
	counts, err := s.agg(ctx, "opportunity", openOpps(r), group)
	if err != nil {
		return nil, err
	}
	sums, err := s.agg(ctx, "opportunity", openOpps(r), group, records.MeasureIn{Op: "sum", Field: "amount"})
	if err != nil {
		return nil, err
	}
	out := &Forecast{From: r.From, To: r.To, Period: r.Period, HistoryFrom: hist.From, Rates: rates, Rows: []ForecastRow{}, Truncated: truncated}
	rows := map[string]*ForecastRow{}
	row := func(p string) *ForecastRow {
		if rows[p] == nil {
			rows[p] = &ForecastRow{Period: p}
		}
		return rows[p]
	}
	for _, c := range counts {
		row(key(c, "closeDate")).Count += count(c)
	}
	for _, m := range sums {
		st, amount := key(m, "stage"), number(m["sum_amount"])
		fr := row(key(m, "closeDate"))
		fr.Amount += amount
		fr.Default += amount * defaultProbability[st] / 100
		for _, sr := range rates {
			if sr.Stage == st && sr.Rate != nil {
				fr.Historical += amount * *sr.Rate
			}
		}
	}
	for _, fr := range rows {
		fr.Historical, fr.Default = round2(fr.Historical), round2(fr.Default)
		out.Rows = append(out.Rows, *fr)
		out.Total.Count, out.Total.Amount = out.Total.Count+fr.Count, out.Total.Amount+fr.Amount
		out.Total.Historical, out.Total.Default = out.Total.Historical+fr.Historical, out.Total.Default+fr.Default
	}
	out.Total.Historical, out.Total.Default = round2(out.Total.Historical), round2(out.Total.Default)
	sort.Slice(out.Rows, func(i, j int) bool { return out.Rows[i].Period < out.Rows[j].Period })
	return out, nil
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// stageRates reads the stage history of the opportunities closed in the
// span. An opportunity reached every open stage up to the furthest one its
// history shows (created at: the first change's old value, else its
// default, prospecting); a won one reached every open stage.
func (s *Service) stageRates(ctx context.Context, r span) ([]StageRate, bool, error) {
	reached, won := make([]int64, len(oppStages)), make([]int64, len(oppStages))
	opt := records.ListOptions{Filter: "stage IN ('closed_won', 'closed_lost') AND " + r.withinDate("closeDate"),
		Sort: "-closeDate", Limit: 200, Fields: "id,stage"}
	seen, truncated := 0, false
	for {
		page, err := s.recs.List(ctx, "opportunity", opt)
		if err != nil {
			return nil, false, err
		}
		for _, o := range page.Items {
			if seen == historyCap {
				truncated = true
				break
			}
			seen++
			furthest := len(oppStages) - 1
			isWon := str(o.Data, "stage") == "closed_won"
			if !isWon {
				changes, err := s.recs.History(ctx, "opportunity", o.ID)
				if err != nil {
					return nil, false, err
				}
				furthest = 0
				for _, c := range changes {
					if c.Field != "stage" {
						continue
					}
					for _, v := range []any{c.From, c.To} {
						if sv, _ := v.(string); slices.Index(oppStages, sv) > furthest {
							furthest = slices.Index(oppStages, sv)
						}
					}
				}
			}
			for i := 0; i <= furthest; i++ {
				reached[i]++
				if isWon {
					won[i]++
				}
			}
		}
		if truncated || page.NextCursor == nil {
			break
		}
		opt.Cursor = *page.NextCursor
	}
	out := make([]StageRate, len(oppStages))
	for i, st := range oppStages {
		out[i] = StageRate{Stage: st, Reached: reached[i], Won: won[i], Rate: rate(won[i], reached[i])}
	}
	return out, truncated, nil
}

// RepResponse is one rep's lead response time.
type RepResponse struct {
	Rep string `json:"rep"`
	ResponseStats
}

// ResponseStats describe the time from assignment to first contact.
type ResponseStats struct {
	Contacted   int64    `json:"contacted"`
	AvgHours    *float64 `json:"avgHours"`
	MedianHours *float64 `json:"medianHours"`
	P90Hours    *float64 `json:"p90Hours"`
	// Within24h is the share of contacted leads contacted within 24 hours.
	Within24h *float64 `json:"within24h"`
}

// ResponseTime is the response-time report over the leads assigned in the
// range and contacted since.
type ResponseTime struct {
	From         string        `json:"from"`
	To           string        `json:"to"`
	Team         ResponseStats `json:"team"`
	NotContacted int64         `json:"notContacted"` // assigned in the range, not contacted yet
	Reps         []RepResponse `json:"reps"`
	Truncated    bool          `json:"truncated"`
}

// responseCap bounds the leads one response-time report reads.
const responseCap = 100_000

func (s *Service) responseTime(ctx context.Context, r span) (*ResponseTime, error) {
	opt := records.ListOptions{Filter: "firstContactAt IS NOT NULL AND " + r.within("assignedAt"), Sort: "assignedAt",
		Limit: 200, Fields: "owner,assignedAt,firstContactAt"}
	byRep, all := map[string][]float64{}, []float64{}
	out := &ResponseTime{From: r.From, To: r.To, Reps: []RepResponse{}}
	for len(all) < responseCap {
		page, err := s.recs.List(ctx, "lead", opt)
		if err != nil {
			return nil, err
		}
		for _, l := range page.Items {
			a, err1 := clock.ParseStamp(str(l.Data, "assignedAt"))
			c, err2 := clock.ParseStamp(str(l.Data, "firstContactAt"))
			if err1 != nil || err2 != nil || c.Before(a) {
				continue
			}
			h := c.Sub(a).Hours()
			byRep[str(l.Data, "owner")] = append(byRep[str(l.Data, "owner")], h)
			all = append(all, h)
		}
		if page.NextCursor == nil {
			break
		}
		opt.Cursor = *page.NextCursor
		out.Truncated = len(all) >= responseCap
	}
	rows, err := s.agg(ctx, "lead", "firstContactAt IS NULL AND "+r.within("assignedAt"), nil)
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		out.NotContacted = count(rows[0])
	}
	out.Team = stats(all)
	for rep, hs := range byRep {
		out.Reps = append(out.Reps, RepResponse{Rep: rep, ResponseStats: stats(hs)})
	}
	sort.Slice(out.Reps, func(i, j int) bool { return out.Reps[i].Rep < out.Reps[j].Rep })
	return out, nil
}

// stats summarises hours; the median and p90 are nearest-rank.
func stats(hs []float64) ResponseStats {
	st := ResponseStats{Contacted: int64(len(hs))}
	if len(hs) == 0 {
		return st
	}
	sorted := slices.Clone(hs)
	slices.Sort(sorted)
	sum, within := 0.0, int64(0)
	for _, h := range sorted {
		sum += h
		if h <= 24 {
			within++
		}
	}
	pct := func(p float64) *float64 {
		v := round2(sorted[int(math.Ceil(p*float64(len(sorted))))-1])
		return &v
	}
	avg := round2(sum / float64(len(sorted)))
	st.AvgHours, st.MedianHours, st.P90Hours, st.Within24h = &avg, pct(0.5), pct(0.9), rate(within, int64(len(sorted)))
	return st
}

// ChannelRow is one channel's quality.
type ChannelRow struct {
	Channel     string   `json:"channel"`
	Cost        float64  `json:"cost"`
	Leads       int64    `json:"leads"`
	Won         int64    `json:"won"`
	WonAmount   float64  `json:"wonAmount"`
	CostPerLead *float64 `json:"costPerLead"`
	CostPerWon  *float64 `json:"costPerWon"`
	// ROI is (won amount - cost) / cost.
	ROI *float64 `json:"roi"`
}

// ChannelQuality is the channel-quality report: the cost of the campaigns
// that started in the range against the leads created and the deals won
// (converted in the range) per channel.
type ChannelQuality struct {
	From     string       `json:"from"`
	To       string       `json:"to"`
	Channels []ChannelRow `json:"channels"`
}

func (s *Service) channelQuality(ctx context.Context, r span) (*ChannelQuality, error) {
	cost, err := s.agg(ctx, "campaign", r.withinDate("startDate"), []records.GroupKey{{Field: "channel"}},
		records.MeasureIn{Op: "sum", Field: "cost"})
	if err != nil {
		return nil, err
	}
	leads, err := s.agg(ctx, "lead", r.within("createdAt"), []records.GroupKey{{Field: "source"}})
	if err != nil {
		return nil, err
	}
	wonFilter := "sourceLead IS NOT NULL AND stage = 'closed_won' AND " + r.within("createdAt")
	won, err := s.agg(ctx, "opportunity", wonFilter, []records.GroupKey{{Field: "leadSource"}})
	if err != nil {
		return nil, err
	}
	wonAmount, err := s.agg(ctx, "opportunity", wonFilter, []records.GroupKey{{Field: "leadSource"}}, records.MeasureIn{Op: "sum", Field: "amount"})
	if err != nil {
		return nil, err
	}
	rows := map[string]*ChannelRow{}
	row := func(ch string) *ChannelRow {
		if rows[ch] == nil {
			rows[ch] = &ChannelRow{Channel: ch}
		}
		return rows[ch]
	}
	for _, c := range cost {
		row(key(c, "channel")).Cost += number(c["sum_cost"])
	}
	for _, l := range leads {
		row(key(l, "source")).Leads += count(l)
	}
	for _, w := range won {
		row(key(w, "leadSource")).Won += count(w)
	}
	for _, w := range wonAmount {
		row(key(w, "leadSource")).WonAmount += number(w["sum_amount"])
	}
	out := &ChannelQuality{From: r.From, To: r.To, Channels: []ChannelRow{}}
	per := func(cost float64, n int64) *float64 {
		if n == 0 {
			return nil
		}
		v := round2(cost / float64(n))
		return &v
	}
	for _, cr := range rows {
		cr.CostPerLead, cr.CostPerWon = per(cr.Cost, cr.Leads), per(cr.Cost, cr.Won)
		if cr.Cost > 0 {
			v := math.Round((cr.WonAmount-cr.Cost)/cr.Cost*1e4) / 1e4
			cr.ROI = &v
		}
		out.Channels = append(out.Channels, *cr)
	}
	sort.Slice(out.Channels, func(i, j int) bool { return out.Channels[i].Channel < out.Channels[j].Channel })
	return out, nil
}
