package ostor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"staas"
)

// These tests drive the client against small hand-written servers, to pin
// behaviour the simulator does not make easy to observe: the exact bytes
// of the query, each error source, retries and time-outs.

const testSecret = "s3cr3t-VALUE-never-printed"

func testClient(t *testing.T, h http.HandlerFunc, mod ...func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{Endpoint: srv.URL, AccessKey: "AK", SecretKey: testSecret, Timeout: 2 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.backoffBase, c.backoffMax = time.Millisecond, 4*time.Millisecond
	return c
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := staas.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestConfigValidation(t *testing.T) {
	ok := Config{Endpoint: "https://s3.example.com", AccessKey: "AK", SecretKey: testSecret}
	for _, tc := range []struct {
		mod   func(*Config)
		field string
	}{
		{func(c *Config) { c.Endpoint = "" }, "Endpoint"},
		{func(c *Config) { c.Endpoint = "ftp://x" }, "Endpoint"},
		{func(c *Config) { c.Endpoint = "https://" }, "Endpoint"},
		{func(c *Config) { c.Endpoint = "https://x/prefix" }, "Endpoint"},
		{func(c *Config) { c.Endpoint = "https://x/?a" }, "Endpoint"},
		{func(c *Config) { c.Endpoint = "https://u:" + testSecret + "@x" }, "Endpoint"},
		{func(c *Config) { c.Endpoint = "://bad" }, "Endpoint"},
		{func(c *Config) { c.AccessKey = "" }, "AccessKey"},
		{func(c *Config) { c.AccessKey = "a:b" }, "AccessKey"},
		{func(c *Config) { c.SecretKey = "" }, "SecretKey"},
		{func(c *Config) { c.Signature = "v3" }, "Signature"},
		{func(c *Config) { c.Timeout = -1 }, "Timeout"},
		{func(c *Config) { c.MaxRetries = 11 }, "MaxRetries"},
	} {
		cfg := ok
		tc.mod(&cfg)
		_, err := New(cfg)
		wantCode(t, err, staas.EINVALID)
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: message %q does not name %s", cfg, err, tc.field)
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Errorf("message %q contains the secret", err)
		}
	}
	for _, ep := range []string{"https://s3.example.com", "http://10.0.0.1:8080/", "https://[::1]:443"} {
		cfg := ok
		cfg.Endpoint = ep
		if _, err := New(cfg); err != nil {
			t.Errorf("%s: %v", ep, err)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg := Config{Endpoint: "https://x", AccessKey: "AK", SecretKey: testSecret}
	kp := KeyPair{AccessKeyID: "0123456789abcdefAAAA", SecretAccessKey: testSecret}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "cfg", cfg, "key", kp)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "cfg", cfg, "key", kp)
	out := fmt.Sprintf("%v %+v %#v %s %v %+v %#v %v", cfg, cfg, cfg, cfg, kp, kp, kp, []KeyPair{kp}) + logged.String()
	if strings.Contains(out, testSecret) {
		t.Fatalf("secret printed: %s", out)
	}
	if !strings.Contains(out, "0123456789abcdefAAAA") || !strings.Contains(out, "https://x") {
		t.Fatalf("redaction hid too much: %s", out)
	}
}

func TestQueryBuilder(t *testing.T) {
	q := newQuery("users").set("emailAddress", "a b+c&d=e#f@x").flag("genKey").String()
	if want := "ostor-users&emailAddress=a%20b%2Bc%26d%3De%23f%40x&genKey"; q != want {
		t.Fatalf("query = %q, want %q", q, want)
	}
}

// An email full of URL syntax reaches the gateway as one parameter value.
func TestEmailCannotInjectParameters(t *testing.T) {
	var raw string
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		raw = r.URL.RawQuery
		w.Write([]byte(`{"UserEmail":"x","UserId":"0123456789abcdef","AWSAccessKeys":[{"AWSAccessKeyId":"0123456789abcdefAAAA","AWSSecretAccessKey":"s"}]}`))
	})
	email := "a&b=c#d@example.com"
	if _, err := c.CreateUser(context.Background(), email); err != nil {
		t.Fatal(err)
	}
	if want := "ostor-users&emailAddress=a%26b%3Dc%23d%40example.com"; raw != want {
		t.Fatalf("raw query = %q, want %q", raw, want)
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 2 || vals.Get("emailAddress") != email || vals.Has("b") || vals.Has("d@example.com") {
		t.Fatalf("gateway would see parameters %v", vals)
	}
	if !strings.HasPrefix(raw, "ostor-users&") {
		t.Fatalf("service keyword not first: %q", raw)
	}
}

func TestErrorMessageSources(t *testing.T) {
	long := strings.Repeat("x", 500)
	for _, tc := range []struct {
		name    string
		header  string
		body    string
		ctype   string
		message string
	}{
		{"header wins", "User not found", `<Error><Message>xml</Message></Error>`, "application/xml", "User not found"},
		{"xml message", "", `<?xml version="1.0"?><Error><Code>NoSuchUser</Code><Message>No such user</Message><RequestId>1</RequestId></Error>`, "application/xml", "No such user"},
		{"json message", "", `{"code":404,"message":"gone"}`, "application/json", "gone"},
		{"json Message", "", `{"Message":"Gone too"}`, "application/json", "Gone too"},
		{"raw body", "", "plain\ntext\x00answer", "text/plain", "plain text answer"},
		{"long body", "", long, "text/plain", strings.Repeat("x", 200)},
		{"no body", "", "", "", "Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("X-Amz-Err-Message", tc.header)
				}
				w.Header().Set("Content-Type", tc.ctype)
				w.Header().Set("X-Amz-Request-Id", "req-1")
				w.WriteHeader(http.StatusNotFound)
				w.Write([]byte(tc.body))
			})
			_, err := c.User(context.Background(), ByEmail("a@b.c"))
			wantCode(t, err, staas.ENOTFOUND)
			// The admin reads a sentence; the gateway's words are the
			// cause's, for the log.
			if want := "The storage cluster could not read the S3 user: it has no such S3 user."; staas.ErrorMessage(err) != want {
				t.Errorf("message = %q, want %q", staas.ErrorMessage(err), want)
			}
			if want := "ostor: get user: HTTP 404: " + tc.message; !strings.Contains(staas.ErrorDetail(err), want) {
				t.Errorf("detail = %q, want it to hold %q", staas.ErrorDetail(err), want)
			}
			var ge *GatewayError
			if !errors.As(err, &ge) || ge.Status != 404 || ge.Op != "get user" || ge.Message != tc.message || ge.RequestID != "req-1" {
				t.Errorf("GatewayError = %+v", ge)
			}
		})
	}
}

func TestStatusToCode(t *testing.T) {
	type call func(c *Client) error
	getUser := func(c *Client) error { _, err := c.User(context.Background(), ByEmail("a@b.c")); return err }
	genKey := func(c *Client) error { _, err := c.GenerateKey(context.Background(), "a@b.c"); return err }
	limits := func(c *Client) error { _, err := c.Limits(context.Background(), BucketLimits("bucket")); return err }
	deleteUser := func(c *Client) error { return c.DeleteUser(context.Background(), ByEmail("a@b.c")) }
	for _, tc := range []struct {
		status int
		call   call
		code   string
	}{
		{400, getUser, staas.EINVALID},
		{400, genKey, staas.EKEYLIMIT},
		{409, genKey, staas.EKEYLIMIT},
		{400, limits, staas.ELIMITSOFF},
		{400, deleteUser, staas.ECONFLICT},
		{409, deleteUser, staas.ECONFLICT},
		{409, getUser, staas.ECONFLICT},
		{401, getUser, staas.EUNAUTHORIZED},
		{403, getUser, staas.EUNAUTHORIZED},
		{404, getUser, staas.ENOTFOUND},
		{404, deleteUser, staas.ENOTFOUND}, // no lost answer before: a real 404
		{500, getUser, staas.EUNAVAILABLE},
		{502, getUser, staas.EUNAVAILABLE},
		{503, getUser, staas.EUNAVAILABLE},
		{429, getUser, staas.EUNAVAILABLE},
		{405, getUser, staas.EINTERNAL},
		{302, getUser, staas.EINTERNAL},
	} {
		c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.RawQuery, "emailAddress") && tc.status != 404 && (tc.code == staas.EKEYLIMIT) {
				// genKey reads the user's pairs first.
				w.Write([]byte(`{"UserEmail":"a@b.c","UserId":"0123456789abcdef","AWSAccessKeys":[]}`))
				return
			}
			w.Header().Set("Location", "http://elsewhere.invalid/")
			w.WriteHeader(tc.status)
		})
		err := tc.call(c)
		var ge *GatewayError
		if staas.ErrorCode(err) != tc.code || !errors.As(err, &ge) || ge.Status != tc.status {
			t.Errorf("status %d: code %q (%v), want %q", tc.status, staas.ErrorCode(err), err, tc.code)
		}
	}
}

func TestRetriesIdempotentCalls(t *testing.T) {
	var n atomic.Int32
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`[]`))
	})
	if _, err := c.Users(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 {
		t.Fatalf("%d requests, want 3", n.Load())
	}
}

func TestPersistent503(t *testing.T) {
	var n atomic.Int32
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Amz-Err-Message", "Service Unavailable")
		w.WriteHeader(http.StatusServiceUnavailable)
	}, func(c *Config) { c.MaxRetries = 2 })
	_, err := c.Users(context.Background())
	wantCode(t, err, staas.EUNAVAILABLE)
	if n.Load() != 3 {
		t.Fatalf("%d requests, want 1 + MaxRetries = 3", n.Load())
	}
	if staas.ErrorMessage(err) != "The storage cluster did not answer while trying to list the S3 users. Try again in a moment." {
		t.Errorf("message = %q", staas.ErrorMessage(err))
	}
	if !strings.Contains(staas.ErrorDetail(err), "ostor: list users: HTTP 503: Service Unavailable") {
		t.Errorf("detail = %q", staas.ErrorDetail(err))
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	var n atomic.Int32
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	})
	_, err := c.Users(context.Background())
	wantCode(t, err, staas.EINVALID)
	if n.Load() != 1 {
		t.Fatalf("%d requests, want 1", n.Load())
	}
}

func TestGenerateKeyNeverRetried(t *testing.T) {
	var posts, gets atomic.Int32
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && gets.Add(1) == 1 {
			w.Write([]byte(`{"UserEmail":"a@b.c","UserId":"0123456789abcdef","AWSAccessKeys":[]}`))
			return
		}
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	_, err := c.GenerateKey(context.Background(), "a@b.c")
	wantCode(t, err, staas.EUNAVAILABLE)
	if posts.Load() != 1 {
		t.Fatalf("%d genKey requests, want 1", posts.Load())
	}
	if !strings.Contains(staas.ErrorMessage(err), "may have been created") {
		t.Errorf("message %q does not warn about a possible orphan pair", staas.ErrorMessage(err))
	}
}

// dropFirst hijacks and closes the connection of the first n requests
// after letting the handler act, like a gateway that did the work and
// then lost the answer.
func dropFirst(n int32, act func(r *http.Request), answer http.HandlerFunc) (http.HandlerFunc, *atomic.Int32) {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			act(r)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		answer(w, r)
	}, &count
}

func TestDeleteAfterLostAnswerIsDone(t *testing.T) {
	deleted := false
	h, count := dropFirst(1, func(*http.Request) { deleted = true }, func(w http.ResponseWriter, r *http.Request) {
		if deleted {
			w.Header().Set("X-Amz-Err-Message", "User not found")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	c := testClient(t, h)
	if err := c.DeleteUser(context.Background(), ByEmail("a@b.c")); err != nil {
		t.Fatalf("delete after a lost answer: %v", err)
	}
	if count.Load() != 2 {
		t.Fatalf("%d requests, want 2", count.Load())
	}
}

func TestTimeoutPerAttempt(t *testing.T) {
	var n atomic.Int32
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte(`[]`))
	}, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	start := time.Now()
	if _, err := c.Users(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || time.Since(start) > 2*time.Second {
		t.Fatalf("%d requests in %v", n.Load(), time.Since(start))
	}
}

func TestTimeoutIsUnavailable(t *testing.T) {
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}, func(c *Config) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = 1 })
	_, err := c.Users(context.Background())
	wantCode(t, err, staas.EUNAVAILABLE)
	if !errors.Is(err, errAttemptTimeout) {
		t.Errorf("err = %v, want it to wrap the attempt time-out", err)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	var n atomic.Int32
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}, func(c *Config) { c.MaxRetries = 10 })
	c.backoffBase, c.backoffMax = time.Second, time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Users(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 900*time.Millisecond {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	if n.Load() != 1 {
		t.Fatalf("%d requests, want 1", n.Load())
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	c := &Client{backoffBase: 100 * time.Millisecond, backoffMax: 2 * time.Second}
	for n, ms := range []time.Duration{100, 200, 400, 800, 1600, 2000, 2000, 2000} {
		hi := ms * time.Millisecond
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backoff(n)
			if d < hi/2 || d > hi {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, hi/2, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) has no jitter", n)
		}
	}
	if d := c.backoff(100); d > 2*time.Second {
		t.Errorf("backoff(100) = %v overflows the cap", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.sleep(ctx, 5); err == nil {
		t.Fatal("sleep ignored a canceled context")
	}
}

func TestUsageObjectStreamsLargeObject(t *testing.T) {
	body := usageObjectJSON(20000)
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "ostor-usage&obj=s3-usage-80000000000000065-2025-01-01T00%3A30%3A00.000Z-1800" {
			http.Error(w, "bad query "+r.URL.RawQuery, 400)
			return
		}
		w.Write(body)
	})
	name := "s3-usage-80000000000000065-2025-01-01T00:30:00.000Z-1800"
	var n, sum uint64
	h, err := c.StreamUsageObject(context.Background(), name, func(it UsageItem) error {
		n++
		sum += it.Downloaded
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 20000 || h.Count != 20000 || h.ServiceID != "80000000000000065" {
		t.Fatalf("n=%d header=%+v", n, h)
	}
	obj, err := c.UsageObject(context.Background(), name)
	if err != nil || uint64(len(obj.Items)) != n {
		t.Fatalf("whole: %v", err)
	}
	stop := errors.New("stop")
	if _, err := c.StreamUsageObject(context.Background(), name, func(UsageItem) error { return stop }); err != stop {
		t.Fatalf("callback error not returned as is: %v", err)
	}
}

func TestStreamBrokenConnection(t *testing.T) {
	body := usageObjectJSON(5000)
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	_, err := c.StreamUsageObject(context.Background(), "s3-usage-1-2025-01-01T00:30:00.000Z-1800", func(UsageItem) error { return nil })
	wantCode(t, err, staas.EUNAVAILABLE)
}

func TestEachUsageObjectFollowsPages(t *testing.T) {
	names := []string{}
	for i := range 1234 {
		names = append(names, fmt.Sprintf("s3-usage-1-2025-01-01T00:00:00.000Z-%04d", i))
	}
	var pages atomic.Int32
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		q, _ := url.ParseQuery(r.URL.RawQuery)
		after := q.Get("after")
		start := 0
		for start < len(names) && after != "" && names[start] <= after {
			start++
		}
		end := min(start+500, len(names))
		fmt.Fprintf(w, `{"nr_items":%d,"truncated":%t,"items":["%s"]}`, end-start, end < len(names), strings.Join(names[start:end], `","`))
	})
	var got []string
	if err := c.EachUsageObject(context.Background(), func(n string) error { got = append(got, n); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(names) || got[0] != names[0] || got[len(got)-1] != names[len(names)-1] || pages.Load() != 3 {
		t.Fatalf("%d names in %d pages", len(got), pages.Load())
	}
}

func TestEachUsageObjectStuckPage(t *testing.T) {
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"nr_items":0,"truncated":true,"items":[]}`))
	})
	err := c.EachUsageObject(context.Background(), func(string) error { return nil })
	wantCode(t, err, staas.EINTERNAL)
}

func TestMalformedAnswerIsInternal(t *testing.T) {
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`<html>`)) })
	_, err := c.Users(context.Background())
	wantCode(t, err, staas.EINTERNAL)
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a *DecodeError inside", err)
	}
}

// usageObjectJSON generates a statistics object with n items, in the
// guide's layout.
func usageObjectJSON(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"fmt_version":1,"service_id":80000000000000065,"start_ts":1735691400,"period":1800,"nr_items":%d,"items":[`, n)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"key":{"bucket":"bucket-%d","epoch":%d,"user_id":"%016x","tag":""},"counters":{"ops":{"put":%d,"get":%d,"list":%d,"other":%d},"net_io":{"uploaded":%d,"downloaded":%d}}}`,
			i%1000, i, i%977, i%7, i%11, i%3, i%2, i*41258, i*45511311)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
