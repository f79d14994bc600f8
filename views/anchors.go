// Package views renders what WHMCS shows of staas: the action links and the
// summary panels of a client's page in the WHMCS admin area. The markup
// uses WHMCS's own admin classes (clientssummarybox, clientssummarystats) so
// it sits natively on the page. Components take the view models of
// model.go, shaped like the screen; handlers build them
// (handlers/viewmodels.go) from the services' results.
package views

// This package comment sits in anchors.go, the first file by name: the
// generated *_templ.go files carry templ's version comment, which go doc
// would show instead.

// Anchors are the ids of the places on the client summary page where an
// action's outcome shows. The shim redirects back to the page with one of
// them as the fragment, so the browser scrolls the result into view
// instead of leaving the admin at the top of a long page.
const (
	// AnchorResult holds the flash messages, and a pending confirmation
	// whose asking place is not on the page: the first thing of staas's
	// panels (whmcsbridge.AnchorResult, the shim's fallback, is the same id).
	AnchorResult = "staas-result"

	// AnchorConfirm is the pending confirmation's own box, wherever it
	// renders: inside the "Other Actions" group or the panel whose button
	// asked for it (ConfirmVM.At), else under AnchorResult. A page has at
	// most one.
	AnchorConfirm = "staas-confirm"

	anchorLinksUser         = "staas-links-user"
	anchorLinksUserLimits   = "staas-links-user-limits"
	anchorLinksBucketLimits = "staas-links-bucket-limits"
	anchorLinksQuota        = "staas-links-quota"
	anchorLinksStats        = "staas-links-stats"
)

// PanelAnchor is the id of a panel's box.
func PanelAnchor(panel string) string { return "staas-panel-" + panel }

// LinksAnchor is the id of the "Other Actions" group whose links or form
// open the panel: where the admin is taken back to when a toggle hid it.
func LinksAnchor(panel string) string {
	switch panel {
	case PanelStats, PanelObject, PanelUsage:
		return anchorLinksStats
	case PanelUserLimits:
		return anchorLinksUserLimits
	case PanelBucketLimits:
		return anchorLinksBucketLimits
	case PanelQuotas:
		return anchorLinksQuota
	}
	return anchorLinksUser
}

// linksAnchors are the ids of the "Other Actions" groups.
var linksAnchors = []string{anchorLinksUser, anchorLinksUserLimits, anchorLinksBucketLimits, anchorLinksQuota, anchorLinksStats}

// ConfirmInLinks says whether a confirmation asked at the element with
// id at renders in the "Other Actions" groups (the links hook) rather than
// in the panels: both hooks ask it, so the box renders exactly once.
func ConfirmInLinks(at string) bool {
	for _, id := range linksAnchors {
		if id == at {
			return true
		}
	}
	return false
}
