package handlers

import (
	"context"

	"staas/internal/provision"
	"staas/views"
)

// Where an admin action's outcome shows on the client's summary page: the
// action's answer names it (whmcsbridge.ActionResponse.Anchor) and the
// shim redirects there, so the browser scrolls to the result.

// actionPanels are the panels the actions open: where the admin is taken
// when the panel is showing afterwards and there is no message first.
var actionPanels = map[string]string{
	views.ActRevealSecret:    views.PanelUser,
	views.ActToggleUser:      views.PanelUser,
	views.ActToggleUsers:     views.PanelUsers,
	views.ActUsersPage:       views.PanelUsers,
	views.ActToggleBuckets:   views.PanelBuckets,
	views.ActBucketsPage:     views.PanelBuckets,
	views.ActToggleStats:     views.PanelStats,
	views.ActStatsPage:       views.PanelStats,
	views.ActToggleUsage:     views.PanelUsage,
	views.ActUsageDays:       views.PanelUsage,
	views.ActToggleAudit:     views.PanelAudit,
	views.ActAuditPage:       views.PanelAudit,
	views.ActToggleBilling:   views.PanelBilling,
	views.ActBillingUnit:     views.PanelBilling,
	views.ActUserLimitsGet:   views.PanelUserLimits,
	views.ActBucketLimitsGet: views.PanelBucketLimits,
	views.ActQuotaGet:        views.PanelQuotas,
	views.ActStatsGet:        views.PanelObject,
}

// anchor is where the admin lands after a successful action: the message
// when there is one (the flashes come first on the page), else the panel
// the action opened, else the links group that opens it (the panel was
// toggled off), else the first links group. A failed action lands on its
// flash (AnchorResult) or, when it kept a form with field errors, on that
// form (errorAnchor).
func (h *adminUI) anchor(ctx context.Context, a provision.Actor, action, msg string) string {
	if msg != "" {
		return views.AnchorResult
	}
	panel := actionPanels[action]
	if panel == "" {
		// Nothing new shows (Cancel, hiding a panel): back to the links.
		return views.LinksAnchor("")
	}
	state, err := h.panels.Panels(ctx, a.Admin.ID, a.ClientID)
	if err != nil {
		return views.AnchorResult
	}
	if _, on := state[panel]; on {
		return views.PanelAnchor(panel)
	}
	return views.LinksAnchor(panel)
}

// actionForms are the forms an action keeps when it fails (keepForm), by
// action: a failed action lands on its own form, never on another one an
// earlier refusal left kept.
var actionForms = map[string]string{
	views.ActCreateUser:         formCreateUser,
	views.ActUserLimitsSet:      formUserLimits,
	views.ActBucketLimitsSet:    formBucketLimits,
	views.ActBucketLimitsGet:    formBucketLimits,
	views.ActBucketLimitsDelete: formBucketLimits,
	views.ActQuotaSet:           formQuota,
	views.ActQuotaGet:           formQuota,
	views.ActQuotaDelete:        formQuota,
	views.ActStatsGet:           formObject,
	views.ActStatsDelete:        formObject,
}

// formPanels are the kept forms by the panel their Get button opens, which
// names the links group they sit in.
var formPanels = map[string]string{
	formCreateUser:   views.PanelUser,
	formUserLimits:   views.PanelUserLimits,
	formBucketLimits: views.PanelBucketLimits,
	formQuota:        views.PanelQuotas,
	formObject:       views.PanelObject,
}

// errorAnchor is where the admin lands after the action failed: the form
// the action kept with its field errors, else the error's flash.
func (h *adminUI) errorAnchor(ctx context.Context, a provision.Actor, action string) string {
	form := actionForms[action]
	if form == "" {
		return views.AnchorResult
	}
	state, err := h.panels.Panels(ctx, a.Admin.ID, a.ClientID)
	if err != nil {
		return views.AnchorResult
	}
	if _, kept := state[form]; kept {
		return views.LinksAnchor(formPanels[form])
	}
	return views.AnchorResult
}

// confirmPlaces are where each destructive action is asked from: the
// "Other Actions" group of its button, or the panel of its row's button.
// The confirmation renders there (views.ConfirmVM.At) and the answer that
// asks takes the admin to it (views.AnchorConfirm).
var confirmPlaces = map[string]string{
	views.ActDeleteUser:         views.LinksAnchor(views.PanelUser),
	views.ActDisableUser:        views.LinksAnchor(views.PanelUser),
	views.ActUserLimitsDelete:   views.LinksAnchor(views.PanelUserLimits),
	views.ActBucketLimitsDelete: views.LinksAnchor(views.PanelBucketLimits),
	views.ActQuotaDelete:        views.LinksAnchor(views.PanelQuotas),
	views.ActStatsDelete:        views.LinksAnchor(views.PanelStats),
	views.ActRevokeKey:          views.PanelAnchor(views.PanelUser),
	views.ActPurgeBucket:        views.PanelAnchor(views.PanelBuckets),
}

// confirmFrom are the actions a panel's rows can ask too, besides their
// place in confirmPlaces, by that panel (views.FieldFrom).
var confirmFrom = map[string]string{
	views.ActStatsDelete: views.PanelStats,
}

// confirmAt is the id of the place that asked for the action's
// confirmation: the panel the button says it sits in (views.FieldFrom),
// when the action can be asked there, else the action's own place.
func confirmAt(action string, p map[string]string) string {
	if panel := confirmFrom[action]; panel != "" && p[views.FieldFrom] == panel {
		return views.PanelAnchor(panel)
	}
	if at := confirmPlaces[action]; at != "" {
		return at
	}
	return views.AnchorResult
}

// askedAt is the place of the pending confirmation's question (the
// links group or panel that asked), "" when none is pending or it names
// no place this staas knows (a question parked before the places came).
func (h *adminUI) askedAt(ctx context.Context, a provision.Actor) string {
	state, err := h.panels.Panels(ctx, a.Admin.ID, a.ClientID)
	if err != nil {
		return ""
	}
	s, pending := state[stateConfirm]
	if !pending {
		return ""
	}
	var at string
	if s.Confirm != nil {
		at = s.Confirm.At
	}
	for _, place := range confirmPlaces {
		if at == place {
			return at
		}
	}
	for _, panel := range confirmFrom {
		if at == views.PanelAnchor(panel) {
			return at
		}
	}
	return ""
}
