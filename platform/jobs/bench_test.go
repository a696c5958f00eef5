package jobs_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
)

// BenchmarkRunner_10000DueJobs measures how fast one runner (4 workers)
// drains 10,000 due jobs on the embedded store: claim, run an empty
// handler, record done. Enqueueing is not timed.
func BenchmarkRunner_10000DueJobs(b *testing.B) {
	const n = 10_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b, b.TempDir())
		svc := newService(b, st, clock.Real{})
		ctx := context.Background()
		for k := range n {
			if _, _, err := svc.Enqueue(ctx, tenant, jobs.Spec{Kind: "noop", Key: fmt.Sprint(k)}); err != nil {
				b.Fatal(err)
			}
		}
		r := jobs.NewRunner(svc, jobs.RunnerConfig{Poll: 5 * time.Millisecond,
			Tenants: func(context.Context) ([]string, error) { return []string{tenant}, nil }})
		var ran atomic.Int64
		r.Register("noop", func(context.Context, *jobs.Job) error { ran.Add(1); return nil })
		b.StartTimer()
		t0 := time.Now()
		if err := r.Start(ctx); err != nil {
			b.Fatal(err)
		}
		for ran.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
		for {
			done, err := st.Count(ctx, tenant, jobs.Coll, store.Eq("state", jobs.Done))
			if err != nil {
				b.Fatal(err)
			}
			if done == n {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.StopTimer()
		r.Stop()
		b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "jobs/s")
	}
}
