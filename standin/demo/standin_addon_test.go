package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"staas/standin/pages"
	"staas/whmcsbridge"
)

// The stand-in's staas resellers page does what WHMCS and the shim do:
// only the role with the addon's access reaches it, a POST needs the
// session's token, and staas gets the permission, both tokens and only the
// action's own fields.
func TestAddonPageForwardsAsTheShimDoes(t *testing.T) {
	var mu sync.Mutex
	var got []whmcsbridge.ResellerRequest
	staasSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req whmcsbridge.ResellerRequest
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != whmcsbridge.PathResellers || r.Header.Get(whmcsbridge.HeaderSignature) == "" || json.Unmarshal(body, &req) != nil {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(whmcsbridge.ResellerResponse{Result: whmcsbridge.Result{Result: "success"}, HTML: `<p id="from-staas">the page</p>`})
	}))
	defer staasSrv.Close()
	s, err := NewStandIn(staasSrv.URL, []byte("secret"), noClients{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// calls is what staas was asked so far (read under the lock the
	// handler writes under).
	calls := func() []whmcsbridge.ResellerRequest {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
	get := func() (int, string) {
		resp, err := c.Get(srv.URL + pages.ResellersURL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path string, form url.Values) int {
		resp, err := c.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	status, page := get()
	if status != 200 || !strings.Contains(page, `<p id="from-staas">the page</p>`) {
		t.Fatalf("page: %d\n%s", status, page)
	}
	token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	if got := calls(); len(got) != 1 || got[0].Action != "" || got[0].Token != token || !slices.Contains(got[0].Admin.Permissions, whmcsbridge.PermManageResellers) {
		t.Fatalf("the page asked staas %+v", got)
	}
	if st := post(pages.ResellersURL, url.Values{"action": {"disable"}, "id": {"1"}}); st != http.StatusForbidden || len(calls()) != 1 {
		t.Fatalf("a POST without the token: %d, %d calls", st, len(calls()))
	}
	if st := post(pages.ResellersURL, url.Values{"token": {token}, "action": {"disable"}, "id": {"1"}, "password": {"not this action's"}}); st != 200 || len(calls()) != 2 {
		t.Fatalf("disable: %d, %d calls", st, len(calls()))
	}
	if r := calls()[1]; r.Action != "disable" || r.FormToken != token || len(r.Params) != 1 || r.Params["id"] != "1" {
		t.Fatalf("disable sent %+v", r)
	}
	// The support operator's role has no access to the addon: WHMCS
	// refuses, staas is not asked.
	if st := post(pages.LoginPath, url.Values{"token": {token}, "admin": {"2"}, "back": {"/"}}); st != http.StatusSeeOther {
		t.Fatalf("switch: %d", st)
	}
	if status, page := get(); status != http.StatusForbidden || !strings.Contains(page, "Access Denied") || len(calls()) != 2 {
		t.Fatalf("support operator: %d, %d calls\n%s", status, len(calls()), page)
	}
}
