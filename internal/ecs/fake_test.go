package ecs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"staas/internal/ecs"
)

const (
	testUser     = "mgmt"
	testPassword = "pw-Sup3rSecret-42"
)

// fakeECS is a minimal ECS management API: login with basic auth, token
// checks, and routes a test fills in. It counts logins, requests and
// requests in flight.
type fakeECS struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	tokens map[string]bool
	routes map[string]http.HandlerFunc

	logins   atomic.Int64
	requests atomic.Int64 // every request, logins included
	inflight atomic.Int64
	maxIn    atomic.Int64
	delay    time.Duration
	log      []string // "METHOD path body" of every request but logins
	// loginFail, when set, answers GET /login instead.
	loginFail http.HandlerFunc
}

func newFake(t testing.TB) *fakeECS {
	f := &fakeECS{t: t, tokens: map[string]bool{}, routes: map[string]http.HandlerFunc{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.route("GET /user/whoami", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"common_name": testUser, "roles": []string{"SYSTEM_ADMIN"}})
	})
	f.route("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		delete(f.tokens, r.Header.Get("X-SDS-AUTH-TOKEN"))
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"user": testUser})
	})
	return f
}

func (f *fakeECS) route(key string, h http.HandlerFunc) {
	f.mu.Lock()
	f.routes[key] = h
	f.mu.Unlock()
}

// expireAll forgets every token, as ECS does when they age out.
func (f *fakeECS) expireAll() {
	f.mu.Lock()
	f.tokens = map[string]bool{}
	f.mu.Unlock()
}

func (f *fakeECS) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if r.URL.Path == "/login" {
		if f.loginFail != nil {
			f.loginFail(w, r)
			return
		}
		u, p, ok := r.BasicAuth()
		if !ok || u != testUser || p != testPassword {
			writeJSON(w, 401, map[string]any{"code": 4000, "description": "Invalid credentials or authentication token provided to access to this resource", "retryable": false})
			return
		}
		n := f.logins.Add(1)
		tok := fmt.Sprintf("TOKEN-%d-opaque", n)
		f.mu.Lock()
		f.tokens[tok] = true
		f.mu.Unlock()
		w.Header().Set("X-SDS-AUTH-TOKEN", tok)
		w.Header().Set("X-SDS-AUTH-MAX-AGE", "28800")
		writeJSON(w, 200, map[string]any{"user": testUser})
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	f.log = append(f.log, strings.TrimSpace(r.Method+" "+r.URL.Path+" "+string(bytes.TrimSpace(body))))
	ok := f.tokens[r.Header.Get("X-SDS-AUTH-TOKEN")]
	h := f.routes[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, 401, map[string]any{"code": 4000, "description": "Invalid credentials or authentication token provided to access to this resource", "retryable": false})
		return
	}
	if h == nil {
		writeJSON(w, 404, map[string]any{"code": 1019, "description": "Resource not found", "details": r.Method + " " + r.URL.Path, "retryable": false})
		return
	}
	h(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (f *fakeECS) client(t testing.TB, mod ...func(*ecs.Config)) *ecs.Client {
	t.Helper()
	cfg := ecs.Config{Endpoint: f.srv.URL, Username: testUser, Password: testPassword}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := ecs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// calls is the request log.
func (f *fakeECS) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}
