package ostorsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Reasons a signature check fails. The verifiers wrap them with detail;
// match with errors.Is.
var (
	ErrMissingAuth   = errors.New("missing Authorization header")
	ErrMalformedAuth = errors.New("malformed Authorization header")
	ErrUnknownKey    = errors.New("unknown access key")
	ErrBadSignature  = errors.New("signature does not match")
	ErrMissingDate   = errors.New("missing or unparsable Date / X-Amz-Date")
	ErrTimeSkewed    = errors.New("request time too far from the server clock")
)

// SecretLookup returns the secret of an access key, or false if the key is
// unknown.
type SecretLookup func(accessKey string) (secret string, ok bool)

const (
	v2Prefix        = "AWS "
	v4Algorithm     = "AWS4-HMAC-SHA256"
	v4Terminator    = "aws4_request"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
	// maxHashedBody bounds how much body the SigV4 verifier reads to hash the
	// payload. Admin requests have none; the largest data-plane body is a
	// DeleteObjects list of 1000 keys of up to 1024 bytes each.
	maxHashedBody   = 4 << 20
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// ---------------------------------------------------------------- SigV2

// VerifyV2 checks an S3 Signature Version 2 request
// (Authorization: AWS <key>:<base64 HMAC-SHA1>) whose canonical resource is
// the path plus the first query element, as ostor's own tooling signs it.
// It returns the access key that signed the request.
func VerifyV2(r *http.Request, lookupSecret SecretLookup, now time.Time) (string, error) {
	return verifyV2(r, lookupSecret, now, canonicalResourceV2(r))
}

// VerifyV2Object checks an S3 Signature Version 2 request to the data plane
// (buckets and objects), whose canonical resource is the path plus the
// sub-resources of the query (versions, delete, uploadId, …), sorted, as
// S3 clients sign it. It returns the access key that signed the request.
func VerifyV2Object(r *http.Request, lookupSecret SecretLookup, now time.Time) (string, error) {
	return verifyV2(r, lookupSecret, now, canonicalResourceV2Object(r))
}

func verifyV2(r *http.Request, lookupSecret SecretLookup, now time.Time, resource string) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrMissingAuth
	}
	rest, isV2 := strings.CutPrefix(h, v2Prefix)
	if !isV2 {
		return "", fmt.Errorf("%w: not AWS <key>:<signature>", ErrMalformedAuth)
	}
	accessKey, sig, found := strings.Cut(rest, ":")
	if !found || accessKey == "" || sig == "" {
		return "", fmt.Errorf("%w: not AWS <key>:<signature>", ErrMalformedAuth)
	}
	if err := checkRequestTime(r, now); err != nil {
		return "", err
	}
	secret, known := lookupSecret(accessKey)
	if !known {
		return "", ErrUnknownKey
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return "", fmt.Errorf("%w: signature is not base64", ErrBadSignature)
	}
	sts := StringToSignV2(r.Method, r.Header.Get("Content-MD5"), r.Header.Get("Content-Type"),
		r.Header.Get("Date"), r.Header, resource)
	if !hmac.Equal(got, hmacSHA1([]byte(secret), sts)) {
		return "", ErrBadSignature
	}
	return accessKey, nil
}

// StringToSignV2 builds the SigV2 string to sign from its parts:
// METHOD, Content-MD5, Content-Type and Date lines, the canonical x-amz-*
// headers of header, and the canonical resource.
func StringToSignV2(method, contentMD5, contentType, date string, header http.Header, resource string) string {
	var b strings.Builder
	b.WriteString(method + "\n" + contentMD5 + "\n" + contentType + "\n" + date + "\n")
	b.WriteString(canonicalAmzHeadersV2(header))
	b.WriteString(resource)
	return b.String()
}

// SignatureV2 is base64(HMAC-SHA1(secret, stringToSign)).
func SignatureV2(secret, stringToSign string) string {
	return base64.StdEncoding.EncodeToString(hmacSHA1([]byte(secret), stringToSign))
}

func hmacSHA1(key []byte, data string) []byte {
	m := hmac.New(sha1.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalAmzHeadersV2 renders the x-amz-* headers: lowercase names,
// sorted, repeated values joined by ',', one "name:value\n" each.
func canonicalAmzHeadersV2(header http.Header) string {
	var lines []string
	for name, values := range header {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-") {
			continue
		}
		trimmed := make([]string, len(values))
		for i, v := range values {
			trimmed[i] = strings.TrimSpace(v)
		}
		lines = append(lines, lower+":"+strings.Join(trimmed, ",")+"\n")
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

// canonicalResourceV2 is the path and, if there is a query, everything up
// to its first '&': "/?ostor-users" for any ostor-users call. The other
// parameters are not signed; that is the vendor's scheme, not ours.
func canonicalResourceV2(r *http.Request) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if r.URL.RawQuery == "" {
		return path
	}
	first, _, _ := strings.Cut(r.URL.RawQuery, "&")
	return path + "?" + first
}

// subresourcesV2 are the query parameters S3's SigV2 signs, by name.
var subresourcesV2 = map[string]bool{
	"acl": true, "cors": true, "delete": true, "lifecycle": true, "location": true, "logging": true,
	"notification": true, "partNumber": true, "policy": true, "requestPayment": true, "restore": true,
	"tagging": true, "torrent": true, "uploadId": true, "uploads": true, "versionId": true,
	"versioning": true, "versions": true, "website": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
	"response-content-language": true, "response-content-type": true, "response-expires": true,
}

// canonicalResourceV2Object is the escaped path and the signed
// sub-resources, sorted by name, values decoded: "/b?uploads",
// "/b/k?uploadId=x".
func canonicalResourceV2Object(r *http.Request) string {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	var subs []string
	for _, elem := range strings.Split(r.URL.RawQuery, "&") {
		rawName, rawValue, hasValue := strings.Cut(elem, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil || !subresourcesV2[name] {
			continue
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			continue
		}
		if hasValue && value != "" {
			name += "=" + value
		}
		subs = append(subs, name)
	}
	if len(subs) == 0 {
		return path
	}
	slices.Sort(subs)
	return path + "?" + strings.Join(subs, "&")
}

// ---------------------------------------------------------------- SigV4

// V4Authorization is a parsed SigV4 Authorization header.
type V4Authorization struct {
	AccessKey     string
	Date          string // yyyymmdd of the credential scope
	Region        string
	Service       string
	SignedHeaders []string // lowercase, in header order
	Signature     string   // lowercase hex
}

// Scope is the credential scope date/region/service/aws4_request.
func (a V4Authorization) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + v4Terminator
}

// ParseV4Authorization parses
// "AWS4-HMAC-SHA256 Credential=AK/yyyymmdd/region/service/aws4_request,
// SignedHeaders=a;b, Signature=hex".
func ParseV4Authorization(h string) (V4Authorization, error) {
	var a V4Authorization
	rest, isV4 := strings.CutPrefix(h, v4Algorithm+" ")
	if !isV4 {
		return a, fmt.Errorf("%w: not %s", ErrMalformedAuth, v4Algorithm)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		name, value, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return a, fmt.Errorf("%w: component without '='", ErrMalformedAuth)
		}
		if _, dup := fields[name]; dup {
			return a, fmt.Errorf("%w: repeated %s", ErrMalformedAuth, name)
		}
		fields[name] = value
	}
	if len(fields) != 3 {
		return a, fmt.Errorf("%w: want Credential, SignedHeaders and Signature", ErrMalformedAuth)
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" || scope[2] == "" || scope[3] == "" || scope[4] != v4Terminator {
		return a, fmt.Errorf("%w: bad Credential", ErrMalformedAuth)
	}
	if _, err := time.Parse(scopeDateFormat, scope[1]); err != nil || len(scope[1]) != 8 {
		return a, fmt.Errorf("%w: bad Credential date", ErrMalformedAuth)
	}
	a.AccessKey, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]

	signed := fields["SignedHeaders"]
	if signed == "" {
		return a, fmt.Errorf("%w: empty SignedHeaders", ErrMalformedAuth)
	}
	a.SignedHeaders = strings.Split(signed, ";")
	for i, name := range a.SignedHeaders {
		if name == "" || name != strings.ToLower(name) || (i > 0 && name <= a.SignedHeaders[i-1]) {
			return a, fmt.Errorf("%w: SignedHeaders must be lowercase, sorted and unique", ErrMalformedAuth)
		}
	}
	if !slices.Contains(a.SignedHeaders, "host") {
		return a, fmt.Errorf("%w: host must be signed", ErrMalformedAuth)
	}
	sig := fields["Signature"]
	if len(sig) != sha256.Size*2 || strings.ToLower(sig) != sig {
		return a, fmt.Errorf("%w: Signature is not 64 lowercase hex digits", ErrMalformedAuth)
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return a, fmt.Errorf("%w: Signature is not hex", ErrMalformedAuth)
	}
	a.Signature = sig
	return a, nil
}

// VerifyV4 checks an AWS Signature Version 4 request for any service and
// region (both taken from the credential scope; the caller decides which it
// accepts). The payload hash is the X-Amz-Content-Sha256 header if present
// (UNSIGNED-PAYLOAD as S3 allows; a hex digest is checked against the body),
// else the SHA-256 of the body, as the generic AWS algorithm specifies.
// It returns the access key that signed the request.
func VerifyV4(r *http.Request, lookupSecret SecretLookup, now time.Time) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrMissingAuth
	}
	auth, err := ParseV4Authorization(h)
	if err != nil {
		return "", err
	}
	amzDate := r.Header.Get("X-Amz-Date")
	var at time.Time
	if amzDate != "" {
		if at, err = time.Parse(amzDateFormat, amzDate); err != nil {
			return "", fmt.Errorf("%w: X-Amz-Date %q", ErrMissingDate, amzDate)
		}
	} else {
		if at, err = parseHTTPDate(r.Header.Get("Date")); err != nil {
			return "", err
		}
		amzDate = at.UTC().Format(amzDateFormat)
	}
	if err := checkSkew(at, now); err != nil {
		return "", err
	}
	if at.UTC().Format(scopeDateFormat) != auth.Date {
		return "", fmt.Errorf("%w: credential date is not the request date", ErrMalformedAuth)
	}
	secret, known := lookupSecret(auth.AccessKey)
	if !known {
		return "", ErrUnknownKey
	}
	payloadHash, err := payloadHashV4(r)
	if err != nil {
		return "", err
	}
	creq, err := canonicalRequestV4(r, auth.SignedHeaders, payloadHash)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(creq))
	sts := v4Algorithm + "\n" + amzDate + "\n" + auth.Scope() + "\n" + hex.EncodeToString(sum[:])
	key := signingKeyV4(secret, auth.Date, auth.Region, auth.Service)
	want := hex.EncodeToString(hmacSHA256(key, sts))
	if !hmac.Equal([]byte(want), []byte(auth.Signature)) {
		return "", ErrBadSignature
	}
	return auth.AccessKey, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func signingKeyV4(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, v4Terminator)
}

func payloadHashV4(r *http.Request) (string, error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared == unsignedPayload {
		return declared, nil
	}
	if isSHA256Hex(declared) && (r.ContentLength > maxHashedBody || r.ContentLength < 0) {
		// Too large to hold before answering (an object, a part): the
		// declared hash is signed, and the body is checked as it is read;
		// a reader of it gets errPayloadHash at its end, before anything
		// is stored.
		r.Body = &hashVerifier{body: r.Body, want: declared, h: sha256.New()}
		return declared, nil
	}
	body, err := readAndRestoreBody(r)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	if declared != "" && declared != actual {
		return "", fmt.Errorf("%w: X-Amz-Content-Sha256 does not match the body", ErrBadSignature)
	}
	return actual, nil
}

func isSHA256Hex(s string) bool { return len(s) == sha256.Size*2 && isLowerHex(s) }

// errPayloadHash ends the read of a body whose SHA-256 is not the one
// declared in X-Amz-Content-Sha256.
var errPayloadHash = errors.New("the body does not match X-Amz-Content-Sha256")

// hashVerifier passes a body through and, at its end, returns
// errPayloadHash instead of io.EOF if the body's hash is not want.
type hashVerifier struct {
	body io.ReadCloser
	want string
	h    hash.Hash
	err  error
}

func (v *hashVerifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.body.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if hex.EncodeToString(v.h.Sum(nil)) != v.want {
			err = errPayloadHash
		}
		v.err = err
	}
	return n, err
}

func (v *hashVerifier) Close() error { return v.body.Close() }

// readAndRestoreBody reads the body to hash it and puts an identical reader
// back so that the handler can still read it.
func readAndRestoreBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxHashedBody+1))
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %v", ErrMalformedAuth, err)
	}
	if len(body) > maxHashedBody {
		return nil, fmt.Errorf("%w: body too large to hash", ErrMalformedAuth)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// canonicalRequestV4 is METHOD \n URI \n query \n headers \n signed \n hash.
func canonicalRequestV4(r *http.Request, signedHeaders []string, payloadHash string) (string, error) {
	uri, err := canonicalURIV4(r.URL)
	if err != nil {
		return "", err
	}
	query, err := canonicalQueryV4(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	var headers strings.Builder
	for _, name := range signedHeaders {
		value, present := headerValueV4(r, name)
		if !present {
			return "", fmt.Errorf("%w: signed header %q missing", ErrMalformedAuth, name)
		}
		headers.WriteString(name + ":" + value + "\n")
	}
	return strings.Join([]string{
		r.Method, uri, query, headers.String(), strings.Join(signedHeaders, ";"), payloadHash,
	}, "\n"), nil
}

// canonicalURIV4 encodes each decoded path segment once, keeping '/': S3
// neither normalises nor double-encodes the path.
func canonicalURIV4(u *url.URL) (string, error) {
	escaped := u.EscapedPath()
	if escaped == "" {
		return "/", nil
	}
	segments := strings.Split(escaped, "/")
	for i, seg := range segments {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return "", fmt.Errorf("%w: bad path encoding", ErrMalformedAuth)
		}
		segments[i] = uriEncode(dec)
	}
	return strings.Join(segments, "/"), nil
}

// canonicalQueryV4 decodes each k[=v] of the raw query and re-encodes it
// with RFC 3986 rules, sorted by key then value; a bare flag "k" becomes
// "k=", so "ostor-users" and "ostor-users=" canonicalise alike.
func canonicalQueryV4(rawQuery string) (string, error) {
	type kv struct{ k, v string }
	var pairs []kv
	for _, elem := range strings.Split(rawQuery, "&") {
		if elem == "" {
			continue
		}
		rawK, rawV, _ := strings.Cut(elem, "=")
		k, err := url.QueryUnescape(rawK)
		if err != nil {
			return "", fmt.Errorf("%w: bad query encoding", ErrMalformedAuth)
		}
		v, err := url.QueryUnescape(rawV)
		if err != nil {
			return "", fmt.Errorf("%w: bad query encoding", ErrMalformedAuth)
		}
		pairs = append(pairs, kv{uriEncode(k), uriEncode(v)})
	}
	slices.SortFunc(pairs, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&"), nil
}

// headerValueV4 returns a signed header's canonical value: all values joined
// by ',', each trimmed with inner runs of spaces collapsed. Go moves Host
// (and, on the server, Content-Length) out of r.Header, so they are read
// from the request itself.
func headerValueV4(r *http.Request, name string) (string, bool) {
	var values []string
	switch name {
	case "host":
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		if host == "" {
			return "", false
		}
		values = []string{host}
	default:
		values = r.Header.Values(name)
		if len(values) == 0 && name == "content-length" && r.ContentLength >= 0 {
			values = []string{fmt.Sprint(r.ContentLength)}
		}
	}
	if len(values) == 0 {
		return "", false
	}
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ","), true
}

// uriEncode percent-encodes every byte except the RFC 3986 unreserved
// characters, with uppercase hex.
func uriEncode(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// ---------------------------------------------------------------- time

// checkRequestTime applies the skew rule to X-Amz-Date if present, else to
// Date.
func checkRequestTime(r *http.Request, now time.Time) error {
	v := r.Header.Get("X-Amz-Date")
	if v == "" {
		v = r.Header.Get("Date")
	}
	at, err := parseHTTPDate(v)
	if err != nil {
		return err
	}
	return checkSkew(at, now)
}

func parseHTTPDate(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, ErrMissingDate
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, amzDateFormat, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q", ErrMissingDate, v)
}

func checkSkew(at, now time.Time) error {
	d := now.Sub(at)
	if d > MaxClockSkew || d < -MaxClockSkew {
		return fmt.Errorf("%w: %s", ErrTimeSkewed, d)
	}
	return nil
}

// ---------------------------------------------------------------- the Sim

// authenticate accepts a request signed (V2 or V4) by an enabled user with
// the system flag.
func (s *Sim) authenticate(r *http.Request) error {
	owner, err := s.verifySignature(r, VerifyV2)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[owner.userID]
	if u == nil { // deleted between the check and now
		return forbidden("InvalidAccessKeyId", "The access key you provided does not exist")
	}
	if owner.account != "" || !u.system {
		return forbidden("AccessDenied", "The key does not belong to a system user")
	}
	if !u.enabled {
		return forbidden("AccessDenied", "The system user is disabled")
	}
	return nil
}

// enabledCaller is the user whose key (its own or one of its accounts')
// signed a data-plane request (S3, ?replication): it must still exist and
// be enabled. Caller holds s.mu.
func (st *state) enabledCaller(owner keyOwner) (*user, error) {
	u := st.users[owner.userID]
	if u == nil {
		return nil, forbidden("InvalidAccessKeyId", "The access key you provided does not exist")
	}
	if !u.enabled {
		return nil, forbidden("AccessDenied", "Access Denied: the user is disabled")
	}
	return u, nil
}

// verifySignature checks a request's signature (V4, or V2 with the given
// verifier) and returns whose key signed it, or the S3 error to answer.
func (s *Sim) verifySignature(r *http.Request, verifyV2 func(*http.Request, SecretLookup, time.Time) (string, error)) (keyOwner, error) {
	now := s.Now()
	lookup := func(accessKey string) (string, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		owner, known := s.st.keys[accessKey]
		if !known {
			return "", false
		}
		return s.st.secretOf(owner, accessKey)
	}

	h := r.Header.Get("Authorization")
	var accessKey string
	var err error
	switch {
	case h == "":
		err = ErrMissingAuth
	case strings.HasPrefix(h, v4Algorithm+" "):
		var auth V4Authorization
		if auth, err = ParseV4Authorization(h); err == nil {
			if auth.Region != s.opts.Region || auth.Service != "s3" {
				err = fmt.Errorf("%w: scope must be region %s, service s3", ErrMalformedAuth, s.opts.Region)
			} else {
				accessKey, err = VerifyV4(r, lookup, now)
			}
		}
	default:
		accessKey, err = verifyV2(r, lookup, now)
	}
	if err != nil {
		switch {
		case errors.Is(err, ErrUnknownKey):
			return keyOwner{}, forbidden("InvalidAccessKeyId", "The access key you provided does not exist")
		case errors.Is(err, ErrBadSignature):
			return keyOwner{}, forbidden("SignatureDoesNotMatch", "The request signature does not match")
		case errors.Is(err, ErrTimeSkewed):
			return keyOwner{}, forbidden("RequestTimeTooSkewed", "The difference between the request time and the server's time is too large")
		default:
			return keyOwner{}, forbidden("AccessDenied", err.Error())
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	owner, known := s.st.keys[accessKey]
	if !known { // revoked between the check and now
		return keyOwner{}, forbidden("InvalidAccessKeyId", "The access key you provided does not exist")
	}
	return owner, nil
}

func (st *state) secretOf(owner keyOwner, accessKey string) (string, bool) {
	u, ok := st.users[owner.userID]
	if !ok {
		return "", false
	}
	keys := u.keys
	if owner.account != "" {
		a := u.account(owner.account)
		if a == nil {
			return "", false
		}
		keys = a.keys
	}
	for _, k := range keys {
		if k.AccessKeyID == accessKey {
			return k.SecretAccessKey, true
		}
	}
	return "", false
}
