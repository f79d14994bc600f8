package views

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"staas"
)

func TestPanelsEmptyRendersNothing(t *testing.T) {
	if s := render(t, Panels(PanelsVM{Form: testForm, CanChange: true})); s != "" {
		t.Errorf("nothing to show rendered %q", s)
	}
}

func TestPanelsFormsPostWithTokenAndClient(t *testing.T) {
	for _, can := range []bool{true, false} {
		vm := fullPanels()
		vm.CanChange = can
		doc := panelsDoc(t, vm)
		checkForms(t, doc, vm.Form)
		checkNoActionLinks(t, doc)
	}
}

func TestPanelsBoxesTitlesAndSizes(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	want := []struct{ id, title, col string }{
		{"staas-panel-users", "S3 Users List", "col-lg-6"},
		{"staas-panel-user", "S3 Information for User: 7f3a", "col-lg-6"},
		{"staas-panel-stats", "S3 Statistics List (whole cluster)", "col-lg-6"},
		{"staas-panel-user-limits", "S3 Limits for User", "col-lg-3"},
		{"staas-panel-bucket-limits", "S3 Limits for Bucket: photos", "col-lg-3"},
		{"staas-panel-buckets", "S3 Buckets", "col-lg-6"},
		{"staas-panel-quotas", "S3 Quotas", "col-lg-6"},
		{"staas-panel-object", "S3 Statistics for Object: s3-usage-0002 (whole cluster)", "col-lg-12"},
		{"staas-panel-usage", "S3 Usage History: 7f3a", "col-lg-12"},
		{"staas-panel-audit", "S3 Audit Log", "col-lg-12"},
	}
	boxes := doc.Find(".clientssummarybox")
	if boxes.Length() != len(want) {
		t.Fatalf("%d boxes, want %d", boxes.Length(), len(want))
	}
	boxes.Each(func(i int, box *goquery.Selection) {
		w := want[i]
		if id := box.AttrOr("id", ""); id != w.id {
			t.Errorf("box %d is %q, want %q", i, id, w.id)
		}
		title := box.Children().First()
		if !title.HasClass("title") {
			t.Errorf("%s: first child is not the title", w.id)
		}
		// The floated × precedes the title's text, so it stays on the
		// title's first line however long the title is.
		if first := title.Contents().FilterFunction(func(_ int, n *goquery.Selection) bool {
			return strings.TrimSpace(n.Text()) != ""
		}).First(); !first.Is("form") || first.Find("button.close").Length() != 1 {
			t.Errorf("%s: the title starts with %q, not its hide button", w.id, text(first))
		}
		if got := strings.TrimSpace(strings.TrimPrefix(text(title), "×")); got != w.title {
			t.Errorf("%s: title %q, want %q", w.id, got, w.title)
		}
		if !box.Parent().HasClass(w.col) || !box.Parent().Parent().Is(".row.client-summary-panels") {
			t.Errorf("%s: not in a %s of a .row.client-summary-panels", w.id, w.col)
		}
		tables := box.Find("table.clientssummarystats")
		if tables.Length() == 0 {
			t.Errorf("%s has no clientssummarystats table", w.id)
		}
		if box.Find("tr.altrow").Length() == 0 {
			t.Errorf("%s has no altrow rows", w.id)
		}
	})
	// Every row's columns fit the 12 of Bootstrap's grid, as the guide's
	// rows do.
	doc.Find(".row.client-summary-panels").Each(func(_ int, row *goquery.Selection) {
		sum := 0
		row.Children().Each(func(_ int, col *goquery.Selection) {
			for _, c := range strings.Fields(col.AttrOr("class", "")) {
				for n := 1; n <= 12; n++ {
					if c == "col-lg-"+strconv.Itoa(n) {
						sum += n
					}
				}
			}
		})
		if sum > 12 {
			t.Errorf("a row holds %d columns", sum)
		}
	})
}

// rowText is a table row's cells, each as text, separated by a space.
func rowText(r *goquery.Selection) string {
	var cells []string
	r.Find("th, td").Each(func(_ int, c *goquery.Selection) {
		if t := text(c); t != "" {
			cells = append(cells, t)
		}
	})
	return strings.Join(cells, " ")
}

func TestPanelsHideButtons(t *testing.T) {
	doc := panelsDoc(t, func() PanelsVM { vm := fullPanels(); vm.CanChange = false; return vm }())
	doc.Find(".clientssummarybox").Each(func(_ int, box *goquery.Selection) {
		b := box.Find(".title button")
		panel := strings.TrimPrefix(box.AttrOr("id", ""), "staas-panel-")
		if b.Length() != 1 || b.AttrOr("value", "") != ActHidePanel {
			t.Errorf("%s: no hide button in the title", panel)
			return
		}
		if _, dis := b.Attr("disabled"); dis {
			t.Errorf("%s: hiding a panel needs no permission", panel)
		}
		if got := b.Closest("form").Find(`input[name="panel"]`).AttrOr("value", ""); got != panel {
			t.Errorf("hide button of %s posts panel=%q", panel, got)
		}
		if !strings.HasPrefix(b.AttrOr("aria-label", ""), "Hide ") {
			t.Errorf("%s: hide button has no name", panel)
		}
	})
}

func TestPanelsFlashes(t *testing.T) {
	doc := panelsDoc(t, PanelsVM{Form: testForm, Flashes: []staas.Flash{
		{Kind: staas.FlashSuccess, Message: "done"},
		{Kind: staas.FlashError, Message: "failed"},
		{Kind: staas.FlashInfo, Message: "note"},
		{Kind: "other", Message: "odd"},
	}})
	var got []string
	doc.Find(".alert").Each(func(_ int, a *goquery.Selection) {
		got = append(got, a.AttrOr("class", "")+"|"+a.AttrOr("role", "")+"|"+text(a))
	})
	want := []string{
		"alert alert-success|status|done", "alert alert-danger|alert|failed",
		"alert alert-info|status|note", "alert alert-info|status|odd",
	}
	if !slices.Equal(got, want) {
		t.Errorf("flashes %q\nwant %q", got, want)
	}
	if doc.Find(".clientssummarybox").Length() != 0 {
		t.Error("flashes alone show a panel")
	}
}

func TestPanelsConfirmation(t *testing.T) {
	vm := PanelsVM{Form: testForm, CanChange: true, Confirm: &ConfirmVM{
		Action:   ActQuotaDelete,
		Question: "Delete the quota of bucket photos?",
		Params:   map[string]string{"bucket": "photos", "extra": "1", "action": ActDeleteUser, "confirm": "no", "token": "x", "userid": "9"},
	}}
	doc := panelsDoc(t, vm)
	box := doc.Find(".staas-confirm")
	if !strings.Contains(text(box), vm.Confirm.Question) {
		t.Errorf("question missing: %q", text(box))
	}
	forms := box.Find("form")
	if forms.Length() != 2 {
		t.Fatalf("%d forms, want Confirm and Cancel", forms.Length())
	}
	yes, no := forms.Eq(0), forms.Eq(1)
	b := yes.Find("button")
	if text(b) != "Confirm" || b.AttrOr("value", "") != ActQuotaDelete || !b.HasClass("btn-danger") {
		t.Errorf("confirm button %q value %q class %q", text(b), b.AttrOr("value", ""), b.AttrOr("class", ""))
	}
	fields := map[string][]string{}
	yes.Find("input").Each(func(_ int, in *goquery.Selection) {
		n := in.AttrOr("name", "")
		fields[n] = append(fields[n], in.AttrOr("value", ""))
	})
	want := map[string][]string{
		"token": {testForm.Token}, "userid": {"42"}, "bucket": {"photos"}, "extra": {"1"}, "confirm": {"yes"},
	}
	if len(fields) != len(want) {
		t.Errorf("confirm form fields %v, want %v", fields, want)
	}
	for k, v := range want {
		if !slices.Equal(fields[k], v) {
			t.Errorf("confirm form %s=%q, want %q (a parameter must not override it)", k, fields[k], v)
		}
	}
	c := no.Find("button")
	if text(c) != "Cancel" || c.AttrOr("value", "") != ActCancel || !c.HasClass("btn-default") {
		t.Errorf("cancel button %q value %q", text(c), c.AttrOr("value", ""))
	}
	if no.Find(`input[name="confirm"]`).Length() != 0 {
		t.Error("Cancel posts confirm")
	}

	vm.CanChange = false
	doc = panelsDoc(t, vm)
	if _, dis := doc.Find(".staas-confirm button:contains('Confirm')").Attr("disabled"); !dis {
		t.Error("Confirm enabled without the permission")
	}
	if _, dis := doc.Find(".staas-confirm button:contains('Cancel')").Attr("disabled"); dis {
		t.Error("Cancel disabled")
	}
}

func TestPanelsWithoutPermission(t *testing.T) {
	for _, can := range []bool{true, false} {
		vm := fullPanels()
		vm.CanChange = can
		checkChangeButtons(t, panelsDoc(t, vm), can)
	}
}

func TestPanelUsers(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	p := doc.Find("#staas-panel-users")
	var head []string
	p.Find("table tr").First().Find("th").Each(func(_ int, th *goquery.Selection) { head = append(head, text(th)) })
	// No Keys column: the gateway's user list carries no key pairs, so
	// it could only ever say 0.
	if want := []string{"UserId", "UserEmail", "State"}; !slices.Equal(head, want) {
		t.Errorf("columns %q, want %q", head, want)
	}
	if got := rowText(p.Find("tr.altrow").First()); got != "a1b2 ann@example.com enabled" {
		t.Errorf("first row %q", got)
	}
	if got := text(p.Find(".staas-showing")); got != "showing 3–4 of 5" {
		t.Errorf("pager says %q", got)
	}
	pages := map[string]string{}
	p.Find(".staas-search, .staas-pager form").Each(func(_ int, f *goquery.Selection) {
		b := f.Find("button")
		if b.AttrOr("value", "") != ActUsersPage {
			t.Errorf("%q posts %q", text(b), b.AttrOr("value", ""))
		}
		if q := f.Find(`input[name="q"]`).AttrOr("value", "?"); q != "example" {
			t.Errorf("%q loses the search: q=%q", text(b), q)
		}
		pages[text(b)] = f.Find(`input[name="page"]`).AttrOr("value", "")
	})
	if want := map[string]string{"Search": "1", "Previous page": "1", "Next page": "3"}; len(pages) != 3 ||
		pages["Search"] != want["Search"] || pages["Previous page"] != want["Previous page"] || pages["Next page"] != want["Next page"] {
		t.Errorf("pages %v, want %v", pages, want)
	}

	cases := []struct {
		u          UsersVM
		showing    string
		prev, next bool
	}{
		{UsersVM{Page: 1, PageSize: 25, Total: 0}, "showing 0 of 0", false, false},
		{UsersVM{Page: 1, PageSize: 2, Total: 3, Rows: make([]UserRow, 2)}, "showing 1–2 of 3", false, true},
		{UsersVM{Page: 2, PageSize: 2, Total: 3, Rows: make([]UserRow, 1)}, "showing 3–3 of 3", true, false},
		{UsersVM{Page: 0, PageSize: 0, Total: 1, Rows: make([]UserRow, 1)}, "showing 1–1 of 1", false, false},
	}
	for _, c := range cases {
		d := panelsDoc(t, PanelsVM{Form: testForm, Users: &c.u})
		if got := text(d.Find(".staas-showing")); got != c.showing {
			t.Errorf("%+v: %q, want %q", c.u, got, c.showing)
		}
		if got := d.Find("button:contains('Previous page')").Length() == 1; got != c.prev {
			t.Errorf("%+v: previous %v", c.u, got)
		}
		if got := d.Find("button:contains('Next page')").Length() == 1; got != c.next {
			t.Errorf("%+v: next %v", c.u, got)
		}
	}
	d := panelsDoc(t, PanelsVM{Form: testForm, Users: &UsersVM{Query: "zzz", Page: 1, PageSize: 25}})
	if !strings.Contains(text(d.Find("#staas-panel-users")), "no users match the search") {
		t.Error("an empty search says nothing")
	}
}

func TestPanelUserSecrets(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	p := doc.Find("#staas-panel-user")
	txt := text(p)
	for _, s := range []string{"ann@example.com", "enabled", "system", "AWSAccessKeyId", "AWSSecretAccessKey"} {
		if !strings.Contains(txt, s) {
			t.Errorf("user panel lacks %q", s)
		}
	}
	rows := p.Find(".staas-keys tr.altrow")
	if rows.Length() != 2 {
		t.Fatalf("%d key rows", rows.Length())
	}
	masked, revealed := rows.Eq(0), rows.Eq(1)
	if got := text(masked.Find(".staas-secret-masked")); got != "••••••••wxyz" {
		t.Errorf("masked secret shown as %q", got)
	}
	if got := text(revealed.Find(".staas-secret-revealed")); got != "s3cr3tK3yRev3al3d" {
		t.Errorf("revealed secret shown as %q", got)
	}
	check := func(row *goquery.Selection, key string, wantActions []string) {
		var got []string
		row.Find("form").Each(func(_ int, f *goquery.Selection) {
			got = append(got, f.Find("button").AttrOr("value", ""))
			if k := f.Find(`input[name="access_key"]`).AttrOr("value", ""); k != key {
				t.Errorf("%s form posts access_key %q, want %q", f.Find("button").AttrOr("value", ""), k, key)
			}
		})
		if !slices.Equal(got, wantActions) {
			t.Errorf("key %s: actions %q, want %q", key, got, wantActions)
		}
	}
	check(masked, "AKIA1111", []string{ActRevealSecret, ActRevokeKey})
	check(revealed, "AKIA2222", []string{ActRevokeKey})

	d := panelsDoc(t, PanelsVM{Form: testForm, User: &UserVM{UserID: "u"}})
	if !strings.Contains(text(d.Find("#staas-panel-user")), "no access keys") || !strings.Contains(text(d.Find("#staas-panel-user")), "none") {
		t.Error("a user without keys or flags says nothing")
	}
}

func TestPanelBuckets(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	rows := doc.Find("#staas-panel-buckets tr.altrow")
	photos := rows.Eq(0)
	if got := rowText(photos); got != "photos 5.4 GB 2024-03-05 14:30 UTC Empty and delete" {
		t.Errorf("photos row %q", got)
	}
	if got := photos.Find("span[title]").AttrOr("title", ""); got != "5,368,709,120 bytes" {
		t.Errorf("exact size %q", got)
	}
	if got := photos.Find("time").AttrOr("datetime", ""); got != "2024-03-05T14:30:00Z" {
		t.Errorf("datetime %q", got)
	}
	if got := rowText(rows.Eq(1)); got != "backups 1.5 kB unknown Empty and delete" {
		t.Errorf("backups row %q", got)
	}
	if got := rowText(doc.Find("#staas-panel-buckets tr.staas-total")); got != "2 buckets 5.4 GB" {
		t.Errorf("total %q", got)
	}
	d := panelsDoc(t, PanelsVM{Form: testForm, Buckets: &BucketsVM{}})
	if !strings.Contains(text(d.Find("#staas-panel-buckets")), "no buckets") {
		t.Error("no buckets says nothing")
	}
}

func TestPanelStats(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	p := doc.Find("#staas-panel-stats")
	rows := p.Find("tr.altrow")
	rows.Each(func(i int, r *goquery.Selection) {
		obj := fullPanels().Stats.Items[i]
		var got []string
		r.Find("form").Each(func(_ int, f *goquery.Selection) {
			b := f.Find("button")
			got = append(got, text(b)+"="+b.AttrOr("value", "")+"/"+f.Find(`input[name="object"]`).AttrOr("value", ""))
		})
		want := []string{"Show=" + ActStatsGet + "/" + obj, "Delete=" + ActStatsDelete + "/" + obj}
		if !slices.Equal(got, want) {
			t.Errorf("row %d: %q, want %q", i, got, want)
		}
	})
	pager := map[string]string{}
	p.Find(".staas-pager form").Each(func(_ int, f *goquery.Selection) {
		b := f.Find("button")
		if b.AttrOr("value", "") != ActStatsPage {
			t.Errorf("%q posts %q", text(b), b.AttrOr("value", ""))
		}
		after, ok := f.Find(`input[name="after"]`).Attr("value")
		if !ok {
			t.Errorf("%q posts no after", text(b))
		}
		pager[text(b)] = after
	})
	if len(pager) != 2 || pager["First page"] != "" || pager["Next page"] != "s3-usage-0003" {
		t.Errorf("pager %v", pager)
	}
	d := panelsDoc(t, PanelsVM{Form: testForm, Stats: &StatsVM{}})
	if d.Find(".staas-pager").Length() != 0 {
		t.Error("a single first page has a pager")
	}
	if !strings.Contains(text(d.Find("#staas-panel-stats")), "no statistics objects") {
		t.Error("an empty list says nothing")
	}
}

func TestPanelLimits(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	var got []string
	doc.Find("#staas-panel-user-limits tr").Each(func(_ int, r *goquery.Selection) { got = append(got, rowText(r)) })
	if want := []string{"Type Name Value", "ops default 3,600 ops/s", "bandwidth out 100 KB/s"}; !slices.Equal(got, want) {
		t.Errorf("user limits %q, want %q", got, want)
	}
	if got := text(doc.Find("#staas-panel-bucket-limits tr.altrow")); got != "no limits set" {
		t.Errorf("empty bucket limits %q", got)
	}
}

func TestPanelQuotas(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	var got []string
	doc.Find("#staas-panel-quotas tr").Each(func(_ int, r *goquery.Selection) { got = append(got, rowText(r)) })
	want := []string{"Bucket Quota", "(user) 100 GB", "photos 10 GB", "backups unlimited"}
	if !slices.Equal(got, want) {
		t.Errorf("quotas %q, want %q", got, want)
	}
	d := panelsDoc(t, PanelsVM{Form: testForm, Quotas: &QuotasVM{}})
	if got := rowText(d.Find("#staas-panel-quotas tr.altrow")); got != "(user) unlimited" {
		t.Errorf("no quotas: %q", got)
	}
}

func TestPanelObject(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	p := doc.Find("#staas-panel-object")
	var head []string
	p.Find("table tr").First().Find("th").Each(func(_ int, th *goquery.Selection) { head = append(head, text(th)) })
	want := []string{
		"format version", "service id", "start (UTC)", "period", "bucket", "epoch", "user id", "tag",
		"put", "get", "list", "other", "uploaded", "downloaded",
	}
	if !slices.Equal(head, want) {
		t.Errorf("columns %q\nwant %q", head, want)
	}
	rows := p.Find("tr.altrow")
	var cells []string
	rows.First().Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, text(td)) })
	if w := []string{"1", "svc-01", "2023-11-14 22:13:20 UTC", "1 h", "photos", "1", "7f3a", "", "3", "5", "1", "0", "2.0 kB", "4.1 kB"}; !slices.Equal(cells, w) {
		t.Errorf("first row %q\nwant %q", cells, w)
	}
	if got := text(rows.Eq(1).Find("td").Eq(4)); got != "(user level)" {
		t.Errorf("an item without bucket reads %q", got)
	}
	if got := text(p.Find(".staas-first-of")); got != "showing the first 2 of 3 items" {
		t.Errorf("note %q", got)
	}
	all := fullPanels().Object
	all.TotalRows = 2
	d := panelsDoc(t, PanelsVM{Form: testForm, Object: all})
	if d.Find(".staas-first-of").Length() != 0 {
		t.Error("says 'showing the first' when it shows all")
	}
	d = panelsDoc(t, PanelsVM{Form: testForm, Object: &ObjectVM{Name: "o"}})
	if got := text(d.Find("#staas-panel-object tr.altrow")); got != "no items" {
		t.Errorf("an empty object reads %q", got)
	}
	if got := d.Find("#staas-panel-object tr.altrow td").AttrOr("colspan", ""); got != "14" {
		t.Errorf("colspan %q", got)
	}
}

func TestRenderLinksMatchesActionLinks(t *testing.T) {
	vm := fullLinks()
	got := renderLinks(t, vm)
	comps := ActionLinks(vm)
	if len(got) != len(comps) {
		t.Fatalf("%d strings for %d groups", len(got), len(comps))
	}
	for i, c := range comps {
		if s := render(t, c); s != got[i] {
			t.Errorf("group %d differs", i)
		}
	}
}
