// Package metrics exposes staas's Prometheus metrics: HTTP requests served,
// calls made to the storage gateway and the usage collector's runs. It owns its registry, so tests
// and several servers in one process never collide on a global one.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"staas"
)

// Metrics holds every collector staas exports.
type Metrics struct {
	reg           *prometheus.Registry
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	ostorCalls    *prometheus.CounterVec
	ostorDuration *prometheus.HistogramVec
	ostorRetries  *prometheus.CounterVec

	usageRuns         *prometheus.CounterVec
	usageObjects      prometheus.Counter
	usageItems        prometheus.Counter
	usageUnknownItems prometheus.Counter
	usageOverflows    prometheus.Counter
	usageLastSuccess  prometheus.Gauge
	usageDuration     prometheus.Histogram

	driftItems   *prometheus.GaugeVec
	clientEvents *prometheus.GaugeVec
}

// New registers staas's collectors and Go's runtime and process ones.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "staas_http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "staas_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		ostorCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "staas_ostor_calls_total",
			Help: "Calls to the ostor admin API, by operation and result (ok or an error code).",
		}, []string{"op", "result"}),
		ostorDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "staas_ostor_call_duration_seconds",
			Help:    "Time of a call to the ostor admin API including its retries, by operation.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"op"}),
		ostorRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "staas_ostor_retries_total",
			Help: "Attempts beyond the first made for calls to the ostor admin API, by operation.",
		}, []string{"op"}),
		usageRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "staas_usage_runs_total",
			Help: "Runs of the usage collector, by result: ok, error (some objects were left for the next run) or lease_held (another staas was collecting).",
		}, []string{"result"}),
		usageObjects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "staas_usage_objects_collected_total",
			Help: "Statistics objects whose counters were committed to the usage ledger.",
		}),
		usageItems: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "staas_usage_items_total",
			Help: "Items of statistics objects committed to the usage ledger.",
		}),
		usageUnknownItems: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "staas_usage_unknown_items_total",
			Help: "Items committed to the usage ledger whose S3 user no WHMCS client is mapped to (kept, not billed until mapped).",
		}),
		usageOverflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "staas_usage_overflows_refused_total",
			Help: "Statistics objects refused (left on the gateway) because a ledger sum would exceed 2^64-1; counted again at each run that refuses them.",
		}),
		usageLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "staas_usage_last_success_timestamp_seconds",
			Help: "Unix time at which the last usage collection run that left no object behind ended; 0 before one has.",
		}),
		usageDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "staas_usage_run_duration_seconds",
			Help:    "Time of a usage collection run that held the lease.",
			Buckets: []float64{.1, .5, 1, 5, 15, 30, 60, 120, 300, 600, 1800},
		}),
		driftItems: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "staas_reconcile_drift_items",
			Help: "Drift items the last complete reconciler run found on a cluster (WHMCS and the gateway disagreeing), converged or reported.",
		}, []string{"cluster"}),
		clientEvents: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "staas_client_events",
			Help: "Client events staas accepted and has not done, by state: queued (waiting for the gateway, retried) or failed (refused for good; an admin must act).",
		}, []string{"state"}),
	}
	m.reg.MustRegister(m.driftItems, m.clientEvents, m.httpRequests, m.httpDuration, m.ostorCalls, m.ostorDuration, m.ostorRetries,
		m.usageRuns, m.usageObjects, m.usageItems, m.usageUnknownItems, m.usageOverflows, m.usageLastSuccess, m.usageDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveHTTP records one served request. route is the route pattern
// ("/readyz"), never the raw path, so the label set stays bounded.
func (m *Metrics) ObserveHTTP(method, route string, status int, elapsed time.Duration) {
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(elapsed.Seconds())
}

// ObserveOstor records one finished gateway call; it has the shape of
// ostor.Config.Observe.
func (m *Metrics) ObserveOstor(op string, attempts int, elapsed time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = staas.ErrorCode(err)
	}
	m.ostorCalls.WithLabelValues(op, result).Inc()
	m.ostorDuration.WithLabelValues(op).Observe(elapsed.Seconds())
	if attempts > 1 {
		m.ostorRetries.WithLabelValues(op).Add(float64(attempts - 1))
	}
}

// UsageRun is what one run of the usage collector did, as
// internal/usage's Report says it (this package does not import it).
type UsageRun struct {
	LeaseHeld    bool // another staas held the lease: nothing done
	Collected    int  // objects committed
	Items        uint64
	UnknownItems uint64
	Overflows    int   // objects refused because a sum would exceed 2^64-1
	Err          error // nil when no object was left behind
	Ended        time.Time
	Elapsed      time.Duration
}

// ObserveUsageRun records one run of the usage collector.
func (m *Metrics) ObserveUsageRun(r UsageRun) {
	if r.LeaseHeld {
		m.usageRuns.WithLabelValues("lease_held").Inc()
		return
	}
	m.usageObjects.Add(float64(r.Collected))
	m.usageItems.Add(float64(r.Items))
	m.usageUnknownItems.Add(float64(r.UnknownItems))
	m.usageOverflows.Add(float64(r.Overflows))
	m.usageDuration.Observe(r.Elapsed.Seconds())
	if r.Err != nil {
		m.usageRuns.WithLabelValues("error").Inc()
		return
	}
	m.usageRuns.WithLabelValues("ok").Inc()
	m.usageLastSuccess.Set(float64(r.Ended.UnixNano()) / 1e9)
}

// SetDrift records how many drift items the last complete reconciler run
// found on a cluster.
func (m *Metrics) SetDrift(cluster string, items int) {
	m.driftItems.WithLabelValues(cluster).Set(float64(items))
}

// SetClientEvents records how many client events wait for the gateway
// (queued) and how many it refused for good (failed).
func (m *Metrics) SetClientEvents(queued, failed int) {
	m.clientEvents.WithLabelValues("queued").Set(float64(queued))
	m.clientEvents.WithLabelValues("failed").Set(float64(failed))
}
