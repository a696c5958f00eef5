package sales

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// The sales reports. Each is computed from the record service's aggregates
// (and, where an aggregate cannot say it, its lists and field history) as
// the caller, so a rep's report covers the records the rep may see and a
// manager's the team's.
//
// Definitions, which the tests recompute independently:
//   - A lead "reached" MQL when its stage is mql, sql or converted, SQL when
//     sql or converted (a disqualified lead counts as UQL only: the stage,
//     not its history, is what an aggregate sees). Leads count in the period
//     of their creation, by source (channel).
//   - A "won" deal is an opportunity converted from a lead (sourceLead set)
//     at closed_won, counted by its leadSource in the period it was created
//     (the conversion).
//   - Rates are the later count over the earlier one, null when the earlier
//     one is 0.

// ReportQuery selects the range of a report: From and To are dates
// (YYYY-MM-DD, To exclusive; default the year up to today), Period buckets
// it (day, month, quarter or year; default month).
type ReportQuery struct {
	From, To, Period string
}

// Report names.
const (
	ReportFunnel         = "funnel"
	ReportRepConversion  = "rep-conversion"
	ReportPipeline       = "pipeline"
	ReportForecast       = "forecast"
	ReportResponseTime   = "response-time"
	ReportChannelQuality = "channel-quality"
)

// oppStages are the open opportunity stages in order.
var oppStages = []string{"prospecting", "qualification", "proposal", "negotiation"}

// Report computes one report; it returns nil, nil for an unknown name.
func (s *Service) Report(ctx context.Context, name string, q ReportQuery) (any, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	r, err := s.reportRange(q)
	if err != nil {
		return nil, err
	}
	switch name {
	case ReportFunnel:
		return s.funnel(ctx, r)
	case ReportRepConversion:
		return s.repConversion(ctx, r)
	case ReportPipeline:
		return s.pipeline(ctx, r)
	case ReportForecast:
		return s.forecast(ctx, r)
	case ReportResponseTime:
		return s.responseTime(ctx, r)
	case ReportChannelQuality:
		return s.channelQuality(ctx, r)
	}
	return nil, nil
}

type span struct {
	From, To string `json:"-"`
	Period   string `json:"-"`
}

func (s *Service) reportRange(q ReportQuery) (span, error) {
	bad := func(field, msg string) error {
		return errs.New(errs.Malformed, "report.bad_query", "%s", msg).WithField(field, "format", msg)
	}
	r := span{From: q.From, To: q.To, Period: q.Period}
	if r.Period == "" {
		r.Period = "month"
	}
	if !slices.Contains([]string{"day", "month", "quarter", "year"}, r.Period) {
		return r, bad("period", "period must be day, month, quarter or year")
	}
	today := s.now().UTC()
	if r.To == "" {
		r.To = today.AddDate(0, 0, 1).Format(time.DateOnly)
	}
	to, err := time.Parse(time.DateOnly, r.To)
	if err != nil {
		return r, bad("to", "to must be a date like 2026-01-31")
	}
	if r.From == "" {
		r.From = to.AddDate(-1, 0, 0).Format(time.DateOnly)
	}
	from, err := time.Parse(time.DateOnly, r.From)
	if err != nil {
		return r, bad("from", "from must be a date like 2026-01-01")
	}
	if !from.Before(to) {
		return r, bad("from", "from must be before to")
	}
	return r, nil
}

// within is a filter on a datetime field in the range.
func (r span) within(field string) string {
	return fmt.Sprintf("%s >= %sT00:00:00Z AND %s < %sT00:00:00Z", field, r.From, field, r.To)
}

// withinDate is a filter on a date field in the range.
func (r span) withinDate(field string) string {
	return fmt.Sprintf("%s >= %s AND %s < %s", field, r.From, field, r.To)
}

func (s *Service) agg(ctx context.Context, object, filter string, group []records.GroupKey, m ...records.MeasureIn) ([]map[string]any, error) {
	if len(m) == 0 {
		m = []records.MeasureIn{{Op: "count"}}
	}
	return s.recs.Aggregate(ctx, object, records.AggregateRequest{Filter: filter, GroupBy: group, Measures: m})
}

func count(row map[string]any) int64 {
	n, _ := store.NormalizeValue(row["count"]).(int64)
	return n
}

func number(v any) float64 {
	switch x := store.NormalizeValue(v).(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func key(row map[string]any, field string) string {
	v, _ := row[field].(string)
	return v
}

// rate is a/b rounded to four places, nil when b is 0.
func rate(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	r := math.Round(float64(a)/float64(b)*1e4) / 1e4
	return &r
}

// Stages are the funnel's counts of one group.
type Stages struct {
	UQL       int64 `json:"uql"`
	MQL       int64 `json:"mql"`
	SQL       int64 `json:"sql"`
	Converted int64 `json:"converted"`
	Won       int64 `json:"won"`
}

// Rates are the stage-to-stage conversion rates of Stages.
type Rates struct {
	UQLToMQL *float64 `json:"uqlToMql"`
	MQLToSQL *float64 `json:"mqlToSql"`
	SQLToWon *float64 `json:"sqlToWon"`
	UQLToWon *float64 `json:"uqlToWon"`
}

func (st *Stages) addLeads(stage string, n int64) {
	st.UQL += n
	switch stage {
	case "mql":
		st.MQL += n
	case "sql":
		st.MQL, st.SQL = st.MQL+n, st.SQL+n
	case "converted":
		st.MQL, st.SQL, st.Converted = st.MQL+n, st.SQL+n, st.Converted+n
	}
}

func (st Stages) rates() Rates {
	return Rates{UQLToMQL: rate(st.MQL, st.UQL), MQLToSQL: rate(st.SQL, st.MQL), SQLToWon: rate(st.Won, st.SQL), UQLToWon: rate(st.Won, st.UQL)}
}

// FunnelRow is one channel in one period.
type FunnelRow struct {
	Channel string `json:"channel"`
	Period  string `json:"period"`
	Stages
	Rates Rates `json:"rates"`
}

// Funnel is the funnel report.
type Funnel struct {
	From     string      `json:"from"`
	To       string      `json:"to"`
	Period   string      `json:"period"`
	Rows     []FunnelRow `json:"rows"`
	Channels []FunnelRow `json:"channels"` // every period of a channel together
	Total    FunnelRow   `json:"total"`
}

func (s *Service) funnel(ctx context.Context, r span) (*Funnel, error) {
	leads, err := s.agg(ctx, "lead", r.within("createdAt"),
		[]records.GroupKey{{Field: "source"}, {Field: "createdAt", By: r.Period}, {Field: "stage"}})
	if err != nil {
		return nil, err
	}
	won, err := s.agg(ctx, "opportunity", "sourceLead IS NOT NULL AND stage = 'closed_won' AND "+r.within("createdAt"),
		[]records.GroupKey{{Field: "leadSource"}, {Field: "createdAt", By: r.Period}})
	if err != nil {
		return nil, err
	}
	rows, channels := map[[2]string]*Stages{}, map[string]*Stages{}
	var total Stages
	at := func(ch, p string) (*Stages, *Stages) {
		if rows[[2]string{ch, p}] == nil {
			rows[[2]string{ch, p}] = &Stages{}
		}
		if channels[ch] == nil {
			channels[ch] = &Stages{}
		}
		return rows[[2]string{ch, p}], channels[ch]
	}
	for _, l := range leads {
		a, b := at(key(l, "source"), key(l, "createdAt"))
		a.addLeads(key(l, "stage"), count(l))
		b.addLeads(key(l, "stage"), count(l))
		total.addLeads(key(l, "stage"), count(l))
	}
	for _, w := range won {
		a, b := at(key(w, "leadSource"), key(w, "createdAt"))
		a.Won, b.Won, total.Won = a.Won+count(w), b.Won+count(w), total.Won+count(w)
	}
	out := &Funnel{From: r.From, To: r.To, Period: r.Period, Rows: []FunnelRow{}, Channels: []FunnelRow{},
		Total: FunnelRow{Stages: total, Rates: total.rates()}}
	for k, st := range rows {
		out.Rows = append(out.Rows, FunnelRow{Channel: k[0], Period: k[1], Stages: *st, Rates: st.rates()})
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		return a.Channel < b.Channel || (a.Channel == b.Channel && a.Period < b.Period)
	})
	for ch, st := range channels {
		out.Channels = append(out.Channels, FunnelRow{Channel: ch, Stages: *st, Rates: st.rates()})
	}
	sort.Slice(out.Channels, func(i, j int) bool { return out.Channels[i].Channel < out.Channels[j].Channel })
	return out, nil
}

// RepRow is one rep's funnel against the team's.
type RepRow struct {
	Rep string `json:"rep"`
	Stages
	Rates Rates `json:"rates"`
	// VsTeam is the rep's rate minus the team's, per stage.
	VsTeam Rates `json:"vsTeam"`
}

// RepConversion is the rep conversion report.
type RepConversion struct {
	From string   `json:"from"`
	To   string   `json:"to"`
	Team RepRow   `json:"team"`
	Reps []RepRow `json:"reps"`
}

func diff(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	d := math.Round((*a-*b)*1e4) / 1e4
	return &d
}

func (s *Service) repConversion(ctx context.Context, r span) (*RepConversion, error) {
	leads, err := s.agg(ctx, "lead", r.within("createdAt"), []records.GroupKey{{Field: "owner"}, {Field: "stage"}})
	if err != nil {
		return nil, err
	}
	won, err := s.agg(ctx, "opportunity", "sourceLead IS NOT NULL AND stage = 'closed_won' AND "+r.within("createdAt"),
		[]records.GroupKey{{Field: "owner"}})
	if err != nil {
		return nil, err
	}
	reps := map[string]*Stages{}
	var team Stages
	get := func(rep string) *Stages {
		if reps[rep] == nil {
			reps[rep] = &Stages{}
		}
		return reps[rep]
	}
	for _, l := range leads {
		get(key(l, "owner")).addLeads(key(l, "stage"), count(l))
		team.addLeads(key(l, "stage"), count(l))
	}
	for _, w := range won {
		get(key(w, "owner")).Won += count(w)
		team.Won += count(w)
	}
	tr := team.rates()
	out := &RepConversion{From: r.From, To: r.To, Team: RepRow{Rep: "team", Stages: team, Rates: tr}, Reps: []RepRow{}}
	for rep, st := range reps {
		rr := st.rates()
		out.Reps = append(out.Reps, RepRow{Rep: rep, Stages: *st, Rates: rr, VsTeam: Rates{UQLToMQL: diff(rr.UQLToMQL, tr.UQLToMQL),
			MQLToSQL: diff(rr.MQLToSQL, tr.MQLToSQL), SQLToWon: diff(rr.SQLToWon, tr.SQLToWon), UQLToWon: diff(rr.UQLToWon, tr.UQLToWon)}})
	}
	sort.Slice(out.Reps, func(i, j int) bool { return out.Reps[i].Rep < out.Reps[j].Rep })
	return out, nil
}

// PipelineRow is one open stage.
type PipelineRow struct {
	Stage  string  `json:"stage"`
	Count  int64   `json:"count"`
	Amount float64 `json:"amount"`
}

// Pipeline is the pipeline report: open opportunities closing in the range.
type Pipeline struct {
	From   string        `json:"from"`
	To     string        `json:"to"`
	Stages []PipelineRow `json:"stages"`
	Count  int64         `json:"count"`
	Amount float64       `json:"amount"`
}

func openOpps(r span) string {
	return "stage IN ('prospecting', 'qualification', 'proposal', 'negotiation') AND " + r.withinDate("closeDate")
}

func (s *Service) pipeline(ctx context.Context, r span) (*Pipeline, error) {
	counts, err := s.agg(ctx, "opportunity", openOpps(r), []records.GroupKey{{Field: "stage"}})
	if err != nil {
		return nil, err
	}
	sums, err := s.agg(ctx, "opportunity", openOpps(r), []records.GroupKey{{Field: "stage"}}, records.MeasureIn{Op: "sum", Field: "amount"})
	if err != nil {
		return nil, err
	}
	out := &Pipeline{From: r.From, To: r.To, Stages: []PipelineRow{}}
	for _, st := range oppStages {
		row := PipelineRow{Stage: st}
		for _, c := range counts {
			if key(c, "stage") == st {
				row.Count = count(c)
			}
		}
		for _, m := range sums {
			if key(m, "stage") == st {
				row.Amount = number(m["sum_amount"])
			}
		}
		out.Stages = append(out.Stages, row)
		out.Count, out.Amount = out.Count+row.Count, out.Amount+row.Amount
	}
	return out, nil
}
