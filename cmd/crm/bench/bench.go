// Package bench is `crm bench`: it starts the platform in-process on the
// embedded store, creates a tenant with a lead-like object (12 fields, 3 of
// them indexed), loads it with records, then drives the REST API over
// loopback from concurrent clients and does the same operations directly on
// the store port (the floor), and reports throughput, p50 and p99 of each
// with the ratio API / floor.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opencrm/crm/cmd/crm/app"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Config tunes a run. Zero values are the defaults.
type Config struct {
	Records int // records loaded before measuring (default 100,000)
	Clients int // concurrent clients (default 2)
	Ops     int // operations per measured kind (default 2,000; lists, bulks and aggregates use fewer)
	Dir     string
	// CPUProfile, when set, is a file that receives a CPU profile of the
	// measured part.
	CPUProfile string
}

// Result is the measurement of one operation, through the API or on the
// store port.
type Result struct {
	Op         string  `json:"op"`
	Count      int     `json:"count"`
	Throughput float64 `json:"opsPerSec"`
	P50        float64 `json:"p50Ms"`
	P99        float64 `json:"p99Ms"`
	FloorP50   float64 `json:"floorP50Ms"`
	FloorP99   float64 `json:"floorP99Ms"`
	FloorTput  float64 `json:"floorOpsPerSec"`
	Ratio      float64 `json:"ratioP50"`
	// RatioBeyondTransport is the ratio with the bare HTTP round trip's p50
	// added to the floor: what the server adds over the store, beyond what
	// any HTTP API pays to reach it.
	RatioBeyondTransport float64 `json:"ratioP50BeyondTransport"`
}

// Report is the outcome of a run.
type Report struct {
	Records int      `json:"records"`
	Clients int      `json:"clients"`
	LoadSec float64  `json:"loadSeconds"`
	Results []Result `json:"results"`
	// RoundTrip is an HTTP request that does no work: the part of every
	// API figure that the store floor cannot have.
	RoundTrip Result `json:"httpRoundTrip"`
}

const leadDef = `{"title":"Lead","x-crm-plural":"Leads","type":"object","x-crm-sharing":"readwrite",
 "properties":{
  "name":{"type":"string","x-crm-type":"text","maxLength":120},
  "company":{"type":"string","x-crm-type":"text"},
  "email":{"type":"string","x-crm-type":"email"},
  "phone":{"type":"string","x-crm-type":"phone"},
  "source":{"type":"string","x-crm-type":"picklist","enum":["website","seo","sem","referral","event","partner"],"x-crm-indexed":true},
  "stage":{"type":"string","x-crm-type":"picklist","enum":["uql","mql","sql","converted","disqualified"],"default":"uql","x-crm-indexed":true},
  "score":{"type":"number","x-crm-type":"number","minimum":0,"maximum":100},
  "amount":{"type":"number","x-crm-type":"currency"},
  "region":{"type":"string","x-crm-type":"picklist","enum":["north","south","east","west"]},
  "converted":{"type":"boolean","x-crm-type":"boolean"},
  "lastActivityAt":{"type":"string","x-crm-type":"datetime","x-crm-indexed":true},
  "notes":{"type":"string","x-crm-type":"textarea"}},
 "required":["name"]}`

var (
	sources = []string{"website", "seo", "sem", "referral", "event", "partner"}
	stages  = []string{"uql", "mql", "sql", "converted", "disqualified"}
	regions = []string{"north", "south", "east", "west"}
)

func leadBody(r *rand.Rand, i int) map[string]any {
	return map[string]any{
		"name": fmt.Sprintf("Lead %d", i), "company": fmt.Sprintf("Company %d", r.IntN(5000)),
		"email": fmt.Sprintf("lead%d@example.test", i), "phone": fmt.Sprintf("+1555%07d", r.IntN(10_000_000)),
		"source": sources[r.IntN(len(sources))], "stage": stages[r.IntN(len(stages))], "score": r.IntN(101),
		"amount": float64(r.IntN(1_000_000)) / 100, "region": regions[r.IntN(len(regions))], "converted": r.IntN(10) == 0,
		"lastActivityAt": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(300*24*3600)) * time.Second).Format("2006-01-02T15:04:05.000Z"),
		"notes":          "Met at the fair; wants a demo of the pipeline reports.",
	}
}

// storeDoc is the stored form of a lead as the record service writes it.
func storeDoc(r *rand.Rand, i int, owner string) store.Doc {
	b := leadBody(r, i)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	d := store.Doc{"id": id.New(), "owner": owner, "createdAt": now, "updatedAt": now, "createdBy": owner, "updatedBy": owner}
	for k, v := range b {
		d[k] = v
	}
	d["amount"] = int64(b["amount"].(float64)*100 + 0.5)
	d["score"] = int64(b["score"].(int))
	return d
}

type client struct {
	base  string
	token string
	http  *http.Client
}

func (c *client) do(method, path string, body any, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, out)
	}
	return out, nil
}

// Run performs the benchmark and writes progress to log.
func Run(ctx context.Context, cfg Config, log io.Writer) (Report, error) {
	if cfg.Records == 0 {
		cfg.Records = 100_000
	}
	if cfg.Clients == 0 {
		cfg.Clients = 2
	}
	if cfg.Ops == 0 {
		cfg.Ops = 2000
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "crm-bench-")
		if err != nil {
			return Report{}, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := app.New(ctx, app.Config{DataDir: dir, RateLimit: 1e9, RateBurst: 1e9, Identity: identity.Config{Argon2: identity.Argon2{MemoryKiB: 64, Time: 1}}}, nil)
	if err != nil {
		return Report{}, err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Report{}, err
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	on, err := a.Identity.Onboard(ctx, "bench", identity.NewUser{Email: "admin@bench.test", Password: "bench password"}, a.Provisioners...)
	if err != nil {
		return Report{}, err
	}
	tenant, owner := on.Tenant.ID, on.Admin.ID
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Clients * 2}
	cl := &client{base: "http://" + ln.Addr().String() + "/api/v1", token: on.APIKey, http: &http.Client{Transport: transport, Timeout: time.Minute}}
	if _, err := cl.do("PUT", "/objects/lead", json.RawMessage(leadDef), 201); err != nil {
		return Report{}, err
	}

	// Load through the API's bulk endpoint, 1000 records a request.
	fmt.Fprintf(log, "loading %d leads through POST /records/lead/bulk...\n", cfg.Records)
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	var bulkLat []time.Duration
	for done := 0; done < cfg.Records; {
		n := min(1000, cfg.Records-done)
		recs := make([]map[string]any, n)
		for i := range recs {
			recs[i] = leadBody(rng, done+i)
		}
		t0 := time.Now()
		if _, err := cl.do("POST", "/records/lead/bulk", map[string]any{"operation": "create", "records": recs}, 200); err != nil {
			return Report{}, err
		}
		bulkLat = append(bulkLat, time.Since(t0))
		done += n
	}
	rep := Report{Records: cfg.Records, Clients: cfg.Clients, LoadSec: time.Since(start).Seconds()}
	fmt.Fprintf(log, "loaded in %.1f s\n", rep.LoadSec)

	// Ids to read and patch: a sample of what was loaded.
	var ids []string
	page, err := a.Store.Find(ctx, tenant, "lead", store.Query{Limit: 5000, Fields: []string{"id"}})
	if err != nil {
		return Report{}, err
	}
	for _, d := range page.Items {
		ids = append(ids, d["id"].(string))
	}
	st := a.Store
	listFilter := store.Eq("stage", "mql")
	listSort := []store.SortKey{{Field: "id", Desc: true}}
	aggQ := store.AggregateQuery{GroupBy: []store.Group{{Field: "stage"}}, Measures: []store.Measure{{Op: store.OpCount}, {Op: store.OpSum, Field: "amount"}}}
	var seq sync.Mutex
	next := cfg.Records
	nextN := func() int { seq.Lock(); defer seq.Unlock(); next++; return next }

	kinds := []struct {
		name  string
		ops   int
		api   func(r *rand.Rand) error
		floor func(r *rand.Rand) error
	}{
		{"create", cfg.Ops, func(r *rand.Rand) error {
			_, err := cl.do("POST", "/records/lead", leadBody(r, nextN()), 201)
			return err
		}, func(r *rand.Rand) error {
			_, err := st.Insert(ctx, tenant, "lead", storeDoc(r, nextN(), owner))
			return err
		}},
		{"get", cfg.Ops, func(r *rand.Rand) error {
			_, err := cl.do("GET", "/records/lead/"+ids[r.IntN(len(ids))], nil, 200)
			return err
		}, func(r *rand.Rand) error {
			_, err := st.Get(ctx, tenant, "lead", ids[r.IntN(len(ids))], nil)
			return err
		}},
		{"patch", cfg.Ops, func(r *rand.Rand) error {
			_, err := cl.do("PATCH", "/records/lead/"+ids[r.IntN(len(ids))], map[string]any{"score": r.IntN(101)}, 200)
			return err
		}, func(r *rand.Rand) error {
			for {
				d, err := st.Get(ctx, tenant, "lead", ids[r.IntN(len(ids))], nil)
				if err != nil {
					return err
				}
				d["score"] = int64(r.IntN(101))
				_, err = st.Update(ctx, tenant, "lead", d, store.NormalizeValue(d["version"]).(int64))
				if err == nil || !strings.Contains(err.Error(), "version") {
					return err
				}
			}
		}},
		{"list", cfg.Ops / 4, func(r *rand.Rand) error {
			_, err := cl.do("GET", "/records/lead?filter=stage%20%3D%20'mql'&sort=-id&limit=50", nil, 200)
			return err
		}, func(r *rand.Rand) error {
			_, err := st.Find(ctx, tenant, "lead", store.Query{Filter: listFilter, Sort: listSort, Limit: 50})
			return err
		}},
		{"bulk create 1000", 10, func(r *rand.Rand) error {
			recs := make([]map[string]any, 1000)
			for i := range recs {
				recs[i] = leadBody(r, nextN())
			}
			_, err := cl.do("POST", "/records/lead/bulk", map[string]any{"operation": "create", "records": recs}, 200)
			return err
		}, func(r *rand.Rand) error {
			for i := 0; i < 1000; i++ {
				if _, err := st.Insert(ctx, tenant, "lead", storeDoc(r, nextN(), owner)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"aggregate", 20, func(r *rand.Rand) error {
			_, err := cl.do("POST", "/records/lead/aggregate", json.RawMessage(`{"groupBy":["stage"],"measures":[{"op":"count"},{"op":"sum","field":"amount"}]}`), 200)
			return err
		}, func(r *rand.Rand) error {
			_, err := st.Aggregate(ctx, tenant, "lead", aggQ)
			return err
		}},
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return rep, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return rep, err
		}
		defer pprof.StopCPUProfile()
	}
	// The transport's own share: a round trip that does no work.
	health := &client{base: "http://" + ln.Addr().String(), http: cl.http}
	rt, err := measure(cfg.Ops, cfg.Clients, func(*rand.Rand) error { _, err := health.do("GET", "/healthz", nil, 200); return err })
	if err != nil {
		return rep, err
	}
	rep.RoundTrip = Result{Op: "HTTP round trip (GET /healthz)", Count: cfg.Ops, Throughput: rt.tput, P50: rt.p50, P99: rt.p99}
	for _, k := range kinds {
		fmt.Fprintf(log, "measuring %s...\n", k.name)
		api, err := measure(k.ops, cfg.Clients, k.api)
		if err != nil {
			return rep, fmt.Errorf("%s through the API: %w", k.name, err)
		}
		floor, err := measure(k.ops, cfg.Clients, k.floor)
		if err != nil {
			return rep, fmt.Errorf("%s on the store: %w", k.name, err)
		}
		r := Result{Op: k.name, Count: k.ops, Throughput: api.tput, P50: api.p50, P99: api.p99,
			FloorP50: floor.p50, FloorP99: floor.p99, FloorTput: floor.tput}
		if floor.p50 > 0 {
			r.Ratio = api.p50 / floor.p50
			r.RatioBeyondTransport = api.p50 / (floor.p50 + rt.p50)
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

type stats struct{ tput, p50, p99 float64 }

// measure runs ops operations spread over clients goroutines.
func measure(ops, clients int, fn func(r *rand.Rand) error) (stats, error) {
	lat := make([]time.Duration, 0, ops)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c)+7, 11))
			for i := c; i < ops; i += clients {
				t0 := time.Now()
				err := fn(r)
				d := time.Since(t0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return stats{}, firstErr
	}
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return stats{tput: float64(len(lat)) / elapsed.Seconds(), p50: ms(lat[len(lat)/2]), p99: ms(lat[len(lat)*99/100])}, nil
}

// WriteTable prints the report as a table.
func WriteTable(w io.Writer, rep Report) {
	fmt.Fprintf(w, "%d records, %d clients, loaded in %.1f s (through bulk create)\n\n", rep.Records, rep.Clients, rep.LoadSec)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tAPI ops/s\tAPI p50 ms\tAPI p99 ms\tstore ops/s\tstore p50 ms\tstore p99 ms\tAPI/store p50\tAPI/(store+round trip)\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%.0f\t%.3f\t%.3f\t%.0f\t%.3f\t%.3f\t%.2f×\t%.2f×\t\n", r.Op, r.Throughput, r.P50, r.P99, r.FloorTput, r.FloorP50, r.FloorP99, r.Ratio, r.RatioBeyondTransport)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s: p50 %.3f ms, p99 %.3f ms (%.0f/s) — part of every API figure, none of the store's;\n"+
		"the last column adds its p50 to the store's\n",
		rep.RoundTrip.Op, rep.RoundTrip.P50, rep.RoundTrip.P99, rep.RoundTrip.Throughput)
}
