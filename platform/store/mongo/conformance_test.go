package mongo

import (
	"os"
	"testing"

	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/storetest"
)

// TestConformance runs the store port's conformance suite against every
// backend.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(t testing.TB) store.Store { return openStore(t, b) })
		})
	}
}

// ferretBenchDocs is the data size of the query benchmarks on FerretDB,
// which filters everything but _id in the process (a full scan per query),
// so the default 100,000 documents would take minutes to load and query.
const ferretBenchDocs = 2000

// BenchmarkStore runs the port benchmarks against every backend. The
// document count comes from CRM_BENCH_DOCS, else ferretBenchDocs on
// FerretDB and the suite's default on MongoDB.
func BenchmarkStore(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			f := func(t testing.TB) store.Store { return openStore(t, be) }
			if be.name == "ferretdb" && os.Getenv("CRM_BENCH_DOCS") == "" {
				storetest.BenchmarkN(b, f, ferretBenchDocs)
				return
			}
			storetest.Benchmark(b, f)
		})
	}
}
