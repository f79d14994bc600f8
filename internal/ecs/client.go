// Package ecs is the client of the Dell ECS / ObjectScale 4.x management
// REST API (port 4443). It implements provision.Backend and usage.Backend
// in staas's own words.
//
// Assumptions, each kept in one place:
//   - an object user's uid is the staas email address itself (ECS accepts
//     such names), and the S3 access key id is that uid: ECS's secret-key
//     API has no access-key field (userID);
//   - in per-user mode every S3 user has a namespace of its own whose name
//     is derived from the email (NamespaceFor);
//   - ingress and egress in billing samples are bytes (usage.go);
//   - sizeunit KB, MB and GB mean KiB, MiB and GiB, as 4.x documents
//     (BucketBillingInfo.Bytes).
//
// Authentication: one token from GET /login, reused until a 401 or its
// max age; a 401 gives one re-login (shared by every request that saw it)
// and one retry. No other status logs in again: ECS caps a user at 100
// tokens.
package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"staas"
)

// Config configures a Client.
type Config struct {
	Endpoint string // https://host:4443 (http allowed for a simulator)
	// Username and Password are the management user's (basic auth of
	// GET /login).
	Username, Password string
	// Namespace "" gives every S3 user a namespace of its own; otherwise
	// every user goes into this shared namespace.
	Namespace string
	// ReplicationGroup is the vpool id of namespaces staas creates; ""
	// is the first of GET /vdc/data-service/vpools.
	ReplicationGroup string
	// KeyGrace is how long an existing key stays valid when a second
	// key is created (default 60m).
	KeyGrace time.Duration
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// Concurrency bounds the requests in flight (default 4: ECS is
	// reported to struggle above that).
	Concurrency int
	HTTPClient  *http.Client
	Now         func() time.Time
	// UsageLookback is how far back EachUsageObject lists hourly
	// windows (default 7 days).
	UsageLookback time.Duration
	// EmptyPoll is how often a bucket being emptied is asked for its
	// status (default 2s); EmptyWait is how long PurgeUserBucket waits
	// for it before saying it is still running (default 45s, inside a
	// WHMCS module call's time).
	EmptyPoll, EmptyWait time.Duration
	Logger               *slog.Logger
}

// Client talks to one ECS cluster's management API. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
	log  *slog.Logger
	sem  chan struct{}

	mu       sync.Mutex
	token    string
	expires  time.Time
	gen      uint64        // bumped by every login
	login    chan struct{} // non-nil while a login is in flight
	loginErr error
}

// New checks cfg and returns a client. Nothing is sent until the first call.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, staas.Errorf(staas.EINVALID, "The ECS endpoint is required (https://host:4443).")
	}
	u, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, staas.Errorf(staas.EINVALID, "The ECS endpoint %q is not an http(s) URL.", cfg.Endpoint)
	}
	if cfg.Username == "" || cfg.Password == "" {
		return nil, staas.Errorf(staas.EINVALID, "The ECS management username and password are required.")
	}
	if cfg.Namespace != "" && !validNamespace(cfg.Namespace) {
		return nil, staas.Errorf(staas.EINVALID, "The ECS namespace %q may hold only letters, digits, '-' and '_'.", cfg.Namespace)
	}
	if cfg.KeyGrace <= 0 {
		cfg.KeyGrace = 60 * time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UsageLookback <= 0 {
		cfg.UsageLookback = 7 * 24 * time.Hour
	}
	if cfg.EmptyPoll <= 0 {
		cfg.EmptyPoll = 2 * time.Second
	}
	if cfg.EmptyWait <= 0 {
		cfg.EmptyWait = 45 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// An expired token answers 302 to /login unless redirects are not
	// followed; ECS documents 401 for clients that do not follow.
	hc := *cfg.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{cfg: cfg, base: u, hc: &hc, log: cfg.Logger, sem: make(chan struct{}, cfg.Concurrency)}, nil
}

func validNamespace(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

// Close ends the held token (GET /logout). A token ECS already dropped
// (401) is not an error.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	tok := c.token
	c.token = ""
	c.mu.Unlock()
	if tok == "" {
		return nil
	}
	resp, err := c.send(ctx, http.MethodGet, "/logout", nil, nil, tok)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode/100 == 2 {
		return nil
	}
	return c.apiError(resp, "GET /logout")
}

// acquire takes a concurrency slot.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return unavailable(ctx.Err(), "ECS request cancelled")
	}
}

func (c *Client) release() { <-c.sem }

// currentToken returns a usable token and its generation, logging in when
// there is none (or it is past its max age). Concurrent callers share one
// login.
func (c *Client) currentToken(ctx context.Context, staleGen uint64, stale bool) (string, uint64, error) {
	for {
		c.mu.Lock()
		valid := c.token != "" && (c.expires.IsZero() || c.cfg.Now().Before(c.expires))
		if valid && !(stale && c.gen == staleGen) {
			tok, gen := c.token, c.gen
			c.mu.Unlock()
			return tok, gen, nil
		}
		if ch := c.login; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return "", 0, unavailable(ctx.Err(), "ECS request cancelled")
			}
			c.mu.Lock()
			err := c.loginErr
			if err == nil && c.token != "" {
				tok, gen := c.token, c.gen
				c.mu.Unlock()
				return tok, gen, nil
			}
			c.mu.Unlock()
			if err != nil {
				return "", 0, err
			}
			continue
		}
		ch := make(chan struct{})
		c.login = ch
		c.mu.Unlock()

		tok, maxAge, err := c.doLogin(ctx)

		c.mu.Lock()
		c.loginErr = err
		if err == nil {
			c.token = tok
			c.gen++
			c.expires = time.Time{}
			if maxAge > 0 {
				c.expires = c.cfg.Now().Add(maxAge - maxAge/20)
			}
		} else {
			c.token = ""
		}
		c.login = nil
		gen := c.gen
		c.mu.Unlock()
		close(ch)
		if err != nil {
			return "", 0, err
		}
		return tok, gen, nil
	}
}

// doLogin is GET /login with basic auth.
func (c *Client) doLogin(ctx context.Context) (string, time.Duration, error) {
	if err := c.acquire(ctx); err != nil {
		return "", 0, err
	}
	defer c.release()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+"/login", nil)
	if err != nil {
		return "", 0, staas.Errorf(staas.EINTERNAL, "Could not build the ECS login request.")
	}
	req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", 0, unavailable(scrub(err), "Could not reach ECS at %s to log in", c.base.Host)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		e := c.apiError(resp, "GET /login")
		return "", 0, e
	}
	tok := resp.Header.Get("X-SDS-AUTH-TOKEN")
	if tok == "" {
		return "", 0, staas.Errorf(staas.EINTERNAL, "ECS at %s answered the login without an X-SDS-AUTH-TOKEN header.", c.base.Host)
	}
	var maxAge time.Duration
	if s := resp.Header.Get("X-SDS-AUTH-MAX-AGE"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			maxAge = time.Duration(n) * time.Second
		}
	}
	c.log.Debug("ecs: logged in", "endpoint", c.base.Host, "user", c.cfg.Username)
	return tok, maxAge, nil
}

// send makes one request with the given token (no retry, no login).
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, token string) (*http.Response, error) {
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	u := c.base.String() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		cancel()
		c.release()
		return nil, staas.Errorf(staas.EINVALID, "Could not build the ECS request %s %s.", method, path)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-SDS-AUTH-TOKEN", token)
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		c.release()
		return nil, unavailable(scrub(err), "Could not reach ECS at %s (%s %s)", c.base.Host, method, path)
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, done: func() { cancel(); c.release() }}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
}

// do sends a request, logging in first if needed; on a 401 it logs in
// once more (shared with concurrent callers) and retries once. It decodes
// a 2xx answer into out (nil: ignore the body).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return staas.Errorf(staas.EINTERNAL, "Could not encode the ECS request %s %s.", method, path)
		}
		body = b
	}
	tok, gen, err := c.currentToken(ctx, 0, false)
	if err != nil {
		return err
	}
	resp, err := c.send(ctx, method, path, query, body, tok)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusFound {
		drain(resp)
		tok, _, err = c.currentToken(ctx, gen, true)
		if err != nil {
			return err
		}
		resp, err = c.send(ctx, method, path, query, body, tok)
		if err != nil {
			return err
		}
	}
	defer drain(resp)
	if resp.StatusCode/100 != 2 {
		return c.apiError(resp, method+" "+path)
	}
	if out == nil {
		return nil
	}
	return decodeBody(resp, out, method+" "+path)
}

// decodeBody decodes by the answer's Content-Type: XML if it says xml,
// JSON otherwise. An empty body leaves out as it is.
func decodeBody(resp *http.Response, out any, what string) error {
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return unavailable(scrub(err), "Could not read ECS's answer to %s", what)
	}
	return decodeBytes(resp.Header.Get("Content-Type"), data, out, what)
}

func decodeBytes(contentType string, data []byte, out any, what string) error {
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var err error
	if isXML(contentType) {
		err = xml.Unmarshal(data, out)
	} else {
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		return &staas.Error{Code: staas.EINTERNAL, Message: fmt.Sprintf("ECS answered %s with a body staas cannot read.", what), Err: err}
	}
	return nil
}

func isXML(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.HasSuffix(mt, "/xml") || strings.HasSuffix(mt, "+xml")
}

// unavailable is a temporary failure: the cluster could not be reached
// or asked us to try again.
func unavailable(cause error, format string, args ...any) error {
	return &staas.Error{Code: staas.EUNAVAILABLE, Message: fmt.Sprintf(format, args...) + ".", Err: cause}
}

// scrub drops the URL from a transport error (it never holds the
// password or token, but a query may hold names): keep the cause only.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
