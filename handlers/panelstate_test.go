package handlers_test

import (
	"context"
	"strings"
	"testing"

	"staas/views"
)

// A row the store kept from before the typed panel state (url-encoded
// parameters) still opens its panel with its subject, and the next
// toggle stores it as JSON.
func TestPanelState_OldRowInTheStoreStillRenders(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	if err := a.Store.SetPanel(ctx, fullAdmin.ID, 1, views.PanelUsage, "days=90"); err != nil {
		t.Fatal(err)
	}
	if got := a.panels(fullAdmin).Find("#staas-panel-usage").Text(); !strings.Contains(got, "90 days") {
		t.Errorf("the usage history kept as %q shows %q", "days=90", got)
	}
	a.act(fullAdmin, "usage-days", map[string]string{"days": "30"})
	p, err := a.Store.Panels(ctx, fullAdmin.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := p[views.PanelUsage]; got != `{"days":30}` {
		t.Errorf("the usage history is stored as %q", got)
	}
}
