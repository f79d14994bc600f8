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
// Chromium: a reseller logs in with the form, sees its summary, downloads
// its CSV (only its own clients), gets 404 for the other reseller's
// client page, and logs out. The summary's screenshot is kept in the
// test's artifact folder (go test -artifacts).
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
	ctxShot, cancelShot := context.WithTimeout(b.ctx, stepTimeout)
	if png, err := chromedp.Run(ctxShot, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(t.ArtifactDir(), "reseller-summary.png"), png, 0o644)
	}
	cancelShot()

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
