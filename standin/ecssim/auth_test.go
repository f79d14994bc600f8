package ecssim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLoginAnswersTokenHeadersAndUser(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
	req.SetBasicAuth("root", "ChangeMe")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-SDS-AUTH-TOKEN") == "" ||
		resp.Header.Get("X-SDS-AUTH-MAX-AGE") != "28800" || resp.Header.Get("X-SDS-AUTH-USERNAME") != "root" {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Header)
	}
	a := e.do("GET", "/user/whoami", "xml", "")
	if a.status != 200 || !strings.Contains(a.body, "<common_name>root</common_name>") {
		t.Errorf("whoami: %d %s", a.status, a.body)
	}
	if e.s.Logins() != 2 {
		t.Errorf("logins %d, want 2", e.s.Logins())
	}
	e.tok = ""
	req, _ = http.NewRequest("GET", e.srv.URL+"/login", nil)
	req.SetBasicAuth("root", "ChangeMe")
	resp, err = http.DefaultClient.Do(req)
	mustOK(t, err)
	b := make([]byte, 512)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if !strings.Contains(string(b[:n]), "<loggedIn><user>root</user></loggedIn>") {
		t.Errorf("XML login body %q", b[:n])
	}
}

func TestLoginWrongPasswordIs401Code4000(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
	req.SetBasicAuth("root", "wrong")
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	b := make([]byte, 1024)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b[:n]), "<code>4000</code>") {
		t.Errorf("wrong password: %d %s", resp.StatusCode, b[:n])
	}
}

func TestTokenCapRefusesTheNextLogin(t *testing.T) {
	e := newEnv(t, Options{TokenCap: 3})
	e.login()
	e.login()
	req, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
	req.SetBasicAuth("root", "ChangeMe")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	b := make([]byte, 1024)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b[:n]), "Max number of tokens exceeded for this user") || !strings.Contains(string(b[:n]), `"code":4000,`) {
		t.Errorf("fourth token: %d %s", resp.StatusCode, b[:n])
	}
	// Logging out frees a place.
	if a := e.do("GET", "/logout", "json", ""); a.status != 200 {
		t.Fatalf("logout: %d", a.status)
	}
	if a := e.do("GET", "/user/whoami", "json", ""); a.status != 401 {
		t.Errorf("token after logout: %d", a.status)
	}
	e.tok = e.login()
	if e.s.LiveTokens() != 3 {
		t.Errorf("live tokens %d", e.s.LiveTokens())
	}
	if a := e.do("GET", "/logout?force=true", "json", ""); a.status != 200 || e.s.LiveTokens() != 0 {
		t.Errorf("force logout: %d, %d live", a.status, e.s.LiveTokens())
	}
}

func TestDefaultTokenCapIs100(t *testing.T) {
	e := newEnv(t, Options{})
	for i := 1; i < 100; i++ {
		e.login()
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
	req.SetBasicAuth("root", "ChangeMe")
	resp, err := http.DefaultClient.Do(req)
	mustOK(t, err)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("101st token: %d", resp.StatusCode)
	}
}

func TestTokenExpiresAfterMaxAge(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.Advance(8*time.Hour - time.Second)
	if a := e.do("GET", "/user/whoami", "json", ""); a.status != 200 {
		t.Fatalf("before expiry: %d", a.status)
	}
	e.s.Advance(time.Second)
	e.errCode("GET", "/user/whoami", "", 401, "4000")
	e.tok = "made-up"
	e.errCode("GET", "/object/namespaces", "", 401, "4000")
}
