package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"staas"
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
	if m.services == nil || m.usage == nil {
		return staas.Errorf(staas.EUNAVAILABLE, "Usage collection is not configured in this staas, so there are no usage figures.")
	}
	period := usage.PeriodAt(m.now())
	results, err := perService(c.Request().Context(), req.ServiceIDs, func(ctx context.Context, id int64) (*whmcsbridge.ServiceMetrics, error) {
		return m.serviceMetrics(ctx, id, period)
	})
	if err != nil {
		return err
	}
	res := whmcsbridge.MetricsResponse{Result: success(), CollectedAt: period.CollectedAt.Unix(),
		PeriodStart: period.From.Unix(), PeriodEnd: period.To.Unix()}
	for _, sm := range results {
		res.Services = append(res.Services, *sm)
	}
	return c.JSON(http.StatusOK, res)
}

// serviceMetrics is one service's figures; nil when it has no S3 user.
func (m *moduleAPI) serviceMetrics(ctx context.Context, serviceID int64, p usage.BillingPeriod) (*whmcsbridge.ServiceMetrics, error) {
	u, err := m.services.S3UserByService(ctx, serviceID)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := m.usage.Billing(ctx, u.UserID, p)
	if err != nil {
		return nil, err
	}
	return &whmcsbridge.ServiceMetrics{ServiceID: serviceID, Tenant: u.Email, Metrics: whmcsbridge.MetricValues{
		Storage:        gb(b.StorageBytes),
		StorageGBMonth: b.StorageGBMonths,
		Egress:         gb(b.Traffic.Downloaded),
		Ingress:        gb(b.Traffic.Uploaded),
		RequestsGet:    b.Traffic.Get,
		RequestsPut:    b.Traffic.Put,
		RequestsList:   b.Traffic.List,
		RequestsOther:  b.Traffic.Other,
	}}, nil
}

// gb converts bytes to the decimal GB staas bills in.
func gb(bytes uint64) float64 { return float64(bytes) / usage.BytesPerGB }
