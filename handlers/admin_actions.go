package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

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
	// check, when set, runs before a destructive action asks its
	// question: an action that would be refused is refused at once, with
	// the reason, instead of after the admin confirmed it.
	check func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) error
	// typed, when set, is what the admin must type into the confirmation
	// (views.FieldTypedName) for the action to run: a bucket's name
	// before its data is deleted.
	typed func(p map[string]string) string
	// audit says whether the action is worth an audit row even when it
	// only changes what the admin sees (provision.Action.Audit).
	audit bool
	run   func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (okMessage string, err error)
}

// adminActions is the table of actions; routes.go gives each its own
// endpoint, POST /shim/v1/admin/actions/{name}.
var adminActions = map[string]adminAction{
	views.ActCreateUser: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		u, err := h.svc.CreateUserOn(ctx, a, p[views.FieldCluster])
		if u != nil {
			h.show(ctx, a, views.PanelUser, panelState{})
		}
		if provision.Fields(err) != nil {
			h.keepForm(ctx, a, formCreateUser, p, err)
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("S3 user %s created for %s on cluster %s; its access key is recorded in the client's notes (Query User reveals the secret).", u.UserID, u.Email, u.Cluster), nil
	}},
	views.ActDeleteUser: {change: true, destructive: true, audit: true,
		check: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) error {
			err := h.svc.CheckDeleteUser(ctx, a)
			if staas.ErrorCode(err) == staas.ECONFLICT {
				// The way forward is in the buckets panel: show it.
				h.showBuckets(ctx, a)
			}
			return err
		},
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
			h.show(ctx, a, views.PanelUser, panelState{})
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Access key %s generated and recorded in the client's notes (Query User reveals the secret).", k.Label()), nil
	}},
	views.ActRevokeKey: {change: true, destructive: true, audit: true,
		check: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) error {
			return h.svc.CheckKey(ctx, a, p["access_key"])
		},
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
		h.show(ctx, a, views.PanelUser, panelState{Reveal: p["access_key"]})
		return "", nil
	}},
	views.ActToggleUser: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelUser, panelState{})
	}},
	views.ActToggleUsers: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelUsers, panelState{Page: 1})
	}},
	views.ActUsersPage: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		page, err := pageParam(p["page"])
		if err != nil {
			return "", err
		}
		list, err := h.svc.ListUsersOn(ctx, a, p["cluster"], p["q"], page, usersPageSize)
		if err != nil {
			return "", err
		}
		h.show(ctx, a, views.PanelUsers, panelState{Query: p["q"], Page: list.Page, Cluster: p["cluster"]})
		return "", nil
	}},
	views.ActToggleBuckets: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelBuckets, panelState{Page: 1})
	}},
	views.ActBucketsPage: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		page, err := pageParam(p["page"])
		if err != nil {
			return "", err
		}
		// A page past the last is shown as the last (bucketsVM): the
		// list is not read here only to clamp it, the render reads it.
		h.show(ctx, a, views.PanelBuckets, panelState{Page: page})
		return "", nil
	}},
	views.ActToggleStats: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelStats, panelState{})
	}},
	views.ActToggleUsage: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelUsage, panelState{Days: views.UsageDays[0]})
	}},
	views.ActUsageDays: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		days, err := usageDays(p["days"])
		if err != nil {
			return "", err
		}
		h.showUsage(ctx, a, days)
		return "", nil
	}},
	views.ActToggleBilling: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelBilling, panelState{Unit: "GB"})
	}},
	views.ActBillingUnit: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if !slices.Contains(views.BillingUnits, p["unit"]) {
			return "", staas.Errorf(staas.EINVALID, "The size unit must be one of KB, MB, GB and BYTE.")
		}
		h.show(ctx, a, views.PanelBilling, panelState{Unit: p["unit"]})
		return "", nil
	}},
	views.ActRetryIntent: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		id, _ := strconv.ParseInt(p["intent"], 10, 64) // not a number: 0, which RetryPendingWork refuses
		if err := h.svc.RetryPendingWork(ctx, a, id); err != nil {
			return "", err
		}
		return "Queued again: staas tries it within a minute; Pending work shows how it went.", nil
	}},
	views.ActToggleAudit: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		return "", h.toggle(ctx, a, views.PanelAudit, panelState{})
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
		h.show(ctx, a, views.PanelStats, panelState{After: p["after"]})
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
		return h.setLimits(ctx, a, provision.UserSubject(), p)
	}},
	views.ActUserLimitsGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
		if _, err := h.svc.Limits(ctx, a, provision.UserSubject()); err != nil {
			return "", err
		}
		h.show(ctx, a, views.PanelUserLimits, panelState{})
		return "", nil
	}},
	views.ActUserLimitsDelete: {change: true, destructive: true, audit: true,
		question: func(map[string]string) string { return "Delete every limit of this client's S3 user?" },
		run: func(h *adminUI, ctx context.Context, a provision.Actor, _ map[string]string) (string, error) {
			if err := h.svc.DeleteLimits(ctx, a, provision.UserSubject()); err != nil {
				return "", err
			}
			h.show(ctx, a, views.PanelUserLimits, panelState{})
			return "The S3 user's limits were deleted.", nil
		}},
	views.ActBucketLimitsSet: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		return h.setLimits(ctx, a, provision.BucketSubject(p["bucket"]), p)
	}},
	views.ActBucketLimitsGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if _, err := h.svc.Limits(ctx, a, provision.BucketSubject(p["bucket"])); err != nil {
			h.keepForm(ctx, a, formBucketLimits, p, err)
			return "", err
		}
		h.hide(ctx, a, formBucketLimits)
		h.show(ctx, a, views.PanelBucketLimits, panelState{Bucket: p["bucket"]})
		return "", nil
	}},
	views.ActBucketLimitsDelete: {change: true, destructive: true, audit: true,
		check: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) error {
			// The bucket is checked before asking: no question about a
			// bucket that is not the client's, or about no bucket at all.
			if _, err := h.svc.Limits(ctx, a, provision.BucketSubject(p["bucket"])); err != nil {
				h.keepForm(ctx, a, formBucketLimits, p, err)
				return err
			}
			return nil
		},
		question: func(p map[string]string) string {
			return fmt.Sprintf("Delete every limit of the bucket %s?", p["bucket"])
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
			if err := h.svc.DeleteLimits(ctx, a, provision.BucketSubject(p["bucket"])); err != nil {
				h.keepForm(ctx, a, formBucketLimits, p, err)
				return "", err
			}
			h.show(ctx, a, views.PanelBucketLimits, panelState{Bucket: p["bucket"]})
			return fmt.Sprintf("The limits of bucket %s were deleted.", p["bucket"]), nil
		}},

	views.ActQuotaSet: {change: true, audit: true, run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		sub, err := quotaOf(p)
		if err != nil {
			h.keepForm(ctx, a, formQuota, p, err)
			return "", err
		}
		q, err := h.svc.SetQuota(ctx, a, sub, p[views.FieldQuotaGB])
		if err != nil {
			h.keepForm(ctx, a, formQuota, p, err)
			return "", err
		}
		h.hide(ctx, a, formQuota)
		h.show(ctx, a, views.PanelQuotas, panelState{QuotaOf: p[views.FieldQuotaOf]})
		return fmt.Sprintf("The quota of %s is now %s GB.", sub, staas.Grouped(q.SizeGB)), nil
	}},
	views.ActQuotaGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		sub, err := quotaOf(p)
		if err == nil {
			_, err = h.svc.Quota(ctx, a, sub)
		}
		if err != nil {
			h.keepForm(ctx, a, formQuota, p, err)
			return "", err
		}
		h.show(ctx, a, views.PanelQuotas, panelState{QuotaOf: p[views.FieldQuotaOf]})
		return "", nil
	}},
	views.ActQuotaDelete: {change: true, destructive: true, audit: true,
		check: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) error {
			sub, err := quotaOf(p)
			if err == nil {
				_, err = h.svc.Quota(ctx, a, sub)
			}
			if err != nil {
				h.keepForm(ctx, a, formQuota, p, err)
			}
			return err
		},
		question: func(p map[string]string) string {
			sub, _ := quotaOf(p)
			return fmt.Sprintf("Delete the quota of %s? It becomes unlimited.", sub)
		},
		run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
			sub, err := quotaOf(p)
			if err == nil {
				err = h.svc.DeleteQuota(ctx, a, sub)
			}
			if err != nil {
				h.keepForm(ctx, a, formQuota, p, err)
				return "", err
			}
			h.show(ctx, a, views.PanelQuotas, panelState{QuotaOf: p[views.FieldQuotaOf]})
			return fmt.Sprintf("The quota of %s was deleted.", sub), nil
		}},

	views.ActPurgeBucket: {change: true, destructive: true, audit: true,
		check: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) error {
			return h.svc.CheckPurgeBucket(ctx, a, p["bucket"])
		},
		question: func(p map[string]string) string {
			return fmt.Sprintf("Empty and delete the bucket %s? Every object in it, with every version and unfinished upload, is deleted for good, then the bucket itself. Nothing can bring them back.", p["bucket"])
		},
		typed: func(p map[string]string) string { return p["bucket"] },
		run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
			objects, err := h.svc.PurgeBucket(ctx, a, p["bucket"])
			h.showBuckets(ctx, a)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Bucket %s emptied (%s deleted) and deleted.", p["bucket"], objectCount(objects)), nil
		}},

	views.ActStatsGet: {run: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) (string, error) {
		if _, err := h.svc.StatsObject(ctx, a, p["object"]); err != nil {
			h.keepForm(ctx, a, formObject, p, err)
			return "", err
		}
		h.hide(ctx, a, formObject)
		h.show(ctx, a, views.PanelObject, panelState{Object: p["object"], Scope: objectScope(p["scope"])})
		return "", nil
	}},
	views.ActStatsDelete: {change: true, destructive: true, audit: true,
		check: func(h *adminUI, ctx context.Context, a provision.Actor, p map[string]string) error {
			err := h.svc.CheckStatsObject(ctx, a, p["object"])
			if err != nil {
				h.keepForm(ctx, a, formObject, p, err)
			}
			return err
		},
		question: func(p map[string]string) string {
			return fmt.Sprintf("Delete the statistics object %s from the gateway? It holds the usage of every client on the cluster, not only this one: usage not yet collected from it is lost for all of them.", p["object"])
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
	views.PanelUserLimits, views.PanelBucketLimits, views.PanelObject, views.PanelQuotas, views.PanelUsage, views.PanelAudit, views.PanelBilling}

// objectCount is "1 object" or "N objects", grouped.
func objectCount(n int64) string { return staas.Count(int(n), "object", "objects") }

// objectScope is the statistics object panel's scope: this client's rows
// unless every client's are asked for.
func objectScope(s string) string {
	if s == views.ScopeAll {
		return views.ScopeAll
	}
	return views.ScopeClient
}

// quotaOf reads the quota form's choice (views.FieldQuotaOf): the S3 user
// or one bucket, said outright. Nothing chosen is a field error, never
// "the user".
func quotaOf(p map[string]string) (provision.Subject, error) {
	v := p[views.FieldQuotaOf]
	if v == views.QuotaOfUser {
		return provision.UserSubject(), nil
	}
	if bucket, ok := strings.CutPrefix(v, views.QuotaOfBucket); ok && bucket != "" {
		return provision.BucketSubject(bucket), nil
	}
	return provision.Subject{}, provision.InvalidFields(provision.FieldErrors{
		views.FieldQuotaOf: "Choose the S3 user or one of the client's buckets."})
}

// action returns the endpoint of one admin action. The flow: the shim has
// checked the WHMCS admin session and CSRF token and signed the request;
// here provision checks the permission, a destructive action is parked
// for confirmation, and provision records the outcome in the audit log
// and the admin's flash. The answer tells the shim whether it worked; either
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
		// What the audit log and the permission check know of it: both
		// are provision's.
		pa := provision.Action{Name: name, Change: act.change, Audit: act.audit, Params: auditParams(name, params)}
		if err := h.svc.Authorize(ctx, a, pa); err != nil {
			return anchored{err: err, anchor: views.AnchorResult}
		}
		// Cancel takes the admin back to where the question was asked,
		// so read that before every action clears the question.
		cancelledAt := ""
		if name == views.ActCancel {
			cancelledAt = h.askedAt(ctx, a)
		}
		h.hide(ctx, a, stateConfirm)
		// The check runs on the confirmation too: a confirmation (posted
		// or forged) for what the first click would have refused is
		// refused the same way, and parks no question about it.
		if act.destructive && act.check != nil {
			if err := h.svc.Check(ctx, a, pa, func() error { return act.check(h, ctx, a, params) }); err != nil {
				return anchored{err: err, anchor: h.errorAnchor(ctx, a, name)}
			}
		}
		if act.destructive && params["confirm"] != "yes" {
			if err := h.ask(ctx, a, name, act, params, ""); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, whmcsbridge.ActionResponse{Result: whmcsbridge.Result{Result: "success", Message: "Confirmation needed."},
				Anchor: views.AnchorConfirm})
		}
		if act.destructive && act.typed != nil {
			want := act.typed(params)
			if err := h.svc.ConfirmTyped(ctx, a, pa, want, params[views.FieldTypedName]); err != nil {
				if aerr := h.ask(ctx, a, name, act, params, fmt.Sprintf("Type %s exactly to confirm.", want)); aerr != nil {
					return aerr
				}
				// Back to the question, which says what was wrong by the field.
				return anchored{err: err, anchor: views.AnchorConfirm}
			}
		}
		// An audited action is recorded before it acts: one that cannot
		// be audited does not run.
		msg, err := h.svc.Run(ctx, a, pa, func(ctx context.Context) (string, error) { return act.run(h, ctx, a, params) })
		if provision.NotRecorded(err) {
			// The refusal is the admin's flash: land on it.
			return anchored{err: err, anchor: views.AnchorResult}
		}
		if err != nil {
			return anchored{err: err, anchor: h.errorAnchor(ctx, a, name)}
		}
		anchor := cancelledAt
		if anchor == "" {
			anchor = h.anchor(ctx, a, name, msg)
		}
		return c.JSON(http.StatusOK, whmcsbridge.ActionResponse{Result: whmcsbridge.Result{Result: "success", Message: msg},
			Anchor: anchor})
	}
}

// ask parks a destructive action's confirmation for the admin's next
// page: its question, where it was asked (the box renders there), the
// parameters Confirm posts back and, for an action confirmed by typing,
// what to type and why the last try failed.
func (h *adminUI) ask(ctx context.Context, a provision.Actor, name string, act adminAction, params map[string]string, typedError string) error {
	c := &pendingConfirm{Action: name, Question: act.question(params), At: confirmAt(name, params)}
	for k, val := range params {
		switch k {
		case "confirm", views.FieldTypedName, views.FieldFrom:
		default:
			if c.Params == nil {
				c.Params = map[string]string{}
			}
			c.Params[k] = val
		}
	}
	if act.typed != nil {
		c.TypeToConfirm, c.Error = act.typed(params), typedError
	}
	return h.panels.Set(ctx, a.Admin.ID, a.ClientID, stateConfirm, panelState{Confirm: c})
}

func (h *adminUI) setLimits(ctx context.Context, a provision.Actor, sub provision.Subject, p map[string]string) (string, error) {
	form, panel := formBucketLimits, views.PanelBucketLimits
	if sub.IsUser() {
		form, panel = formUserLimits, views.PanelUserLimits
	}
	in := provision.LimitsInput{OpsName: p["ops-name"], OpsValue: p["ops-value"], BandwidthName: p["bandwidth-name"], BandwidthValue: p["bandwidth-value"]}
	if _, err := h.svc.SetLimits(ctx, a, sub, in); err != nil {
		h.keepForm(ctx, a, form, p, err)
		return "", err
	}
	h.hide(ctx, a, form)
	if sub.IsUser() {
		h.show(ctx, a, panel, panelState{})
		return "The S3 user's limits were set.", nil
	}
	h.show(ctx, a, panel, panelState{Bucket: sub.Bucket()})
	return fmt.Sprintf("The limits of bucket %s were set.", sub.Bucket()), nil
}

// keepForm remembers what the admin typed and, for field errors, what is
// wrong with each field, so the form shows both on the next page.
func (h *adminUI) keepForm(ctx context.Context, a provision.Actor, form string, p map[string]string, err error) {
	f := &keptForm{}
	for k, val := range p {
		if k != "confirm" && len(val) <= 256 {
			if f.Input == nil {
				f.Input = map[string]string{}
			}
			f.Input[k] = val
		}
	}
	for field, msg := range provision.Fields(err) {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
		f.Errors[field] = msg
	}
	h.show(ctx, a, form, panelState{Form: f})
}

// show turns a panel on with its state; hide turns it off. Both are best
// effort: the action already happened, and a lost toggle only means the
// admin clicks again.
func (h *adminUI) show(ctx context.Context, a provision.Actor, panel string, s panelState) {
	_ = h.panels.Set(context.WithoutCancel(ctx), a.Admin.ID, a.ClientID, panel, s)
}

// showBuckets turns the buckets panel on, on the page it shows if it is
// on already: the admin stays where they were.
func (h *adminUI) showBuckets(ctx context.Context, a provision.Actor) {
	state, err := h.panels.Panels(ctx, a.Admin.ID, a.ClientID)
	s, on := state[views.PanelBuckets]
	if err != nil || !on {
		s = panelState{Page: 1}
	}
	h.show(ctx, a, views.PanelBuckets, panelState{Page: s.Page})
}

// pageParam is a pager's page parameter: a whole number from 1, none
// being the first page.
func pageParam(v string) (int, error) {
	if v == "" {
		return 1, nil
	}
	page, err := strconv.Atoi(v)
	if err != nil || page < 1 {
		return 0, staas.Errorf(staas.EINVALID, "The page must be a whole number from 1.")
	}
	return page, nil
}

func (h *adminUI) hide(ctx context.Context, a provision.Actor, panel string) {
	_ = h.panels.HidePanel(context.WithoutCancel(ctx), a.Admin.ID, a.ClientID, panel)
}

// toggle flips a panel on (with state s) or off, as the guide's
// "(on/off)" links do.
func (h *adminUI) toggle(ctx context.Context, a provision.Actor, panel string, s panelState) error {
	state, err := h.panels.Panels(ctx, a.Admin.ID, a.ClientID)
	if err != nil {
		return err
	}
	if _, on := state[panel]; on {
		return h.panels.HidePanel(ctx, a.Admin.ID, a.ClientID, panel)
	}
	return h.panels.Set(ctx, a.Admin.ID, a.ClientID, panel, s)
}
