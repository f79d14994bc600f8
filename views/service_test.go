package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func fullServiceTab() ServiceTabVM {
	return ServiceTabVM{
		HasUser: true, UserID: "6b2f0a9c1d3e4f50", Email: "zoe+s3-1234@example.com", Enabled: true,
		Keys:       []KeyRow{{AccessKeyID: "6b2f0a9c1d3e4f50ABCD", Secret: "Zm9v••••••••••••"}},
		Buckets:    []BucketRow{{Name: "photos", Bytes: 3 << 29}, {Name: "logs", Bytes: 1000}},
		TotalBytes: 3<<29 + 1000,
	}
}

func fullClientArea() ClientAreaVM {
	return ClientAreaVM{
		ServiceID: 1234, Token: "5f0e2a7c", HasUser: true, Email: "zoe+s3-1234@example.com", Enabled: true,
		Keys: []KeyRow{
			{AccessKeyID: "6b2f0a9c1d3e4f50ABCD", Secret: "Zm9v••••••••••••"},
			{AccessKeyID: "6b2f0a9c1d3e4f50EFGH", Secret: "s3cr3tK3yRev3al3d", Revealed: true},
		},
		Buckets:    []BucketRow{{Name: "photos", Bytes: 5 << 30}},
		TotalBytes: 5 << 30,
	}
}

// tabPage is the services tab as WHMCS lays it out: one table row per
// field, the label beside the HTML.
func tabPage(t *testing.T, vm ServiceTabVM) string {
	t.Helper()
	var b strings.Builder
	for _, f := range ServiceTabFields(vm) {
		b.WriteString("<!-- " + f.Label + " -->" + reversible(t, render(t, f.Content)) + "\n")
	}
	return b.String()
}

// TestServiceGolden renders the services tab and the client area and
// compares them with testdata/service-*.golden.html exactly. Update with:
// go test ./views/... -update
func TestServiceGolden(t *testing.T) {
	suspended := fullClientArea()
	suspended.Enabled = false
	suspended.Keys = suspended.Keys[:1]
	suspended.Buckets, suspended.TotalBytes = nil, 0
	noKeys := fullClientArea()
	noKeys.Keys = nil
	disabledTab := fullServiceTab()
	disabledTab.Enabled, disabledTab.Keys, disabledTab.Buckets = false, nil, nil

	for name, html := range map[string]string{
		"service-tab":            tabPage(t, fullServiceTab()),
		"service-tab-disabled":   tabPage(t, disabledTab),
		"service-tab-no-user":    tabPage(t, ServiceTabVM{}),
		"client-area":            reversible(t, render(t, ClientArea(fullClientArea()))) + "\n",
		"client-area-suspended":  reversible(t, render(t, ClientArea(suspended))) + "\n",
		"client-area-no-keys":    reversible(t, render(t, ClientArea(noKeys))) + "\n",
		"client-area-not-set-up": reversible(t, render(t, ClientArea(ClientAreaVM{ServiceID: 7, Token: "t"}))) + "\n",
	} {
		t.Run(name, func(t *testing.T) { checkGolden(t, name, html) })
	}
}

func TestServiceTab(t *testing.T) {
	fields := ServiceTabFields(fullServiceTab())
	var labels []string
	for _, f := range fields {
		labels = append(labels, f.Label)
	}
	if strings.Join(labels, "|") != "S3 user|Access keys|Buckets" {
		t.Fatalf("labels = %v", labels)
	}
	user := parse(t, render(t, fields[0].Content))
	if text(user.Selection) != "6b2f0a9c1d3e4f50 zoe+s3-1234@example.com enabled" {
		t.Errorf("user row = %q", text(user.Selection))
	}
	buckets := parse(t, render(t, fields[2].Content))
	if got := buckets.Find("tr").Last().Find("th").Map(func(_ int, s *goquery.Selection) string { return text(s) }); strings.Join(got, "|") != "2 buckets|1.6 GB" {
		t.Errorf("total row = %q", got)
	}
	if got := buckets.Find("tr").First().Find("span").AttrOr("title", ""); got != "1,610,612,736 bytes" {
		t.Errorf("exact size = %q", got)
	}

	none := ServiceTabFields(ServiceTabVM{})
	if len(none) != 1 || !strings.Contains(render(t, none[0].Content), "No S3 user yet: use Create.") {
		t.Errorf("a service without user: %d fields", len(none))
	}
}

func TestClientArea_FormsPostToTheServicePage(t *testing.T) {
	doc := parse(t, render(t, ClientArea(fullClientArea())))
	forms := doc.Find("form")
	if forms.Length() != 5 { // per key Reveal or Hide and Revoke, and Generate
		t.Fatalf("%d forms", forms.Length())
	}
	fns := map[string]int{}
	forms.Each(func(_ int, f *goquery.Selection) {
		if m := f.AttrOr("method", ""); m != "post" {
			t.Errorf("method %q", m)
		}
		if a := f.AttrOr("action", ""); a != "clientarea.php?action=productdetails&id=1234" {
			t.Errorf("action %q", a)
		}
		if v := f.Find(`input[name="modop"]`).AttrOr("value", ""); v != "custom" {
			t.Errorf("modop %q", v)
		}
		if v := f.Find(`input[name="token"]`).AttrOr("value", ""); v != "5f0e2a7c" {
			t.Errorf("token %q", v)
		}
		fn := f.Find(`input[name="a"]`).AttrOr("value", "")
		fns[fn]++
		key := f.Find(`input[name="access_key"]`).AttrOr("value", "")
		if (fn == ClientFnGenerateKey) != (key == "") {
			t.Errorf("%s carries access_key %q", fn, key)
		}
		_, confirms := f.Attr("onsubmit")
		if confirms != (fn == ClientFnRevokeKey) {
			t.Errorf("%s: confirm on submit = %v", fn, confirms)
		}
	})
	want := map[string]int{ClientFnRevealSecret: 1, ClientFnHideSecret: 1, ClientFnRevokeKey: 2, ClientFnGenerateKey: 1}
	for fn, n := range want {
		if fns[fn] != n {
			t.Errorf("%d %s forms, want %d (%v)", fns[fn], fn, n, fns)
		}
	}
	if got := text(doc.Find(".staas-secret-revealed")); got != "s3cr3tK3yRev3al3d" {
		t.Errorf("revealed secret = %q", got)
	}
	if got := text(doc.Find(".staas-secret-masked")); got != "Zm9v••••••••••••" {
		t.Errorf("masked secret = %q", got)
	}
	gen := doc.Find(`form:has(input[name="a"][value="generatekey"]) button`)
	if _, disabled := gen.Attr("disabled"); !disabled || !strings.Contains(doc.Find(".panel-footer").Text(), "revoke one to generate another") {
		t.Error("Generate is enabled at two key pairs, or the reason is missing")
	}

	one := fullClientArea()
	one.Keys = one.Keys[:1]
	doc = parse(t, render(t, ClientArea(one)))
	if _, disabled := doc.Find(`form:has(input[name="a"][value="generatekey"]) button`).Attr("disabled"); disabled {
		t.Error("Generate is disabled with one key pair")
	}
	if strings.Contains(doc.Text(), "the most allowed") {
		t.Error("the two-pairs note shows with one pair")
	}
}

func TestServiceViews_HostileValuesAreText(t *testing.T) {
	for _, p := range payloads {
		t.Run(p, func(t *testing.T) {
			tab := ServiceTabVM{HasUser: true, UserID: p, Email: p, Keys: []KeyRow{{AccessKeyID: p, Secret: p}},
				Buckets: []BucketRow{{Name: p, Bytes: 1}}, TotalBytes: 1}
			ca := ClientAreaVM{ServiceID: 9, Token: p, HasUser: true, Email: p,
				Keys:    []KeyRow{{AccessKeyID: p, Secret: p}, {AccessKeyID: p, Secret: p, Revealed: true}},
				Buckets: []BucketRow{{Name: p, Bytes: 1}}, TotalBytes: 1}
			var tabHTML strings.Builder
			for _, f := range ServiceTabFields(tab) {
				tabHTML.WriteString("<div>" + render(t, f.Content) + "</div>")
			}
			docs := map[string]*goquery.Document{"tab": parse(t, tabHTML.String()), "client area": parse(t, render(t, ClientArea(ca)))}
			for name, doc := range docs {
				if n := doc.Find("script, img, style").Length(); n != 0 {
					t.Errorf("%s: %d injected elements", name, n)
				}
				doc.Find("*").Each(func(_ int, s *goquery.Selection) {
					for _, a := range s.Nodes[0].Attr {
						if strings.HasPrefix(a.Key, "on") && a.Key != "onsubmit" || a.Key == "onsubmit" && strings.Contains(a.Val, "alert") {
							t.Errorf("%s: attribute %s=%q got through", name, a.Key, a.Val)
						}
					}
				})
				if !strings.Contains(doc.Text(), p) {
					t.Errorf("%s does not show %q as text", name, p)
				}
			}
			cdoc := docs["client area"]
			cdoc.Find("form").Each(func(_ int, f *goquery.Selection) {
				if v := f.Find(`input[name="token"]`).AttrOr("value", ""); v != p {
					t.Errorf("token %q, want %q", v, p)
				}
				if f.Find(`input[name="a"]`).AttrOr("value", "") != ClientFnGenerateKey {
					if v := f.Find(`input[name="access_key"]`).AttrOr("value", ""); v != p {
						t.Errorf("access_key %q, want %q", v, p)
					}
				}
			})
			if got := cdoc.Find(".staas-buckets td").First().Text(); got != p {
				t.Errorf("bucket name cell %q, want %q", got, p)
			}
		})
	}
}
