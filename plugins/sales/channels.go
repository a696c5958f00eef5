package sales

import (
	"context"
	"math"
	"sort"

	"github.com/opencrm/crm/objects/records"
)

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
