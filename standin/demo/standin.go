// Package demo runs `staas demo`'s stand-ins: two simulated ostor clusters
// ("default" and "eu-2"), staas's embedded store, and a WHMCS stand-in
// whose admin pages call staas
// exactly as the PHP shim does (signed requests, the admin's permissions,
// CSRF-checked forms, redirect back to the client summary), so every link,
// form and panel can be clicked in a browser with no external service.
// staas itself is not assembled here: cmd/staas hands Start a builder
// (Options.Build) that wires staas as serve does, so nothing here imports
// the product's handlers.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"

	"staas"
	"staas/standin/pages"
	"staas/static"
	"staas/whmcsbridge"
)

// Admin is a WHMCS admin of the stand-in, with the permissions WHMCS would
// pass for their role.
type Admin struct {
	ID          int64
	Name        string
	Permissions []string
	// Resellers: WHMCS's access control of the staas resellers addon
	// lists this admin's role.
	Resellers bool
}

// Admins of the demo: a full administrator, a support operator who may only
// look, and one who may not even see client summaries.
var Admins = []Admin{
	{ID: 1, Name: "Full Administrator", Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}, Resellers: true},
	{ID: 2, Name: "Support Operator (view only)", Permissions: []string{staas.PermViewClientSummary}},
	{ID: 3, Name: "Sales Operator (no client access)", Permissions: []string{"List Clients"}},
}

// ClientDirectory is what the stand-in reads of its own WHMCS database.
type ClientDirectory interface {
	Clients(ctx context.Context) ([]staas.Client, error)
	Client(ctx context.Context, id int64) (*staas.Client, error)
	Notes(ctx context.Context, clientID int64) ([]pages.Note, error)
}

// StandIn plays WHMCS's admin area and the PHP shim's part in it.
type StandIn struct {
	staasURL string
	secret   []byte
	clients  ClientDirectory
	sessions *sessions.CookieStore
	http     *http.Client
	log      *slog.Logger
}

// NewStandIn returns the stand-in admin area calling staas at staasURL
// with the shim's shared secret.
func NewStandIn(staasURL string, secret []byte, clients ClientDirectory, log *slog.Logger) (*StandIn, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	store := sessions.NewCookieStore(key)
	store.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 8 * 3600}
	return &StandIn{staasURL: staasURL, secret: secret, clients: clients, sessions: store,
		http: &http.Client{Timeout: 15 * time.Second}, log: log}, nil
}

const sessionName = "whmcs_standin"

// Handler routes the stand-in's pages.
func (s *StandIn) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /admin/clientssummary.php", s.summary)
	mux.HandleFunc("POST /admin/staas-action.php", s.action)
	mux.HandleFunc("POST /admin/login.php", s.login)
	mux.HandleFunc("GET /admin/addonmodules.php", s.addon)
	mux.HandleFunc("POST /admin/addonmodules.php", s.addon)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static.FS)))
	return mux
}

// session returns the admin session, creating one logged in as the full
// administrator, with its CSRF token (WHMCS keeps one token per session).
func (s *StandIn) session(w http.ResponseWriter, r *http.Request) (*sessions.Session, Admin, string, error) {
	sess, _ := s.sessions.Get(r, sessionName)
	token, _ := sess.Values["token"].(string)
	if token == "" {
		b := make([]byte, 20)
		if _, err := rand.Read(b); err != nil {
			return nil, Admin{}, "", err
		}
		token = hex.EncodeToString(b)
		sess.Values["token"] = token
		sess.Values["admin"] = Admins[0].ID
		if err := sess.Save(r, w); err != nil {
			return nil, Admin{}, "", err
		}
	}
	id, _ := sess.Values["admin"].(int64)
	for _, a := range Admins {
		if a.ID == id {
			return sess, a, token, nil
		}
	}
	return sess, Admins[0], token, nil
}

// checkToken is WHMCS's check_token: a state change must carry the
// session's token.
func checkToken(r *http.Request, token string) bool {
	got := r.PostFormValue("token")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

func (s *StandIn) index(w http.ResponseWriter, r *http.Request) {
	_, admin, token, err := s.session(w, r)
	if err != nil {
		http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	clients, err := s.clients.Clients(r.Context())
	if err != nil {
		http.Error(w, "clients: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.render(w, r, pages.ClientList(pages.ClientListVM{Clients: clients, Admin: s.adminVM(admin, token, "/")}))
}

func (s *StandIn) adminVM(a Admin, token, back string) pages.AdminVM {
	vm := pages.AdminVM{ID: a.ID, Name: a.Name, Token: token, Back: back}
	for _, o := range Admins {
		vm.Choices = append(vm.Choices, pages.AdminChoice{ID: o.ID, Name: o.Name})
	}
	return vm
}

func (s *StandIn) summary(w http.ResponseWriter, r *http.Request) {
	_, admin, token, err := s.session(w, r)
	if err != nil {
		http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	id, err := strconv.ParseInt(r.URL.Query().Get("userid"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "userid must be a client id", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	client, err := s.clients.Client(ctx, id)
	if err != nil {
		http.Error(w, staas.ErrorMessage(err), http.StatusNotFound)
		return
	}
	vm := pages.ClientSummaryVM{Client: *client, Admin: s.adminVM(admin, token, r.URL.RequestURI())}
	if vm.Clients, err = s.clients.Clients(ctx); err != nil {
		vm.Notice = "Clients could not be listed: " + err.Error()
	}
	req := whmcsbridge.AdminRequest{Admin: staas.Admin{ID: admin.ID, Permissions: admin.Permissions, Name: admin.Name},
		ClientID: id, ActionURL: "staas-action.php", Token: token}

	// As the two WHMCS hooks do: a failure of staas becomes a notice on
	// the page, never a broken page.
	var links whmcsbridge.LinksResponse
	if err := s.call(ctx, whmcsbridge.PathLinks, req, &links); err != nil {
		vm.Notice = "S3 actions are unavailable: " + err.Error()
	} else {
		vm.Links = links.Links
	}
	var panels whmcsbridge.PanelsResponse
	if err := s.call(ctx, whmcsbridge.PathPanels, req, &panels); err != nil {
		vm.Notice = "S3 panels are unavailable: " + err.Error()
	} else {
		vm.PanelsHTML = panels.HTML
	}
	if vm.Notes, err = s.clients.Notes(ctx, id); err != nil {
		vm.Notice = "Notes could not be read: " + err.Error()
	}
	s.render(w, r, pages.ClientSummary(vm))
}

// action is the shim's admin action endpoint: it checks the admin session
// and the CSRF token, forwards the click to staas with the admin's id and
// permissions, and redirects back to the client summary (never to the
// Referer, which an attacker controls).
func (s *StandIn) action(w http.ResponseWriter, r *http.Request) {
	_, admin, token, err := s.session(w, r)
	if err != nil {
		http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !checkToken(r, token) {
		http.Error(w, "Invalid CSRF Protection Token", http.StatusForbidden)
		return
	}
	id, err := strconv.ParseInt(r.PostFormValue("userid"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "userid must be a client id", http.StatusBadRequest)
		return
	}
	action := r.PostFormValue("action")
	params := map[string]string{}
	for k, v := range r.PostForm {
		if k != "token" && k != "userid" && k != "action" && len(v) > 0 {
			params[k] = v[0]
		}
	}
	req := whmcsbridge.ActionRequest{Admin: staas.Admin{ID: admin.ID, Permissions: admin.Permissions, Name: admin.Name}, ClientID: id, Params: params}
	var res whmcsbridge.ActionResponse
	err = s.call(r.Context(), whmcsbridge.ActionPath(url.PathEscape(action)), req, &res)
	if err != nil {
		// staas has already left the admin a flash for every failure it
		// handled; this log line covers the ones it could not.
		s.log.Info("staas action failed", "action", action, "client", id, "err", err)
		var se *shimError
		if errors.As(err, &se) {
			res.Anchor = se.anchor
		}
	}
	http.Redirect(w, r, summaryURL(id, res.Anchor), http.StatusSeeOther)
}

// addon is addonmodules.php?module=staas_resellers, as WHMCS and the PHP
// shim's ResellerPage serve it: WHMCS shows it only to roles with access
// to the addon; a POST needs the session's CSRF token; the page and each
// action's own fields go to staas, which renders the page.
func (s *StandIn) addon(w http.ResponseWriter, r *http.Request) {
	_, admin, token, err := s.session(w, r)
	if err != nil {
		http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if r.URL.Query().Get("module") != "staas_resellers" {
		http.Error(w, "no such addon module", http.StatusNotFound)
		return
	}
	vm := pages.AddonVM{Title: "staas resellers", Admin: s.adminVM(admin, token, pages.ResellersURL)}
	if !admin.Resellers {
		vm.Notice = "Access Denied: your admin role has no access to the staas resellers addon."
		w.WriteHeader(http.StatusForbidden)
		s.render(w, r, pages.Addon(vm))
		return
	}
	req := whmcsbridge.ResellerRequest{Admin: staas.Admin{ID: admin.ID, Permissions: append(append([]string{}, admin.Permissions...), whmcsbridge.PermManageResellers), Name: admin.Name},
		ActionURL: pages.ResellersURL, Token: token, Params: map[string]string{}}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if !checkToken(r, token) {
			http.Error(w, "Invalid CSRF Protection Token", http.StatusForbidden)
			return
		}
		req.Action, req.FormToken = r.PostFormValue("action"), r.PostFormValue("token")
		for _, f := range whmcsbridge.ResellerActionFields[req.Action] {
			if v, ok := r.PostForm[f]; ok && len(v) > 0 {
				req.Params[f] = v[0]
			}
		}
	}
	var res whmcsbridge.ResellerResponse
	if err := s.call(r.Context(), whmcsbridge.PathResellers, req, &res); err != nil {
		vm.Notice = "staas: " + err.Error()
	}
	vm.HTML = res.HTML
	s.render(w, r, pages.Addon(vm))
}

// summaryURL is the client's summary page with the place that shows an
// action's outcome as the fragment, as the PHP shim's AdminEndpoint
// builds it: staas's anchor when it is a plain element id (a-z 0-9 -),
// else the flashes. Nothing staas or the browser sends can change more
// than the fragment.
func summaryURL(clientID int64, anchor string) string {
	if !whmcsbridge.ValidAnchor(anchor) {
		anchor = whmcsbridge.AnchorResult
	}
	return "clientssummary.php?userid=" + strconv.FormatInt(clientID, 10) + "#" + anchor
}

// shimError is staas's error answer: its message, and where on the page
// the admin sees the failure.
type shimError struct {
	message string
	anchor  string
}

func (e *shimError) Error() string { return e.message }

func (s *StandIn) login(w http.ResponseWriter, r *http.Request) {
	sess, _, token, err := s.session(w, r)
	if err != nil {
		http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if !checkToken(r, token) {
		http.Error(w, "Invalid CSRF Protection Token", http.StatusForbidden)
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("admin"), 10, 64)
	for _, a := range Admins {
		if a.ID == id {
			sess.Values["admin"] = a.ID
		}
	}
	if err := sess.Save(r, w); err != nil {
		http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
}

// localPath is back when it is a path of this site, else "/". Browsers
// read a backslash as a slash ("/\evil" is "//evil", another host) and
// drop tabs and newlines, so a path must start with one "/" and hold only
// printable ASCII without a backslash.
func localPath(back string) string {
	if len(back) == 0 || back[0] != '/' || len(back) > 1 && back[1] == '/' {
		return "/"
	}
	for i := 0; i < len(back); i++ {
		if c := back[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	if u, err := url.Parse(back); err != nil || u.IsAbs() || u.Host != "" {
		return "/"
	}
	return back
}

// call signs and posts one shim request, as the PHP shim's client does.
func (s *StandIn) call(ctx context.Context, path string, payload, out any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.staasURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := whmcsbridge.SignRequest(req, s.secret, time.Now(), body); err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("staas cannot be reached")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("staas's answer was cut off")
	}
	var env whmcsbridge.ActionResponse
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("staas answered HTTP %d without JSON", resp.StatusCode)
	}
	if env.Result.Result != "success" {
		return &shimError{message: env.Message, anchor: env.Anchor}
	}
	return json.Unmarshal(raw, out)
}

func (s *StandIn) render(w http.ResponseWriter, r *http.Request, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}
