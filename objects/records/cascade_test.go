package records_test

import (
	"fmt"
	"testing"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
)

func TestCascade_deletingAMasterBinsItsDetailsAndRestoreBringsThemBack(t *testing.T) {
	w := ordersWorld(t)
	w.define(t, "memo", `{"title":"Memo","type":"object","properties":{
	  "order":{"type":"string","x-crm-type":"lookup","x-crm-target":"order"}}}`)
	o := w.create(t, "order", `{"name":"one"}`)
	var lines []string
	for i := range 3 {
		lines = append(lines, w.create(t, "line", fmt.Sprintf(`{"order":%q,"amount":%d}`, o.ID, 10*(i+1))).ID)
	}
	memo := w.create(t, "memo", fmt.Sprintf(`{"order":%q}`, o.ID))
	// A line deleted on its own before the master stays deleted.
	if err := w.svc.Delete(w.ctx, "line", lines[2], 0); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Delete(w.ctx, "order", o.ID, 0); err != nil {
		t.Fatal(err)
	}
	count := func(t *testing.T) int {
		page, err := w.svc.List(w.ctx, "line", records.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	t.Run("the details are gone with the master", func(t *testing.T) {
		if n := count(t); n != 0 {
			t.Fatalf("%d lines left", n)
		}
	})
	t.Run("a lookup to the deleted record stays an id", func(t *testing.T) {
		r, err := w.svc.Get(w.ctx, "memo", memo.ID, records.GetOptions{Expand: "order"})
		if err != nil || r.Data["order"] != o.ID {
			t.Fatalf("memo %v %v", r, err)
		}
	})
	t.Run("a detail cannot be restored without its master", func(t *testing.T) {
		_, err := w.svc.Restore(w.ctx, "line", lines[0])
		if errs.CodeOf(err) != "record.master_deleted" || errs.KindOf(err) != errs.Conflict {
			t.Fatalf("restore = %v", err)
		}
	})
	t.Run("restoring the master restores the details its deletion took", func(t *testing.T) {
		r, err := w.svc.Restore(w.ctx, "order", o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t); n != 2 {
			t.Fatalf("%d lines back, want 2", n)
		}
		if got := jsonOf(r.Data["lines"]) + " " + jsonOf(r.Data["total"]); got != "2 30.00" {
			t.Fatalf("restored master's roll-ups %s", got)
		}
		if _, err := w.svc.Restore(w.ctx, "line", lines[2]); err != nil {
			t.Fatalf("the separately deleted line: %v", err)
		}
		if got := jsonOf(w.get(t, "order", o.ID).Data["total"]); got != "60.00" {
			t.Fatalf("total %s after restoring the third line", got)
		}
	})
}

// membershipWorld is a many-to-many relation: contacts and campaigns joined
// by memberships (two master-detail fields), with a roll-up on each side.
func membershipWorld(t testing.TB) *world {
	w := newWorld(t)
	w.define(t, "contact", `{"title":"Contact","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"}}}`)
	w.define(t, "campaign", `{"title":"Campaign","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"}}}`)
	w.define(t, "membership", `{"title":"Membership","type":"object","properties":{
	  "contact":{"type":"string","x-crm-type":"masterdetail","x-crm-target":"contact"},
	  "campaign":{"type":"string","x-crm-type":"masterdetail","x-crm-target":"campaign"},
	  "status":{"type":"string","x-crm-type":"picklist","enum":["sent","responded"]}}}`)
	w.define(t, "contact", `{"title":"Contact","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"},
	  "campaigns":{"x-crm-type":"rollup","x-crm-rollup":{"object":"membership","op":"count"}}}}`)
	w.define(t, "campaign", `{"title":"Campaign","type":"object","properties":{"name":{"type":"string","x-crm-type":"text"},
	  "responses":{"x-crm-type":"rollup","x-crm-rollup":{"object":"membership","op":"count","filter":"status = 'responded'"}}}}`)
	return w
}

func TestRelated_listsBothSidesOfAJunction(t *testing.T) {
	w := membershipWorld(t)
	ann := w.create(t, "contact", `{"name":"Ann"}`)
	bob := w.create(t, "contact", `{"name":"Bob"}`)
	spring := w.create(t, "campaign", `{"name":"Spring"}`)
	fall := w.create(t, "campaign", `{"name":"Fall"}`)
	join := func(c, g *records.Record, status string) {
		w.create(t, "membership", fmt.Sprintf(`{"contact":%q,"campaign":%q,"status":%q}`, c.ID, g.ID, status))
	}
	join(ann, spring, "responded")
	join(ann, fall, "sent")
	join(bob, spring, "responded")

	names := func(t *testing.T, p *records.Page, side string) []string {
		var out []string
		for _, r := range p.Items {
			m, _ := r.Data[side].(map[string]any)
			out = append(out, fmt.Sprint(m["name"]))
		}
		return out
	}
	t.Run("a contact's campaigns", func(t *testing.T) {
		p, err := w.svc.Related(w.ctx, "contact", ann.ID, "membership", "", records.ListOptions{Expand: "campaign", Sort: "createdAt"})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(names(t, p, "campaign")); got != "[Spring Fall]" {
			t.Fatalf("Ann's campaigns %s", got)
		}
	})
	t.Run("a campaign's contacts, paged", func(t *testing.T) {
		p, err := w.svc.Related(w.ctx, "campaign", spring.ID, "membership", "campaign", records.ListOptions{Expand: "contact", Limit: 1, Sort: "createdAt"})
		if err != nil || p.NextCursor == nil {
			t.Fatalf("first page %v %v", p, err)
		}
		p2, err := w.svc.Related(w.ctx, "campaign", spring.ID, "membership", "campaign", records.ListOptions{Expand: "contact", Limit: 1, Sort: "createdAt", Cursor: *p.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(names(t, p, "contact"), names(t, p2, "contact")); got != "[Ann] [Bob]" || p2.NextCursor != nil {
			t.Fatalf("Spring's contacts %s", got)
		}
		_, err = w.svc.Related(w.ctx, "campaign", fall.ID, "membership", "campaign", records.ListOptions{Limit: 1, Sort: "createdAt", Cursor: *p.NextCursor})
		if errs.KindOf(err) != errs.Malformed {
			t.Fatalf("a cursor of another parent's list: %v", err)
		}
	})
	t.Run("both sides roll up", func(t *testing.T) {
		if got := jsonOf(w.get(t, "contact", ann.ID).Data["campaigns"]); got != "2" {
			t.Errorf("Ann's campaigns %s", got)
		}
		if got := jsonOf(w.get(t, "campaign", spring.ID).Data["responses"]); got != "2" {
			t.Errorf("Spring's responses %s", got)
		}
	})
	t.Run("deleting one side removes the junction records and updates the other side", func(t *testing.T) {
		if err := w.svc.Delete(w.ctx, "campaign", spring.ID, 0); err != nil {
			t.Fatal(err)
		}
		if got := jsonOf(w.get(t, "contact", ann.ID).Data["campaigns"]); got != "1" {
			t.Errorf("Ann's campaigns after Spring was deleted: %s", got)
		}
		if got := jsonOf(w.get(t, "contact", bob.ID).Data["campaigns"]); got != "0" {
			t.Errorf("Bob's campaigns after Spring was deleted: %s", got)
		}
		if _, err := w.svc.Restore(w.ctx, "campaign", spring.ID); err != nil {
			t.Fatal(err)
		}
		if got := jsonOf(w.get(t, "contact", bob.ID).Data["campaigns"]); got != "1" {
			t.Errorf("Bob's campaigns after Spring was restored: %s", got)
		}
	})
	for _, c := range []struct{ name, object, child, field, code string }{
		{"a field that does not point at the parent", "contact", "membership", "campaign", "related.bad_field"},
		{"an object without a relation", "contact", "campaign", "", "related.no_relation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.svc.Related(w.ctx, c.object, ann.ID, c.child, c.field, records.ListOptions{})
			if errs.CodeOf(err) != c.code {
				t.Fatalf("Related = %v, want %s", err, c.code)
			}
		})
	}
	t.Run("an unknown parent is 404", func(t *testing.T) {
		_, err := w.svc.Related(w.ctx, "contact", "nope", "membership", "", records.ListOptions{})
		if errs.KindOf(err) != errs.NotFound {
			t.Fatalf("Related = %v", err)
		}
	})
}
