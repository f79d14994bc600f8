package whmcsbridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := staas.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func wantMessage(t *testing.T, err error, substr string) {
	t.Helper()
	if !strings.Contains(staas.ErrorMessage(err), substr) {
		t.Fatalf("message %q does not contain %q", staas.ErrorMessage(err), substr)
	}
}

type signingVector struct {
	Name       string `json:"name"`
	Secret     string `json:"secret"`
	Method     string `json:"method"`
	RequestURI string `json:"request_uri"`
	Timestamp  int64  `json:"timestamp"`
	Nonce      string `json:"nonce"`
	Body       string `json:"body"`
	BodySHA256 string `json:"body_sha256"`
	Canonical  string `json:"canonical"`
	Signature  string `json:"signature"`
}

func loadVectors(t *testing.T) []signingVector {
	t.Helper()
	b, err := os.ReadFile("testdata/shim/signing.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []signingVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) < 3 {
		t.Fatalf("only %d signing vectors", len(doc.Vectors))
	}
	return doc.Vectors
}

func TestSigningFixtures(t *testing.T) {
	var sawEmpty, sawUnicode, sawQuery bool
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sum := sha256.Sum256([]byte(v.Body))
			if got := hex.EncodeToString(sum[:]); got != v.BodySHA256 {
				t.Errorf("body sha256 = %s, fixture says %s", got, v.BodySHA256)
			}
			if got := CanonicalString(v.Method, v.RequestURI, v.Timestamp, v.Nonce, []byte(v.Body)); got != v.Canonical {
				t.Errorf("canonical = %q, fixture says %q", got, v.Canonical)
			}
			if got := Sign([]byte(v.Secret), v.Method, v.RequestURI, v.Timestamp, v.Nonce, []byte(v.Body)); got != v.Signature {
				t.Errorf("signature = %s, fixture says %s", got, v.Signature)
			}
			// The fixture must pass the verifier at its own time.
			ver := &Verifier{Secret: []byte(v.Secret), Now: func() time.Time { return time.Unix(v.Timestamp, 0) }, Nonces: &NonceCache{}}
			h := http.Header{}
			h.Set(HeaderTimestamp, strconv.FormatInt(v.Timestamp, 10))
			h.Set(HeaderNonce, v.Nonce)
			h.Set(HeaderSignature, v.Signature)
			if err := ver.Verify(context.Background(), v.Method, v.RequestURI, h, []byte(v.Body)); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
		sawEmpty = sawEmpty || v.Body == ""
		sawQuery = sawQuery || strings.Contains(v.RequestURI, "?")
		for _, r := range v.Body {
			sawUnicode = sawUnicode || r > 0x7f
		}
	}
	if !sawEmpty || !sawUnicode || !sawQuery {
		t.Errorf("fixtures lack a case: empty body %v, unicode body %v, query string %v", sawEmpty, sawUnicode, sawQuery)
	}
}

// semantic decodes JSON into plain values, so two encodings compare equal
// whatever their spacing, key order and escaping (PHP writes \/ and \u00eb).
func semantic(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/shim", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPayloadFixtures: every payload fixture decodes (strictly, as the
// handlers decode), validates, and encodes back to the same JSON; each
// .php.json variant (how PHP writes the same thing) decodes to the same
// value as its canonical fixture.
func TestPayloadFixtures(t *testing.T) {
	newOf := map[string]func() any{
		"admin_request":            func() any { return new(AdminRequest) },
		"action_request":           func() any { return new(ActionRequest) },
		"action_request_no_params": func() any { return new(ActionRequest) },
		"reseller_request":         func() any { return new(ResellerRequest) },
		"reseller_request_page":    func() any { return new(ResellerRequest) },
		"links_response":           func() any { return new(LinksResponse) },
		"panels_response":          func() any { return new(PanelsResponse) },
		"result_success":           func() any { return new(Result) },
		"result_error":             func() any { return new(Result) },
	}
	files, err := filepath.Glob("testdata/shim/*.json")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		name := filepath.Base(f)
		if name == "signing.json" {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".php")
		mk, ok := newOf[base]
		if !ok {
			mk, ok = moduleFixtureTypes[base] // module.go's payloads
		}
		if !ok {
			t.Errorf("fixture %s has no payload type in this test", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			raw := readFixture(t, name)
			v := mk()
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if val, ok := v.(interface{ Validate() error }); ok {
				if err := val.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			canonical := raw
			if strings.HasSuffix(name, ".php.json") {
				canonical = readFixture(t, base+".json")
			}
			if got, want := semantic(t, out), semantic(t, canonical); !reflect.DeepEqual(got, want) {
				t.Errorf("re-encoded\n%s\nwant the same as\n%s", out, canonical)
			}
		})
		checked++
	}
	if checked < len(newOf)+len(moduleFixtureTypes) {
		t.Errorf("checked %d payload fixtures, want at least one per type (%d)", checked, len(newOf)+len(moduleFixtureTypes))
	}
}

func TestAdminRequestDecoding(t *testing.T) {
	var r AdminRequest
	if err := json.Unmarshal(readFixture(t, "admin_request.php.json"), &r); err != nil {
		t.Fatal(err)
	}
	want := AdminRequest{
		Admin:    staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}, Name: "Zoë Admin (zadmin)"},
		ClientID: 42, ActionURL: "addonmodules.php?module=staas&action=act", Token: "1c2b3a4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	for _, bad := range []string{
		`{"admin":{"id":1,"permissions":[]},"client_id":42,"action_url":"x","token":"t","extra":1}`,  // unknown field
		`{"admin":{"id":1,"permissions":[],"role":"x"},"client_id":42,"action_url":"x","token":"t"}`, // unknown nested field
		`{"admin":{"id":"1a","permissions":[]},"client_id":42,"action_url":"x","token":"t"}`,         // not a number
		`{"admin":{"id":1.5,"permissions":[]},"client_id":42,"action_url":"x","token":"t"}`,
		`{"admin":{"id":1,"permissions":[1]},"client_id":42,"action_url":"x","token":"t"}`,
		`{"admin":{"id":1,"permissions":[]},"client_id":"99999999999999999999","action_url":"x","token":"t"}`,
	} {
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("decoded %s", bad)
		}
	}
}

func TestActionRequestDecoding(t *testing.T) {
	var r ActionRequest
	if err := json.Unmarshal([]byte(`{"admin":{"id":"3"},"client_id":"5"}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Admin.ID != 3 || r.ClientID != 5 || r.Params == nil || len(r.Params) != 0 || r.Admin.Permissions == nil {
		t.Fatalf("got %+v", r)
	}
	out, _ := json.Marshal(ActionRequest{Admin: staas.Admin{ID: 1}, ClientID: 2})
	if string(out) != `{"admin":{"id":1,"permissions":[]},"client_id":2,"params":{}}` {
		t.Errorf("encoded %s", out)
	}
	for _, bad := range []string{
		`{"admin":{"id":1},"client_id":2,"params":{"a":["x"]}}`, // PHP array value
		`{"admin":{"id":1},"client_id":2,"params":{"a":1}}`,
		`{"admin":{"id":1},"client_id":2,"params":"x"}`,
		`{"admin":{"id":1},"client_id":2,"action":"x"}`,
		`{"admin":{"id":1,"permissions":null},"client_id":2}`, // null
		`{"admin":{"id":1},"client_id":2,"params":null}`,
		`{"admin":{"id":1},"client_id":2,"params":""}`,
	} {
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("decoded %s", bad)
		}
	}
}

func TestAdminRequestValidate(t *testing.T) {
	ok := AdminRequest{Admin: staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary}}, ClientID: 42,
		ActionURL: "addonmodules.php?module=staas", Token: "abc123"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://billing.example.com/admin/addonmodules.php?module=staas", "/admin/staas.php", "staas.php#x", "HTTP://x.example/y"} {
		r := ok
		r.ActionURL = u
		if err := r.Validate(); err != nil {
			t.Errorf("action_url %q: %v", u, err)
		}
	}
	for name, mod := range map[string]func(*AdminRequest){
		"admin id 0":          func(r *AdminRequest) { r.Admin.ID = 0 },
		"admin id negative":   func(r *AdminRequest) { r.Admin.ID = -1 },
		"client id 0":         func(r *AdminRequest) { r.ClientID = 0 },
		"empty action_url":    func(r *AdminRequest) { r.ActionURL = "" },
		"javascript:":         func(r *AdminRequest) { r.ActionURL = "javascript:alert(1)" },
		"JavaScript: mixed":   func(r *AdminRequest) { r.ActionURL = "JaVaScRiPt:alert(1)" },
		"javascript with tab": func(r *AdminRequest) { r.ActionURL = "java\tscript:alert(1)" },
		"leading space":       func(r *AdminRequest) { r.ActionURL = " javascript:alert(1)" },
		"data:":               func(r *AdminRequest) { r.ActionURL = "data:text/html,<script>alert(1)</script>" },
		"vbscript:":           func(r *AdminRequest) { r.ActionURL = "vbscript:x" },
		"ftp":                 func(r *AdminRequest) { r.ActionURL = "ftp://x.example/" },
		"credentials":         func(r *AdminRequest) { r.ActionURL = "https://u:p@x.example/" },
		"no host":             func(r *AdminRequest) { r.ActionURL = "https:///x" },
		"backslash":           func(r *AdminRequest) { r.ActionURL = `/\evil.example` },
		"quote":               func(r *AdminRequest) { r.ActionURL = "x\"onmouseover=alert(1)" },
		"too long":            func(r *AdminRequest) { r.ActionURL = "/" + strings.Repeat("a", 3000) },
		"empty token":         func(r *AdminRequest) { r.Token = "" },
		"token with space":    func(r *AdminRequest) { r.Token = "a b" },
		"token with quote":    func(r *AdminRequest) { r.Token = "a\"b" },
		"token non-ASCII":     func(r *AdminRequest) { r.Token = "ä" },
		"empty permission":    func(r *AdminRequest) { r.Admin.Permissions = []string{""} },
		"control permission":  func(r *AdminRequest) { r.Admin.Permissions = []string{"a\nb"} },
	} {
		r := ok
		r.Admin.Permissions = append([]string(nil), ok.Admin.Permissions...)
		mod(&r)
		err := r.Validate()
		if name == "quote" || name == "token with quote" {
			// A quote is harmless where the views escape it; only
			// schemes, spaces and controls are refused.
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}

func TestActionRequestValidate(t *testing.T) {
	ok := ActionRequest{Admin: staas.Admin{ID: 1}, ClientID: 42, Params: map[string]string{"email": "a@example.com", "limit_name": "x", "key-id": ""}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	many := map[string]string{}
	for i := range 65 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	for name, r := range map[string]ActionRequest{
		"admin id 0":     {Admin: staas.Admin{ID: 0}, ClientID: 42},
		"client id 0":    {Admin: staas.Admin{ID: 1}, ClientID: 0},
		"client id neg":  {Admin: staas.Admin{ID: 1}, ClientID: -4},
		"upper key":      {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{"Email": "x"}},
		"empty key":      {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{"": "x"}},
		"dotted key":     {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{"a.b": "x"}},
		"bracket key":    {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{"a[]": "x"}},
		"long key":       {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{strings.Repeat("k", 65): "x"}},
		"long value":     {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{"k": strings.Repeat("v", 1025)}},
		"invalid UTF-8":  {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{"k": "\xff"}},
		"too many pairs": {Admin: staas.Admin{ID: 1}, ClientID: 1, Params: many},
	} {
		if staas.ErrorCode(r.Validate()) != staas.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, r.Validate())
		}
	}
	r := ActionRequest{Admin: staas.Admin{ID: 1}, ClientID: 1, Params: map[string]string{strings.Repeat("k", 64): strings.Repeat("v", 1024)}}
	if err := r.Validate(); err != nil {
		t.Errorf("limits themselves: %v", err)
	}
}

func TestActionNames(t *testing.T) {
	for _, ok := range []string{"create-user", "a", "revoke-key-2"} {
		if !ValidActionName(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "Create", "a_b", "a/b", "..", strings.Repeat("a", 65)} {
		if ValidActionName(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	if ActionPath("create-user") != "/shim/v1/admin/actions/create-user" {
		t.Error(ActionPath("create-user"))
	}
}

// recordingNonces is a NonceStore that counts calls and can fail.
type recordingNonces struct {
	mu      sync.Mutex
	calls   []string
	expires []time.Time
	err     error
	cache   NonceCache
}

func (r *recordingNonces) RememberNonce(ctx context.Context, nonce string, expires time.Time) error {
	r.mu.Lock()
	r.calls = append(r.calls, nonce)
	r.expires = append(r.expires, expires)
	err := r.err
	r.mu.Unlock()
	if err != nil {
		return err
	}
	return r.cache.RememberNonce(ctx, nonce, expires)
}

var (
	testShimSecret = []byte("test-shim-secret-0123456789abcdef0123456789")
	shimNow        = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

type signed struct {
	method, uri string
	h           http.Header
	body        []byte
}

func signedRequest(t *testing.T, ts time.Time, method, uri string, body []byte) signed {
	t.Helper()
	req := httptest.NewRequest(method, "http://staas.test"+uri, bytes.NewReader(body))
	if err := SignRequest(req, testShimSecret, ts, body); err != nil {
		t.Fatal(err)
	}
	return signed{method: method, uri: req.URL.RequestURI(), h: req.Header, body: body}
}

func newVerifier() (*Verifier, *recordingNonces) {
	n := &recordingNonces{}
	n.cache.Now = func() time.Time { return shimNow }
	return &Verifier{Secret: testShimSecret, Now: func() time.Time { return shimNow }, Nonces: n}, n
}

func (s signed) verify(v *Verifier) error {
	return v.Verify(context.Background(), s.method, s.uri, s.h, s.body)
}

func TestVerify(t *testing.T) {
	body := []byte(`{"admin":{"id":1,"permissions":[]},"client_id":42,"action_url":"x.php","token":"t"}`)
	t.Run("good request, then its replay", func(t *testing.T) {
		v, nonces := newVerifier()
		s := signedRequest(t, shimNow, http.MethodPost, PathLinks, body)
		if err := s.verify(v); err != nil {
			t.Fatal(err)
		}
		if len(nonces.calls) != 1 || nonces.calls[0] != s.h.Get(HeaderNonce) {
			t.Fatalf("nonce calls %v", nonces.calls)
		}
		if want := shimNow.Add(2 * DefaultMaxSkew); !nonces.expires[0].Equal(want) {
			t.Errorf("nonce kept until %v, want ts+2*MaxSkew = %v", nonces.expires[0], want)
		}
		err := s.verify(v)
		wantCode(t, err, staas.EUNAUTHORIZED)
		wantMessage(t, err, "replayed request")
	})
	t.Run("missing headers", func(t *testing.T) {
		for _, name := range []string{HeaderTimestamp, HeaderNonce, HeaderSignature} {
			v, nonces := newVerifier()
			s := signedRequest(t, shimNow, http.MethodPost, PathLinks, body)
			s.h.Del(name)
			err := s.verify(v)
			wantCode(t, err, staas.EUNAUTHORIZED)
			wantMessage(t, err, "missing header "+name)
			if len(nonces.calls) != 0 {
				t.Errorf("nonce remembered without %s", name)
			}
		}
		v, _ := newVerifier()
		err := v.Verify(context.Background(), http.MethodPost, PathLinks, http.Header{}, body)
		wantMessage(t, err, "missing header "+HeaderTimestamp+", "+HeaderNonce+", "+HeaderSignature)
	})
	t.Run("repeated header", func(t *testing.T) {
		v, _ := newVerifier()
		s := signedRequest(t, shimNow, http.MethodPost, PathLinks, body)
		s.h.Add(HeaderNonce, "another-nonce-0123456789")
		wantMessage(t, s.verify(v), "repeated")
	})
	t.Run("malformed timestamp", func(t *testing.T) {
		for _, ts := range []string{"abc", "-5", "+5", "1.5", "1e9", " 1767225600", "17672256000000000000000"} {
			v, nonces := newVerifier()
			s := signedRequest(t, shimNow, http.MethodPost, PathLinks, body)
			s.h.Set(HeaderTimestamp, ts)
			err := s.verify(v)
			wantCode(t, err, staas.EUNAUTHORIZED)
			wantMessage(t, err, "malformed "+HeaderTimestamp)
			if len(nonces.calls) != 0 {
				t.Errorf("%q: nonce remembered", ts)
			}
		}
	})
	t.Run("malformed nonce", func(t *testing.T) {
		for _, n := range []string{"short", strings.Repeat("a", 15), strings.Repeat("a", 129), "0123456789abcdef!", "0123456789abcdef/", "0123456789abcdé0"} {
			v, nonces := newVerifier()
			s := signedRequest(t, shimNow, http.MethodPost, PathLinks, body)
			s.h.Set(HeaderNonce, n)
			err := s.verify(v)
			wantCode(t, err, staas.EUNAUTHORIZED)
			wantMessage(t, err, "malformed "+HeaderNonce)
			if len(nonces.calls) != 0 {
				t.Errorf("%q: nonce remembered", n)
			}
		}
		for _, n := range []string{strings.Repeat("a", 16), strings.Repeat("Z", 128), "A-b_0123456789xyz"} {
			if !ValidNonce(n) {
				t.Errorf("%q refused", n)
			}
		}
	})
	t.Run("skew", func(t *testing.T) {
		for _, tc := range []struct {
			offset time.Duration
			ok     bool
			word   string
		}{
			{-DefaultMaxSkew, true, ""},
			{DefaultMaxSkew, true, ""},
			{-DefaultMaxSkew - time.Second, false, "behind"},
			{DefaultMaxSkew + time.Second, false, "ahead"},
			{-24 * time.Hour, false, "behind"},
			{24 * time.Hour, false, "ahead"},
		} {
			v, nonces := newVerifier()
			err := signedRequest(t, shimNow.Add(tc.offset), http.MethodPost, PathLinks, body).verify(v)
			if tc.ok {
				if err != nil {
					t.Errorf("offset %v: %v", tc.offset, err)
				}
				continue
			}
			wantCode(t, err, staas.EUNAUTHORIZED)
			wantMessage(t, err, tc.word)
			if len(nonces.calls) != 0 {
				t.Errorf("offset %v: nonce remembered", tc.offset)
			}
		}
		v, _ := newVerifier()
		v.MaxSkew = time.Minute
		wantMessage(t, signedRequest(t, shimNow.Add(-2*time.Minute), http.MethodPost, PathLinks, body).verify(v), "behind")
	})
	t.Run("bad signature: nonce not remembered", func(t *testing.T) {
		cases := map[string]func(*signed){
			"wrong secret": func(s *signed) {
				s.h.Set(HeaderSignature, Sign([]byte("other"), s.method, s.uri, shimNow.Unix(), s.h.Get(HeaderNonce), s.body))
			},
			"body tampered":     func(s *signed) { s.body = bytes.Replace(s.body, []byte(`"client_id":42`), []byte(`"client_id":43`), 1) },
			"body appended":     func(s *signed) { s.body = append(s.body, ' ') },
			"body emptied":      func(s *signed) { s.body = nil },
			"path tampered":     func(s *signed) { s.uri = PathPanels },
			"query added":       func(s *signed) { s.uri += "?client_id=43" },
			"method tampered":   func(s *signed) { s.method = http.MethodPut },
			"timestamp changed": func(s *signed) { s.h.Set(HeaderTimestamp, strconv.FormatInt(shimNow.Unix()+1, 10)) },
			"nonce changed":     func(s *signed) { s.h.Set(HeaderNonce, "ffffffffffffffffffffffffffffffff") },
			"uppercase hex":     func(s *signed) { s.h.Set(HeaderSignature, strings.ToUpper(s.h.Get(HeaderSignature))) },
			"truncated":         func(s *signed) { s.h.Set(HeaderSignature, s.h.Get(HeaderSignature)[:63]) },
			"not hex":           func(s *signed) { s.h.Set(HeaderSignature, strings.Repeat("z", 64)) },
		}
		for name, mod := range cases {
			v, nonces := newVerifier()
			s := signedRequest(t, shimNow, http.MethodPost, PathLinks, body)
			mod(&s)
			err := s.verify(v)
			wantCode(t, err, staas.EUNAUTHORIZED)
			// A signature that is not 64 lowercase hex digits is refused
			// by its form, before any HMAC is computed.
			want := "bad signature"
			if name == "uppercase hex" || name == "truncated" || name == "not hex" {
				want = "malformed X-Staas-Signature"
			}
			if !strings.Contains(staas.ErrorMessage(err), want) {
				t.Errorf("%s: %v, want %q", name, err, want)
			}
			if len(nonces.calls) != 0 {
				t.Errorf("%s: a forged request's nonce was remembered", name)
			}
		}
	})
	t.Run("query string is signed as sent", func(t *testing.T) {
		v, _ := newVerifier()
		if err := signedRequest(t, shimNow, http.MethodGet, "/shim/v1/admin/panels?a=b%26c&d=%C3%A9", nil).verify(v); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("nonce store failures", func(t *testing.T) {
		v, nonces := newVerifier()
		nonces.err = errors.New("database is down")
		err := signedRequest(t, shimNow, http.MethodPost, PathLinks, body).verify(v)
		wantCode(t, err, staas.EUNAVAILABLE)
		nonces.err = staas.Errorf(staas.ECONFLICT, "seen")
		err = signedRequest(t, shimNow, http.MethodPost, PathLinks, body).verify(v)
		wantCode(t, err, staas.EUNAUTHORIZED)
		wantMessage(t, err, "replayed request")
	})
	t.Run("misconfigured verifier", func(t *testing.T) {
		s := signedRequest(t, shimNow, http.MethodPost, PathLinks, body)
		wantCode(t, s.verify(&Verifier{Secret: testShimSecret}), staas.EINTERNAL)
		wantCode(t, s.verify(&Verifier{Nonces: &NonceCache{}}), staas.EINTERNAL)
	})
	t.Run("nil Now uses the clock", func(t *testing.T) {
		v := &Verifier{Secret: testShimSecret, Nonces: &NonceCache{}}
		if err := signedRequest(t, time.Now(), http.MethodPost, PathLinks, body).verify(v); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSignRequestOverHTTP signs with SignRequest, sends through net/http
// and verifies what the server received, as the handlers do.
func TestSignRequestOverHTTP(t *testing.T) {
	v := &Verifier{Secret: testShimSecret, Nonces: &NonceCache{}}
	var got []error
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := v.Verify(r.Context(), r.Method, r.RequestURI, r.Header, body)
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
	}))
	defer srv.Close()
	for _, uri := range []string{PathLinks, ActionPath("revoke-key") + "?confirm=1&k=a%2Fb+c", "/shim/v1/admin/panels?x=%E2%9C%93"} {
		body := []byte(`{"client_id":42,"note":"Grüße ✓"}`)
		req, err := http.NewRequest(http.MethodPost, srv.URL+uri, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := SignRequest(req, testShimSecret, time.Now(), body); err != nil {
			t.Fatal(err)
		}
		if n := req.Header.Get(HeaderNonce); len(n) != 32 || !ValidNonce(n) {
			t.Errorf("nonce %q", n)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i, err := range got {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if len(got) != 3 {
		t.Fatalf("%d requests arrived", len(got))
	}
	if err := SignRequest(httptest.NewRequest(http.MethodGet, "/", nil), nil, time.Now(), nil); staas.ErrorCode(err) != staas.EINVALID {
		t.Errorf("empty secret: %v", err)
	}
}

func TestNonceCache(t *testing.T) {
	now := shimNow
	c := &NonceCache{Now: func() time.Time { return now }}
	ctx := context.Background()
	if err := c.RememberNonce(ctx, "n1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, c.RememberNonce(ctx, "n1", now.Add(time.Minute)), staas.ECONFLICT)
	if err := c.RememberNonce(ctx, "n2", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute) // both expired: a nonce may be forgotten after its expiry
	if err := c.RememberNonce(ctx, "n1", now.Add(time.Minute)); err != nil {
		t.Fatalf("expired nonce: %v", err)
	}
	c.mu.Lock()
	_, kept := c.seen["n2"]
	c.mu.Unlock()
	if kept {
		t.Error("expired nonce n2 was not pruned")
	}
}

// TestAdminName: the admin's name is optional (shims before it send none,
// and their requests keep working), and when sent it is one line of at
// most staas.MaxAdminName printable characters.
func TestAdminName(t *testing.T) {
	base := `{"admin":{"id":1,"permissions":["View Clients Summary"]%s},"client_id":42,"params":{}}`
	var old ActionRequest
	if err := json.Unmarshal([]byte(fmt.Sprintf(base, "")), &old); err != nil {
		t.Fatalf("a request without the name (an older shim): %v", err)
	}
	if err := old.Validate(); err != nil || old.Admin.Name != "" {
		t.Fatalf("a request without the name: %v, name %q", err, old.Admin.Name)
	}
	for name, ok := range map[string]bool{
		`"Jane Doe (jdoe)"`: true,
		`"Zoë Ådmin"`:       true,
		`""`:                true,
		`"` + strings.Repeat("é", staas.MaxAdminName) + `"`:   true,
		`"` + strings.Repeat("é", staas.MaxAdminName+1) + `"`: false,
		`"Jane\nLocation: x"`: false,
		`"Jane\u0085Doe"`:     false,
		`"Jane\u0000"`:        false,
	} {
		var r ActionRequest
		if err := json.Unmarshal([]byte(fmt.Sprintf(base, `,"name":`+name)), &r); err != nil {
			t.Fatalf("decode name %s: %v", name, err)
		}
		if err := r.Validate(); (err == nil) != ok {
			t.Errorf("name %s: Validate = %v, want ok=%v", name, err, ok)
		}
	}
	if err := json.Unmarshal([]byte(fmt.Sprintf(base, `,"name":7`)), new(ActionRequest)); err == nil {
		t.Error("a name that is not a string decoded")
	}
}
