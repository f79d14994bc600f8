package views

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// linkVariants are the "Other Actions" of clients in every state.
func linkVariants() map[string]LinksVM {
	noUser := LinksVM{Form: testForm, CanChange: true}
	disabled := fullLinks()
	disabled.UserState = "disabled"
	disabled.On = nil
	noPerm := fullLinks()
	noPerm.CanChange = false
	return map[string]LinksVM{
		"no user":       noUser,
		"enabled user":  fullLinks(),
		"disabled user": disabled,
		"no permission": noPerm,
	}
}

// checkForms checks that every form posts to the action URL with the
// token and the client, and that every button posts a known action.
func checkForms(t *testing.T, doc *goquery.Document, f Form) {
	t.Helper()
	forms := doc.Find("form")
	if forms.Length() == 0 {
		t.Fatal("no forms")
	}
	forms.Each(func(i int, form *goquery.Selection) {
		if m := form.AttrOr("method", ""); m != "post" {
			t.Errorf("form %d: method %q, want post", i, m)
		}
		if a := form.AttrOr("action", ""); a != f.ActionURL {
			t.Errorf("form %d: action %q, want %q", i, a, f.ActionURL)
		}
		tok := form.Find(`input[name="token"]`)
		if tok.Length() != 1 || tok.AttrOr("type", "") != "hidden" || tok.AttrOr("value", "") != f.Token {
			t.Errorf("form %d: want one hidden token %q, got %d", i, f.Token, tok.Length())
		}
		uid := form.Find(`input[name="userid"]`)
		if uid.Length() != 1 || uid.AttrOr("type", "") != "hidden" || uid.AttrOr("value", "") != strconv.FormatInt(f.ClientID, 10) {
			t.Errorf("form %d: want one hidden userid %d, got %d", i, f.ClientID, uid.Length())
		}
		if form.Find(`button[type="submit"][name="action"]`).Length() == 0 {
			t.Errorf("form %d has no action button", i)
		}
		// One action per click: no hidden field may carry an action.
		if n := form.Find(`input[name="action"]`).Length(); n != 0 {
			t.Errorf("form %d has %d action inputs", i, n)
		}
	})
	doc.Find("button").Each(func(_ int, b *goquery.Selection) {
		if b.AttrOr("type", "") != "submit" || b.AttrOr("name", "") != "action" {
			t.Errorf("button %q: type %q name %q", text(b), b.AttrOr("type", ""), b.AttrOr("name", ""))
		}
		if v := b.AttrOr("value", ""); !knownActions[v] {
			t.Errorf("button %q posts unknown action %q", text(b), v)
		}
		if b.Closest("form").Length() != 1 {
			t.Errorf("button %q is outside a form", text(b))
		}
	})
}

// checkNoActionLinks fails when a link could act: the only links allowed
// point into the page.
func checkNoActionLinks(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		if h := a.AttrOr("href", ""); !strings.HasPrefix(h, "#") {
			t.Errorf("link %q goes to %q; actions must be POST forms", text(a), h)
		}
	})
	doc.Find("[formaction], [formmethod]").Each(func(_ int, s *goquery.Selection) {
		t.Errorf("%s overrides its form's action or method", goquery.NodeName(s))
	})
}

func TestLinksFormsPostWithTokenAndClient(t *testing.T) {
	for name, vm := range linkVariants() {
		t.Run(name, func(t *testing.T) {
			doc := linksDoc(t, vm)
			checkForms(t, doc, vm.Form)
			checkNoActionLinks(t, doc)
		})
	}
}

func TestLinksGroupsInGuideOrder(t *testing.T) {
	want := []string{
		"S3 - User Management", "S3 - User Limits Management", "S3 - Bucket Limits Management",
		"S3 - Quotas", "S3 - Usage Statistics",
	}
	for name, vm := range linkVariants() {
		t.Run(name, func(t *testing.T) {
			if n := len(ActionLinks(vm)); n != len(want) {
				t.Fatalf("%d groups, want %d", n, len(want))
			}
			doc := linksDoc(t, vm)
			items := doc.Find("#other-actions > li")
			if items.Length() != len(want) {
				t.Fatalf("%d list items, want %d", items.Length(), len(want))
			}
			items.Each(func(i int, li *goquery.Selection) {
				if h := text(li.Find("strong").First()); h != want[i] {
					t.Errorf("group %d heading %q, want %q", i, h, want[i])
				}
			})
		})
	}
}

// userActionLabels are the labels of group (a)'s buttons and links, in order.
func userActionLabels(t *testing.T, vm LinksVM) []string {
	t.Helper()
	var got []string
	linksDoc(t, vm).Find("#staas-links-user").Find("button, a").Each(func(_ int, s *goquery.Selection) {
		got = append(got, text(s))
	})
	return got
}

func TestLinksUserActionsFitTheState(t *testing.T) {
	v := linkVariants()
	enabledOff := fullLinks()
	enabledOff.On = nil
	cases := []struct {
		name string
		vm   LinksVM
		want []string
	}{
		{"no user", v["no user"], []string{"Create User", "List Users: hidden", "Audit log: hidden"}},
		{"enabled user, panels off", enabledOff, []string{
			"Delete User", "Disable User", "Generate Access Key", "Revoke Access Key", "Empty and delete buckets",
			"Query User: hidden", "List Users: hidden", "Buckets: hidden", "Audit log: hidden",
		}},
		{"disabled user", v["disabled user"], []string{
			"Delete User", "Enable User", "Generate Access Key", "Revoke Access Key", "Empty and delete buckets",
			"Query User: hidden", "List Users: hidden", "Buckets: hidden", "Audit log: hidden",
		}},
		{"unknown state offers both", func() LinksVM { vm := enabledOff; vm.UserState = ""; return vm }(), []string{
			"Delete User", "Enable User", "Disable User", "Generate Access Key", "Revoke Access Key", "Empty and delete buckets",
			"Query User: hidden", "List Users: hidden", "Buckets: hidden", "Audit log: hidden",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := userActionLabels(t, c.vm); !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestLinksButtonsPostTheirAction(t *testing.T) {
	doc := linksDoc(t, func() LinksVM { vm := fullLinks(); vm.UserState = ""; vm.On = nil; return vm }())
	want := map[string]string{
		"Delete User":                     ActDeleteUser,
		"Enable User":                     ActEnableUser,
		"Disable User":                    ActDisableUser,
		"Generate Access Key":             ActGenerateKey,
		"Revoke Access Key":               ActToggleUser, // opens the key list
		"Query User: hidden":              ActToggleUser,
		"List Users: hidden":              ActToggleUsers,
		"Buckets: hidden":                 ActToggleBuckets,
		"List Statistics Objects: hidden": ActToggleStats,
		"Usage history: hidden":           ActToggleUsage,
		"Audit log: hidden":               ActToggleAudit,
	}
	doc.Find("button").Each(func(_ int, b *goquery.Selection) {
		if w, ok := want[text(b)]; ok {
			if v := b.AttrOr("value", ""); v != w {
				t.Errorf("%q posts %q, want %q", text(b), v, w)
			}
			delete(want, text(b))
		}
	})
	for label := range want {
		t.Errorf("no button %q", label)
	}
	doc2 := linksDoc(t, LinksVM{Form: testForm, CanChange: true})
	if v := doc2.Find("button:contains('Create User')").AttrOr("value", ""); v != ActCreateUser {
		t.Errorf("Create User posts %q", v)
	}

	forms := map[string][3]string{
		"#staas-links-user-limits":   {ActUserLimitsSet, ActUserLimitsGet, ActUserLimitsDelete},
		"#staas-links-bucket-limits": {ActBucketLimitsSet, ActBucketLimitsGet, ActBucketLimitsDelete},
		"#staas-links-quota":         {ActQuotaSet, ActQuotaGet, ActQuotaDelete},
	}
	for sel, acts := range forms {
		var got []string
		doc.Find(sel + " form button").Each(func(_ int, b *goquery.Selection) {
			got = append(got, text(b)+"="+b.AttrOr("value", ""))
		})
		want := []string{"Set=" + acts[0], "Get=" + acts[1], "Delete=" + acts[2]}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	var got []string
	doc.Find("#staas-links-stats form").Last().Find("button").Each(func(_ int, b *goquery.Selection) {
		got = append(got, text(b)+"="+b.AttrOr("value", ""))
	})
	if want := []string{"Get=" + ActStatsGet, "Delete=" + ActStatsDelete}; !slices.Equal(got, want) {
		t.Errorf("object form: %q, want %q", got, want)
	}
}

func TestLinksTogglesShowOnOff(t *testing.T) {
	labels := map[string]string{
		PanelUser: "Query User", PanelUsers: "List Users", PanelBuckets: "Buckets", PanelStats: "List Statistics Objects",
		PanelUsage: "Usage history", PanelAudit: "Audit log",
	}
	for panel, label := range labels {
		for _, on := range []bool{false, true} {
			vm := fullLinks()
			vm.On = map[string]bool{panel: on}
			doc := linksDoc(t, vm)
			// The label reads as the panel's state, not "(on)"/"(off)".
			want := label + ": hidden"
			if on {
				want = label + ": shown"
			}
			b := doc.Find("button").FilterFunction(func(_ int, s *goquery.Selection) bool { return text(s) == want })
			if b.Length() != 1 {
				t.Errorf("no button %q", want)
				continue
			}
			if p := b.AttrOr("aria-pressed", ""); p != strconv.FormatBool(on) {
				t.Errorf("%q: aria-pressed %q", want, p)
			}
		}
	}
}

func TestLinksRevokeKeyPointsToTheOpenKeyList(t *testing.T) {
	vm := fullLinks() // the user panel is on
	doc := linksDoc(t, vm)
	a := doc.Find("#staas-links-user a").First()
	if text(a) != "Revoke Access Key" || a.AttrOr("href", "") != "#staas-panel-user" {
		t.Errorf("Revoke Access Key with the key list open: %q -> %q", text(a), a.AttrOr("href", ""))
	}
	// The id it points to is the user panel's.
	pdoc := panelsDoc(t, fullPanels())
	if pdoc.Find("#staas-panel-user").Length() != 1 {
		t.Error("no #staas-panel-user")
	}
}

func TestLinksWithoutPermission(t *testing.T) {
	vm := fullLinks()
	vm.CanChange = false
	vm.On = nil
	doc := linksDoc(t, vm)
	checkChangeButtons(t, doc, false)
	if !strings.Contains(text(doc.Find("#staas-links-user")), "Perform Server Operations") {
		t.Error("the missing permission is not named in words")
	}

	vm.CanChange = true
	doc = linksDoc(t, vm)
	checkChangeButtons(t, doc, true)
	if strings.Contains(doc.Text(), "Perform Server Operations") {
		t.Error("the permission note shows for an admin who has it")
	}
}

// checkChangeButtons checks that change buttons are disabled, with the
// permission in their title, exactly when the admin cannot change, and
// that read-only buttons are always enabled.
func checkChangeButtons(t *testing.T, doc *goquery.Document, canChange bool) {
	t.Helper()
	n := 0
	doc.Find("button").Each(func(_ int, b *goquery.Selection) {
		change := changeActions[b.AttrOr("value", "")] || text(b) == "Revoke Access Key" || text(b) == "Empty and delete buckets"
		_, disabled := b.Attr("disabled")
		switch {
		case change && !canChange:
			n++
			if !disabled {
				t.Errorf("%q is enabled without the permission", text(b))
			}
			if title := b.AttrOr("title", ""); !strings.Contains(title, `"Perform Server Operations"`) {
				t.Errorf("%q: title %q does not name the permission", text(b), title)
			}
		case disabled:
			t.Errorf("%q (%s) is disabled (can change: %v)", text(b), b.AttrOr("value", ""), canChange)
		}
	})
	if !canChange && n == 0 {
		t.Error("no change buttons found")
	}
}

func TestLinksFormsKeepValuesAndShowErrors(t *testing.T) {
	vm := fullLinks()
	vm.UserLimits = LimitsForm{
		OpsName: "put", OpsValue: "-5", BandwidthName: "out", BandwidthValue: "7",
		Errors: FieldErrors{fieldOpsValue: "ops must be 0 or more"},
	}
	vm.BucketLimits = LimitsForm{
		OpsValue: "1", BandwidthValue: "fast", Bucket: "backups",
		Errors: FieldErrors{fieldBandwidthValue: "bandwidth is a number", fieldBucket: "bad bucket name"},
	}
	vm.Quota = QuotaForm{Of: QuotaOfBucket + "photos", SizeGB: "ten", Errors: FieldErrors{FieldQuotaGB: "whole GB"}}
	vm.Object = ObjectForm{Object: "../x", Errors: FieldErrors{fieldObject: "bad object", "": "the gateway said no"}}
	doc := linksDoc(t, vm)

	type field struct{ group, name, value, err string }
	fields := []field{
		{"#staas-links-user-limits", "ops-value", "-5", "ops must be 0 or more"},
		{"#staas-links-user-limits", "bandwidth-value", "7", ""},
		{"#staas-links-bucket-limits", "ops-value", "1", ""},
		{"#staas-links-bucket-limits", "bandwidth-value", "fast", "bandwidth is a number"},
		{"#staas-links-bucket-limits", "bucket", "backups", "bad bucket name"},
		{"#staas-links-quota", "quota-of", "bucket:photos", ""},
		{"#staas-links-quota", "quota-gb", "ten", "whole GB"},
		{"#staas-links-stats", "object", "../x", "bad object"},
	}
	for _, f := range fields {
		in := doc.Find(f.group + ` input[name="` + f.name + `"],` + f.group + ` select[name="` + f.name + `"]`)
		if in.Length() != 1 {
			t.Errorf("%s %s: %d inputs", f.group, f.name, in.Length())
			continue
		}
		v := in.AttrOr("value", "?")
		if in.Is("select") {
			v = in.Find("option[selected]").AttrOr("value", "?")
		}
		if v != f.value {
			t.Errorf("%s %s: value %q, want %q", f.group, f.name, v, f.value)
		}
		grp := in.Closest(".form-group")
		help := grp.Find(".help-block")
		if f.err == "" {
			if grp.HasClass("has-error") || help.Length() != 0 || in.AttrOr("aria-invalid", "") != "" {
				t.Errorf("%s %s: shown as an error without one", f.group, f.name)
			}
			continue
		}
		if !grp.HasClass("has-error") {
			t.Errorf("%s %s: group without has-error", f.group, f.name)
		}
		if text(help) != f.err {
			t.Errorf("%s %s: error %q next to the field, want %q", f.group, f.name, text(help), f.err)
		}
		if in.AttrOr("aria-invalid", "") != "true" || in.AttrOr("aria-describedby", "") != help.AttrOr("id", "-") {
			t.Errorf("%s %s: not tied to its error (aria-describedby %q, error id %q)", f.group, f.name,
				in.AttrOr("aria-describedby", ""), help.AttrOr("id", ""))
		}
	}
	if got := doc.Find(`#staas-links-user-limits select[name="ops-name"] option[selected]`).AttrOr("value", ""); got != "put" {
		t.Errorf("ops-name kept as %q, want put", got)
	}
	if got := doc.Find(`#staas-links-bucket-limits select[name="ops-name"] option[selected]`).AttrOr("value", ""); got != "default" {
		t.Errorf("empty ops-name selects %q, want default", got)
	}
	if !strings.Contains(text(doc.Find("#staas-links-stats")), "the gateway said no") {
		t.Error("an error keyed by no field of the form is dropped")
	}
	// Ids are unique on the page, as labels and aria need.
	seen := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id := s.AttrOr("id", "")
		if seen[id] {
			t.Errorf("id %q used twice", id)
		}
		seen[id] = true
	})
}

func TestLinksLimitsFields(t *testing.T) {
	doc := linksDoc(t, fullLinks())
	for _, g := range []string{"#staas-links-user-limits", "#staas-links-bucket-limits"} {
		var ops []string
		doc.Find(g + ` select[name="ops-name"] option`).Each(func(_ int, o *goquery.Selection) {
			ops = append(ops, o.AttrOr("value", ""))
		})
		if want := []string{"default", "get", "put", "list", "delete"}; !slices.Equal(ops, want) {
			t.Errorf("%s ops-name options %q, want %q", g, ops, want)
		}
		if v := doc.Find(g+` select[name="bandwidth-name"] option`).AttrOr("value", ""); v != "out" {
			t.Errorf("%s bandwidth-name %q", g, v)
		}
		txt := text(doc.Find(g))
		if !strings.Contains(txt, "ops/s") || !strings.Contains(txt, "KB/s") {
			t.Errorf("%s: units missing in %q", g, txt)
		}
	}
	if n := doc.Find(`#staas-links-user-limits input[name="bucket"]`).Length(); n != 0 {
		t.Error("the user limits form has a bucket field")
	}
	// The bucket limits form picks one of the client's buckets, from a
	// prompt that is no bucket; the quota form picks the user or a bucket.
	for g, want := range map[string][]string{
		`#staas-links-bucket-limits select[name="bucket"]`: {"", "photos", "backups"},
		`#staas-links-quota select[name="quota-of"]`:       {"", "user", "bucket:photos", "bucket:backups"},
	} {
		var got []string
		doc.Find(g + " option").Each(func(_ int, o *goquery.Selection) { got = append(got, o.AttrOr("value", "-")) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: options %q, want %q", g, got, want)
		}
		if sel := doc.Find(g+" option[selected]").AttrOr("value", "-"); sel != "" {
			t.Errorf("%s starts on %q, want the prompt", g, sel)
		}
	}
	if doc.Find(`#staas-links-bucket-limits input[name="bucket"], #staas-links-quota input[name="bucket"]`).Length() != 0 {
		t.Error("a free-text bucket field is left")
	}
	if !strings.Contains(text(doc.Find("#staas-links-quota")), "GB") {
		t.Error("the quota form does not say GB")
	}
}

func TestLinksWithoutUserNeedTheUserFirst(t *testing.T) {
	doc := linksDoc(t, LinksVM{Form: testForm, CanChange: true, Buckets: []string{"x"}})
	for _, g := range []string{"#staas-links-user-limits", "#staas-links-bucket-limits", "#staas-links-quota"} {
		if doc.Find(g+" form").Length() != 0 {
			t.Errorf("%s has a form before the user exists", g)
		}
		if !strings.Contains(text(doc.Find(g)), "No S3 user yet") {
			t.Errorf("%s does not say why", g)
		}
	}
	if doc.Find(`#staas-links-stats input[name="object"]`).Length() != 1 {
		t.Error("statistics are the cluster's and need no user")
	}
}
