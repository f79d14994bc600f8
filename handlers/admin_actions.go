package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/provision"
	"staas/views"
	"staas/whmcsbridge"
)

// adminAction is one button of the WHMCS admin area.
type adminAction struct {
	// change actions need "Perform Server Operations"; the others only
	// look, and need "View Clients Summary".
	change bool
	// destructive actions first answer with a confirmation panel; they run
	// when the admin confirms (params confirm=yes).
	destructive bool
	question    func(p map[string]string) string
	// audit says whether the action is worth an audit row even when it
	// only changes what the admin sees (reveal-secret is; hide-panel isn't).
	// An audited action's row is written before it runs, and it does not
	// run when the row cannot be written (provision's Begin and Finish).
	audit bool
	run   func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (okMessage string, err error)
}

// adminActions is the table of actions; routes.go gives each its own
// endpoint, POST /shim/v1/admin/actions/{name}.
var adminActions = map[string]adminAction{
	views.ActCreateUser: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		u, err := h.svc.CreateUser(ctx, a)
		if u != nil {
			h.show(ctx, a, views.PanelUser, nil)
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("S3 user %s created for %s; its key pair goes into the client's notes.", u.UserID, u.Email), nil
	}},
	views.ActDeleteUser: {change: true, destructive: true, audit: true,
		question: func(map[string]string) string {
			return "Delete this client's S3 user? Its access keys stop working at once and its notes are removed."
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
			u, err := h.svc.DeleteUser(ctx, a)
			if u != nil {
				for _, p := range []string{views.PanelUser, views.PanelBuckets, views.PanelUserLimits, views.PanelBucketLimits, views.PanelQuotas, views.PanelUsage} {
					h.hide(ctx, a, p)
				}
			}
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("S3 user %s (%s) deleted.", u.UserID, u.Email), nil
		}},
	views.ActEnableUser: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		u, err := h.svc.EnableUser(ctx, a)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("S3 user %s enabled.", u.UserID), nil
	}},
	views.ActDisableUser: {change: true, destructive: true, audit: true,
		question: func(map[string]string) string {
			return "Disable this client's S3 user? Its access keys stop working until it is enabled again; its data stays."
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
			u, err := h.svc.DisableUser(ctx, a)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("S3 user %s disabled.", u.UserID), nil
		}},
	views.ActGenerateKey: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		k, err := h.svc.GenerateKey(ctx, a)
		if k != nil {
			h.show(ctx, a, views.PanelUser, nil)
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Access key %s generated; the pair goes into the client's notes.", k.AccessKeyID), nil
	}},
	views.ActRevokeKey: {change: true, destructive: true, audit: true,
		question: func(p map[string]string) string {
			return fmt.Sprintf("Revoke the access key %s? Programs using it lose access at once.", p["access_key"])
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
			if err := h.svc.RevokeKey(ctx, a, p["access_key"]); err != nil {
				return "", err
			}
			return fmt.Sprintf("Access key %s revoked.", p["access_key"]), nil
		}},
	views.ActRevealSecret: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if _, err := h.svc.RevealSecret(ctx, a, p["access_key"]); err != nil {
			return "", err
		}
		h.show(ctx, a, views.PanelUser, url.Values{"reveal": {p["access_key"]}})
		return "", nil
	}},
	views.ActToggleUser: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelUser, nil)
	}},
	views.ActToggleUsers: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelUsers, url.Values{"page": {"1"}})
	}},
	views.ActUsersPage: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		page, err := strconv.Atoi(p["page"])
		if p["page"] == "" {
			page, err = 1, nil
		}
		if err != nil || page < 1 {
			return "", staas.Errorf(staas.EINVALID, "The page must be a whole number from 1.")
		}
		list, err := h.svc.ListUsers(ctx, a, p["q"], page, usersPageSize)
		if err != nil {
			return "", err
		}
		h.show(ctx, a, views.PanelUsers, url.Values{"q": {p["q"]}, "page": {strconv.Itoa(list.Page)}})
		return "", nil
	}},
	views.ActToggleBuckets: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelBuckets, nil)
	}},
	views.ActToggleStats: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelStats, nil)
	}},
	views.ActToggleUsage: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelUsage, url.Values{"days": {strconv.Itoa(views.UsageDays[0])}})
	}},
	views.ActUsageDays: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		days, err := usageDays(p["days"])
		if err != nil {
			return "", err
		}
		h.showUsage(ctx, a, days)
		return "", nil
	}},
	views.ActToggleAudit: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelAudit, nil)
	}},
	views.ActAuditPage: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		before, err := auditBefore(p["before"])
		if err != nil {
			return "", err
		}
		h.showAudit(ctx, a, before)
		return "", nil
	}},
	views.ActStatsPage: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if _, err := h.svc.StatsPage(ctx, a, p["after"]); err != nil {
			return "", err
		}
		h.show(ctx, a, views.PanelStats, url.Values{"after": {p["after"]}})
		return "", nil
	}},
	views.ActHidePanel: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if !slices.Contains(panelNames, p["panel"]) {
			return "", staas.Errorf(staas.EINVALID, "There is no panel %q.", p["panel"])
		}
		h.hide(ctx, a, p["panel"])
		return "", nil
	}},
	views.ActCancel: {run: func(*adminUI, context.Context, provision.Actor, map[string]string) (string, error) {
		return "", nil // every action clears the pending confirmation
	}},

	views.ActUserLimitsSet: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		return h.setLimits(ctx, a, "", p)
	}},
	views.ActUserLimitsGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		if _, err := h.svc.Limits(ctx, a, ""); err != nil {
			return "", err
		}
		h.show(ctx, a, views.PanelUserLimits, nil)
		return "", nil
	}},
	views.ActUserLimitsDelete: {change: true, destructive: true, audit: true,
		question: func(map[string]string) string { return "Delete every limit of this client's S3 user?" },
		run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
			if err := h.svc.DeleteLimits(ctx, a, ""); err != nil {
				return "", err
			}
			h.show(ctx, a, views.PanelUserLimits, nil)
			return "The S3 user's limits were deleted.", nil
		}},
	views.ActBucketLimitsSet: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		return h.setLimits(ctx, a, p["bucket"], p)
	}},
	views.ActBucketLimitsGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if _, err := h.svc.Limits(ctx, a, p["bucket"]); err != nil {
			h.keepForm(ctx, a, formBucketLimits, p, err)
			return "", err
		}
		h.hide(ctx, a, formBucketLimits)
		h.show(ctx, a, views.PanelBucketLimits, url.Values{"bucket": {p["bucket"]}})
		return "", nil
	}},
	views.ActBucketLimitsDelete: {change: true, destructive: true, audit: true,
		question: func(p map[string]string) string {
			return fmt.Sprintf("Delete every limit of the bucket %s?", p["bucket"])
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
			if err := h.svc.DeleteLimits(ctx, a, p["bucket"]); err != nil {
				h.keepForm(ctx, a, formBucketLimits, p, err)
				return "", err
			}
			h.show(ctx, a, views.PanelBucketLimits, url.Values{"bucket": {p["bucket"]}})
			return fmt.Sprintf("The limits of bucket %s were deleted.", p["bucket"]), nil
		}},

	views.ActQuotaSet: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		q, err := h.svc.SetQuota(ctx, a, p["bucket"], p["quota-gb"])
		if err != nil {
			h.keepForm(ctx, a, formQuota, p, err)
			return "", err
		}
		h.hide(ctx, a, formQuota)
		h.show(ctx, a, views.PanelQuotas, nil)
		return fmt.Sprintf("The quota of %s is now %d GB.", quotaSubject(p["bucket"]), q.SizeGB), nil
	}},
	views.ActQuotaGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if _, err := h.svc.Quota(ctx, a, p["bucket"]); err != nil {
			h.keepForm(ctx, a, formQuota, p, err)
			return "", err
		}
		h.show(ctx, a, views.PanelQuotas, nil)
		return "", nil
	}},
	views.ActQuotaDelete: {change: true, destructive: true, audit: true,
		question: func(p map[string]string) string {
			return fmt.Sprintf("Delete the quota of %s? It becomes unlimited.", quotaSubject(p["bucket"]))
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
			if err := h.svc.DeleteQuota(ctx, a, p["bucket"]); err != nil {
				h.keepForm(ctx, a, formQuota, p, err)
				return "", err
			}
			h.show(ctx, a, views.PanelQuotas, nil)
			return fmt.Sprintf("The quota of %s was deleted.", quotaSubject(p["bucket"])), nil
		}},

	views.ActStatsGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if _, err := h.svc.StatsObject(ctx, a, p["object"]); err != nil {
			h.keepForm(ctx, a, formObject, p, err)
			return "", err
		}
		h.hide(ctx, a, formObject)
		h.show(ctx, a, views.PanelObject, url.Values{"object": {p["object"]}})
		return "", nil
	}},
	views.ActStatsDelete: {change: true, destructive: true, audit: true,
		question: func(p map[string]string) string {
			return fmt.Sprintf("Delete the statistics object %s from the gateway? Usage not yet collected from it is lost.", p["object"])
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
			if err := h.svc.DeleteStatsObject(ctx, a, p["object"]); err != nil {
				h.keepForm(ctx, a, formObject, p, err)
				return "", err
			}
			h.hide(ctx, a, views.PanelObject)
			return fmt.Sprintf("Statistics object %s deleted.", p["object"]), nil
		}},
}

var panelNames = []string{views.PanelUsers, views.PanelUser, views.PanelBuckets, views.PanelStats,
	views.PanelUserLimits, views.PanelBucketLimits, views.PanelObject, views.PanelQuotas, views.PanelUsage, views.PanelAudit}

func quotaSubject(bucket string) string {
	if bucket == "" {
		return "the S3 user"
	}
	return "bucket " + bucket
}

// action returns the endpoint of one admin action. The flow: the shim has
// checked the WHMCS admin session and CSRF token and signed the request;
// here the permission is checked (by the service), a destructive action
// is parked for confirmation, and the outcome lands in the audit log and
// the admin's flash. The answer tells the shim whether it worked; either
// way the shim redirects back to the client summary.
func (h *adminUI) action(name string, act adminAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req whmcsbridge.ActionRequest
		if err := decodeShim(c, &req); err != nil {
			return err
		}
		ctx := c.Request().Context()
		a := actor(req.Admin, req.ClientID)
		// Only the action's own fields go on; padding is dropped here.
		params := actionFields(name, req.Params)
		perm := staas.PermViewClientSummary
		if act.change {
			perm = staas.PermServerOperations
		}
		if !a.Admin.Can(perm) || a.Admin.ID <= 0 {
			err := staas.Errorf(staas.EFORBIDDEN, "Your WHMCS role lacks the permission %q.", perm)
			h.svc.Record(ctx, a, name, auditParams(name, params), err, "")
			return err
		}
		h.hide(ctx, a, stateConfirm)
		if act.destructive && params["confirm"] != "yes" {
			v := url.Values{"action": {name}, "question": {act.question(params)}}
			for k, val := range params {
				if k != "confirm" {
					v.Set(k, val)
				}
			}
			if err := h.panels.SetPanel(ctx, a.Admin.ID, a.ClientID, stateConfirm, v.Encode()); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, whmcsbridge.Result{Result: "success", Message: "Confirmation needed."})
		}
		var msg string
		var err error
		if act.audit {
			// Recorded before it acts: an action that cannot be audited
			// does not run.
			id, berr := h.svc.Begin(ctx, a, name, auditParams(name, params))
			if berr != nil {
				return berr
			}
			msg, err = act.run(h, ctx, a, params)
			h.svc.Finish(ctx, a, id, name, err, msg)
		} else if msg, err = act.run(h, ctx, a, params); err != nil {
			h.svc.Record(ctx, a, name, auditParams(name, params), err, msg)
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, whmcsbridge.Result{Result: "success", Message: msg})
	}
}

func (h *adminUI) setLimits(ctx context.Context, a provision.Actor, bucket string, p map[string]string) (string, error) {
	form, panel := formUserLimits, views.PanelUserLimits
	if bucket != "" || p["bucket"] != "" {
		form, panel = formBucketLimits, views.PanelBucketLimits
	}
	in := provision.LimitsInput{OpsName: p["ops-name"], OpsValue: p["ops-value"], BandwidthName: p["bandwidth-name"], BandwidthValue: p["bandwidth-value"]}
	if _, err := h.svc.SetLimits(ctx, a, bucket, in); err != nil {
		h.keepForm(ctx, a, form, p, err)
		return "", err
	}
	h.hide(ctx, a, form)
	if bucket == "" {
		h.show(ctx, a, panel, nil)
		return "The S3 user's limits were set.", nil
	}
	h.show(ctx, a, panel, url.Values{"bucket": {bucket}})
	return fmt.Sprintf("The limits of bucket %s were set.", bucket), nil
}

// keepForm remembers what the admin typed and, for field errors, what is
// wrong with each field, so the form shows both on the next page.
func (h *adminUI) keepForm(ctx context.Context, a provision.Actor, form string, p map[string]string, err error) {
	v := url.Values{}
	for k, val := range p {
		if k != "confirm" && len(val) <= 256 {
			v.Set(k, val)
		}
	}
	for field, msg := range provision.Fields(err) {
		v.Set(fieldErrorPrefix+field, msg)
	}
	h.show(ctx, a, form, v)
}

// show turns a panel on (with its parameters); hide turns it off. Both are
// best effort: the action already happened, and a lost toggle only means
// the admin clicks again.
func (h *adminUI) show(ctx context.Context, a provision.Actor, panel string, params url.Values) {
	_ = h.panels.SetPanel(context.WithoutCancel(ctx), a.Admin.ID, a.ClientID, panel, params.Encode())
}

func (h *adminUI) hide(ctx context.Context, a provision.Actor, panel string) {
	_ = h.panels.HidePanel(context.WithoutCancel(ctx), a.Admin.ID, a.ClientID, panel)
}

// toggle flips a panel on or off, as the guide's "(on/off)" links do.
func (h *adminUI) toggle(ctx context.Context, a provision.Actor, panel string, params url.Values) error {
	state, err := h.panels.Panels(ctx, a.Admin.ID, a.ClientID)
	if err != nil {
		return err
	}
	if _, on := state[panel]; on {
		return h.panels.HidePanel(ctx, a.Admin.ID, a.ClientID, panel)
	}
	return h.panels.SetPanel(ctx, a.Admin.ID, a.ClientID, panel, params.Encode())
}
