package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"staas/standin/demo"
)

// The demo runs the product serve runs over two simulated ostor clusters
// and one simulated Dell ECS cluster (ecs-1), and /readyz reports all.
func TestDemo_TwoClusters(t *testing.T) {
	d, err := demo.Start(context.Background(), demoOptions("127.0.0.1:0", t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if len(d.Sims) != 2 || d.Sims["default"] != d.Sim || d.Sims["eu-2"] == nil {
		t.Fatalf("simulators %v", d.Sims)
	}
	if d.ECS == nil {
		t.Fatal("no ECS simulator")
	}
	code, body := getJSON(t, d.StaasURL+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	if code != 200 || checks["ostor"] != "ok" || checks["ostor:eu-2"] != "ok" || checks["ecs:ecs-1"] != "ok" || checks["store"] != "ok" {
		t.Fatalf("/readyz = %d %v", code, body)
	}
}

// In the demo's panel, an admin creates Dave's S3 user on the ECS
// cluster: the cluster select offers ecs-1, and the user is made there.
func TestDemo_CreateUserOnECS(t *testing.T) {
	ctx := context.Background()
	d, err := demo.Start(ctx, demoOptions("127.0.0.1:0", t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page := func(u string) string {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	base := strings.TrimSuffix(d.URL, "/")
	summary := page(base + "/admin/clientssummary.php?userid=4")
	if !strings.Contains(summary, `value="ecs-1"`) {
		t.Fatalf("the cluster select does not offer ecs-1:\n%s", summary)
	}
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(summary)
	if m == nil {
		t.Fatal("no token on the summary page")
	}
	resp, err := c.PostForm(base+"/admin/staas-action.php", url.Values{"token": {m[1]}, "userid": {"4"}, "action": {"create-user"}, "cluster": {"ecs-1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	users, err := d.Store.S3UsersOfClient(ctx, 4)
	if err != nil || len(users) != 1 || users[0].Cluster != "ecs-1" || users[0].Email != "dave@example.com" {
		t.Fatalf("Dave's S3 users: %+v, %v", users, err)
	}

	// Beta's reseller portal: Carol on ostor has requests by class; ECS
	// has no statistics objects, so Dave's row says they are not
	// reported, rather than showing zeros.
	logins, err := demo.SeedResellers(ctx, d.Store)
	if err != nil {
		t.Fatal(err)
	}
	var cookie *http.Cookie
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	portal := func(method, path string, form url.Values) string {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, d.StaasURL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != nil { // Secure: carried by hand over loopback HTTP
			req.AddCookie(cookie)
		}
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "staas_reseller" {
				cookie = ck
			}
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(portal("GET", "/reseller/login", nil))
	portal("POST", "/reseller/login", url.Values{"csrf": {csrf[1]}, "email": {logins[1].Email}, "password": {logins[1].Password}})
	rows := map[string]string{}
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(portal("GET", "/reseller/", nil), -1) {
		for _, who := range []string{"Cole Archives", "Dave Dunn"} {
			if _, seen := rows[who]; !seen && strings.Contains(tr[1], who) { // the summary's row, not the top buckets'
				rows[who] = tr[1]
			}
		}
	}
	if !strings.Contains(rows["Cole Archives"], "GET ") || !strings.Contains(rows["Dave Dunn"], "not reported by this cluster") {
		t.Errorf("Beta's rows: Carol %q, Dave %q", rows["Cole Archives"], rows["Dave Dunn"])
	}
}
