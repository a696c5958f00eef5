package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// step is a change of a stage at a moment, with the lead's score then.
type step struct {
	stage string
	at    time.Time
	score int
}

// act is an activity a rep logged.
type act struct {
	kind, subject, notes string
	at                   time.Time
	minutes              int
	lat, lng             float64 // a visit's check-in location
	checkIn              time.Time
	onOpp                bool // tied to the contact, account and opportunity rather than the lead
}

// oppPlan is the opportunity a converted lead became.
type oppPlan struct {
	name      string
	amount    float64
	steps     []step // after prospecting
	closeDate string // the day it closed, or is expected to
	expected  string // the day the rep expected it to close when it opened
	prob      float64
	forecast  string
	won       bool
	title     string // the contact's job title
}

// taskPlan is an open or done to-do of the owner.
type taskPlan struct {
	subject, status, priority string
	due                       time.Time
	onOpp                     bool
}

// leadPlan is everything that happens to one lead, decided before anything
// is written so that the same seed gives the same tenant.
type leadPlan struct {
	index     int
	created   time.Time
	ch        *channel
	campaign  int // index into the campaigns, -1 for none
	person    person
	comp      company
	industry  string
	region    string
	line      string
	email     string
	phone     string
	duplicate bool // a repeat inquiry of an earlier lead (allowDuplicate)
	rep       *rep // nil: never assigned, it waits in the public pool
	assigned  time.Time
	contacted time.Time
	score     int // at creation
	steps     []step
	dqReason  string
	recycled  time.Time // back to the public pool after 15 days without activity
	lastAct   time.Time
	acts      []act
	opp       *oppPlan
	tasks     []taskPlan
	history   bool // written as successive updates
}

func (p *leadPlan) stage() string {
	if len(p.steps) == 0 {
		return "uql"
	}
	return p.steps[len(p.steps)-1].stage
}

func (p *leadPlan) finalScore() int {
	if len(p.steps) == 0 {
		return p.score
	}
	return p.steps[len(p.steps)-1].score
}

func (p *leadPlan) open() bool {
	s := p.stage()
	return s == "uql" || s == "mql" || s == "sql"
}

// contactInfo is what a repeat inquiry copies from the earlier lead.
type contactInfo struct {
	person           person
	comp             company
	industry, region string
	email, phone     string
}

const ringSize = 4096

// planner decides the leads one after the other (it keeps the emails
// used so far, so it must see them in order).
type planner struct {
	seed     uint64
	now      time.Time
	from     time.Time
	times    []int64
	sources  []uint8
	org      *org
	emails   map[string]int
	ring     [ringSize]contactInfo
	phoneMul uint64
	phoneAdd uint64
	campaign func(ch int, at time.Time) int
	history  int // percent of leads written with their history
}

// plan decides lead i.
func (g *planner) plan(i int) *leadPlan {
	r := rand.New(rand.NewPCG(g.seed, 0x1eadbeef+uint64(i)))
	p := &leadPlan{index: i, created: time.Unix(0, g.times[i]).UTC(), ch: &channels[g.sources[i]]}
	p.campaign = g.campaign(int(g.sources[i]), p.created)
	p.history = int(mix(g.seed, uint64(i))%100) < g.history
	p.line = lines[weighted(r, lineW)]
	if i >= 50 && r.Float64() < 0.02 {
		// Someone who inquired a few weeks ago comes back through another
		// channel: same person, same email and phone.
		id := g.ring[(i-1-r.IntN(min(i, ringSize)))%ringSize]
		p.person, p.comp, p.industry, p.region, p.email, p.phone = id.person, id.comp, id.industry, id.region, id.email, id.phone
		p.duplicate = true
	} else {
		p.region = regions[weighted(r, regionW)]
		p.industry = industries[weighted(r, industryW)]
		p.person = newPerson(r)
		p.comp = newCompany(r, p.industry, p.region)
		box := slug(p.person.given) + "." + slug(p.person.family)
		if r.IntN(4) == 0 {
			box = slug(p.person.given)[:1] + slug(p.person.family)
		}
		email := box + "@" + p.comp.domain
		if n := g.emails[email]; n > 0 {
			g.emails[email] = n + 1
			email = fmt.Sprintf("%s%d@%s", box, n+1, p.comp.domain)
		}
		g.emails[email]++
		p.email = email
		// An affine bijection of the index keeps every phone unique.
		v := (uint64(i)*g.phoneMul + g.phoneAdd) % 1_000_000_000
		p.phone = fmt.Sprintf("+86 13%d %04d %04d", v/100_000_000, v/10_000%10_000, v%10_000)
	}
	g.ring[i%ringSize] = contactInfo{p.person, p.comp, p.industry, p.region, p.email, p.phone}
	p.score = int(clamp(float64(p.ch.score)+r.NormFloat64()*8, 5, 95))

	// Assignment: most leads go to a rep of the region's team within the
	// hour; some stay in the public pool.
	if r.Float64() < 0.06 {
		return p
	}
	p.assigned = p.created.Add(time.Duration(5+r.IntN(85)) * time.Minute)
	if p.assigned.After(g.now) {
		p.assigned = time.Time{}
		return p
	}
	p.rep = g.org.assign(r, p.region)
	resp := time.Duration(math.Min(p.rep.responseHours*lognormal(r, 0.6), 22) * float64(time.Hour))
	if c := p.assigned.Add(resp); !c.After(g.now) {
		p.contacted = c
		p.acts = append(p.acts, g.call(r, p, c, "First call"))
	}
	if p.contacted.IsZero() {
		return p
	}
	g.funnel(r, p)
	if p.stage() == "converted" {
		g.opportunity(r, p)
	}
	for _, a := range p.acts {
		if a.at.After(p.lastAct) {
			p.lastAct = a.at
		}
	}
	if p.open() {
		if back := p.lastAct.Add(15 * 24 * time.Hour); !back.After(g.now) {
			p.recycled = back
		} else {
			due := workTime(p.lastAct.Add(days(r, 2, 5)))
			prio := "normal"
			if p.finalScore() >= 70 {
				prio = "high"
			}
			p.tasks = append(p.tasks, taskPlan{subject: "Follow up with " + p.person.name(), status: "open", priority: prio, due: due})
		}
	}
	return p
}

// funnel walks the lead down UQL -> MQL -> SQL -> converted as far as its
// channel, its rep and its age allow; a lead that stops is disqualified
// some days later, or stays open.
func (g *planner) funnel(r *rand.Rand, p *leadPlan) {
	at, score := p.contacted, p.score
	type gate struct {
		stage    string
		chance   float64
		min, max float64 // days after the previous stage
	}
	gates := []gate{
		{"mql", p.ch.mql, 1, 10},
		{"sql", p.ch.sql, 3, 20},
		{"converted", clamp(p.ch.conv*p.rep.skill, 0.02, 0.95), 7, 45},
	}
	for _, gt := range gates {
		if r.Float64() >= gt.chance {
			if r.Float64() < 0.75 {
				if dq := workTime(at.Add(days(r, 3, 40))); !dq.After(g.now) {
					p.dqReason = pick(r, disqualifiedReasons)
					p.acts = append(p.acts, g.call(r, p, dq, "Closing call"))
					p.acts[len(p.acts)-1].notes = p.dqReason
					p.steps = append(p.steps, step{"disqualified", dq, max(score-20, 0)})
				}
			}
			return
		}
		next := workTime(at.Add(days(r, gt.min, gt.max)))
		if next.After(g.now) {
			return // not yet: the lead is young
		}
		at = next
		score = min(score+10+r.IntN(10), 100)
		switch gt.stage {
		case "mql":
			p.acts = append(p.acts, g.call(r, p, at, "Needs discovery"))
		case "sql":
			p.acts = append(p.acts, g.meeting(r, p, at, "Solution visit"))
		case "converted":
			p.acts = append(p.acts, act{kind: "meeting", subject: "Contract kick-off: " + p.comp.name, at: at, minutes: 60})
		}
		p.steps = append(p.steps, step{gt.stage, at, score})
	}
}

// defaultProbability is the win probability of an opportunity stage.
var defaultProbability = map[string]float64{"prospecting": 10, "qualification": 20, "proposal": 50, "negotiation": 75, "closed_won": 100, "closed_lost": 0}

// forecastOf is the forecast category of a stage.
var forecastOf = map[string]string{"prospecting": "pipeline", "qualification": "pipeline", "proposal": "best_case",
	"negotiation": "commit", "closed_won": "closed", "closed_lost": "omitted"}

var oppStages = []string{"qualification", "proposal", "negotiation"}

// opportunity decides the deal of a converted lead: its size, how it moves
// through the stages and whether it is won, by its close date.
func (g *planner) opportunity(r *rand.Rand, p *leadPlan) {
	conv := p.steps[len(p.steps)-1].at
	length := days(r, 20, 100)
	if p.line == "hardware" {
		length += days(r, 10, 40)
	}
	size := 0.7 + 0.3*math.Log10(float64(max(p.comp.employees, 1)))
	amount := math.Round(lineDeal[p.line]*lognormal(r, 0.5)*size/100) * 100
	o := &oppPlan{name: p.comp.name + " – " + p.line, amount: amount, title: pick(r, jobTitles)}
	won := r.Float64() < clamp(p.ch.win*p.rep.skill, 0.05, 0.9)
	lostAfter := r.IntN(len(oppStages) + 1) // stages reached before a loss
	fractions := []float64{0.1, 0.35, 0.65}
	closeAt := workTime(conv.Add(length))
	for k, st := range oppStages {
		if !won && k >= lostAfter {
			break
		}
		at := workTime(conv.Add(time.Duration(fractions[k] * float64(length))))
		if at.After(g.now) {
			break
		}
		o.steps = append(o.steps, step{stage: st, at: at})
	}
	if !won {
		frac := 0.2
		if lostAfter > 0 {
			frac = fractions[lostAfter-1] + 0.15
		}
		closeAt = workTime(conv.Add(time.Duration(frac * float64(length))))
	}
	stage := o.stage()
	if !closeAt.After(g.now) {
		stage = "closed_lost"
		if won {
			stage = "closed_won"
		}
		o.steps = append(o.steps, step{stage: stage, at: closeAt})
		o.won = won
	} else if !won {
		closeAt = workTime(conv.Add(length)) // what the rep expects
	}
	o.expected = date(workTime(conv.Add(length)))
	o.closeDate = date(closeAt)
	o.forecast = forecastOf[stage]
	o.prob = defaultProbability[stage]
	if !strings.HasPrefix(stage, "closed") {
		o.prob = math.Round(clamp(o.prob+p.rep.optimism, 0, 100))
		next := "Send the proposal"
		switch stage {
		case "proposal":
			next = "Negotiate terms"
		case "negotiation":
			next = "Get the contract signed"
		}
		p.tasks = append(p.tasks, taskPlan{subject: next, status: "open", priority: "high", onOpp: true,
			due: workTime(g.now.Add(days(r, 1, 14)))})
	}
	for _, s := range o.steps {
		if s.stage == "proposal" {
			p.acts = append(p.acts, act{kind: "meeting", subject: "Proposal presentation", at: s.at, minutes: 90, onOpp: true})
		}
	}
	p.opp = o
}

func (o *oppPlan) stage() string {
	if len(o.steps) == 0 {
		return "prospecting"
	}
	return o.steps[len(o.steps)-1].stage
}

func (g *planner) call(r *rand.Rand, p *leadPlan, at time.Time, subject string) act {
	kind := "call"
	if r.IntN(5) == 0 {
		kind = "email"
	}
	return act{kind: kind, subject: subject + ": " + p.person.name(), at: at, minutes: 3 + r.IntN(25)}
}

func (g *planner) meeting(r *rand.Rand, p *leadPlan, at time.Time, subject string) act {
	if r.IntN(2) == 0 {
		return act{kind: "meeting", subject: "Online demo: " + p.comp.name, at: at, minutes: 45 + r.IntN(45)}
	}
	// A visit: the rep checks in at the customer's office.
	c := p.comp.city
	return act{kind: "visit", subject: subject + ": " + p.comp.name, at: at, minutes: 60 + r.IntN(90),
		lat: round6(c.lat + r.NormFloat64()*0.05), lng: round6(c.lng + r.NormFloat64()*0.05),
		checkIn: at.Add(-time.Duration(3+r.IntN(15)) * time.Minute)}
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// mix is a 64-bit hash (splitmix64) of the seed and a number.
func mix(seed, x uint64) uint64 {
	z := seed + x*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
