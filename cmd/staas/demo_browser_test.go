package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"staas"
	"staas/internal/ostor"
	"staas/internal/store"
	"staas/internal/whmcs"
	"staas/standin/demo"
	"staas/standin/ostorsim"
	"staas/views"
)

// The whole browser test must end within browserTimeout, so that a hang
// fails CI instead of blocking it; one click or read gets stepTimeout.
const (
	browserTimeout = 3 * time.Minute
	stepTimeout    = 20 * time.Second
)

// dialogProbe is the message of the one dialog the test opens itself, to
// prove that the dialog watch sees dialogs at all.
const dialogProbe = "staas-browser-test-dialog-probe"

// TestBrowser drives `staas demo` in headless Chromium as a WHMCS admin
// would: it clicks the real buttons of the stand-in's client summary page,
// fills and submits the real forms, and reads what the page shows after
// each redirect. Where it helps, it checks the gateway's side too. The
// steps share one demo, one browser and one tab and build on each other,
// so they run in order and the test stops at the first failed step.
func TestBrowser(t *testing.T) {
	chromium := findChromium(t)

	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()

	d, err := demo.Start(ctx, demoOptions("127.0.0.1:0", t.TempDir(), nil))
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	defer d.Close()

	// The gateway's truth, read through a server of its own over the same
	// simulator the demo uses.
	gwSrv := httptest.NewServer(d.Sim)
	defer gwSrv.Close()
	creds := d.Sim.SystemCredentials()
	gw, err := ostor.New(ostor.Config{Endpoint: gwSrv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("ostor client: %v", err)
	}

	start := time.Now()
	b, stop := startBrowser(t, ctx, chromium)
	defer stop()
	b.base, b.d, b.gw, b.gctx = strings.TrimSuffix(d.URL, "/"), d, gw, ctx
	b.probeDialogs(t)
	t.Logf("browser ready in %v", time.Since(start).Round(time.Millisecond))

	steps := []struct {
		name string
		run  func(t *testing.T, b *browser)
	}{
		{"01_QueryUserAndRevealSecret", stepQueryUserAndReveal},
		{"02_GenerateAccessKey", stepGenerateKey},
		{"03_RevokeAccessKey", stepRevokeKey},
		{"04_ListUsersPagingAndSearch", stepListUsers},
		{"05_Buckets", stepBuckets},
		{"06_UserLimits", stepUserLimits},
		{"07_BucketLimits", stepBucketLimits},
		{"08_Quotas", stepQuotas},
		{"09_Statistics", stepStatistics},
		{"09b_UsageHistory", stepUsageHistory},
		{"10_DisableAndEnableUser", stepDisableEnable},
		{"11_DeleteUserWithBucketsRefused", stepDeleteUserRefused},
		{"11b_EmptyBucketsThenDeleteUser", stepEmptyBucketsThenDeleteUser},
		{"12_CreateAndDeleteUser", stepCreateDeleteUser},
		{"13_HostileClientDetailsAreText", stepHostileClient},
		{"14_AdminPermissions", stepAdminPermissions},
		{"15_CSRFTokenRequired", stepCSRF},
		{"16_AuditLogNamesTheAdmin", stepAuditNamesTheAdmin},
		{"17_FailedPanelKeepsItsPlace", stepFailedPanel},
	}
	for _, s := range steps {
		stepStart := time.Now()
		ok := t.Run(s.name, func(t *testing.T) {
			defer func() {
				if t.Failed() {
					b.screenshot(t)
				}
			}()
			s.run(t, b)
			b.checkNoDialogs(t)
		})
		t.Logf("%s: %v", s.name, time.Since(stepStart).Round(time.Millisecond))
		if !ok {
			t.Fatalf("step %s failed; the later steps build on its state, so they were not run", s.name)
		}
	}
	b.checkNoDialogs(t)
	t.Logf("all steps in %v", time.Since(start).Round(time.Millisecond))
}

// findChromium returns the browser to drive. A missing browser fails the
// test: a browser test that skips is a test nobody notices is not running.
func findChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium is not installed: run scripts/test.sh as root, or `apt-get install chromium`")
	return ""
}

// browser is the one tab the steps share.
type browser struct {
	ctx  context.Context // the tab's chromedp context
	gctx context.Context // for calls to the gateway
	base string          // the stand-in's URL, without the trailing slash
	d    *demo.Demo
	gw   *ostor.Client
	dlg  *dialogWatch
	cur  *page // what the tab shows now
}

// startBrowser starts headless Chromium with one tab and watches for
// JavaScript dialogs. stop closes the browser and waits for it.
func startBrowser(t *testing.T, ctx context.Context, chromium string) (*browser, func()) {
	t.Helper()
	dir := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Without these, Chromium's connections (the test's too) are
		// refused on a machine that blocks its background traffic.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	stop := func() {
		cancelTab()
		cancelAlloc()
	}
	// The first action starts the browser; its life is bound to ctx, so
	// the overall timeout ends it too.
	if err := chromedp.Do(tabCtx); err != nil {
		stop()
		t.Fatalf("starting %s: %v", chromium, err)
	}
	b := &browser{ctx: tabCtx, dlg: watchDialogs(tabCtx)}
	return b, func() {
		stop()
		<-b.dlg.done
	}
}

// dialogWatch records every JavaScript dialog (alert, confirm, prompt) the
// pages open and dismisses it, so a dialog fails the test instead of
// hanging it. Nothing in the admin area opens one: a dialog means markup
// from client data ran as script.
type dialogWatch struct {
	mu     sync.Mutex
	seen   []string
	probes chan struct{}
	done   chan struct{}
}

func watchDialogs(ctx context.Context) *dialogWatch {
	w := &dialogWatch{probes: make(chan struct{}, 1), done: make(chan struct{})}
	events := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	go func() {
		defer close(w.done)
		for ev, err := range events {
			if err != nil {
				return
			}
			if ev.Message == dialogProbe {
				select {
				case w.probes <- struct{}{}:
				default:
				}
			} else {
				w.mu.Lock()
				w.seen = append(w.seen, fmt.Sprintf("%s(%q) on %s", ev.Type, ev.Message, ev.URL))
				w.mu.Unlock()
			}
			_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return w
}

// probeDialogs opens one dialog on purpose and waits until the watch sees
// it, so "no dialog was seen" later means something.
func (b *browser) probeDialogs(t *testing.T) {
	t.Helper()
	b.open(t, "/")
	b.do(t, "open a probe dialog", chromedp.Evaluate[chromedp.Void](`setTimeout(() => alert("`+dialogProbe+`"), 0)`))
	select {
	case <-b.dlg.probes:
	case <-time.After(stepTimeout):
		t.Fatal("the dialog watch did not see the probe alert; it would miss a real one too")
	}
}

func (b *browser) checkNoDialogs(t *testing.T) {
	t.Helper()
	b.dlg.mu.Lock()
	seen := b.dlg.seen
	b.dlg.seen = nil
	b.dlg.mu.Unlock()
	if len(seen) > 0 {
		t.Errorf("JavaScript dialogs opened (markup from data ran as script): %v", seen)
	}
}

// screenshot saves what the tab shows for a failed step, with its HTML,
// in the step's artifact directory: a temporary one that is removed after
// the test, or one that stays with `go test -artifacts -outputdir DIR`.
func (b *browser) screenshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	dir := t.ArtifactDir()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	shot := filepath.Join(dir, "screenshot.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "page.html"), []byte(html), 0o644)
	}
	where := "the tab"
	if b.cur != nil {
		where = b.cur.url
	}
	t.Logf("screenshot of %s: %s (kept with go test -artifacts)", where, shot)
}

// do runs actions that do not navigate.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to a path of the stand-in and reads the page.
func (b *browser) open(t *testing.T, path string) *page {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("open %s: HTTP %d", path, resp.Status)
	}
	return b.read(t)
}

// click clicks the element sel selects (a button or link of the page the
// tab shows), waits for the page it leads to (after the stand-in's
// redirect back to the client summary) and reads it.
func (b *browser) click(t *testing.T, sel string) *page {
	t.Helper()
	status, p := b.clickStatus(t, sel)
	if status != http.StatusOK {
		t.Fatalf("click %s: HTTP %d: %s", sel, status, p.text("body"))
	}
	return p
}

func (b *browser) clickStatus(t *testing.T, sel string) (int64, *page) {
	t.Helper()
	b.mustHave(t, sel)
	clicked := b.cur.doc.Find(sel).First()
	action, _ := clicked.Closest("form").Attr("action")
	asker := askingPlace(clicked)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	if resp == nil {
		t.Fatalf("click %s: no page loaded", sel)
	}
	p := b.read(t)
	if action == "staas-action.php" && resp.Status == http.StatusOK {
		b.mustShowResult(t, sel)
		b.mustConfirmWhereAsked(t, sel, asker)
	}
	return resp.Status, p
}

// asker is where a clicked button sits: the "Other Actions" group or the
// panel holding it and, for a panel's row button, the row's text.
type asker struct {
	id, row string
}

func askingPlace(btn *goquery.Selection) asker {
	place := btn.Closest(".staas-links[id], .clientssummarybox[id]")
	a := asker{id: place.AttrOr("id", "")}
	if row := btn.Closest("tr"); row.Length() > 0 && !row.HasClass("staas-confirm-row") && place.Length() > 0 {
		a.row = squash(row.Text())
	}
	return a
}

// mustConfirmWhereAsked checks a confirmation the click led to: the page
// has it once, inside the group or panel whose button asked for it (under
// the row whose button it was), the redirect names its own id, and it is
// in the window whole.
func (b *browser) mustConfirmWhereAsked(t *testing.T, sel string, from asker) {
	t.Helper()
	boxes := b.cur.doc.Find(".staas-confirm")
	if boxes.Length() == 0 {
		return
	}
	if boxes.Length() != 1 || b.cur.doc.Find("#staas-confirm").Length() != 1 {
		t.Fatalf("click %s: %d confirmation boxes (%d with the id staas-confirm), want 1", sel, boxes.Length(), b.cur.doc.Find("#staas-confirm").Length())
	}
	if u, _ := url.Parse(b.cur.url); u == nil || u.Fragment != "staas-confirm" {
		t.Fatalf("click %s: the page %s is not opened at the confirmation (#staas-confirm)", sel, b.cur.url)
	}
	want := from.id
	if want == "" {
		want = "staas-result"
	}
	if boxes.Closest("#"+want).Length() == 0 {
		t.Fatalf("click %s: the confirmation is in #%s, not in #%s, whose button asked", sel,
			boxes.Parents().Filter(".staas-links[id], .clientssummarybox[id], #staas-result").First().AttrOr("id", "?"), want)
	}
	if from.row != "" {
		if prev := squash(boxes.Closest("tr").Prev().Text()); prev != from.row {
			t.Fatalf("click %s: the confirmation follows the row %q, not the row whose button asked, %q", sel, prev, from.row)
		}
	}
	where := b.eval(t, `(() => {
		const r = document.getElementById("staas-confirm").getBoundingClientRect();
		return (r.top >= -1 && r.bottom <= window.innerHeight + 1) ? "" : "it spans " + Math.round(r.top) + "–" + Math.round(r.bottom) + " px of a " + window.innerHeight + " px window";
	})()`)
	if where != "" {
		t.Fatalf("click %s: the confirmation is not wholly in view: %s", sel, where)
	}
}

// mustShowResult checks that the page an admin action led to was opened
// at the place that shows the outcome (the URL's fragment, from staas's
// answer) and that this place is in the window, not somewhere below.
func (b *browser) mustShowResult(t *testing.T, sel string) {
	t.Helper()
	u, err := url.Parse(b.cur.url)
	if err != nil || u.Fragment == "" {
		t.Fatalf("click %s: the page %s has no fragment: the admin lands at its top, not on the result", sel, b.cur.url)
	}
	if !b.cur.has("#" + u.Fragment) {
		t.Fatalf("click %s: the page %s has no element with id %q", sel, b.cur.url, u.Fragment)
	}
	where := b.eval(t, `(() => {
		const el = document.getElementById(`+strconv.Quote(u.Fragment)+`);
		const r = el.getBoundingClientRect();
		return (r.top >= -1 && r.top < window.innerHeight - 40) ? "" : "its top is at " + Math.round(r.top) + " px of a " + window.innerHeight + " px window";
	})()`)
	if where != "" {
		t.Fatalf("click %s: #%s is out of view: %s", sel, u.Fragment, where)
	}
}

// eval runs a script that returns a string.
func (b *browser) eval(t *testing.T, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](script))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return out
}

// mustHave fails at once when the page lacks sel, rather than letting a
// click wait for an element that will never come.
func (b *browser) mustHave(t *testing.T, sel string) {
	t.Helper()
	if b.cur == nil || !b.cur.has(sel) {
		url := ""
		if b.cur != nil {
			url = b.cur.url
		}
		t.Fatalf("the page %s has no %s", url, sel)
	}
}

// fill types text into a field as the admin would, replacing what it holds.
func (b *browser) fill(t *testing.T, sel, text string) {
	t.Helper()
	b.mustHave(t, sel)
	steps := []chromedp.Action[chromedp.Void]{chromedp.Clear(chromedp.CSS(sel))}
	if text != "" {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(sel), text))
	}
	b.do(t, "fill "+sel, steps...)
}

// choose picks an option of a select.
func (b *browser) choose(t *testing.T, sel, value string) {
	t.Helper()
	b.mustHave(t, sel)
	b.do(t, "choose "+value+" in "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// read parses what the tab shows now.
func (b *browser) read(t *testing.T) *page {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	// A click answered by a redirect (logout's 303) can replace the
	// document between finding <html> and reading it; read the page
	// that is there once the navigation settles.
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	for try := 0; err != nil && strings.Contains(err.Error(), "No node with given id") && try < 40; try++ {
		time.Sleep(50 * time.Millisecond)
		html, err = chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	}
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("read the location: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	b.cur = &page{url: loc, doc: doc}
	return b.cur
}

// confirm checks that the page asks the confirmation question (containing
// want) and clicks Confirm.
func (b *browser) confirm(t *testing.T, want string) *page {
	t.Helper()
	if q := b.cur.text("#staas-confirm-question"); !strings.Contains(q, want) {
		t.Fatalf("confirmation question = %q, want it to contain %q", q, want)
	}
	p := b.click(t, `.staas-confirm form:has(input[name="confirm"][value="yes"]) button`)
	if p.has(".staas-confirm") {
		t.Fatalf("the confirmation box is still there after Confirm: %q", p.text(".staas-confirm"))
	}
	return p
}

// switchAdmin logs the stand-in in as another of its admins, with the top
// bar's switcher.
func (b *browser) switchAdmin(t *testing.T, name string) *page {
	t.Helper()
	id := ""
	for _, a := range demo.Admins {
		if a.Name == name {
			id = fmt.Sprint(a.ID)
		}
	}
	if id == "" {
		t.Fatalf("no demo admin %q", name)
	}
	// Back to the same page; the fragment of the last action stays behind.
	back, _, _ := strings.Cut(b.cur.url, "#")
	b.choose(t, "#standin-admin", id)
	p := b.click(t, ".standin-admin button[type=submit]")
	if got := p.text("#standin-admin option[selected]"); got != name {
		t.Fatalf("logged in as %q after switching, want %q", got, name)
	}
	if p.url != back {
		t.Fatalf("switching admins went to %s, want back to %s", p.url, back)
	}
	return p
}

// page is one loaded page, parsed.
type page struct {
	url string
	doc *goquery.Document
}

// squash collapses runs of white space, as a reader sees text.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func (p *page) has(sel string) bool { return p.doc.Find(sel).Length() > 0 }

// text is the text of the first element sel selects.
func (p *page) text(sel string) string { return squash(p.doc.Find(sel).First().Text()) }

// texts is the text of every element sel selects.
func (p *page) texts(sel string) []string {
	var out []string
	p.doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, squash(s.Text())) })
	return out
}

func (p *page) attr(sel, name string) (string, bool) {
	return p.doc.Find(sel).First().Attr(name)
}

// flashes are the messages staas left the admin, of one kind: "success"
// or "danger".
func (p *page) flashes(kind string) []string {
	return p.texts("#standin-addons .alert-" + kind)
}

// cells are the rows of a table, each as the text of its cells.
func (p *page) cells(rowSel string) [][]string {
	var out [][]string
	p.doc.Find(rowSel).Each(func(_ int, tr *goquery.Selection) {
		var row []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { row = append(row, squash(td.Text())) })
		out = append(out, row)
	})
	return out
}

// rowsAsText joins each row's cells, for comparing tables.
func rowsAsText(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, " | "))
	}
	slices.Sort(out)
	return out
}

// notes are the texts of the client's notes, as written (lines kept).
func (p *page) notes() []string {
	var out []string
	p.doc.Find("#standin-notes .standin-note-text").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
	return out
}

// s3Note is a note in the guide's three-line format.
type s3Note struct{ userID, accessKey, secret string }

func parseNote(text string) (s3Note, bool) {
	lines := strings.Split(text, "\n")
	if len(lines) != 3 {
		return s3Note{}, false
	}
	var n s3Note
	for i, f := range []struct {
		prefix string
		dst    *string
	}{{"UserId: ", &n.userID}, {"AWSAccessKeyId: ", &n.accessKey}, {"AWSSecretAccessKey: ", &n.secret}} {
		v, ok := strings.CutPrefix(lines[i], f.prefix)
		if !ok || v == "" {
			return s3Note{}, false
		}
		*f.dst = v
	}
	return n, true
}

// s3Notes are the client's notes in the guide's format.
func (p *page) s3Notes() []s3Note {
	var out []s3Note
	for _, text := range p.notes() {
		if n, ok := parseNote(text); ok {
			out = append(out, n)
		}
	}
	return out
}

// keyRow is one key pair of the "S3 Information for User" panel.
type keyRow struct {
	accessKey, secret string
	revealed          bool
}

func (p *page) keys() []keyRow {
	var out []keyRow
	p.doc.Find("#staas-panel-user table.staas-keys tr.altrow").Each(func(_ int, tr *goquery.Selection) {
		codes := tr.Find("code")
		if codes.Length() < 2 {
			return
		}
		sec := codes.Eq(1)
		out = append(out, keyRow{accessKey: squash(codes.Eq(0).Text()), secret: squash(sec.Text()), revealed: sec.HasClass("staas-secret-revealed")})
	})
	return out
}

// field is a row of a two-column table ("State" → "enabled").
func (p *page) field(tableSel, name string) string {
	v := ""
	p.doc.Find(tableSel + " tr").EachWithBreak(func(_ int, tr *goquery.Selection) bool {
		if squash(tr.Find("th").First().Text()) == name {
			v = squash(tr.Find("td").First().Text())
			return false
		}
		return true
	})
	return v
}

// Selectors of the page's controls.
const (
	btnQueryUser   = `#staas-links-user button[value="toggle-user"][aria-pressed]`
	btnListUsers   = `#staas-links-user button[value="toggle-users"]`
	btnBuckets     = `#staas-links-user button[value="toggle-buckets"]`
	btnGenerateKey = `#staas-links-user button[value="generate-key"]`
	btnCreateUser  = `#staas-links-user button[value="create-user"]`
	btnDeleteUser  = `#staas-links-user button[value="delete-user"]`
	btnDisableUser = `#staas-links-user button[value="disable-user"]`
	btnEnableUser  = `#staas-links-user button[value="enable-user"]`
	btnStats       = `#staas-links-stats button[value="toggle-stats"]`
)

// keyButton is a button of one key pair's row in the user panel.
func keyButton(accessKey, action string) string {
	return fmt.Sprintf(`#staas-panel-user form:has(input[name="access_key"][value=%q]) button[value=%q]`, accessKey, action)
}

// statsButton is a button of one object's row in the statistics list.
func statsButton(object, action string) string {
	return fmt.Sprintf(`#staas-panel-stats form:has(input[name="object"][value=%q]) button[value=%q]`, object, action)
}

// hideButton is the × of a panel.
func hideButton(panel string) string {
	return "#staas-panel-" + panel + " .title button.close"
}

func (b *browser) gwUser(t *testing.T, email string) *ostor.User {
	t.Helper()
	u, err := b.gw.User(b.gctx, ostor.ByEmail(email))
	if err != nil {
		t.Fatalf("gateway: user %s: %v", email, err)
	}
	return u
}

func (b *browser) gwLimits(t *testing.T, subject ostor.LimitSubject) ostor.Limits {
	t.Helper()
	l, err := b.gw.Limits(b.gctx, subject)
	if err != nil {
		t.Fatalf("gateway: limits: %v", err)
	}
	return *l
}

func (b *browser) gwQuota(t *testing.T, subject ostor.QuotaSubject) uint64 {
	t.Helper()
	q, err := b.gw.Quota(b.gctx, subject)
	if err != nil {
		t.Fatalf("gateway: quota: %v", err)
	}
	return q.SizeGB
}

func accessKeys(u *ostor.User) []string {
	var out []string
	for _, k := range u.Keys {
		out = append(out, k.AccessKeyID)
	}
	return out
}

func panelKeys(p *page) []string {
	var out []string
	for _, k := range p.keys() {
		out = append(out, k.accessKey)
	}
	return out
}

// wantOneFlash checks that the page shows exactly one message of the kind
// ("success" or "danger"), containing want, and no message of another kind.
func wantOneFlash(t *testing.T, p *page, kind, want string) {
	t.Helper()
	got := p.flashes(kind)
	all := append(p.flashes("success"), p.flashes("danger")...)
	if len(got) != 1 || len(all) != 1 || !strings.Contains(got[0], want) {
		t.Fatalf("messages = %q, want one %s message containing %q", all, kind, want)
	}
}

// limitRows are limits as the limits panels show them (sorted, as
// rowsAsText gives them): ops per second with two decimals, as the
// gateway stores them, bandwidth in whole KB/s.
func limitRows(l ostor.Limits) []string {
	var out []string
	for _, op := range []struct {
		name string
		v    float64
	}{{"default", l.OpsDefault}, {"get", l.OpsGet}, {"put", l.OpsPut}, {"list", l.OpsList}, {"delete", l.OpsDelete}} {
		if op.v != 0 {
			out = append(out, fmt.Sprintf("ops | %s | %s ops/s", op.name, views.FormatNumber(op.v)))
		}
	}
	if l.BandwidthOut != 0 {
		out = append(out, fmt.Sprintf("bandwidth | out | %s KB/s", views.FormatCount(l.BandwidthOut)))
	}
	slices.Sort(out)
	return out
}

func wantNoFlash(t *testing.T, p *page) {
	t.Helper()
	if got := append(p.flashes("success"), p.flashes("danger")...); len(got) > 0 {
		t.Fatalf("unexpected messages: %q", got)
	}
}

// 1. The client list → Alice; Query User shows her key pairs with the
// secrets masked; her notes name the keys but keep the secrets out;
// Reveal shows one in full, the gateway's, on one page load.
func stepQueryUserAndReveal(t *testing.T, b *browser) {
	p := b.open(t, "/")
	if got := len(p.doc.Find(".datatable tr td a").Nodes); got != len(demo.Clients) {
		t.Fatalf("the client list links %d clients, want %d", got, len(demo.Clients))
	}
	p = b.click(t, `.datatable a[href="/admin/clientssummary.php?userid=1"]`)
	if got := p.text("h1"); got != "Client Profile: Alice Archer" {
		t.Fatalf("heading = %q", got)
	}
	if got := p.text(btnQueryUser); got != "Query User: hidden" {
		t.Fatalf("toggle reads %q before the click", got)
	}
	if p.has("#staas-panel-user") {
		t.Fatal("the user panel shows before Query User")
	}

	p = b.click(t, btnQueryUser)
	if got := p.text(btnQueryUser); got != "Query User: shown" {
		t.Errorf("toggle reads %q after the click, want Query User: shown", got)
	}
	alice := b.gwUser(t, "alice@example.com")
	if got, want := p.text("#staas-panel-user .title"), "S3 Information for User: "+alice.ID; !strings.Contains(got, want) {
		t.Fatalf("user panel title = %q, want %q", got, want)
	}
	if got := p.field("#staas-panel-user", "UserEmail"); got != "alice@example.com" {
		t.Errorf("UserEmail = %q", got)
	}
	if got := p.field("#staas-panel-user", "State"); got != "enabled" {
		t.Errorf("State = %q", got)
	}
	if got, want := panelKeys(p), accessKeys(alice); !slices.Equal(got, want) || len(got) == 0 {
		t.Fatalf("keys in the panel = %v, gateway has %v", got, want)
	}
	notes := p.s3Notes()
	noted := map[string]bool{}
	for _, n := range notes {
		if n.userID != alice.ID {
			t.Errorf("note for user %s on Alice's page", n.userID)
		}
		if n.secret != whmcs.NoteSecretWithheld {
			t.Errorf("the note of %s holds %q, want the secret kept out", n.accessKey, n.secret)
		}
		noted[n.accessKey] = true
	}
	panelText := p.text("#staas-panel-user")
	for _, k := range p.keys() {
		if !noted[k.accessKey] {
			t.Fatalf("no note names the key %s; notes: %q", k.accessKey, p.notes())
		}
		if k.revealed || !strings.Contains(k.secret, "•") {
			t.Errorf("secret of %s is not masked: %q", k.accessKey, k.secret)
		}
	}
	for _, k := range alice.Keys {
		if strings.Contains(panelText, k.SecretAccessKey) || strings.Contains(strings.Join(p.notes(), "\n"), k.SecretAccessKey) {
			t.Errorf("the secret of %s shows before Reveal", k.AccessKeyID)
		}
	}

	key := alice.Keys[0]
	p = b.click(t, keyButton(key.AccessKeyID, "reveal-secret"))
	var shown *keyRow
	for _, k := range p.keys() {
		if k.accessKey == key.AccessKeyID {
			shown = &k
		}
	}
	if shown == nil || !shown.revealed {
		t.Fatalf("after Reveal the key rows are %+v", p.keys())
	}
	if shown.secret != key.SecretAccessKey {
		t.Errorf("revealed secret %q; the gateway has %q", shown.secret, key.SecretAccessKey)
	}
	if p.has(keyButton(key.AccessKeyID, "reveal-secret")) {
		t.Error("the revealed key still offers Reveal")
	}
	// Shown once: the next load of the page masks it again.
	p = b.open(t, "/admin/clientssummary.php?userid=1")
	for _, k := range p.keys() {
		if k.revealed || strings.Contains(p.text("#staas-panel-user"), key.SecretAccessKey) {
			t.Errorf("the secret of %s still shows on the next page load", k.accessKey)
		}
	}
}

// 2. Generate Access Key writes a note and lists the key; a third pair is
// refused with a message.
func stepGenerateKey(t *testing.T, b *browser) {
	before := b.gwUser(t, "alice@example.com")
	if len(before.Keys) != 1 {
		t.Fatalf("Alice starts with %d key pairs, want 1", len(before.Keys))
	}
	notesBefore := len(b.cur.notes())

	p := b.click(t, btnGenerateKey)
	after := b.gwUser(t, "alice@example.com")
	if len(after.Keys) != 2 {
		t.Fatalf("the gateway has %d key pairs after Generate, want 2", len(after.Keys))
	}
	var added ostor.KeyPair
	for _, k := range after.Keys {
		if k.AccessKeyID != before.Keys[0].AccessKeyID {
			added = k
		}
	}
	wantOneFlash(t, p, "success", "Access key "+added.AccessKeyID+" generated")
	if got := len(p.notes()); got != notesBefore+1 {
		t.Errorf("%d notes after Generate, want %d", got, notesBefore+1)
	}
	want := s3Note{userID: after.ID, accessKey: added.AccessKeyID, secret: whmcs.NoteSecretWithheld}
	if !slices.Contains(p.s3Notes(), want) {
		t.Errorf("no note %+v among %q", want, p.notes())
	}
	if got := panelKeys(p); !slices.Contains(got, added.AccessKeyID) || len(got) != 2 {
		t.Errorf("keys in the panel = %v, want both pairs", got)
	}

	// At two pairs, the most the storage allows, Generate is disabled with the
	// reason (the server refuses a third too: handlers' tests post it).
	if _, disabled := p.attr(btnGenerateKey, "disabled"); !disabled {
		t.Error("Generate Access Key stays enabled at two pairs")
	}
	if title, _ := p.attr(btnGenerateKey, "title"); !strings.Contains(title, "revoke one to generate another") {
		t.Errorf("the disabled Generate's title = %q", title)
	}
	if got := p.text("#staas-links-user .staas-key-limit"); !strings.Contains(got, "the most the storage allows") {
		t.Errorf("the key limit in words = %q", got)
	}
}

// 3. Revoke one pair from the user panel: Cancel leaves it, Confirm removes
// the key and its note and keeps the other.
func stepRevokeKey(t *testing.T, b *browser) {
	u := b.gwUser(t, "alice@example.com")
	if len(u.Keys) != 2 {
		t.Fatalf("Alice has %d key pairs, want 2", len(u.Keys))
	}
	victim, kept := u.Keys[0].AccessKeyID, u.Keys[1].AccessKeyID

	p := b.click(t, keyButton(victim, "revoke-key"))
	if !strings.Contains(p.text("#staas-confirm-question"), victim) {
		t.Fatalf("the confirmation does not name the key: %q", p.text(".staas-confirm"))
	}
	p = b.click(t, `.staas-confirm button[value="cancel"]`)
	if p.has(".staas-confirm") {
		t.Fatal("the confirmation box stays after Cancel")
	}
	if got := len(b.gwUser(t, "alice@example.com").Keys); got != 2 {
		t.Fatalf("Cancel revoked a key: %d left", got)
	}

	b.click(t, keyButton(victim, "revoke-key"))
	p = b.confirm(t, victim)
	wantOneFlash(t, p, "success", "Access key "+victim+" revoked.")
	if got := panelKeys(p); !slices.Equal(got, []string{kept}) {
		t.Errorf("keys in the panel = %v, want only %s", got, kept)
	}
	var noteKeys []string
	for _, n := range p.s3Notes() {
		noteKeys = append(noteKeys, n.accessKey)
	}
	if !slices.Equal(noteKeys, []string{kept}) {
		t.Errorf("notes name the keys %v, want only %s", noteKeys, kept)
	}
	if got := accessKeys(b.gwUser(t, "alice@example.com")); !slices.Equal(got, []string{kept}) {
		t.Errorf("the gateway has the keys %v, want only %s", got, kept)
	}
}

// 4. List Users: the first page of many, the next page, a search by part of
// an email, and the panel's hide button.
func stepListUsers(t *testing.T, b *browser) {
	all, err := b.gw.Users(b.gctx)
	if err != nil {
		t.Fatal(err)
	}
	total := len(all)
	if total <= 50 {
		t.Fatalf("the gateway has only %d users; the demo seeds 60 extra ones to page through", total)
	}

	p := b.click(t, btnListUsers)
	if got := p.text(btnListUsers); got != "List Users: shown" {
		t.Errorf("toggle reads %q", got)
	}
	if got := p.text("#staas-panel-users .title"); !strings.Contains(got, "S3 Users List") {
		t.Fatalf("users panel title = %q", got)
	}
	emailsOf := func(p *page) []string {
		var out []string
		for _, r := range p.cells("#staas-panel-users tr.altrow") {
			// UserId, UserEmail, State: no Keys column, which the
			// gateway's user list cannot fill.
			if len(r) == 3 {
				out = append(out, r[1])
			}
		}
		return out
	}
	page1 := emailsOf(p)
	if len(page1) != 25 {
		t.Errorf("first page has %d users, want 25", len(page1))
	}
	if got, want := p.text("#staas-panel-users .staas-showing"), fmt.Sprintf("showing 1–25 of %d", total); got != want {
		t.Errorf("pager says %q, want %q", got, want)
	}
	known := map[string]bool{}
	for _, u := range all {
		known[u.Email] = true
	}
	for _, e := range page1 {
		if !known[e] {
			t.Errorf("the list shows %q, which the gateway does not have", e)
		}
	}

	p = b.click(t, `#staas-panel-users .staas-pager form:has(input[name="page"][value="2"]) button`)
	page2 := emailsOf(p)
	if got, want := p.text("#staas-panel-users .staas-showing"), fmt.Sprintf("showing 26–50 of %d", total); got != want {
		t.Errorf("pager says %q on page 2, want %q", got, want)
	}
	if len(page2) != 25 {
		t.Errorf("page 2 has %d users, want 25", len(page2))
	}
	for _, e := range page2 {
		if slices.Contains(page1, e) {
			t.Errorf("%s is on both pages", e)
		}
	}
	if !p.has(`#staas-panel-users .staas-pager form:has(input[name="page"][value="1"]) button`) {
		t.Error("page 2 has no Previous page button")
	}

	const q = "user05"
	b.fill(t, `#staas-panel-users input[name="q"]`, q)
	p = b.click(t, `#staas-panel-users .staas-search button[value="users-page"]`)
	var want []string
	for _, u := range all {
		if strings.Contains(u.Email, q) {
			want = append(want, u.Email)
		}
	}
	got := emailsOf(p)
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("search %q shows %v, want %v", q, got, want)
	}
	if v, _ := p.attr(`#staas-panel-users input[name="q"]`, "value"); v != q {
		t.Errorf("the search box holds %q after searching, want %q", v, q)
	}
	if got, want := p.text("#staas-panel-users .staas-showing"), fmt.Sprintf("showing 1–%d of %d", len(want), len(want)); got != want {
		t.Errorf("pager says %q for the search, want %q", got, want)
	}

	p = b.click(t, hideButton("users"))
	if p.has("#staas-panel-users") {
		t.Error("the users panel stays after its hide button")
	}
	if got := p.text(btnListUsers); got != "List Users: hidden" {
		t.Errorf("toggle reads %q after hiding", got)
	}
}

// 5. Buckets: Alice's buckets with the gateway's sizes.
func stepBuckets(t *testing.T, b *browser) {
	p := b.click(t, btnBuckets)
	if got := p.text(btnBuckets); got != "Buckets: shown" {
		t.Errorf("toggle reads %q", got)
	}
	buckets, err := b.gw.BucketsOf(b.gctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	var total uint64
	for _, bk := range buckets {
		want = append(want, bk.Name+" | "+views.FormatBytes(bk.Size.Current))
		total += bk.Size.Current
	}
	slices.Sort(want)
	var got []string
	for _, r := range p.cells("#staas-panel-buckets tr.altrow") {
		if len(r) != 4 || r[3] != "Empty and delete" {
			t.Fatalf("bucket row %q", r)
		}
		got = append(got, r[0]+" | "+r[1])
	}
	slices.Sort(got)
	if len(want) != 2 || !slices.Equal(got, want) {
		t.Errorf("buckets panel shows %q, the gateway has %q", got, want)
	}
	if got, want := p.texts("#staas-panel-buckets .staas-total th"), []string{"2 buckets", views.FormatBytes(total), "", ""}; !slices.Equal(got, want) {
		t.Errorf("total row = %q, want %q", got, want)
	}
}

// 6. User limits: a bad value is marked on its field and kept; good values
// are set and shown; Get shows them again; Delete (confirmed) clears them.
func stepUserLimits(t *testing.T, b *browser) {
	const (
		form   = "#staas-links-user-limits"
		set    = form + ` button[value="user-limits-set"]`
		get    = form + ` button[value="user-limits-get"]`
		del    = form + ` button[value="user-limits-delete"]`
		ops    = "#staas-ul-ops-value"
		bw     = "#staas-ul-bandwidth-value"
		opName = form + ` select[name="ops-name"]`
		panel  = "#staas-panel-user-limits"
	)
	alice := ostor.UserLimits(ostor.ByEmail("alice@example.com"))
	seeded := b.gwLimits(t, alice)

	p := b.click(t, get)
	if got := p.text(panel + " .title"); !strings.Contains(got, "S3 Limits for User") {
		t.Fatalf("limits panel title = %q", got)
	}
	if got, want := rowsAsText(p.cells(panel+" tr.altrow")), limitRows(seeded); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("the demo's seeded limits show as %q, want %q", got, want)
	}

	b.fill(t, ops, "12abc")
	b.choose(t, opName, "put")
	p = b.click(t, set)
	if len(p.flashes("danger")) == 0 {
		t.Error("no error message for a bad ops value")
	}
	if msg := p.text("#staas-ul-ops-value-error"); msg == "" {
		t.Error("no error next to the ops field")
	}
	if v, _ := p.attr(ops, "value"); v != "12abc" {
		t.Errorf("the ops field holds %q after the error, want the typed 12abc", v)
	}
	if v, _ := p.attr(ops, "aria-invalid"); v != "true" {
		t.Error("the ops field is not marked invalid")
	}
	if !p.doc.Find(ops).Parent().HasClass("has-error") {
		t.Error("the ops field's group is not marked has-error")
	}
	if v, _ := p.attr(opName+" option[selected]", "value"); v != "put" {
		t.Errorf("the operation select shows %q after the error, want put", v)
	}
	if got := b.gwLimits(t, alice); got != seeded {
		t.Errorf("a bad value changed the limits: %+v → %+v", seeded, got)
	}

	b.fill(t, ops, "250")
	b.choose(t, opName, "put")
	b.fill(t, bw, "300")
	p = b.click(t, set)
	wantOneFlash(t, p, "success", "The S3 user's limits were set.")
	wantLimits := seeded
	wantLimits.OpsPut, wantLimits.BandwidthOut = 250, 300
	if l := b.gwLimits(t, alice); l != wantLimits {
		t.Errorf("gateway limits = %+v, want %+v", l, wantLimits)
	}
	want := limitRows(wantLimits)
	got := rowsAsText(p.cells(panel + " tr.altrow"))
	if !slices.Equal(got, want) {
		t.Errorf("limits panel shows %q, want %q", got, want)
	}
	if !slices.Contains(got, "ops | put | 250 ops/s") || !slices.Contains(got, "bandwidth | out | 300 KB/s") {
		t.Errorf("limits panel shows %q, want the typed 250 as 250 ops/s and 300 KB/s", got)
	}
	if p.has("#staas-ul-ops-value-error") {
		t.Error("the field error stays after a good value")
	}

	p = b.click(t, hideButton("user-limits"))
	if p.has(panel) {
		t.Fatal("the limits panel stays after its hide button")
	}
	p = b.click(t, get)
	if got := rowsAsText(p.cells(panel + " tr.altrow")); !slices.Equal(got, want) {
		t.Errorf("Get shows %q, want %q", got, want)
	}

	b.click(t, del)
	p = b.confirm(t, "Delete every limit")
	wantOneFlash(t, p, "success", "limits were deleted")
	if got := p.text(panel + " tr.altrow"); got != "no limits set" {
		t.Errorf("limits panel after Delete = %q", got)
	}
	if l := b.gwLimits(t, alice); l != (ostor.Limits{}) {
		t.Errorf("gateway limits after Delete = %+v", l)
	}
}

// 7. Bucket limits on one of Alice's buckets; another client's bucket is
// refused on the bucket field.
func stepBucketLimits(t *testing.T, b *browser) {
	const (
		form   = "#staas-links-bucket-limits"
		set    = form + ` button[value="bucket-limits-set"]`
		get    = form + ` button[value="bucket-limits-get"]`
		del    = form + ` button[value="bucket-limits-delete"]`
		ops    = "#staas-bl-ops-value"
		bw     = "#staas-bl-bandwidth-value"
		bucket = "#staas-bl-bucket"
		opName = form + ` select[name="ops-name"]`
		panel  = "#staas-panel-bucket-limits"
	)
	photos := ostor.BucketLimits("alice-photos")

	// The bucket is picked from the client's buckets; the prompt is no
	// bucket, and Set, Get and Delete with it are refused by the field,
	// leaving the user's limits alone (they once acted on them).
	userBefore := b.gwLimits(t, ostor.UserLimits(ostor.ByEmail("alice@example.com")))
	var options []string
	b.cur.doc.Find(bucket + " option").Each(func(_ int, o *goquery.Selection) { options = append(options, o.AttrOr("value", "-")) })
	if !slices.Equal(options, []string{"", "alice-photos", "alice-backup"}) && !slices.Equal(options, []string{"", "alice-backup", "alice-photos"}) {
		t.Errorf("bucket choices = %q, want the prompt and Alice's two buckets", options)
	}
	for _, btn := range []string{set, get, del} {
		b.fill(t, ops, "40")
		b.choose(t, bucket, "")
		p := b.click(t, btn)
		if msg := p.text("#staas-bl-bucket-error"); !strings.Contains(msg, "Choose one of the client's buckets") {
			t.Errorf("%s with no bucket: the bucket field says %q", btn, msg)
		}
		if p.has(".staas-confirm") || p.has(panel) {
			t.Errorf("%s with no bucket asked or showed a panel", btn)
		}
	}
	if got := b.gwLimits(t, ostor.UserLimits(ostor.ByEmail("alice@example.com"))); got != userBefore {
		t.Errorf("the user's limits changed with no bucket chosen: %+v → %+v", userBefore, got)
	}

	b.fill(t, ops, "40")
	b.choose(t, opName, "list")
	b.fill(t, bw, "500")
	b.choose(t, bucket, "alice-photos")
	p := b.click(t, set)
	wantOneFlash(t, p, "success", "The limits of bucket alice-photos were set.")
	if got := p.text(panel + " .title"); !strings.Contains(got, "S3 Limits for Bucket: alice-photos") {
		t.Fatalf("bucket limits panel title = %q", got)
	}
	want := []string{"bandwidth | out | 500 KB/s", "ops | list | 40 ops/s"}
	if got := rowsAsText(p.cells(panel + " tr.altrow")); !slices.Equal(got, want) {
		t.Errorf("bucket limits panel shows %q, want %q", got, want)
	}
	if l := b.gwLimits(t, photos); l.OpsList != 40 || l.BandwidthOut != 500 {
		t.Errorf("gateway limits of alice-photos = %+v", l)
	}

	p = b.click(t, hideButton("bucket-limits"))
	if p.has(panel) {
		t.Fatal("the bucket limits panel stays after its hide button")
	}
	b.choose(t, bucket, "alice-photos")
	p = b.click(t, get)
	if got := p.text(panel + " .title"); !strings.Contains(got, "S3 Limits for Bucket: alice-photos") {
		t.Fatalf("Get shows the panel %q", got)
	}
	if got := rowsAsText(p.cells(panel + " tr.altrow")); !slices.Equal(got, want) {
		t.Errorf("Get shows %q, want %q", got, want)
	}

	b.choose(t, bucket, "alice-photos")
	b.click(t, del)
	p = b.confirm(t, "alice-photos")
	wantOneFlash(t, p, "success", "The limits of bucket alice-photos were deleted.")
	if got := p.text(panel + " tr.altrow"); got != "no limits set" {
		t.Errorf("bucket limits panel after Delete = %q", got)
	}
	if l := b.gwLimits(t, photos); l != (ostor.Limits{}) {
		t.Errorf("gateway limits of alice-photos after Delete = %+v", l)
	}

	// Another client's bucket is not among the choices (a forged post
	// naming one is refused: handlers' tests post it); a kept value
	// stays chosen after an error in another field.
	if b.cur.has(bucket + ` option[value="bob-data"]`) {
		t.Error("Bob's bucket is offered on Alice's page")
	}
	b.fill(t, ops, "5x")
	b.fill(t, bw, "")
	b.choose(t, bucket, "alice-backup")
	p = b.click(t, set)
	if msg := p.text("#staas-bl-ops-value-error"); msg == "" {
		t.Error("no error next to the ops field")
	}
	if v, _ := p.attr(bucket+" option[selected]", "value"); v != "alice-backup" {
		t.Errorf("the bucket choice after the error = %q, want alice-backup kept", v)
	}
	if v, _ := p.attr(ops, "value"); v != "5x" {
		t.Errorf("the ops field holds %q after the error, want 5x", v)
	}
}

// 8. Quotas of the user and of a bucket, shown; the bucket's deleted.
func stepQuotas(t *testing.T, b *browser) {
	const (
		form  = "#staas-links-quota"
		set   = form + ` button[value="quota-set"]`
		del   = form + ` button[value="quota-delete"]`
		of    = "#staas-q-of"
		gb    = "#staas-q-quota-gb"
		panel = "#staas-panel-quotas"
	)
	quotas := func(p *page) map[string]string {
		m := map[string]string{}
		for _, r := range p.cells(panel + " tr.altrow") {
			if len(r) == 2 {
				m[r[0]] = r[1]
			}
		}
		return m
	}

	// Nothing chosen is refused by the choice, not taken as the user.
	b.choose(t, of, "")
	b.fill(t, gb, "100")
	p := b.click(t, set)
	if msg := p.text("#staas-q-of-error"); !strings.Contains(msg, "Choose the S3 user or one of the client's buckets") {
		t.Errorf("no choice: %q", msg)
	}
	if got := b.gwQuota(t, ostor.UserQuota(ostor.ByEmail("alice@example.com"))); got == 100 {
		t.Error("the user's quota was set with nothing chosen")
	}

	b.choose(t, of, "user")
	b.fill(t, gb, "100")
	p = b.click(t, set)
	wantOneFlash(t, p, "success", "The quota of the S3 user is now 100 GB.")
	if got := quotas(p)["(user)"]; got != "100 GB" {
		t.Errorf("user quota shows %q, want 100 GB (panel: %v)", got, quotas(p))
	}
	if got := b.gwQuota(t, ostor.UserQuota(ostor.ByEmail("alice@example.com"))); got != 100 {
		t.Errorf("gateway user quota = %d GB", got)
	}

	b.choose(t, of, "bucket:alice-backup")
	b.fill(t, gb, "20")
	p = b.click(t, set)
	wantOneFlash(t, p, "success", "The quota of bucket alice-backup is now 20 GB.")
	if got := quotas(p); got["alice-backup"] != "20 GB" || got["(user)"] != "100 GB" {
		t.Errorf("quotas panel = %v", got)
	}
	if got := b.gwQuota(t, ostor.BucketQuota("alice-backup")); got != 20 {
		t.Errorf("gateway quota of alice-backup = %d GB", got)
	}

	b.choose(t, of, "bucket:alice-backup")
	b.fill(t, gb, "")
	b.click(t, del)
	p = b.confirm(t, "Delete the quota of bucket alice-backup")
	wantOneFlash(t, p, "success", "The quota of bucket alice-backup was deleted.")
	if got := quotas(p); got["alice-backup"] != "unlimited" || got["(user)"] != "100 GB" {
		t.Errorf("quotas panel after Delete = %v", got)
	}
	if got := b.gwQuota(t, ostor.BucketQuota("alice-backup")); got != 0 {
		t.Errorf("gateway quota of alice-backup after Delete = %d GB", got)
	}
}

// 9. Statistics: the list of objects, one object's table, and Delete.
func stepStatistics(t *testing.T, b *browser) {
	p := b.click(t, btnStats)
	if got := p.text(btnStats); got != "List Statistics Objects: shown" {
		t.Errorf("toggle reads %q", got)
	}
	if got := p.text("#staas-panel-stats .title"); !strings.Contains(got, "S3 Statistics List (whole cluster)") {
		t.Fatalf("statistics panel title = %q", got)
	}
	items := p.texts("#staas-panel-stats code.staas-key")
	if len(items) < 2 {
		t.Fatalf("the statistics list shows %v; the demo seeds a day of traffic", items)
	}
	onGateway := b.d.Sim.UsageObjectNames()
	for _, it := range items {
		if !slices.Contains(onGateway, it) {
			t.Errorf("the list shows %q, which the gateway does not have", it)
		}
	}

	obj := items[1]
	p = b.click(t, statsButton(obj, "stats-get"))
	if got := p.text("#staas-panel-object .title"); !strings.Contains(got, "S3 Statistics for Object: "+obj) {
		t.Fatalf("object panel title = %q", got)
	}
	cols := []string{"format version", "service id", "start (UTC)", "period", "bucket", "epoch", "user id", "tag", "put", "get", "list", "other", "uploaded", "downloaded"}
	if got := p.texts("#staas-panel-object th"); !slices.Equal(got, cols) {
		t.Errorf("object columns = %q, want the guide's, in words: %q", got, cols)
	}
	gwObj, err := b.gw.UsageObject(b.gctx, obj)
	if err != nil {
		t.Fatal(err)
	}
	// By default only Alice's rows: the object is the whole cluster's.
	alice := b.gwUser(t, "alice@example.com").ID
	var hers int
	for _, it := range gwObj.Items {
		if it.Key.UserID == alice {
			hers++
		}
	}
	rows := p.cells("#staas-panel-object tr.altrow")
	if len(rows) == 0 || hers == len(gwObj.Items) || (!p.has(".staas-first-of") && len(rows) != hers) {
		t.Errorf("the object panel has %d rows; the object holds %d items, %d of them Alice's", len(rows), len(gwObj.Items), hers)
	}
	for _, r := range rows {
		if len(r) > 6 && r[6] != alice {
			t.Errorf("a row of user %s on Alice's page: %q", r[6], r)
		}
	}
	if got := p.text("#staas-panel-object .staas-object-scope"); !strings.Contains(got, fmt.Sprintf("%d of the object's %d items", hers, len(gwObj.Items))) {
		t.Errorf("the scope line says %q", got)
	}
	// The start is a date, not Unix seconds; the period reads in minutes.
	head := []string{fmt.Sprint(gwObj.FmtVersion), gwObj.ServiceID, views.FormatUnix(gwObj.StartTS), views.FormatSeconds(gwObj.Period)}
	var buckets []string
	for _, r := range rows {
		if len(r) != len(cols) {
			t.Fatalf("object row %q has %d cells, want %d", r, len(r), len(cols))
		}
		if !slices.Equal(r[:4], head) {
			t.Errorf("row starts %q, want the object's header %q", r[:4], head)
		}
		buckets = append(buckets, r[4])
	}
	if !slices.Contains(buckets, "alice-photos") {
		t.Errorf("no row for alice-photos among the buckets %q", buckets)
	}
	p = b.click(t, "#staas-panel-object .staas-object-scope button")
	if n := len(p.cells("#staas-panel-object tr.altrow")); !p.has(".staas-first-of") && n != len(gwObj.Items) {
		t.Errorf("every client's rows: %d, want %d", n, len(gwObj.Items))
	}
	p = b.click(t, "#staas-panel-object .staas-object-scope button")
	if n := len(p.cells("#staas-panel-object tr.altrow")); n != len(rows) {
		t.Errorf("back to Alice's rows: %d, want %d", n, len(rows))
	}

	b.click(t, statsButton(obj, "stats-delete"))
	if q := b.cur.text("#staas-confirm-question"); !strings.Contains(q, "every client") {
		t.Errorf("the delete question %q does not say it affects every client", q)
	}
	p = b.confirm(t, obj)
	wantOneFlash(t, p, "success", "Statistics object "+obj+" deleted.")
	if slices.Contains(p.texts("#staas-panel-stats code.staas-key"), obj) {
		t.Errorf("%s is still listed after Delete", obj)
	}
	if p.has("#staas-panel-object") {
		t.Error("the deleted object's panel is still shown")
	}
	if slices.Contains(b.d.Sim.UsageObjectNames(), obj) {
		t.Errorf("the gateway still has %s", obj)
	}

	p = b.click(t, btnStats)
	if p.has("#staas-panel-stats") {
		t.Error("the statistics list stays after toggling it off")
	}
}

// 9b. Usage history: the demo's collected day shows; 30 and 90 days.
func stepUsageHistory(t *testing.T, b *browser) {
	p := b.click(t, `#staas-links-stats button[value="toggle-usage"]`)
	if got := p.text("#staas-panel-usage .title"); !strings.Contains(got, "S3 Usage History") {
		t.Fatalf("usage panel title = %q", got)
	}
	rows := p.cells("#staas-panel-usage .staas-usage-days tr.altrow")
	traffic := 0
	for _, r := range rows {
		if len(r) == 9 && r[3] != "0 B" {
			traffic++
		}
	}
	if len(rows) != 30 || traffic == 0 || !p.has("#staas-panel-usage svg.staas-chart rect") {
		t.Errorf("usage table: %d rows, %d with uploads, chart %v; the demo collects a day of traffic", len(rows), traffic, p.has("svg.staas-chart"))
	}
	p = b.click(t, `#staas-panel-usage button[value="usage-days"][aria-pressed="false"]`)
	if n := len(p.cells("#staas-panel-usage .staas-usage-days tr.altrow")); n != 90 {
		t.Errorf("after 90 days: %d rows", n)
	}
	if p = b.click(t, `#staas-links-stats button[value="toggle-usage"]`); p.has("#staas-panel-usage") {
		t.Error("the usage history stays after toggling it off")
	}
}

// 10. Disable User (confirmed), then Enable User.
func stepDisableEnable(t *testing.T, b *browser) {
	b.click(t, btnDisableUser)
	p := b.confirm(t, "Disable this client's S3 user?")
	wantOneFlash(t, p, "success", "disabled")
	if got := p.field("#staas-panel-user", "State"); got != "disabled" {
		t.Errorf("State = %q after Disable", got)
	}
	if !p.has(btnEnableUser) || p.has(btnDisableUser) {
		t.Error("after Disable the page should offer Enable User and not Disable User")
	}
	if u := b.gwUser(t, "alice@example.com"); u.Enabled() {
		t.Error("the gateway still has Alice enabled")
	}

	p = b.click(t, btnEnableUser)
	wantOneFlash(t, p, "success", "enabled")
	if got := p.field("#staas-panel-user", "State"); got != "enabled" {
		t.Errorf("State = %q after Enable", got)
	}
	if p.has(btnEnableUser) || !p.has(btnDisableUser) {
		t.Error("after Enable the page should offer Disable User and not Enable User")
	}
	if u := b.gwUser(t, "alice@example.com"); !u.Enabled() {
		t.Error("the gateway still has Alice disabled")
	}
}

// 11. Delete User for a user who still owns buckets is refused at once,
// before any question, naming them and the way forward, with the buckets
// panel open.
func stepDeleteUserRefused(t *testing.T, b *browser) {
	notes := b.cur.notes()
	p := b.click(t, btnDeleteUser)
	if p.has(".staas-confirm") {
		t.Errorf("Delete User asks %q although it would be refused", p.text("#staas-confirm-question"))
	}
	got := p.flashes("danger")
	if len(got) != 1 || !strings.Contains(got[0], "alice-backup") || !strings.Contains(got[0], "alice-photos") || !strings.Contains(got[0], "Empty and delete") {
		t.Errorf("error messages = %q, want one naming alice-backup and alice-photos and the way forward", got)
	}
	if n := len(p.doc.Find(`#staas-panel-buckets button[value="purge-bucket"]`).Nodes); n != 2 {
		t.Errorf("the buckets panel offers %d Empty and delete buttons, want 2", n)
	}
	b.gwUser(t, "alice@example.com") // still there
	if !slices.Equal(p.notes(), notes) {
		t.Errorf("notes changed: %q → %q", notes, p.notes())
	}
	if !p.has("#staas-panel-user") {
		t.Error("the user panel went away although the user stays")
	}
}

// 11b. Carol's user (disabled, as the demo seeds it) owns carol-archive:
// Delete User is refused and points to the buckets; "Empty and delete"
// asks for the bucket's name typed out, refuses a wrong one (nothing
// deleted), empties and deletes the bucket with the right one (audited;
// Carol stays disabled); then Delete User asks and deletes her user and
// notes.
func stepEmptyBucketsThenDeleteUser(t *testing.T, b *browser) {
	for i := range 3 {
		if _, err := b.d.Sim.PutObject("carol-archive", fmt.Sprintf("scan-%d.tif", i), 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	p := b.open(t, "/admin/clientssummary.php?userid=3")
	if got := p.text("h1"); got != "Client Profile: Carol Cole" {
		t.Fatalf("heading = %q", got)
	}
	if len(p.s3Notes()) == 0 {
		t.Fatal("Carol has no S3 notes to start with")
	}
	p = b.click(t, btnDeleteUser)
	if p.has(".staas-confirm") {
		t.Fatal("Delete User asks although Carol owns a bucket")
	}
	if got := p.flashes("danger"); len(got) != 1 || !strings.Contains(got[0], "carol-archive") {
		t.Fatalf("messages = %q, want one naming carol-archive", got)
	}
	purge := `#staas-panel-buckets form:has(input[name="bucket"][value="carol-archive"]) button[value="purge-bucket"]`
	p = b.click(t, purge)
	if q := p.text("#staas-confirm-question"); !strings.Contains(q, "Empty and delete the bucket carol-archive?") {
		t.Fatalf("question = %q", q)
	}
	if got := p.text(`label[for="staas-confirm-name"]`); !strings.Contains(got, "carol-archive") {
		t.Errorf("the field's label = %q, want it to say what to type", got)
	}
	yes := `.staas-confirm form:has(input[name="confirm"][value="yes"]) button`
	before, err := b.d.Sim.Objects("carol-archive")
	if err != nil || len(before) < 3 {
		t.Fatalf("carol-archive holds %v, %v", before, err)
	}
	b.fill(t, "#staas-confirm-name", "carol")
	p = b.click(t, yes)
	if got := p.text("#staas-confirm-name-error"); !strings.Contains(got, "carol-archive") {
		t.Errorf("after a wrong name the confirmation says %q", got)
	}
	if objs, err := b.d.Sim.Objects("carol-archive"); err != nil || !slices.Equal(objs, before) {
		t.Fatalf("carol-archive after a wrong name: %v, %v; want %v", objs, err, before)
	}
	b.fill(t, "#staas-confirm-name", "carol-archive")
	p = b.click(t, yes)
	wantOneFlash(t, p, "success", fmt.Sprintf("Bucket carol-archive emptied (%d objects deleted) and deleted.", len(before)))
	if b.d.Sim.HasBucket("carol-archive") {
		t.Fatal("the gateway still has carol-archive")
	}
	if got := p.text("#staas-panel-buckets tr.altrow"); got != "no buckets" {
		t.Errorf("the buckets panel after the purge = %q", got)
	}
	if b.gwUser(t, "carol@example.com").Enabled() {
		t.Error("Carol's user was left enabled by the purge")
	}
	rows, err := b.d.Store.Audit(b.gctx, store.AuditFilter{ClientID: 3})
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, r := range rows {
		if r.Action == "purge-bucket" {
			results = append(results, r.Result)
		}
	}
	if !slices.Equal(results, []string{"ok", staas.EINVALID}) {
		t.Errorf("purge audit rows, newest first = %q", results)
	}

	b.click(t, btnDeleteUser)
	p = b.confirm(t, "Delete this client's S3 user?")
	wantOneFlash(t, p, "success", "(carol@example.com) deleted.")
	if got := p.s3Notes(); len(got) != 0 {
		t.Errorf("Carol's S3 notes after Delete User: %v", got)
	}
	if _, err := b.gw.User(b.gctx, ostor.ByEmail("carol@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Errorf("gateway lookup of Carol after Delete: %v, want not found", err)
	}
	b.open(t, "/admin/clientssummary.php?userid=1")
}

// 12. Dave has no S3 user: Create User writes one note in the guide's
// format; Delete User (confirmed) removes the user and the note.
func stepCreateDeleteUser(t *testing.T, b *browser) {
	p := b.click(t, `.standin-sidebar a[href="/admin/clientssummary.php?userid=4"]`)
	if got := p.text("h1"); got != "Client Profile: Dave Dunn" {
		t.Fatalf("heading = %q", got)
	}
	if len(p.notes()) != 0 || p.text("#standin-notes .standin-none") != "No notes" {
		t.Fatalf("Dave starts with notes: %q", p.notes())
	}
	if p.has(btnDeleteUser) || !strings.Contains(p.text("#staas-links-user-limits"), "No S3 user yet") {
		t.Error("before Create User the page should offer no user actions and say there is no user")
	}

	p = b.click(t, btnCreateUser)
	u := b.gwUser(t, "dave@example.com")
	if len(u.Keys) != 1 {
		t.Fatalf("the gateway gave Dave %d key pairs, want 1", len(u.Keys))
	}
	k := u.Keys[0]
	wantOneFlash(t, p, "success", "S3 user "+u.ID+" created for dave@example.com")
	if got := p.text("#staas-panel-user .title"); !strings.Contains(got, "S3 Information for User: "+u.ID) {
		t.Errorf("user panel title = %q", got)
	}
	if got := panelKeys(p); !slices.Equal(got, []string{k.AccessKeyID}) {
		t.Errorf("keys in the panel = %v, want %s", got, k.AccessKeyID)
	}
	wantNote := "UserId: " + u.ID + "\nAWSAccessKeyId: " + k.AccessKeyID + "\nAWSSecretAccessKey: " + whmcs.NoteSecretWithheld
	if got := p.notes(); len(got) != 1 || got[0] != wantNote {
		t.Errorf("notes = %q, want exactly [%q]", got, wantNote)
	}
	if p.has(btnCreateUser) || !p.has(btnDeleteUser) {
		t.Error("after Create User the page should offer Delete User and not Create User")
	}

	b.click(t, btnDeleteUser)
	p = b.confirm(t, "Delete this client's S3 user?")
	wantOneFlash(t, p, "success", "S3 user "+u.ID+" (dave@example.com) deleted.")
	if p.has("#staas-panel-user") {
		t.Error("the user panel stays after Delete User")
	}
	if got := p.notes(); len(got) != 0 {
		t.Errorf("notes after Delete User = %q, want none", got)
	}
	if !p.has(btnCreateUser) {
		t.Error("Create User is not offered again")
	}
	if _, err := b.gw.User(b.gctx, ostor.ByEmail("dave@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Errorf("gateway lookup of Dave after Delete: %v, want not found", err)
	}
}

// 13. A client whose name and company hold markup: shown as text, never
// run (the dialog watch fails the step if anything opens a dialog).
func stepHostileClient(t *testing.T, b *browser) {
	c := demo.Clients[4]
	name := squash(c.FirstName + " " + c.LastName)
	link := `.datatable a[href="/admin/clientssummary.php?userid=5"]`

	p := b.open(t, "/")
	if got := p.text(link); got != name {
		t.Errorf("client list shows %q, want the text %q", got, name)
	}
	p = b.click(t, link)
	if got := p.text("h1"); got != "Client Profile: "+name {
		t.Errorf("heading = %q", got)
	}
	if got := p.text(".standin-sidebar li.active a"); got != name {
		t.Errorf("sidebar shows %q", got)
	}
	var details []string
	for _, r := range p.cells("#standin-client tr") {
		details = append(details, strings.Join(r, ": "))
	}
	for _, want := range []string{"Name: " + name, "Company Name: " + c.CompanyName, "Email Address: " + c.Email} {
		if !slices.Contains(details, want) {
			t.Errorf("client details %q lack %q", details, want)
		}
	}
	if n := p.doc.Find("main img, main script, [onerror]").Length(); n > 0 {
		t.Errorf("the client's details became %d elements", n)
	}
	if !p.has(btnCreateUser) {
		t.Error("staas's actions are missing for this client")
	}
}

// 14. A view-only admin sees the change buttons disabled but can still
// toggle panels, and a re-enabled button is refused by staas; an admin
// without client access sees no S3 actions at all.
func stepAdminPermissions(t *testing.T, b *browser) {
	b.open(t, "/admin/clientssummary.php?userid=1")
	keysBefore := accessKeys(b.gwUser(t, "alice@example.com"))

	p := b.switchAdmin(t, "Support Operator (view only)")
	change := map[string]bool{
		views.ActCreateUser: true, views.ActDeleteUser: true, views.ActEnableUser: true, views.ActDisableUser: true,
		views.ActGenerateKey: true, views.ActRevokeKey: true, views.ActRevealSecret: true,
		views.ActUserLimitsSet: true, views.ActUserLimitsDelete: true,
		views.ActBucketLimitsSet: true, views.ActBucketLimitsDelete: true,
		views.ActQuotaSet: true, views.ActQuotaDelete: true, views.ActStatsDelete: true, views.ActPurgeBucket: true,
	}
	checkButtons := func(p *page) {
		t.Helper()
		disabled := 0
		p.doc.Find(`#standin-other-actions button[name="action"], #standin-addons button[name="action"]`).Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr("value")
			_, isToggle := s.Attr("aria-pressed")
			// "Revoke Access Key" opens the key list and "Empty and
			// delete buckets" the buckets, but both are changes.
			isChange := change[v] || ((v == views.ActToggleUser || v == views.ActToggleBuckets) && !isToggle)
			_, off := s.Attr("disabled")
			if isChange != off {
				t.Errorf("button %q (%s): disabled=%v, want %v", squash(s.Text()), v, off, isChange)
			}
			if off {
				disabled++
			}
		})
		if disabled < 10 {
			t.Errorf("only %d change buttons are disabled", disabled)
		}
	}
	checkButtons(p)
	if !strings.Contains(p.text("#staas-links-user .help-block"), "Perform Server Operations") {
		t.Error("the page does not say which permission changes need")
	}

	// Panels are per admin: the support operator's start hidden.
	if got := p.text(btnQueryUser); got != "Query User: hidden" {
		t.Errorf("toggle reads %q for the support operator", got)
	}
	p = b.click(t, btnQueryUser)
	if !p.has("#staas-panel-user") {
		t.Fatal("Query User shows nothing for the support operator")
	}
	p = b.click(t, btnStats)
	if len(p.texts("#staas-panel-stats code.staas-key")) == 0 {
		t.Error("List Statistics Objects shows nothing for the support operator")
	}
	checkButtons(p)

	// A button enabled by hand (or a forged form) is still refused by staas.
	b.do(t, "enable Generate Access Key by hand", chromedp.RemoveAttribute(chromedp.CSS(btnGenerateKey), "disabled"))
	p = b.click(t, btnGenerateKey)
	wantOneFlash(t, p, "danger", "Perform Server Operations")
	if got := accessKeys(b.gwUser(t, "alice@example.com")); !slices.Equal(got, keysBefore) {
		t.Errorf("the support operator changed Alice's keys: %v → %v", keysBefore, got)
	}

	p = b.switchAdmin(t, "Sales Operator (no client access)")
	if n := p.doc.Find(`button[name="action"], .staas`).Length(); n > 0 {
		t.Errorf("the sales operator sees %d S3 controls", n)
	}
	if got := p.text("#standin-other-actions"); got != "Other Actions" {
		t.Errorf("Other Actions holds %q for the sales operator", got)
	}
	if got := p.text("#standin-addons"); got != "" {
		t.Errorf("the summary shows %q for the sales operator", got)
	}

	p = b.switchAdmin(t, "Full Administrator")
	if _, off := p.attr(btnGenerateKey, "disabled"); off || !p.has(btnGenerateKey) {
		t.Error("the full administrator's Generate Access Key is not enabled again")
	}
}

// 15. A state change without the session's CSRF token is refused with 403
// and changes nothing: a forged form in the browser, and Go's client
// carrying the browser's session cookie.
func stepCSRF(t *testing.T, b *browser) {
	p := b.open(t, "/admin/clientssummary.php?userid=1")
	token, _ := p.attr(`#staas-links-user input[name="token"]`, "value")
	if token == "" {
		t.Fatal("no CSRF token in the page's forms")
	}
	if !b.gwUser(t, "alice@example.com").Enabled() {
		t.Fatal("Alice must start enabled")
	}

	b.do(t, "inject a form without the token", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.createElement("form");
		f.method = "post";
		f.action = "/admin/staas-action.php";
		for (const [k, v] of [["userid", "1"], ["action", "disable-user"], ["confirm", "yes"]]) {
			const i = document.createElement("input");
			i.type = "hidden"; i.name = k; i.value = v;
			f.appendChild(i);
		}
		const s = document.createElement("button");
		s.type = "submit"; s.id = "forged-submit"; s.textContent = "forged";
		f.appendChild(s);
		document.body.prepend(f);
	})()`))
	b.read(t)
	status, p := b.clickStatus(t, "#forged-submit")
	if status != http.StatusForbidden {
		t.Errorf("a form without the token got HTTP %d, want 403", status)
	}
	if got := p.text("body"); !strings.Contains(got, "Invalid CSRF Protection Token") {
		t.Errorf("the refusal reads %q", got)
	}

	cookies, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cookies.Cookies) == 0 {
		t.Fatal("the browser holds no session cookie")
	}
	client := &http.Client{
		Timeout:       stepTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	post := func(form url.Values) int {
		t.Helper()
		req, err := http.NewRequestWithContext(b.gctx, http.MethodPost, b.base+"/admin/staas-action.php", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies.Cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	forged := url.Values{"userid": {"1"}, "action": {"disable-user"}, "confirm": {"yes"}}
	if got := post(forged); got != http.StatusForbidden {
		t.Errorf("the session cookie without the token got HTTP %d, want 403", got)
	}
	forged.Set("token", strings.Repeat("0", len(token)))
	if got := post(forged); got != http.StatusForbidden {
		t.Errorf("the session cookie with a wrong token got HTTP %d, want 403", got)
	}
	// The same session with its token gets through: the refusals were
	// about the token, not the cookie.
	if got := post(url.Values{"userid": {"1"}, "action": {"cancel"}, "token": {token}}); got != http.StatusSeeOther {
		t.Errorf("the session's own token got HTTP %d, want 303", got)
	}

	if !b.gwUser(t, "alice@example.com").Enabled() {
		t.Error("a forged request disabled Alice")
	}
	p = b.open(t, "/admin/clientssummary.php?userid=1")
	wantNoFlash(t, p)
	if p.has(".staas-confirm") {
		t.Error("a forged request left a confirmation waiting")
	}
	if got := p.field("#staas-panel-user", "State"); got != "enabled" {
		t.Errorf("State = %q after the forged requests", got)
	}
}

// 16. The audit log names each admin as WHMCS names them, with their id:
// the stand-in sends the name as the PHP shim does.
func stepAuditNamesTheAdmin(t *testing.T, b *browser) {
	b.open(t, "/admin/clientssummary.php?userid=1")
	p := b.click(t, `#staas-links-user button[value="toggle-audit"]`)
	actors := p.texts("#staas-panel-audit .staas-actor")
	if len(actors) == 0 {
		t.Fatal("the audit log shows no entries for Alice")
	}
	for _, want := range []string{"Full Administrator (admin 1)", "Support Operator (view only) (admin 2)"} {
		if !slices.Contains(actors, want) {
			t.Errorf("no entry by %q among %q", want, actors)
		}
	}
	// A refused form's entry names the wrong field and its problem (step
	// 06 submits a limit that is not a number).
	var refused []string
	for _, r := range p.cells("#staas-panel-audit tr.altrow") {
		if len(r) == 6 && r[4] == staas.EINVALID {
			refused = append(refused, r[5])
		}
	}
	if !slices.ContainsFunc(refused, func(m string) bool {
		return strings.Contains(m, "Ops limit: ") || strings.Contains(m, "Bandwidth limit: ")
	}) {
		t.Errorf("no refused form's entry names its field: %q", refused)
	}
}

// 17. A panel opened while the gateway does not answer: the page still has
// the panel, with the reason in it, so the redirect lands on it (in view,
// as mustShowResult checks) instead of at the top of the page.
func stepFailedPanel(t *testing.T, b *browser) {
	p := b.open(t, "/admin/clientssummary.php?userid=1")
	if p.has("#staas-panel-buckets") {
		b.click(t, hideButton("buckets"))
	}
	b.d.Sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	defer b.d.Sim.SetFaults(ostorsim.Faults{})
	p = b.click(t, `#staas-links-user button[value="toggle-buckets"]`)
	if u, _ := url.Parse(p.url); u == nil || u.Fragment != "staas-panel-buckets" {
		t.Fatalf("opening the buckets with the gateway down went to %s, want #staas-panel-buckets", p.url)
	}
	msg := p.text("#staas-panel-buckets .staas-panel-error")
	if msg == "" || !strings.HasSuffix(msg, ".") {
		t.Fatalf("the buckets panel says %q, want the reason as a sentence", p.text("#staas-panel-buckets"))
	}
	if p.has("#staas-result .alert-danger") {
		t.Errorf("the reason shows twice: %q", p.text("#staas-result"))
	}
	b.d.Sim.SetFaults(ostorsim.Faults{})
	p = b.click(t, hideButton("buckets"))
	if p.has("#staas-panel-buckets") {
		t.Error("the failed panel's × does not hide it")
	}
}
