package seed_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/seed"
)

// fingerprint is what must not change between two seeds of the same
// configuration: counts and sums along the report dimensions, and the
// leads themselves in creation order.
func fingerprint(t *testing.T, s *seeded) map[string]any {
	t.Helper()
	out := map[string]any{}
	add := func(name, object string, group []records.GroupKey, m ...records.MeasureIn) {
		out[name] = s.agg(t, object, "", group, m...)
	}
	add("leads by source and stage", "lead", []records.GroupKey{{Field: "source"}, {Field: "stage"}})
	add("leads by month", "lead", []records.GroupKey{{Field: "createdAt", By: "month"}})
	add("leads by pool status", "lead", []records.GroupKey{{Field: "poolStatus"}}, records.MeasureIn{Op: "count"}, records.MeasureIn{Op: "sum", Field: "score"})
	add("opportunities by stage", "opportunity", []records.GroupKey{{Field: "stage"}}, records.MeasureIn{Op: "count"}, records.MeasureIn{Op: "sum", Field: "amount"})
	add("opportunities by close month", "opportunity", []records.GroupKey{{Field: "closeDate", By: "month"}})
	add("activities by type", "activity", []records.GroupKey{{Field: "type"}, {Field: "occurredAt", By: "quarter"}})
	add("campaign cost", "campaign", []records.GroupKey{{Field: "channel"}}, records.MeasureIn{Op: "sum", Field: "cost"})
	add("tasks", "task", []records.GroupKey{{Field: "status"}, {Field: "priority"}})
	page, err := s.app.Records.List(s.ctx, "lead", records.ListOptions{Sort: "createdAt", Limit: 200,
		Fields: "name,email,phone,company,source,stage,score,createdAt,assignedAt,firstContactAt,lastActivityAt"})
	if err != nil {
		t.Fatal(err)
	}
	var leads []string
	for _, l := range page.Items {
		d := l.Data
		leads = append(leads, fmt.Sprint(d["name"], d["email"], d["phone"], d["company"], d["source"], d["stage"], d["score"],
			d["createdAt"], d["assignedAt"], d["firstContactAt"], d["lastActivityAt"]))
	}
	out["first leads"] = leads
	return out
}

func TestSeed_isDeterministic(t *testing.T) {
	a, d := newApp(t)
	var prints []map[string]any
	for _, name := range []string{"one", "two"} {
		rep, err := seed.Run(context.Background(), d, seed.Config{Tenant: name, Leads: 400, Now: now, HistoryPercent: 50}, nil)
		if err != nil {
			t.Fatal(err)
		}
		prints = append(prints, fingerprint(t, &seeded{app: a, ctx: adminCtx(t, a, rep.TenantID), report: rep}))
	}
	for k, v := range prints[0] {
		if !reflect.DeepEqual(v, prints[1][k]) {
			t.Errorf("%s differs between two seeds of the same configuration:\n%v\n%v", k, v, prints[1][k])
		}
	}

	t.Run("another seed gives other data", func(t *testing.T) {
		rep, err := seed.Run(context.Background(), d, seed.Config{Tenant: "three", Leads: 400, Now: now, Seed: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		other := fingerprint(t, &seeded{app: a, ctx: adminCtx(t, a, rep.TenantID), report: rep})
		if reflect.DeepEqual(other["first leads"], prints[0]["first leads"]) {
			t.Error("seed 2 made the same leads as seed 1")
		}
	})
}
