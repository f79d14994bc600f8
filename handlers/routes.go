// Package handlers holds staas's HTTP handlers. Handlers are thin: they
// parse, call a service and render; the services they need are declared
// here as small interfaces, next to the handlers that use them.
package handlers

import (
	"log/slog"
	"net"
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
	// MonitorToken, when set, is the bearer token /metrics and /readyz
	// require; ReadyCache is how long /readyz reuses its answer (0: not
	// at all).
	MonitorToken string
	ReadyCache   time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client in the request log; none: the connection's address.
	TrustedProxies []*net.IPNet

	// Shim verifies the PHP shim's signed requests; with Provision and
	// Panels it enables the /shim/v1/admin routes.
	Shim      ShimVerifier
	Provision *provision.Service
	Panels    PanelStore
	// Usage gives the usage figures (*usage.Figures): the "S3 Usage
	// History" panel's, the client area's, and usage-update's and
	// metrics' per service; nil makes the panel say that usage
	// collection is not configured and usage-update and metrics answer
	// unavailable.
	// UsageSchedule says when usage is collected (see UsageSchedule).
	Usage         UsageFigures
	UsageSchedule string
	// Audit reads the audit log for the "S3 Audit Log" panel (*store.Store);
	// nil makes the panel say that the audit log is not available.
	Audit AuditReader
	// Now is the clock of the usage figures (nil: time.Now); tests set it
	// to cross a month's end.
	Now func() time.Time

	// The server module's functions, client actions and events run with
	// Shim, Provision, Panels and Services (*store.Store).
	Services ServiceStore
	// CreateOnClientAdd creates a client's S3 user on WHMCS's ClientAdd
	// (STAAS_CREATE_ON_CLIENT_ADD); ClientDelete is what a deleted
	// client's S3 users become (STAAS_CLIENT_DELETE; "" is
	// provision.DeleteDisable).
	CreateOnClientAdd bool
	ClientDelete      provision.DeletePolicy
	// Daily runs staas's daily work on WHMCS's daily cron; nil runs none
	// and only reports.
	Daily DailyFunc
}

// New returns the echo instance with every route registered and the one
// error handler installed. The route table is here and nowhere else.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	e.IPExtractor = clientIP(d.TrustedProxies)
	if d.Logger != nil || d.Metrics != nil {
		e.Use(observeRequests(d.Logger, d.Metrics))
	}
	e.Use(recoverPanics(d.Logger))

	// Health: for load balancers and orchestrators; no authentication.
	e.GET("/healthz", handleHealthz)
	// /readyz and /metrics are for the operator's network, not the
	// internet; STAAS_MONITOR_TOKEN adds a bearer token to both.
	monitor := requireBearer(d.MonitorToken)
	e.GET("/readyz", readyzHandler(d.Logger, d.Checks, d.ReadyCache), monitor)
	if d.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()), monitor)
	}

	// The WHMCS admin area, through the PHP shim: every route is signed.
	if d.Shim != nil && d.Provision != nil && d.Panels != nil {
		ui := &adminUI{svc: newAdminService(d.Provision), panels: panelBook{d.Panels}, usage: d.Usage, usageSchedule: d.UsageSchedule, audit: d.Audit, now: time.Now, log: d.Logger}
		if ui.log == nil {
			ui.log = slog.New(slog.DiscardHandler)
		}
		signed := shimAuth(d.Shim)
		e.POST(whmcsbridge.PathLinks, ui.links, signed)
		e.POST(whmcsbridge.PathPanels, ui.panelsHTML, signed)
		for name, act := range adminActions {
			e.POST(whmcsbridge.ActionPath(name), ui.action(name, act), signed)
		}
	}
	if d.Shim != nil && d.Provision != nil && d.Panels != nil && d.Services != nil {
		// The server module, the client's buttons and the hooks.
		signed := shimAuth(d.Shim)
		log := d.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		mod := &moduleAPI{svc: d.Provision, panels: panelBook{d.Panels}, services: d.Services, usage: d.Usage,
			usageSchedule: d.UsageSchedule, log: log, now: d.Now}
		if mod.now == nil {
			mod.now = time.Now
		}
		for name, fn := range moduleFuncs {
			e.POST(whmcsbridge.ModulePath(name), mod.function(name, fn), signed)
		}
		e.POST(whmcsbridge.ModulePath(whmcsbridge.FuncUsageUpdate), mod.usageUpdate, signed)
		e.POST(whmcsbridge.ModulePath(whmcsbridge.FuncMetrics), mod.metrics, signed)
		for name, fn := range clientActions {
			e.POST(whmcsbridge.ClientActionPath(name), mod.clientAction(fn), signed)
		}
		ev := &eventAPI{svc: d.Provision, createOnAdd: d.CreateOnClientAdd, deletePolicy: d.ClientDelete, daily: d.Daily}
		for name, fn := range eventFuncs {
			e.POST(whmcsbridge.EventPath(name), ev.event(name, fn), signed)
		}
	}
	return e
}
