package records_test

import (
	"testing"

	"github.com/opencrm/crm/objects/records"
)

func TestUpdate_aPatchThatChangesNothingWritesNothing(t *testing.T) {
	box := &outbox{}
	w := newWorldAt(t, "", records.WithHooks(box))
	w.define(t, "note", `{"title":"Note","type":"object","properties":{
		"title":{"type":"string","x-crm-type":"text","x-crm-history":true},
		"body":{"type":"string","x-crm-type":"text"},
		"tag":{"type":"string","x-crm-type":"text"}},"required":["title"]}`)
	rec := w.create(t, "note", `{"title":"first","body":"b"}`)
	for _, tc := range []struct {
		name  string
		patch map[string]any
	}{
		{"an empty patch", map[string]any{}},
		{"a nil patch", nil},
		{"the values it has", map[string]any{"title": "first", "body": "b"}},
		{"clearing a field that is empty", map[string]any{"tag": nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.svc.Update(w.ctx, "note", rec.ID, tc.patch, rec.Version)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != rec.Version || got.Data["updatedAt"] != rec.Data["updatedAt"] || got.Data["title"] != "first" {
				t.Fatalf("version %d (was %d), updatedAt %v (was %v)", got.Version, rec.Version, got.Data["updatedAt"], rec.Data["updatedAt"])
			}
		})
	}
	if len(box.seen) != 1 {
		t.Errorf("events %v, want only the create's", box.seen)
	}
	hist, err := w.svc.History(w.ctx, "note", rec.ID)
	if err != nil || len(hist) != 0 {
		t.Errorf("history %v (%v), want no change", hist, err)
	}
	if got, err := w.svc.Update(w.ctx, "note", rec.ID, map[string]any{"body": "c"}, rec.Version); err != nil || got.Version != rec.Version+1 {
		t.Fatalf("a real change: %v, %v", got, err)
	}
}

func TestCreate_withoutInputIsAnEmptyRecord(t *testing.T) {
	w := newWorld(t)
	w.define(t, "note", `{"title":"Note","type":"object","properties":{
		"title":{"type":"string","x-crm-type":"text","default":"untitled"}}}`)
	rec, err := w.svc.Create(w.ctx, "note", nil)
	if err != nil || rec.Data["title"] != "untitled" {
		t.Fatalf("create(nil) = %v, %v", rec, err)
	}
}
