package main

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

	staasusage "staas/internal/usage"
	"staas/standin/demo"
)

// TestDemo_Resellers: the demo's two resellers log in to the portal,
// see their summary, download their CSV with only their clients, log
// out, and get 404 for the other reseller's client page.
func TestDemo_Resellers(t *testing.T) {
	ctx := context.Background()
	d, err := demo.Start(ctx, demoOptions("127.0.0.1:0", t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	logins, err := demo.SeedResellers(ctx, d.Store)
	if err != nil || len(logins) != 2 || logins[0].Clients == logins[1].Clients {
		t.Fatalf("SeedResellers: %v %v", logins, err)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	// The cookie is Secure; the demo is plain HTTP on loopback, so the
	// test carries it by hand as a browser does for 127.0.0.1.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, l := range logins {
		other := logins[1-i]
		var cookie *http.Cookie
		do := func(method, path string, form url.Values) (*http.Response, string) {
			t.Helper()
			var body io.Reader
			if form != nil {
				body = strings.NewReader(form.Encode())
			}
			req, _ := http.NewRequest(method, d.StaasURL+path, body)
			if form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if cookie != nil {
				req.AddCookie(cookie)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			for _, c := range resp.Cookies() {
				if c.Name == "staas_reseller" {
					cookie = c
				}
			}
			return resp, string(b)
		}
		_, page := do("GET", "/reseller/login", nil)
		m := csrf.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("login page: %s", page)
		}
		if resp, body := do("POST", "/reseller/login", url.Values{"csrf": {m[1]}, "email": {l.Email}, "password": {l.Password}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s login: %d %s", l.Email, resp.StatusCode, body)
		}
		resp, sum := do("GET", "/reseller/", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(sum, "Your clients") || !strings.Contains(sum, l.Name) {
			t.Fatalf("%s summary: %d %s", l.Email, resp.StatusCode, sum)
		}
		resp, body := do("GET", "/reseller/export.csv?period=this", nil)
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if resp.StatusCode != http.StatusOK || err != nil || len(recs) == 0 || recs[0][0] != "client_id" {
			t.Fatalf("%s CSV: %d %v %s", l.Email, resp.StatusCode, err, body)
		}
		mine := strings.Split(strings.TrimPrefix(l.Clients, "ids:"), ",")
		for _, r := range recs[1:] {
			if !strings.Contains(","+strings.Join(mine, ",")+",", ","+r[0]+",") {
				t.Errorf("%s CSV has client %s", l.Email, r[0])
			}
		}
		// The demo's clients with S3 users (the admin panel's, client
		// level): Alice and Bob for Acme, Carol for Beta, each row with
		// the storage the usage reader (the admin panel's and billing's
		// source) has for that user at the same sampling.
		wantRows := map[int]int{0: 2, 1: 1}[i]
		if len(recs)-1 != wantRows {
			t.Errorf("%s CSV: %d rows, want %d: %v", l.Email, len(recs)-1, wantRows, recs)
		}
		for try := 0; try < 2; try++ {
			stale := false
			for _, r := range recs[1:] {
				id, _ := strconv.ParseInt(r[0], 10, 64)
				u, err := d.Store.S3User(ctx, id, 0)
				if err != nil {
					t.Fatalf("client %d: %v", id, err)
				}
				stored, at, err := (&staasusage.Reader{Store: d.Store}).CurrentStorage(ctx, u.UserID)
				if err != nil {
					t.Fatal(err)
				}
				if at.Format(time.RFC3339) != r[11] { // sampled again in between
					stale = true
					continue
				}
				if r[2] != "0" || r[4] != strconv.FormatUint(stored, 10) || stored == 0 {
					t.Errorf("%s CSV row %v: want client-level (service 0) with %d stored bytes", l.Email, r, stored)
				}
			}
			if !stale {
				break
			}
			_, body = do("GET", "/reseller/export.csv?period=this", nil)
			recs, _ = csv.NewReader(strings.NewReader(body)).ReadAll()
		}
		if i == 0 && !strings.Contains(sum, "Archer Photography") && len(recs) > 1 {
			t.Errorf("%s summary lacks client 1's name:\n%s", l.Email, sum)
		}
		theirs := strings.Split(strings.TrimPrefix(other.Clients, "ids:"), ",")[0]
		if resp, body := do("GET", "/reseller/clients/"+theirs, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s, the other's client %s: %d %s", l.Email, theirs, resp.StatusCode, body)
		}
		if resp, _ := do("GET", "/reseller/clients/"+mine[0], nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s, own client %s: %d", l.Email, mine[0], resp.StatusCode)
		}
		_, sum = do("GET", "/reseller/", nil)
		m = csrf.FindStringSubmatch(sum)
		if resp, _ := do("POST", "/reseller/logout", url.Values{"csrf": {m[1]}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s logout: %d", l.Email, resp.StatusCode)
		}
		if resp, _ := do("GET", "/reseller/", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/reseller/login" {
			t.Errorf("%s after logout: %d", l.Email, resp.StatusCode)
		}
	}
}
