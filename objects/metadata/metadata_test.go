package metadata_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/sqlite"
)

const tenant = "t1"

func newService(t *testing.T) (*metadata.Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := metadata.New(st, metadata.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Provision(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func put(t *testing.T, svc *metadata.Service, name, def string) (*metadata.Entry, metadata.Plan, error) {
	t.Helper()
	return svc.Put(context.Background(), tenant, name, []byte(def), metadata.PutOptions{By: "u1"})
}

func mustPut(t *testing.T, svc *metadata.Service, name, def string) *metadata.Entry {
	t.Helper()
	e, _, err := put(t, svc, name, def)
	if err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
	return e
}

const invoiceV1 = `{"title":"Invoice","type":"object","properties":{
  "code":{"type":"string","x-crm-type":"text"},
  "status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]}}}`

func insert(t *testing.T, st store.Store, coll string, docs ...store.Doc) {
	t.Helper()
	for _, d := range docs {
		if _, err := st.Insert(context.Background(), tenant, coll, d); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPut_createsVersionsAndRecordsHistory(t *testing.T) {
	svc, _ := newService(t)
	e := mustPut(t, svc, "invoice", invoiceV1)
	if e.Version != 1 || e.Object.Label != "Invoice" {
		t.Fatalf("entry %+v", e)
	}
	if again := mustPut(t, svc, "invoice", invoiceV1); again.Version != 1 {
		t.Fatalf("an unchanged definition made version %d", again.Version)
	}
	e2 := mustPut(t, svc, "invoice", `{"title":"Bill","type":"object","properties":{
  "code":{"type":"string","x-crm-type":"text"},
  "status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]},
  "note":{"type":"string","x-crm-type":"textarea"}}}`)
	if e2.Version != 2 {
		t.Fatalf("version %d, want 2", e2.Version)
	}
	h, err := svc.History(context.Background(), tenant, "invoice")
	if err != nil || len(h) != 2 || h[0].Version != 2 || h[0].By != "u1" || len(h[0].Changes) != 2 {
		t.Fatalf("history %+v, err %v", h, err)
	}
	list, err := svc.List(context.Background(), tenant)
	if err != nil || len(list) != 1 || list[0].Label != "Bill" || !list[0].Custom {
		t.Fatalf("list %+v, err %v", list, err)
	}
}

func TestPut_refusesBadDefinitions(t *testing.T) {
	svc, _ := newService(t)
	for _, c := range []struct {
		name, def string
		kind      errs.Kind
		field     string
	}{
		{"unknown field type", `{"title":"T","type":"object","properties":{"a":{"type":"string","x-crm-type":"nope"}}}`, errs.Invalid, "/properties/a/x-crm-type"},
		{"lookup to an unknown object", `{"title":"T","type":"object","properties":{"a":{"type":"string","x-crm-type":"lookup","x-crm-target":"ghost"}}}`, errs.Invalid, "/properties/a/x-crm-target"},
		{"not JSON", `{"type":`, errs.Invalid, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := put(t, svc, "thing", c.def)
			if errs.KindOf(err) != c.kind || errs.CodeOf(err) != "metadata.invalid" {
				t.Fatalf("err = %v", err)
			}
			if c.field != "" && (len(errs.As(err).Fields) == 0 || errs.As(err).Fields[0].Field != c.field) {
				t.Fatalf("err = %+v, want a problem at %s", errs.As(err).Fields, c.field)
			}
		})
	}
	if _, err := svc.Object(context.Background(), tenant, "thing"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("a refused definition was stored: %v", err)
	}
}

func TestPut_typeChangeConvertsOnlyWhenEveryRecordConverts(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()
	mustPut(t, svc, "invoice", invoiceV1)
	insert(t, st, "invoice", store.Doc{"id": "r1", "code": "12"}, store.Doc{"id": "r2", "code": "abc"}, store.Doc{"id": "r3"})
	asNumber := `{"title":"Invoice","type":"object","properties":{
  "code":{"type":"number","x-crm-type":"number"},
  "status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]}}}`

	_, plan, err := svc.Put(ctx, tenant, "invoice", []byte(asNumber), metadata.PutOptions{DryRun: true})
	if errs.CodeOf(err) != "metadata.data_blocks_change" || len(plan.Fields) != 1 || plan.Fields[0].Failures != 1 ||
		plan.Fields[0].Records != 3 || plan.Fields[0].Examples[0].ID != "r2" {
		t.Fatalf("dry run: plan %+v, err %v", plan, err)
	}
	if _, _, err := put(t, svc, "invoice", asNumber); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("applied a change that loses 'abc': %v", err)
	}
	doc, _ := st.Get(ctx, tenant, "invoice", "r2", nil)
	doc["code"] = "7.5"
	if _, err := st.Update(ctx, tenant, "invoice", doc, 0); err != nil {
		t.Fatal(err)
	}
	e := mustPut(t, svc, "invoice", asNumber)
	if f, _ := e.Object.Field("code"); f.TypeName != "number" {
		t.Fatalf("type %s", f.TypeName)
	}
	for id, want := range map[string]any{"r1": int64(12), "r2": 7.5} {
		doc, err := st.Get(ctx, tenant, "invoice", id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := store.Compare(doc["code"], want); !ok || c != 0 {
			t.Errorf("%s.code = %#v, want %v", id, doc["code"], want)
		}
	}
}

func TestPut_refusesConstraintsThatStoredRecordsBreak(t *testing.T) {
	svc, st := newService(t)
	mustPut(t, svc, "invoice", invoiceV1)
	insert(t, st, "invoice", store.Doc{"id": "r1", "code": "A", "status": "sent"}, store.Doc{"id": "r2", "code": "A"})
	for _, c := range []struct{ name, def, code string }{
		{"required while a record lacks it", `{"title":"Invoice","type":"object","required":["status"],"properties":{
  "code":{"type":"string","x-crm-type":"text"},"status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]}}}`, "metadata.data_blocks_change"},
		{"unique over duplicates", `{"title":"Invoice","type":"object","properties":{
  "code":{"type":"string","x-crm-type":"text","x-crm-unique":true},"status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]}}}`, "metadata.data_blocks_change"},
		{"a picklist value in use removed", `{"title":"Invoice","type":"object","properties":{
  "code":{"type":"string","x-crm-type":"text"},"status":{"type":"string","x-crm-type":"picklist","enum":["draft"]}}}`, "metadata.data_blocks_change"},
		{"a field dropped with its data", `{"title":"Invoice","type":"object","properties":{"code":{"type":"string","x-crm-type":"text"}}}`, "metadata.change_refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := put(t, svc, "invoice", c.def)
			if errs.CodeOf(err) != c.code || errs.KindOf(err) != errs.Conflict {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
		})
	}
	if e, _ := svc.Object(context.Background(), tenant, "invoice"); e.Version != 1 {
		t.Fatalf("a refused change made version %d", e.Version)
	}
}

func TestDelete_refusesWhileRecordsExistUnlessPurged(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()
	mustPut(t, svc, "invoice", invoiceV1)
	insert(t, st, "invoice", store.Doc{"id": "r1"})
	if err := svc.Delete(ctx, tenant, "invoice", false, "u1"); errs.CodeOf(err) != "object.has_records" {
		t.Fatalf("err = %v", err)
	}
	if err := svc.Delete(ctx, tenant, "invoice", true, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Object(ctx, tenant, "invoice"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("deleted object still there: %v", err)
	}
	if err := svc.Delete(ctx, tenant, "invoice", true, "u1"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("second delete: %v", err)
	}
}

func TestCache_aSecondNodeSeesAChangeWithinTheRefreshInterval(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()
	other, err := metadata.New(st, metadata.Config{RefreshInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, svc, "invoice", invoiceV1)
	if e, err := other.Object(ctx, tenant, "invoice"); err != nil || e.Version != 1 {
		t.Fatalf("other node: %v %v", e, err)
	}
	mustPut(t, svc, "invoice", `{"title":"Bill","type":"object","properties":{
  "code":{"type":"string","x-crm-type":"text"},"status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]}}}`)
	deadline := time.Now().Add(time.Second)
	for {
		e, err := other.Object(ctx, tenant, "invoice")
		if err != nil {
			t.Fatal(err)
		}
		if e.Object.Label == "Bill" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other node did not see the change within 1 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
