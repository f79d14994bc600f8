// Package ecssim is a stateful simulator of the Dell EMC ECS / ObjectScale
// 4.x management REST API: login tokens, namespaces, object users, secret
// keys, buckets, quotas and billing (metering). It has its own request
// parser and answer encoder and shares nothing with any client.
//
// Answers are JSON (bare objects) when Accept asks for application/json or
// the path ends in .json, else XML under a root element; request bodies
// are read as JSON or XML by Content-Type. Errors are
// {code, description, details, retryable}: 1004 missing parameter, 1008
// invalid parameter, 1013 bad body (400), 1015 exists (409), 1019 not found
// (404), 4000 authentication (401), 6000 unavailable (503), 6401
// insufficient permissions (500, a fault).
//
// Routes: GET /login, /logout[?force=true], /user/whoami;
// /vdc/data-service/vpools; /object/namespaces[/namespace[/{ns}[/quota|
// /deactivate]]]; /object/users[/{ns}], /object/users/{uid}/info|tags,
// /object/users/lock[/{uid}], /object/users/deactivate;
// /object/user-secret-keys/{uid}[/deactivate]; /object/bucket[/{name}/info|
// quota|deactivate]; /object/billing/buckets/{ns}/{bucket}/info|sample,
// /object/billing/buckets/{ns}/info|sample (POST id list),
// /object/billing/namespace/{ns}/info|sample,
// /object/billing/namespace/info|sample (POST id list).
//
// The clock is the simulator's own (Advance) unless Options.WallClock.
// Metering is up to date till the clock less UptodateLag, truncated to five
// minutes; samples see no traffic after that.
package ecssim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options shape a simulator. The zero value is usable: defaults are filled
// in by New.
type Options struct {
	// Username and Password of the management user (default root /
	// ChangeMe).
	Username, Password string
	// Start is the simulated clock's first reading (default
	// 2026-01-01T10:00:00Z). Ignored with WallClock.
	Start time.Time
	// WallClock makes the simulator follow the real clock (standalone);
	// otherwise the clock moves only by Advance.
	WallClock bool
	// TokenMaxAge is a token's lifetime (default 8h).
	TokenMaxAge time.Duration
	// TokenCap is the number of live tokens a user may hold (default 100).
	TokenCap int
	// UptodateLag is how far metering trails the clock (default 10m).
	UptodateLag time.Duration
	// StringNumbers writes JSON numbers as quoted strings, as real ECS
	// often does. Nil means true.
	StringNumbers *bool
	// BulkRootPlural names the XML root of POST /object/billing/namespace/info
	// namespace_billing_infos (nil means true) rather than namespace_billing_info.
	BulkRootPlural *bool
	// HideSecretKey leaves secret keys out of GET /object/user-secret-keys.
	HideSecretKey bool
	// BillingPageSize is how many buckets one page of namespace billing
	// detail holds (default 100).
	BillingPageSize int
	// Faults are the initial fault settings.
	Faults Faults
	// EmptyBucketPolls is how many reads of a bucket's empty-bucket-status
	// answer IN_PROGRESS after DELETE with emptyBucket=true, before the
	// bucket is gone and the status DONE (0: emptied at once).
	EmptyBucketPolls int
	// Demo seeds a few namespaces, users and buckets with a day of traffic.
	Demo bool
}

// Bool returns a pointer to b, for the Options fields that default to true.
func Bool(b bool) *bool { return &b }

// Server is one simulated ECS.
type Server struct {
	opt           Options
	stringNumbers bool
	bulkPlural    bool

	mu       sync.Mutex
	now      time.Time
	tokens   map[string]*token
	ns       map[string]*namespace
	users    map[string]*user
	buckets  map[string]*bucket
	emptying map[string]*emptyJob // by bucketKey: emptyBucket deletions, running or ended
	faults   Faults
	rng      *mrand.Rand
	logins   int
	requests map[string]int
	inFlight int
}

// New builds a simulator.
func New(opt Options) (*Server, error) {
	if opt.Username == "" {
		opt.Username = "root"
	}
	if opt.Password == "" {
		opt.Password = "ChangeMe"
	}
	if opt.Start.IsZero() {
		opt.Start = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	}
	if opt.TokenMaxAge <= 0 {
		opt.TokenMaxAge = 8 * time.Hour
	}
	if opt.TokenCap <= 0 {
		opt.TokenCap = 100
	}
	if opt.UptodateLag < 0 {
		return nil, fmt.Errorf("ecssim: negative UptodateLag")
	}
	if opt.UptodateLag == 0 {
		opt.UptodateLag = 10 * time.Minute
	}
	if opt.BillingPageSize <= 0 {
		opt.BillingPageSize = 100
	}
	for _, r := range []float64{opt.Faults.ErrorRate, opt.Faults.DropRate, opt.Faults.LoseAnswerRate, opt.Faults.RefuseRate} {
		if r < 0 || r > 1 {
			return nil, fmt.Errorf("ecssim: fault rates must be between 0 and 1")
		}
	}
	s := &Server{
		opt:           opt,
		stringNumbers: opt.StringNumbers == nil || *opt.StringNumbers,
		bulkPlural:    opt.BulkRootPlural == nil || *opt.BulkRootPlural,
		now:           opt.Start.UTC(),
		tokens:        map[string]*token{},
		ns:            map[string]*namespace{},
		users:         map[string]*user{},
		buckets:       map[string]*bucket{},
		emptying:      map[string]*emptyJob{},
		faults:        opt.Faults,
		rng:           mrand.New(mrand.NewPCG(1, 2)),
		requests:      map[string]int{},
	}
	if opt.Demo {
		if err := s.SeedDemo(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Now is the simulator's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock()
}

func (s *Server) clock() time.Time {
	if s.opt.WallClock {
		return time.Now().UTC()
	}
	return s.now
}

// Advance moves the simulated clock forward.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d)
}

// Logins counts successful logins.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Requests counts requests to one URL path (as sent, without the query).
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// RequestCounts is a copy of the per-path request counters.
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		m[k] = v
	}
	return m
}

// LiveTokens is the number of tokens not yet expired or logged out.
func (s *Server) LiveTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireTokens()
	return len(s.tokens)
}

// Handler is the management API.
func (s *Server) Handler() http.Handler { return s }

// NewTestServer starts an httptest server over the simulator.
func (s *Server) NewTestServer() *httptest.Server { return httptest.NewServer(s) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// ServeHTTP applies faults, authenticates and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = suffixFormat(r)
	s.mu.Lock()
	s.requests[r.URL.Path]++
	fate := s.decideFault(r.URL.Path)
	if max := s.faults.MaxInFlight; max > 0 && s.inFlight >= max && fate == faultNone {
		fate = faultUnavailable
	}
	s.inFlight++
	lat := s.faults.Latency
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if lat > 0 {
		select {
		case <-time.After(lat):
		case <-r.Context().Done():
			return
		}
	}
	switch fate {
	case faultDrop:
		dropConn(w)
		return
	case faultUnavailable:
		writeError(w, r, s.stringNumbers, &apiError{status: 503, code: 6000, desc: "Service unavailable", retryable: true})
		return
	case faultRefuse:
		writeError(w, r, s.stringNumbers, &apiError{status: 500, code: 6401, desc: "Insufficient permissions"})
		return
	case faultLoseAnswer:
		rec := httptest.NewRecorder()
		s.serve(rec, r)
		dropConn(w)
		return
	}
	s.serve(w, r)
}

// suffixFormat turns a path ending in .json or .xml, which ECS accepts as
// a choice of format, into the bare path and an Accept header.
func suffixFormat(r *http.Request) *http.Request {
	for suffix, mt := range map[string]string{".json": "application/json", ".xml": "application/xml"} {
		if p, ok := strings.CutSuffix(r.URL.Path, suffix); ok && p != "" {
			r = r.Clone(r.Context())
			r.URL.Path = p
			r.URL.RawPath = ""
			r.Header.Set("Accept", mt)
			return r
		}
	}
	return r
}

func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	c.Close()
}

type ctxKey struct{}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/login" {
		s.login(w, r)
		return
	}
	tok := r.Header.Get("X-SDS-AUTH-TOKEN")
	if tok == "" {
		if c, err := r.Cookie("X-SDS-AUTH-TOKEN"); err == nil {
			tok = c.Value
		}
	}
	s.mu.Lock()
	s.expireTokens()
	t := s.tokens[tok]
	s.mu.Unlock()
	if t == nil {
		writeError(w, r, s.stringNumbers, &apiError{status: 401, code: 4000, desc: "Invalid credentials or authentication token", details: "Token missing, unknown or expired"})
		return
	}
	if p == "/logout" {
		s.logout(w, r, tok, t.user)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, t.user))
	s.mu.Lock()
	res, err := s.route(r)
	s.mu.Unlock()
	if err != nil {
		writeError(w, r, s.stringNumbers, err)
		return
	}
	writeResult(w, r, s.stringNumbers, res)
}

// route dispatches one authenticated request. Caller holds s.mu.
func (s *Server) route(r *http.Request) (*result, error) {
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	m := r.Method
	at := func(i int) string {
		if i < len(seg) {
			return seg[i]
		}
		return ""
	}
	n := len(seg)
	switch {
	case n == 2 && seg[0] == "user" && seg[1] == "whoami" && m == "GET":
		return s.whoami(r), nil
	case n == 3 && seg[0] == "vdc" && seg[1] == "data-service" && seg[2] == "vpools" && m == "GET":
		return s.vpools(), nil
	}
	if at(0) != "object" {
		return nil, notFound("no such resource: " + r.URL.Path)
	}
	switch at(1) {
	case "namespaces":
		return s.routeNamespaces(r, seg[2:])
	case "users":
		return s.routeUsers(r, seg[2:])
	case "user-secret-keys":
		return s.routeKeys(r, seg[2:])
	case "bucket":
		return s.routeBuckets(r, seg[2:])
	case "billing":
		return s.routeBilling(r, seg[2:])
	}
	return nil, notFound("no such resource: " + r.URL.Path)
}
