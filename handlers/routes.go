// Package handlers serves staas's HTTP routes: the signed shim API and the monitoring endpoints. Handlers are thin: they
// parse, call a service and render; the services they need are declared
// here as small interfaces, next to the handlers that use them.
package handlers

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"staas/internal/provision"
	"staas/whmcsbridge"
)

// Deps are what the routes need. The services (Logger, Shim, Provision,
// Panels, Usage, Audit, Services, Daily) are required: New refuses a Deps
// without one, so a forgotten dependency stops staas at startup instead
// of leaving routes out or a panel saying "not configured". Monitoring
// (Checks, Metrics, MonitorToken) and the settings may be left empty.
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
	Provision *provision.Services
	Panels    PanelStore
	// Usage gives the usage figures (*usage.Figures): the "S3 Usage
	// History" panel's, the client area's, and usage-update's and
	// metrics' per service.
	// UsageSchedule says when usage is collected (see UsageSchedule).
	Usage         UsageFigures
	UsageSchedule string
	// Audit reads the audit log for the "S3 Audit Log" panel (*store.Store).
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
	// Daily runs staas's daily work on WHMCS's daily cron.
	Daily DailyFunc

	// The reseller portal (/reseller/…) is served when ResellerPortal,
	// ResellerAuth and a 64-byte ResellerSessionKey (32 to sign the
	// session cookie, 32 to encrypt it) are all set.
	ResellerPortal     ResellerPortal
	ResellerAuth       ResellerAuth
	ResellerSessionKey []byte
	// ResellerAdmin, when set, serves the "staas resellers" addon page
	// of WHMCS's admin area (whmcsbridge.PathResellers, signed).
	ResellerAdmin ResellerAdmin
}

// New returns the echo instance with every route registered and the one
// error handler installed, or an error naming the dependencies missing
// from d. The route table is here and nowhere else. An error rather than
// a panic: both callers (serve, the demo) already return their startup
// errors, so a missing dependency reads as the command's own message.
func New(d Deps) (*echo.Echo, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
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
	{
		ui := &adminUI{svc: newAdminService(d.Provision.Admin), panels: panelBook{d.Panels}, usage: d.Usage, usageSchedule: d.UsageSchedule, audit: d.Audit, now: time.Now, log: d.Logger}
		signed := shimAuth(d.Shim)
		e.POST(whmcsbridge.PathLinks, ui.links, signed)
		e.POST(whmcsbridge.PathPanels, ui.panelsHTML, signed)
		for name, act := range adminActions {
			e.POST(whmcsbridge.ActionPath(name), ui.action(name, act), signed)
		}
		if d.ResellerAdmin != nil {
			e.POST(whmcsbridge.PathResellers, (&resellerAdminUI{svc: d.ResellerAdmin}).page, signed)
		}
	}
	{
		// The server module, the client's buttons and the hooks.
		signed := shimAuth(d.Shim)
		mod := &moduleAPI{svc: d.Provision.Lifecycle, panels: panelBook{d.Panels}, services: d.Services, usage: d.Usage,
			usageSchedule: d.UsageSchedule, log: d.Logger, now: d.Now}
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
		ev := &eventAPI{svc: d.Provision.Events, createOnAdd: d.CreateOnClientAdd, deletePolicy: d.ClientDelete, daily: d.Daily}
		for name, fn := range eventFuncs {
			e.POST(whmcsbridge.EventPath(name), ev.event(name, fn), signed)
		}
	}
	if d.ResellerPortal != nil && d.ResellerAuth != nil {
		if len(d.ResellerSessionKey) != 64 {
			return nil, fmt.Errorf("handlers: the reseller portal's session key must be 64 bytes (got %d)", len(d.ResellerSessionKey))
		}
		newResellerUI(d.ResellerPortal, d.ResellerAuth, d.ResellerSessionKey, d.Now).register(e)
	}
	return e, nil
}

// check names every required dependency d lacks.
func (d Deps) check() error {
	var missing []string
	for _, dep := range []struct {
		name string
		nil  bool
	}{
		{"Logger", d.Logger == nil}, {"Shim", d.Shim == nil}, {"Provision", d.Provision == nil},
		{"Panels", d.Panels == nil}, {"Usage", d.Usage == nil}, {"Audit", d.Audit == nil},
		{"Services", d.Services == nil}, {"Daily", d.Daily == nil},
	} {
		if dep.nil {
			missing = append(missing, dep.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("handlers: Deps lacks %s: every service the routes call is required", strings.Join(missing, ", "))
	}
	return nil
}
