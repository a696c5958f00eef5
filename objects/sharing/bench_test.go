package sharing_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

// BenchmarkListPrivate measures a list of a private object of 100,000
// records for users who see a part of them: a rep (own records only), a
// manager with four reports (their five owners' records, 2.5%), and a rep
// who also gets every north record through a sharing rule. 200 users own
// the records evenly. The records are written straight into the store in the
// shape the record service writes (id, owner, createdAt, createdBy,
// updatedAt, updatedBy and the fields), in transactions of 5,000, because
// 100,000 calls of the service would take minutes; lists go through the
// record service with the guard, as every API call does.
func BenchmarkListPrivate(b *testing.B) {
	const n, owners = 100_000, 200
	w := newWorld(b, "acme")
	w.object(b, "acme", "lead", leadDef)
	w.role(b, "acme", "sales", `{"permissions":{"lead":{"read":true,"create":true,"update":true,"fields":{"phone":"none"}}}}`)
	w.role(b, "acme", "north_sales", `{"parent":"sales"}`)
	w.rule(b, "acme", access.SharingRule{Name: "north", Object: "lead", Filter: "region = 'north'", Role: "north_sales", Access: "read"})
	w.user(b, "acme", "admin", "", "admin")
	ownerIDs := make([]string, owners)
	for i := range ownerIDs {
		manager := ""
		if i >= 1 && i <= 4 {
			manager = "u0"
		}
		roles := []string{"sales"}
		if i == 5 {
			roles = []string{"north_sales"}
		}
		ownerIDs[i] = w.user(b, "acme", fmt.Sprintf("u%d", i), manager, roles...).ID
	}
	ctx := context.Background()
	start := time.Now()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	regions := []string{"north", "south"}
	for batch := 0; batch < n; batch += 5000 {
		err := w.st.Tx(ctx, "acme", func(ctx context.Context) error {
			for i := batch; i < batch+5000; i++ {
				at := base.Add(time.Duration(i) * time.Minute).Format("2006-01-02T15:04:05.000Z")
				owner := ownerIDs[i%owners]
				doc := store.Doc{"id": id.New(), "owner": owner, "createdAt": at, "updatedAt": at, "createdBy": owner,
					"updatedBy": owner, "name": fmt.Sprintf("Lead %d", i), "region": regions[(i/owners)%2], "score": int64(i % 100),
					"phone": "+1 555 0100"}
				if _, err := w.st.Insert(ctx, "acme", "lead", doc); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("inserted %d records in %v", n, time.Since(start))

	for _, c := range []struct {
		name, user, sort string
		want             int // records visible
	}{
		{"rep-own", "u7", "", n / owners},
		{"rep-own-newest-first", "u7", "-createdAt", n / owners},
		{"manager-team-of-5", "u0", "", 5 * n / owners},
		{"manager-team-of-5-newest-first", "u0", "-createdAt", 5 * n / owners},
		{"rep-with-north-rule", "u5", "-createdAt", n/2 + n/owners/2},
	} {
		b.Run(c.name, func(b *testing.B) {
			uctx := w.as("acme", c.user)
			rows, err := w.node.recs.Aggregate(uctx, "lead", records.AggregateRequest{Measures: []records.MeasureIn{{Op: "count"}}})
			if err != nil {
				b.Fatal(err)
			}
			if got := rows[0]["count"]; got != int64(c.want) {
				b.Fatalf("visible %v, want %d", got, c.want)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				page, err := w.node.recs.List(uctx, "lead", records.ListOptions{Sort: c.sort, Limit: 50})
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				if len(page.Items) != 50 {
					b.Fatalf("%d items", len(page.Items))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
