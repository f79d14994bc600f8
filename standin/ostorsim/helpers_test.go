package ostorsim_test

// Test-side signers and a request harness. The signers are written here,
// apart from auth.go, so that a test passing means two independent readings
// of the signing rules agree.

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

// testSignV2 signs like the vendor's s3_curl: the resource is "/" plus the
// query up to the first '&'; x-amz-* headers are listed before it.
func testSignV2(r *http.Request, accessKey, secret string) {
	resource := "/"
	if r.URL.RawQuery != "" {
		resource += "?" + strings.SplitN(r.URL.RawQuery, "&", 2)[0]
	}
	var amz []string
	for name, vs := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			amz = append(amz, l+":"+strings.Join(vs, ","))
		}
	}
	sort.Strings(amz)
	amzBlock := ""
	for _, line := range amz {
		amzBlock += line + "\n"
	}
	sts := fmt.Sprintf("%s\n%s\n%s\n%s\n%s%s", r.Method, r.Header.Get("Content-MD5"),
		r.Header.Get("Content-Type"), r.Header.Get("Date"), amzBlock, resource)
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts)) // a hash.Hash never fails a write
	r.Header.Set("Authorization", "AWS "+accessKey+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// testSignV4 signs with SigV4 the way AWS SDKs do it: query parsed with
// url.ParseQuery and re-escaped, headers host and x-amz-*, payload
// UNSIGNED-PAYLOAD. It leaves r.URL.RawQuery in its original order.
func testSignV4(r *http.Request, accessKey, secret, region, service string, at time.Time) {
	amzDate := at.UTC().Format("20060102T150405Z")
	day := amzDate[:8]
	r.Header.Set("X-Amz-Date", amzDate)
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")

	// Sorted by escaped key, then escaped value (not by "k=v": "0" < "00"
	// but "00=" < "0=").
	values, _ := url.ParseQuery(r.URL.RawQuery)
	var keys []string
	byKey := map[string][]string{}
	for k, vs := range values {
		ek := awsEscape(k)
		keys = append(keys, ek)
		for _, v := range vs {
			byKey[ek] = append(byKey[ek], awsEscape(v))
		}
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		sort.Strings(byKey[k])
		for _, v := range byKey[k] {
			pairs = append(pairs, k+"="+v)
		}
	}

	headers := map[string]string{"host": r.Host}
	for name, vs := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			headers[l] = strings.TrimSpace(strings.Join(vs, ","))
		}
	}
	var names []string
	for n := range headers {
		names = append(names, n)
	}
	sort.Strings(names)
	var canonHeaders string
	for _, n := range names {
		canonHeaders += n + ":" + headers[n] + "\n"
	}
	signed := strings.Join(names, ";")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	creq := strings.Join([]string{r.Method, path, strings.Join(pairs, "&"), canonHeaders, signed, "UNSIGNED-PAYLOAD"}, "\n")
	h := sha256.Sum256([]byte(creq))
	scope := day + "/" + region + "/" + service + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
	mac := func(key []byte, s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	k := mac(mac(mac(mac([]byte("AWS4"+secret), day), region), service), "aws4_request")
	r.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		accessKey, scope, signed, hex.EncodeToString(mac(k, sts))))
}

func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// q builds a query: the service keyword, then name/value pairs; a value of
// flag makes the name a bare flag.
const flag = "\x00flag"

func q(service string, kv ...string) string {
	parts := []string{service}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == flag {
			parts = append(parts, kv[i])
			continue
		}
		parts = append(parts, awsEscape(kv[i])+"="+awsEscape(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

type harness struct {
	t     *testing.T
	sim   *ostorsim.Sim
	srv   *httptest.Server
	creds ostorsim.Credentials
}

func newHarness(t *testing.T, opts ostorsim.Options) *harness {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	sim, err := ostorsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, sim: sim, srv: newServer(t, sim), creds: sim.SystemCredentials()}
}

func newServer(t *testing.T, sim *ostorsim.Sim) *httptest.Server {
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv
}

// in returns the harness reporting to t (a subtest).
func (h *harness) in(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

type response struct {
	status int
	header http.Header
	body   string
}

// errMsg is the X-Amz-Err-Message of an error answer.
func (r response) errMsg() string { return r.header.Get("X-Amz-Err-Message") }

// newRequest builds a request to the admin root with a Date from the sim's
// clock; edit it, then sign and send it with send.
func (h *harness) newRequest(method, query string) *http.Request {
	h.t.Helper()
	r, err := http.NewRequest(method, h.srv.URL+"/?"+query, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	r.Header.Set("Date", h.sim.Now().Format(time.RFC1123Z))
	return r
}

func (h *harness) send(r *http.Request) response {
	h.t.Helper()
	res, err := h.srv.Client().Do(r)
	if err != nil {
		h.t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

// do sends a SigV2 request signed by the system user.
func (h *harness) do(method, query string) response {
	h.t.Helper()
	r := h.newRequest(method, query)
	testSignV2(r, h.creds.AccessKey, h.creds.SecretKey)
	return h.send(r)
}

// must sends a request and fails the test unless the status is want.
func (h *harness) must(want int, method, query string) response {
	h.t.Helper()
	res := h.do(method, query)
	if res.status != want {
		h.t.Fatalf("%s ?%s: status %d, want %d; message %q body %s", method, query, res.status, want, res.errMsg(), res.body)
	}
	return res
}

// mustErr expects an error answer with that status and message.
func (h *harness) mustErr(wantStatus int, wantMsg, method, query string) {
	h.t.Helper()
	res := h.must(wantStatus, method, query)
	if wantMsg != "" && res.errMsg() != wantMsg {
		h.t.Errorf("%s ?%s: X-Amz-Err-Message %q, want %q", method, query, res.errMsg(), wantMsg)
	}
	if !strings.Contains(res.body, "<Error><Code>") || !strings.Contains(res.body, "<Message>") {
		h.t.Errorf("%s ?%s: body %q is not an S3 XML error", method, query, res.body)
	}
}
