package handlers

import (
	"slices"
	"testing"

	"staas/views"
	"staas/whmcsbridge"
)

// Every action that opens a panel is an action, and every anchor staas
// can answer passes the shim's check (else the shim would fall back to
// the flashes and the admin would not land on the panel).
func TestActionPanelsAreActionsWithValidAnchors(t *testing.T) {
	for action, panel := range actionPanels {
		if _, ok := adminActions[action]; !ok {
			t.Errorf("actionPanels names %q, which is no action", action)
		}
		if !slices.Contains(panelNames, panel) {
			t.Errorf("%s opens %q, which is no panel", action, panel)
		}
	}
	for _, panel := range append(panelNames, "") {
		for _, anchor := range []string{views.PanelAnchor(panel), views.LinksAnchor(panel)} {
			if !whmcsbridge.ValidAnchor(anchor) {
				t.Errorf("the anchor %q of panel %q fails the shim's check", anchor, panel)
			}
		}
	}
}
