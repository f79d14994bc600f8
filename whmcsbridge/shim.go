package whmcsbridge

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"staas"
)

// Shim protocol v1: the PHP shim inside WHMCS calls staas with signed JSON
// requests. docs/shim-protocol.md is the contract; testdata/shim holds the
// fixtures both sides test against.
const (
	HeaderTimestamp = "X-Staas-Timestamp"
	HeaderNonce     = "X-Staas-Nonce"
	HeaderSignature = "X-Staas-Signature"

	// DefaultMaxSkew is how far a request's timestamp may be from staas's
	// clock, either way, when Verifier.MaxSkew is zero.
	DefaultMaxSkew = 5 * time.Minute

	// PathLinks answers the AdminAreaClientSummaryActionLinks hook
	// (AdminRequest → LinksResponse).
	PathLinks = "/shim/v1/admin/links"
	// PathPanels answers the AdminAreaClientSummaryPage hook
	// (AdminRequest → PanelsResponse).
	PathPanels = "/shim/v1/admin/panels"
	// PathActions is the prefix of one endpoint per admin action
	// (ActionRequest → Result): PathActions + "create-user".
	PathActions = "/shim/v1/admin/actions/"

	// ResultSuccess and ResultError are the two values of Result.Result.
	ResultSuccess = "success"
	ResultError   = "error"

	nonceBytes = 16 // SignRequest's nonces: 32 hex characters
)

// CanonicalString is what the signature covers, one field per line:
// the method, the request URI (path and raw query exactly as sent), the
// timestamp in decimal, the nonce, and the lowercase hex SHA-256 of the
// body (of the empty string when there is no body).
func CanonicalString(method, requestURI string, ts int64, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return method + "\n" + requestURI + "\n" + strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
}

// Sign returns the lowercase hex HMAC-SHA256 of CanonicalString under
// secret: the value of the X-Staas-Signature header.
func Sign(secret []byte, method, requestURI string, ts int64, nonce string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(CanonicalString(method, requestURI, ts, nonce, body)))
	return hex.EncodeToString(m.Sum(nil))
}

// SignRequest sets the three protocol headers on req for body, which must
// be exactly the bytes req sends, with a fresh random nonce. It signs
// req.Method and req.URL.RequestURI(), which is what net/http puts on the
// request line.
func SignRequest(req *http.Request, secret []byte, now time.Time, body []byte) error {
	if len(secret) == 0 {
		return staas.Errorf(staas.EINVALID, "shim: the shared secret is empty")
	}
	if req.URL == nil {
		return staas.Errorf(staas.EINVALID, "shim: the request has no URL")
	}
	b := make([]byte, nonceBytes)
	if _, err := rand.Read(b); err != nil {
		return &staas.Error{Code: staas.EINTERNAL, Message: "shim: no randomness for a nonce", Err: err}
	}
	nonce := hex.EncodeToString(b)
	ts := now.Unix()
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, Sign(secret, req.Method, req.URL.RequestURI(), ts, nonce, body))
	return nil
}

// NonceStore remembers the nonces of accepted requests. RememberNonce
// returns a *staas.Error with code ECONFLICT when nonce is already known
// and has not expired; it may forget a nonce after expires. With several
// staas replicas it must be shared (staas's store), or a request replayed
// to another replica would pass.
type NonceStore interface {
	RememberNonce(ctx context.Context, nonce string, expires time.Time) error
}

// Verifier checks the requests of the PHP shim.
type Verifier struct {
	Secret []byte
	// Now is time.Now when nil.
	Now func() time.Time
	// MaxSkew is DefaultMaxSkew when zero.
	MaxSkew time.Duration
	Nonces  NonceStore
}

func unauthorized(format string, args ...any) error {
	return staas.Errorf(staas.EUNAUTHORIZED, "shim request refused: "+format, args...)
}

// CheckHeaders checks what can be checked of a request before its body is
// read: the three headers, each once; the timestamp's and nonce's shape;
// the signature's format (64 lowercase hex digits); and the clock window.
// A request that fails here is refused without staas waiting for its
// body. Refusals are EUNAUTHORIZED, as Verify's.
func (v *Verifier) CheckHeaders(h http.Header) error {
	_, err := v.checkHeaders(h)
	return err
}

// signedHeaders are a request's header values, checked by checkHeaders.
type signedHeaders struct {
	ts    int64
	nonce string
	sig   string
}

func (v *Verifier) checkHeaders(h http.Header) (signedHeaders, error) {
	var missing []string
	for _, name := range []string{HeaderTimestamp, HeaderNonce, HeaderSignature} {
		if len(h.Values(name)) == 0 || h.Get(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return signedHeaders{}, unauthorized("missing header %s", strings.Join(missing, ", "))
	}
	for _, name := range []string{HeaderTimestamp, HeaderNonce, HeaderSignature} {
		if len(h.Values(name)) > 1 {
			return signedHeaders{}, unauthorized("header %s is repeated", name)
		}
	}
	tsText, nonce, sig := h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	ts, ok := parseTimestamp(tsText)
	if !ok {
		return signedHeaders{}, unauthorized("malformed %s: want unix seconds in decimal", HeaderTimestamp)
	}
	if !ValidNonce(nonce) {
		return signedHeaders{}, unauthorized("malformed %s: want 16 to 128 characters of A-Z a-z 0-9 _ -", HeaderNonce)
	}
	if !validSignature(sig) {
		return signedHeaders{}, unauthorized("malformed %s: want 64 lowercase hex digits (HMAC-SHA256)", HeaderSignature)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	maxSkew := v.maxSkew()
	switch skew := now().Sub(time.Unix(ts, 0)); {
	case skew > maxSkew:
		return signedHeaders{}, unauthorized("timestamp is %s behind staas's clock (at most %s allowed): check both clocks", skew.Truncate(time.Second), maxSkew)
	case skew < -maxSkew:
		return signedHeaders{}, unauthorized("timestamp is %s ahead of staas's clock (at most %s allowed): check both clocks", (-skew).Truncate(time.Second), maxSkew)
	}
	return signedHeaders{ts: ts, nonce: nonce, sig: sig}, nil
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew <= 0 {
		return DefaultMaxSkew
	}
	return v.MaxSkew
}

// validSignature reports whether s has the form of Sign's output: 64
// lowercase hex digits.
func validSignature(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Verify checks a request's headers (CheckHeaders) and signature, and
// that its nonce is new. Every refusal is EUNAUTHORIZED with a message
// saying which check failed; a failing nonce store gives EUNAVAILABLE.
// The nonce is remembered only once the signature is good, so forged
// requests cannot fill the store.
func (v *Verifier) Verify(ctx context.Context, method, requestURI string, h http.Header, body []byte) error {
	if len(v.Secret) == 0 || v.Nonces == nil {
		return staas.Errorf(staas.EINTERNAL, "shim: the verifier has no secret or no nonce store")
	}
	sh, err := v.checkHeaders(h)
	if err != nil {
		return err
	}
	want := Sign(v.Secret, method, requestURI, sh.ts, sh.nonce, body)
	if !hmac.Equal([]byte(sh.sig), []byte(want)) {
		return unauthorized("bad signature (wrong shared secret, or the method, URI or body changed on the way)")
	}
	if err := v.Nonces.RememberNonce(ctx, sh.nonce, time.Unix(sh.ts, 0).Add(2*v.maxSkew())); err != nil {
		if staas.ErrorCode(err) == staas.ECONFLICT {
			return unauthorized("replayed request (nonce already used)")
		}
		return &staas.Error{Code: staas.EUNAVAILABLE, Message: "shim: the nonce store is unavailable", Err: err}
	}
	return nil
}

func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	return ts, err == nil
}

// ValidNonce reports whether s is 16 to 128 characters of A-Z a-z 0-9 _ -.
func ValidNonce(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// NonceCache is a NonceStore in memory, for one staas process (the demo,
// tests, a single replica). The zero value is ready to use.
type NonceCache struct {
	// Now is time.Now when nil.
	Now func() time.Time

	mu        sync.Mutex
	seen      map[string]time.Time
	lastPrune time.Time
}

// maxCachedNonces bounds the cache. Only correctly signed requests reach
// it, so reaching the bound means a misbehaving shim, not an attacker.
const maxCachedNonces = 1 << 20

// RememberNonce implements NonceStore.
func (c *NonceCache) RememberNonce(_ context.Context, nonce string, expires time.Time) error {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[string]time.Time)
	}
	if now.Sub(c.lastPrune) > time.Minute || len(c.seen) >= maxCachedNonces {
		for n, exp := range c.seen {
			if !exp.After(now) {
				delete(c.seen, n)
			}
		}
		c.lastPrune = now
	}
	if exp, ok := c.seen[nonce]; ok && exp.After(now) {
		return staas.Errorf(staas.ECONFLICT, "nonce already used")
	}
	if len(c.seen) >= maxCachedNonces {
		return staas.Errorf(staas.EUNAVAILABLE, "shim: too many nonces in memory")
	}
	c.seen[nonce] = expires
	return nil
}

// AdminRequest asks for the S3 action links or panels of one client's
// summary page in WHMCS's admin area.
type AdminRequest struct {
	// Admin is the logged-in WHMCS admin, as WHMCS's session says.
	Admin    staas.Admin `json:"admin"`
	ClientID int64       `json:"client_id"`
	// ActionURL is the shim's admin action endpoint inside WHMCS, which
	// the links' and panels' forms post to.
	ActionURL string `json:"action_url"`
	// Token is WHMCS's CSRF token, echoed into every form as field "token".
	Token string `json:"token"`
}

// ActionRequest carries one admin action, posted to PathActions + name.
type ActionRequest struct {
	Admin    staas.Admin       `json:"admin"`
	ClientID int64             `json:"client_id"`
	Params   map[string]string `json:"params"`
}

// Result is the answer to every call: Result is "success" or "error", and
// Message says what went wrong (or right) in words an admin can read.
type Result struct {
	Result  string `json:"result"`
	Message string `json:"message,omitempty"`
}

// ActionResponse answers an admin action. Anchor is the id of the element
// of the client summary page that shows the action's outcome (the flash,
// the confirmation, the panel that opened, the form with its errors); the
// shim appends it to its redirect as a fragment, so the admin lands on the
// result instead of the top of the page. It is "" or ValidAnchor; the shim
// checks it again and falls back to AnchorResult.
type ActionResponse struct {
	Result
	Anchor string `json:"anchor,omitempty"`
}

// AnchorResult is the id of the flash messages and the pending
// confirmation on the client summary page: where an action's outcome
// shows when the answer names no other place, or is an error.
const AnchorResult = "staas-result"

// ValidAnchor reports whether s may follow the # of the shim's redirect:
// 1 to 64 characters of a-z 0-9 -, so it can only name an element id and
// never change where the redirect goes.
func ValidAnchor(s string) bool { return validKey(s, maxActionNameLen, true) }

// LinksResponse answers PathLinks: one HTML fragment per link.
type LinksResponse struct {
	Result
	Links []string `json:"links"`
}

// PanelsResponse answers PathPanels: the panels' HTML in one fragment.
type PanelsResponse struct {
	Result
	HTML string `json:"html"`
}

// wireAdmin decodes an admin with a lenient id and permissions that PHP
// may have encoded as an object (an array whose keys are not 0..n-1).
type wireAdmin struct {
	ID          shimID     `json:"id"`
	Permissions phpStrings `json:"permissions"`
	// Name is optional: shims before it send none.
	Name string `json:"name"`
}

// phpStrings is a list of strings that PHP may encode as [...] or, after
// array_filter/unset, as {"0":"a","3":"b"} (taken in key order).
type phpStrings []string

func (p *phpStrings) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '{' {
		var m map[string]string
		if err := json.Unmarshal(t, &m); err != nil {
			return err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, errA := strconv.Atoi(keys[i])
			b, errB := strconv.Atoi(keys[j])
			if errA == nil && errB == nil {
				return a < b
			}
			return keys[i] < keys[j]
		})
		out := make([]string, 0, len(keys))
		for _, k := range keys {
			out = append(out, m[k])
		}
		*p = out
		return nil
	}
	var s []string
	if err := json.Unmarshal(t, &s); err != nil {
		return err
	}
	if s == nil {
		s = []string{}
	}
	*p = s
	return nil
}

// phpParams is a string map that PHP encodes as [] when empty.
type phpParams map[string]string

// emptyIfNil is m, or an empty map when nil: staas reads a request's
// absent params as none, and PHP reads JSON null where it expects an array.
func emptyIfNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// noneIfNil is s, or an empty list when nil, for the same reason.
func noneIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (p *phpParams) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		if !IsEmptyPHPArray(t) {
			return errors.New("params must be an object of strings")
		}
		*p = phpParams{}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("params must be an object of strings")
	}
	*p = m
	return nil
}

// decodeStrict decodes b into v and refuses fields the protocol does not
// have, so a typo in the shim is an error and not a silently empty value,
// and what CheckShimJSON refuses (a key twice, null, trailing data).
func decodeStrict(b []byte, v any) error {
	if err := CheckShimJSON(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

func (w wireAdmin) admin() staas.Admin {
	perms := []string(w.Permissions)
	if perms == nil {
		perms = []string{}
	}
	return staas.Admin{ID: int64(w.ID), Permissions: perms, Name: w.Name}
}

// UnmarshalJSON accepts ids as numbers or numeric strings (PHP sends
// both) and refuses unknown fields.
func (r *AdminRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		Admin     wireAdmin `json:"admin"`
		ClientID  shimID    `json:"client_id"`
		ActionURL string    `json:"action_url"`
		Token     string    `json:"token"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*r = AdminRequest{Admin: w.Admin.admin(), ClientID: int64(w.ClientID), ActionURL: w.ActionURL, Token: w.Token}
	return nil
}

// MarshalJSON writes permissions as [] rather than null, as PHP expects.
func (r AdminRequest) MarshalJSON() ([]byte, error) {
	type plain AdminRequest
	p := plain(r)
	p.Admin.Permissions = noneIfNil(p.Admin.Permissions)
	return json.Marshal(p)
}

// UnmarshalJSON accepts ids as numbers or numeric strings, params as []
// when empty (PHP), and refuses unknown fields.
func (r *ActionRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		Admin    wireAdmin `json:"admin"`
		ClientID shimID    `json:"client_id"`
		Params   phpParams `json:"params"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*r = ActionRequest{Admin: w.Admin.admin(), ClientID: int64(w.ClientID), Params: emptyIfNil(w.Params)}
	return nil
}

// MarshalJSON writes permissions as [] and params as {} rather than null.
func (r ActionRequest) MarshalJSON() ([]byte, error) {
	type plain ActionRequest
	p := plain(r)
	p.Admin.Permissions = noneIfNil(p.Admin.Permissions)
	p.Params = emptyIfNil(p.Params)
	return json.Marshal(p)
}

// Limits of the payloads, checked by Validate.
const (
	maxPermissions   = 512
	maxPermission    = 128
	maxActionURL     = 2048
	maxToken         = 256
	maxParams        = 64
	maxParamKey      = 64
	maxParamValue    = 1024
	maxActionNameLen = 64
)

func invalid(format string, args ...any) error {
	return staas.Errorf(staas.EINVALID, "shim request: "+format, args...)
}

func validateAdmin(a staas.Admin) error {
	if a.ID <= 0 {
		return invalid("admin.id must be a positive WHMCS admin id")
	}
	if len(a.Permissions) > maxPermissions {
		return invalid("admin.permissions has more than %d entries", maxPermissions)
	}
	for _, p := range a.Permissions {
		if p == "" || len(p) > maxPermission || !Printable(p) {
			return invalid("admin.permissions holds an empty, overlong or unprintable name")
		}
	}
	if !Printable(a.Name) || utf8.RuneCountInString(a.Name) > staas.MaxAdminName {
		return invalid("admin.name must be at most %d printable characters", staas.MaxAdminName)
	}
	return nil
}

// Printable reports whether s is valid UTF-8 without control characters:
// the rule for the text fields of shim payloads, which internal/whmcs
// applies to the search it passes on to WHMCS too.
func Printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// Validate checks the request where it enters staas; errors are EINVALID.
func (r AdminRequest) Validate() error {
	if err := validateAdmin(r.Admin); err != nil {
		return err
	}
	if r.ClientID <= 0 {
		return invalid("client_id must be a positive WHMCS client id")
	}
	if err := validateActionURL(r.ActionURL); err != nil {
		return err
	}
	if !ValidToken(r.Token) {
		return invalid("token must be WHMCS's CSRF token: 1 to %d printable ASCII characters without spaces", maxToken)
	}
	return nil
}

// validateActionURL accepts a relative URL or an absolute http(s) one,
// so a form's action can never be javascript:, data: or the like.
func validateActionURL(s string) error {
	if s == "" || len(s) > maxActionURL {
		return invalid("action_url must be the shim's action endpoint (1 to %d characters)", maxActionURL)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] == 0x7f || s[i] == '\\' {
			return invalid("action_url must not contain spaces, control characters or backslashes")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return invalid("action_url is not a URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "":
		if u.Opaque != "" {
			return invalid("action_url is not a URL")
		}
	case "http", "https":
		if u.Host == "" {
			return invalid("action_url has no host")
		}
	default:
		return invalid("action_url must be relative or http(s), not %q", u.Scheme+":")
	}
	if u.User != nil {
		return invalid("action_url must not carry credentials")
	}
	return nil
}

// Validate checks the request where it enters staas; errors are EINVALID.
func (r ActionRequest) Validate() error {
	if err := validateAdmin(r.Admin); err != nil {
		return err
	}
	if r.ClientID <= 0 {
		return invalid("client_id must be a positive WHMCS client id")
	}
	return validateParams(r.Params)
}

// validateParams checks the form fields an action or module call carries.
func validateParams(params map[string]string) error {
	if len(params) > maxParams {
		return invalid("params has more than %d entries", maxParams)
	}
	for k, v := range params {
		if !validKey(k, maxParamKey, false) {
			return invalid("params key %.70q must be 1 to %d characters of a-z 0-9 _ -", k, maxParamKey)
		}
		if len(v) > maxParamValue {
			return invalid("params %q is longer than %d bytes", k, maxParamValue)
		}
		if !utf8.ValidString(v) {
			return invalid("params %q is not valid UTF-8", k)
		}
	}
	return nil
}

func validKey(s string, maxLen int, noUnderscore bool) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || (c == '_' && !noUnderscore)) {
			return false
		}
	}
	return true
}

// ValidActionName reports whether name may follow PathActions: 1 to 64
// characters of a-z 0-9 -.
func ValidActionName(name string) bool { return validKey(name, maxActionNameLen, true) }

// ActionPath is the endpoint of the named action.
func ActionPath(name string) string { return PathActions + name }
