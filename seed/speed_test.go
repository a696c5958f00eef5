package seed_test

import (
	"context"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/opencrm/crm/seed"
)

// TestSeed_speed measures a seed of CRM_SEED_LEADS leads (opt-in: it takes
// minutes at 100k) and logs where the pipeline spent its time.
// CRM_SEED_TX_LEADS and CRM_SEED_HISTORY set Config.TxLeads and
// Config.HistoryPercent.
func TestSeed_speed(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CRM_SEED_LEADS"))
	if n == 0 {
		t.Skip("set CRM_SEED_LEADS to measure a seed of that many leads")
	}
	tx, _ := strconv.Atoi(os.Getenv("CRM_SEED_TX_LEADS"))
	hist, _ := strconv.Atoi(os.Getenv("CRM_SEED_HISTORY"))
	_, d := newApp(t)
	rep, err := seed.Run(context.Background(), d, seed.Config{Leads: n, TxLeads: tx, HistoryPercent: hist}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(rep.Time))
	for k := range rep.Time {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return rep.Time[keys[i]] > rep.Time[keys[j]] })
	for _, k := range keys {
		t.Logf("%-22s %8.1f s", k, rep.Time[k].Seconds())
	}
	t.Logf("%d leads: %d records, %d updates in %s", n, rep.Total(), rep.Updates, rep.Elapsed.Round(time.Millisecond))
}
