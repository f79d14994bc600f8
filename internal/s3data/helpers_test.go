package s3data_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/internal/s3data"
	"staas/standin/ostorsim"
)

// world is one test's gateway: the simulator, its admin API client and
// the purger, whose every HTTP attempt goes through a recording transport.
type world struct {
	t      *testing.T
	sim    *ostorsim.Sim
	srv    *httptest.Server
	admin  *ostor.Client
	purger *s3data.Client
	wire   *wire
}

func newWorld(t *testing.T) *world {
	t.Helper()
	// The SDK signs with the wall clock, so the simulator follows it.
	sim := ostorsim.MustNew(ostorsim.Options{Seed: 1, WallClock: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	creds := sim.SystemCredentials()
	admin, err := ostor.New(ostor.Config{Endpoint: srv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{next: srv.Client().Transport}
	purger, err := s3data.New(s3data.Config{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: w}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	purger.SetMaxBackoff(time.Millisecond)
	return &world{t: t, sim: sim, srv: srv, admin: admin, purger: purger, wire: w}
}

// user creates an S3 user through the admin API and returns its key pair.
func (w *world) user(email string) ostor.KeyPair {
	w.t.Helper()
	uk, err := w.admin.CreateUser(context.Background(), email)
	if err != nil {
		w.t.Fatal(err)
	}
	return uk.Keys[0]
}

// bucket creates a bucket of owner holding n objects "prefix-0000"… of
// 1 KiB each.
func (w *world) bucket(owner, name string, n int) {
	w.t.Helper()
	if err := w.sim.CreateBucket(owner, name); err != nil {
		w.t.Fatal(err)
	}
	w.put(name, "obj", n)
}

func (w *world) put(bucket, prefix string, n int) {
	w.t.Helper()
	for i := range n {
		if _, err := w.sim.PutObject(bucket, fmt.Sprintf("%s-%05d", prefix, i), 1024); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) versions(bucket string) []ostorsim.ObjectVersion {
	w.t.Helper()
	vs, err := w.sim.ObjectVersions(bucket)
	if err != nil {
		w.t.Fatal(err)
	}
	return vs
}

func (w *world) purge(owner ostor.KeyPair, bucket string) (int64, error) {
	return w.purger.PurgeBucket(context.Background(), owner, bucket)
}

// mustFail expects err to carry code and an admin-safe message that names
// the bucket and does not leak the owner's secret.
func mustFail(t *testing.T, err error, code, bucket string, owner ostor.KeyPair) {
	t.Helper()
	if got := staas.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	msg := staas.ErrorMessage(err)
	if !strings.Contains(msg, fmt.Sprintf("%q", bucket)) {
		t.Errorf("message %q does not name bucket %q", msg, bucket)
	}
	// The admin reads a sentence; the log (ErrorDetail) keeps the
	// package's own words, the S3 code or status and the SDK's error.
	for _, internal := range []string{"s3:", "HTTP ", "http://", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InternalError", "SlowDown", "api error", "operation error", "RequestID", "context deadline"} {
		if strings.Contains(msg, internal) {
			t.Errorf("the admin's message %q shows %q", msg, internal)
		}
	}
	if !strings.HasSuffix(msg, ".") || msg[0] < 'A' && msg[0] != '"' {
		t.Errorf("the admin's message %q is not a sentence", msg)
	}
	if detail := staas.ErrorDetail(err); !strings.Contains(detail, fmt.Sprintf("s3: purge bucket %q", bucket)) {
		t.Errorf("the log's detail %q does not keep what failed", detail)
	}
	if owner.SecretAccessKey != "" && (strings.Contains(msg, owner.SecretAccessKey) || strings.Contains(err.Error(), owner.SecretAccessKey) ||
		strings.Contains(fmt.Sprintf("%+v", err), owner.SecretAccessKey)) {
		t.Errorf("the secret leaks: %q", msg)
	}
}

// wire records each HTTP attempt the purger makes and can act on the
// gateway just before a request reaches it (before).
type wire struct {
	next   http.RoundTripper
	mu     sync.Mutex
	seen   []attempt
	before func(op string)
}

type attempt struct {
	op         string // the S3 operation
	objects    int    // keys named, for DeleteObjects
	contentMD5 bool
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	a := attempt{op: operation(r), contentMD5: r.Header.Get("Content-MD5") != ""}
	if a.op == "DeleteObjects" && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		a.objects = strings.Count(string(body), "<Object>")
	}
	w.mu.Lock()
	w.seen = append(w.seen, a)
	before := w.before
	w.mu.Unlock()
	if before != nil {
		before(a.op)
	}
	return w.next.RoundTrip(r)
}

func operation(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == "GET" && q.Has("uploads"):
		return "ListMultipartUploads"
	case r.Method == "GET" && q.Has("versions"):
		return "ListObjectVersions"
	case r.Method == "DELETE" && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case r.Method == "POST" && q.Has("delete"):
		return "DeleteObjects"
	case r.Method == "DELETE":
		return "DeleteBucket"
	}
	return r.Method + " " + r.URL.RequestURI()
}

// attempts returns what was sent so far and forgets it.
func (w *wire) attempts() []attempt {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := w.seen
	w.seen = nil
	return seen
}

func (w *wire) setBefore(f func(op string)) {
	w.mu.Lock()
	w.before = f
	w.mu.Unlock()
}

func count(as []attempt, op string) int {
	n := 0
	for _, a := range as {
		if a.op == op {
			n++
		}
	}
	return n
}

// noErr fails the test at a setup step that failed.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
