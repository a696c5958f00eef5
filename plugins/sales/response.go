package sales

import (
	"context"
	"math"
	"slices"
	"sort"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
)

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
