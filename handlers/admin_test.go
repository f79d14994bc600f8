package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

var testSecret = []byte("test-shim-secret-0123456789abcdef")

var (
	fullAdmin = staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}
	viewer    = staas.Admin{ID: 2, Permissions: []string{staas.PermViewClientSummary}}
	outsider  = staas.Admin{ID: 3, Permissions: []string{"List Clients"}}
)

type app struct {
	*testworld.World
	t   *testing.T
	srv *httptest.Server
}

func newApp(t *testing.T) *app { return newAppWith(t, nil) }

// newAppWith is newApp with the handlers' dependencies adjusted by deps.
func newAppWith(t *testing.T, deps func(*testworld.World, *handlers.Deps)) *app {
	t.Helper()
	w := testworld.New(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}})
	svc := provision.New(provision.Config{Gateway: w.Gateway, Store: w.Store, WHMCS: w.Bridge})
	d := fullDeps(w, svc)
	if deps != nil {
		deps(w, &d)
	}
	e, err := handlers.New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &app{World: w, t: t, srv: srv}
}

// call posts a request signed as the shim signs it.
func (a *app) call(path string, payload any) (int, map[string]any) {
	a.t.Helper()
	body, _ := json.Marshal(payload)
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(body))
	if err := whmcsbridge.SignRequest(req, testSecret, time.Now(), body); err != nil {
		a.t.Fatal(err)
	}
	return a.do(req)
}

func (a *app) do(req *http.Request) (int, map[string]any) {
	a.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		a.t.Fatalf("%s: not JSON: %v", req.URL.Path, err)
	}
	return resp.StatusCode, out
}

func (a *app) act(admin staas.Admin, action string, params map[string]string) (int, map[string]any) {
	a.t.Helper()
	return a.call("/shim/v1/admin/actions/"+action, whmcsbridge.ActionRequest{Admin: admin, ClientID: 1, Params: params})
}

func pageRequest(admin staas.Admin) whmcsbridge.AdminRequest {
	return whmcsbridge.AdminRequest{Admin: admin, ClientID: 1, ActionURL: "staas-action.php", Token: "tok123"}
}

// panels returns the panels HTML the admin sees now, parsed.
func (a *app) panels(admin staas.Admin) *goquery.Document {
	a.t.Helper()
	status, body := a.call("/shim/v1/admin/panels", pageRequest(admin))
	if status != 200 {
		a.t.Fatalf("panels: %d %v", status, body)
	}
	html, _ := body["html"].(string)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		a.t.Fatal(err)
	}
	return doc
}

// links returns the action links HTML, joined and parsed.
func (a *app) links(admin staas.Admin) *goquery.Document {
	a.t.Helper()
	status, body := a.call("/shim/v1/admin/links", pageRequest(admin))
	if status != 200 {
		a.t.Fatalf("links: %d %v", status, body)
	}
	var html strings.Builder
	list, _ := body["links"].([]any)
	for _, l := range list {
		html.WriteString("<li>" + l.(string) + "</li>")
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html.String()))
	if err != nil {
		a.t.Fatal(err)
	}
	return doc
}

func button(doc *goquery.Document, action string) *goquery.Selection {
	return doc.Find(`button[name="action"][value="` + action + `"]`)
}

func TestShimSignatureIsRequired(t *testing.T) {
	a := newApp(t)
	body, _ := json.Marshal(whmcsbridge.ActionRequest{Admin: fullAdmin, ClientID: 1})
	path := "/shim/v1/admin/actions/create-user"

	unsigned, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(body))
	if status, _ := a.do(unsigned); status != http.StatusUnauthorized {
		t.Errorf("unsigned: %d, want 401", status)
	}
	wrong, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(body))
	_ = whmcsbridge.SignRequest(wrong, []byte("another-secret-0123456789abcdef-xx"), time.Now(), body)
	if status, _ := a.do(wrong); status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", status)
	}
	tampered, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader([]byte(strings.Replace(string(body), `"client_id":1`, `"client_id":2`, 1))))
	_ = whmcsbridge.SignRequest(tampered, testSecret, time.Now(), body)
	if status, _ := a.do(tampered); status != http.StatusUnauthorized {
		t.Errorf("tampered body: %d, want 401", status)
	}
	stale, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(body))
	_ = whmcsbridge.SignRequest(stale, testSecret, time.Now().Add(-10*time.Minute), body)
	if status, _ := a.do(stale); status != http.StatusUnauthorized {
		t.Errorf("10 minutes old: %d, want 401", status)
	}
	if _, err := a.Gateway.User(context.Background(), ostor.ByEmail("alice@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("a refused request created the user: %v", err)
	}

	// A replay of a good request is refused: the user is created once.
	first, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(body))
	_ = whmcsbridge.SignRequest(first, testSecret, time.Now(), body)
	replay, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, bytes.NewReader(body))
	replay.Header = first.Header.Clone()
	if status, res := a.do(first); status != 200 {
		t.Fatalf("signed: %d %v", status, res)
	}
	if status, _ := a.do(replay); status != http.StatusUnauthorized {
		t.Errorf("replay: %d, want 401", status)
	}
}

func TestLinks_PostFormsWithTokenAndPermissions(t *testing.T) {
	a := newApp(t)
	doc := a.links(fullAdmin)
	forms := doc.Find("form")
	if forms.Length() == 0 {
		t.Fatal("no forms in the links")
	}
	forms.Each(func(_ int, f *goquery.Selection) {
		if m, _ := f.Attr("method"); !strings.EqualFold(m, "post") {
			t.Errorf("a form with method %q: every action is a POST", m)
		}
		if act, _ := f.Attr("action"); act != "staas-action.php" {
			t.Errorf("form posts to %q", act)
		}
		if tok, _ := f.Find(`input[name="token"]`).Attr("value"); tok != "tok123" {
			t.Errorf("form without the CSRF token")
		}
		if id, _ := f.Find(`input[name="userid"]`).Attr("value"); id != "1" {
			t.Errorf("form without the client id")
		}
	})
	if button(doc, "create-user").Length() != 1 {
		t.Error("no Create User for a client without an S3 user")
	}
	if _, disabled := button(doc, "create-user").Attr("disabled"); disabled {
		t.Error("Create User disabled for a full admin")
	}

	vdoc := a.links(viewer)
	if _, disabled := button(vdoc, "create-user").Attr("disabled"); !disabled {
		t.Error("Create User enabled for an admin without Perform Server Operations")
	}
	if _, disabled := button(vdoc, "toggle-users").Attr("disabled"); disabled {
		t.Error("List Users disabled for a viewer: looking needs only the view permission")
	}
	if n := a.links(outsider).Find("button").Length(); n != 0 {
		t.Errorf("an admin who may not view client summaries gets %d buttons", n)
	}
}

func TestCreateRevealGenerateRevoke(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	if status, body := a.act(fullAdmin, "create-user", nil); status != 200 {
		t.Fatalf("create-user: %d %v", status, body)
	}
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	secret := u.Keys[0].SecretAccessKey
	doc := a.panels(fullAdmin)
	if !strings.Contains(doc.Find(".alert-success").Text(), "S3 user "+u.ID+" created") {
		t.Errorf("flash = %q", doc.Find(".alert").Text())
	}
	if !strings.Contains(doc.Text(), u.Keys[0].AccessKeyID) {
		t.Error("the user panel does not show the access key")
	}
	if strings.Contains(doc.Text(), secret) {
		t.Error("the secret shows before it is revealed")
	}
	if a.panels(fullAdmin).Find(".alert").Length() != 0 {
		t.Error("a flash showed twice")
	}

	if status, body := a.act(fullAdmin, "reveal-secret", map[string]string{"access_key": u.Keys[0].AccessKeyID}); status != 200 {
		t.Fatalf("reveal: %d %v", status, body)
	}
	if !strings.Contains(a.panels(fullAdmin).Text(), secret) {
		t.Error("the secret does not show after reveal")
	}
	rows, _ := a.Store.Audit(ctx, store.AuditFilter{ClientID: 1, Limit: 1})
	if len(rows) != 1 || rows[0].Action != "reveal-secret" || rows[0].AdminID != 1 {
		t.Errorf("the reveal is not audited: %+v", rows)
	}

	a.act(fullAdmin, "generate-key", nil)
	a.act(fullAdmin, "generate-key", nil)
	if doc := a.panels(fullAdmin); !strings.Contains(doc.Find(".alert-danger").Text(), "two access key pairs") {
		t.Errorf("third key: flash = %q", doc.Find(".alert").Text())
	}
	u, _ = a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	second := u.Keys[1].AccessKeyID

	// Revoke asks first; nothing happens until the admin confirms.
	a.act(fullAdmin, "revoke-key", map[string]string{"access_key": second})
	doc = a.panels(fullAdmin)
	yes := doc.Find(`form:has(input[name="confirm"][value="yes"])`)
	if yes.Length() != 1 || !strings.Contains(doc.Text(), second) {
		t.Fatalf("no confirmation naming the key: %q", doc.Text())
	}
	if v, _ := yes.Find(`input[name="access_key"]`).Attr("value"); v != second {
		t.Errorf("the confirmation carries access_key %q", v)
	}
	if u, _ := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com")); len(u.Keys) != 2 {
		t.Fatal("revoked before confirmation")
	}
	a.act(fullAdmin, "revoke-key", map[string]string{"access_key": second, "confirm": "yes"})
	if u, _ := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com")); len(u.Keys) != 1 || u.Keys[0].AccessKeyID == second {
		t.Fatalf("keys after revoke = %+v", u.Keys)
	}
	notes, _ := a.WHMCS.ClientNotes(ctx, 1)
	if len(notes) != 1 || strings.Contains(notes[0].Text, second) {
		t.Errorf("notes after revoke: %+v", notes)
	}
}

func TestViewerIsRefusedChanges(t *testing.T) {
	a := newApp(t)
	status, body := a.act(viewer, "create-user", nil)
	if status != http.StatusForbidden || !strings.Contains(body["message"].(string), staas.PermServerOperations) {
		t.Fatalf("viewer create-user: %d %v", status, body)
	}
	if _, err := a.Gateway.User(context.Background(), ostor.ByEmail("alice@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatal("a viewer created a user")
	}
	rows, _ := a.Store.Audit(context.Background(), store.AuditFilter{ClientID: 1})
	if len(rows) != 1 || rows[0].Result != staas.EFORBIDDEN || rows[0].AdminID != viewer.ID {
		t.Errorf("refusal not audited: %+v", rows)
	}
	if status, _ := a.act(outsider, "toggle-users", nil); status != http.StatusForbidden {
		t.Errorf("an outsider toggles panels: %d", status)
	}
}

func TestLimitsForm_FieldErrorsKeepInput(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	status, _ := a.act(fullAdmin, "user-limits-set", map[string]string{"ops-name": "get", "ops-value": "lots", "bandwidth-name": "out", "bandwidth-value": "10"})
	if status != http.StatusBadRequest {
		t.Fatalf("bad ops value: %d", status)
	}
	doc := a.links(fullAdmin)
	in := doc.Find(`input[name="ops-value"]`).First()
	if v, _ := in.Attr("value"); v != "lots" {
		t.Errorf("the form lost what the admin typed: %q", v)
	}
	if !strings.Contains(doc.Find(".has-error").Text(), "operations per second") {
		t.Errorf("no error by the ops field: %q", doc.Find(".has-error").Text())
	}
	if again := a.links(fullAdmin); again.Find(".has-error").Length() != 0 {
		t.Error("the field error outlived the page that followed the submit")
	}
	if l, _ := a.Gateway.Limits(context.Background(), ostor.UserLimits(ostor.ByEmail("alice@example.com"))); l != nil && l.BandwidthOut != 0 {
		t.Error("a form with an error set the other limit")
	}

	if status, body := a.act(fullAdmin, "user-limits-set", map[string]string{"ops-name": "get", "ops-value": "3600", "bandwidth-name": "out", "bandwidth-value": "100"}); status != 200 {
		t.Fatalf("set: %d %v", status, body)
	}
	doc = a.panels(fullAdmin)
	text := doc.Find(".clientssummarybox").Text()
	if !strings.Contains(text, "S3 Limits for User") || !strings.Contains(text, "3,600 ops/s") || !strings.Contains(text, "100 KB/s") {
		t.Errorf("limits panel = %q", text)
	}
	if a.links(fullAdmin).Find(".has-error").Length() != 0 {
		t.Error("the error stayed after a good submit")
	}
}

func TestEscapingAndInjection(t *testing.T) {
	const xss = `<script>alert(1)</script>"><img src=x onerror=alert(1)>`
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	// An object name and a bucket name carrying markup come back in the
	// kept form values, the field errors and the flash.
	a.act(fullAdmin, "stats-get", map[string]string{"object": xss})
	a.act(fullAdmin, "bucket-limits-set", map[string]string{"bucket": xss, "ops-value": "1"})
	linksDoc := a.links(fullAdmin) // kept form input shows once
	for name, doc := range map[string]*goquery.Document{"links": linksDoc, "panels": a.panels(fullAdmin)} {
		if n := doc.Find("script, img").Length(); n != 0 {
			t.Errorf("%s: %d injected elements", name, n)
		}
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("onerror"); ok {
				t.Errorf("%s: an onerror attribute got through", name)
			}
		})
	}
	if v, _ := linksDoc.Find(`input[name="object"]`).Attr("value"); v != xss {
		t.Errorf("object field = %q, want the payload kept as text", v)
	}

	// SQL in a search and in a form changes nothing.
	before, _ := a.Store.S3User(ctx, 1, 0)
	a.act(fullAdmin, "users-page", map[string]string{"q": "' OR '1'='1' --", "page": "1"})
	a.act(fullAdmin, "quota-set", map[string]string{"bucket": "x'; DROP TABLE staas_s3_users; --", "quota-gb": "1"})
	after, err := a.Store.S3User(ctx, 1, 0)
	if err != nil || after.UserID != before.UserID {
		t.Fatalf("mapping after injection attempts: %+v, %v", after, err)
	}
	if doc := a.panels(fullAdmin); !strings.Contains(doc.Text(), "showing 0 of 0") {
		t.Errorf("a SQL payload as search matched users: %q", doc.Text())
	}
}

func TestDeleteUser_ConfirmAndRefuseWithBuckets(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	if err := a.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	// Refused before asking (and, if confirmed anyway, still refused).
	status, body := a.act(fullAdmin, "delete-user", nil)
	if status != http.StatusConflict || asks(a.links(fullAdmin), a.panels(fullAdmin)) != 0 {
		t.Fatalf("delete with a bucket: %d %v, and asks", status, body)
	}
	status, body = a.act(fullAdmin, "delete-user", map[string]string{"confirm": "yes"})
	if status != http.StatusConflict || !strings.Contains(body["message"].(string), "alice-data") {
		t.Fatalf("delete with a bucket: %d %v", status, body)
	}
	if doc := a.panels(fullAdmin); !strings.Contains(doc.Find(".alert-danger").Text(), "alice-data") {
		t.Error("the refusal is not shown to the admin")
	}
	if err := a.Sim.DeleteBucket("alice-data"); err != nil {
		t.Fatal(err)
	}
	// Without buckets it asks; Cancel drops the pending question.
	a.act(fullAdmin, "delete-user", nil)
	if a.asking() != 1 {
		t.Fatal("delete asks no confirmation")
	}
	a.act(fullAdmin, "cancel", nil)
	if a.asking() != 0 {
		t.Error("cancel left the confirmation")
	}
	if status, body := a.act(fullAdmin, "delete-user", map[string]string{"confirm": "yes"}); status != 200 {
		t.Fatalf("delete: %d %v", status, body)
	}
	if _, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatal("user still there")
	}
	if notes, _ := a.WHMCS.ClientNotes(ctx, 1); len(notes) != 0 {
		t.Errorf("notes left: %+v", notes)
	}
}

func TestUnknownActionAndBadJSON(t *testing.T) {
	a := newApp(t)
	if status, _ := a.act(fullAdmin, "format-disk", nil); status != http.StatusNotFound {
		t.Errorf("unknown action: %d", status)
	}
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/shim/v1/admin/links", strings.NewReader("{"))
	_ = whmcsbridge.SignRequest(req, testSecret, time.Now(), []byte("{"))
	if status, body := a.do(req); status != http.StatusBadRequest || body["result"] != "error" {
		t.Errorf("bad JSON: %d %v", status, body)
	}
}

// fullDeps are every dependency the routes require, on w.
func fullDeps(w *testworld.World, svc *provision.Services) handlers.Deps {
	return handlers.Deps{Logger: slog.New(slog.DiscardHandler), Shim: &whmcsbridge.Verifier{Secret: testSecret, Nonces: w.Store},
		Provision: svc, Panels: w.Store, Audit: w.Store, Services: w.Store,
		Usage: &usage.Figures{Reader: &usage.Reader{Store: w.Store}, Services: w.Store, Quotas: w.Registry},
		Daily: func(context.Context) []string { return nil }}
}
