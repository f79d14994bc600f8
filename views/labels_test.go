package views

import (
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestEveryFieldIsLabelled: an admin sees what each field of the "Other
// Actions" forms is for (a visible <label for>, not only a unit after the
// box or a placeholder that vanishes when typing), and a screen reader
// names every field, select and search box.
func TestEveryFieldIsLabelled(t *testing.T) {
	vm := fullLinks()
	docs := []*goquery.Document{linksDoc(t, vm), panelsDoc(t, fullPanels())}
	vm.UserLimits.Errors = FieldErrors{fieldOpsValue: "bad"}
	docs = append(docs, linksDoc(t, vm))
	n := 0
	for _, doc := range docs {
		doc.Find("input, select, textarea").Each(func(_ int, f *goquery.Selection) {
			typ := f.AttrOr("type", "text")
			if typ == "hidden" {
				return
			}
			n++
			name := f.AttrOr("name", "?")
			id := f.AttrOr("id", "")
			label := ""
			if id != "" {
				label = text(doc.Find(`label[for="` + id + `"]`))
			}
			if goquery.NodeName(f) == "input" && typ == "text" {
				if label == "" {
					t.Errorf("the text field %q (id %q) has no visible <label for>", name, id)
				}
				return
			}
			if label == "" && f.AttrOr("aria-label", "") == "" {
				t.Errorf("the %s %q has neither a <label for> nor an aria-label", goquery.NodeName(f), name)
			}
		})
	}
	if n == 0 {
		t.Fatal("no fields rendered")
	}
}

// TestAChoiceOnItsOwnRowIsLabelled: the bucket of Bucket Limits and the
// "Quota of" choice stand on rows of their own; once a bucket is picked,
// the prompt option is gone, and the row read only "alice-photos" with
// nothing saying it was the bucket the limits or the quota apply to. A
// select that shares its row with a labelled field (the operation next to
// "Ops limit") is named by that row; one alone needs its own visible label.
func TestAChoiceOnItsOwnRowIsLabelled(t *testing.T) {
	vm := fullLinks()
	doc := linksDoc(t, vm)
	n := 0
	doc.Find(".form-group").Each(func(_ int, g *goquery.Selection) {
		if g.Find("input:not([type=hidden])").Length() > 0 {
			return
		}
		g.Find("select").Each(func(_ int, f *goquery.Selection) {
			n++
			id := f.AttrOr("id", "")
			if id == "" || text(doc.Find(`label[for="`+id+`"]`)) == "" {
				t.Errorf("the select %q stands on its own row without a visible <label for>", f.AttrOr("name", "?"))
			}
		})
	})
	if n < 2 {
		t.Fatalf("%d selects on rows of their own, want the bucket limits' bucket and the quota's choice at least", n)
	}
}
