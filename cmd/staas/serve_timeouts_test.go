package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"staas/standin/ostorsim"
	"staas/whmcsbridge"
)

const timeoutsShimSecret = "test-shim-secret-0123456789abcdef0123"

// serveEnv is a complete serve configuration against a gateway simulator,
// with extra variables on top.
func serveEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	sim := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	gw := httptest.NewServer(sim)
	t.Cleanup(gw.Close)
	creds := sim.SystemCredentials()
	env := map[string]string{
		"STAAS_LISTEN_ADDR":          "127.0.0.1:0",
		"STAAS_LOG_FORMAT":           "json",
		"STAAS_OSTOR_ENDPOINT":       gw.URL,
		"STAAS_OSTOR_ACCESS_KEY":     creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY":     creds.SecretKey,
		"STAAS_OSTOR_TIMEOUT":        "2s",
		"STAAS_SHIM_SECRET":          timeoutsShimSecret,
		"STAAS_STORE_DSN":            filepath.Join(t.TempDir(), "staas.db"),
		"STAAS_WHMCS_MODE":           "api",
		"STAAS_WHMCS_API_URL":        "http://127.0.0.1:1/includes/api.php",
		"STAAS_WHMCS_API_IDENTIFIER": "id",
		"STAAS_WHMCS_API_SECRET":     "whmcs-secret",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// A body sent a byte every 300 ms, with headers that pass every check
// that can be made before the body, is cut off at STAAS_HTTP_READ_TIMEOUT
// (1 s here), long before its 200 bytes arrive; before, staas waited for
// it as long as the client liked.
func TestServe_SlowBodyIsCutOff(t *testing.T) {
	base, stop, _ := start(t, []string{"serve"}, serveEnv(t, map[string]string{"STAAS_HTTP_READ_TIMEOUT": "1s"}))
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	const path = "/shim/v1/admin/links"
	ts := time.Now().Unix()
	nonce := "slowbodynonce0123456789"
	body := []byte(strings.Repeat(" ", 200))
	sig := whmcsbridge.Sign([]byte(timeoutsShimSecret), "POST", path, ts, nonce, body)
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: staas\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
		"%s: %d\r\n%s: %s\r\n%s: %s\r\n\r\n", path, len(body),
		whmcsbridge.HeaderTimestamp, ts, whmcsbridge.HeaderNonce, nonce, whmcsbridge.HeaderSignature, sig)

	began := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, conn) // until staas hangs up
	}()
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for sent := 0; sent < len(body); {
		select {
		case <-closed:
			if took := time.Since(began); took > 5*time.Second {
				t.Fatalf("the slow body was cut off only after %s", took)
			}
			return
		case <-tick.C:
			if _, err := conn.Write(body[sent : sent+1]); err == nil {
				sent++
			}
		}
		if time.Since(began) > 10*time.Second {
			t.Fatalf("after %s and %d bytes staas still reads the slow body", time.Since(began).Truncate(time.Second), sent)
		}
	}
	t.Fatal("the whole slow body was read: nothing cut it off")
}

// An idle keep-alive connection is closed after STAAS_HTTP_IDLE_TIMEOUT.
func TestServe_IdleConnectionIsClosed(t *testing.T) {
	base, stop, _ := start(t, []string{"serve"}, serveEnv(t, map[string]string{"STAAS_HTTP_IDLE_TIMEOUT": "1s"}))
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: staas\r\n\r\n")
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(resp.Header.Get("Content-Length"))
	if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz: %d %v", resp.StatusCode, err)
	}
	began := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(8 * time.Second))
	_, err = r.ReadByte()
	if took := time.Since(began); err == nil || took > 4*time.Second {
		t.Fatalf("idle connection: read %v after %s, want it closed after about 1s", err, took)
	}
}
