// Package ostor is the client of the ostor S3 cluster's admin API: users,
// key pairs, accounts, buckets, limits, quotas and usage statistics.
//
// The wire contract is docs/ostor-api.md. Every input is validated before a
// request is built, so an EINVALID error means nothing was sent. Every
// failure is a *staas.Error whose Err wraps a *GatewayError when the
// gateway answered.
//
// Where the vendor's documents are silent or disagree, one function holds
// the decision so a real cluster can overturn it in one place:
//   - status → error code: classify (errors.go); the message is taken from
//     X-Amz-Err-Message, else an XML or JSON body, else the body itself
//     (gatewayMessage).
//   - user list shape, bare array or {"Users":[…]}: wireUserList (decode.go).
//   - limit units: numbers pass through unchanged, ops read as per second
//     and bandwidth as KB/s (SetOpsLimit, Limits).
//   - quota units and type: GB, "user"/"bucket" or 0/1 (DecodeQuota).
//   - the bucket size block: Size (types.go).
//   - SigV4 sends the query in its original order after signing (signV4).
package ostor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"staas"
)

// Config tells New how to reach and authenticate to one ostor gateway.
type Config struct {
	// Endpoint is the gateway's base URL, e.g. "https://s3.example.com".
	// The admin API lives at its root path, so the URL has no path.
	Endpoint string
	// AccessKey and SecretKey belong to an S3 user with the system flag.
	AccessKey, SecretKey string
	// Signature is "v2" (the default, what the vendor guide uses) or "v4".
	Signature string
	// Region is only used by SigV4; default "us-east-1".
	Region string
	// UnsignedPayloadHeader makes SigV2 requests send and sign
	// "x-amz-content-sha256: UNSIGNED-PAYLOAD", as newer vendor guides do.
	UnsignedPayloadHeader bool
	// Timeout bounds each attempt, not the whole call (retries add up);
	// default 15s.
	Timeout time.Duration
	// MaxRetries is how many times an idempotent call is repeated after a
	// 5xx or a connection failure; default 3. A negative value disables
	// retries.
	MaxRetries int
	// HTTPClient replaces the shared, tuned client (tests, proxies).
	HTTPClient *http.Client
	// Now replaces time.Now when signing (tests).
	Now func() time.Time
	// Observe, when set, is told of every finished call: its operation
	// ("create user"), how many attempts it took, how long it took in all,
	// and its error (nil on success). It feeds metrics; it must not block.
	Observe func(op string, attempts int, elapsed time.Duration, err error)
}

const redactedSecret = "[redacted]"

// String never shows SecretKey, so a Config can be printed or logged.
func (c Config) String() string {
	secret := ""
	if c.SecretKey != "" {
		secret = redactedSecret
	}
	return fmt.Sprintf("ostor.Config{Endpoint:%q AccessKey:%q SecretKey:%s Signature:%q Region:%q UnsignedPayloadHeader:%t Timeout:%s MaxRetries:%d}",
		c.Endpoint, c.AccessKey, secret, c.Signature, c.Region, c.UnsignedPayloadHeader, c.Timeout, c.MaxRetries)
}

// GoString keeps %#v from printing the secret field by field.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from printing the secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.Endpoint),
		slog.String("access_key", c.AccessKey),
		slog.String("secret_key", redactedSecret),
		slog.String("signature", c.Signature),
		slog.String("region", c.Region),
		slog.Bool("unsigned_payload_header", c.UnsignedPayloadHeader),
		slog.Duration("timeout", c.Timeout),
		slog.Int("max_retries", c.MaxRetries),
	)
}

const (
	defaultRegion     = "us-east-1"
	defaultTimeout    = 15 * time.Second
	defaultMaxRetries = 3
	// maxBody caps a buffered answer. The only answers that can grow large
	// are usage objects, and StreamUsageObject reads those without a cap.
	maxBody = 256 << 20
	// maxErrorBody caps what is read of an error answer: only its message
	// is wanted.
	maxErrorBody = 64 << 10
)

// Client talks to one gateway. It is safe for concurrent use.
type Client struct {
	base            string // scheme://host, no trailing slash
	accessKey       string
	secretKey       string
	sigV4           bool
	region          string
	unsignedPayload bool
	timeout         time.Duration
	maxRetries      int
	hc              *http.Client
	now             func() time.Time
	observe         func(op string, attempts int, elapsed time.Duration, err error)

	// See backoff. Tests shorten them.
	backoffBase, backoffMax time.Duration
}

// New validates cfg and returns a Client. Errors are EINVALID and name the
// field at fault; they never contain the secret.
func New(cfg Config) (*Client, error) {
	bad := func(format string, args ...any) error {
		return staas.Errorf(staas.EINVALID, "ostor: config: "+format, args...)
	}
	if cfg.Endpoint == "" {
		return nil, bad("Endpoint is required")
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, bad("Endpoint is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, bad("Endpoint must start with http:// or https://")
	}
	if u.Host == "" {
		return nil, bad("Endpoint has no host")
	}
	if u.User != nil {
		return nil, bad("Endpoint must not carry credentials; use AccessKey and SecretKey")
	}
	if u.Path != "" && u.Path != "/" {
		// SigV2 signs "/?ostor-…"; a path prefix would change the
		// canonical resource the gateway expects.
		return nil, bad("Endpoint must not have a path: the admin API lives at the root")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("Endpoint must not have a query or fragment")
	}
	if cfg.AccessKey == "" {
		return nil, bad("AccessKey is required")
	}
	if strings.ContainsAny(cfg.AccessKey, ": \t\r\n") {
		return nil, bad("AccessKey contains a space, a colon or a control character")
	}
	if cfg.SecretKey == "" {
		return nil, bad("SecretKey is required")
	}
	c := &Client{
		base:            u.Scheme + "://" + u.Host,
		accessKey:       cfg.AccessKey,
		secretKey:       cfg.SecretKey,
		region:          cfg.Region,
		unsignedPayload: cfg.UnsignedPayloadHeader,
		timeout:         cfg.Timeout,
		maxRetries:      cfg.MaxRetries,
		hc:              cfg.HTTPClient,
		now:             cfg.Now,
		observe:         cfg.Observe,
		backoffBase:     100 * time.Millisecond,
		backoffMax:      2 * time.Second,
	}
	switch cfg.Signature {
	case "", "v2":
	case "v4":
		c.sigV4 = true
	default:
		return nil, bad("Signature must be \"v2\" or \"v4\", not %q", cfg.Signature)
	}
	if c.region == "" {
		c.region = defaultRegion
	}
	switch {
	case c.timeout == 0:
		c.timeout = defaultTimeout
	case c.timeout < 0:
		return nil, bad("Timeout must not be negative")
	}
	switch {
	case cfg.MaxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case cfg.MaxRetries < 0:
		c.maxRetries = 0
	case cfg.MaxRetries > 10:
		return nil, bad("MaxRetries must be at most 10")
	}
	if c.hc == nil {
		c.hc = sharedHTTPClient()
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// sharedHTTPClient is one client for every Client in the process, so all
// of them draw from one pool of kept-alive connections. The admin API is
// many small calls to one host: keeping connections open saves a TCP and
// TLS handshake per call.
var sharedHTTPClient = sync.OnceValue(func() *http.Client {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second, // the attempt's context is the tighter bound
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: t,
		// A redirect from the admin API is unexpected; following it would
		// resend a signed request somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
})

// query builds "ostor-<service>&k=v&flag". The service keyword comes first
// because SigV2 signs only what precedes the first '&'.
type query struct{ b strings.Builder }

func newQuery(service string) *query {
	q := &query{}
	q.b.WriteString("ostor-")
	q.b.WriteString(service)
	return q
}

// set adds k=v with v percent-encoded, so a value cannot add or change a
// parameter ("a&b=c#d" stays one value).
func (q *query) set(k, v string) *query {
	q.b.WriteByte('&')
	q.b.WriteString(k)
	q.b.WriteByte('=')
	q.b.WriteString(escape(v))
	return q
}

// flag adds a parameter without a value, e.g. "genKey".
func (q *query) flag(k string) *query {
	q.b.WriteByte('&')
	q.b.WriteString(k)
	return q
}

func (q *query) String() string { return q.b.String() }

// escape is url.QueryEscape with %20 for space: RFC 3986 form, which both
// S3 signers and form decoders read the same way.
func escape(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}

// request is one admin call.
type request struct {
	op     string // for messages: "create user"
	method string
	query  string
	// path is "/" (the admin API) unless set: "/<bucket>" for a bucket's
	// sub-resource such as ?replication.
	path string
	// body and header are sent as they are (a bucket sub-resource's XML
	// and its x-amz-* headers); admin calls have neither.
	body   []byte
	header http.Header
	// idempotent calls are retried after a 5xx or a connection failure.
	idempotent bool
	// goneIsDone makes a 404 a success when an earlier attempt's outcome is
	// unknown: that attempt may have deleted the thing, and the caller wants
	// it gone, which it is.
	goneIsDone bool
	// on400 and on409 override the code of those statuses for this call
	// (docs/ostor-api.md, "Status → code").
	on400, on409 string
}

// errAttemptTimeout is the cause of an attempt's context when Timeout hit.
var errAttemptTimeout = errors.New("attempt timed out")

// outcome is what one attempt produced.
type outcome struct {
	status int
	header http.Header
	body   []byte        // buffered calls
	stream io.ReadCloser // streaming calls, 2xx only
	// err is a transport failure (no usable status); ambiguous means the
	// gateway may have acted on the request anyway.
	err       error
	ambiguous bool
}

// do runs r with retries and returns the body of a 2xx answer.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	o, err := c.run(ctx, r, false)
	if err != nil {
		return nil, err
	}
	return o.body, nil
}

// open runs r with retries and returns the body of a 2xx answer unread.
// Retries stop once a status has arrived: a body that fails half-way is
// not re-fetched because the caller has already consumed part of it. The
// per-attempt timeout covers the wait for the status only; reading the
// body is bounded by ctx, so a large object is not cut off.
func (c *Client) open(ctx context.Context, r request) (io.ReadCloser, error) {
	o, err := c.run(ctx, r, true)
	if err != nil {
		return nil, err
	}
	return o.stream, nil
}

func (c *Client) run(ctx context.Context, r request, stream bool) (outcome, error) {
	start := time.Now()
	o, tries, err := c.retry(ctx, r, stream)
	if c.observe != nil {
		c.observe(r.op, tries, time.Since(start), err)
	}
	return o, err
}

// retry runs the attempts of one call and says how many it made.
func (c *Client) retry(ctx context.Context, r request, stream bool) (outcome, int, error) {
	attempts := 1
	if r.idempotent {
		attempts += c.maxRetries
	}
	var last outcome
	unknown := false // an earlier attempt may have taken effect
	tries := 0
	for tries < attempts {
		if tries > 0 {
			if err := c.sleep(ctx, tries-1); err != nil {
				return last, tries, c.canceled(r.op, err)
			}
		}
		tries++
		o := c.attempt(ctx, r, stream)
		if o.err == nil && o.status/100 == 2 {
			return o, tries, nil
		}
		if o.err == nil && o.status == http.StatusNotFound && r.goneIsDone && unknown {
			return outcome{status: http.StatusNoContent}, tries, nil
		}
		if o.err != nil && ctx.Err() != nil {
			// The caller gave up; that is not the gateway's fault.
			return o, tries, c.canceled(r.op, context.Cause(ctx))
		}
		last = o
		if !retryable(o) {
			break
		}
		unknown = unknown || o.ambiguous || o.status >= 500
	}
	return last, tries, c.failure(r, last)
}

// retryable says whether another attempt may get a different answer:
// connection failures, time-outs, 5xx and 429 (throttling) may; other
// statuses are the gateway's considered answer.
func retryable(o outcome) bool {
	if errors.Is(o.err, errNotSent) || errors.Is(o.err, errTooLarge) {
		return false // the same request would fail the same way
	}
	if o.err != nil {
		return true
	}
	return o.status >= 500 || o.status == http.StatusTooManyRequests
}

// sleep waits before retry n with jittered exponential backoff. The jitter
// spreads the retries of many concurrent callers after a gateway restart.
func (c *Client) sleep(ctx context.Context, n int) error {
	t := time.NewTimer(c.backoff(n))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// backoff is the pause before retry n (0-based): a random duration in
// [d/2, d] with d = min(backoffBase·2^n, backoffMax).
func (c *Client) backoff(n int) time.Duration {
	d := c.backoffMax
	if n < 16 && c.backoffBase<<n < c.backoffMax {
		d = c.backoffBase << n
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// attempt sends r once.
func (c *Client) attempt(ctx context.Context, r request, stream bool) outcome {
	actx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.timeout, func() { cancel(errAttemptTimeout) })
	done := func() {
		timer.Stop()
		cancel(nil)
	}

	path := r.path
	if path == "" {
		path = "/"
	}
	var reqBody io.Reader
	if r.body != nil {
		reqBody = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, c.base+path+"?"+r.query, reqBody)
	if err != nil {
		done()
		return outcome{err: fmt.Errorf("%w: %w", errNotSent, err)}
	}
	for name, values := range r.header {
		req.Header[name] = values
	}
	req.Header.Set("User-Agent", "staas-ostor/1")
	if err := c.sign(actx, req); err != nil {
		done()
		return outcome{err: fmt.Errorf("%w: %w", errNotSent, err)}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		done()
		if cause := context.Cause(actx); errors.Is(cause, errAttemptTimeout) {
			err = fmt.Errorf("%w after %s", errAttemptTimeout, c.timeout)
		}
		// The request may have reached the gateway before the failure.
		return outcome{err: err, ambiguous: true}
	}
	o := outcome{status: resp.StatusCode, header: resp.Header}
	if stream && o.status/100 == 2 {
		// From here on only ctx bounds the read (see open).
		timer.Stop()
		o.stream = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
		return o
	}
	defer done()
	defer resp.Body.Close()
	limit := int64(maxBody)
	if o.status/100 != 2 {
		limit = maxErrorBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if cause := context.Cause(actx); errors.Is(cause, errAttemptTimeout) {
			err = fmt.Errorf("%w after %s while reading the answer", errAttemptTimeout, c.timeout)
		}
		return outcome{err: err, ambiguous: true}
	}
	if int64(len(body)) > limit {
		if o.status/100 == 2 {
			return outcome{status: o.status, err: errTooLarge}
		}
		body = body[:limit]
	}
	o.body = body
	return o
}

var (
	errTooLarge = errors.New("answer larger than 256 MiB")
	// errNotSent marks a request that could not be built or signed: a bug
	// or a bad configuration, not the gateway's doing.
	errNotSent = errors.New("request not sent")
)

// cancelOnClose releases the attempt's context when the caller closes the
// streamed body.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// failure turns the last attempt into a *staas.Error.
func (c *Client) failure(r request, o outcome) error {
	if errors.Is(o.err, errTooLarge) || errors.Is(o.err, errNotSent) {
		return &staas.Error{Code: staas.EINTERNAL, Message: Sentence(r.op, staas.EINTERNAL), Err: fmt.Errorf("ostor: %s: %w", r.op, o.err)}
	}
	if o.err != nil {
		return &staas.Error{Code: staas.EUNAVAILABLE, Message: Sentence(r.op, staas.EUNAVAILABLE), Err: fmt.Errorf("ostor: %s: gateway unreachable: %w", r.op, o.err)}
	}
	return classify(r, o.status, o.header, o.body)
}

func (c *Client) canceled(op string, cause error) error {
	return &staas.Error{Code: staas.EUNAVAILABLE, Message: Sentence(op, staas.EUNAVAILABLE), Err: fmt.Errorf("ostor: %s: canceled: %w", op, cause)}
}
