package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"staas/internal/ostor"
	"staas/standin/ostorsim"
)

// pressParams are the parameters the form of the button sel selects posts
// (its hidden fields and inputs, without the shim's token and client id),
// as a browser would send them when the admin presses it.
func pressParams(t *testing.T, doc *goquery.Document, sel string) (string, map[string]string) {
	t.Helper()
	b := doc.Find(sel)
	if b.Length() != 1 {
		t.Fatalf("%d buttons %s on the page", b.Length(), sel)
	}
	p := map[string]string{}
	b.Closest("form").Find("input[name], select[name]").Each(func(_ int, f *goquery.Selection) {
		if name := f.AttrOr("name", ""); name != "token" && name != "userid" {
			p[name] = f.AttrOr("value", "")
		}
	})
	return b.AttrOr("value", ""), p
}

// question is the pending confirmation's question, wherever on the
// client's page it renders (the links or the panels); "" when none.
func (a *app) question() string {
	l, p := a.confirmBoxes()
	return strings.TrimSpace(l.Find("#staas-confirm-question").Text() + p.Find("#staas-confirm-question").Text())
}

// asking is how many Confirm forms the client's page has. It reads the
// links and the panels, which takes the flashes and kept forms: a test
// that reads those too counts its own pages with asks.
func (a *app) asking() int {
	return asks(a.links(fullAdmin), a.panels(fullAdmin))
}

// asks is how many Confirm forms the pages hold.
func asks(docs ...*goquery.Document) int {
	n := 0
	for _, d := range docs {
		n += d.Find(`input[name="confirm"][value="yes"]`).Length()
	}
	return n
}

// confirmBoxes are the page's confirmation boxes: those of the links and
// those of the panels, as WHMCS puts both on the client's page.
func (a *app) confirmBoxes() (links, panels *goquery.Selection) {
	return a.links(fullAdmin).Find(".staas-confirm"), a.panels(fullAdmin).Find(".staas-confirm")
}

// A destructive action's confirmation renders next to what asked for it:
// inside the "Other Actions" group of its button, or inside the panel of
// its row's button, under that row. It is on the page once, with its own
// id, which the asking answer names so the shim redirects to it; it keeps
// the CSRF token, the typed-name field and a working Cancel. (Before, it
// rendered with the flashes at #staas-result, at the top of the panels,
// and the answer named that.)
func TestConfirmationRendersWhereItWasAsked(t *testing.T) {
	a := newPurgingApp(t)
	ctx := context.Background()
	if status, body := a.act(fullAdmin, "create-user", nil); status != http.StatusOK {
		t.Fatalf("create-user: %d %v", status, body)
	}
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	alice, err := a.Store.S3User(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj := putUsageObject(t, a, alice.UserID)
	// Creating the user showed its panel; the statistics list is toggled.
	a.act(fullAdmin, "toggle-stats", nil)

	type place struct {
		inLinks bool
		id      string // the group or panel that must hold the box
		row     string // the row it must follow, in a panel
	}
	ask := func(what string, action string, params map[string]string, want place) {
		t.Helper()
		status, body := a.act(fullAdmin, action, params)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", what, status, body)
		}
		if got := body["anchor"]; got != "staas-confirm" {
			t.Errorf("%s: the answer's anchor is %q, want the confirmation's own id staas-confirm", what, got)
		}
		links, panels := a.links(fullAdmin), a.panels(fullAdmin)
		all := links.Find(".staas-confirm").Length() + panels.Find(".staas-confirm").Length()
		ids := links.Find("#staas-confirm").Length() + panels.Find("#staas-confirm").Length()
		if all != 1 || ids != 1 {
			t.Fatalf("%s: %d confirmation boxes (%d with the id staas-confirm) on the page, want 1", what, all, ids)
		}
		doc, other := panels, links
		if want.inLinks {
			doc, other = links, panels
		}
		box := doc.Find("#" + want.id + " #staas-confirm.staas-confirm")
		if box.Length() != 1 {
			where := "elsewhere"
			if b := other.Find("#staas-confirm"); b.Length() > 0 {
				where = "in the other hook's HTML, in #" + b.Parents().Filter("[id]").First().AttrOr("id", "?")
			} else if b := doc.Find("#staas-confirm"); b.Length() > 0 {
				where = "in #" + b.Parents().Filter("[id]").First().AttrOr("id", "?")
			}
			t.Fatalf("%s: the confirmation is not inside #%s but %s", what, want.id, where)
		}
		if want.row != "" {
			prev := box.Closest("tr").Prev()
			if !strings.Contains(prev.Text(), want.row) {
				t.Errorf("%s: the confirmation follows the row %q, want the row of %s", what, strings.Join(strings.Fields(prev.Text()), " "), want.row)
			}
		}
		if box.Find(`form input[name="token"][value="tok123"]`).Length() != 2 {
			t.Errorf("%s: Confirm and Cancel do not both carry the CSRF token", what)
		}
		if box.Find(`input[name="confirm"][value="yes"]`).Closest("form").Find(`button[value="`+action+`"]`).Length() != 1 {
			t.Errorf("%s: no Confirm for %s in the box", what, action)
		}
		if box.Find(`button[value="cancel"]`).Length() != 1 {
			t.Errorf("%s: no Cancel in the box", what)
		}
	}
	cancel := func(what string) {
		t.Helper()
		a.act(fullAdmin, "cancel", nil)
		if l, p := a.confirmBoxes(); l.Length()+p.Length() != 0 {
			t.Errorf("%s: the confirmation stays after Cancel", what)
		}
	}

	// The "Other Actions" groups.
	ask("Delete User", "delete-user", nil, place{inLinks: true, id: "staas-links-user"})
	cancel("Delete User")
	ask("Disable User", "disable-user", nil, place{inLinks: true, id: "staas-links-user"})
	cancel("Disable User")
	ask("User Limits Delete", "user-limits-delete", nil, place{inLinks: true, id: "staas-links-user-limits"})
	cancel("User Limits Delete")

	if err := a.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	ask("Bucket Limits Delete", "bucket-limits-delete", map[string]string{"bucket": "alice-data"}, place{inLinks: true, id: "staas-links-bucket-limits"})
	cancel("Bucket Limits Delete")
	ask("Quota Delete", "quota-delete", map[string]string{"quota-of": "user"}, place{inLinks: true, id: "staas-links-quota"})
	cancel("Quota Delete")
	action, params := pressParams(t, a.links(fullAdmin), `#staas-links-stats button[value="stats-delete"]`)
	params["object"] = obj
	ask("Usage Statistics Delete", action, params, place{inLinks: true, id: "staas-links-stats"})
	cancel("Usage Statistics Delete")

	// The panels' rows.
	action, params = pressParams(t, a.panels(fullAdmin), `#staas-panel-stats form:has(input[value="`+obj+`"]) button[value="stats-delete"]`)
	ask("the statistics list's Delete", action, params, place{id: "staas-panel-stats", row: obj})
	cancel("the statistics list's Delete")
	victim := u.Keys[0].AccessKeyID
	action, params = pressParams(t, a.panels(fullAdmin), `#staas-panel-user form:has(input[value="`+victim+`"]) button[value="revoke-key"]`)
	ask("Revoke", action, params, place{id: "staas-panel-user", row: victim})
	cancel("Revoke")

	a.act(fullAdmin, "toggle-buckets", nil)
	action, params = pressParams(t, a.panels(fullAdmin), `#staas-panel-buckets form:has(input[value="alice-data"]) button[value="purge-bucket"]`)
	ask("Empty and delete", action, params, place{id: "staas-panel-buckets", row: "alice-data"})
	_, panels := a.confirmBoxes()
	if panels.Find(`input[name="confirm-name"][required]`).Length() != 1 {
		t.Fatal("Empty and delete's confirmation has no typed-name field")
	}
	// A wrong name goes back to the same question, by its field.
	status, body := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "alice"})
	if status == http.StatusOK || body["anchor"] != "staas-confirm" {
		t.Errorf("a wrong typed name: %d, anchor %v, want refused with the anchor staas-confirm", status, body["anchor"])
	}
	box := a.panels(fullAdmin).Find("#staas-panel-buckets #staas-confirm")
	if box.Find("#staas-confirm-name-error").Length() != 1 {
		t.Errorf("after a wrong name the buckets panel's confirmation says %q", box.Text())
	}
	cancel("Empty and delete")

	// The asking panel is not on the page: the box falls back to the
	// flashes, still once.
	a.act(fullAdmin, "toggle-user", nil)
	ask("Revoke with the user panel hidden", "revoke-key", map[string]string{"access_key": victim}, place{id: "staas-result"})
	cancel("Revoke with the user panel hidden")
}

// A panel an action opened that cannot be read still renders its frame,
// with its id and the sentence saying why, so the anchor of the action's
// answer lands on it instead of at the top of the page. (Before, only a
// flash said it and the anchor named an element that was not there.)
func TestFailedPanelKeepsItsFrame(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	a.act(fullAdmin, "hide-panel", map[string]string{"panel": "user"})
	a.Sim.SetFaults(ostorsim.Faults{Burst5xx: 1000})
	defer a.Sim.SetFaults(ostorsim.Faults{})

	for _, c := range []struct{ action, panel, title string }{
		{"toggle-buckets", "staas-panel-buckets", "S3 Buckets"},
		{"toggle-user", "staas-panel-user", "S3 Information for User"},
	} {
		status, body := a.act(fullAdmin, c.action, nil)
		if status != http.StatusOK || body["anchor"] != c.panel {
			t.Fatalf("%s with the gateway down: %d, anchor %v, want %s", c.action, status, body["anchor"], c.panel)
		}
		doc := a.panels(fullAdmin)
		frame := doc.Find("#" + c.panel)
		if frame.Length() != 1 {
			t.Fatalf("%s: the page has no #%s for the anchor to land on", c.action, c.panel)
		}
		if title := strings.TrimPrefix(strings.TrimSpace(frame.Find(".title").Text()), "×"); !strings.HasPrefix(title, c.title) {
			t.Errorf("%s: the frame's title is %q, want %q", c.action, title, c.title)
		}
		msg := strings.TrimSpace(frame.Find(".alert-danger").Text())
		if msg == "" || !strings.HasSuffix(msg, ".") || strings.Contains(msg, "ostor:") {
			t.Errorf("%s: the frame says %q, want a sentence saying why", c.action, msg)
		}
		if frame.Find(`button[value="hide-panel"]`).Length() != 1 {
			t.Errorf("%s: the frame cannot be hidden", c.action)
		}
		if doc.Find("#staas-result .alert-danger").Length() != 0 {
			t.Errorf("%s: the reason shows twice, in the frame and as a flash: %q", c.action, doc.Find("#staas-result").Text())
		}
	}
}

// Cancel takes the admin back to where the question was asked, not to
// the first links group (before, every Cancel landed on
// #staas-links-user, however far down the question had been).
func TestCancelLandsWhereTheQuestionWas(t *testing.T) {
	a := newApp(t)
	if status, body := a.act(fullAdmin, "create-user", nil); status != http.StatusOK {
		t.Fatalf("create-user: %d %v", status, body)
	}
	if status, body := a.act(fullAdmin, "user-limits-delete", nil); status != http.StatusOK || body["anchor"] != "staas-confirm" {
		t.Fatalf("user-limits-delete: %d %v, want the question at staas-confirm", status, body)
	}
	status, body := a.act(fullAdmin, "cancel", nil)
	if status != http.StatusOK || body["anchor"] != "staas-links-user-limits" {
		t.Fatalf("cancel: %d anchor %v, want staas-links-user-limits (where the question was)", status, body["anchor"])
	}
	if a.asking() != 0 {
		t.Error("the question is still on the page after Cancel")
	}
	// With no question pending, Cancel lands on the links as before.
	if _, body := a.act(fullAdmin, "cancel", nil); body["anchor"] != "staas-links-user" {
		t.Errorf("cancel with nothing pending: anchor %v", body["anchor"])
	}
}
