package pages

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"staas"
	"staas/static"
	"staas/views"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html from the current output")

const hostile = `<script>alert(1)</script>"><img src=x onerror=alert(1)>`

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	s, err := views.RenderString(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parse(t *testing.T, s string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func clients() []staas.Client {
	return []staas.Client{
		{ID: 1, FirstName: "Ann", LastName: "Smith", CompanyName: "Example Ltd", Email: "ann@example.com", Status: "Active"},
		{ID: 2, FirstName: "Bob", LastName: "Jones", Email: "bob@example.com", Status: "Inactive"},
	}
}

func admin() AdminVM {
	return AdminVM{ID: 2, Name: "Support", Token: "tok", Back: "/admin/clientssummary.php?userid=1",
		Choices: []AdminChoice{{ID: 1, Name: "Full Administrator"}, {ID: 2, Name: "Support"}}}
}

// summary is a client page with what staas would render for it.
func summary(t *testing.T) ClientSummaryVM {
	t.Helper()
	form := views.Form{ActionURL: "staas-action.php", Token: "tok", ClientID: 1}
	links, err := views.RenderLinks(context.Background(), views.LinksVM{Form: form, CanChange: true, HasUser: true, UserState: "enabled"})
	if err != nil {
		t.Fatal(err)
	}
	panels := render(t, views.Panels(views.PanelsVM{Form: form, CanChange: true,
		UserLimits: &views.LimitsVM{Rows: []views.LimitRow{{Type: "ops", Name: "default", Value: "10.00"}}}}))
	cs := clients()
	return ClientSummaryVM{
		Clients:    cs,
		Client:     cs[0],
		Admin:      admin(),
		Links:      links,
		PanelsHTML: panels,
		Notes: []Note{{ID: 5, Created: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC),
			Text: "UserId: 7f3a\nAWSAccessKeyId: AKIA1111\nAWSSecretAccessKey: secret"}},
	}
}

func TestClientSummaryShowsStaasHTMLAsWHMCSDoes(t *testing.T) {
	vm := summary(t)
	doc := parse(t, render(t, ClientSummary(vm)))
	items := doc.Find("#standin-other-actions ul > li")
	if items.Length() != len(vm.Links) {
		t.Fatalf("%d action items, want %d", items.Length(), len(vm.Links))
	}
	if items.First().Find("form button").Length() == 0 {
		t.Error("the links HTML is not part of the page (escaped instead of inserted)")
	}
	if doc.Find("#standin-addons #staas-panel-user-limits").Length() != 1 {
		t.Error("the panels HTML is not part of the page")
	}
	if got := doc.Find("title").Text(); got != "Client Profile: Ann Smith - WHMCS (stand-in)" {
		t.Errorf("title %q", got)
	}
	if got := strings.TrimSpace(doc.Find(".standin-brand").Text()); got != "WHMCS (stand-in)" {
		t.Errorf("top bar %q", got)
	}
	if got := doc.Find(`link[rel="stylesheet"]`).AttrOr("href", ""); got != StylesheetURL {
		t.Errorf("stylesheet %q", got)
	}
	cur := doc.Find(".standin-sidebar li.active a")
	if cur.Text() != "Ann Smith" || cur.AttrOr("aria-current", "") != "page" || cur.AttrOr("href", "") != "/admin/clientssummary.php?userid=1" {
		t.Errorf("current client in the list: %q %q", cur.Text(), cur.AttrOr("href", ""))
	}
	if doc.Find(".standin-sidebar li").Length() != 2 {
		t.Error("the client list on the left is incomplete")
	}
	details := doc.Find("#standin-client").Text()
	for _, s := range []string{"Ann Smith", "Example Ltd", "ann@example.com", "Active"} {
		if !strings.Contains(details, s) {
			t.Errorf("client details lack %q", s)
		}
	}
	note := doc.Find("#standin-note-5 .standin-note-text")
	if note.Text() != vm.Notes[0].Text {
		t.Errorf("note text %q, want it whole with its newlines", note.Text())
	}
	if doc.Find(".alert-danger").Length() != 0 {
		t.Error("a notice shows without one")
	}
}

func TestStandinEscapesEverythingButStaasHTML(t *testing.T) {
	vm := summary(t)
	vm.Links = nil
	vm.PanelsHTML = ""
	vm.Notice = hostile
	vm.Notes = []Note{{ID: 1, Text: hostile + "\nsecond line"}}
	vm.Client = staas.Client{ID: 1, FirstName: hostile, LastName: hostile, CompanyName: hostile, Email: hostile, Status: hostile}
	vm.Clients = []staas.Client{vm.Client}
	vm.Admin = AdminVM{ID: 1, Name: hostile, Token: hostile, Back: hostile, Choices: []AdminChoice{{ID: 1, Name: hostile}}}
	for name, page := range map[string]string{
		"summary": render(t, ClientSummary(vm)),
		"list":    render(t, ClientList(ClientListVM{Clients: vm.Clients, Admin: vm.Admin, Notice: hostile})),
		"layout":  render(t, Layout(hostile, templ.NopComponent)),
	} {
		doc := parse(t, page)
		if n := doc.Find("script, img, [onerror]").Length(); n != 0 {
			t.Errorf("%s: %d injected elements", name, n)
		}
		if got := doc.Find(".alert-danger").Text(); got != hostile && name != "layout" {
			t.Errorf("%s: notice %q", name, got)
		}
		doc.Find("input").Each(func(_ int, in *goquery.Selection) {
			if v := in.AttrOr("value", ""); v != hostile {
				t.Errorf("%s: %s value %q, want it whole", name, in.AttrOr("name", ""), v)
			}
		})
		doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
			if strings.HasPrefix(a.AttrOr("href", ""), "javascript:") {
				t.Errorf("%s: link runs script", name)
			}
		})
		if name != "list" && !strings.Contains(doc.Find("title").Text(), hostile) {
			t.Errorf("%s: title does not show the value as text", name)
		}
	}
	doc := parse(t, render(t, ClientSummary(vm)))
	if got := doc.Find("h1").Text(); got != "Client Profile: "+hostile+" "+hostile {
		t.Errorf("heading %q", got)
	}
	if got := doc.Find(".standin-note-text").Text(); got != hostile+"\nsecond line" {
		t.Errorf("note %q", got)
	}
}

func TestClientList(t *testing.T) {
	doc := parse(t, render(t, ClientList(ClientListVM{Clients: clients(), Admin: admin()})))
	rows := doc.Find("table.datatable tr")
	if rows.Length() != 3 {
		t.Fatalf("%d rows", rows.Length())
	}
	a := rows.Eq(2).Find("a")
	if a.Text() != "Bob Jones" || a.AttrOr("href", "") != "/admin/clientssummary.php?userid=2" {
		t.Errorf("link %q -> %q", a.Text(), a.AttrOr("href", ""))
	}
	empty := parse(t, render(t, ClientList(ClientListVM{})))
	if !strings.Contains(empty.Text(), "No clients") {
		t.Error("an empty list says nothing")
	}
}

func TestAdminSwitch(t *testing.T) {
	doc := parse(t, render(t, ClientSummary(summary(t))))
	f := doc.Find("form.standin-admin")
	if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") != LoginPath {
		t.Errorf("switch form %s %s", f.AttrOr("method", ""), f.AttrOr("action", ""))
	}
	if f.Find(`input[name="token"]`).AttrOr("value", "") != "tok" || f.Find(`input[name="back"]`).AttrOr("value", "") != admin().Back {
		t.Error("switch form lacks the token or the way back")
	}
	if got := f.Find(`select[name="admin"] option[selected]`).AttrOr("value", ""); got != "2" {
		t.Errorf("current admin %q", got)
	}
	if parse(t, render(t, Layout("x", templ.NopComponent))).Find("form").Length() != 0 {
		t.Error("Layout alone has a form")
	}
}

func TestStylesheet(t *testing.T) {
	css, err := fs.ReadFile(static.FS, strings.TrimPrefix(StylesheetURL, "/static/"))
	if err != nil {
		t.Fatalf("the stylesheet the pages link is not embedded: %v", err)
	}
	s := string(css)
	for _, sel := range []string{
		".clientssummarybox", ".title", "table.clientssummarystats", ".altrow", ".alert-success",
		".alert-danger", ".alert-info", ".btn", ".btn-link", ".has-error", ".help-block", ".col-lg-3",
		".col-lg-6", ".col-lg-12",
	} {
		if !strings.Contains(s, sel) {
			t.Errorf("the stylesheet lacks %s", sel)
		}
	}
	if !regexp.MustCompile(`\.standin-note-text\s*\{[^}]*white-space:\s*pre-line`).MatchString(s) {
		t.Error("notes do not keep their newlines (white-space: pre-line)")
	}
	// The admin may be offline: nothing is fetched from elsewhere.
	if regexp.MustCompile(`(?i)@import|url\(|https?://|//[a-z0-9.-]+\.[a-z]{2,}/`).MatchString(s) {
		t.Error("the stylesheet loads something from elsewhere")
	}
	page := render(t, ClientSummary(summary(t)))
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(page) {
		t.Error("the page loads something from elsewhere")
	}
}

func TestGolden(t *testing.T) {
	got := render(t, ClientSummary(summary(t)))
	got = strings.ReplaceAll(got, "><", ">\n<")
	path := filepath.Join("testdata", "client-summary.golden.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./views/... -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the page differs from %s (if intended: go test ./views/... -update, then review git diff)", path)
	}
}
