package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"staas"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestObserveOstor_ResultsAndRetries(t *testing.T) {
	m := New()
	m.ObserveOstor("create user", 1, 10*time.Millisecond, nil)
	m.ObserveOstor("create user", 2, 30*time.Millisecond, &staas.Error{Code: staas.ECONFLICT, Message: "exists"})
	m.ObserveOstor("get user", 4, time.Second, errors.New("not an application error"))
	out := scrape(t, m)
	for _, want := range []string{
		`staas_ostor_calls_total{op="create user",result="ok"} 1`,
		`staas_ostor_calls_total{op="create user",result="conflict"} 1`,
		`staas_ostor_calls_total{op="get user",result="internal"} 1`,
		`staas_ostor_retries_total{op="create user"} 1`,
		`staas_ostor_retries_total{op="get user"} 3`,
		`staas_ostor_call_duration_seconds_count{op="create user"} 2`,
		`go_goroutines`, // the runtime collectors are registered too
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

// Two instances keep separate registries, so tests and several servers in
// one process do not panic on duplicate registration or mix counts.
func TestNew_IndependentRegistries(t *testing.T) {
	a, b := New(), New()
	a.ObserveHTTP("GET", "/healthz", 200, time.Millisecond)
	if out := scrape(t, b); strings.Contains(out, `route="/healthz"`) {
		t.Fatal("a request observed by one instance shows in the other")
	}
	if out := scrape(t, a); !strings.Contains(out, `staas_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Fatalf("scrape lacks the request:\n%s", out)
	}
}

func TestObserveUsageRun(t *testing.T) {
	m := New()
	if out := scrape(t, m); !strings.Contains(out, "staas_usage_last_success_timestamp_seconds 0") {
		t.Errorf("before any run the last success is not 0:\n%s", out)
	}
	ended := time.Unix(1_700_000_000, 0)
	m.ObserveUsageRun(UsageRun{Collected: 3, Items: 15000, UnknownItems: 7, Ended: ended, Elapsed: 2 * time.Second})
	m.ObserveUsageRun(UsageRun{Collected: 1, Items: 5, Overflows: 1, Err: errors.New("refused"),
		Ended: ended.Add(time.Hour), Elapsed: time.Second})
	m.ObserveUsageRun(UsageRun{LeaseHeld: true, Ended: ended.Add(2 * time.Hour)})
	out := scrape(t, m)
	for _, want := range []string{
		`staas_usage_objects_collected_total 4`,
		`staas_usage_items_total 15005`,
		`staas_usage_unknown_items_total 7`,
		`staas_usage_overflows_refused_total 1`,
		`staas_usage_runs_total{result="ok"} 1`,
		`staas_usage_runs_total{result="error"} 1`,
		`staas_usage_runs_total{result="lease_held"} 1`,
		`staas_usage_last_success_timestamp_seconds 1.7e+09`, // the failed run and the skipped one leave it
		`staas_usage_run_duration_seconds_count 2`,
		`staas_usage_run_duration_seconds_sum 3`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func TestSetDrift(t *testing.T) {
	m := New()
	m.SetDrift("eu-1", 3)
	m.SetDrift("eu-2", 0)
	m.SetDrift("eu-1", 2)
	out := scrape(t, m)
	for _, want := range []string{`staas_reconcile_drift_items{cluster="eu-1"} 2`, `staas_reconcile_drift_items{cluster="eu-2"} 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
}

func TestSetClientEvents(t *testing.T) {
	m := New()
	m.SetClientEvents(3, 1)
	out := scrape(t, m)
	for _, want := range []string{`staas_client_events{state="queued"} 3`, `staas_client_events{state="failed"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}
