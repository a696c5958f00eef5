package sales

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/opencrm/crm/objects/records"
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
