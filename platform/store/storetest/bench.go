package storetest

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/store"
)

// DefaultBenchDocs is the number of documents the query benchmarks load when
// neither CRM_BENCH_DOCS nor BenchmarkN says otherwise.
const DefaultBenchDocs = 100000

// benchOwners is the number of distinct owners of the benchmark leads.
const benchOwners = 50

// benchStatuses are the lead statuses of the benchmark documents.
func benchStatuses() []string {
	return []string{"new", "working", "qualified", "unqualified", "converted"}
}

// Benchmark runs the port benchmarks as sub-benchmarks: Insert, GetByID,
// IndexedFilterSortLimit50 and AggregateGroupBy. The last two load
// DefaultBenchDocs lead-like documents, or as many as the environment
// variable CRM_BENCH_DOCS says (a slow backend's test sets it lower).
func Benchmark(b *testing.B, f Factory) {
	n := DefaultBenchDocs
	if v := os.Getenv("CRM_BENCH_DOCS"); v != "" {
		parsed, err := strconv.Atoi(v)
		if err != nil || parsed < 1 {
			b.Fatalf("CRM_BENCH_DOCS=%q is not a positive integer", v)
		}
		n = parsed
	}
	BenchmarkN(b, f, n)
}

// BenchmarkN is Benchmark over n documents. The data is loaded once, outside
// the timed sections, in transactions of 1000 documents where the backend
// has them and with plain inserts otherwise.
func BenchmarkN(b *testing.B, f Factory, n int) {
	s := f(b)
	ctx := context.Background()
	caps := s.Capabilities()
	const tenant = "bench"
	b.Logf("%s: query benchmarks over %d documents", caps.Name, n)

	b.Run("Insert", func(b *testing.B) {
		coll := fmt.Sprintf("ins_%d", b.N)
		if err := s.EnsureCollection(ctx, tenant, coll); err != nil {
			b.Fatal(err)
		}
		rnd := rand.New(rand.NewSource(1))
		docs := make([]store.Doc, b.N)
		for i := range docs {
			docs[i] = leadDoc(rnd, i)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.Insert(ctx, tenant, coll, docs[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := s.DropCollection(ctx, tenant, coll); err != nil {
			b.Fatal(err)
		}
	})

	const getDocs = 1000
	getLoaded := false
	b.Run("GetByID", func(b *testing.B) {
		if !getLoaded {
			loadLeads(b, s, tenant, "get_leads", getDocs)
			getLoaded = true
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id := leadID(i * 7919 % getDocs)
			d, err := s.Get(ctx, tenant, "get_leads", id, nil)
			if err != nil {
				b.Fatal(err)
			}
			if d["id"] != id {
				b.Fatalf("Get(%s) returned %v", id, d["id"])
			}
		}
	})

	loaded := false
	load := func(b *testing.B) {
		if loaded {
			return
		}
		loadLeads(b, s, tenant, "leads", n)
		err := s.SyncIndexes(ctx, tenant, "leads", []store.Index{{Name: "by_owner_status_created", Keys: []store.IndexKey{
			{Field: "owner"}, {Field: "status"}, {Field: "createdAt", Desc: true},
		}}})
		if err != nil {
			b.Fatal(err)
		}
		loaded = true
	}

	b.Run("IndexedFilterSortLimit50", func(b *testing.B) {
		load(b)
		checkLeadPage(b, s, tenant, n)
		b.ResetTimer()
		items := 0
		for i := 0; i < b.N; i++ {
			q := store.Query{
				Filter: store.And{store.Eq("owner", ownerName(i%benchOwners)), store.Eq("status", "new")},
				Sort:   []store.SortKey{{Field: "createdAt", Desc: true}},
				Limit:  50,
			}
			p, err := s.Find(ctx, tenant, "leads", q)
			if err != nil {
				b.Fatal(err)
			}
			items += len(p.Items)
		}
		b.ReportMetric(float64(items)/float64(b.N), "items/op")
		b.ReportMetric(float64(n), "docs")
	})

	b.Run("AggregateGroupBy", func(b *testing.B) {
		load(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rows, err := s.Aggregate(ctx, tenant, "leads", store.AggregateQuery{
				GroupBy:  []store.Group{{Field: "status"}},
				Measures: []store.Measure{{Op: store.OpCount}},
			})
			if err != nil {
				b.Fatal(err)
			}
			if len(rows) != len(benchStatuses()) && n >= 100 {
				b.Fatalf("Aggregate returned %d groups, want %d", len(rows), len(benchStatuses()))
			}
		}
		b.ReportMetric(float64(n), "docs")
	})
}

// checkLeadPage runs the benchmark query once and fails unless its page
// is right: only new leads of the owner, newest first, full when the data
// set is large enough.
func checkLeadPage(b *testing.B, s store.Store, tenant string, n int) {
	b.Helper()
	p, err := s.Find(context.Background(), tenant, "leads", store.Query{
		Filter: store.And{store.Eq("owner", ownerName(0)), store.Eq("status", "new")},
		Sort:   []store.SortKey{{Field: "createdAt", Desc: true}},
		Limit:  50,
	})
	if err != nil {
		b.Fatal(err)
	}
	if n >= 50*benchOwners*len(benchStatuses()) && len(p.Items) != 50 {
		b.Fatalf("the benchmark query returned %d items, want 50", len(p.Items))
	}
	prev := "~"
	for _, d := range p.Items {
		created, _ := d["createdAt"].(string)
		if d["owner"] != ownerName(0) || d["status"] != "new" || created > prev {
			b.Fatalf("the benchmark query returned %v after createdAt %s", d, prev)
		}
		prev = created
	}
}

// loadLeads inserts n lead documents into a fresh collection.
func loadLeads(b *testing.B, s store.Store, tenant, coll string, n int) {
	b.Helper()
	ctx := context.Background()
	if err := s.EnsureCollection(ctx, tenant, coll); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	rnd := rand.New(rand.NewSource(42))
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		insert := func(ctx context.Context) error {
			for i := lo; i < hi; i++ {
				if _, err := s.Insert(ctx, tenant, coll, leadDoc(rnd, i)); err != nil {
					return err
				}
			}
			return nil
		}
		var err error
		if s.Capabilities().Transactions {
			err = s.Tx(ctx, tenant, insert)
		} else {
			err = insert(ctx)
		}
		if err != nil {
			b.Fatalf("loading %s: %v", coll, err)
		}
	}
	b.Logf("loaded %d documents into %s in %v", n, coll, time.Since(start).Round(time.Millisecond))
}

func leadID(i int) string    { return fmt.Sprintf("lead-%07d", i) }
func ownerName(i int) string { return fmt.Sprintf("user-%02d", i) }
func leadDoc(rnd *rand.Rand, i int) store.Doc {
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rnd.Int63n(int64(365 * 24 * time.Hour))))
	return store.Doc{
		"id":        leadID(i),
		"name":      fmt.Sprintf("Lead %d", i),
		"company":   fmt.Sprintf("Company %d", rnd.Intn(5000)),
		"email":     fmt.Sprintf("lead%d@example.com", i),
		"owner":     ownerName(rnd.Intn(benchOwners)),
		"status":    benchStatuses()[rnd.Intn(len(benchStatuses()))],
		"source":    []string{"web", "phone", "partner", "event"}[rnd.Intn(4)],
		"amount":    int64(rnd.Intn(100000)),
		"score":     rnd.Float64() * 100,
		"createdAt": created.Format("2006-01-02T15:04:05.000Z"),
		"address":   map[string]any{"city": fmt.Sprintf("City %d", rnd.Intn(300)), "country": "NO"},
	}
}
