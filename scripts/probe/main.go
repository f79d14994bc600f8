// Command probe attacks a real `staas serve` as a hostile caller would, on
// 127.0.0.1 only, and prints what it measured: the issue-10 §2 findings
// (slow bodies, idle keep-alives, stalled connections and staas's memory
// under them, signature headers checked before the body, padded audit
// rows, a view-only admin revealing a secret, huge pages, a forged
// X-Forwarded-For, strict decoding, limits numbers, /readyz's gateway
// calls and its token) and Empty and delete (purge-bucket).
//
//	go build -o /tmp/staas ./cmd/staas && go run ./scripts/probe -bin /tmp/staas
//
// It runs the ostor simulator and the WHMCS API stand-in in-process on
// -sim-addr and starts staas on -addr. It is bounded: every connection
// has a deadline, -conns caps the stalled connections (200 by default)
// and a run takes about two minutes with staas's default timeouts. It
// exits 1 when a probe finds a hole. Nothing runs it automatically.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite"

	"staas"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
	"staas/whmcsbridge"
)

const (
	shimSecret   = "probe-shim-secret-0123456789abcdef0123"
	monitorToken = "probe-monitor-token-0123456789abcdef"
)

var (
	bin     = flag.String("bin", "", "the staas binary to probe (go build -o /tmp/staas ./cmd/staas)")
	addr    = flag.String("addr", "127.0.0.1:18088", "where staas listens (loopback)")
	simAddr = flag.String("sim-addr", "127.0.0.1:18089", "where the ostor simulator and the WHMCS stand-in listen (loopback)")
	conns   = flag.Int("conns", 200, "stalled connections to open (at most 500)")
	quick   = flag.Bool("quick", false, "run staas with 3 s read/idle timeouts instead of its defaults (30 s, 60 s)")
)

var failed bool

func report(ok bool, probe, format string, args ...any) {
	mark := "ok  "
	if !ok {
		mark, failed = "FAIL", true
	}
	fmt.Printf("%s %-28s %s\n", mark, probe, fmt.Sprintf(format, args...))
}

func main() {
	flag.Parse()
	if *bin == "" || *conns < 1 || *conns > 500 {
		fmt.Fprintln(os.Stderr, "usage: probe -bin /tmp/staas [-conns 200] [-quick]")
		os.Exit(2)
	}
	for _, a := range []string{*addr, *simAddr} {
		if h, _, err := net.SplitHostPort(a); err != nil || !net.ParseIP(h).IsLoopback() {
			fmt.Fprintln(os.Stderr, "probe: addresses must be loopback:", a)
			os.Exit(2)
		}
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "staas-probe-")
	must(err)
	defer os.RemoveAll(dir)

	// The ostor simulator and the WHMCS API stand-in, on one listener.
	sim := ostorsim.MustNew(ostorsim.Options{WallClock: true})
	wdb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "whmcs.db"))
	must(err)
	must(whmcssim.CreateSchema(ctx, wdb))
	must(whmcssim.SeedClients(ctx, wdb, []staas.Client{
		{ID: 1, FirstName: "Alice", Email: "alice@example.com", Status: "Active"},
		{ID: 2, FirstName: "Bob", Email: "bob@example.com", Status: "Active"},
	}))
	api := whmcssim.NewAPI(wdb, whmcssim.Credentials{Identifier: "probe-id", Secret: "probe-whmcs-secret-value"})
	mux := http.NewServeMux()
	mux.Handle("/includes/api.php", api)
	mux.Handle("/", sim)
	ln, err := net.Listen("tcp", *simAddr)
	must(err)
	go func() { _ = http.Serve(ln, mux) }()
	simURL := "http://" + *simAddr
	creds := sim.SystemCredentials()

	storeDSN := filepath.Join(dir, "staas.db")
	env := append(os.Environ(),
		"STAAS_LISTEN_ADDR="+*addr, "STAAS_LOG_FORMAT=json",
		"STAAS_OSTOR_ENDPOINT="+simURL, "STAAS_OSTOR_S3_ENDPOINT="+simURL,
		"STAAS_OSTOR_ACCESS_KEY="+creds.AccessKey, "STAAS_OSTOR_SECRET_KEY="+creds.SecretKey,
		"STAAS_SHIM_SECRET="+shimSecret, "STAAS_STORE_DSN="+storeDSN,
		"STAAS_WHMCS_MODE=api", "STAAS_WHMCS_API_URL="+simURL+"/includes/api.php",
		"STAAS_WHMCS_API_IDENTIFIER=probe-id", "STAAS_WHMCS_API_SECRET=probe-whmcs-secret-value",
		"STAAS_MONITOR_TOKEN="+monitorToken)
	readTimeout, idleTimeout := 30*time.Second, 60*time.Second
	if *quick {
		readTimeout, idleTimeout = 3*time.Second, 3*time.Second
		env = append(env, "STAAS_HTTP_READ_TIMEOUT=3s", "STAAS_HTTP_IDLE_TIMEOUT=3s")
	}
	cmd := exec.Command(*bin, "serve")
	cmd.Env = env
	logs := &syncBuf{}
	cmd.Stdout, cmd.Stderr = logs, logs
	must(cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + *addr
	waitUp(base)
	pid := cmd.Process.Pid
	fmt.Printf("staas pid %d on %s, simulator and WHMCS stand-in on %s, read timeout %s, idle timeout %s\n", pid, *addr, *simAddr, readTimeout, idleTimeout)

	p := &prober{base: base, sim: sim}
	full := staas.Admin{ID: 1, Name: "Probe Admin", Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}
	viewOnly := staas.Admin{ID: 2, Name: "View Only", Permissions: []string{staas.PermViewClientSummary}}

	// Connections: stalled, slow, idle; memory before and after.
	rss0 := rss(pid)
	var wg sync.WaitGroup
	var slowBody, idle time.Duration
	wg.Add(2)
	go func() { defer wg.Done(); slowBody = p.slowBody(readTimeout + 30*time.Second) }()
	go func() { defer wg.Done(); idle = p.idleKeepAlive(idleTimeout + 30*time.Second) }()
	held := p.stall(*conns)
	time.Sleep(2 * time.Second)
	rssPeak := rss(pid)
	openAtPeak := countOpen(held)
	time.Sleep(readTimeout + 3*time.Second)
	openAfter := countOpen(held)
	for _, c := range held {
		c.Close()
	}
	wg.Wait()
	rssAfter := rss(pid)
	report(slowBody <= readTimeout+5*time.Second, "slow body", "a body sent a byte every 2 s was cut off after %s (read timeout %s)", slowBody.Round(time.Second), readTimeout)
	report(idle <= idleTimeout+5*time.Second, "idle keep-alive", "an idle keep-alive connection was closed after %s (idle timeout %s)", idle.Round(time.Second), idleTimeout)
	report(openAfter == 0 && rssPeak-rss0 < 64<<10, "stalled connections", "%d stalled connections (a quarter each: half a header; a signed header, no body; an unsigned header, no body; an unsigned header and 1 MB of body less a byte): RSS %d KiB before, %d KiB with them open (%d still open after 2 s), %d still open after the read timeout, RSS %d KiB after", *conns, rss0, rssPeak, openAtPeak, openAfter, rssAfter)

	// The signature's headers are checked before the body is read.
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"no signature", nil},
		{"old timestamp", map[string]string{whmcsbridge.HeaderTimestamp: strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10), whmcsbridge.HeaderNonce: strings.Repeat("a", 32), whmcsbridge.HeaderSignature: strings.Repeat("0", 64)}},
		{"bad nonce", map[string]string{whmcsbridge.HeaderTimestamp: strconv.FormatInt(time.Now().Unix(), 10), whmcsbridge.HeaderNonce: "x", whmcsbridge.HeaderSignature: strings.Repeat("0", 64)}},
		{"bad signature format", map[string]string{whmcsbridge.HeaderTimestamp: strconv.FormatInt(time.Now().Unix(), 10), whmcsbridge.HeaderNonce: strings.Repeat("a", 32), whmcsbridge.HeaderSignature: "zz"}},
	} {
		status, took := p.headersOnly(tc.hdr)
		report(status == 401 && took < 2*time.Second, "headers before body", "%s: HTTP %d after %s with a 50 MB body announced and none sent", tc.name, status, took.Round(time.Millisecond))
	}

	// The access log uses the connection's address.
	req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("X-Real-IP", "7.7.7.7")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	time.Sleep(200 * time.Millisecond)
	l := logs.String()
	report(!strings.Contains(l, "6.6.6.6") && !strings.Contains(l, "7.7.7.7"), "forged X-Forwarded-For", "the access log names %s", lastRemote(l))

	// Strict decoding.
	panelsBody := func(client string) string {
		return `{"admin":{"id":1,"permissions":["View Clients Summary"]},"client_id":` + client + `,"action_url":"x.php","token":"t"}`
	}
	for name, body := range map[string]string{
		"trailing data":                 panelsBody("1") + `{}`,
		"duplicate key":                 `{"client_id":1,` + panelsBody("1")[1:],
		"duplicate key in another case": `{"Client_ID":2,` + panelsBody("1")[1:],
		`"+1" id`:                       panelsBody(`"+1"`),
		"null":                          panelsBody("null"),
		"leading zero":                  panelsBody(`"01"`),
	} {
		status, _ := p.signed("/shim/v1/admin/panels", []byte(body))
		report(status == 400, "strict decoding", "%s: HTTP %d", name, status)
	}

	// Set up a client with an S3 user, a key and buckets.
	p.act(full, 1, "create-user", nil)
	p.act(full, 2, "create-user", nil)
	for _, b := range []string{"alice-data", "alice-logs"} {
		must(sim.CreateBucket("alice@example.com", b))
		_, err := sim.PutObject(b, "obj", 10)
		must(err)
	}
	must(sim.CreateBucket("bob@example.com", "bob-data"))
	keys := p.accessKeys(1)
	if len(keys) == 0 {
		report(false, "setup", "client 1 has no access key after create-user")
		finish()
	}

	// A view-only admin reveals a secret; a full admin's reveal shows once.
	status, body := p.act(viewOnly, 1, "reveal-secret", map[string]string{"access_key": keys[0]})
	html := p.panels(viewOnly, 1)
	report(status == 403 && !strings.Contains(html, "Secret"), "view-only reveal", "HTTP %d: %s", status, body["message"])
	p.act(full, 1, "toggle-user", nil)
	p.act(full, 1, "reveal-secret", map[string]string{"access_key": keys[0]})
	first, second := p.panels(full, 1), p.panels(full, 1)
	report(secretShown(first) && !secretShown(second), "reveal shows once", "shown on the first load: %v, on the second: %v", secretShown(first), secretShown(second))

	// Another client's key, from this client's page.
	if bobKeys := p.accessKeys(2); len(bobKeys) > 0 {
		for _, action := range []string{"reveal-secret", "revoke-key"} {
			status, body := p.act(full, 1, action, map[string]string{"access_key": bobKeys[0], "confirm": "yes"})
			html := p.panels(full, 1)
			still := len(p.accessKeys(2)) > 0
			report(status >= 400 && status < 500 && !secretShown(html) && still, "another client's key", "%s of client 2's key on client 1's page: HTTP %d, key kept: %v; %v", action, status, still, body["message"])
		}
	} else {
		report(false, "setup", "client 2 has no access key after create-user")
	}

	// Padding fields: the audit row keeps the action's own fields only.
	pad := map[string]string{"access_key": keys[0]}
	for i := range 40 {
		pad["pad"+strconv.Itoa(i)] = strings.Repeat("x", 1000)
	}
	status, _ = p.act(full, 1, "reveal-secret", pad)
	row, params := lastAudit(storeDSN, "reveal-secret")
	report(row != "" && !strings.Contains(params, "pad") && len(params) < 512, "padded audit row", "HTTP %d; the newest reveal-secret row: %s, params %s", status, row, params)

	// Huge and odd pages.
	for _, tc := range []struct{ action, field, value string }{
		{"users-page", "page", "99999999999999999999"},
		{"users-page", "page", "9223372036854775807"},
		{"users-page", "page", "-5"},
		{"audit-page", "before", "99999999999999999999"},
		{"audit-page", "before", "-1"},
		{"stats-page", "after", strings.Repeat("z", 5000)},
	} {
		status, body := p.act(full, 1, tc.action, map[string]string{tc.field: tc.value})
		report(status > 0 && status < 500 && body["result"] != nil, "huge page", "%s %s=%.24s: HTTP %d %v", tc.action, tc.field, tc.value, status, body["message"])
	}
	report(!strings.Contains(logs.String(), "panic"), "no panic", "staas's log has no panic")

	// Limits numbers: refused as the product settings refuse them; nothing sent.
	for _, v := range []string{"1e-300", "5.555", "1_000", "0x10", "Inf", "NaN", "-1", "1e3", "+5", "١٢", "1,000"} {
		before := sim.Requests()
		status, body := p.act(full, 1, "user-limits-set", map[string]string{"ops-name": "default", "ops-value": v})
		sent := sim.Requests() - before
		report(status == 400 && sent == 0, "limits number", "ops-value %q: HTTP %d, %d gateway request(s): %v", v, status, sent, body["message"])
	}

	// /readyz: cached, behind the token.
	before := sim.Requests()
	ok := 0
	for range 100 {
		r, _ := http.NewRequest(http.MethodGet, base+"/readyz", nil)
		r.Header.Set("Authorization", "Bearer "+monitorToken)
		if resp, err := http.DefaultClient.Do(r); err == nil {
			if resp.StatusCode == 200 {
				ok++
			}
			resp.Body.Close()
		}
	}
	calls := sim.Requests() - before
	report(calls <= 2 && ok == 100, "readyz cache", "100 /readyz in a row: %d answered 200, %d gateway request(s)", ok, calls)
	for _, path := range []string{"/readyz", "/metrics"} {
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + monitorToken} {
			r, _ := http.NewRequest(http.MethodGet, base+path, nil)
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				report(false, "monitor token", "%s: %v", path, err)
				continue
			}
			resp.Body.Close()
			want := 401
			if auth == "Bearer "+monitorToken {
				want = 200
			}
			shown := auth
			if strings.Contains(auth, monitorToken) {
				shown = "the token"
			}
			report(resp.StatusCode == want, "monitor token", "%s with %q: HTTP %d", path, shown, resp.StatusCode)
		}
	}

	// Empty and delete.
	for _, tc := range []struct {
		name   string
		admin  staas.Admin
		params map[string]string
		bucket string // must still exist afterwards
	}{
		{"no typed name", full, map[string]string{"bucket": "alice-data", "confirm": "yes"}, "alice-data"},
		{"wrong typed name", full, map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "alice-logs"}, "alice-data"},
		{"typed name in capitals", full, map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "ALICE-DATA"}, "alice-data"},
		{"typed name with a space", full, map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "alice-data "}, "alice-data"},
		{"view-only admin", viewOnly, map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "alice-data"}, "alice-data"},
		{"another client's bucket", full, map[string]string{"bucket": "bob-data", "confirm": "yes", "confirm-name": "bob-data"}, "bob-data"},
		{"dot-dot", full, map[string]string{"bucket": "../bob-data", "confirm": "yes", "confirm-name": "../bob-data"}, "bob-data"},
		{"slash", full, map[string]string{"bucket": "alice-data/../bob-data", "confirm": "yes", "confirm-name": "alice-data/../bob-data"}, "bob-data"},
		{"encoded", full, map[string]string{"bucket": "%62ob-data", "confirm": "yes", "confirm-name": "%62ob-data"}, "bob-data"},
		{"query", full, map[string]string{"bucket": "alice-data?x=1", "confirm": "yes", "confirm-name": "alice-data?x=1"}, "alice-data"},
		{"NUL", full, map[string]string{"bucket": "alice-data\x00", "confirm": "yes", "confirm-name": "alice-data\x00"}, "alice-data"},
		{"unicode look-alike", full, map[string]string{"bucket": "аlice-data", "confirm": "yes", "confirm-name": "аlice-data"}, "alice-data"},
		{"300 characters", full, map[string]string{"bucket": strings.Repeat("a", 300), "confirm": "yes", "confirm-name": strings.Repeat("a", 300)}, "alice-data"},
		{"empty", full, map[string]string{"bucket": "", "confirm": "yes", "confirm-name": ""}, "alice-data"},
	} {
		status, body := p.act(tc.admin, 1, "purge-bucket", tc.params)
		still := sim.HasBucket(tc.bucket)
		msg, _ := body["message"].(string)
		if tc.bucket != "alice-data" || tc.params["bucket"] != "alice-data" && tc.admin.ID == full.ID {
			// Not the client's bucket: refused for the bucket field, not
			// for the typed name.
			still = still && strings.Contains(msg, "Choose one of the client's buckets")
		}
		report(status >= 400 && status < 500 && still, "purge-bucket refused", "%s: HTTP %d, %s still there: %v; %v", tc.name, status, tc.bucket, still, body["message"])
	}
	status, body = p.act(full, 1, "purge-bucket", map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "alice-data"})
	report(status == 200 && !sim.HasBucket("alice-data") && sim.HasBucket("alice-logs") && sim.HasBucket("bob-data"), "purge-bucket", "the right name: HTTP %d, %v; alice-logs and bob-data kept", status, body["message"])
	finish()
}

func finish() {
	if failed {
		fmt.Println("probe: some probes found a hole")
		os.Exit(1)
	}
	fmt.Println("probe: every probe held")
	os.Exit(0)
}

type prober struct {
	base string
	sim  *ostorsim.Sim
}

func (p *prober) signed(path string, body []byte) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(body))
	must(whmcsbridge.SignRequest(req, []byte(shimSecret), time.Now(), body))
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, map[string]any{"message": err.Error()}
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&out)
	return resp.StatusCode, out
}

func (p *prober) act(a staas.Admin, client int64, action string, params map[string]string) (int, map[string]any) {
	body, _ := json.Marshal(whmcsbridge.ActionRequest{Admin: a, ClientID: client, Params: params})
	return p.signed("/shim/v1/admin/actions/"+action, body)
}

func (p *prober) panels(a staas.Admin, client int64) string {
	body, _ := json.Marshal(whmcsbridge.AdminRequest{Admin: a, ClientID: client, ActionURL: "staas-action.php", Token: "tok"})
	_, out := p.signed("/shim/v1/admin/panels", body)
	html, _ := out["html"].(string)
	return html
}

// accessKeys reads the client's access key ids from the links' forms.
func (p *prober) accessKeys(client int64) []string {
	body, _ := json.Marshal(whmcsbridge.AdminRequest{Admin: staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}, ClientID: client, ActionURL: "staas-action.php", Token: "tok"})
	var keys []string
	for _, path := range []string{"/shim/v1/admin/links", "/shim/v1/admin/panels"} {
		_, out := p.signed(path, body)
		html, _ := out["html"].(string)
		for _, part := range strings.Split(html, `name="access_key" value="`)[1:] {
			if k, _, ok := strings.Cut(part, `"`); ok && k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// secretShown says whether the panels show a revealed secret key.
func secretShown(html string) bool {
	return strings.Contains(html, "staas-secret-revealed")
}

// slowBody sends a signed request's body a byte every 2 s and returns when
// staas answered or closed the connection.
func (p *prober) slowBody(limit time.Duration) time.Duration {
	body := bytes.Repeat([]byte(" "), 1000)
	req, _ := http.NewRequest(http.MethodPost, p.base+"/shim/v1/admin/panels", bytes.NewReader(body))
	must(whmcsbridge.SignRequest(req, []byte(shimSecret), time.Now(), body))
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.base, "http://"), 5*time.Second)
	must(err)
	defer c.Close()
	start := time.Now()
	_ = c.SetDeadline(start.Add(limit))
	fmt.Fprintf(c, "POST /shim/v1/admin/panels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	for k, v := range req.Header {
		fmt.Fprintf(c, "%s: %s\r\n", k, v[0])
	}
	fmt.Fprint(c, "\r\n")
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, c)
		close(done)
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			return time.Since(start)
		case <-time.After(2 * time.Second):
		}
		if _, err := c.Write([]byte{' '}); err != nil {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			return time.Since(start)
		}
	}
}

// idleKeepAlive makes one request on a keep-alive connection, then waits
// for staas to close it.
func (p *prober) idleKeepAlive(limit time.Duration) time.Duration {
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.base, "http://"), 5*time.Second)
	must(err)
	defer c.Close()
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.SetDeadline(time.Now().Add(limit))
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	start := time.Now()
	_, _ = io.Copy(io.Discard, r)
	return time.Since(start)
}

// stall opens n connections that each stop half-way: a quarter in the
// header, a quarter after a signed header announcing a body, a quarter
// after an unsigned one, a quarter one byte short of an unsigned 1 MB
// body.
func (p *prober) stall(n int) []net.Conn {
	var held []net.Conn
	body := []byte(`{}`)
	for i := range n {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.base, "http://"), 5*time.Second)
		if err != nil {
			fmt.Println("stall: dial:", err)
			break
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Minute))
		switch i % 4 {
		case 0:
			fmt.Fprint(c, "POST /shim/v1/admin/panels HTTP/1.1\r\nHost: x\r\nContent-Le")
		case 1:
			req, _ := http.NewRequest(http.MethodPost, p.base+"/shim/v1/admin/panels", bytes.NewReader(body))
			must(whmcsbridge.SignRequest(req, []byte(shimSecret), time.Now(), body))
			fmt.Fprint(c, "POST /shim/v1/admin/panels HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n")
			for k, v := range req.Header {
				fmt.Fprintf(c, "%s: %s\r\n", k, v[0])
			}
			fmt.Fprint(c, "\r\n")
		case 2:
			fmt.Fprint(c, "POST /shim/v1/admin/panels HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
		case 3:
			// Unsigned, and all but the last byte of a 1 MB body: what
			// a server that reads bodies before checking holds in memory.
			fmt.Fprint(c, "POST /shim/v1/admin/panels HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
			_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Write(make([]byte, 1048575))
			_ = c.SetDeadline(time.Now().Add(5 * time.Minute))
		}
		held = append(held, c)
	}
	return held
}

// countOpen counts the connections staas has not closed: a read that
// times out at once means still open.
func countOpen(cs []net.Conn) int {
	open := 0
	buf := make([]byte, 4096)
	for _, c := range cs {
		for {
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := c.Read(buf)
			if err == nil {
				continue // an answer (401): read on to see whether it closes
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				open++
			}
			break
		}
	}
	return open
}

// headersOnly announces a 50 MB body, sends none, and returns staas's
// status and how long it took to answer.
func (p *prober) headersOnly(hdr map[string]string) (int, time.Duration) {
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.base, "http://"), 5*time.Second)
	must(err)
	defer c.Close()
	start := time.Now()
	_ = c.SetDeadline(start.Add(10 * time.Second))
	fmt.Fprint(c, "POST /shim/v1/admin/panels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n")
	for k, v := range hdr {
		fmt.Fprintf(c, "%s: %s\r\n", k, v)
	}
	fmt.Fprint(c, "\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, time.Since(start)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

func lastAudit(dsn, action string) (row, params string) {
	db, err := sql.Open("sqlite", "file:"+dsn+"?mode=ro")
	if err != nil {
		return "", err.Error()
	}
	defer db.Close()
	var id int64
	var result string
	if err := db.QueryRow(`SELECT id, result, params FROM staas_audit WHERE action = ? ORDER BY id DESC LIMIT 1`, action).Scan(&id, &result, &params); err != nil {
		return "", err.Error()
	}
	return fmt.Sprintf("id %d result %s", id, result), params
}

func lastRemote(logs string) string {
	var last string
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "/healthz") {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			for _, k := range []string{"remote_ip", "remote", "remote_addr", "client_ip", "ip"} {
				if v, ok := m[k].(string); ok {
					last = k + "=" + v
				}
			}
		}
	}
	if last == "" {
		return "(no access log line for /healthz found)"
	}
	return last
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

func waitUp(base string) {
	for range 100 {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "probe: staas did not come up")
	os.Exit(2)
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(2)
	}
}
