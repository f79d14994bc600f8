package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"staas/internal/ostor"
)

// TestRealS3Tools runs the Debian packages of s3cmd, the AWS CLI and rclone
// against `staas sim` on 127.0.0.1, each as an ordinary user of its own:
// make a bucket, put a small object, put 20 MB in a multipart upload, list,
// get both back (compared byte for byte), delete them, delete the bucket.
// Every request goes through a recording proxy, so the test knows what the
// tools really sent and received; the simulator's ostor-buckets sizes and
// its ostor-usage counters (read with staas's own admin client) must match
// that, to the byte. scripts/test.sh installs the tools; a missing tool
// fails the test, it is never skipped.
func TestRealS3Tools(t *testing.T) {
	tools := map[string]string{}
	for name, candidates := range map[string][]string{
		"s3cmd":  {"s3cmd"},
		"aws":    {"/usr/bin/aws", "aws"}, // the Debian package's, not a pyenv shim in PATH
		"rclone": {"rclone"},
	} {
		for _, c := range candidates {
			if p, err := exec.LookPath(c); err == nil {
				tools[name] = p
				break
			}
		}
		if tools[name] == "" {
			t.Fatalf("%s is not installed: scripts/test.sh installs it (Debian package %s)", name, map[string]string{"s3cmd": "s3cmd", "aws": "awscli", "rclone": "rclone"}[name])
		}
	}

	const sysKey, sysSecret = "0123456789abcdefSYSK", "system-secret-of-the-real-tools-test"
	simURL, stop, stderr := start(t, []string{"sim", "-addr", "127.0.0.1:0", "-usage-period", "1s",
		"-access-key", sysKey, "-secret-key", sysSecret}, nil)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("sim: %v; stderr: %s", err, stderr)
		}
	}()
	admin, err := ostor.New(ostor.Config{Endpoint: simURL, AccessKey: sysKey, SecretKey: sysSecret})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	rec := newRecorder(t, simURL)
	proxy := httptest.NewServer(rec)
	defer proxy.Close()

	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(13, 13))
	small := make([]byte, 1234)
	big := make([]byte, 20<<20+17) // 20 MB and a short last part
	for _, b := range [][]byte{small, big} {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	smallFile, bigFile := filepath.Join(dir, "small.bin"), filepath.Join(dir, "big.bin")
	for f, b := range map[string][]byte{smallFile: small, bigFile: big} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	userIDs := map[string]string{} // access key → user id
	for _, tool := range []string{"s3cmd", "aws", "rclone"} {
		t.Run(tool, func(t *testing.T) {
			email := tool + "@example.com"
			u, err := admin.CreateUser(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			key := u.Keys[0]
			userIDs[key.AccessKeyID] = u.ID
			home := t.TempDir()
			bucket := "realtools-" + tool
			r := toolRunner{t: t, path: tools[tool], home: home, endpoint: proxy.URL, ak: key.AccessKeyID, sk: key.SecretAccessKey}

			var steps toolSteps
			switch tool {
			case "s3cmd":
				steps = r.s3cmd(bucket)
			case "aws":
				steps = r.aws(bucket)
			case "rclone":
				steps = r.rclone(bucket)
			}
			steps.mb()
			steps.put(smallFile, oddKey)
			steps.put(bigFile, "big.bin")
			listing := steps.ls()
			for _, want := range []string{oddKey, "big.bin", fmt.Sprint(len(small)), fmt.Sprint(len(big))} {
				if !strings.Contains(listing, want) {
					t.Errorf("listing lacks %q:\n%s", want, listing)
				}
			}
			for i, name := range []string{oddKey, "big.bin"} {
				want := [][]byte{small, big}[i]
				out := filepath.Join(home, fmt.Sprintf("got-%d", i))
				steps.get(name, out)
				if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s read back: %d bytes, want %d identical (err %v)", name, len(got), len(want), err)
				}
			}
			if parts := rec.count(key.AccessKeyID, func(e exchange) bool {
				return e.method == http.MethodPut && e.query.Has("partNumber") && e.status == http.StatusOK
			}); parts < 2 {
				t.Errorf("%d parts uploaded: the 20 MB put was not a multipart upload", parts)
				rec.dump(t, key.AccessKeyID)
			}
			buckets, err := admin.BucketsOf(ctx, ostor.ByEmail(email))
			if err != nil {
				t.Fatal(err)
			}
			if len(buckets) != 1 || buckets[0].Name != bucket || buckets[0].Size.Current != uint64(len(small)+len(big)) {
				t.Errorf("ostor-buckets: %+v, want %s holding %d bytes", buckets, bucket, len(small)+len(big))
			}

			steps.rm(oddKey)
			steps.rm("big.bin")
			steps.rb()
			if buckets, err := admin.BucketsOf(ctx, ostor.ByEmail(email)); err != nil || len(buckets) != 0 {
				t.Errorf("after rb, ostor-buckets: %+v, %v", buckets, err)
			}
		})
	}
	if t.Failed() {
		return
	}

	// Let the last usage period close (1s), then read every usage object
	// with staas's client and add up each user's items.
	time.Sleep(1100 * time.Millisecond)
	got := map[usageKey]usageTotals{}
	err = admin.EachUsageObject(ctx, func(name string) error {
		obj, err := admin.UsageObject(ctx, name)
		if err != nil {
			return err
		}
		for _, it := range obj.Items {
			k := usageKey{it.Key.UserID, it.Key.Bucket}
			tot := got[k]
			tot.put += it.Ops.Put
			tot.get += it.Ops.Get
			tot.list += it.Ops.List
			tot.other += it.Ops.Other
			tot.in += it.Uploaded
			tot.out += it.Downloaded
			got[k] = tot
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := rec.expected(userIDs)
	if len(want) == 0 {
		t.Fatal("the proxy recorded no exchange")
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("ostor-usage of user %s, bucket %q: %+v, the tools did %+v", k.userID, k.bucket, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("ostor-usage books %+v to user %s, bucket %q, which the tools did not do", g, k.userID, k.bucket)
		}
	}
	for ak, id := range userIDs {
		var in, out uint64
		for k, w := range want {
			if k.userID == id {
				in, out = in+w.in, out+w.out
			}
		}
		if in < uint64(len(small)+len(big)) || out < uint64(len(small)+len(big)) {
			t.Errorf("key %s: %d bytes in, %d out; the objects alone are %d", ak, in, out, len(small)+len(big))
		}
	}
}

// oddKey is the small object's key: a space, '+' and '%' are what a
// URL-encoded listing (rclone, the AWS CLI ask for one) gets wrong first.
const oddKey = "odd name+%41.txt"

// toolSteps are one tool's commands for the round trip.
type toolSteps struct {
	mb  func()
	put func(file, key string)
	ls  func() string
	get func(key, file string)
	rm  func(key string)
	rb  func()
}

type toolRunner struct {
	t        *testing.T
	path     string
	home     string
	endpoint string
	ak, sk   string
}

// run runs the tool with a clean environment: no CA bundle, proxy or
// config of the machine's leaks in.
func (r toolRunner) run(env []string, args ...string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.path, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.home, "LANG=C.UTF-8"}, env...)
	cmd.Dir = r.home
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("%s %s: %v\n%s", filepath.Base(r.path), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (r toolRunner) s3cmd(bucket string) toolSteps {
	host := strings.TrimPrefix(r.endpoint, "http://")
	cfg := filepath.Join(r.home, "s3cfg")
	content := fmt.Sprintf("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n",
		r.ak, r.sk, host, host)
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		r.t.Fatal(err)
	}
	s := func(args ...string) string {
		return r.run(nil, append([]string{"-c", cfg, "--no-progress"}, args...)...)
	}
	u := "s3://" + bucket
	return toolSteps{
		mb:  func() { s("mb", u) },
		put: func(file, key string) { s("put", "--multipart-chunk-size-mb=5", file, u+"/"+key) },
		ls:  func() string { return s("ls", u) },
		get: func(key, file string) { s("get", "--force", u+"/"+key, file) },
		rm:  func(key string) { s("del", u+"/"+key) },
		rb:  func() { s("rb", u) },
	}
}

func (r toolRunner) aws(bucket string) toolSteps {
	env := []string{"AWS_ACCESS_KEY_ID=" + r.ak, "AWS_SECRET_ACCESS_KEY=" + r.sk, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(r.home, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(r.home, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	a := func(args ...string) string {
		return r.run(env, append([]string{"--endpoint-url", r.endpoint}, args...)...)
	}
	u := "s3://" + bucket
	return toolSteps{
		mb:  func() { a("s3", "mb", u) },
		put: func(file, key string) { a("s3", "cp", "--no-progress", file, u+"/"+key) }, // multipart above 8 MB
		ls:  func() string { return a("s3", "ls", u) },
		get: func(key, file string) { a("s3", "cp", "--no-progress", u+"/"+key, file) },
		rm:  func(key string) { a("s3", "rm", u+"/"+key) },
		rb:  func() { a("s3", "rb", u) },
	}
}

func (r toolRunner) rclone(bucket string) toolSteps {
	env := []string{"RCLONE_CONFIG=" + filepath.Join(r.home, "rclone.conf")}
	c := func(args ...string) string {
		return r.run(env, append([]string{"--s3-provider", "Other", "--s3-access-key-id", r.ak, "--s3-secret-access-key", r.sk,
			"--s3-endpoint", r.endpoint, "--s3-region", "us-east-1"}, args...)...)
	}
	u := ":s3:" + bucket
	return toolSteps{
		mb: func() { c("mkdir", u) },
		put: func(file, key string) {
			c("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", file, u+"/"+key)
		},
		ls:  func() string { return c("ls", u) },
		get: func(key, file string) { c("copyto", u+"/"+key, file) },
		rm:  func(key string) { c("deletefile", u+"/"+key) },
		rb:  func() { c("rmdir", u) },
	}
}

// exchange is one request a tool made, as the proxy saw it.
type exchange struct {
	accessKey   string
	method      string
	bucket, key string
	query       url.Values
	status      int
	in, out     uint64 // body bytes sent by the tool, and to it
}

// recorder is a reverse proxy to the simulator that records every
// exchange. It keeps the Host header, which the tools sign.
type recorder struct {
	t     *testing.T
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	log   []exchange
}

func newRecorder(t *testing.T, target string) *recorder {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		Transport: &http.Transport{DisableCompression: true, ResponseHeaderTimeout: time.Minute},
	}
	return &recorder{t: t, proxy: rp}
}

type countBody struct {
	io.ReadCloser
	n uint64
}

func (c *countBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += uint64(n)
	return n, err
}

type countWriter struct {
	http.ResponseWriter
	status int
	n      uint64
}

func (c *countWriter) WriteHeader(code int) {
	if c.status == 0 && code >= 200 { // 1xx (100 Continue) are relayed, not the answer
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(p)
	c.n += uint64(n)
	return n, err
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := &countBody{ReadCloser: r.Body}
	r.Body = body
	cw := &countWriter{ResponseWriter: w}
	rec.proxy.ServeHTTP(cw, r)
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	e := exchange{accessKey: accessKeyOf(r.Header.Get("Authorization")), method: r.Method, bucket: bucket, key: key,
		query: r.URL.Query(), status: cw.status, in: body.n, out: cw.n}
	rec.mu.Lock()
	rec.log = append(rec.log, e)
	rec.mu.Unlock()
}

// accessKeyOf reads the key id from a SigV4 or SigV2 Authorization header.
func accessKeyOf(h string) string {
	if rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 Credential="); ok {
		ak, _, _ := strings.Cut(rest, "/")
		return ak
	}
	if rest, ok := strings.CutPrefix(h, "AWS "); ok {
		ak, _, _ := strings.Cut(rest, ":")
		return ak
	}
	return ""
}

func (rec *recorder) count(accessKey string, match func(exchange) bool) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, e := range rec.log {
		if e.accessKey == accessKey && match(e) {
			n++
		}
	}
	return n
}

type usageKey struct{ userID, bucket string }

type usageTotals struct{ put, get, list, other, in, out uint64 }

// expected is what ostor-usage should hold for the recorded exchanges: the
// answered ones (status below 400), by user and bucket, the operation
// classed as docs/ostor-api.md says, the bytes as the proxy counted them.
func (rec *recorder) expected(userIDs map[string]string) map[usageKey]usageTotals {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := map[usageKey]usageTotals{}
	for _, e := range rec.log {
		id, ok := userIDs[e.accessKey]
		if !ok {
			rec.t.Errorf("a request signed with unknown key %q: %+v", e.accessKey, e)
			continue
		}
		if e.status >= 400 {
			continue
		}
		k := usageKey{id, e.bucket}
		tot := out[k]
		switch {
		case e.method == http.MethodGet && e.bucket == "":
			tot.list++ // ListBuckets
		case e.method == http.MethodGet && e.key == "" && e.query.Has("location"):
			tot.other++ // GetBucketLocation
		case e.method == http.MethodGet && e.key == "":
			tot.list++ // ListObjects, ListObjectsV2, ListObjectVersions, ListMultipartUploads
		case e.method == http.MethodGet && e.query.Has("uploadId"):
			tot.list++ // ListParts
		case (e.method == http.MethodGet || e.method == http.MethodHead) && e.key != "":
			tot.get++
		case e.method == http.MethodPut && e.key != "":
			tot.put++ // PutObject, UploadPart
		default:
			tot.other++ // buckets, deletes, starting and completing uploads
		}
		tot.in += e.in
		tot.out += e.out
		out[k] = tot
	}
	return out
}

func (rec *recorder) dump(t *testing.T, ak string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, e := range rec.log {
		if e.accessKey == ak {
			t.Logf("%s /%s/%s?%s → %d in %d out %d", e.method, e.bucket, e.key, e.query.Encode(), e.status, e.in, e.out)
		}
	}
}
