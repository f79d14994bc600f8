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

// Every destructive action says where it is asked from, so its
// confirmation renders next to its button; that place, and the
// confirmation's own id, pass the shim's check.
func TestDestructiveActionsHaveAConfirmationPlace(t *testing.T) {
	if !whmcsbridge.ValidAnchor(views.AnchorConfirm) {
		t.Errorf("the confirmation's id %q fails the shim's check", views.AnchorConfirm)
	}
	for name, act := range adminActions {
		at, ok := confirmPlaces[name]
		if act.destructive != ok {
			t.Errorf("%s: destructive %v, but a confirmation place %q", name, act.destructive, at)
			continue
		}
		if ok && !whmcsbridge.ValidAnchor(at) {
			t.Errorf("%s: the place %q fails the shim's check", name, at)
		}
	}
	for name, panel := range confirmFrom {
		if !slices.Contains(actionParams[name], views.FieldFrom) {
			t.Errorf("%s can be asked from the %s panel but does not take %q", name, panel, views.FieldFrom)
		}
		if got := confirmAt(name, map[string]string{views.FieldFrom: "users"}); got != confirmPlaces[name] {
			t.Errorf("%s with from=users is asked at %q, want its own place %q", name, got, confirmPlaces[name])
		}
	}
}
