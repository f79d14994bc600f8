package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"staas/internal/usage"
	"staas/whmcsbridge"
)

// metrics answers the server module's MetricProvider (WHMCS usage
// billing): per service with an S3 user, the figures of the billing
// period usage.PeriodAt picks, from staas's ledger and samples only.
// Unknown services are left out; WHMCS asks for all of a server's.
func (m *moduleAPI) metrics(c echo.Context) error {
	var req whmcsbridge.UsageRequest
	if err := decodeShim(c, &req); err != nil {
		return err
	}
	period := usage.PeriodAt(m.now())
	results, err := m.usage.ServiceBillings(c.Request().Context(), req.ServiceIDs, period)
	if err != nil {
		return err
	}
	res := whmcsbridge.MetricsResponse{Result: success(), CollectedAt: period.CollectedAt.Unix(),
		PeriodStart: period.From.Unix(), PeriodEnd: period.To.Unix()}
	for _, b := range results {
		res.Services = append(res.Services, serviceMetrics(b))
	}
	return c.JSON(http.StatusOK, res)
}

// serviceMetrics are one service's billing figures as WHMCS reads them.
func serviceMetrics(b *usage.ServiceBilling) whmcsbridge.ServiceMetrics {
	return whmcsbridge.ServiceMetrics{ServiceID: b.ServiceID, Tenant: b.Tenant, Metrics: whmcsbridge.MetricValues{
		Storage:        gb(b.StorageBytes),
		StorageGBMonth: b.StorageGBMonths,
		Egress:         gb(b.Traffic.Downloaded),
		Ingress:        gb(b.Traffic.Uploaded),
		RequestsGet:    b.Traffic.Get,
		RequestsPut:    b.Traffic.Put,
		RequestsList:   b.Traffic.List,
		RequestsOther:  b.Traffic.Other,
	}}
}

// gb converts bytes to the decimal GB staas bills in.
func gb(bytes uint64) float64 { return float64(bytes) / usage.BytesPerGB }
