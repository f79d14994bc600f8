package ecs_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/internal/ecs"
)

func TestTokenReuse(t *testing.T) {
	f := newFake(t)
	c := f.client(t)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.logins.Load(); n != 1 {
		t.Fatalf("logins = %d, want 1 for 50 calls", n)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestReloginOnceOn401(t *testing.T) {
	f := newFake(t)
	c := f.client(t)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	f.expireAll()
	before := f.requests.Load()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.logins.Load(); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
	// whoami (401), login, whoami again.
	if n := f.requests.Load() - before; n != 3 {
		t.Fatalf("requests = %d, want 3", n)
	}
}

func TestRetryStillUnauthorizedGivesUp(t *testing.T) {
	f := newFake(t)
	f.route("GET /user/whoami", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, map[string]any{"code": 4000, "description": "Invalid credentials or authentication token provided to access to this resource", "retryable": false})
	})
	c := f.client(t)
	err := c.Ping(context.Background())
	if staas.ErrorCode(err) != staas.EUNAUTHORIZED {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	if n := f.logins.Load(); n != 2 {
		t.Fatalf("logins = %d, want 2 (one re-login, no more)", n)
	}
}

func TestNoReloginOn404Or500(t *testing.T) {
	for _, status := range []int{404, 500, 403, 400} {
		f := newFake(t)
		f.route("GET /user/whoami", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, map[string]any{"code": 7000, "description": "boom", "retryable": status == 500})
		})
		c := f.client(t)
		for i := 0; i < 5; i++ {
			if err := c.Ping(context.Background()); err == nil {
				t.Fatalf("%d: no error", status)
			}
		}
		if n := f.logins.Load(); n != 1 {
			t.Fatalf("%d: logins = %d, want 1", status, n)
		}
	}
}

func TestTokenCap(t *testing.T) {
	f := newFake(t)
	f.loginFail = func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, 401, "application/xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><error><code>4000</code><description>Invalid credentials or authentication token provided to access to this resource</description><details>Max number of tokens exceeded for this user</details><retryable>false</retryable></error>`)
	}
	c := f.client(t)
	err := c.Ping(context.Background())
	if staas.ErrorCode(err) != staas.EUNAUTHORIZED {
		t.Fatalf("code = %q (%v)", staas.ErrorCode(err), err)
	}
	if !strings.Contains(err.Error(), "Max number of tokens exceeded") {
		t.Fatalf("error does not name the token cap: %v", err)
	}
}

func TestConcurrent401ShareOneLogin(t *testing.T) {
	f := newFake(t)
	c := f.client(t)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	f.expireAll()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.Ping(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.logins.Load(); n != 2 {
		t.Fatalf("logins = %d, want 2 (one shared re-login)", n)
	}
}

func TestConcurrencyNeverAbove4(t *testing.T) {
	f := newFake(t)
	f.delay = 3_000_000 // 3ms
	c := f.client(t)
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Ping(context.Background())
		}()
	}
	wg.Wait()
	if m := f.maxIn.Load(); m > 4 || m < 2 {
		t.Fatalf("max in flight = %d, want 2..4", m)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	f := newFake(t)
	f.route("GET /user/whoami", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, map[string]any{"code": 6401, "description": "Insufficient permissions", "retryable": false})
	})
	c := f.client(t)
	err := c.Ping(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{staas.ErrorDetail(err), staas.ErrorMessage(err), err.Error()} {
		if strings.Contains(s, testPassword) || strings.Contains(s, "TOKEN-") {
			t.Fatalf("secret in error: %s", s)
		}
	}
}

func TestReloginAfterMaxAge(t *testing.T) {
	f := newFake(t)
	now := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	c := f.client(t, func(c *ecs.Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(7 * time.Hour)
	mu.Unlock()
	if err := c.Ping(ctx); err != nil || f.logins.Load() != 1 {
		t.Fatalf("logins = %d, %v", f.logins.Load(), err)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour) // past X-SDS-AUTH-MAX-AGE (8h)
	mu.Unlock()
	before := f.requests.Load()
	if err := c.Ping(ctx); err != nil || f.logins.Load() != 2 {
		t.Fatalf("logins = %d, %v", f.logins.Load(), err)
	}
	if n := f.requests.Load() - before; n != 2 {
		t.Fatalf("%d requests, want login and whoami", n)
	}
}

func TestWrongPassword(t *testing.T) {
	f := newFake(t)
	c := f.client(t, func(c *ecs.Config) { c.Password = "wrong-" + testPassword })
	err := c.Ping(context.Background())
	if staas.ErrorCode(err) != staas.EUNAUTHORIZED || strings.Contains(staas.ErrorDetail(err), testPassword) {
		t.Fatal(err)
	}
	if _, err := ecs.New(ecs.Config{Endpoint: "ftp://x", Username: "u", Password: "p"}); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatal(err)
	}
}
