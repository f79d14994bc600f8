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
	views.ActToggleStats:     views.PanelStats,
	views.ActStatsPage:       views.PanelStats,
	views.ActToggleUsage:     views.PanelUsage,
	views.ActUsageDays:       views.PanelUsage,
	views.ActToggleAudit:     views.PanelAudit,
	views.ActAuditPage:       views.PanelAudit,
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

// formPanels are the kept forms by the panel their Get button opens, which
// names the links group they sit in.
var formPanels = map[string]string{
	formUserLimits:   views.PanelUserLimits,
	formBucketLimits: views.PanelBucketLimits,
	formQuota:        views.PanelQuotas,
	formObject:       views.PanelObject,
}

// errorAnchor is where the admin lands after a failed action: the form
// the action kept with its field errors, else the error's flash.
func (h *adminUI) errorAnchor(ctx context.Context, a provision.Actor) string {
	state, err := h.panels.Panels(ctx, a.Admin.ID, a.ClientID)
	if err != nil {
		return views.AnchorResult
	}
	for form, panel := range formPanels {
		if _, kept := state[form]; kept {
			return views.LinksAnchor(panel)
		}
	}
	return views.AnchorResult
}
