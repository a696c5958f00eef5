package jsvm

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkWorkerTrivialHook is BenchmarkTrivialHook through a worker
// process: the trivial hook's cost with IsolationProcess, the pipe round
// trip and the encoding of the record both ways included.
func BenchmarkWorkerTrivialHook(b *testing.B) {
	e := newEngine(b, Config{Limits: Limits{Isolation: IsolationProcess}})
	p := mustCompile(b, trivialHook)
	h := newMapHost()
	ctx := context.Background()
	if _, err := e.Run(ctx, p, "beforeCreate", Input{Tenant: "bench", Record: map[string]any{}}, h); err != nil {
		b.Fatal(err) // starts the tenant's worker
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := e.Run(ctx, p, "beforeCreate", Input{Tenant: "bench", Record: map[string]any{"name": "Ann"}}, h)
		lat = append(lat, time.Since(start))
		if err != nil || res.Record["status"] != "new" {
			b.Fatal(res, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "parent-cpu-ns/op")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*9/10].Nanoseconds()), "p90-ns")
}

// BenchmarkWorkerTrivialHookParallel measures executions per second through
// workers from concurrent goroutines (-cpu 2 for two): each goroutine's
// tenant has its own worker.
func BenchmarkWorkerTrivialHookParallel(b *testing.B) {
	e := newEngine(b, Config{Limits: Limits{Isolation: IsolationProcess}})
	p := mustCompile(b, trivialHook)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		h := newMapHost()
		for pb.Next() {
			if _, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: "bench", Record: map[string]any{"name": "Ann"}}, h); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
}
