package metadata_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/sqlite"
)

const codeAsNumber = `{"title":"Invoice","type":"object","properties":{
  "code":{"type":"number","x-crm-type":"number"},
  "status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]}}}`

// newMigrating returns a service that converts at most 10 records inline,
// with an invoice object of n records whose codes are "1".."n".
func newMigrating(t *testing.T, n int, hook func()) (*metadata.Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := metadata.New(st, metadata.Config{MigrateInlineMax: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close) // runs before the store closes
	if hook != nil {
		metadata.SetBeforeBatch(svc, hook)
	}
	if err := svc.Provision(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	mustPut(t, svc, "invoice", invoiceV1)
	for i := 1; i <= n; i++ {
		insert(t, st, "invoice", store.Doc{"id": fmt.Sprintf("r%02d", i), "code": fmt.Sprint(i)})
	}
	return svc, st
}

func putBackground(svc *metadata.Service, def string, dry bool) (*metadata.Entry, metadata.Plan, error) {
	return svc.Put(context.Background(), tenant, "invoice", []byte(def), metadata.PutOptions{By: "u1", Background: true, DryRun: dry})
}

// waitEnd polls the migration until it is no longer running.
func waitEnd(t *testing.T, svc *metadata.Service, id string) *metadata.Migration {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := svc.Migration(context.Background(), tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != "running" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("migration still running: %+v", m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func codeOf(t *testing.T, st store.Store, id string) any {
	t.Helper()
	doc, err := st.Get(context.Background(), tenant, "invoice", id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return doc["code"]
}

func typeOfCode(t *testing.T, svc *metadata.Service) (string, int64) {
	t.Helper()
	e, err := svc.Object(context.Background(), tenant, "invoice")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := e.Object.Field("code")
	return f.TypeName, e.Version
}

func TestMigration_aLargeTypeChangeRunsAsAJobAndAppliesWhenEveryRecordConverted(t *testing.T) {
	svc, st := newMigrating(t, 25, nil)
	e, plan, err := putBackground(svc, codeAsNumber, false)
	if err != nil {
		t.Fatal(err)
	}
	m := plan.Migration
	if m == nil || m.Status != "running" || m.Total != 25 || m.Object != "invoice" || e.Version != 1 {
		t.Fatalf("migration %+v, entry version %d", m, e.Version)
	}
	end := waitEnd(t, svc, m.ID)
	if end.Status != "done" || end.Done != 25 || end.Failed != 0 || end.EndedAt == "" {
		t.Fatalf("end %+v", end)
	}
	if typ, v := typeOfCode(t, svc); typ != "number" || v != 2 {
		t.Fatalf("code is %s at version %d, want number at 2", typ, v)
	}
	for id, want := range map[string]any{"r01": int64(1), "r25": int64(25)} {
		if c, ok := store.Compare(codeOf(t, st, id), want); !ok || c != 0 {
			t.Errorf("%s.code = %#v, want %v", id, codeOf(t, st, id), want)
		}
	}
	if _, _, err := putBackground(svc, invoiceV1, true); err != nil {
		t.Fatalf("the object stays locked after the migration: %v", err)
	}
}

func TestMigration_aRecordThatNoLongerConvertsFailsItAndRestoresConvertedValues(t *testing.T) {
	var st store.Store
	var calls atomic.Int32
	hook := func() {
		// The second batch is the re-scan after every record was
		// converted: a concurrent write puts a value that does not fit.
		if calls.Add(1) == 2 {
			doc, _ := st.Get(context.Background(), tenant, "invoice", "r05", nil)
			doc["code"] = "abc"
			if _, err := st.Update(context.Background(), tenant, "invoice", doc, 0); err != nil {
				panic(err)
			}
		}
	}
	svc, s := newMigrating(t, 25, hook)
	st = s
	_, plan, err := putBackground(svc, codeAsNumber, false)
	if err != nil || plan.Migration == nil {
		t.Fatalf("plan %+v, err %v", plan, err)
	}
	end := waitEnd(t, svc, plan.Migration.ID)
	if end.Status != "failed" || end.Failed != 1 || len(end.Examples) != 1 || end.Examples[0].ID != "r05" || end.Examples[0].Value != "abc" {
		t.Fatalf("end %+v", end)
	}
	if typ, v := typeOfCode(t, svc); typ != "text" || v != 1 {
		t.Fatalf("code is %s at version %d, want the old text at 1", typ, v)
	}
	for id, want := range map[string]any{"r01": "1", "r25": "25", "r05": "abc"} {
		if got := codeOf(t, st, id); got != want {
			t.Errorf("%s.code = %#v, want %#v restored", id, got, want)
		}
	}
}

func TestMigration_theObjectCannotChangeWhileItRuns(t *testing.T) {
	hold := make(chan struct{})
	svc, _ := newMigrating(t, 25, func() { <-hold })
	_, plan, err := putBackground(svc, codeAsNumber, false)
	if err != nil {
		close(hold)
		t.Fatal(err)
	}
	withNote := `{"title":"Invoice","type":"object","properties":{
  "code":{"type":"string","x-crm-type":"text"},
  "status":{"type":"string","x-crm-type":"picklist","enum":["draft","sent"]},
  "note":{"type":"string","x-crm-type":"textarea"}}}`
	_, _, putErr := put(t, svc, "invoice", withNote)
	delErr := svc.Delete(context.Background(), tenant, "invoice", true, "u1")
	_, dry, dryErr := putBackground(svc, codeAsNumber, true)
	close(hold)
	for name, err := range map[string]error{"put": putErr, "delete": delErr} {
		if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "metadata.migration_running" {
			t.Errorf("%s during the migration: %v, want metadata.migration_running", name, err)
		}
	}
	if dryErr != nil || dry.Migration != nil {
		t.Errorf("a dry run during the migration: plan %+v, err %v", dry, dryErr)
	}
	if end := waitEnd(t, svc, plan.Migration.ID); end.Status != "done" {
		t.Fatalf("end %+v", end)
	}
}

func TestMigration_dryRunsAndSmallChangesStaySynchronous(t *testing.T) {
	t.Run("a dry run reports the plan and starts nothing", func(t *testing.T) {
		svc, st := newMigrating(t, 25, nil)
		_, plan, err := putBackground(svc, codeAsNumber, true)
		if err != nil || plan.Migration != nil || len(plan.Fields) != 1 || plan.Fields[0].Records != 25 || plan.Fields[0].Failures != 0 {
			t.Fatalf("plan %+v, err %v", plan, err)
		}
		if typ, v := typeOfCode(t, svc); typ != "text" || v != 1 || codeOf(t, st, "r01") != "1" {
			t.Fatalf("a dry run changed the object: %s at %d", typ, v)
		}
	})
	t.Run("a conversion of at most MigrateInlineMax records is applied in the request", func(t *testing.T) {
		svc, st := newMigrating(t, 10, nil)
		e, plan, err := putBackground(svc, codeAsNumber, false)
		if err != nil || plan.Migration != nil || e.Version != 2 {
			t.Fatalf("entry %+v, plan %+v, err %v", e, plan, err)
		}
		if c, ok := store.Compare(codeOf(t, st, "r10"), int64(10)); !ok || c != 0 {
			t.Fatalf("r10.code = %#v", codeOf(t, st, "r10"))
		}
	})
	t.Run("a change that does not fit is refused at once", func(t *testing.T) {
		svc, st := newMigrating(t, 25, nil)
		doc, _ := st.Get(context.Background(), tenant, "invoice", "r03", nil)
		doc["code"] = "x"
		if _, err := st.Update(context.Background(), tenant, "invoice", doc, 0); err != nil {
			t.Fatal(err)
		}
		if _, plan, err := putBackground(svc, codeAsNumber, false); errs.CodeOf(err) != "metadata.data_blocks_change" || plan.Migration != nil {
			t.Fatalf("plan %+v, err %v", plan, err)
		}
	})
}

func TestMigration_closeInterruptsAndKeepsTheOldDefinition(t *testing.T) {
	hold := make(chan struct{})
	var calls atomic.Int32
	svc, st := newMigrating(t, 25, func() {
		if calls.Add(1) == 2 {
			<-hold // after pass 1 converted every record
		}
	})
	_, plan, err := putBackground(svc, codeAsNumber, false)
	if err != nil {
		t.Fatal(err)
	}
	for calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { svc.Close(); close(closed) }()
	<-metadata.Stopping(svc)
	close(hold)
	<-closed
	m, err := svc.Migration(context.Background(), tenant, plan.Migration.ID)
	if err != nil || m.Status != "interrupted" {
		t.Fatalf("migration %+v, err %v", m, err)
	}
	if typ, v := typeOfCode(t, svc); typ != "text" || v != 1 || codeOf(t, st, "r01") != "1" {
		t.Fatalf("after Close: code %s at %d, r01 %#v", typ, v, codeOf(t, st, "r01"))
	}
}
