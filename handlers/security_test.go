package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"staas/handlers"
	"staas/internal/metrics"
	"staas/standin/testworld"
)

// A page number near the int range used to overflow the users list's
// offset and panic; now it shows the last page.
func TestUsersPage_HugePageShowsLastPage(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	for _, page := range []string{strconv.Itoa(math.MaxInt), strconv.Itoa(math.MaxInt / 25), "1000000"} {
		status, body := a.act(fullAdmin, "users-page", map[string]string{"page": page})
		if status != http.StatusOK || body["result"] != "success" {
			t.Fatalf("page %s: %d %v", page, status, body)
		}
		doc := a.panels(fullAdmin)
		if text := doc.Text(); !strings.Contains(text, "showing 1–2 of 2") {
			t.Errorf("page %s: the users panel does not show the last page: %q", page, text)
		}
	}
}

// panickyPanels is a PanelStore whose reads panic, as a bug would.
type panickyPanels struct{ handlers.PanelStore }

func (panickyPanels) Panels(context.Context, int64, int64) (map[string]string, error) {
	panic("boom: index out of range")
}

// A panicking handler answers with the shim's JSON envelope and a 500,
// and the log keeps the panic; before, net/http dropped the connection.
func TestRecover_PanicAnswersWithEnvelope(t *testing.T) {
	var logs syncBuffer
	a := newAppWith(t, func(_ *testworld.World, d *handlers.Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		d.Panels = panickyPanels{d.Panels}
	})
	status, body := a.call("/shim/v1/admin/links", pageRequest(fullAdmin))
	if status != http.StatusInternalServerError || body["result"] != "error" || body["code"] != "internal" {
		t.Fatalf("panic answered %d %v, want 500 with the error envelope", status, body)
	}
	if msg, _ := body["message"].(string); strings.Contains(msg, "boom") {
		t.Errorf("the panic's text reached the caller: %q", msg)
	}
	out := logs.String()
	if !strings.Contains(out, "handler panicked") || !strings.Contains(out, "boom") {
		t.Errorf("the panic is not in the log:\n%s", out)
	}
	if !strings.Contains(out, "status=500") {
		t.Errorf("the request line does not record the 500:\n%s", out)
	}
}

// A request whose signature headers cannot be the shim's is refused
// before staas reads its body: here the body never comes, and the 401
// still arrives at once. Before, staas waited for the body first.
func TestShimAuth_RefusesBadHeadersBeforeTheBody(t *testing.T) {
	a := newApp(t)
	now := time.Now().Unix()
	cases := map[string]string{
		"no headers":       "",
		"old timestamp":    fmt.Sprintf("X-Staas-Timestamp: %d\r\nX-Staas-Nonce: 0123456789abcdef0123\r\nX-Staas-Signature: %s\r\n", now-3600, strings.Repeat("a", 64)),
		"malformed nonce":  fmt.Sprintf("X-Staas-Timestamp: %d\r\nX-Staas-Nonce: short\r\nX-Staas-Signature: %s\r\n", now, strings.Repeat("a", 64)),
		"upper-case sig":   fmt.Sprintf("X-Staas-Timestamp: %d\r\nX-Staas-Nonce: 0123456789abcdef0123\r\nX-Staas-Signature: %s\r\n", now, strings.Repeat("A", 64)),
		"short signature":  fmt.Sprintf("X-Staas-Timestamp: %d\r\nX-Staas-Nonce: 0123456789abcdef0123\r\nX-Staas-Signature: abc\r\n", now),
		"repeated nonce h": fmt.Sprintf("X-Staas-Timestamp: %d\r\nX-Staas-Nonce: 0123456789abcdef0123\r\nX-Staas-Nonce: 0123456789abcdef0124\r\nX-Staas-Signature: %s\r\n", now, strings.Repeat("a", 64)),
	}
	for name, headers := range cases {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(a.srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /shim/v1/admin/links HTTP/1.1\r\nHost: staas\r\nContent-Type: application/json\r\nContent-Length: 500\r\n%s\r\n{", headers)
			_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer while the body is pending: %v", err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != http.StatusUnauthorized || body["result"] != "error" {
				t.Fatalf("answer %d %v, want 401 with the envelope", resp.StatusCode, body)
			}
		})
	}
}

// The request log names the connection's address, whatever
// X-Forwarded-For or X-Real-IP claim, unless the connection comes from a
// trusted proxy (STAAS_TRUSTED_PROXIES).
func TestRequestLog_ClientAddress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted string
		want    string
	}{
		{"no trusted proxy", "", "remote=127.0.0.1\n"},
		{"another network trusted", "10.0.0.0/8", "remote=127.0.0.1\n"},
		{"the proxy trusted", "127.0.0.0/8", "remote=203.0.113.9\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			a := newAppWith(t, func(_ *testworld.World, d *handlers.Deps) {
				d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
				if tc.trusted != "" {
					_, n, _ := net.ParseCIDR(tc.trusted)
					d.TrustedProxies = []*net.IPNet{n}
				}
			})
			req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/healthz", nil)
			req.Header.Set("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
			req.Header.Set("X-Real-IP", "192.0.2.1")
			a.do(req)
			if out := logs.String(); !strings.Contains(out, tc.want) {
				t.Errorf("log does not have %q:\n%s", tc.want, out)
			}
		})
	}
}

// countingCheck is a readiness check that counts its calls.
type countingCheck struct{ n atomic.Int32 }

func (c *countingCheck) ping(context.Context) error { c.n.Add(1); return nil }

// /readyz reuses its answer for STAAS_READY_CACHE: a burst of anonymous
// probes makes one gateway call, not one each.
func TestReadyz_CachesItsAnswer(t *testing.T) {
	var chk countingCheck
	a := newAppWith(t, func(_ *testworld.World, d *handlers.Deps) {
		d.Checks = []handlers.ReadinessCheck{{Name: "ostor", Ping: chk.ping}}
		d.ReadyCache = time.Hour
	})
	for range 20 {
		resp, err := http.Get(a.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("/readyz = %d", resp.StatusCode)
		}
	}
	if n := chk.n.Load(); n != 1 {
		t.Errorf("20 probes made %d gateway checks, want 1", n)
	}
}

// With STAAS_MONITOR_TOKEN set, /metrics and /readyz need it; /healthz
// stays open for load balancers.
func TestMonitorToken(t *testing.T) {
	const token = "monitor-token-0123456789abcdef0123456789"
	a := newAppWith(t, func(_ *testworld.World, d *handlers.Deps) {
		d.Metrics = metrics.New()
		d.Checks = []handlers.ReadinessCheck{{Name: "store", Ping: func(context.Context) error { return nil }}}
		d.MonitorToken = token
	})
	get := func(path, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, a.srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/metrics", "/readyz"} {
		for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token} {
			if code := get(path, auth); code != http.StatusUnauthorized {
				t.Errorf("%s with %q = %d, want 401", path, auth, code)
			}
		}
		if code := get(path, "Bearer "+token); code != http.StatusOK {
			t.Errorf("%s with the token = %d, want 200", path, code)
		}
	}
	if code := get("/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz without a token = %d, want 200", code)
	}
}

// A signed body is decoded strictly: trailing data, a key twice, a
// signed id ("+1") and null are 400 and nothing runs. Before, the first
// value was taken and the rest ignored, the last duplicate won, "+1" was
// 1 and null a zero value.
func TestDecodeShim_Strict(t *testing.T) {
	a := newApp(t)
	const good = `{"admin":{"id":1,"permissions":["View Clients Summary","Perform Server Operations"]},"client_id":1,"params":{}}`
	if status, body := a.raw("/shim/v1/admin/actions/toggle-users", []byte(good)); status != http.StatusOK {
		t.Fatalf("the well-formed request: %d %v", status, body)
	}
	for name, body := range map[string]string{
		"trailing object":   good + `{"client_id":2}`,
		"trailing text":     good + ` and more`,
		"duplicate key":     strings.Replace(good, `"client_id":1`, `"client_id":2,"client_id":1`, 1),
		"duplicate in case": strings.Replace(good, `"client_id":1`, `"Client_ID":2,"client_id":1`, 1),
		"plus id":           strings.Replace(good, `"client_id":1`, `"client_id":"+1"`, 1),
		"null params":       strings.Replace(good, `"params":{}`, `"params":null`, 1),
		"null admin":        strings.Replace(good, `"admin":{"id":1,"permissions":["View Clients Summary","Perform Server Operations"]}`, `"admin":null`, 1),
	} {
		status, resp := a.raw("/shim/v1/admin/actions/create-user", []byte(body))
		if status != http.StatusBadRequest || resp["code"] != "invalid" {
			t.Errorf("%s: %d %v, want 400 invalid", name, status, resp)
		}
	}
	if _, err := a.Store.S3User(context.Background(), 1, 0); err == nil {
		t.Error("a refused request created the S3 user")
	}
}

// A signed body that is not JSON at all, or is cut short, says so; only a
// JSON object the protocol refuses names what it refused. Before, only an
// empty body read "not valid JSON": CheckShimJSON's errors did not wrap
// encoding/json's, so `{"client_id":` read "does not match the shim
// protocol: not JSON: EOF".
func TestDecodeShim_NotJSON(t *testing.T) {
	a := newApp(t)
	for _, body := range []string{``, `  `, `{`, `{"client_id":`, `nonsense`, `{"client_id" 1}`} {
		status, resp := a.raw("/shim/v1/admin/actions/create-user", []byte(body))
		if status != http.StatusBadRequest || resp["code"] != "invalid" || resp["message"] != "The request is not valid JSON." {
			t.Errorf("%q: %d %v, want 400 'The request is not valid JSON.'", body, status, resp)
		}
	}
	status, resp := a.raw("/shim/v1/admin/actions/create-user", []byte(`{"client_id":1,"client_id":2}`))
	if msg, _ := resp["message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "does not match the shim protocol") {
		t.Errorf("a key twice: %d %v, want the protocol's refusal", status, resp)
	}
}
