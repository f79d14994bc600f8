package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"staas/standin/demo"
)

// TestBrowserReseller drives the demo's reseller portal in headless
// Chromium: a reseller logs in with the form, sees its summary (its
// clients' admin-panel users with their storage, the top buckets),
// downloads its CSVs (only its own clients), opens a client's page (the
// chart, the buckets), gets 404 for the other reseller's client page, and
// logs out. The summary's and the client page's screenshots are kept in
// the test's artifact folder (go test -artifacts).
func TestBrowserReseller(t *testing.T) {
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	d, err := demo.Start(ctx, demoOptions("127.0.0.1:0", t.TempDir(), nil))
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	defer d.Close()
	logins, err := demo.SeedResellers(ctx, d.Store)
	if err != nil {
		t.Fatal(err)
	}
	me, other := logins[0], logins[1]
	b, stop := startBrowser(t, ctx, chromium)
	defer stop()
	b.base = d.StaasURL

	b.open(t, "/reseller/login")
	b.fill(t, `input[name="email"]`, me.Email)
	b.fill(t, `input[name="password"]`, me.Password)
	sum := b.click(t, `form[action="/reseller/login"] button[type="submit"]`)
	if !strings.HasSuffix(sum.url, "/reseller/") || !strings.Contains(sum.text("h1"), "Your clients") || !strings.Contains(sum.text("body"), me.Name) {
		t.Fatalf("after login: %s %s", sum.url, sum.text("body"))
	}
	if !sum.has(`label[for="period"]`) || !sum.has(`select#period option[value="last"]`) || !sum.has(`a[href="/reseller/export.csv?period=this"]`) {
		t.Errorf("the summary lacks its period picker or CSV link: %s", sum.text("body"))
	}
	// The demo's clients have client-level users (the admin panel's):
	// Acme's clients 1 and 2 each have a row, with the storage the
	// simulator's seeded buckets hold, and the top buckets list them.
	rows := sum.cells("table.summary tbody tr")
	if len(rows) != 2 {
		t.Fatalf("summary rows %q, want Alice's and Bob's", rowsAsText(rows))
	}
	for _, r := range rows {
		if r[1] != "client-level" || r[4] == "0 B" {
			t.Errorf("summary row %q: want a client-level user with storage", r)
		}
	}
	if top := sum.cells("table.top-buckets tbody tr"); len(top) == 0 || len(top[0]) != 5 {
		t.Errorf("top buckets %q", rowsAsText(top))
	}
	shot := func(name string) {
		ctxShot, cancelShot := context.WithTimeout(b.ctx, stepTimeout)
		defer cancelShot()
		if png, err := chromedp.Run(ctxShot, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(t.ArtifactDir(), name), png, 0o644)
		}
	}
	shot("reseller-summary.png")

	// The client page: the chart, the buckets, their CSV.
	cl := b.click(t, `table.summary tbody tr a[href="/reseller/clients/1"]`)
	if !strings.HasSuffix(cl.url, "/reseller/clients/1") || !cl.has("svg.staas-chart") || !cl.has("table.buckets tbody tr") {
		t.Fatalf("client page %s: %s", cl.url, cl.text("body"))
	}
	if !strings.Contains(cl.text("svg.staas-chart"), "Storage per day") || !cl.has(`a[href="/reseller/clients/1?days=90"]`) {
		t.Errorf("the chart lacks its labels, or the page its 90-day link: %s", cl.text("body"))
	}
	shot("reseller-client.png")
	cl = b.click(t, `a[href="/reseller/clients/1?days=90"]`)
	if !strings.Contains(cl.text(".links strong"), "last 90 days") || !cl.has("svg.staas-chart") {
		t.Errorf("90 days: %s", cl.text("body"))
	}
	buckets := b.eval(t, `(function(){var x=new XMLHttpRequest();x.open("GET","/reseller/clients/1/buckets.csv?days=90",false);x.send();return x.status+"\n"+x.responseText})()`)
	if !strings.HasPrefix(buckets, "200\nclient_id,service_id,plan,bucket,") || strings.Count(buckets, "\n1,0,") == 0 {
		t.Errorf("buckets CSV: %q", buckets)
	}
	topCSV := b.eval(t, `(function(){var x=new XMLHttpRequest();x.open("GET","/reseller/top-buckets.csv",false);x.send();return x.status+"\n"+x.responseText})()`)
	if !strings.HasPrefix(topCSV, "200\nrank,bucket,client_id,") {
		t.Errorf("top buckets CSV: %q", topCSV)
	}

	csv := b.eval(t, `(function(){var x=new XMLHttpRequest();x.open("GET","/reseller/export.csv?period=this",false);x.send();return x.status+"\n"+x.responseText})()`)
	if !strings.HasPrefix(csv, "200\nclient_id,") {
		t.Fatalf("CSV: %q", csv)
	}
	theirs := strings.Split(strings.TrimPrefix(other.Clients, "ids:"), ",")
	for _, line := range strings.Split(csv, "\n")[2:] {
		for _, c := range theirs {
			if strings.HasPrefix(line, c+",") {
				t.Errorf("the CSV has the other reseller's client %s: %q", c, line)
			}
		}
	}

	ctxNav, cancelNav := context.WithTimeout(b.ctx, stepTimeout)
	resp, err := chromedp.Run(ctxNav, chromedp.NavigateResponse(b.base+"/reseller/clients/"+theirs[0]))
	cancelNav()
	if err != nil || resp.Status != http.StatusNotFound {
		t.Fatalf("the other reseller's client %s: %v %v", theirs[0], resp, err)
	}

	b.open(t, "/reseller/")
	out := b.click(t, `form[action="/reseller/logout"] button[type="submit"]`)
	if !strings.HasSuffix(out.url, "/reseller/login") {
		t.Fatalf("after logout: %s", out.url)
	}
	ctxNav, cancelNav = context.WithTimeout(b.ctx, stepTimeout)
	if _, err := chromedp.Run(ctxNav, chromedp.NavigateResponse(b.base+"/reseller/")); err != nil {
		t.Fatal(err)
	}
	cancelNav()
	if p := b.read(t); !strings.HasSuffix(p.url, "/reseller/login") {
		t.Errorf("the summary after logout: %s", p.url)
	}
	b.checkNoDialogs(t)
}
