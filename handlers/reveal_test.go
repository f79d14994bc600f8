package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"staas/internal/ostor"
)

// Revealing a client's secret needs "Perform Server Operations": a
// view-only admin is refused, the refusal is audited, and no page of
// theirs shows the secret.
func TestRevealSecret_NeedsServerOperations(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	key := u.Keys[0]
	a.act(viewer, "toggle-user", nil)
	status, body := a.act(viewer, "reveal-secret", map[string]string{"access_key": key.AccessKeyID})
	if status != http.StatusForbidden || !strings.Contains(body["message"].(string), "Perform Server Operations") {
		t.Fatalf("a viewer's reveal: %d %v, want 403 naming the permission", status, body)
	}
	if e := lastAudit(t, a, "reveal-secret"); e.Result != "forbidden" || e.AdminID != viewer.ID {
		t.Errorf("audit row of the refused reveal: %+v", e)
	}
	doc := a.panels(viewer)
	if strings.Contains(doc.Text(), key.SecretAccessKey) {
		t.Fatal("a view-only admin sees the secret")
	}
	if doc.Find(".staas-secret-masked").Length() == 0 {
		t.Error("the viewer's user panel shows no masked key")
	}
	if b := a.links(viewer); b.Find(`button[value="reveal-secret"]:not([disabled])`).Length() != 0 {
		t.Error("the viewer has an enabled Reveal button in the links")
	}
	if doc.Find(`button[value="reveal-secret"]:not([disabled])`).Length() != 0 {
		t.Error("the viewer has an enabled Reveal button")
	}
}

// A revealed secret shows on the next page only, as in the client area;
// before, it stayed on every later page load.
func TestRevealSecret_ShowsOnce(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	key := u.Keys[0]
	if status, body := a.act(fullAdmin, "reveal-secret", map[string]string{"access_key": key.AccessKeyID}); status != http.StatusOK {
		t.Fatalf("reveal: %d %v", status, body)
	}
	if doc := a.panels(fullAdmin); doc.Find(".staas-secret-revealed").Text() != key.SecretAccessKey {
		t.Fatal("the page after the reveal does not show the secret")
	}
	for i := range 2 {
		doc := a.panels(fullAdmin)
		if strings.Contains(doc.Text(), key.SecretAccessKey) {
			t.Fatalf("page load %d after the reveal still shows the secret", i+2)
		}
		if doc.Find(".staas-secret-masked").Length() != 1 {
			t.Errorf("page load %d: the user panel is gone or the key is not masked", i+2)
		}
	}
}
