package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/ostor"
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
	svc    *provision.AdminPanel
	panels PanelStore
	// usage reads the usage ledger (nil: collection is not configured);
	// usageSchedule says when it is filled.
	usage         UsageReader
	usageSchedule string
	// audit reads the audit log (nil: the panel says it is not available).
	audit AuditReader
	now   func() time.Time
	// log keeps the detail of failures an admin reads as a sentence.
	log *slog.Logger
}

// State keys besides the panel names: a destructive action awaiting its
// confirmation, and the last input of each form with its errors.
const (
	stateConfirm     = "confirm"
	formUserLimits   = "form:user-limits"
	formBucketLimits = "form:bucket-limits"
	formQuota        = "form:quota"
	formObject       = "form:object"
	fieldErrorPrefix = "err."
	// Keys of the confirmation's state besides the action's parameters.
	confirmAction     = "action"
	confirmQuestion   = "question"
	confirmPlace      = "confirm.at"
	confirmType       = "confirm.type"
	confirmError      = "confirm.error"
	maskedSecretShown = 4 // leading characters of a masked secret
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
	for _, p := range []string{views.PanelUsers, views.PanelUser, views.PanelBuckets, views.PanelStats, views.PanelUsage, views.PanelAudit} {
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
		if _, mapped := h.svc.S3User(ctx, a); mapped == nil {
			vm.HasUser = true
		}
	}
	vm.UserLimits = limitsForm(state[formUserLimits])
	vm.BucketLimits = limitsForm(state[formBucketLimits])
	q := parseState(state[formQuota])
	vm.Quota = views.QuotaForm{Of: q.Get(views.FieldQuotaOf), SizeGB: q.Get(views.FieldQuotaGB), Errors: fieldErrors(q)}
	// Without a kept form, a form keeps the subject its panel shows
	// chosen: after Get or Set on a bucket, Delete acts on it too instead
	// of being refused for want of a bucket.
	if _, kept := state[formBucketLimits]; !kept {
		if s, on := state[views.PanelBucketLimits]; on {
			vm.BucketLimits.Bucket = parseState(s).Get("bucket")
		}
	}
	if _, kept := state[formQuota]; !kept {
		if s, on := state[views.PanelQuotas]; on {
			vm.Quota.Of = parseState(s).Get(views.FieldQuotaOf)
		}
	}
	o := parseState(state[formObject])
	vm.Object = views.ObjectForm{Object: o.Get("object"), Errors: fieldErrors(o)}
	// A confirmation asked in one of the groups renders there; the panels
	// leave it out (panelsHTML), so the page has it once.
	if s, on := state[stateConfirm]; on {
		if c := confirmVM(s); views.ConfirmInLinks(c.At) {
			vm.Confirm = c
		}
	}

	links, err := views.RenderLinks(ctx, vm)
	if err != nil {
		return err
	}
	// A kept form shows once, like a flash: the page after the failed
	// submit has the input and errors, a later visit a clean form.
	for _, form := range []string{formUserLimits, formBucketLimits, formQuota, formObject} {
		if _, kept := state[form]; kept {
			h.hide(ctx, a, form)
		}
	}
	return c.JSON(http.StatusOK, whmcsbridge.LinksResponse{Result: whmcsbridge.Result{Result: "success"}, Links: links})
}

func parseState(s string) url.Values {
	v, _ := url.ParseQuery(s)
	return v
}

func fieldErrors(v url.Values) views.FieldErrors {
	var f views.FieldErrors
	for k := range v {
		if name, ok := cutPrefix(k, fieldErrorPrefix); ok {
			if f == nil {
				f = views.FieldErrors{}
			}
			f[name] = v.Get(k)
		}
	}
	return f
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

func limitsForm(state string) views.LimitsForm {
	v := parseState(state)
	return views.LimitsForm{OpsName: v.Get("ops-name"), OpsValue: v.Get("ops-value"),
		BandwidthName: v.Get("bandwidth-name"), BandwidthValue: v.Get("bandwidth-value"),
		Bucket: v.Get("bucket"), Errors: fieldErrors(v)}
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
	ctx := c.Request().Context()
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
		if c := confirmVM(s); !views.ConfirmInLinks(c.At) {
			vm.Confirm = c
		}
	}
	if s, on := state[views.PanelUsers]; on {
		v := parseState(s)
		page, _ := strconv.Atoi(v.Get("page"))
		p, err := h.svc.ListUsers(ctx, a, v.Get("q"), page, usersPageSize)
		if err != nil {
			failed(views.PanelUsers, "S3 Users List", err)
		} else {
			vm.Users = usersVM(p, v.Get("q"), p.Page)
		}
	}
	if s, on := state[views.PanelUser]; on {
		// A revealed secret shows in this one page, as in the client
		// area: the next load masks it again. Only an admin who may
		// reveal sees it.
		reveal := parseState(s).Get("reveal")
		if reveal != "" {
			h.show(ctx, a, views.PanelUser, nil)
			if !h.svc.MayChange(a) {
				reveal = ""
			}
		}
		if u, err := h.svc.QueryUser(ctx, a); err != nil {
			failed(views.PanelUser, "S3 Information for User", err)
		} else {
			vm.User = userVM(u, reveal)
		}
	}
	if _, on := state[views.PanelBuckets]; on {
		if b, err := h.svc.Buckets(ctx, a); err != nil {
			failed(views.PanelBuckets, "S3 Buckets", err)
		} else {
			vm.Buckets = bucketsVM(b)
		}
	}
	if s, on := state[views.PanelStats]; on {
		after := parseState(s).Get("after")
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
		bucket := parseState(s).Get("bucket")
		if l, err := h.svc.Limits(ctx, a, provision.BucketSubject(bucket)); err != nil {
			failed(views.PanelBucketLimits, "S3 Limits for Bucket: "+bucket, err)
		} else {
			vm.BucketLimits = limitsVM(bucket, l)
		}
	}
	if s, on := state[views.PanelObject]; on {
		v := parseState(s)
		name := v.Get("object")
		o, err := h.svc.StatsObject(ctx, a, name)
		var users []string
		if err == nil {
			users, err = h.svc.ClientUserIDs(ctx, a)
		}
		if err != nil {
			failed(views.PanelObject, "S3 Statistics for Object: "+name+" (whole cluster)", err)
		} else {
			vm.Object = objectVM(name, o, users, objectScope(v.Get("scope")) == views.ScopeAll)
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

const usersPageSize = 25

// maxObjectRows is how many items of a statistics object the panel shows;
// an object can hold hundreds of thousands.
const maxObjectRows = 500

func confirmVM(state string) *views.ConfirmVM {
	v := parseState(state)
	params := map[string]string{}
	for k := range v {
		switch k {
		case confirmAction, confirmQuestion, confirmType, confirmError, confirmPlace:
		default:
			params[k] = v.Get(k)
		}
	}
	return &views.ConfirmVM{Action: v.Get(confirmAction), Question: v.Get(confirmQuestion), Params: params,
		TypeToConfirm: v.Get(confirmType), Error: v.Get(confirmError), At: v.Get(confirmPlace)}
}

func usersVM(p *provision.UserPage, q string, page int) *views.UsersVM {
	vm := &views.UsersVM{Query: q, Page: page, PageSize: usersPageSize, Total: p.Total}
	for _, u := range p.Users {
		vm.Rows = append(vm.Rows, views.UserRow{UserID: u.ID, Email: u.Email, State: u.State})
	}
	return vm
}

func userVM(u *ostor.User, reveal string) *views.UserVM {
	return &views.UserVM{UserID: u.ID, Email: u.Email, State: u.State, Flags: u.Flags, Keys: keyRows(u.Keys, reveal)}
}

// maskSecret shows the first characters of a secret so an admin can tell
// two apart, and nothing an attacker could use.
func maskSecret(s string) string {
	if len(s) <= maskedSecretShown {
		return "••••••••"
	}
	return s[:maskedSecretShown] + "••••••••••••"
}

func bucketsVM(buckets []ostor.Bucket) *views.BucketsVM {
	vm := &views.BucketsVM{}
	for _, b := range buckets {
		vm.Rows = append(vm.Rows, views.BucketRow{Name: b.Name, Bytes: b.Size.Current, CreatedAt: b.CreationDate})
		vm.TotalBytes += b.Size.Current
	}
	return vm
}

func statsVM(l *ostor.UsageList, after string) *views.StatsVM {
	vm := &views.StatsVM{After: after, Items: l.Items}
	if l.Truncated && len(l.Items) > 0 {
		vm.Next = l.Items[len(l.Items)-1]
	}
	return vm
}

func limitsVM(bucket string, l *ostor.Limits) *views.LimitsVM {
	vm := &views.LimitsVM{Bucket: bucket}
	ops := []struct {
		name string
		v    float64
	}{{"default", l.OpsDefault}, {"get", l.OpsGet}, {"put", l.OpsPut}, {"list", l.OpsList}, {"delete", l.OpsDelete}}
	for _, o := range ops {
		if o.v != 0 {
			vm.Rows = append(vm.Rows, views.LimitRow{Type: "ops", Name: o.name, Value: views.FormatNumber(o.v) + " ops/s"})
		}
	}
	if l.BandwidthOut != 0 {
		vm.Rows = append(vm.Rows, views.LimitRow{Type: "bandwidth", Name: "out", Value: views.FormatCount(l.BandwidthOut) + " KB/s"})
	}
	return vm
}

// objectVM is a statistics object's panel: the items of the client's S3
// users (users), or every item when all.
func objectVM(name string, o *ostor.UsageObject, users []string, all bool) *views.ObjectVM {
	vm := &views.ObjectVM{Name: name, FmtVersion: o.FmtVersion, ServiceID: o.ServiceID,
		StartTS: o.StartTS, Period: o.Period, TotalRows: len(o.Items), All: all}
	for _, it := range o.Items {
		mine := slices.Contains(users, it.Key.UserID)
		if mine {
			vm.ClientRows++
		}
		if (!all && !mine) || len(vm.Rows) == maxObjectRows {
			continue
		}
		vm.Rows = append(vm.Rows, views.ObjectRow{Bucket: it.Key.Bucket, Epoch: it.Key.Epoch, UserID: it.Key.UserID, Tag: it.Key.Tag,
			Put: it.Ops.Put, Get: it.Ops.Get, List: it.Ops.List, Other: it.Ops.Other, Uploaded: it.Uploaded, Downloaded: it.Downloaded})
	}
	return vm
}

func quotasVM(q *provision.Quotas) *views.QuotasVM {
	vm := &views.QuotasVM{}
	if q.User != nil {
		vm.User = views.QuotaRow{SizeGB: q.User.SizeGB, Set: true}
	}
	for _, name := range q.Names {
		row := views.QuotaRow{Bucket: name}
		if bq := q.Buckets[name]; bq != nil {
			row.SizeGB, row.Set = bq.SizeGB, true
		}
		vm.Buckets = append(vm.Buckets, row)
	}
	return vm
}
