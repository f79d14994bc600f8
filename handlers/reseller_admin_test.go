package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"staas"
	"staas/handlers"
	"staas/internal/reseller"
	"staas/internal/store"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// resellerAdmin may use the "staas resellers" addon page: WHMCS let the
// admin's role reach it, so the shim adds the permission.
var resellerAdmin = staas.Admin{ID: 9, Name: "Rita Reseller-Admin (rita)", Permissions: []string{staas.PermViewClientSummary, whmcsbridge.PermManageResellers}}

const addonToken = "0123456789abcdef0123456789abcdef01234567"

func newResellerAddon(t *testing.T) *app {
	return newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		d.ResellerAdmin = &reseller.Manager{Store: w.Store}
	})
}

// addon posts one request of the addon page, signed, as the shim does;
// formToken "" is a form without WHMCS's token.
func (a *app) addon(admin staas.Admin, action, formToken string, params map[string]string) (int, map[string]any, *goquery.Document) {
	a.t.Helper()
	status, body := a.call(whmcsbridge.PathResellers, whmcsbridge.ResellerRequest{Admin: admin, ActionURL: "addonmodules.php?module=staas_resellers",
		Token: addonToken, FormToken: formToken, Action: action, Params: params})
	html, _ := body["html"].(string)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		a.t.Fatal(err)
	}
	return status, body, doc
}

func (a *app) resellers() []store.Reseller {
	a.t.Helper()
	list, err := a.Store.Resellers(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	return list
}

func (a *app) addSeller(email, source string) int64 {
	a.t.Helper()
	src, err := store.ParseResellerSource(source)
	if err != nil {
		a.t.Fatal(err)
	}
	id, err := a.Store.AddReseller(context.Background(), store.Reseller{Name: "Seller " + email, Email: email, Source: src}, "a good password here")
	if err != nil {
		a.t.Fatal(err)
	}
	return id
}

func TestResellerAddon_ListShowsResellers(t *testing.T) {
	a := newResellerAddon(t)
	a.addSeller("a@acme.example", "group:3")
	a.addSeller("b@beta.example", "ids:4,5")
	status, _, doc := a.addon(resellerAdmin, "", "", nil)
	if status != 200 {
		t.Fatalf("page: %d", status)
	}
	rows := doc.Find("#staas-resellers-list tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want 2:\n%s", rows.Length(), doc.Text())
	}
	first := rows.First().Text()
	for _, want := range []string{"Seller a@acme.example", "a@acme.example", "active", "group:3", "none"} {
		if !strings.Contains(first, want) {
			t.Errorf("first row %q lacks %q", first, want)
		}
	}
	if !strings.Contains(rows.Last().Text(), "ids:4,5") {
		t.Errorf("second row %q", rows.Last().Text())
	}
	// Every form posts to the page with WHMCS's token and an action.
	forms := doc.Find("form")
	if forms.Length() < 5 {
		t.Fatalf("%d forms", forms.Length())
	}
	forms.Each(func(_ int, f *goquery.Selection) {
		if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") != "addonmodules.php?module=staas_resellers" ||
			f.Find(`input[name="token"]`).AttrOr("value", "") != addonToken || f.Find(`input[name="action"]`).AttrOr("value", "") == "" {
			h, _ := goquery.OuterHtml(f)
			t.Errorf("form without its action, token or method: %s", h)
		}
	})
	if strings.Contains(doc.Text(), "$2a$") {
		t.Fatal("a password hash is on the page")
	}
}

func TestResellerAddon_AddWithBadEmailWritesNothing(t *testing.T) {
	a := newResellerAddon(t)
	status, _, doc := a.addon(resellerAdmin, "add", addonToken, map[string]string{"name": "Acme <b>", "email": "not-an-address", "source-kind": "group", "source-value": "x", "password": "short"})
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	form := doc.Find("#staas-reseller-add")
	errs := form.Find(".field-error").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if len(errs) != 3 || !strings.Contains(errs[0], "not an address") || !strings.Contains(errs[1], "client group id") || !strings.Contains(errs[2], "12 characters") {
		t.Fatalf("field errors %q", errs)
	}
	if v := form.Find(`input[name="name"]`).AttrOr("value", ""); v != "Acme <b>" {
		t.Errorf("the name was not kept: %q", v)
	}
	if v := form.Find(`input[name="password"]`).AttrOr("value", ""); v != "" {
		t.Errorf("the password came back in the form: %q", v)
	}
	if !strings.Contains(doc.Find("#staas-resellers-error").Text(), "Nothing was changed") {
		t.Errorf("no refusal: %s", doc.Text())
	}
	if list := a.resellers(); len(list) != 0 {
		t.Fatalf("a refused add wrote %+v", list)
	}
	if audit, _ := a.Store.Audit(context.Background(), staas.AuditFilter{}); len(audit) != 0 {
		t.Fatalf("a refused add was audited: %+v", audit)
	}
}

func TestResellerAddon_AddShowsTheGeneratedPasswordOnce(t *testing.T) {
	a := newResellerAddon(t)
	status, body, doc := a.addon(resellerAdmin, "add", addonToken, map[string]string{"name": "Acme", "email": "Ops@Acme.example", "source-kind": "field", "source-value": "Reseller=acme", "password": ""})
	if status != 200 {
		t.Fatalf("status %d %v", status, body)
	}
	pw := doc.Find("#staas-resellers-shown dd code").Text()
	list := a.resellers()
	if len(list) != 1 || list[0].Email != "ops@acme.example" || list[0].Source.String() != "field:Reseller=acme" ||
		bcrypt.CompareHashAndPassword([]byte(list[0].PasswordHash), []byte(pw)) != nil {
		t.Fatalf("shown %q; stored %+v", pw, list)
	}
	if secrets, _ := body["secrets"].([]any); len(secrets) != 1 || secrets[0] != pw {
		t.Errorf("the answer's secrets %v do not name the password for the shim's masking", body["secrets"])
	}
	audit, _ := a.Store.Audit(context.Background(), staas.AuditFilter{})
	if len(audit) != 1 || audit[0].Action != "reseller-add" || audit[0].AdminID != 9 || audit[0].AdminName != resellerAdmin.Name || audit[0].Result != "ok" {
		t.Fatalf("audit %+v", audit)
	}
	raw, _ := json.Marshal(audit[0].Params)
	if strings.Contains(string(raw), pw) {
		t.Fatal("the password is in the audit log")
	}
	// The next page does not show it again.
	if _, _, doc := a.addon(resellerAdmin, "", "", nil); strings.Contains(doc.Text(), pw) {
		t.Fatal("the password shows again")
	}
}

func TestResellerAddon_ChangesAndTOTP(t *testing.T) {
	a := newResellerAddon(t)
	id := a.addSeller("a@acme.example", "group:3")
	sid := func() string { return strconv.FormatInt(id, 10) }
	if _, _, doc := a.addon(resellerAdmin, "assign", addonToken, map[string]string{"id": sid(), "source-kind": "ids", "source-value": "9, 7,9"}); !strings.Contains(doc.Find("#staas-resellers-notice").Text(), "ids:7,9") {
		t.Fatalf("assign: %s", doc.Text())
	}
	// A bad source: the row's form opens with the error; nothing changes.
	_, _, doc := a.addon(resellerAdmin, "assign", addonToken, map[string]string{"id": sid(), "source-kind": "group", "source-value": "0"})
	row := doc.Find("#staas-reseller-" + sid())
	if _, open := row.Find("details").Attr("open"); !open || !strings.Contains(row.Find(".field-error").Text(), "client group id") {
		t.Fatalf("refused assign: %s", doc.Text())
	}
	if got := a.resellers()[0].Source.String(); got != "ids:7,9" {
		t.Fatalf("refused assign wrote %s", got)
	}
	old := a.resellers()[0].PasswordHash
	_, _, doc = a.addon(resellerAdmin, "reset-password", addonToken, map[string]string{"id": sid(), "password": "the new password 1"})
	if doc.Find("#staas-resellers-shown").Length() != 0 || a.resellers()[0].PasswordHash == old ||
		bcrypt.CompareHashAndPassword([]byte(a.resellers()[0].PasswordHash), []byte("the new password 1")) != nil {
		t.Fatalf("reset-password: %s", doc.Text())
	}
	a.addon(resellerAdmin, "disable", addonToken, map[string]string{"id": sid()})
	if a.resellers()[0].State != store.ResellerDisabled {
		t.Fatal("not disabled")
	}
	_, _, doc = a.addon(resellerAdmin, "enable", addonToken, map[string]string{"id": sid()})
	if a.resellers()[0].State != store.ResellerActive || !strings.Contains(doc.Find("#staas-resellers-notice").Text(), "enabled") {
		t.Fatal("not enabled")
	}
	_, body, doc := a.addon(resellerAdmin, "totp-enrol", addonToken, map[string]string{"id": sid()})
	secret := a.resellers()[0].TOTPSecret
	if secret == "" || !strings.Contains(doc.Find("#staas-resellers-shown").Text(), secret) || !strings.Contains(doc.Text(), "otpauth://totp/") {
		t.Fatalf("enrol: %s", doc.Text())
	}
	if secrets, _ := body["secrets"].([]any); len(secrets) != 2 || secrets[0] != secret {
		t.Errorf("secrets %v", body["secrets"])
	}
	if !strings.Contains(doc.Find("#staas-reseller-"+sid()).Text(), "authenticator app") {
		t.Error("the row does not say the reseller has a second factor")
	}
	a.addon(resellerAdmin, "totp-remove", addonToken, map[string]string{"id": sid()})
	if a.resellers()[0].TOTPSecret != "" {
		t.Fatal("second factor not removed")
	}
	// An id that is nobody's: said, nothing written.
	if _, _, doc := a.addon(resellerAdmin, "disable", addonToken, map[string]string{"id": "999"}); !strings.Contains(doc.Find("#staas-resellers-error").Text(), "No such reseller") {
		t.Fatalf("unknown id: %s", doc.Text())
	}
	audit, _ := a.Store.Audit(context.Background(), staas.AuditFilter{})
	var actions []string
	for i := len(audit) - 1; i >= 0; i-- {
		if audit[i].AdminName != resellerAdmin.Name {
			t.Errorf("audit row without the admin's name: %+v", audit[i])
		}
		actions = append(actions, audit[i].Action)
	}
	want := "reseller-assign reseller-reset-password reseller-disable reseller-enable reseller-totp-enrol reseller-totp-remove"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audited %v, want %s", actions, want)
	}
}

func TestResellerAddon_Refusals(t *testing.T) {
	a := newResellerAddon(t)
	add := map[string]string{"name": "Acme", "email": "a@acme.example", "source-kind": "group", "source-value": "3", "password": ""}
	for name, c := range map[string]struct {
		admin     staas.Admin
		action    string
		formToken string
		params    map[string]string
	}{
		"CSRF token missing":                 {resellerAdmin, "add", "", add},
		"CSRF token wrong":                   {resellerAdmin, "add", "ffffffffffffffffffffffffffffffffffffffff", add},
		"admin without the addon's access":   {fullAdmin, "add", addonToken, add},
		"admin without the addon, only look": {outsider, "", "", nil},
	} {
		status, body, _ := a.addon(c.admin, c.action, c.formToken, c.params)
		if status != http.StatusForbidden || body["result"] != "error" || body["html"] != nil {
			t.Errorf("%s: %d %v, want 403 and no page", name, status, body)
		}
	}
	// Unsigned and forged requests never reach the page.
	payload, _ := json.Marshal(whmcsbridge.ResellerRequest{Admin: resellerAdmin, ActionURL: "x.php", Token: addonToken, FormToken: addonToken, Action: "add", Params: add})
	unsigned, _ := http.NewRequest(http.MethodPost, a.srv.URL+whmcsbridge.PathResellers, bytes.NewReader(payload))
	if status, _ := a.do(unsigned); status != http.StatusUnauthorized {
		t.Errorf("unsigned: %d", status)
	}
	forged, _ := http.NewRequest(http.MethodPost, a.srv.URL+whmcsbridge.PathResellers, bytes.NewReader(payload))
	if err := whmcsbridge.SignRequest(forged, []byte("not the shared secret at all"), time.Now(), payload); err != nil {
		t.Fatal(err)
	}
	if status, _ := a.do(forged); status != http.StatusUnauthorized {
		t.Errorf("forged: %d", status)
	}
	if list := a.resellers(); len(list) != 0 {
		t.Fatalf("a refused request wrote %+v", list)
	}
	if audit, _ := a.Store.Audit(context.Background(), staas.AuditFilter{}); len(audit) != 0 {
		t.Fatalf("a refused request was audited: %+v", audit)
	}
}
