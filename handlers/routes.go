// Package handlers holds staas's HTTP handlers. Handlers are thin: they
// parse, call a service and render; the services they need are declared
// here as small interfaces, next to the handlers that use them.
package handlers

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"staas/internal/provision"
	"staas/whmcsbridge"
)

// Deps are what the routes need. A nil field leaves its routes out.
type Deps struct {
	Logger *slog.Logger
	// Checks run on /readyz; each names one dependency (the gateway, the store).
	Checks []ReadinessCheck
	// Metrics, when set, records every request and is served on /metrics.
	Metrics RequestMetrics

	// Shim verifies the PHP shim's signed requests; with Provision and
	// Panels it enables the /shim/v1/admin routes.
	Shim      ShimVerifier
	Provision *provision.Service
	Panels    PanelStore
	// Usage reads the usage ledger for the "S3 Usage History" panel; nil
	// makes the panel say that usage collection is not configured.
	// UsageSchedule says when usage is collected (see UsageSchedule).
	Usage         UsageReader
	UsageSchedule string
	// Audit reads the audit log for the "S3 Audit Log" panel (*store.Store);
	// nil makes the panel say that the audit log is not available.
	Audit AuditReader
}

// New returns the echo instance with every route registered and the one
// error handler installed. The route table is here and nowhere else.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	if d.Logger != nil || d.Metrics != nil {
		e.Use(observeRequests(d.Logger, d.Metrics))
	}

	// Health: for load balancers and orchestrators; no authentication.
	e.GET("/healthz", handleHealthz)
	e.GET("/readyz", readyzHandler(d.Logger, d.Checks))
	if d.Metrics != nil {
		// Prometheus scrapes this; like the health routes it is meant for
		// the operator's network, not the internet.
		e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()))
	}

	// The WHMCS admin area, through the PHP shim: every route is signed.
	if d.Shim != nil && d.Provision != nil && d.Panels != nil {
		ui := &adminUI{svc: d.Provision, panels: d.Panels, usage: d.Usage, usageSchedule: d.UsageSchedule, audit: d.Audit, now: time.Now}
		signed := shimAuth(d.Shim)
		e.POST(whmcsbridge.PathLinks, ui.links, signed)
		e.POST(whmcsbridge.PathPanels, ui.panelsHTML, signed)
		for name, act := range adminActions {
			e.POST(whmcsbridge.ActionPath(name), ui.action(name, act), signed)
		}
	}
	return e
}
