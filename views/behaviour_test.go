package views

import (
	"strings"
	"testing"
)

// At the most key pairs ostor allows, Generate Access Key is disabled
// with the reason, in its title and in words, whatever the admin's role;
// below it, it is a plain change button.
func TestLinksGenerateKeyDisabledAtTheKeyLimit(t *testing.T) {
	for _, c := range []struct {
		pairs    int
		disabled bool
	}{{0, false}, {1, false}, {MaxKeyPairs, true}} {
		vm := fullLinks()
		vm.KeyPairs = c.pairs
		doc := linksDoc(t, vm)
		b := doc.Find(`button[value="` + ActGenerateKey + `"]`)
		_, disabled := b.Attr("disabled")
		if disabled != c.disabled {
			t.Errorf("%d pairs: disabled %v, want %v", c.pairs, disabled, c.disabled)
		}
		note := text(doc.Find("#staas-links-user .staas-key-limit"))
		if c.disabled {
			if title := b.AttrOr("title", ""); !strings.Contains(title, "the most the storage allows") {
				t.Errorf("%d pairs: title %q gives no reason", c.pairs, title)
			}
			if !strings.Contains(note, "revoke one to generate another") {
				t.Errorf("%d pairs: the reason is not in words: %q", c.pairs, note)
			}
		} else if note != "" {
			t.Errorf("%d pairs: a key limit note %q", c.pairs, note)
		}
	}
}

// Each bucket has "Empty and delete", posting the bucket; its
// confirmation asks for the bucket's name typed out, in a labelled field
// that starts empty, and shows why a wrong name was refused.
func TestPanelsPurgeBucketAsksForTheTypedName(t *testing.T) {
	doc := panelsDoc(t, fullPanels())
	row := doc.Find("#staas-panel-buckets tr.altrow").First()
	b := row.Find(`button[value="` + ActPurgeBucket + `"]`)
	if text(b) != "Empty and delete" || b.Closest("form").Find(`input[name="bucket"]`).AttrOr("value", "") != "photos" {
		t.Errorf("photos row: button %q posting bucket %q", text(b), b.Closest("form").Find(`input[name="bucket"]`).AttrOr("value", ""))
	}

	vm := PanelsVM{Form: testForm, CanChange: true, Confirm: &ConfirmVM{
		Action: ActPurgeBucket, Question: "Empty and delete the bucket photos?",
		Params: map[string]string{"bucket": "photos"}, TypeToConfirm: "photos",
	}}
	doc = panelsDoc(t, vm)
	in := doc.Find(`.staas-confirm input[name="` + FieldTypedName + `"]`)
	if in.Length() != 1 || in.AttrOr("value", "x") != "" || in.AttrOr("type", "") != "text" {
		t.Fatalf("typed-name field: %d, value %q", in.Length(), in.AttrOr("value", "x"))
	}
	if _, req := in.Attr("required"); !req {
		t.Error("the typed name is not required")
	}
	label := doc.Find(`.staas-confirm label[for="` + in.AttrOr("id", "-") + `"]`)
	if !strings.Contains(text(label), "photos") {
		t.Errorf("label %q does not say what to type", text(label))
	}
	if in.Closest("form").Find(`button[value="`+ActPurgeBucket+`"]`).Length() != 1 {
		t.Error("the typed name is not in the Confirm form")
	}

	vm.Confirm.Error = "Type photos exactly to confirm."
	doc = panelsDoc(t, vm)
	in = doc.Find(`.staas-confirm input[name="` + FieldTypedName + `"]`)
	if in.AttrOr("aria-invalid", "") != "true" || text(doc.Find("#"+in.AttrOr("aria-describedby", "-"))) != vm.Confirm.Error {
		t.Errorf("the refusal is not by the field: %q", text(doc.Find(".staas-confirm")))
	}

	// A plain confirmation has no such field.
	vm.Confirm = &ConfirmVM{Action: ActDeleteUser, Question: "Delete?"}
	if panelsDoc(t, vm).Find(`input[name="`+FieldTypedName+`"]`).Length() != 0 {
		t.Error("a plain confirmation asks to type a name")
	}
}

// The object panel says whose rows it shows, of how many, and offers the
// other scope; with none of this client's rows it says that, not "no
// items".
func TestPanelObjectScope(t *testing.T) {
	o := &ObjectVM{Name: "s3-usage-1", TotalRows: 4, ClientRows: 0}
	doc := panelsDoc(t, PanelsVM{Form: testForm, CanChange: false, Object: o})
	scope := doc.Find("#staas-panel-object .staas-object-scope")
	if !strings.Contains(text(scope), "0 of the object's 4 items") {
		t.Errorf("scope %q", text(scope))
	}
	b := scope.Find("button")
	if text(b) != "Show every client's rows" || b.Closest("form").Find(`input[name="scope"]`).AttrOr("value", "") != ScopeAll {
		t.Errorf("switch %q", text(b))
	}
	if _, dis := b.Attr("disabled"); dis {
		t.Error("the switch only looks: a view-only admin may use it")
	}
	if got := text(doc.Find("#staas-panel-object tr.altrow")); got != "no items of this client's S3 users" {
		t.Errorf("empty row %q", got)
	}
	o.All = true
	doc = panelsDoc(t, PanelsVM{Form: testForm, Object: o})
	if b := doc.Find("#staas-panel-object .staas-object-scope button"); text(b) != "Show only this client's rows" {
		t.Errorf("switch back %q", text(b))
	}
	if !strings.Contains(text(doc.Find("#staas-panel-object .title")), "whole cluster") {
		t.Error("the object panel does not say it is the whole cluster's")
	}
}

// Without buckets there is nothing for bucket limits to act on: the group
// says so instead of a form whose every submit would be refused, and says
// when the buckets could not be read rather than that there are none.
func TestLinksBucketLimitsWithoutBuckets(t *testing.T) {
	vm := fullLinks()
	vm.Buckets = nil
	doc := linksDoc(t, vm)
	g := doc.Find("#staas-links-bucket-limits")
	if g.Find("form").Length() != 0 || !strings.Contains(text(g), "No buckets yet") {
		t.Errorf("no buckets: %q", text(g))
	}
	vm.BucketsUnread = true
	g = linksDoc(t, vm).Find("#staas-links-bucket-limits")
	if g.Find("form").Length() != 0 || !strings.Contains(text(g), "could not be read") {
		t.Errorf("buckets unread: %q", text(g))
	}
}
