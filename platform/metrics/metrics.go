// Package metrics owns the platform's Prometheus instruments: one Registry per
// process (never the global default registry), the HTTP request metrics the
// edge records, the store latencies recorded by InstrumentStore, and the
// handler that exposes them in the Prometheus text format.
//
// It imports platform/store and platform/errs (to decorate the store port and
// classify outcomes) and must not import the HTTP framework or any other
// package of the project: the edge (platform/httpx) calls ObserveHTTP.
//
// # Usage
//
//	m := metrics.New()
//	st := metrics.InstrumentStore(sqliteStore, m) // every store call timed
//	srv := httpx.New(cfg, log, m)                  // serves GET /metrics
//
// A package with metrics of its own registers them on the same registry:
//
//	jobsRun := prometheus.NewCounterVec(prometheus.CounterOpts{
//		Name: "crm_jobs_run_total", Help: "Jobs run, by outcome.",
//	}, []string{"outcome"})
//	m.MustRegister(jobsRun)
//
// # Metric names
//
//	crm_http_requests_total{method,route,status}            counter
//	crm_http_request_duration_seconds{method,route,status}  histogram
//	crm_http_requests_in_flight                             gauge
//	crm_store_operation_duration_seconds{op,outcome}        histogram
//
// plus the Go runtime and process collectors. Labels hold route patterns
// ("/api/v1/records/:object/:id"), never raw paths, so their number stays
// bounded.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry owns one Prometheus registry and the platform's instruments on it.
// It is safe for concurrent use. Tests create their own, so they can run in
// parallel and read exact values.
type Registry struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge
	storeOps     *prometheus.HistogramVec
}

// New returns a registry with the platform's instruments and the Go runtime
// and process collectors registered.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crm_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crm_http_request_duration_seconds",
			Help: "Time from the request reaching the router to the response being ready, by method, route pattern and status.",
			// From 1 ms to about 16 s: API calls are milliseconds, bulk
			// and composite requests seconds.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"method", "route", "status"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crm_http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "crm_store_operation_duration_seconds",
			Help: "Latency of store port calls, by operation and outcome (ok, canceled, timeout, an error kind such as not_found, or error).",
			// From 50 µs to about 3 s: an indexed SQLite read is tens of
			// microseconds, a scan or a remote cluster much more.
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}, []string{"op", "outcome"}),
	}
	r.reg.MustRegister(r.httpRequests, r.httpDuration, r.httpInFlight, r.storeOps,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// MustRegister registers more collectors on the registry; it panics on a
// duplicate or inconsistent metric (a programming error found at start-up).
func (r *Registry) MustRegister(cs ...prometheus.Collector) {
	r.reg.MustRegister(cs...)
}

// Gatherer returns the underlying registry for reading metrics, as tests do.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Handler returns the http.Handler that serves the registry in the Prometheus
// exposition format (the edge mounts it at GET /metrics).
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// ObserveHTTP records one answered request. route must be the route pattern
// (or a fixed word such as "unmatched"), never the raw path.
func (r *Registry) ObserveHTTP(method, route string, status int, d time.Duration) {
	s := strconv.Itoa(status)
	r.httpRequests.WithLabelValues(method, route, s).Inc()
	r.httpDuration.WithLabelValues(method, route, s).Observe(d.Seconds())
}

// InFlight adds delta (+1 when a request starts, -1 when it ends) to the
// in-flight gauge.
func (r *Registry) InFlight(delta int) {
	r.httpInFlight.Add(float64(delta))
}

// ObserveStore records one store call.
func (r *Registry) ObserveStore(op, outcome string, d time.Duration) {
	r.storeOps.WithLabelValues(op, outcome).Observe(d.Seconds())
}
