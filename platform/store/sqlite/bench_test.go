package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/store"
)

// benchSize is the number of documents of the read benchmarks.
const benchSize = 100_000

var (
	benchStatuses = []string{"new", "working", "nurturing", "qualified", "lost"}
	benchIndexes  = []store.Index{
		{Name: "owner_status_created", Keys: []store.IndexKey{{Field: "owner"}, {Field: "status"}, {Field: "createdAt", Desc: true}}},
		{Name: "email", Keys: []store.IndexKey{{Field: "email"}}, Unique: true},
		{Name: "created", Keys: []store.IndexKey{{Field: "createdAt"}}},
	}
)

// benchLead is a realistic lead of about 500 bytes.
func benchLead(rnd *rand.Rand, i int) store.Doc {
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rnd.IntN(365*24*3600)) * time.Second)
	return store.Doc{
		"id":        fmt.Sprintf("lead-%07d", i),
		"name":      fmt.Sprintf("Lead number %d", i),
		"company":   fmt.Sprintf("Company %d Ltd", rnd.IntN(5000)),
		"email":     fmt.Sprintf("lead%d@example.test", i),
		"phone":     fmt.Sprintf("+33 1 %02d %02d %02d %02d", rnd.IntN(100), rnd.IntN(100), rnd.IntN(100), rnd.IntN(100)),
		"owner":     fmt.Sprintf("user-%02d", rnd.IntN(50)),
		"status":    benchStatuses[rnd.IntN(len(benchStatuses))],
		"source":    []string{"web", "referral", "event", "partner"}[rnd.IntN(4)],
		"createdAt": created.Format("2006-01-02T15:04:05.000Z"),
		"amount":    int64(rnd.IntN(100_000)),
		"score":     rnd.Float64() * 100,
		"converted": rnd.IntN(10) == 0,
		"address": map[string]any{"street": fmt.Sprintf("%d rue de la Paix", rnd.IntN(200)),
			"city": "Paris", "zip": fmt.Sprintf("750%02d", rnd.IntN(20))},
		"tags": []any{"b2b", "priority"},
	}
}

// loadLeads fills a fresh store with n leads, in transactions of 5000.
func loadLeads(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	mustCollection(b, s, "acme", "lead", benchIndexes...)
	rnd := rand.New(rand.NewPCG(7, 7))
	for start := 0; start < n; start += 5000 {
		err := s.Tx(ctx, "acme", func(ctx context.Context) error {
			for i := start; i < min(start+5000, n); i++ {
				if _, err := s.Insert(ctx, "acme", "lead", benchLead(rnd, i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// timed runs op in b.Loop and reports the median and 99th percentile.
func timed(b *testing.B, op func(i int)) {
	b.Helper()
	var d []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		op(i)
		d = append(d, time.Since(t0))
		i++
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds())/1e3, "p99-µs")
}

func BenchmarkInsert(b *testing.B) {
	for _, format := range []struct {
		name string
		text bool
	}{{"jsonb", false}, {"text", true}} {
		b.Run(format.name, func(b *testing.B) {
			s := openTest(b)
			s.text = format.text
			mustCollection(b, s, "acme", "lead", benchIndexes...)
			rnd := rand.New(rand.NewPCG(1, 1))
			ctx := context.Background()
			timed(b, func(i int) {
				if _, err := s.Insert(ctx, "acme", "lead", benchLead(rnd, i)); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkRead100k(b *testing.B) {
	for _, format := range []struct {
		name string
		text bool
	}{{"jsonb", false}, {"text", true}} {
		b.Run(format.name, func(b *testing.B) {
			s := openTest(b)
			s.text = format.text
			loadLeads(b, s, benchSize)
			ctx := context.Background()
			b.Run("GetByID", func(b *testing.B) {
				rnd := rand.New(rand.NewPCG(2, 2))
				timed(b, func(int) {
					if _, err := s.Get(ctx, "acme", "lead", fmt.Sprintf("lead-%07d", rnd.IntN(benchSize)), nil); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("IndexedFilterSortLimit50", func(b *testing.B) {
				rnd := rand.New(rand.NewPCG(3, 3))
				timed(b, func(int) {
					page, err := s.Find(ctx, "acme", "lead", store.Query{
						Filter: store.And{store.Eq("owner", fmt.Sprintf("user-%02d", rnd.IntN(50))), store.Eq("status", "new")},
						Sort:   []store.SortKey{{Field: "createdAt", Desc: true}},
						Limit:  50,
					})
					if err != nil || len(page.Items) != 50 {
						b.Fatalf("Find = %d items, %v", len(page.Items), err)
					}
				})
			})
			b.Run("UnindexedFilterCount", func(b *testing.B) {
				timed(b, func(int) {
					if _, err := s.Count(ctx, "acme", "lead", store.Eq("source", "event")); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run("AggregateGroupBy", func(b *testing.B) {
				timed(b, func(int) {
					rows, err := s.Aggregate(ctx, "acme", "lead", store.AggregateQuery{
						GroupBy:  []store.Group{{Field: "status"}, {Field: "createdAt", By: "quarter"}},
						Measures: []store.Measure{{Op: store.OpCount}, {Op: store.OpSum, Field: "amount"}},
					})
					if err != nil || len(rows) != 20 {
						b.Fatalf("Aggregate = %d rows, %v", len(rows), err)
					}
				})
			})
		})
	}
}
