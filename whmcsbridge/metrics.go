package whmcsbridge

import "encoding/json"

// FuncMetrics is the module call behind the server module's
// MetricProvider (WHMCS usage billing): it takes a UsageRequest and
// answers a MetricsResponse.
const FuncMetrics = "metrics"

// Metric names, as the shim's MetricProvider declares them to WHMCS in
// metrics() and as MetricValues encodes them. WHMCS keeps usage per
// metric name, so a name never changes once released.
const (
	MetricStorage        = "storage"         // GB, snapshot: the latest sampled storage
	MetricStorageGBMonth = "storage_gbmonth" // GB-months in the period
	MetricEgress         = "egress"          // GB downloaded in the period
	MetricIngress        = "ingress"         // GB uploaded in the period
	MetricRequestsGet    = "requests_get"    // GET requests in the period
	MetricRequestsPut    = "requests_put"
	MetricRequestsList   = "requests_list"
	MetricRequestsOther  = "requests_other"
)

// MetricValues are one service's usage-billing figures. GB is 10^9
// bytes, as in staas's usage ledger.
type MetricValues struct {
	Storage        float64 `json:"storage"`
	StorageGBMonth float64 `json:"storage_gbmonth"`
	Egress         float64 `json:"egress"`
	Ingress        float64 `json:"ingress"`
	RequestsGet    uint64  `json:"requests_get"`
	RequestsPut    uint64  `json:"requests_put"`
	RequestsList   uint64  `json:"requests_list"`
	RequestsOther  uint64  `json:"requests_other"`
}

// ServiceMetrics are the figures of one service, with the tenant name
// WHMCS knows it by: the S3 user's email, which create wrote into the
// service's domain (WHMCS matches usage to services by domain).
type ServiceMetrics struct {
	ServiceID int64        `json:"service_id"`
	Tenant    string       `json:"tenant"`
	Metrics   MetricValues `json:"metrics"`
}

// MetricsResponse answers FuncMetrics. CollectedAt is the time WHMCS must
// file the month metrics under (inside the period: see
// usage.SettleWindow); PeriodStart and PeriodEnd bound the period in Unix
// seconds, the end excluded.
type MetricsResponse struct {
	Result
	CollectedAt int64            `json:"collected_at"`
	PeriodStart int64            `json:"period_start"`
	PeriodEnd   int64            `json:"period_end"`
	Services    []ServiceMetrics `json:"services"`
}

// MarshalJSON writes services as [] rather than null.
func (r MetricsResponse) MarshalJSON() ([]byte, error) {
	type plain MetricsResponse
	p := plain(r)
	if p.Services == nil {
		p.Services = []ServiceMetrics{}
	}
	return json.Marshal(p)
}
