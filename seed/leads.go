package seed

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// partners are the channel partners that bring leads.
var partners = []string{"Huaxin Systems Integration", "Tianhe Solutions", "Northstar Consulting", "Apex Channel Services",
	"Meridian IT Distribution", "Jinpeng Digital Partners"}

// leadWriter writes a planned lead and everything that hangs off it.
type leadWriter struct {
	w     *writer
	camps *campaignSet
}

// ids are the records a lead became.
type ids struct{ lead, account, contact, opp string }

func (lw *leadWriter) write(ctx context.Context, p *leadPlan) error {
	if p.history {
		return lw.writeHistory(ctx, p)
	}
	var x ids
	var err error
	if p.opp != nil {
		conv := p.steps[len(p.steps)-1].at
		if err = lw.convert(ctx, p, conv, &x, false); err != nil {
			return err
		}
	}
	rec := lw.leadRecord(p)
	rec["stage"], rec["score"] = p.stage(), p.finalScore()
	if !p.lastAct.IsZero() {
		rec["lastActivityAt"] = stamp(p.lastAct)
	}
	if p.dqReason != "" {
		rec["disqualifiedReason"] = p.dqReason
	}
	if !p.recycled.IsZero() {
		rec["poolStatus"] = "public"
	}
	if x.account != "" {
		rec["convertedAccount"], rec["convertedContact"], rec["convertedOpportunity"] = x.account, x.contact, x.opp
	}
	if x.lead, err = lw.w.create(ctx, "lead", p.created, rec); err != nil {
		return err
	}
	for _, a := range p.acts {
		if err := lw.activity(ctx, p, a, x); err != nil {
			return err
		}
	}
	return lw.tasks(ctx, p, x)
}

// leadRecord is the lead as it arrives: who, from where, assigned to whom.
func (lw *leadWriter) leadRecord(p *leadPlan) map[string]any {
	rec := map[string]any{"name": p.person.name(), "company": p.comp.name, "email": p.email, "phone": p.phone,
		"source": p.ch.name, "businessLine": p.line, "region": p.region, "industry": p.industry,
		"stage": "uql", "score": p.score, "poolStatus": "public"}
	if id := lw.camps.id(p.campaign); id != "" {
		rec["campaign"] = id
	}
	if p.ch.name == "channel_partner" {
		rec["channelPartner"] = partners[p.index%len(partners)]
	}
	if p.duplicate {
		rec["allowDuplicate"] = true
	}
	if p.rep != nil {
		rec["owner"], rec["poolStatus"], rec["assignedAt"] = p.rep.id, "private", stamp(p.assigned)
	}
	if !p.contacted.IsZero() {
		rec["firstContactAt"], rec["lastActivityAt"] = stamp(p.contacted), stamp(p.contacted)
	}
	return rec
}

// convert creates the account, contact and opportunity of a converted
// lead, as the conversion does; with history the opportunity starts at
// prospecting and its later stages are updates.
func (lw *leadWriter) convert(ctx context.Context, p *leadPlan, at time.Time, x *ids, history bool) error {
	w, o := lw.w, p.opp
	acct := map[string]any{"name": p.comp.name, "type": "prospect", "industry": p.industry, "region": p.region,
		"website": "https://www." + p.comp.domain, "phone": switchboard(p), "employees": p.comp.employees,
		"annualRevenue": math.Round(float64(p.comp.employees) * 350_000 * (0.5 + float64(p.index%7)/6)), "owner": p.rep.id}
	if o.won && !history {
		acct["type"] = "customer"
	}
	var err error
	if x.account, err = w.create(ctx, "account", at, acct); err != nil {
		return err
	}
	con := map[string]any{"firstName": p.person.given, "lastName": p.person.family, "email": p.email, "phone": p.phone,
		"title": o.title, "account": x.account, "owner": p.rep.id}
	if x.contact, err = w.create(ctx, "contact", at, con); err != nil {
		return err
	}
	opp := map[string]any{"name": o.name, "account": x.account, "contact": x.contact, "amount": o.amount, "currency": "CNY",
		"owner": p.rep.id}
	if id := lw.camps.id(p.campaign); id != "" {
		opp["campaign"] = id
	}
	if history {
		opp["stage"], opp["forecastCategory"], opp["closeDate"] = "prospecting", "pipeline", o.expected
		opp["probability"] = repProbability(p, "prospecting")
	} else {
		opp["stage"], opp["forecastCategory"], opp["closeDate"], opp["probability"] = o.stage(), o.forecast, o.closeDate, o.prob
	}
	x.opp, err = w.create(ctx, "opportunity", at, opp)
	return err
}

// repProbability is the win probability a rep types at a stage: the
// default, shaded by how optimistic the rep is.
func repProbability(p *leadPlan, stage string) float64 {
	v := defaultProbability[stage]
	if stage == "closed_won" || stage == "closed_lost" {
		return v
	}
	return math.Round(clamp(v+p.rep.optimism, 0, 100))
}

func switchboard(p *leadPlan) string {
	v := mix(uint64(p.index), 11) % 100_000_000
	return fmt.Sprintf("+86 %d %04d %04d", 10+p.index%90, v/10_000, v%10_000)
}

func (lw *leadWriter) activity(ctx context.Context, p *leadPlan, a act, x ids) error {
	rec := map[string]any{"type": a.kind, "subject": a.subject, "occurredAt": stamp(a.at), "durationMinutes": a.minutes}
	if p.rep != nil {
		rec["owner"] = p.rep.id
	}
	if a.notes != "" {
		rec["notes"] = a.notes
	}
	if a.onOpp {
		rec["contact"], rec["account"], rec["opportunity"] = x.contact, x.account, x.opp
	} else {
		rec["lead"] = x.lead
	}
	if a.kind == "visit" {
		rec["checkInLocation"] = map[string]any{"lat": a.lat, "lng": a.lng}
		rec["checkInAt"] = stamp(a.checkIn)
	}
	_, err := lw.w.create(ctx, "activity", a.at.Add(time.Duration(a.minutes)*time.Minute), rec)
	return err
}

func (lw *leadWriter) tasks(ctx context.Context, p *leadPlan, x ids) error {
	for _, t := range p.tasks {
		rec := map[string]any{"subject": t.subject, "dueDate": date(t.due), "status": t.status, "priority": t.priority,
			"owner": p.rep.id}
		at := p.lastAct
		if t.onOpp {
			rec["opportunity"], rec["account"], rec["contact"] = x.opp, x.account, x.contact
			if s := p.opp.steps; len(s) > 0 {
				at = s[len(s)-1].at
			}
		} else {
			rec["lead"] = x.lead
		}
		if _, err := lw.w.create(ctx, "task", at, rec); err != nil {
			return err
		}
	}
	return nil
}

// event is one write of a lead's history, in time order.
type event struct {
	at    time.Time
	order int // among events at the same instant: conversion first, then the lead, then the rest
	do    func(ctx context.Context) error
}

// writeHistory writes a lead as it happened: created at UQL, then each
// stage change, the conversion, the opportunity's stages and the return to
// the pool as updates at their dates, so that the field history holds them.
func (lw *leadWriter) writeHistory(ctx context.Context, p *leadPlan) error {
	w := lw.w
	var x ids
	var err error
	if x.lead, err = w.create(ctx, "lead", p.created, lw.leadRecord(p)); err != nil {
		return err
	}
	var evs []event
	add := func(at time.Time, order int, do func(ctx context.Context) error) {
		evs = append(evs, event{at, order, do})
	}
	for _, s := range p.steps {
		patch := map[string]any{"stage": s.stage, "score": s.score, "lastActivityAt": stamp(s.at)}
		switch s.stage {
		case "disqualified":
			patch["disqualifiedReason"] = p.dqReason
		case "converted":
			add(s.at, 0, func(ctx context.Context) error { return lw.convert(ctx, p, s.at, &x, true) })
		}
		add(s.at, 1, func(ctx context.Context) error {
			if s.stage == "converted" {
				patch["convertedAccount"], patch["convertedContact"], patch["convertedOpportunity"] = x.account, x.contact, x.opp
			}
			return w.update(ctx, "lead", x.lead, s.at, patch)
		})
	}
	for _, a := range p.acts {
		add(a.at, 2, func(ctx context.Context) error { return lw.activity(ctx, p, a, x) })
	}
	if o := p.opp; o != nil {
		for _, s := range o.steps {
			patch := map[string]any{"stage": s.stage, "forecastCategory": forecastOf[s.stage], "probability": repProbability(p, s.stage)}
			if s.stage == "closed_won" || s.stage == "closed_lost" {
				patch["closeDate"] = o.closeDate
			}
			add(s.at, 1, func(ctx context.Context) error { return w.update(ctx, "opportunity", x.opp, s.at, patch) })
			if s.stage == "closed_won" {
				add(s.at, 3, func(ctx context.Context) error {
					return w.update(ctx, "account", x.account, s.at, map[string]any{"type": "customer"})
				})
			}
		}
	}
	if !p.recycled.IsZero() {
		// What the "no activity for 15 days" workflow does.
		add(p.recycled, 1, func(ctx context.Context) error {
			return w.update(ctx, "lead", x.lead, p.recycled, map[string]any{"poolStatus": "public"})
		})
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].at.Equal(evs[j].at) {
			return evs[i].at.Before(evs[j].at)
		}
		return evs[i].order < evs[j].order
	})
	for _, e := range evs {
		if err := e.do(ctx); err != nil {
			return err
		}
	}
	return lw.tasks(ctx, p, x)
}
