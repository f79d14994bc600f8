package whmcsbridge

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The metrics answer the PHP MetricProvider reads: the fixture decodes
// strictly into MetricsResponse and encodes back to the same bytes, so a
// renamed field or metric breaks this test and the PHP one alike.
func TestMetricsResponseFixture(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "shim", "metrics_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r MetricsResponse
	if err := decodeStrict(raw, &r); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if r.Result.Result != ResultSuccess || len(r.Services) != 1 || r.Services[0].Metrics.RequestsGet != 1200 ||
		r.Services[0].Tenant != "zoe+s3-1234@example.com" || r.CollectedAt != r.PeriodEnd-1 {
		t.Errorf("decoded %+v", r)
	}
	again, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, bytes.TrimSpace(raw)) {
		t.Errorf("re-encoded\n%s\nfixture\n%s", again, raw)
	}
	empty, _ := json.Marshal(MetricsResponse{Result: Result{Result: ResultSuccess}})
	if !bytes.Contains(empty, []byte(`"services":[]`)) {
		t.Errorf("no services encodes as %s, want services: []", empty)
	}
}

// Every metric name constant is a JSON key of MetricValues, so the PHP
// side's metrics() and the figures cannot disagree on names.
func TestMetricNamesAreTheKeys(t *testing.T) {
	b, _ := json.Marshal(MetricValues{})
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	names := []string{MetricStorage, MetricStorageGBMonth, MetricEgress, MetricIngress,
		MetricRequestsGet, MetricRequestsPut, MetricRequestsList, MetricRequestsOther}
	if len(keys) != len(names) {
		t.Errorf("MetricValues has %d keys, %d names are declared", len(keys), len(names))
	}
	for _, n := range names {
		if _, ok := keys[n]; !ok {
			t.Errorf("metric %q is not a key of MetricValues", n)
		}
	}
}
