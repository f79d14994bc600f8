package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"staas"
	"staas/handlers"
	"staas/standin/testworld"
)

// auditApp is an app whose handlers read the audit log from the store.
func auditApp(t *testing.T) *app {
	t.Helper()
	return newAppWith(t, func(w *testworld.World, d *handlers.Deps) { d.Audit = w.Store })
}

// auditRows are the audit panel's rows: time, admin, action, parameters,
// result, message.
func auditRows(doc *goquery.Document) [][]string {
	var out [][]string
	doc.Find("#staas-panel-audit .staas-audit tr.altrow").Each(func(_ int, r *goquery.Selection) {
		var cells []string
		r.Find("td").Each(func(_ int, c *goquery.Selection) {
			cells = append(cells, strings.Join(strings.Fields(c.Text()), " "))
		})
		out = append(out, cells)
	})
	return out
}

// pagerBefore is the before value of the audit pager's button labelled
// label, and whether there is one.
func pagerBefore(doc *goquery.Document, label string) (string, bool) {
	b := doc.Find(`#staas-panel-audit .staas-pager button[value="audit-page"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Text()) == label
	})
	if b.Length() != 1 {
		return "", false
	}
	return b.Closest("form").Find(`input[name="before"]`).AttrOr("value", ""), true
}

func TestAuditLog_ShowsTheClientsActions(t *testing.T) {
	a := auditApp(t)
	// The toggle is offered, enabled, before the client has an S3 user.
	if b := button(a.links(viewer), "toggle-audit"); b.Length() != 1 || strings.TrimSpace(b.Text()) != "Audit log: hidden" {
		t.Fatalf("no Audit log toggle: %q", b.Text())
	} else if _, disabled := b.Attr("disabled"); disabled {
		t.Error("the audit toggle is disabled for a viewer")
	}
	if b := a.links(fullAdmin).Find("#staas-links-user button").Last(); b.AttrOr("value", "") != "toggle-audit" {
		t.Errorf("the audit toggle is not the last of S3 - User Management: %q", b.Text())
	}

	if status, body := a.act(fullAdmin, "create-user", nil); status != 200 {
		t.Fatalf("create-user: %d %v", status, body)
	}
	if status, _ := a.act(viewer, "disable-user", map[string]string{"confirm": "yes"}); status != http.StatusForbidden {
		t.Fatalf("viewer disable-user: %d, want 403", status)
	}
	if status, body := a.act(viewer, "toggle-audit", nil); status != 200 {
		t.Fatalf("toggle-audit: %d %v", status, body)
	}
	if b := button(a.links(viewer), "toggle-audit"); strings.TrimSpace(b.Text()) != "Audit log: shown" {
		t.Errorf("toggle after turning on: %q", b.Text())
	}
	doc := a.panels(viewer)
	if !strings.Contains(doc.Find("#staas-panel-audit .title").Text(), "S3 Audit Log") {
		t.Fatalf("no audit panel: %q", doc.Text())
	}
	rows := auditRows(doc)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %q", len(rows), rows)
	}
	// Newest first: the viewer's refused action, then the creation.
	refused, created := rows[0], rows[1]
	if refused[1] != "admin 2" || refused[2] != "disable-user" || refused[3] != "confirm=yes" || refused[4] != staas.EFORBIDDEN ||
		!strings.Contains(refused[5], "Perform Server Operations") {
		t.Errorf("refused row %q", refused)
	}
	if created[1] != "admin 1" || created[2] != "create-user" || created[4] != "ok" || !strings.Contains(created[5], "created") {
		t.Errorf("created row %q", created)
	}
	for _, r := range rows {
		at, err := time.Parse("2006-01-02 15:04:05 UTC", r[0])
		if err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Minute {
			t.Errorf("time %q: %v", r[0], err)
		}
	}
	if doc.Find("#staas-panel-audit .text-danger.staas-result").Length() != 1 || doc.Find("#staas-panel-audit .text-success.staas-result").Length() != 1 {
		t.Error("results are not styled as ok and refused")
	}
	if _, ok := pagerBefore(doc, "Older"); ok {
		t.Error("two entries offer an older page")
	}

	// Toggling again hides it.
	a.act(viewer, "toggle-audit", nil)
	if a.panels(viewer).Find("#staas-panel-audit").Length() != 0 {
		t.Error("the second toggle did not hide the panel")
	}
}

func TestAuditLog_Paging(t *testing.T) {
	a := auditApp(t)
	ctx := context.Background()
	at := time.Now().UTC().Add(-time.Hour)
	var ids []int64
	for i := range 60 {
		id, err := a.Store.AddAudit(ctx, staas.AuditEntry{At: at.Add(time.Duration(i) * time.Second), AdminID: 1, ClientID: 1,
			Action: "quota-get", Params: map[string]string{"bucket": "b" + strconv.Itoa(i)}, Result: "ok"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := a.Store.AddAudit(ctx, staas.AuditEntry{AdminID: 1, ClientID: 2, Action: "create-user", Result: "ok", Message: "another client"}); err != nil {
		t.Fatal(err)
	}
	a.act(fullAdmin, "toggle-audit", nil)
	doc := a.panels(fullAdmin)
	rows := auditRows(doc)
	if len(rows) != 50 || rows[0][3] != "bucket=b59" || rows[49][3] != "bucket=b10" {
		t.Fatalf("newest page: %d rows, first %q", len(rows), rows[0])
	}
	if strings.Contains(doc.Text(), "another client") {
		t.Error("another client's entry shows")
	}
	before, ok := pagerBefore(doc, "Older")
	if !ok || before != strconv.FormatInt(ids[10], 10) {
		t.Fatalf("Older before=%q (%v), want %d", before, ok, ids[10])
	}
	if _, ok := pagerBefore(doc, "Newest"); ok {
		t.Error("the newest page offers Newest")
	}

	if status, body := a.act(fullAdmin, "audit-page", map[string]string{"before": before}); status != 200 {
		t.Fatalf("audit-page: %d %v", status, body)
	}
	doc = a.panels(fullAdmin)
	rows = auditRows(doc)
	if len(rows) != 10 || rows[0][3] != "bucket=b9" || rows[9][3] != "bucket=b0" {
		t.Fatalf("older page: %d rows %q", len(rows), rows)
	}
	if _, ok := pagerBefore(doc, "Older"); ok {
		t.Error("the last page offers Older")
	}
	newest, ok := pagerBefore(doc, "Newest")
	if !ok || newest != "" {
		t.Fatalf("Newest before=%q (%v)", newest, ok)
	}
	if status, body := a.act(fullAdmin, "audit-page", map[string]string{"before": newest}); status != 200 {
		t.Fatalf("audit-page newest: %d %v", status, body)
	}
	if rows := auditRows(a.panels(fullAdmin)); len(rows) != 50 || rows[0][3] != "bucket=b59" {
		t.Errorf("back to the newest: %d rows", len(rows))
	}
}

func TestAuditLog_BadBeforeRefused(t *testing.T) {
	a := auditApp(t)
	a.act(fullAdmin, "toggle-audit", nil)
	for _, bad := range []string{"0", "-5", "abc", "1.5", "1 OR 1=1", strings.Repeat("9", 100)} {
		status, body := a.act(fullAdmin, "audit-page", map[string]string{"before": bad})
		msg, _ := body["message"].(string)
		if status != http.StatusBadRequest || !strings.Contains(msg, "whole number from 1") {
			t.Errorf("before=%q: %d %v", bad, status, body)
		}
		if len(msg) > 200 {
			t.Errorf("before=%q: the message repeats all of it: %q", bad, msg)
		}
	}
	doc := a.panels(fullAdmin)
	if !strings.Contains(doc.Find(".alert-danger").Text(), "whole number from 1") {
		t.Errorf("the refusal is not shown: %q", doc.Find(".alert").Text())
	}
	// The refusals are themselves audited, and the panel still shows the newest.
	if rows := auditRows(doc); len(rows) != 6 || rows[0][2] != "audit-page" || rows[0][4] != staas.EINVALID {
		t.Errorf("after refused pages: %q", rows)
	}
}

func TestAuditLog_OutsiderRefused(t *testing.T) {
	a := auditApp(t)
	a.act(fullAdmin, "create-user", nil)
	if status, _ := a.act(outsider, "toggle-audit", nil); status != http.StatusForbidden {
		t.Errorf("outsider toggle-audit: %d", status)
	}
	if status, _ := a.act(outsider, "audit-page", map[string]string{"before": "5"}); status != http.StatusForbidden {
		t.Errorf("outsider audit-page: %d", status)
	}
	if button(a.links(outsider), "toggle-audit").Length() != 0 {
		t.Error("an outsider is offered the audit toggle")
	}
	a.act(fullAdmin, "toggle-audit", nil)
	if doc := a.panels(outsider); doc.Find("#staas-panel-audit").Length() != 0 || strings.Contains(doc.Text(), "create-user") {
		t.Error("an outsider sees the audit log")
	}
}
