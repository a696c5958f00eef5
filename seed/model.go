package seed

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// channel is a lead source and what the seed makes of it: its share of the
// lead volume, the chance of each step of the funnel, what a lead costs
// and how well the deals it brings close. The table is the design the
// reports should show: referral converts best and costs least, SEM costs
// most and converts worst.
type channel struct {
	name        string
	label       string
	weight      float64 // share of the lead volume
	mql         float64 // P(UQL -> MQL)
	sql         float64 // P(MQL -> SQL)
	conv        float64 // P(SQL -> converted), before the rep's skill
	win         float64 // P(opportunity won), before the rep's skill
	costPerLead float64 // CNY spent per lead on the channel's campaigns
	score       int     // typical first score
}

// channels are ordered from the best to the worst lead-to-conversion rate
// (mql x sql x conv): 0.288, 0.175, 0.132, 0.096, 0.073, 0.056, 0.040,
// 0.030, 0.022, 0.018.
var channels = []channel{
	{"referral", "Referral", 5, 0.80, 0.60, 0.60, 0.55, 20, 70},
	{"partnership", "Partnership", 4, 0.70, 0.50, 0.50, 0.45, 60, 62},
	{"channel_partner", "Channel partner", 8, 0.65, 0.45, 0.45, 0.40, 90, 58},
	{"offline_event", "Offline event", 8, 0.60, 0.40, 0.40, 0.35, 150, 55},
	{"website", "Website", 18, 0.55, 0.35, 0.38, 0.32, 25, 50},
	{"seo", "SEO", 15, 0.50, 0.32, 0.35, 0.30, 30, 48},
	{"community", "Community", 7, 0.45, 0.28, 0.32, 0.28, 35, 44},
	{"app", "App", 9, 0.40, 0.25, 0.30, 0.27, 45, 42},
	{"new_media", "New media", 10, 0.35, 0.22, 0.28, 0.25, 70, 38},
	{"sem", "SEM", 16, 0.35, 0.20, 0.25, 0.22, 120, 35},
}

var (
	regions    = []string{"north", "south", "east", "west", "central", "overseas"}
	regionW    = []float64{22, 20, 26, 12, 14, 6}
	industries = []string{"technology", "manufacturing", "finance", "retail", "healthcare", "education", "government", "other"}
	industryW  = []float64{24, 20, 12, 12, 10, 8, 6, 8}
	lines      = []string{"software", "hardware", "services", "training"}
	lineW      = []float64{45, 20, 25, 10}
	// lineDeal is the median deal of a business line in CNY.
	lineDeal = map[string]float64{"software": 120_000, "hardware": 200_000, "services": 80_000, "training": 20_000}
	// disqualifiedReasons are why a lead was dropped.
	disqualifiedReasons = []string{"No budget", "No decision power", "Chose a competitor", "Not a fit", "Unreachable", "Duplicate inquiry", "Timing: next year"}
)

// weighted picks an index with probability proportional to w.
func weighted(r *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

func channelWeights() []float64 {
	w := make([]float64, len(channels))
	for i, c := range channels {
		w[i] = c.weight
	}
	return w
}

// local is the sales team's time zone (China Standard Time, no DST).
var local = time.FixedZone("CST", 8*3600)

// workTime moves t into the next working hours (Monday to Friday, 9:00 to
// 18:00 local), keeping its minutes, so that calls and meetings happen when
// people work.
func workTime(t time.Time) time.Time {
	l := t.In(local)
	for {
		switch {
		case l.Weekday() == time.Saturday || l.Weekday() == time.Sunday:
			l = time.Date(l.Year(), l.Month(), l.Day()+1, 9, l.Minute(), l.Second(), 0, local)
		case l.Hour() < 9:
			l = time.Date(l.Year(), l.Month(), l.Day(), 9, l.Minute(), l.Second(), 0, local)
		case l.Hour() >= 18:
			l = time.Date(l.Year(), l.Month(), l.Day()+1, 9, l.Minute(), l.Second(), 0, local)
		default:
			return l.UTC()
		}
	}
}

func days(r *rand.Rand, lo, hi float64) time.Duration {
	return time.Duration((lo + r.Float64()*(hi-lo)) * 24 * float64(time.Hour))
}

// lognormal returns exp(N(0, sigma)).
func lognormal(r *rand.Rand, sigma float64) float64 { return math.Exp(r.NormFloat64() * sigma) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// arrivals returns n lead arrival times over [from, to), sorted: volume
// grows over the period (the last month sees about twice the first), falls
// at weekends, and most leads arrive in working hours.
func arrivals(r *rand.Rand, n int, from, to time.Time) []int64 {
	span := to.Sub(from)
	out := make([]int64, n)
	for i := range out {
		for {
			// Density proportional to 1+x on [0,1]: inverse of its CDF.
			x := -1 + math.Sqrt(1+3*r.Float64())
			t := from.Add(time.Duration(x * float64(span))).In(local)
			if (t.Weekday() == time.Saturday || t.Weekday() == time.Sunday) && r.Float64() < 0.7 {
				continue
			}
			if h := t.Hour(); (h < 8 || h >= 20) && r.Float64() < 0.75 {
				continue
			}
			out[i] = t.UnixNano()
			break
		}
	}
	slices.Sort(out)
	return out
}
