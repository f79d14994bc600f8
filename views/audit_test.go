package views

import (
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func auditPanelDoc(t *testing.T, a *AuditVM) *goquery.Selection {
	t.Helper()
	doc := panelsDoc(t, PanelsVM{Form: testForm, CanChange: false, Audit: a})
	box := doc.Find("#staas-panel-audit")
	if box.Length() != 1 {
		t.Fatalf("no audit panel in %q", text(doc.Selection))
	}
	return box
}

func TestPanelAudit_Rows(t *testing.T) {
	box := auditPanelDoc(t, auditFixture())
	rows := box.Find(".staas-audit tr.altrow")
	if rows.Length() != 5 {
		t.Fatalf("%d rows, want 5", rows.Length())
	}
	// The fixture's time is 14:30:07 CET: shown in UTC to the second.
	if got, want := rowText(rows.Eq(0)), "2024-03-05 13:30:07 UTC admin 1 quota-set bucket=photos quota-gb=10 ok The quota of bucket photos is now 10 GB."; got != want {
		t.Errorf("row 1: %q, want %q", got, want)
	}
	if got := rows.Eq(0).Find("time").AttrOr("datetime", ""); got != "2024-03-05T13:30:07Z" {
		t.Errorf("datetime %q", got)
	}
	var params []string
	rows.Eq(0).Find("td code").Each(func(_ int, c *goquery.Selection) { params = append(params, text(c)) })
	if want := []string{"bucket=photos", "quota-gb=10"}; !slices.Equal(params, want) {
		t.Errorf("params %q, want sorted %q", params, want)
	}
	if r := rows.Eq(0).Find(".staas-result"); !r.HasClass("text-success") || text(r) != "ok" {
		t.Errorf("ok result: %q class %q", text(r), r.AttrOr("class", ""))
	}
	if r := rows.Eq(4).Find(".staas-result"); !r.HasClass("text-danger") || text(r) != "forbidden" {
		t.Errorf("refused result: %q class %q", text(r), r.AttrOr("class", ""))
	}
	// Who acted: an admin, WHMCS by itself, the client, WHMCS for the
	// admin who clicked a module button, and an entry from before actors.
	var actors []string
	rows.Find("td.staas-actor").Each(func(_ int, c *goquery.Selection) { actors = append(actors, text(c)) })
	if want := []string{"admin 1", "WHMCS (automatic)", "client", "WHMCS (admin 7)", "admin 2"}; !slices.Equal(actors, want) {
		t.Errorf("actors %q, want %q", actors, want)
	}
	if th := text(box.Find(".staas-audit th").Eq(1)); th != "By" {
		t.Errorf("actor column header %q", th)
	}
}

func TestPanelAudit_Pager(t *testing.T) {
	pager := func(a *AuditVM) map[string]string {
		out := map[string]string{}
		auditPanelDoc(t, a).Find(`.staas-pager button[value="` + ActAuditPage + `"]`).Each(func(_ int, b *goquery.Selection) {
			if _, dis := b.Attr("disabled"); dis {
				t.Errorf("%q is disabled; paging needs no change permission", text(b))
			}
			out[text(b)] = b.Closest("form").Find(`input[name="before"]`).AttrOr("value", "<none>")
		})
		return out
	}
	if got := pager(auditFixture()); len(got) != 2 || got["Older"] != "98" || got["Newest"] != "" {
		t.Errorf("a middle page: %v, want Older before=98 and Newest before=\"\"", got)
	}
	if got := pager(&AuditVM{Rows: auditFixture().Rows}); len(got) != 0 {
		t.Errorf("the only page: %v, want no pager buttons", got)
	}
	if got := pager(&AuditVM{Older: 51, Rows: auditFixture().Rows}); len(got) != 1 || got["Older"] != "51" {
		t.Errorf("the newest page: %v, want only Older", got)
	}
}

func TestPanelAudit_EmptyAndUnavailable(t *testing.T) {
	box := auditPanelDoc(t, &AuditVM{})
	if s := text(box.Find("tr.altrow")); s != "No S3 actions recorded for this client yet." {
		t.Errorf("empty state %q", s)
	}
	box = auditPanelDoc(t, &AuditVM{Unavailable: "The audit log is not available in this staas."})
	if s := text(box.Find("tr.altrow")); s != "The audit log is not available in this staas." {
		t.Errorf("unavailable %q", s)
	}
	if box.Find(".staas-audit, .staas-pager").Length() != 0 {
		t.Error("an unavailable log shows a table or a pager")
	}
}

func TestPanelAudit_ParamsAndMessagesAreText(t *testing.T) {
	for _, p := range payloads {
		a := &AuditVM{Rows: []AuditRow{{ID: 1, AdminID: 1, Action: ActQuotaSet,
			Params: map[string]string{"bucket": p}, Result: "invalid", Message: p}}}
		html := render(t, Panels(PanelsVM{Form: testForm, Audit: a}))
		doc := parse(t, html)
		checkNoInjection(t, doc)
		row := doc.Find("#staas-panel-audit .staas-audit tr.altrow")
		if got := text(row.Find("td code")); got != "bucket="+p {
			t.Errorf("param cell %q, want %q as text", got, "bucket="+p)
		}
		if got := text(row.Find("td").Last()); got != p {
			t.Errorf("message cell %q, want %q as text", got, p)
		}
		if strings.Contains(html, "<script>") || strings.Contains(html, "<img") {
			t.Errorf("the payload %q reached the markup unescaped", p)
		}
	}
}

// TestPanelAudit_ReadsWithoutNoise: a form posts every field it has, so a
// limits Delete's row listed "bandwidth-value= ops-value=" as if it had
// set them to nothing; an empty log said "No S3 actions recorded for this
// client yet." and, under it, "newest 0 entries".
func TestPanelAudit_ReadsWithoutNoise(t *testing.T) {
	a := auditFixture()
	a.Rows = a.Rows[:1]
	a.Rows[0].Action = ActUserLimitsDelete
	a.Rows[0].Params = map[string]string{"bandwidth-name": "out", "bandwidth-value": "", "confirm": "yes", "ops-value": ""}
	var params []string
	auditPanelDoc(t, a).Find(".staas-audit tr.altrow td code").Each(func(_ int, c *goquery.Selection) { params = append(params, text(c)) })
	if want := []string{"bandwidth-name=out", "confirm=yes"}; !slices.Equal(params, want) {
		t.Errorf("params %q, want the filled ones only, %q", params, want)
	}
	empty := &AuditVM{}
	box := auditPanelDoc(t, empty)
	if got := text(box.Find(".staas-showing")); got != "" {
		t.Errorf("an empty log's pager says %q under %q", got, text(box.Find(".staas-audit")))
	}
	if !strings.Contains(text(box), "No S3 actions recorded for this client yet.") {
		t.Errorf("an empty log reads %q", text(box))
	}
}
