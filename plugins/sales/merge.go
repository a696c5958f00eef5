package sales

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Merging two leads: POST /records/lead/{id}/merge {"duplicateId": "…"}
// keeps the lead of the path (the survivor) and
//
//  1. moves the duplicate's activities and tasks to the survivor;
//  2. adds a merge note to the survivor (a done task, automationKey
//     "merge:<duplicate id>") saying what was merged, filled and moved;
//  3. marks the duplicate mergedInto the survivor and deletes it into the
//     recycle bin (its own field history stays with it there);
//  4. fills the survivor's empty fields from the duplicate.
//
// The caller must be allowed to change the survivor and to delete the
// duplicate (both are probed before anything is written); the moves act
// with the app's rights, as the records belong to the merge. A journal
// document per duplicate (_lead_merges) holds the survivor, the fill worked
// out before step 1 and a lease: a call that stopped half way is resumed
// by the next (after the lease when it crashed), each step being
// repeatable, and a call on a finished merge answers with its result.

// MergeResult is what a merge did.
type MergeResult struct {
	Lead *records.Record `json:"lead"`
	// Merged is the duplicate's id; the record is in the recycle bin.
	Merged string `json:"merged"`
	// Filled are the survivor's fields filled from the duplicate.
	Filled []string `json:"filled"`
	// Moved counts the activities and tasks moved to the survivor.
	Moved int64 `json:"moved"`
}

// notFilled are the fields a merge never copies: bookkeeping, the pool's
// state and the duplicate rule's own marks.
var notFilled = []string{"id", "version", "owner", "createdAt", "createdBy", "updatedAt", "updatedBy", "stage", "poolStatus",
	"assignedAt", "firstContactAt", "lastActivityAt", "dispatchedAt", "dispatchNote", "nurtureStartedAt", "companyBlock", "duplicateKey", "companyKey", "nameKey",
	"duplicateOf", "duplicateReason", "mergedInto", "allowDuplicate", "convertedAccount", "convertedContact", "convertedOpportunity"}

// children are the objects whose lead lookup a merge moves.
var children = []string{"activity", "task"}

// Merge merges the duplicate lead into the survivor.
func (s *Service) Merge(ctx context.Context, survivorID, dupID string) (*MergeResult, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if dupID == "" || dupID == survivorID {
		return nil, errs.New(errs.Invalid, "lead.merge_invalid", "name another lead as duplicateId").
			WithField("duplicateId", "required", "the id of the lead to merge into this one")
	}
	j, err := s.takeMerge(ctx, p, survivorID, dupID)
	if err != nil || j.doc["state"] == "done" {
		if err != nil {
			return nil, err
		}
		return s.mergeResult(ctx, j)
	}
	if err := s.runMerge(ctx, p, j); err != nil {
		s.dropLease(context.WithoutCancel(ctx), j)
		return nil, err
	}
	return s.mergeResult(ctx, j)
}

// takeMerge reads the duplicate's merge journal, or checks the request and
// starts one, and takes its lease.
func (s *Service) takeMerge(ctx context.Context, p identity.Principal, survivorID, dupID string) (*journal, error) {
	cur, err := s.st.Get(ctx, p.TenantID, mergeColl, dupID, nil)
	switch {
	case err == nil:
		if str(cur, "survivor") != survivorID {
			return nil, errs.New(errs.Conflict, "lead.already_merged", "that lead was merged into %s", str(cur, "survivor"))
		}
		if _, err := s.recs.Get(ctx, "lead", survivorID, records.GetOptions{}); err != nil {
			return nil, err // the caller must see the survivor to hear of the merge
		}
		if str(cur, "state") == "done" {
			return &journal{doc: cur, tenant: p.TenantID}, nil
		}
		return s.lease(ctx, p.TenantID, cur, "lead.merge_in_progress", "this merge is running in another request; try again shortly")
	case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrUnknownCollection):
		return nil, fmt.Errorf("sales: merge journal: %w", err)
	}
	survivor, err := s.recs.Get(ctx, "lead", survivorID, records.GetOptions{})
	if err != nil {
		return nil, err
	}
	dup, err := s.recs.Get(ctx, "lead", dupID, records.GetOptions{})
	if err != nil {
		return nil, errs.New(errs.NotFound, "lead.merge_duplicate_not_found", "no lead %s that you can see to merge", dupID).WithCause(err).
			WithField("duplicateId", "not_found", "no such lead")
	}
	for _, l := range []*records.Record{survivor, dup} {
		if str(l.Data, "stage") == "converted" {
			return nil, errs.New(errs.Conflict, "lead.merge_converted", "the lead %s is converted; merge open or disqualified leads only", l.ID)
		}
	}
	// Probes: a write with a version that cannot match checks the
	// caller's right to it and changes nothing.
	if err := s.recs.Delete(ctx, "lead", dupID, dup.Version+1_000_000); errs.KindOf(err) != errs.Stale {
		return nil, cantMerge(err)
	}
	if _, err := s.recs.Update(ctx, "lead", survivorID, map[string]any{}, survivor.Version+1_000_000); errs.KindOf(err) != errs.Stale {
		return nil, cantMerge(err)
	}
	fill := map[string]any{}
	for k, v := range dup.Data {
		if slices.Contains(notFilled, k) || empty(v) || !empty(survivor.Data[k]) {
			continue
		}
		fill[k] = v
	}
	if str(survivor.Data, "duplicateOf") == dupID {
		fill["duplicateOf"], fill["duplicateReason"] = nil, nil
	}
	rawFill, err := json.Marshal(fill)
	if err != nil {
		return nil, err
	}
	now := s.now()
	doc := store.Doc{"id": dupID, "survivor": survivorID, "state": "running", "fill": string(rawFill), "by": p.UserID,
		"dupName": str(dup.Data, "name"), "dupCompany": str(dup.Data, "company"), "dupEmail": str(dup.Data, "email"),
		"moved": int64(0), "startedAt": clock.Stamp(now), "holder": id.New(), "leaseUntil": clock.Stamp(now.Add(s.cfg.ConversionLease))}
	if err := s.st.EnsureCollection(ctx, p.TenantID, mergeColl); err != nil {
		return nil, fmt.Errorf("sales: merge journal: %w", err)
	}
	saved, err := s.st.Insert(ctx, p.TenantID, mergeColl, doc)
	if errors.Is(err, store.ErrDuplicate) {
		return nil, errs.New(errs.Conflict, "lead.merge_in_progress", "this merge is running in another request; try again shortly")
	}
	if err != nil {
		return nil, fmt.Errorf("sales: merge journal: %w", err)
	}
	return &journal{doc: saved, tenant: p.TenantID, coll: mergeColl}, nil
}

func cantMerge(err error) error {
	if err == nil {
		return errs.New(errs.Internal, "lead.merge_probe", "the merge could not check your rights")
	}
	return err
}

func empty(v any) bool { return v == nil || v == "" || v == false }

// lease takes an expired lease of a running journal document.
func (s *Service) lease(ctx context.Context, tenant string, cur store.Doc, code, msg string) (*journal, error) {
	now := s.now()
	if str(cur, "leaseUntil") > clock.Stamp(now) {
		return nil, errs.New(errs.Conflict, code, "%s", msg)
	}
	version, _ := store.NormalizeValue(cur["version"]).(int64)
	cur["holder"], cur["leaseUntil"] = id.New(), clock.Stamp(now.Add(s.cfg.ConversionLease))
	saved, err := s.st.Update(ctx, tenant, mergeColl, cur, version)
	if errors.Is(err, store.ErrVersionConflict) {
		return nil, errs.New(errs.Conflict, code, "%s", msg)
	}
	if err != nil {
		return nil, fmt.Errorf("sales: merge journal: %w", err)
	}
	return &journal{doc: saved, tenant: tenant, coll: mergeColl}, nil
}

// runMerge runs the steps; each can run again after a failure.
func (s *Service) runMerge(ctx context.Context, p identity.Principal, j *journal) error {
	survivorID, dupID := str(j.doc, "survivor"), str(j.doc, "id")
	sys := system(ctx, p)
	fault := func(step string) error {
		if s.cfg.Fault != nil {
			return s.cfg.Fault("merge:" + step)
		}
		return nil
	}
	// 1. children
	for _, obj := range children {
		for {
			page, err := s.recs.List(sys, obj, records.ListOptions{Filter: "lead = " + quote(dupID), Limit: 100, Fields: "id"})
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				if _, err := s.recs.Update(sys, obj, c.ID, map[string]any{"lead": survivorID}, 0); err != nil {
					return err
				}
				j.doc["moved"] = int64(number(j.doc["moved"])) + 1
			}
			if len(page.Items) == 0 {
				break
			}
		}
	}
	if err := s.saveJournal(ctx, j); err != nil {
		return err
	}
	if err := fault("children"); err != nil {
		return err
	}
	// 2. the note
	var fill map[string]any
	if err := json.Unmarshal([]byte(str(j.doc, "fill")), &fill); err != nil {
		return fmt.Errorf("sales: merge journal of %s: %w", dupID, err)
	}
	survivor, err := s.recs.Get(sys, "lead", survivorID, records.GetOptions{})
	if err != nil {
		return err
	}
	var filled []string
	for k := range fill {
		if k != "duplicateOf" && k != "duplicateReason" {
			filled = append(filled, k)
		}
	}
	sort.Strings(filled)
	desc := fmt.Sprintf("Lead %s (%s, %s, %s) was merged into this lead on %s by %s. Filled from it: %s. Moved to this lead: %d activities and tasks. The merged lead is in the recycle bin; its history stays with it.",
		dupID, str(j.doc, "dupName"), str(j.doc, "dupCompany"), str(j.doc, "dupEmail"), str(j.doc, "startedAt"), str(j.doc, "by"),
		orNone(strings.Join(filled, ", ")), int64(number(j.doc["moved"])))
	_, err = s.recs.Create(sys, "task", map[string]any{"owner": str(survivor.Data, "owner"), "lead": survivorID, "status": "done",
		"subject": "Merged duplicate: " + str(j.doc, "dupName"), "description": desc,
		"dueDate": s.now().UTC().Format("2006-01-02"), "automationKey": "merge:" + dupID})
	if err != nil && errs.CodeOf(err) != "record.duplicate" {
		return err
	}
	if err := fault("note"); err != nil {
		return err
	}
	// 3. the duplicate into the recycle bin
	if _, err := s.recs.Update(ctx, "lead", dupID, map[string]any{"mergedInto": survivorID}, 0); err != nil && errs.KindOf(err) != errs.NotFound {
		return err
	}
	if err := s.recs.Delete(ctx, "lead", dupID, 0); err != nil && errs.KindOf(err) != errs.NotFound {
		return err
	}
	if err := fault("delete"); err != nil {
		return err
	}
	// 4. fill the survivor
	if len(fill) > 0 {
		if _, err := s.recs.Update(ctx, "lead", survivorID, fill, 0); err != nil {
			return err
		}
	}
	if err := fault("fill"); err != nil {
		return err
	}
	j.doc["state"], j.doc["finishedAt"], j.doc["filled"] = "done", clock.Stamp(s.now()), strings.Join(filled, ",")
	return s.saveJournal(ctx, j)
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

func (s *Service) mergeResult(ctx context.Context, j *journal) (*MergeResult, error) {
	lead, err := s.recs.Get(ctx, "lead", str(j.doc, "survivor"), records.GetOptions{})
	if err != nil {
		return nil, err
	}
	filled := []string{}
	if f := str(j.doc, "filled"); f != "" {
		filled = strings.Split(f, ",")
	}
	return &MergeResult{Lead: lead, Merged: str(j.doc, "id"), Filled: filled, Moved: int64(number(j.doc["moved"]))}, nil
}
