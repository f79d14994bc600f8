package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"staas"
	"staas/internal/reseller"
	"staas/views"
)

// The reseller portal (issue 12): /reseller/login, /reseller/logout,
// /reseller/ and /reseller/clients/:id, read-only, each reseller seeing
// only its own clients. Anything not theirs is 404.

// ResellerPortal is what the portal's pages need (*reseller.Portal).
type ResellerPortal interface {
	SummaryOf(ctx context.Context, resellerID int64, month time.Time) (reseller.Summary, error)
	Month(back int) time.Time
	Client(ctx context.Context, resellerID, clientID int64) ([]reseller.Row, error)
	ClientUsage(ctx context.Context, resellerID, clientID, serviceID int64, from, to time.Time) (reseller.ClientDetail, error)
}

// ResellerAuth checks a login and names the reseller (*reseller.Auth).
type ResellerAuth interface {
	// code is the TOTP code, "" when the form had none; a reseller with
	// a second factor and no code gets reseller.ErrNeedCode.
	Login(ctx context.Context, email, password, code, ip string) (resellerID int64, err error)
}

// Session limits of the portal.
const (
	resellerIdle     = 30 * time.Minute
	resellerAbsolute = 12 * time.Hour
	resellerCookie   = "staas_reseller"
)

// session values
const (
	sessReseller = "rid"
	sessStarted  = "started" // unix seconds at login
	sessSeen     = "seen"    // unix seconds of the last request
	sessCSRF     = "csrf"
)

type resellerUI struct {
	portal   ResellerPortal
	auth     ResellerAuth
	sessions *sessions.CookieStore
	now      func() time.Time
}

// newResellerUI keeps sessions in a signed and encrypted cookie: key is
// 32 bytes for the HMAC and 32 for AES; the cookie is Secure, HttpOnly
// and SameSite=Strict, for /reseller/ only.
func newResellerUI(portal ResellerPortal, auth ResellerAuth, key []byte, now func() time.Time) *resellerUI {
	cs := sessions.NewCookieStore(key[:32], key[32:64])
	cs.Options = &sessions.Options{Path: "/reseller/", MaxAge: int(resellerAbsolute / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if now == nil {
		now = time.Now
	}
	return &resellerUI{portal: portal, auth: auth, sessions: cs, now: now}
}

func (u *resellerUI) register(e *echo.Echo) {
	e.GET("/reseller/login", u.loginPage)
	e.POST("/reseller/login", u.login)
	e.POST("/reseller/logout", u.logout)
	e.GET("/reseller/", u.signedIn(u.summary))
	e.GET("/reseller/clients/:id", u.signedIn(u.client))
	e.GET("/reseller/clients/:id/buckets.csv", u.signedIn(u.bucketsCSV))
	e.GET("/reseller/export.csv", u.signedIn(u.exportCSV))
	e.GET("/reseller/top-buckets.csv", u.signedIn(u.topCSV))
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// session is the request's session; a cookie that fails its checks is
// a new, empty one.
func (u *resellerUI) session(c echo.Context) *sessions.Session {
	s, err := u.sessions.Get(c.Request(), resellerCookie)
	if err != nil {
		s, _ = u.sessions.New(c.Request(), resellerCookie)
		s.Values = map[any]any{}
	}
	return s
}

func csrfOf(s *sessions.Session) string {
	v, _ := s.Values[sessCSRF].(string)
	return v
}

func csrfOK(s *sessions.Session, got string) bool {
	want := csrfOf(s)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func page(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

func (u *resellerUI) loginPage(c echo.Context) error {
	return u.showLogin(c, http.StatusOK, views.ResellerLoginVM{})
}

// showLogin gives the login form a CSRF token kept in a pre-login session.
func (u *resellerUI) showLogin(c echo.Context, status int, vm views.ResellerLoginVM) error {
	s := u.session(c)
	if csrfOf(s) == "" {
		s.Values = map[any]any{sessCSRF: newToken()}
		if err := s.Save(c.Request(), c.Response()); err != nil {
			return err
		}
	}
	vm.CSRF = csrfOf(s)
	return page(c, status, views.ResellerLogin(vm))
}

func (u *resellerUI) login(c echo.Context) error {
	s := u.session(c)
	if !csrfOK(s, c.FormValue("csrf")) {
		s.Values = map[any]any{}
		return u.showLogin(c, http.StatusForbidden, views.ResellerLoginVM{Error: "The form had expired: please log in again."})
	}
	email := c.FormValue("email")
	code := c.FormValue("code")
	rid, err := u.auth.Login(c.Request().Context(), email, c.FormValue("password"), code, c.RealIP())
	if errors.Is(err, reseller.ErrNeedCode) {
		// The password was right: ask again with the code's field.
		return u.showLogin(c, http.StatusUnauthorized, views.ResellerLoginVM{Email: email, NeedCode: true, Error: staas.ErrorMessage(err)})
	}
	if err != nil {
		status := http.StatusUnauthorized
		switch staas.ErrorCode(err) {
		case staas.EUNAUTHORIZED:
		case staas.EFORBIDDEN:
			status = http.StatusForbidden
		default:
			status = http.StatusServiceUnavailable
		}
		return u.showLogin(c, status, views.ResellerLoginVM{Email: email, NeedCode: code != "", Error: staas.ErrorMessage(err)})
	}
	// A new session at login: nothing of the pre-login one survives but
	// in a fresh cookie, with a new CSRF token.
	now := u.now().Unix()
	s.Values = map[any]any{sessReseller: rid, sessStarted: now, sessSeen: now, sessCSRF: newToken()}
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/reseller/")
}

func (u *resellerUI) logout(c echo.Context) error {
	s := u.session(c)
	if !csrfOK(s, c.FormValue("csrf")) {
		return c.String(http.StatusForbidden, "The form had expired: reload the page and log out again.")
	}
	s.Values = map[any]any{}
	s.Options = &sessions.Options{Path: "/reseller/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/reseller/login")
}

// signedIn serves h to a logged-in reseller, with its id and session,
// and sends anyone else to the login page.
func (u *resellerUI) signedIn(h func(c echo.Context, id int64, s *sessions.Session) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, s := u.current(c)
		if id == 0 {
			return c.Redirect(http.StatusSeeOther, "/reseller/login")
		}
		return h(c, id, s)
	}
}

// current is the logged-in reseller, or 0 after the idle or absolute
// limit (the session is then dropped).
func (u *resellerUI) current(c echo.Context) (int64, *sessions.Session) {
	s := u.session(c)
	id, _ := s.Values[sessReseller].(int64)
	started, _ := s.Values[sessStarted].(int64)
	seen, _ := s.Values[sessSeen].(int64)
	now := u.now()
	if id <= 0 || now.Sub(time.Unix(started, 0)) >= resellerAbsolute || now.Sub(time.Unix(seen, 0)) >= resellerIdle {
		return 0, s
	}
	s.Values[sessSeen] = now.Unix()
	_ = s.Save(c.Request(), c.Response())
	return id, s
}

// portalError answers an error of the portal: not found is 404 and says
// nothing more; a disabled account goes back to the login.
func portalError(c echo.Context, err error) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	switch staas.ErrorCode(err) {
	case staas.ENOTFOUND, staas.EINVALID:
		return c.String(http.StatusNotFound, "Not found.")
	case staas.EFORBIDDEN:
		return c.Redirect(http.StatusSeeOther, "/reseller/login")
	case staas.EUNAVAILABLE:
		return c.String(http.StatusServiceUnavailable, whmcsUnreachable+staas.ErrorMessage(err))
	}
	return c.String(http.StatusInternalServerError, "Something failed; staas's log has the details.")
}

// whmcsUnreachable begins what the portal says while WHMCS cannot be
// asked who the reseller's clients are.
const whmcsUnreachable = "WHMCS unreachable: "

func rowVM(r reseller.Row) views.ResellerRowVM {
	return views.ResellerRowVM{ClientID: r.ClientID, ClientName: r.ClientName, ServiceID: r.ServiceID, Status: r.Status, StoredBytes: r.StoredBytes,
		QuotaGB: r.QuotaGB, EgressBytes: r.EgressBytes, IngressBytes: r.IngressBytes, Buckets: r.Buckets, SampledAt: r.SampledAt, Failed: r.Failed,
		Plan: r.Plan, Requests: traffic(r.Requests), RequestsReported: r.RequestsReported, GBMonths: r.GBMonths}
}

func rowsVM(rows []reseller.Row) []views.ResellerRowVM {
	out := make([]views.ResellerRowVM, len(rows))
	for i, r := range rows {
		out[i] = rowVM(r)
	}
	return out
}

func topVM(top []reseller.TopBucket) []views.ResellerTopVM {
	out := make([]views.ResellerTopVM, len(top))
	for i, b := range top {
		out[i] = views.ResellerTopVM{ClientID: b.ClientID, ClientName: b.ClientName, ServiceID: b.ServiceID, Bucket: b.Bucket, Bytes: b.Bytes}
	}
	return out
}

// resellerPageSize is how many rows a summary page shows.
const resellerPageSize = 50

// resellerPeriods are the summary's period picker's choices.
var resellerPeriods = []views.Option{{Value: "this", Label: "This month"}, {Value: "last", Label: "Last month"}}

// period reads ?period=: "this" (the default) or "last".
func period(c echo.Context) (string, int) {
	if c.QueryParam("period") == "last" {
		return "last", 1
	}
	return "this", 0
}

// quotaAlert is the share of quota above which a row is an alert.
const quotaAlert = 90

// sampleAlert is the age of a storage sample past which a row is an
// alert.
const sampleAlert = 2 * time.Hour

// alerts names the rows that need a look: above 90% of quota, not
// active, or without figures.
func alerts(rows []reseller.Row, now time.Time) []string {
	var out []string
	for _, r := range rows {
		svc := "Client " + strconv.FormatInt(r.ClientID, 10) + ", service " + strconv.FormatInt(r.ServiceID, 10)
		switch {
		case r.Status != "active":
			out = append(out, svc+": "+r.Status+".")
		case r.Failed:
			out = append(out, svc+": its figures could not be read.")
		default:
			if p, ok := views.QuotaPercent(r.StoredBytes, r.QuotaGB); ok && p > quotaAlert {
				out = append(out, svc+": "+strconv.Itoa(p)+"% of its quota is used.")
			}
			if r.SampledAt.IsZero() || now.Sub(r.SampledAt) > sampleAlert {
				out = append(out, svc+": its storage was not sampled in the last 2 hours.")
			}
		}
	}
	return out
}

// totals sums every row with figures; requests only of the rows whose
// cluster reports them.
func totals(rows []reseller.Row) views.ResellerRowVM {
	var t views.ResellerRowVM
	for _, r := range rows {
		if r.Failed {
			continue
		}
		t.StoredBytes += r.StoredBytes
		t.QuotaGB += r.QuotaGB
		t.EgressBytes += r.EgressBytes
		t.IngressBytes += r.IngressBytes
		t.Buckets += r.Buckets
		t.GBMonths += r.GBMonths
		if r.RequestsReported {
			t.RequestsReported = true
			t.Requests.Get += r.Requests.Get
			t.Requests.Put += r.Requests.Put
			t.Requests.List += r.Requests.List
			t.Requests.Other += r.Requests.Other
		}
	}
	return t
}

func (u *resellerUI) summary(c echo.Context, id int64, s *sessions.Session) error {
	per, back := period(c)
	sum, err := u.portal.SummaryOf(c.Request().Context(), id, u.portal.Month(back))
	if err != nil {
		return portalError(c, err)
	}
	pages := max(1, (len(sum.Rows)+resellerPageSize-1)/resellerPageSize)
	n, _ := strconv.Atoi(c.QueryParam("page"))
	n = min(max(n, 1), pages)
	rows := sum.Rows[min((n-1)*resellerPageSize, len(sum.Rows)):min(n*resellerPageSize, len(sum.Rows))]
	vm := views.ResellerPageVM{Title: "Your clients' storage", Name: sum.Name, CSRF: csrfOf(s), Rows: rowsVM(rows),
		Period: per, Periods: resellerPeriods, Total: totals(sum.Rows), Alerts: alerts(sum.Rows, u.now()), Page: n, Pages: pages, Top: topVM(sum.Top)}
	if sum.Stale {
		vm.Warning = whmcsUnreachable + "your client list could not be read just now (" + staas.ErrorMessage(sum.Err) + ")."
		vm.Since = sum.Since
	}
	return page(c, http.StatusOK, views.ResellerPage(vm))
}

// clientQuery reads a client page's client id, ?days= (30 or 90) and
// ?service= (absent: every service; 0 the client-level user); anything
// else is not found.
func clientQuery(c echo.Context) (clientID, serviceID int64, days int, err error) {
	clientID, err = strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || clientID <= 0 {
		return 0, 0, 0, notFoundErr()
	}
	days = views.UsageDays[0]
	if d := c.QueryParam("days"); d != "" {
		if days, err = usageDays(d); err != nil {
			return 0, 0, 0, notFoundErr()
		}
	}
	serviceID = -1
	if sv := c.QueryParam("service"); sv != "" {
		if serviceID, err = strconv.ParseInt(sv, 10, 64); err != nil || serviceID < 0 {
			return 0, 0, 0, notFoundErr()
		}
	}
	return clientID, serviceID, days, nil
}

func notFoundErr() error { return staas.Errorf(staas.ENOTFOUND, "Not found.") }

// clientDetail reads a client page's figures: the reseller's own client
// only, over the last days UTC days, as the admin panel's usage history.
func (u *resellerUI) clientDetail(c echo.Context, resellerID int64) (reseller.ClientDetail, int, error) {
	clientID, serviceID, days, err := clientQuery(c)
	if err != nil {
		return reseller.ClientDetail{}, 0, err
	}
	win := lastDays(days, u.now(), "")
	d, err := u.portal.ClientUsage(c.Request().Context(), resellerID, clientID, serviceID, win.From, win.To)
	return d, days, err
}

func (u *resellerUI) client(c echo.Context, id int64, s *sessions.Session) error {
	d, days, err := u.clientDetail(c, id)
	if err != nil {
		return portalError(c, err)
	}
	title := "Client " + strconv.FormatInt(d.ClientID, 10)
	if d.ClientName != "" {
		title += " — " + d.ClientName
	}
	vm := views.ResellerClientVM{Title: title, Name: d.Reseller, CSRF: csrfOf(s), ClientID: d.ClientID, Days: days}
	for _, uu := range d.Users {
		vm.Services = append(vm.Services, serviceVM(uu, days, d.From, d.To))
	}
	return page(c, http.StatusOK, views.ResellerClient(vm))
}

// serviceVM is one service of a client page: the usage history's
// figures, and each bucket's with its size now.
func serviceVM(uu reseller.UserUsage, days int, from, to time.Time) views.ResellerServiceVM {
	sv := views.ResellerServiceVM{Row: rowVM(uu.Row), Usage: views.UsageVM{Days: days, From: from, To: to}}
	for _, d := range uu.Days {
		sv.Usage.Rows = append(sv.Usage.Rows, views.UsageDay{Date: d.Date, Storage: storageFigures(d.Storage), Traffic: traffic(d.Traffic)})
	}
	now := map[string]uint64{}
	for _, b := range uu.BucketsNow {
		now[b.Bucket] = b.Bytes
	}
	seen := map[string]bool{}
	if uu.Totals != nil {
		sv.Usage.Total = views.UsageTotal{Storage: storageFigures(uu.Totals.Storage), Traffic: traffic(uu.Totals.Traffic)}
		for _, b := range uu.Totals.Buckets {
			n, ok := now[b.Bucket]
			seen[b.Bucket] = true
			sv.Buckets = append(sv.Buckets, views.ResellerBucketVM{Bucket: b.Bucket, NowBytes: n, Now: ok, Storage: storageFigures(b.Storage), Traffic: traffic(b.Traffic)})
		}
	}
	// A bucket sampled now with nothing in the period still shows.
	for _, b := range uu.BucketsNow {
		if !seen[b.Bucket] {
			sv.Buckets = append(sv.Buckets, views.ResellerBucketVM{Bucket: b.Bucket, NowBytes: b.Bytes, Now: true})
		}
	}
	return sv
}

// csvHeader starts a CSV answer named name.
func csvHeader(c echo.Context, name string) *csv.Writer {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().WriteHeader(http.StatusOK)
	return csv.NewWriter(c.Response())
}

// requestCells are a row's requests by class for a CSV, empty where the
// cluster does not report them.
func requestCells(reported bool, t views.Traffic) []string {
	if !reported {
		return []string{"", "", "", ""}
	}
	return []string{strconv.FormatUint(t.Get, 10), strconv.FormatUint(t.Put, 10), strconv.FormatUint(t.List, 10), strconv.FormatUint(t.Other, 10)}
}

// bucketsCSV is a client page's buckets table as CSV: each service's
// buckets over the page's days, with their size now.
func (u *resellerUI) bucketsCSV(c echo.Context, id int64, _ *sessions.Session) error {
	d, days, err := u.clientDetail(c, id)
	if err != nil {
		return portalError(c, err)
	}
	w := csvHeader(c, "staas-client-"+strconv.FormatInt(d.ClientID, 10)+"-buckets-"+strconv.Itoa(days)+"d.csv")
	_ = w.Write([]string{"client_id", "service_id", "plan", "bucket", "size_now_bytes", "gb_hours", "peak_bytes", "uploaded_bytes", "downloaded_bytes",
		"requests_get", "requests_put", "requests_list", "requests_other", "from", "to"})
	for _, uu := range d.Users {
		sv := serviceVM(uu, days, d.From, d.To)
		for _, b := range sv.Buckets {
			size, gbh, peak := "", "", ""
			if b.Now {
				size = strconv.FormatUint(b.NowBytes, 10)
			}
			if b.Storage.Sampled > 0 {
				gbh, peak = strconv.FormatFloat(b.Storage.GBHours, 'f', -1, 64), strconv.FormatUint(b.Storage.PeakBytes, 10)
			}
			row := []string{strconv.FormatInt(d.ClientID, 10), strconv.FormatInt(uu.ServiceID, 10), csvText(uu.Plan), csvText(b.Bucket), size, gbh, peak,
				strconv.FormatUint(b.Traffic.Uploaded, 10), strconv.FormatUint(b.Traffic.Downloaded, 10)}
			row = append(row, requestCells(uu.RequestsReported, b.Traffic)...)
			_ = w.Write(append(row, d.From.Format(time.DateOnly), d.To.Format(time.DateOnly)))
		}
	}
	w.Flush()
	return w.Error()
}

// topCSV is the summary's top buckets as CSV. While WHMCS cannot say who
// the reseller's clients are it answers 503: a file has no place to say
// its list is stale.
func (u *resellerUI) topCSV(c echo.Context, id int64, _ *sessions.Session) error {
	sum, err := u.fileSummary(c, id, u.portal.Month(0))
	if err != nil {
		return portalError(c, err)
	}
	w := csvHeader(c, "staas-top-buckets.csv")
	_ = w.Write([]string{"rank", "bucket", "client_id", "client_name", "service_id", "size_now_bytes"})
	for i, b := range sum.Top {
		_ = w.Write([]string{strconv.Itoa(i + 1), csvText(b.Bucket), strconv.FormatInt(b.ClientID, 10), csvText(b.ClientName),
			strconv.FormatInt(b.ServiceID, 10), strconv.FormatUint(b.Bytes, 10)})
	}
	w.Flush()
	return w.Error()
}

// fileSummary is the reseller's summary for a CSV: while WHMCS cannot say
// who the reseller's clients are it is the error, as a file has no place
// to say its list is stale.
func (u *resellerUI) fileSummary(c echo.Context, id int64, month time.Time) (reseller.Summary, error) {
	sum, err := u.portal.SummaryOf(c.Request().Context(), id, month)
	if err == nil && sum.Stale {
		err = sum.Err
	}
	return sum, err
}

// exportCSV is the summary table, every page of it, as CSV: the same
// rows as /reseller/ (the reseller's own clients only), figures in bytes.
func (u *resellerUI) exportCSV(c echo.Context, id int64, _ *sessions.Session) error {
	_, back := period(c)
	month := u.portal.Month(back)
	sum, err := u.fileSummary(c, id, month)
	if err != nil {
		return portalError(c, err)
	}
	w := csvHeader(c, "staas-"+month.Format("2006-01")+".csv")
	_ = w.Write([]string{"client_id", "client_name", "service_id", "status", "stored_bytes", "quota_gb", "egress_bytes", "period", "figures", "ingress_bytes", "buckets", "sampled_at",
		"plan", "gb_months", "requests_get", "requests_put", "requests_list", "requests_other"})
	for _, r := range sum.Rows {
		figures := "ok"
		if r.Failed {
			figures = "unavailable"
		}
		row := []string{strconv.FormatInt(r.ClientID, 10), csvText(r.ClientName), strconv.FormatInt(r.ServiceID, 10), r.Status,
			strconv.FormatUint(r.StoredBytes, 10), strconv.FormatUint(r.QuotaGB, 10), strconv.FormatUint(r.EgressBytes, 10),
			month.Format("2006-01"), figures, strconv.FormatUint(r.IngressBytes, 10), strconv.Itoa(r.Buckets), sampledAt(r.SampledAt),
			csvText(r.Plan), strconv.FormatFloat(r.GBMonths, 'f', -1, 64)}
		_ = w.Write(append(row, requestCells(r.RequestsReported && !r.Failed, traffic(r.Requests))...))
	}
	w.Flush()
	return w.Error()
}

// csvText keeps a spreadsheet from reading a cell as a formula.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func sampledAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
