package sales

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// ConvertRequest is the body of a conversion.
type ConvertRequest struct {
	// Opportunity asks for an opportunity besides the account and contact.
	Opportunity bool `json:"opportunity"`
	// Mapping overrides the default field mapping per target object
	// ("account", "contact", "opportunity"): each member sets a field of
	// the new record, either to a literal value or, written as
	// {"from": "<lead field>"}, to the lead's value of that field.
	//
	//	{"account": {"website": "https://acme.example", "name": {"from": "company"}},
	//	 "opportunity": {"amount": 12000}}
	Mapping map[string]map[string]any `json:"mapping,omitempty"`
}

// Conversion is what a lead became. Opportunity is nil when none was asked
// for.
type Conversion struct {
	Lead        *records.Record `json:"lead"`
	Account     *records.Record `json:"account"`
	Contact     *records.Record `json:"contact"`
	Opportunity *records.Record `json:"opportunity"`
}

// The conversion's steps, in order; each names the journal member that
// holds the id of what it wrote.
var steps = []struct{ name, object, member string }{
	{"account", "account", "account"},
	{"contact", "contact", "contact"},
	{"opportunity", "opportunity", "opportunity"},
	{"lead", "lead", ""},
}

// Convert turns a lead into an account, a contact and, when asked, an
// opportunity, and links the lead to them (stage "converted").
//
// It is idempotent: converting a converted lead returns what it became.
// Where the store has transactions every write of one call takes effect
// together. Elsewhere a journal document per lead (in _conversions)
// records the id of each record as soon as it is written, and every record
// carries sourceLead, so a call that stopped half way (a crash, a failed
// write) is resumed by the next call, which adopts what was written and
// writes the rest: never a duplicate, never a half-converted lead for
// longer than until the next call. A resumed conversion keeps the options
// of the call that started it. Every write acts for the caller.
func (s *Service) Convert(ctx context.Context, leadID string, req ConvertRequest) (*Conversion, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	lead, err := s.recs.Get(ctx, "lead", leadID, records.GetOptions{})
	if err != nil {
		return nil, err
	}
	if str(lead.Data, "stage") == "converted" {
		return s.converted(ctx, lead)
	}
	if str(lead.Data, "stage") == "disqualified" {
		return nil, errs.New(errs.Conflict, "lead.disqualified", "a disqualified lead cannot be converted; requalify it first")
	}
	if err := checkMapping(req); err != nil {
		return nil, err
	}
	run := func(ctx context.Context) error { return s.convert(ctx, p, lead, req) }
	if s.recs.Transactional() && !s.cfg.NoTransactions {
		err = s.recs.Atomically(ctx, run)
	} else {
		err = run(ctx)
	}
	if err != nil {
		if errs.KindOf(err) == errs.Stale {
			// Another call converted the lead between our read and our
			// write, and our transaction rolled back: answer with its result.
			if lead, gerr := s.recs.Get(ctx, "lead", leadID, records.GetOptions{}); gerr == nil && str(lead.Data, "stage") == "converted" {
				return s.converted(ctx, lead)
			}
		}
		return nil, err
	}
	lead, err = s.recs.Get(ctx, "lead", leadID, records.GetOptions{})
	if err != nil {
		return nil, err
	}
	return s.converted(ctx, lead)
}

func checkMapping(req ConvertRequest) error {
	for obj, fields := range req.Mapping {
		switch obj {
		case "account", "contact":
		case "opportunity":
			if !req.Opportunity {
				return errs.New(errs.Invalid, "lead.convert_invalid", "a mapping for the opportunity needs \"opportunity\": true").
					WithField("mapping.opportunity", "not_applicable", "no opportunity is created")
			}
		default:
			return errs.New(errs.Invalid, "lead.convert_invalid", "mapping names account, contact or opportunity, not %q", obj).
				WithField("mapping."+obj, "unknown_object", "not a conversion target")
		}
		for f, v := range fields {
			if m, ok := v.(map[string]any); ok {
				if from, ok := m["from"].(string); !ok || len(m) != 1 || from == "" {
					return errs.New(errs.Invalid, "lead.convert_invalid", "a mapped value is a literal or {\"from\": \"<lead field>\"}").
						WithField("mapping."+obj+"."+f, "bad_mapping", "use {\"from\": \"<lead field>\"}")
				}
			}
		}
	}
	return nil
}

// journal is one lead's conversion (or merge) journal.
type journal struct {
	doc    store.Doc
	tenant string
	coll   string // "" for the conversion journal
}

func (j *journal) collection() string {
	if j.coll == "" {
		return journalColl
	}
	return j.coll
}

func (j *journal) get(k string) string { return str(j.doc, k) }

// convert runs the steps, resuming from the lead's journal.
func (s *Service) convert(ctx context.Context, p identity.Principal, lead *records.Record, req ConvertRequest) (err error) {
	j, err := s.takeJournal(ctx, p, lead.ID, req)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			s.dropLease(context.WithoutCancel(ctx), j) // a failed step: the next call may resume at once
		}
	}()
	dec := json.NewDecoder(strings.NewReader(j.get("request")))
	dec.UseNumber() // integers stay integers
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("sales: conversion journal of %s: %w", lead.ID, err)
	}
	set, err := s.settings(ctx, p.TenantID)
	if err != nil {
		return err
	}
	for _, st := range steps {
		if st.name == "opportunity" && !req.Opportunity {
			continue
		}
		if st.member != "" && j.get(st.member) != "" {
			continue // done by an earlier call
		}
		var recID string
		if st.name == "lead" {
			patch := map[string]any{"stage": "converted", "convertedAccount": j.get("account"), "convertedContact": j.get("contact")}
			if req.Opportunity {
				patch["convertedOpportunity"] = j.get("opportunity")
			}
			// With If-Match: of two transactions racing on one lead only
			// one commits its records (the other's write is stale).
			ifMatch := int64(0)
			if s.recs.Transactional() && !s.cfg.NoTransactions {
				ifMatch = lead.Version
			}
			if _, err := s.recs.Update(ctx, "lead", lead.ID, patch, ifMatch); err != nil {
				return err
			}
		} else {
			if recID, err = s.adoptOrCreate(ctx, st.object, lead, s.values(st.object, lead.Data, j, req, set)); err != nil {
				return err
			}
		}
		if s.cfg.Fault != nil {
			if err := s.cfg.Fault(st.name); err != nil {
				return err
			}
		}
		if st.member != "" {
			j.doc[st.member] = recID
		} else {
			j.doc["state"], j.doc["finishedAt"] = "done", clock.Stamp(s.now())
		}
		if err := s.saveJournal(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// takeJournal reads or starts the lead's journal and takes its lease, so
// that two calls do not run the steps at the same time.
func (s *Service) takeJournal(ctx context.Context, p identity.Principal, leadID string, req ConvertRequest) (*journal, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	now := s.now()
	holder := id.New()
	lease := clock.Stamp(now.Add(s.cfg.ConversionLease))
	doc := store.Doc{"id": leadID, "lead": leadID, "state": "running", "request": string(raw), "by": p.UserID,
		"startedAt": clock.Stamp(now), "holder": holder, "leaseUntil": lease}
	saved, err := s.st.Insert(ctx, p.TenantID, journalColl, doc)
	if err == nil {
		return &journal{doc: saved, tenant: p.TenantID}, nil
	}
	if !errors.Is(err, store.ErrDuplicate) {
		return nil, fmt.Errorf("sales: conversion journal: %w", err)
	}
	cur, err := s.st.Get(ctx, p.TenantID, journalColl, leadID, nil)
	if err != nil {
		return nil, fmt.Errorf("sales: conversion journal: %w", err)
	}
	busy := errs.New(errs.Conflict, "lead.conversion_in_progress", "this lead is being converted by another request; try again shortly")
	if str(cur, "state") == "running" && str(cur, "leaseUntil") > clock.Stamp(now) {
		return nil, busy
	}
	version, _ := store.NormalizeValue(cur["version"]).(int64)
	cur["holder"], cur["leaseUntil"] = holder, lease
	saved, err = s.st.Update(ctx, p.TenantID, journalColl, cur, version)
	if errors.Is(err, store.ErrVersionConflict) {
		return nil, busy
	}
	if err != nil {
		return nil, fmt.Errorf("sales: conversion journal: %w", err)
	}
	return &journal{doc: saved, tenant: p.TenantID}, nil
}

// saveJournal writes the journal while this call holds its lease.
func (s *Service) saveJournal(ctx context.Context, j *journal) error {
	version, _ := store.NormalizeValue(j.doc["version"]).(int64)
	saved, err := s.st.Update(ctx, j.tenant, j.collection(), j.doc, version)
	if errors.Is(err, store.ErrVersionConflict) {
		return errs.New(errs.Conflict, "lead.conversion_in_progress", "another request took over this conversion or merge; try again shortly")
	}
	if err != nil {
		return fmt.Errorf("sales: conversion journal: %w", err)
	}
	j.doc = saved
	return nil
}

// dropLease ends this call's lease on the journal, best effort: where it
// fails the lease runs out by itself. A crashed call never gets here, and
// the next call waits for its lease to run out.
func (s *Service) dropLease(ctx context.Context, j *journal) {
	version, _ := store.NormalizeValue(j.doc["version"]).(int64)
	j.doc["leaseUntil"] = clock.Stamp(s.now())
	_, _ = s.st.Update(ctx, j.tenant, j.collection(), j.doc, version)
}

// adoptOrCreate returns the record of object that an earlier, interrupted
// call wrote for this lead (found by sourceLead), or creates one.
func (s *Service) adoptOrCreate(ctx context.Context, object string, lead *records.Record, values map[string]any) (string, error) {
	page, err := s.recs.List(ctx, object, records.ListOptions{Filter: fmt.Sprintf("sourceLead = '%s'", lead.ID), Limit: 1, Fields: "id"})
	if err != nil {
		return "", err
	}
	if len(page.Items) > 0 {
		return page.Items[0].ID, nil
	}
	r, err := s.recs.Create(ctx, object, values)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// values maps the lead to a new record of object: the default mapping,
// then the request's overrides.
func (s *Service) values(object string, lead map[string]any, j *journal, req ConvertRequest, set Settings) map[string]any {
	v := map[string]any{"sourceLead": str(lead, "id")}
	copyIf := func(to, from string) {
		if x, ok := lead[from]; ok && x != nil && x != "" {
			v[to] = x
		}
	}
	name, company := str(lead, "name"), str(lead, "company")
	switch object {
	case "account":
		v["name"] = company
		if company == "" {
			v["name"] = name // a person buying for themselves
		}
		copyIf("industry", "industry")
		copyIf("region", "region")
		copyIf("phone", "phone")
	case "contact":
		first, last := splitName(name)
		if first != "" {
			v["firstName"] = first
		}
		v["lastName"] = last
		copyIf("email", "email")
		copyIf("phone", "phone")
		v["account"] = j.get("account")
	case "opportunity":
		who := company
		if who == "" {
			who = name
		}
		what := "new business"
		if bl := str(lead, "businessLine"); bl != "" {
			what = bl
		}
		v["name"] = who + " – " + what
		v["stage"] = "prospecting"
		v["closeDate"] = s.now().UTC().AddDate(0, 0, set.OpportunityCloseDays).Format("2006-01-02")
		v["account"], v["contact"] = j.get("account"), j.get("contact")
		copyIf("campaign", "campaign")
		copyIf("leadSource", "source")
	}
	for f, x := range req.Mapping[object] {
		if m, ok := x.(map[string]any); ok {
			from, _ := m["from"].(string)
			if lv, ok := lead[from]; ok {
				v[f] = lv
			} else {
				delete(v, f)
			}
			continue
		}
		v[f] = x
	}
	return v
}

// splitName splits "Ann Lee Smith" into "Ann Lee" and "Smith"; one word is
// a last name.
func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	i := strings.LastIndexByte(name, ' ')
	if i < 0 {
		return "", name
	}
	return strings.TrimSpace(name[:i]), name[i+1:]
}

// converted reads what a converted lead became, as the caller sees it.
func (s *Service) converted(ctx context.Context, lead *records.Record) (*Conversion, error) {
	out := &Conversion{Lead: lead}
	for _, x := range []struct {
		field  string
		object string
		into   **records.Record
	}{{"convertedAccount", "account", &out.Account}, {"convertedContact", "contact", &out.Contact},
		{"convertedOpportunity", "opportunity", &out.Opportunity}} {
		rid := str(lead.Data, x.field)
		if rid == "" {
			continue
		}
		r, err := s.recs.Get(ctx, x.object, rid, records.GetOptions{})
		if err != nil {
			return nil, err
		}
		*x.into = r
	}
	return out, nil
}
