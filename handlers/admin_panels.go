package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/provision"
	"staas/views"
	"staas/whmcsbridge"
)

// PanelStore keeps each admin's panel toggles, pending forms and flashes
// per client (*store.Store), so they survive restarts and work across
// several staas replicas.
type PanelStore interface {
	Panels(ctx context.Context, adminID, clientID int64) (map[string]string, error)
	SetPanel(ctx context.Context, adminID, clientID int64, panel, params string) error
	HidePanel(ctx context.Context, adminID, clientID int64, panel string) error
	TakeFlashes(ctx context.Context, adminID, clientID int64) ([]staas.Flash, error)
}

// adminUI serves the WHMCS admin area's S3 links, panels and actions.
type adminUI struct {
	svc    adminService
	panels panelBook
	// usage reads the usage figures;
	// usageSchedule says when it is filled.
	usage         UsageFigures
	usageSchedule string
	// audit reads the audit log.
	audit AuditReader
	now   func() time.Time
	// log keeps the detail of failures an admin reads as a sentence.
	log *slog.Logger
}

// State keys besides the panel names: a destructive action awaiting its
// confirmation, and the last input of each form with its errors.
const (
	stateConfirm     = "confirm"
	formPrefix       = "form:"
	formCreateUser   = formPrefix + "create-user"
	formUserLimits   = formPrefix + "user-limits"
	formBucketLimits = formPrefix + "bucket-limits"
	formQuota        = formPrefix + "quota"
	formObject       = formPrefix + "object"
)

func actor(admin staas.Admin, clientID int64) provision.Actor {
	return provision.Actor{Admin: admin, ClientID: clientID}
}

func formOf(r whmcsbridge.AdminRequest) views.Form {
	return views.Form{ActionURL: r.ActionURL, Token: r.Token, ClientID: r.ClientID}
}

// links answers the AdminAreaClientSummaryActionLinks hook.
func (h *adminUI) links(c echo.Context) error {
	var req whmcsbridge.AdminRequest
	if err := decodeShim(c, &req); err != nil {
		return err
	}
	if !h.svc.MayView(actor(req.Admin, req.ClientID)) {
		// WHMCS shows nothing rather than buttons the admin may not press.
		return c.JSON(http.StatusOK, whmcsbridge.LinksResponse{Result: whmcsbridge.Result{Result: "success"}, Links: []string{}})
	}
	ctx := c.Request().Context()
	a := actor(req.Admin, req.ClientID)
	state, err := h.panels.Panels(ctx, req.Admin.ID, req.ClientID)
	if err != nil {
		return err
	}
	vm := views.LinksVM{Form: formOf(req), CanChange: h.svc.MayChange(a), On: map[string]bool{}}
	// The client's mapping, read once: its cluster picks what the forms
	// offer, and it says there is a user while the gateway is down.
	mapping, _ := h.svc.S3User(ctx, a)
	mapped := ""
	if mapping != nil {
		mapped = mapping.Cluster
	}
	clusterVM(&vm, state[formCreateUser], h.svc.AdminPanel, mapped)
	vm.BucketBilling = mapping != nil && h.svc.HasBucketBilling(ctx, a.ClientID)
	for _, p := range []string{views.PanelUsers, views.PanelUser, views.PanelBuckets, views.PanelStats, views.PanelUsage, views.PanelAudit, views.PanelBilling} {
		_, vm.On[p] = state[p]
	}
	if u, err := h.svc.QueryUser(ctx, a); err == nil {
		vm.HasUser, vm.UserState, vm.KeyPairs = true, u.State, len(u.Keys)
		if buckets, err := h.svc.Buckets(ctx, a); err == nil {
			for _, b := range buckets {
				vm.Buckets = append(vm.Buckets, b.Name)
			}
		} else {
			vm.BucketsUnread = true
		}
	} else if staas.ErrorCode(err) != staas.ENOTFOUND {
		// The gateway is down: links still render; the panels say why.
		vm.HasUser = mapping != nil
	}
	vm.UserLimits = limitsForm(state[formUserLimits])
	vm.BucketLimits = limitsForm(state[formBucketLimits])
	q := state[formQuota]
	vm.Quota = views.QuotaForm{Of: q.input(views.FieldQuotaOf), SizeGB: q.input(views.FieldQuotaGB), Errors: q.fieldErrors()}
	// Without a kept form, a form keeps the subject its panel shows
	// chosen: after Get or Set on a bucket, Delete acts on it too instead
	// of being refused for want of a bucket.
	if _, kept := state[formBucketLimits]; !kept {
		if s, on := state[views.PanelBucketLimits]; on {
			vm.BucketLimits.Bucket = s.Bucket
		}
	}
	if _, kept := state[formQuota]; !kept {
		if s, on := state[views.PanelQuotas]; on {
			vm.Quota.Of = s.QuotaOf
		}
	}
	o := state[formObject]
	vm.Object = views.ObjectForm{Object: o.input("object"), Errors: o.fieldErrors()}
	// A confirmation asked in one of the groups renders there; the panels
	// leave it out (panelsHTML), so the page has it once.
	if s, on := state[stateConfirm]; on {
		if c := confirmVM(s.Confirm); views.ConfirmInLinks(c.At) {
			vm.Confirm = c
		}
	}

	links, err := views.RenderLinks(ctx, vm)
	if err != nil {
		return err
	}
	// A kept form shows once, like a flash: the page after the failed
	// submit has the input and errors, a later visit a clean form.
	for _, form := range []string{formCreateUser, formUserLimits, formBucketLimits, formQuota, formObject} {
		if _, kept := state[form]; kept {
			h.hide(ctx, a, form)
		}
	}
	return c.JSON(http.StatusOK, whmcsbridge.LinksResponse{Result: whmcsbridge.Result{Result: "success"}, Links: links})
}

// panelsHTML answers the AdminAreaClientSummaryPage hook: the flashes, a
// pending confirmation, and every panel the admin has on for this client,
// each read fresh from the gateway. A panel whose data cannot be read
// shows why instead of failing the whole page.
func (h *adminUI) panelsHTML(c echo.Context) error {
	var req whmcsbridge.AdminRequest
	if err := decodeShim(c, &req); err != nil {
		return err
	}
	ok := whmcsbridge.Result{Result: "success"}
	if !h.svc.MayView(actor(req.Admin, req.ClientID)) {
		return c.JSON(http.StatusOK, whmcsbridge.PanelsResponse{Result: ok})
	}
	// A statistics object the Get action just read is not read again.
	ctx := rendering(c.Request().Context())
	a := actor(req.Admin, req.ClientID)
	state, err := h.panels.Panels(ctx, req.Admin.ID, req.ClientID)
	if err != nil {
		return err
	}
	flashes, err := h.panels.TakeFlashes(ctx, req.Admin.ID, req.ClientID)
	if err != nil {
		return err
	}
	vm := views.PanelsVM{Form: formOf(req), CanChange: h.svc.MayChange(a), Flashes: flashes}
	// A panel that cannot be read renders as its frame with the reason:
	// the anchor of the action that opened it still finds it.
	failed := func(panel, title string, err error) {
		if vm.Failed == nil {
			vm.Failed = map[string]views.FailedPanel{}
		}
		vm.Failed[panel] = views.FailedPanel{Title: title, Message: staas.ErrorMessage(err)}
		h.log.Warn("panel not shown", "panel", panel, "admin", a.Admin.ID, "client", a.ClientID, "code", staas.ErrorCode(err), "err", staas.ErrorDetail(err))
	}
	if s, on := state[stateConfirm]; on {
		// One asked in an "Other Actions" group renders there (links).
		if c := confirmVM(s.Confirm); !views.ConfirmInLinks(c.At) {
			vm.Confirm = c
		}
	}
	vm.Pending = h.pendingVM(ctx, a)
	if s, on := state[views.PanelUsers]; on {
		p, err := h.svc.ListUsersOn(ctx, a, s.Cluster, s.Query, s.Page, usersPageSize)
		if err != nil {
			failed(views.PanelUsers, "S3 Users List", err)
		} else {
			vm.Users = usersVM(p, s.Query, p.Page)
			if names, _ := h.svc.Clusters(); len(names) > 1 {
				vm.Users.Clusters = names
			} else {
				vm.Users.Cluster = "" // one cluster: nothing to tell apart
			}
		}
	}
	if s, on := state[views.PanelUser]; on {
		// A revealed secret shows in this one page, as in the client
		// area: the next load masks it again. Only an admin who may
		// reveal sees it.
		reveal := s.Reveal
		if reveal != "" {
			h.show(ctx, a, views.PanelUser, panelState{})
			if !h.svc.MayChange(a) {
				reveal = ""
			}
		}
		if u, err := h.svc.QueryUser(ctx, a); err != nil {
			failed(views.PanelUser, "S3 Information for User", err)
		} else {
			vm.User = userVM(u, h.mappedCluster(ctx, a), reveal)
		}
	}
	if s, on := state[views.PanelBuckets]; on {
		if b, err := h.svc.Buckets(ctx, a); err != nil {
			failed(views.PanelBuckets, "S3 Buckets", err)
		} else {
			vm.Buckets = bucketsVM(b, bucketsPageOf(b, s.Page, vm.Confirm))
		}
	}
	if s, on := state[views.PanelStats]; on {
		after := s.After
		if l, err := h.svc.StatsPage(ctx, a, after); err != nil {
			failed(views.PanelStats, "S3 Statistics List (whole cluster)", err)
		} else {
			vm.Stats = statsVM(l, after)
		}
	}
	if _, on := state[views.PanelUserLimits]; on {
		if l, err := h.svc.Limits(ctx, a, provision.UserSubject()); err != nil {
			failed(views.PanelUserLimits, "S3 Limits for User", err)
		} else {
			vm.UserLimits = limitsVM("", l)
		}
	}
	if s, on := state[views.PanelBucketLimits]; on {
		bucket := s.Bucket
		if l, err := h.svc.Limits(ctx, a, provision.BucketSubject(bucket)); err != nil {
			failed(views.PanelBucketLimits, "S3 Limits for Bucket: "+bucket, err)
		} else {
			vm.BucketLimits = limitsVM(bucket, l)
		}
	}
	if s, on := state[views.PanelObject]; on {
		name := s.Object
		o, err := h.svc.StatsObject(ctx, a, name)
		var users []string
		if err == nil {
			users, err = h.svc.ClientUserIDs(ctx, a)
		}
		if err != nil {
			failed(views.PanelObject, "S3 Statistics for Object: "+name+" (whole cluster)", err)
		} else {
			vm.Object = objectVM(name, o, users, objectScope(s.Scope) == views.ScopeAll)
		}
	}
	if _, on := state[views.PanelQuotas]; on {
		if q, err := h.svc.AllQuotas(ctx, a); err != nil {
			failed(views.PanelQuotas, "S3 Quotas", err)
		} else {
			vm.Quotas = quotasVM(q)
		}
	}
	if s, on := state[views.PanelUsage]; on {
		if u, err := h.usageVM(ctx, a, s); err != nil {
			failed(views.PanelUsage, "S3 Usage History", err)
		} else {
			vm.Usage = u
		}
	}
	if s, on := state[views.PanelBilling]; on {
		unit := s.Unit
		if !slices.Contains(views.BillingUnits, unit) {
			unit = "GB"
		}
		if rows, err := h.svc.BucketBilling(ctx, a, unit); err != nil {
			failed(views.PanelBilling, "Bucket billing info", err)
		} else {
			vm.Billing = &views.BillingVM{Unit: unit, Rows: rows}
		}
	}
	if s, on := state[views.PanelAudit]; on {
		if l, err := h.auditVM(ctx, a, s); err != nil {
			failed(views.PanelAudit, "S3 Audit Log", err)
		} else {
			vm.Audit = l
		}
	}
	html, err := views.RenderString(ctx, views.Panels(vm))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, whmcsbridge.PanelsResponse{Result: ok, HTML: html})
}

// mappedCluster is the cluster of the client's S3 user, "" when it has
// none (or the mapping cannot be read: the panels say why).
func (h *adminUI) mappedCluster(ctx context.Context, a provision.Actor) string {
	if m, err := h.svc.S3User(ctx, a); err == nil {
		return m.Cluster
	}
	return ""
}

const usersPageSize = 25

// bucketsPageSize is how many buckets the buckets panel shows a page: a
// client may have 1,000, and each row is a form (issue 14).
const bucketsPageSize = 50

// bucketsPageOf is the page of the buckets panel to show: the one kept,
// unless the pending confirmation is about a bucket of the panel, whose
// page is shown so the confirmation renders under its row, where the
// admin clicked, even when the list moved since.
func bucketsPageOf(buckets []staas.Bucket, page int, c *views.ConfirmVM) int {
	if c != nil && c.At == views.PanelAnchor(views.PanelBuckets) {
		if i := slices.IndexFunc(buckets, func(b staas.Bucket) bool { return b.Name == c.Params["bucket"] }); i >= 0 {
			return i/bucketsPageSize + 1
		}
	}
	return page
}

// maxObjectRows is how many items of a statistics object the panel shows;
// an object can hold hundreds of thousands.
const maxObjectRows = 500
