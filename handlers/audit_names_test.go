package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"staas"
)

// TestAuditNamesTheAdminAndTheWrongField: the audit log says who acted by
// the name WHMCS gave (not only an id), and a refused form's row says
// which field was wrong and why.
func TestAuditNamesTheAdminAndTheWrongField(t *testing.T) {
	a := auditApp(t)
	jane := staas.Admin{ID: fullAdmin.ID, Permissions: fullAdmin.Permissions, Name: "Jane Doe (jdoe)"}
	if status, body := a.act(jane, "create-user", nil); status != 200 {
		t.Fatalf("create-user: %d %v", status, body)
	}
	status, body := a.act(jane, "user-limits-set", map[string]string{"ops-name": "get", "ops-value": "lots", "bandwidth-name": "out", "bandwidth-value": "-5"})
	if status != http.StatusBadRequest {
		t.Fatalf("a bad form: %d %v", status, body)
	}
	// An older shim sends no name: the action still runs, the row has the id.
	if status, body := a.act(fullAdmin, "toggle-audit", nil); status != 200 {
		t.Fatalf("toggle-audit without a name: %d %v", status, body)
	}
	rows := a.panels(fullAdmin).Find("#staas-panel-audit tr.altrow")
	if rows.Length() < 2 {
		t.Fatalf("%d audit rows, want the create and the refused form", rows.Length())
	}
	byAction := map[string]*goquery.Selection{}
	rows.Each(func(_ int, r *goquery.Selection) {
		byAction[strings.TrimSpace(r.Find("td").Eq(2).Text())] = r
	})
	for _, action := range []string{"create-user", "user-limits-set"} {
		r := byAction[action]
		if r == nil {
			t.Fatalf("no audit row for %s", action)
		}
		if got := strings.TrimSpace(r.Find(".staas-actor").Text()); got != "Jane Doe (jdoe) (admin 1)" {
			t.Errorf("%s: the row says it was %q, want the admin's name and id", action, got)
		}
	}
	msg := strings.TrimSpace(byAction["user-limits-set"].Find("td").Last().Text())
	for _, want := range []string{"Ops limit: Enter a number of operations per second", "Bandwidth limit: Enter a whole number of KB/s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refused form's row reads %q; want it to say %q", msg, want)
		}
	}
}
