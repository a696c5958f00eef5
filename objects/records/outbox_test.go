package records_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opencrm/crm/objects/records"
)

// outbox is a TxHook that notes each write's event, or fails when told to,
// as a crash between a write and its event would.
type outbox struct {
	fail bool
	seen []records.Op
}

func (o *outbox) Before(context.Context, *records.Event) error { return nil }
func (o *outbox) After(context.Context, *records.Event) error  { return nil }
func (o *outbox) InTx(ctx context.Context, ev *records.Event) error {
	if o.fail {
		return errors.New("the outbox is down")
	}
	o.seen = append(o.seen, ev.Op)
	return nil
}

func TestTxHook_aWriteAndItsEventCommitTogether(t *testing.T) {
	box := &outbox{}
	w := newWorldAt(t, "", records.WithHooks(box))
	w.define(t, "note", `{"title":"Note","type":"object","properties":{
		"title":{"type":"string","x-crm-type":"text","x-crm-history":true}},"required":["title"]}`)
	rec := w.create(t, "note", `{"title":"first"}`)
	if _, err := w.svc.Update(w.ctx, "note", rec.ID, map[string]any{"title": "second"}, 0); err != nil {
		t.Fatal(err)
	}
	if len(box.seen) != 2 || box.seen[0] != records.OpCreate || box.seen[1] != records.OpUpdate {
		t.Fatalf("events %v, want create then update", box.seen)
	}

	box.fail = true
	t.Run("a create whose event fails is not stored", func(t *testing.T) {
		if _, err := w.svc.Create(w.ctx, "note", map[string]any{"title": "lost"}); err == nil {
			t.Fatal("the create succeeded without its event")
		}
		page, err := w.svc.List(w.ctx, "note", records.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 {
			t.Fatalf("%d notes, want only the first", len(page.Items))
		}
	})
	t.Run("an update whose event fails changes nothing, history included", func(t *testing.T) {
		if _, err := w.svc.Update(w.ctx, "note", rec.ID, map[string]any{"title": "third"}, 0); err == nil {
			t.Fatal("the update succeeded without its event")
		}
		if got := w.get(t, "note", rec.ID).Data["title"]; got != "second" {
			t.Fatalf("title %v, want second", got)
		}
		hist, err := w.svc.History(w.ctx, "note", rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 {
			t.Fatalf("%d history entries, want the one of the committed update", len(hist))
		}
	})
	t.Run("a delete whose event fails keeps the record out of the recycle bin", func(t *testing.T) {
		if err := w.svc.Delete(w.ctx, "note", rec.ID, 0); err == nil {
			t.Fatal("the delete succeeded without its event")
		}
		w.get(t, "note", rec.ID)
		bin, err := w.svc.RecycleBin(w.ctx, "note", 0, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(bin.Items) != 0 {
			t.Fatalf("%d entries in the recycle bin", len(bin.Items))
		}
	})
}
