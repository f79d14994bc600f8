package handlers_test

import (
	"net/http"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"staas/views"
	"staas/whmcsbridge"
)

// TestActionAnswersNameWhereTheResultShows: every admin action's answer
// names the element of the client's page that shows its outcome, and that
// element is on the page the shim redirects to, so the browser scrolls to
// it instead of leaving the admin at the top.
func TestActionAnswersNameWhereTheResultShows(t *testing.T) {
	if views.AnchorResult != whmcsbridge.AnchorResult {
		t.Fatalf("views.AnchorResult %q and the shim's fallback %q differ", views.AnchorResult, whmcsbridge.AnchorResult)
	}
	a := newApp(t)
	cases := []struct {
		what, action string
		params       map[string]string
		status       int
		anchor       string
		// on is where the anchor must be: the panels or the links.
		on func() *goquery.Document
		// inside must be found inside the anchored element.
		inside string
	}{
		{"a message", "create-user", nil, 200, "staas-result", func() *goquery.Document { return a.panels(fullAdmin) }, ".alert-success"},
		{"a panel that opened", "toggle-users", nil, 200, "staas-panel-users", func() *goquery.Document { return a.panels(fullAdmin) }, "table"},
		{"the links after a panel closed", "toggle-users", nil, 200, "staas-links-user", func() *goquery.Document { return a.links(fullAdmin) }, "button"},
		{"a Get's panel", "user-limits-get", nil, 200, "staas-panel-user-limits", func() *goquery.Document { return a.panels(fullAdmin) }, "table"},
		{"a confirmation", "disable-user", nil, 200, "staas-confirm", func() *goquery.Document { return a.links(fullAdmin) }, "#staas-confirm-question"},
		{"a form with field errors", "quota-set", map[string]string{"bucket": "", "quota-gb": "lots"}, http.StatusBadRequest, "staas-links-quota", func() *goquery.Document { return a.links(fullAdmin) }, ".has-error"},
		{"a refused action's flash", "enable-user", nil, http.StatusForbidden, "staas-result", func() *goquery.Document { return a.panels(fullAdmin) }, ".alert-danger"},
	}
	for _, c := range cases {
		admin := fullAdmin
		if c.status == http.StatusForbidden {
			admin = viewer
		}
		status, body := a.act(admin, c.action, c.params)
		if status != c.status {
			t.Fatalf("%s (%s): HTTP %d %v, want %d", c.what, c.action, status, body, c.status)
		}
		if got, _ := body["anchor"].(string); got != c.anchor {
			t.Errorf("%s (%s): anchor %q, want %q", c.what, c.action, got, c.anchor)
			continue
		}
		var doc *goquery.Document
		if admin.ID == viewer.ID {
			doc = a.panels(viewer)
		} else {
			doc = c.on()
		}
		el := doc.Find("#" + c.anchor)
		if el.Length() != 1 {
			t.Errorf("%s (%s): the page has %d elements with id %q, want 1", c.what, c.action, el.Length(), c.anchor)
			continue
		}
		if el.Find(c.inside).Length() == 0 {
			t.Errorf("%s (%s): #%s holds no %s: %q", c.what, c.action, c.anchor, c.inside, el.Text())
		}
		if c.action == "disable-user" {
			a.act(fullAdmin, "cancel", nil)
		}
	}
}
