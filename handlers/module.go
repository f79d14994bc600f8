package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/provision"
	"staas/views"
	"staas/whmcsbridge"
)

// ServiceStore finds the S3 user of a WHMCS service by its id alone, as
// usage-update asks for a server's services without their clients
// (*store.Store).
type ServiceStore interface {
	S3UserByService(ctx context.Context, serviceID int64) (*staas.S3User, error)
}

// moduleAPI serves the server module's functions and the client's own
// buttons on the service page.
type moduleAPI struct {
	svc      *provision.Lifecycle
	panels   panelBook
	services ServiceStore
	usage    UsageFigures
	// usageSchedule says when usage is collected (the client area's
	// usage history repeats it).
	usageSchedule string
	log           *slog.Logger
	now           func() time.Time
}

// moduleFunc is one module function: it gets the validated request and
// answers the function's response.
type moduleFunc func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error)

// moduleFuncs is the table of module functions but usage-update (which
// takes a UsageRequest); routes.go gives each its own endpoint.
var moduleFuncs = map[string]moduleFunc{
	whmcsbridge.FuncCreate: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		cfg, err := productConfig(r)
		if err != nil {
			return nil, err
		}
		if r.ClientEmail == "" {
			return nil, staas.Errorf(staas.EINVALID, "The client has no email address in WHMCS; the S3 user's email is made from it.")
		}
		u, err := m.svc.CreateService(ctx, serviceRef(r), cfg)
		if err != nil {
			return nil, err
		}
		return &whmcsbridge.ModuleResponse{Result: success(), ServiceFields: &whmcsbridge.ServiceFields{Domain: u.Email, Username: u.UserID}}, nil
	},
	whmcsbridge.FuncSuspend: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		return done(m.svc.SuspendService(ctx, serviceRef(r), r.Params["suspend_reason"]))
	},
	whmcsbridge.FuncUnsuspend: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		return done(m.svc.UnsuspendService(ctx, serviceRef(r)))
	},
	whmcsbridge.FuncTerminate: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		cfg, err := productConfig(r)
		if err != nil {
			return nil, err
		}
		return done(m.svc.TerminateService(ctx, serviceRef(r), cfg))
	},
	whmcsbridge.FuncChangePackage: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		cfg, err := productConfig(r)
		if err != nil {
			return nil, err
		}
		return done(m.svc.ChangeServicePackage(ctx, serviceRef(r), cfg))
	},
	whmcsbridge.FuncTestConnection: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		return done(m.svc.TestCluster(ctx, r.Cluster))
	},
	whmcsbridge.FuncServicesTab: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		return m.servicesTab(ctx, r)
	},
	whmcsbridge.FuncClientArea: func(m *moduleAPI, ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
		return m.clientArea(ctx, r)
	},
}

func success() whmcsbridge.Result { return whmcsbridge.Result{Result: whmcsbridge.ResultSuccess} }

func done(err error) (*whmcsbridge.ModuleResponse, error) {
	if err != nil {
		return nil, err
	}
	return &whmcsbridge.ModuleResponse{Result: success()}, nil
}

// serverRequest wraps test-connection's request, which carries no service.
type serverRequest struct{ whmcsbridge.ModuleRequest }

func (r *serverRequest) UnmarshalJSON(b []byte) error { return r.ModuleRequest.UnmarshalJSON(b) }
func (r *serverRequest) Validate() error              { return r.ModuleRequest.ValidateServer() }

// function serves one module function.
func (m *moduleAPI) function(name string, fn moduleFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req whmcsbridge.ModuleRequest
		if name == whmcsbridge.FuncTestConnection {
			var sr serverRequest
			if err := decodeShim(c, &sr); err != nil {
				return err
			}
			req = sr.ModuleRequest
		} else if err := decodeShim(c, &req); err != nil {
			return err
		}
		res, err := fn(m, c.Request().Context(), req)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, res)
	}
}

func serviceRef(r whmcsbridge.ModuleRequest) provision.ServiceRef {
	return provision.ServiceRef{ServiceID: r.ServiceID, ClientID: r.ClientID, ClientEmail: r.ClientEmail, AdminID: r.AdminID, Cluster: r.Cluster}
}

// productConfig checks the product's settings before anything reaches
// the gateway; the error names the setting at fault.
func productConfig(r whmcsbridge.ModuleRequest) (provision.ProductConfig, error) {
	cfg := provision.ProductConfig(*r.Config)
	return cfg, cfg.Validate()
}

// usageHistory is the client area's usage history of userID, one period
// per views.UsageDays; none when staas does not collect usage.
func (m *moduleAPI) usageHistory(ctx context.Context, cluster, userID string) ([]views.UsageVM, error) {
	now := m.now()
	var out []views.UsageVM
	for _, days := range views.UsageDays {
		u := lastDays(days, now, m.usageSchedule)
		u.UserID = userID
		if err := fillUsage(ctx, m.usage, cluster, u); err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, nil
}

// servicesTab renders the admin's services tab. A service without an S3
// user is an answer, not an error: the tab must render for Create.
func (m *moduleAPI) servicesTab(ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
	var vm views.ServiceTabVM
	info, err := m.svc.ServiceInfo(ctx, serviceRef(r))
	switch {
	case staas.ErrorCode(err) == staas.ENOTFOUND:
	case err != nil:
		return nil, err
	default:
		vm = views.ServiceTabVM{HasUser: true, UserID: info.User.UserID, Email: info.User.Email, Enabled: info.Enabled,
			Keys: keyRows(info.Keys, "")}
		vm.Buckets, vm.TotalBytes = bucketRows(info.Buckets)
	}
	res := &whmcsbridge.ModuleResponse{Result: success()}
	for _, f := range views.ServiceTabFields(vm) {
		html, err := views.RenderString(ctx, f.Content)
		if err != nil {
			return nil, err
		}
		res.Fields = append(res.Fields, whmcsbridge.TabField{Label: f.Label, HTML: html})
	}
	return res, nil
}

// revealPanel is the client area's one-time state in the PanelStore,
// under admin id 0 (admins are > 0; 0 is the client themself): the
// access key whose secret the next render shows. Only the key id is
// kept; the secret is read from the gateway when shown.
func revealPanel(serviceID int64) string { return "client-area:" + strconv.FormatInt(serviceID, 10) }

// clientSelf is the PanelStore's admin id of a client's own state.
const clientSelf = 0

// clientArea renders the client's view of the service. A secret the
// client asked to reveal shows in this one render, then hides again.
func (m *moduleAPI) clientArea(ctx context.Context, r whmcsbridge.ModuleRequest) (*whmcsbridge.ModuleResponse, error) {
	token := r.Params["token"]
	if !whmcsbridge.ValidToken(token) {
		return nil, staas.Errorf(staas.EINVALID, "The client area needs WHMCS's CSRF token in params.token.")
	}
	vm := views.ClientAreaVM{ServiceID: r.ServiceID, Token: token}
	info, err := m.svc.ServiceInfo(ctx, serviceRef(r))
	switch {
	case staas.ErrorCode(err) == staas.ENOTFOUND:
	case err != nil:
		return nil, err
	default:
		state, err := m.panels.Panels(ctx, clientSelf, r.ClientID)
		if err != nil {
			return nil, err
		}
		name := revealPanel(r.ServiceID)
		st, revealing := state[name]
		vm.HasUser, vm.Email, vm.Enabled = true, info.User.Email, info.Enabled
		vm.Keys = keyRows(info.Keys, st.Reveal)
		vm.Buckets, vm.TotalBytes = bucketRows(info.Buckets)
		if vm.Usage, err = m.usageHistory(ctx, info.User.Cluster, info.User.UserID); err != nil {
			return nil, err
		}
		if revealing {
			// Shown once: the next page load masks it again.
			if err := m.panels.HidePanel(context.WithoutCancel(ctx), clientSelf, r.ClientID, name); err != nil {
				return nil, err
			}
		}
	}
	html, err := views.RenderString(ctx, views.ClientArea(vm))
	if err != nil {
		return nil, err
	}
	return &whmcsbridge.ModuleResponse{Result: success(), HTML: html}, nil
}

// clientAction is one of the client's buttons on the service page.
type clientAction func(m *moduleAPI, ctx context.Context, a provision.Actor, r whmcsbridge.ModuleRequest) error

// clientActions is the table of client-area actions; routes.go gives each
// its own endpoint.
var clientActions = map[string]clientAction{
	whmcsbridge.ClientGenerateKey: func(m *moduleAPI, ctx context.Context, a provision.Actor, r whmcsbridge.ModuleRequest) error {
		k, err := m.svc.ServiceGenerateKey(ctx, a, serviceRef(r))
		if err != nil {
			return err
		}
		// The client needs the new secret: it shows once, like a reveal.
		return m.setReveal(ctx, r, k.Ref())
	},
	whmcsbridge.ClientRevokeKey: func(m *moduleAPI, ctx context.Context, a provision.Actor, r whmcsbridge.ModuleRequest) error {
		key, err := accessKey(r)
		if err != nil {
			return err
		}
		return m.svc.ServiceRevokeKey(ctx, a, serviceRef(r), key)
	},
	whmcsbridge.ClientRevealSecret: func(m *moduleAPI, ctx context.Context, a provision.Actor, r whmcsbridge.ModuleRequest) error {
		key, err := accessKey(r)
		if err != nil {
			return err
		}
		// Audited and checked by provision; the secret itself is read
		// again at render time and never kept.
		if _, err := m.svc.ServiceRevealSecret(ctx, a, serviceRef(r), key); err != nil {
			return err
		}
		return m.setReveal(ctx, r, key)
	},
	whmcsbridge.ClientHideSecret: func(m *moduleAPI, ctx context.Context, _ provision.Actor, r whmcsbridge.ModuleRequest) error {
		// Only the client's own view state changes.
		return m.panels.HidePanel(ctx, clientSelf, r.ClientID, revealPanel(r.ServiceID))
	},
}

func accessKey(r whmcsbridge.ModuleRequest) (string, error) {
	k := r.Params["access_key"]
	if k == "" {
		return "", staas.Errorf(staas.EINVALID, "Choose an access key: params.access_key is empty.")
	}
	return k, nil
}

func (m *moduleAPI) setReveal(ctx context.Context, r whmcsbridge.ModuleRequest, key string) error {
	return m.panels.Set(context.WithoutCancel(ctx), clientSelf, r.ClientID, revealPanel(r.ServiceID), panelState{Reveal: key})
}

// clientAction serves one client-area action, acting as the client.
func (m *moduleAPI) clientAction(fn clientAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req whmcsbridge.ModuleRequest
		if err := decodeShim(c, &req); err != nil {
			return err
		}
		ctx := c.Request().Context()
		// A client's own click never moves a service between clients
		// (provision follows WHMCS's moves on module calls): a service
		// staas knows as another client's is refused, untouched.
		if u, err := m.services.S3UserByService(ctx, req.ServiceID); err == nil && u.ClientID != req.ClientID {
			return staas.Errorf(staas.EFORBIDDEN, "This service belongs to another client.")
		} else if err != nil && staas.ErrorCode(err) != staas.ENOTFOUND {
			return err
		}
		a := provision.Actor{ClientID: req.ClientID, Kind: provision.ActorClient}
		if err := fn(m, ctx, a, req); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, success())
	}
}

// usageUpdate answers the daily UsageUpdate: per service with an S3
// user, figures from staas's ledger and samples (no gateway traffic but
// the quota read; usage.Figures). Unknown services are left out.
func (m *moduleAPI) usageUpdate(c echo.Context) error {
	var req whmcsbridge.UsageRequest
	if err := decodeShim(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	now := m.now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)

	results, err := m.usage.ServiceUpdates(ctx, req.ServiceIDs, month)
	if err != nil {
		return err
	}
	res := whmcsbridge.UsageResponse{Result: success(), Services: []whmcsbridge.ServiceUsage{}}
	for _, u := range results {
		res.Services = append(res.Services, whmcsbridge.ServiceUsage{ServiceID: u.ServiceID, DiskMB: whmcsbridge.BytesToMB(u.StoredBytes),
			DiskLimitMB: whmcsbridge.GBToMB(u.QuotaGB), BWMB: whmcsbridge.BytesToMB(u.DownloadedBytes)})
	}
	return c.JSON(http.StatusOK, res)
}
