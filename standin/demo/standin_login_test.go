package demo

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"staas"
	"staas/standin/pages"
)

type noClients struct{}

func (noClients) Clients(context.Context) ([]staas.Client, error) { return nil, nil }
func (noClients) Client(context.Context, int64) (*staas.Client, error) {
	return nil, staas.Errorf(staas.ENOTFOUND, "no client")
}
func (noClients) Notes(context.Context, int64) ([]pages.Note, error) { return nil, nil }

// Switching admins returns to the page the admin was on, and only to a
// path of the stand-in: no "back" a browser posts leads elsewhere —
// browsers read "/\evil" as "//evil" and drop tabs and newlines, so
// "/\evil.example/" and "/\t/evil.example/" left the site.
func TestAdminSwitchReturnsOnlyToALocalPath(t *testing.T) {
	s, err := NewStandIn("http://127.0.0.1:1", []byte("secret"), noClients{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no token on the index page:\n%s", page)
	}
	for back, want := range map[string]string{
		"/admin/clientssummary.php?userid=7": "/admin/clientssummary.php?userid=7",
		"/":                                  "/",
		"https://evil.example/":              "/",
		"//evil.example/":                    "/",
		`/\evil.example/`:                    "/",
		`/\/evil.example/`:                   "/",
		"/\t/evil.example/":                  "/",
		"/\n/evil.example/":                  "/",
		"/\r\n/evil.example/":                "/",
		"/%09/evil.example/":                 "/%09/evil.example/", // a path: the browser does not decode it into the authority
		"admin/clientssummary.php":           "/",
		"":                                   "/",
	} {
		form := url.Values{"token": {string(m[1])}, "admin": {"2"}, "back": {back}}
		resp, err := c.PostForm(srv.URL+"/admin/login.php", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || loc != want {
			t.Errorf("back %q: %d to %q, want 303 to %q", back, resp.StatusCode, loc, want)
		}
		if strings.ContainsAny(loc, "\\\t\r\n") || strings.HasPrefix(loc, "//") {
			t.Errorf("back %q: redirected to %q", back, loc)
		}
	}
}
