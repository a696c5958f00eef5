package jsvm

import (
	"context"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared machine it is
// a steadier figure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const trivialHook = `function beforeCreate(ctx) { ctx.record.status = 'new' }`

// benchTrivial runs the trivial hook b.N times and reports the median and
// 90th percentile of one run, besides the mean.
func benchTrivial(b *testing.B, cfg Config, pause time.Duration) {
	e := newEngine(b, cfg)
	p := mustCompile(b, trivialHook)
	h := newMapHost()
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	time.Sleep(20 * time.Millisecond) // let the spare runtimes be built
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if pause > 0 {
			b.StopTimer()
			time.Sleep(pause)
			b.StartTimer()
		}
		start := time.Now()
		res, err := e.Run(ctx, p, "beforeCreate", Input{Record: map[string]any{"name": "Ann"}}, h)
		lat = append(lat, time.Since(start))
		if err != nil || res.Record["status"] != "new" {
			b.Fatal(res, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*9/10].Nanoseconds()), "p90-ns")
}

// BenchmarkTrivialHook is the cost a hook adds to a create: a fresh
// hardened runtime and a beforeCreate that sets one field.
//   - spare: requests spaced out, so a prepared runtime is always ready
//     (the latency a create sees under normal load);
//   - saturated: back to back, the spare runtimes run out and each run
//     also pays for building its runtime (throughput bound);
//   - no-spare: every runtime built on the request path.
func BenchmarkTrivialHook(b *testing.B) {
	b.Run("spare", func(b *testing.B) { benchTrivial(b, Config{}, 300*time.Microsecond) })
	b.Run("saturated", func(b *testing.B) { benchTrivial(b, Config{}, 0) })
	b.Run("no-spare", func(b *testing.B) { benchTrivial(b, Config{Spare: -1}, 0) })
}

// BenchmarkTrivialHookParallel measures executions per second from
// concurrent goroutines (run with -cpu 2 for two).
func BenchmarkTrivialHookParallel(b *testing.B) {
	e := newEngine(b, Config{})
	p := mustCompile(b, trivialHook)
	start, cpu0 := time.Now(), cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		h := newMapHost()
		for pb.Next() {
			if _, err := e.Run(context.Background(), p, "beforeCreate", Input{Record: map[string]any{"name": "Ann"}}, h); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkNewSandbox is the cost of building one hardened runtime.
func BenchmarkNewSandbox(b *testing.B) {
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		newSandbox()
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkRegexHeavyHook measures the regular-expression guard on a
// legitimate hook (global replace and split over a 10 kB text).
func BenchmarkRegexHeavyHook(b *testing.B) {
	e := newEngine(b, Config{})
	p := mustCompile(b, `function beforeCreate(ctx) {
  const t = 'word, '.repeat(1700)
  ctx.record.n = t.replace(/w(o)rd/g, '$1').split(/,\s*/).length
}`)
	h := newMapHost()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Run(context.Background(), p, "beforeCreate", Input{Record: map[string]any{}, Limits: Limits{WallTime: 5 * time.Second}}, h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunWithPreparedRuntime is what a create pays when a prepared
// runtime is ready: the ctx bindings, the script, the limits' timers and
// the record copied back. Runtimes are built outside the measurement.
func BenchmarkRunWithPreparedRuntime(b *testing.B) {
	e := newEngine(b, Config{Spare: -1})
	e.spare = make(chan *sandbox, 1)
	p := mustCompile(b, trivialHook)
	h := newMapHost()
	lat := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		e.spare <- newSandbox()
		start := time.Now()
		// NB: a tenant per run: a tenant's second run would reuse its first
		// one's runtime and leave the prepared one in the channel.
		res, err := e.Run(context.Background(), p, "beforeCreate", Input{Tenant: strconv.Itoa(i), Record: map[string]any{"name": "Ann"}}, h)
		lat = append(lat, time.Since(start))
		if err != nil || res.Record["status"] != "new" {
			b.Fatal(res, err)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*9/10].Nanoseconds()), "p90-ns")
}
