// Package metrics exposes staas's Prometheus metrics: HTTP requests served
// and calls made to the storage gateway. It owns its registry, so tests
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
	}
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.ostorCalls, m.ostorDuration, m.ostorRetries,
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
