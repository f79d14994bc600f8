package handlers_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/reseller"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/standin/testworld"
	"staas/standin/whmcssim"
	"staas/views"
	"staas/whmcsbridge"
)

// portalSession is a reseller's browser against a.srv: it keeps the
// portal's cookie by hand (the cookie is Secure, and the test server is
// plain HTTP) and follows no redirect.
type portalSession struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
}

func (p *portalSession) do(method, path string, form url.Values) (int, string) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, p.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if p.cookie != nil {
		req.AddCookie(p.cookie)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, ck := range resp.Cookies() {
		if ck.Name == "staas_reseller" {
			p.cookie = ck
		}
	}
	return resp.StatusCode, string(raw)
}

var portalCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p *portalSession) login(email, password string) {
	p.t.Helper()
	_, page := p.do("GET", "/reseller/login", nil)
	m := portalCSRF.FindStringSubmatch(page)
	if m == nil {
		p.t.Fatalf("no CSRF token: %s", page)
	}
	if status, body := p.do("POST", "/reseller/login", url.Values{"csrf": {m[1]}, "email": {email}, "password": {password}}); status != http.StatusSeeOther {
		p.t.Fatalf("login: %d %s", status, body)
	}
}

func (p *portalSession) csv(path string) map[string][]string {
	p.t.Helper()
	status, body := p.do("GET", path, nil)
	if status != http.StatusOK {
		p.t.Fatalf("%s: %d %s", path, status, body)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) < 1 {
		p.t.Fatalf("%s: %v %q", path, err, body)
	}
	// Keyed by the service id (third column), each row by column name.
	out := map[string][]string{"header": recs[0]}
	for _, r := range recs[1:] {
		out[r[2]] = r
	}
	return out
}

func column(t *testing.T, rows map[string][]string, row, name string) string {
	t.Helper()
	for i, h := range rows["header"] {
		if h == name {
			return rows[row][i]
		}
	}
	t.Fatalf("no column %q in %v", name, rows["header"])
	return ""
}

// TestResellerPortalFiguresMatchAdminAndBilling: one client with the
// admin panel's client-level S3 user and a service's S3 user, each with
// storage sampled twice and traffic this month. For the service, the
// portal's figures equal what WHMCS files (usage update: disk and
// bandwidth MB) and bills (metrics: storage, GB-months, egress, ingress,
// requests). For the client-level user, the portal's client page shows
// the admin panel's usage history day for day, bucket for bucket.
func TestResellerPortalFiguresMatchAdminAndBilling(t *testing.T) {
	a := newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		figures := &usage.Figures{Reader: &usage.Reader{Store: w.Store}, Services: w.Store, Quotas: w.Registry}
		d.Usage = figures
		d.ResellerPortal = &reseller.Portal{Accounts: w.Store, Members: reseller.NewMembers(nil, 0), Mappings: w.Store, Figures: figures, Plans: w.Bridge, Names: w.Bridge}
		d.ResellerAuth = reseller.NewAuth(w.Store, w.Store)
		d.ResellerSessionKey = []byte(strings.Repeat("s", 64))
	})
	ctx := context.Background()
	src, _ := store.ParseResellerSource("ids:1")
	if _, err := a.Store.AddReseller(ctx, store.Reseller{Name: "Acme", Email: "acme@reseller.example", Source: src}, "acme's password"); err != nil {
		t.Fatal(err)
	}
	// Alice's client-level user (the admin panel's Create User) and the
	// user of her service 77.
	if status, body := a.act(fullAdmin, "create-user", nil); status != 200 {
		t.Fatalf("create-user: %d %v", status, body)
	}
	panel, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := a.Gateway.CreateUser(ctx, "alice+s3-77@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := a.Store.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 77, Cluster: "default", UserID: svc.ID, Email: svc.Email, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// Service 77 is a "Backup 250 GB" in WHMCS.
	for _, err := range []error{
		whmcssim.SetService(ctx, a.WHMCSDB, 77, 1, "Active"),
		whmcssim.SetProductQuota(ctx, a.WHMCSDB, 5, 77, "250"),
		whmcssim.SetProductName(ctx, a.WHMCSDB, 5, "Backup 250 GB"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Two sampling runs, 40 minutes apart, the last 20 minutes ago.
	first, last := now.Add(-time.Hour).Truncate(time.Second), now.Add(-20*time.Minute).Truncate(time.Second)
	// In time order, as the sampler records them: the store's latest run
	// is the last one recorded (a map here ran them in random order, and
	// the test failed whenever the later run came first).
	for _, run := range []struct {
		at    time.Time
		sizes [2]uint64
	}{{first, [2]uint64{2_000_000_000, 5_000_000_000}}, {last, [2]uint64{3_000_000_123, 6_500_000_000}}} {
		at, sizes := run.at, run.sizes
		if _, err := a.Store.RecordStorageSamples(ctx, "default", at, []store.StorageSample{
			{UserID: panel.ID, Bucket: "alice-photos", Current: sizes[0]}, {UserID: svc.ID, Bucket: "svc-data", Current: sizes[1]},
		}); err != nil {
			t.Fatal(err)
		}
	}
	hour := now.Unix()/3600 - 1
	seedLedger(t, a.Store, "obj-portal", map[store.UsageCell]uint64{
		{UserID: panel.ID, Bucket: "alice-photos", Hour: hour}: 1_234_567_890,
		{UserID: svc.ID, Bucket: "svc-data", Hour: hour}:       9_876_543_210,
		{UserID: svc.ID, Bucket: "svc-data", Hour: hour - 1}:   1_000,
	})

	p := &portalSession{t: t, base: a.srv.URL}
	p.login("acme@reseller.example", "acme's password")

	// The service: the portal's CSV (this month) against usage update,
	// and against metrics for the month it bills (the finished one on a
	// month's first day, else the running one).
	this := p.csv("/reseller/export.csv?period=this")
	status, upd, _ := a.usageUpdate(77)
	if status != http.StatusOK {
		t.Fatalf("usage-update: %d", status)
	}
	stored, _ := strconv.ParseUint(column(t, this, "77", "stored_bytes"), 10, 64)
	egress, _ := strconv.ParseUint(column(t, this, "77", "egress_bytes"), 10, 64)
	if stored != 6_500_000_000 || egress != 9_876_544_210 {
		t.Errorf("portal: stored %d, egress %d; want the latest sample 6500000000 and the month's 9876544210", stored, egress)
	}
	if u := upd[77]; u.DiskMB != whmcsbridge.BytesToMB(stored) || u.BWMB != whmcsbridge.BytesToMB(egress) {
		t.Errorf("usage update %+v; the portal shows %d stored and %d egress bytes", u, stored, egress)
	}
	billed := this
	if now.Day() == 1 {
		billed = p.csv("/reseller/export.csv?period=last")
	}
	status, met := a.metrics(77)
	if status != http.StatusOK || len(met.Services) != 1 {
		t.Fatalf("metrics: %d %+v", status, met)
	}
	m := met.Services[0].Metrics
	num := func(name string) float64 {
		v, err := strconv.ParseFloat(column(t, billed, "77", name), 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	if !approx(m.Storage, float64(stored)/1e9) || !approx(m.Egress, num("egress_bytes")/1e9) || !approx(m.Ingress, num("ingress_bytes")/1e9) ||
		!approxRel(m.StorageGBMonth, num("gb_months")) || m.StorageGBMonth == 0 ||
		float64(m.RequestsGet) != num("requests_get") || float64(m.RequestsPut) != num("requests_put") ||
		float64(m.RequestsList) != num("requests_list") || float64(m.RequestsOther) != num("requests_other") {
		t.Errorf("billed %+v; the portal's row %v", m, billed["77"])
	}
	// The page shows the same figures, in the admin panel's units.
	_, page := p.do("GET", "/reseller/", nil)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
	var row *goquery.Selection
	doc.Find("table.summary tbody tr").Each(func(_ int, r *goquery.Selection) {
		if strings.TrimSpace(r.Find("td").Eq(1).Text()) == "77" {
			row = r
		}
	})
	if row == nil {
		t.Fatalf("no row of service 77: %s", doc.Find("table.summary").Text())
	}
	if got := strings.TrimSpace(row.Find("td").Eq(2).Text()); got != "Backup 250 GB" || column(t, this, "77", "plan") != "Backup 250 GB" {
		t.Errorf("plan %q, CSV %q; want WHMCS's product name", got, column(t, this, "77", "plan"))
	}
	if got := strings.TrimSpace(row.Find("td").Eq(4).Text()); got != views.FormatBytes(stored) {
		t.Errorf("storage now %q, want %q", got, views.FormatBytes(stored))
	}
	if got := strings.TrimSpace(row.Find("td").Eq(7).Text()); got != views.FormatBytes(egress) {
		t.Errorf("egress %q, want %q", got, views.FormatBytes(egress))
	}

	// The client-level user: the portal's client page against the admin
	// panel's usage history, both over the last 30 days.
	if status, body := a.act(viewer, "toggle-usage", nil); status != 200 {
		t.Fatalf("toggle-usage: %d %v", status, body)
	}
	admin := a.panels(viewer)
	adminRows := usageRows(t, admin)
	status, page = p.do("GET", "/reseller/clients/1?service=0", nil)
	if status != http.StatusOK {
		t.Fatalf("client page: %d %s", status, page)
	}
	cdoc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
	portalRows := map[string][]string{}
	cdoc.Find("section.service .staas-usage-days tr.altrow").Each(func(_ int, r *goquery.Selection) {
		var cells []string
		r.Find("td").Each(func(_ int, c *goquery.Selection) {
			if span := c.Find("span[title]"); span.Length() > 0 {
				cells = append(cells, strings.Fields(span.AttrOr("title", ""))[0])
			} else {
				cells = append(cells, strings.TrimSpace(c.Text()))
			}
		})
		portalRows[cells[0]] = cells[1:]
	})
	if len(adminRows) != 30 || len(portalRows) != 30 {
		t.Fatalf("%d days in the admin panel, %d in the portal; want 30", len(adminRows), len(portalRows))
	}
	for d, want := range adminRows {
		if got := portalRows[d]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: portal %q, admin panel %q", d, got, want)
		}
	}
	today := adminRows[now.Format("2006-01-02")]
	if hour*3600 >= now.Truncate(24*time.Hour).Unix() && (len(today) < 4 || today[3] != u64(1_234_567_890)) {
		t.Errorf("today in the admin panel %q: want the 1234567890 bytes downloaded", today)
	}
	// Per bucket: the portal's downloaded bytes and GB-hours equal the
	// admin panel's breakdown.
	adminBucket := admin.Find("#staas-panel-usage .staas-usage-buckets tr.altrow").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find("td").First().Text()) == "alice-photos"
	})
	portalBucket := cdoc.Find("table.buckets tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find("td").First().Text()) == "alice-photos"
	})
	if adminBucket.Length() != 1 || portalBucket.Length() != 1 {
		t.Fatalf("bucket rows: admin %d, portal %d", adminBucket.Length(), portalBucket.Length())
	}
	if got, want := strings.TrimSpace(portalBucket.Find("td").Eq(2).Text()), strings.TrimSpace(adminBucket.Find("td").Eq(1).Text()); got != want || got == "—" {
		t.Errorf("alice-photos GB-hours: portal %q, admin panel %q", got, want)
	}
	if got, want := strings.TrimSpace(portalBucket.Find("td").Eq(5).Text()), views.FormatBytes(1_234_567_890); got != want {
		t.Errorf("alice-photos downloaded: portal %q, want %q", got, want)
	}
	if got := strings.TrimSpace(portalBucket.Find("td").Eq(1).Text()); got != views.FormatBytes(3_000_000_123) {
		t.Errorf("alice-photos size now: portal %q, want %q", got, views.FormatBytes(3_000_000_123))
	}
	if got, want := cdoc.Find("section.service p.hint").Last().Text(), admin.Find(".staas-usage-storage").Text(); strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("storage summary: portal %q, admin panel %q", got, want)
	}
}
