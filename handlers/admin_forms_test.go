package handlers_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"staas/internal/ostor"
)

// Every field a rendered form posts is a parameter of each action its
// buttons post to: otherwise staas (and the PHP addon, which forwards
// only those) would drop what the admin typed. The lists are read from
// the fixture both sides share.
func TestForms_PostOnlyTheirActionsParams(t *testing.T) {
	b, err := os.ReadFile("../whmcsbridge/testdata/shim/admin/action_params.json")
	if err != nil {
		t.Fatal(err)
	}
	var takes map[string][]string
	if err := json.Unmarshal(b, &takes); err != nil {
		t.Fatal(err)
	}

	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	if err := a.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	for _, toggle := range []string{"toggle-user", "toggle-users", "toggle-buckets", "toggle-stats", "toggle-usage", "toggle-audit"} {
		a.act(fullAdmin, toggle, nil)
	}
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	// A pending question renders the confirmation form too.
	a.act(fullAdmin, "revoke-key", map[string]string{"access_key": u.Keys[0].AccessKeyID})

	seen := 0
	for _, doc := range []*goquery.Document{a.links(fullAdmin), a.panels(fullAdmin)} {
		doc.Find("form").Each(func(_ int, form *goquery.Selection) {
			var fields []string
			form.Find("input[name], select[name], textarea[name]").Each(func(_ int, f *goquery.Selection) {
				if name := f.AttrOr("name", ""); name != "token" && name != "userid" && f.AttrOr("type", "") != "submit" {
					fields = append(fields, name)
				}
			})
			form.Find(`button[name="action"]`).Each(func(_ int, btn *goquery.Selection) {
				action := btn.AttrOr("value", "")
				list, ok := takes[action]
				if !ok {
					t.Errorf("a button posts %q, which takes no parameters in the list", action)
					return
				}
				seen++
				for _, f := range fields {
					if !slices.Contains(list, f) {
						t.Errorf("the form of %q posts %q, which the action does not take (its list: %v)", action, f, list)
					}
				}
			})
		})
	}
	if seen < 20 {
		t.Errorf("only %d buttons checked; the page did not render the forms", seen)
	}
}
