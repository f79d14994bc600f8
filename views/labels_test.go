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
