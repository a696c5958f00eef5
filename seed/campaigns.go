package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// themes name each channel's campaigns.
var themes = map[string]string{
	"referral": "Customer referral rewards", "partnership": "Alliance programme", "channel_partner": "Partner co-selling",
	"offline_event": "Industry expo", "website": "Website inquiries", "seo": "Content and SEO", "community": "Community meetups",
	"app": "In-app trials", "new_media": "Short-video ads", "sem": "Search ads",
}

// campaignSet is one campaign per channel and calendar quarter of the
// seeded period.
type campaignSet struct {
	first int        // index of the first quarter (year*4 + quarter)
	ids   [][]string // [channel][quarter]
}

func quarterOf(t time.Time) int {
	l := t.In(local)
	return l.Year()*4 + (int(l.Month())-1)/3
}

func quarterStart(q int) time.Time {
	return time.Date(q/4, time.Month(q%4*3+1), 1, 0, 0, 0, 0, local)
}

// of returns the campaign of a lead of channel ch that arrived at at.
func (c *campaignSet) of(ch int, at time.Time) int { return ch*1000 + quarterOf(at) - c.first }

func (c *campaignSet) id(ref int) string {
	if ref < 0 {
		return ""
	}
	return c.ids[ref/1000][ref%1000]
}

// seedCampaigns creates the campaigns, each costing what its channel
// costs per lead times the leads it brought (give or take 15%).
func seedCampaigns(ctx context.Context, w *writer, from, now time.Time, times []int64, sources []uint8, r *rand.Rand) (*campaignSet, error) {
	first, last := quarterOf(from), quarterOf(now)
	n := last - first + 1
	leads := make([][]int, len(channels))
	for ch := range leads {
		leads[ch] = make([]int, n)
	}
	for i, t := range times {
		leads[sources[i]][quarterOf(time.Unix(0, t))-first]++
	}
	set := &campaignSet{first: first, ids: make([][]string, len(channels))}
	err := w.atomically(ctx, func(ctx context.Context) error {
		for ch, c := range channels {
			set.ids[ch] = make([]string, n)
			for q := range n {
				start := quarterStart(first + q)
				end := quarterStart(first+q+1).AddDate(0, 0, -1)
				status := "completed"
				if !end.Before(now.In(local)) {
					status = "active"
				}
				cost := float64(leads[ch][q]) * c.costPerLead * (0.85 + 0.3*r.Float64())
				rec := map[string]any{"name": fmt.Sprintf("%s %d Q%d", themes[c.name], (first+q)/4, (first+q)%4+1),
					"channel": c.name, "status": status, "cost": float64(int64(cost)), "startDate": start.Format("2006-01-02"),
					"endDate": end.Format("2006-01-02")}
				id, err := w.create(ctx, "campaign", start.AddDate(0, 0, -10), rec)
				if err != nil {
					return err
				}
				set.ids[ch][q] = id
			}
		}
		return nil
	})
	return set, err
}
