package rest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opencrm/crm/cmd/crm/app/testenv"
	"github.com/opencrm/crm/platform/store"
)

// A type change over more records than the inline maximum (1,000 by
// default) is accepted as a migration whose progress can be followed.
func TestMigrationsAPI_aLargeTypeChangeIsAcceptedAndFollowed(t *testing.T) {
	env := testenv.New(t)
	admin := env.Tokens["admin"]
	v1 := `{"title":"Ticket","type":"object","properties":{"code":{"type":"string","x-crm-type":"text"}}}`
	v2 := `{"title":"Ticket","type":"object","properties":{"code":{"type":"number","x-crm-type":"number"}}}`
	env.MustDo(t, "PUT", "/api/v1/objects/ticket", admin, v1, 201, nil)
	for i := 0; i < 1001; i++ {
		if _, err := env.App.Store.Insert(context.Background(), env.Tenant.ID, "ticket", store.Doc{"id": fmt.Sprintf("t%04d", i), "code": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var m struct {
		ID, Status  string
		Total, Done int64
	}
	res := env.MustDo(t, "PUT", "/api/v1/objects/ticket", admin, v2, 202, &m)
	if m.Status != "running" || m.Total != 1001 || res.Header.Get("Location") != "/api/v1/migrations/"+m.ID {
		t.Fatalf("migration %+v, location %q", m, res.Header.Get("Location"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for m.Status == "running" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		env.MustDo(t, "GET", "/api/v1/migrations/"+m.ID, admin, "", 200, &m)
	}
	if m.Status != "done" || m.Done != 1001 {
		t.Fatalf("migration %+v", m)
	}
	var def struct {
		Version    int64
		Properties map[string]map[string]any
	}
	env.MustDo(t, "GET", "/api/v1/objects/ticket", admin, "", 200, &def)
	if def.Version != 2 || def.Properties["code"]["x-crm-type"] != "number" {
		t.Fatalf("definition %+v", def)
	}
	env.MustDo(t, "GET", "/api/v1/migrations/nope", admin, "", 404, nil)
}
