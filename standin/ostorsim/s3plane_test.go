package ostorsim_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"staas/standin/ostorsim"
)

// countingTransport counts the body bytes of the answered requests (status
// below 400) the way the simulator books them: what the client sent and
// what it received.
type countingTransport struct {
	mu      sync.Mutex
	in, out uint64
}

type countedBody struct {
	io.ReadCloser
	t *countingTransport
}

func (b countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.t.mu.Lock()
	b.t.out += uint64(n)
	b.t.mu.Unlock()
	return n, err
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if res.StatusCode < 400 {
		c.mu.Lock()
		c.in += uint64(max(r.ContentLength, 0))
		c.mu.Unlock()
		res.Body = countedBody{res.Body, c}
	}
	return res, nil
}

func sdkClient(h *harness, k s3Key, tr *countingTransport) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(h.srv.URL),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: k.ak, SecretAccessKey: k.sk}, nil
		}),
		HTTPClient:                 &http.Client{Transport: tr},
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
}

// A whole round trip with aws-sdk-go-v2, as a provider's tool would make
// it: the data are kept to the byte, the bucket's size follows, a
// multipart object gets S3's ETag, and ostor-usage books every call by
// class with the exact bytes.
func TestS3DataPlaneRoundTrip(t *testing.T) {
	h := newHarness(t, ostorsim.Options{WallClock: true}) // the SDK signs with the real time
	alice, bob := h.newUser("alice@example.com"), h.newUser("bob@example.com")
	tr := &countingTransport{}
	c := sdkClient(h, alice, tr)
	ctx := context.Background()

	if _, err := sdkClient(h, bob, &countingTransport{}).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bobs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("data")}); err != nil {
		t.Fatal(err)
	}
	small := []byte("hello, ostor")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/small.txt"),
		Body: bytes.NewReader(small), ContentType: aws.String("text/plain")}); err != nil {
		t.Fatal(err)
	}
	part1 := bytes.Repeat([]byte{'a'}, ostorsim.MinPartSize)
	part2 := []byte("the short last part")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("data"), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		n := int32(i + 1)
		res, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("data"), Key: aws.String("big.bin"),
			UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: res.ETag, PartNumber: aws.Int32(n)})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("data"), Key: aws.String("big.bin"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	total := len(small) + len(part1) + len(part2)
	buckets := decode[struct{ Buckets []bucketJSON }](t, h.must(200, "GET", q("ostor-buckets", "emailAddress", "alice@example.com")).body).Buckets
	if len(buckets) != 1 || buckets[0].Size.Current != uint64(total) {
		t.Fatalf("ostor-buckets: %+v, want data holding %d bytes", buckets, total)
	}

	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 1 || *lb.Buckets[0].Name != "data" {
		t.Errorf("alice lists %+v, want only her bucket", lb.Buckets)
	}
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("data"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lo.Contents) != 1 || *lo.Contents[0].Key != "big.bin" || *lo.Contents[0].Size != int64(len(part1)+len(part2)) ||
		len(lo.CommonPrefixes) != 1 || *lo.CommonPrefixes[0].Prefix != "dir/" {
		t.Errorf("listing: %+v %+v", lo.Contents, lo.CommonPrefixes)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(body, append(append([]byte{}, part1...), part2...)) {
		t.Errorf("big.bin read back: %d bytes, not what was written", len(body))
	}
	m1, m2 := md5.Sum(part1), md5.Sum(part2)
	sum := md5.Sum(append(m1[:], m2[:]...))
	wantETag := fmt.Sprintf(`"%s-2"`, hex.EncodeToString(sum[:]))
	if *got.ETag != wantETag {
		t.Errorf("multipart ETag %s, want %s", *got.ETag, wantETag)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/small.txt")})
	if err != nil {
		t.Fatal(err)
	}
	ms := md5.Sum(small)
	if *head.ContentLength != int64(len(small)) || *head.ContentType != "text/plain" || *head.ETag != `"`+hex.EncodeToString(ms[:])+`"` {
		t.Errorf("head: %d %s %s", *head.ContentLength, *head.ContentType, *head.ETag)
	}
	for _, k := range []string{"dir/small.txt", "big.bin"} {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("data")}); err != nil {
		t.Fatal(err)
	}
	if h.sim.HasBucket("data") {
		t.Error("the bucket is still there")
	}

	id := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "emailAddress", "alice@example.com")).body).UserId
	truth := h.sim.UsageGroundTruth()
	onBucket, noBucket := truth[ostorsim.UsageKey{UserID: id, Bucket: "data"}], truth[ostorsim.UsageKey{UserID: id}]
	// put: PutObject, 2 UploadPart; get: GetObject, HeadObject; list:
	// ListObjectsV2 (+ ListBuckets on no bucket); other: CreateBucket,
	// Create/CompleteMultipartUpload, 2 DeleteObject, DeleteBucket.
	if onBucket.Put != 3 || onBucket.Get != 2 || onBucket.List != 1 || onBucket.Other != 6 {
		t.Errorf("operations on the bucket: %+v", onBucket)
	}
	if noBucket.List != 1 || noBucket.Put+noBucket.Get+noBucket.Other != 0 {
		t.Errorf("operations on no bucket: %+v", noBucket)
	}
	if in, out := onBucket.Uploaded+noBucket.Uploaded, onBucket.Downloaded+noBucket.Downloaded; in != tr.in || out != tr.out {
		t.Errorf("booked %d bytes in, %d out; the client sent %d and received %d", in, out, tr.in, tr.out)
	}
	if tr.in < uint64(total) || tr.out < uint64(len(part1)) {
		t.Errorf("the client counted %d in, %d out: too little to be the objects", tr.in, tr.out)
	}
}

// The vendor's guide ("Deleting S3 Users") deletes a customer's bucket with
// the system user's keys: DELETE /<bucket>, signed as its s3_curl does.
// The system user may do that, and only that, on another user's bucket.
func TestS3SystemUserDeletesBucketAsTheGuide(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.newUser("client@example.com")
	for _, b := range []string{"data", "full"} {
		if err := h.sim.CreateBucket("client@example.com", b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.sim.PutObject("full", "k", 10); err != nil {
		t.Fatal(err)
	}
	guideDelete := func(path string) response {
		r := h.s3Request("DELETE", path, nil)
		date := h.sim.Now().Format(time.RFC1123Z)
		r.Header.Set("Date", date)
		// s3_curl: echo -en "${1}\n\n\n${s3_date}\n/${s3_query}" | openssl sha1 -hmac … | base64
		r.Header.Set("Authorization", "AWS "+h.creds.AccessKey+":"+signV2(h.creds.SecretKey, "DELETE\n\n\n"+date+"\n"+path))
		return h.send(r)
	}
	mustS3(t, guideDelete("/data"), 204)
	if h.sim.HasBucket("data") {
		t.Fatal("the bucket survived the guide's delete")
	}
	mustS3Err(t, guideDelete("/full"), 409, "BucketNotEmpty")
	system := s3Key{h.creds.AccessKey, h.creds.SecretKey}
	mustS3Err(t, h.s3(system, "GET", "/full?versions", nil), 403, "AccessDenied")
	mustS3Err(t, h.s3(system, "PUT", "/full/k", []byte("x")), 403, "AccessDenied")
	mustS3Err(t, h.deleteObjects(system, "full", false, "k"), 403, "AccessDenied")
	if objs, _ := h.sim.Objects("full"); len(objs) != 1 {
		t.Errorf("objects: %v", objs)
	}
	// The guide's next step works now: the user owns no bucket but "full".
	h.must(200, "GET", q("ostor-buckets", "emailAddress", "client@example.com"))
}

func TestS3Routing(t *testing.T) {
	h, alice, _ := s3World(t)
	// GET / is ListBuckets for anyone; with an ostor- query, the admin API.
	res := mustS3(t, h.s3(alice, "GET", "/", nil), 200)
	if !strings.Contains(res.body, "<ListAllMyBucketsResult") || !strings.Contains(res.body, "<Name>photos</Name>") {
		t.Errorf("GET / as alice: %s", res.body)
	}
	system := s3Key{h.creds.AccessKey, h.creds.SecretKey}
	if res := mustS3(t, h.s3(system, "GET", "/", nil), 200); strings.Contains(res.body, "photos") {
		t.Errorf("the system user lists alice's bucket: %s", res.body)
	}
	h.must(200, "GET", "ostor-users")
	if res := h.s3(alice, "GET", "/?ostor-users", nil); res.status != 403 {
		t.Errorf("alice on the admin API: %d", res.status)
	}
	r := h.newRequest("GET", "ostor-users")
	r.URL.Path = "/photos"
	signPathV2(r, h.creds.AccessKey, h.creds.SecretKey)
	if res := h.send(r); res.status != 400 || res.errMsg() != "only the admin API at / is simulated" {
		t.Errorf("admin query on a bucket path: %d %q", res.status, res.errMsg())
	}

	// Sub-resources gofakes3 does not serve are refused, not ignored: it
	// would delete the bucket for DELETE ?cors, overwrite the object for
	// PUT ?tagging.
	if err := h.sim.CreateBucket("alice@example.com", "empty"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, target string }{
		{"DELETE", "/empty?cors"},
		{"DELETE", "/empty?location"},
		{"DELETE", "/empty?partNumber=1"},
		{"PUT", "/photos/cat.jpg?tagging"},
		{"GET", "/photos?acl"},
		{"PUT", "/photos?versioning"},
		{"DELETE", "/photos/cat.jpg?versionId=null"},
	} {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			mustS3Err(t, h.s3(alice, c.method, c.target, []byte("<Tagging/>")), 501, "NotImplemented")
		})
	}
	if !h.sim.HasBucket("empty") {
		t.Error("DELETE ?cors, ?location or ?partNumber deleted the bucket")
	}
	// ListMultipartUploads names no key: the hand-written listing is the
	// only one.
	mustS3(t, h.s3(alice, "PUT", "/empty/k", []byte("x")), 200)
	mustS3Err(t, h.s3(alice, "GET", "/empty/k?uploads", nil), 501, "NotImplemented")
	if v, _ := h.sim.ObjectVersions("photos"); len(v) != 2 || v[0].Size != 100 {
		t.Errorf("photos changed: %+v", v)
	}
}

// signedPut sends a PUT whose SigV4 signs payloadOf's SHA-256 but carries
// body.
func signedPut(t *testing.T, h *harness, k s3Key, target string, payloadOf, body []byte) response {
	t.Helper()
	r := h.s3Request("PUT", target, body)
	sum := sha256.Sum256(payloadOf)
	hash := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", hash)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: k.ak, SecretAccessKey: k.sk},
		r, hash, "s3", "us-east-1", h.sim.Now())
	if err != nil {
		t.Fatal(err)
	}
	return h.send(r)
}

// A signed payload is checked whatever its size: above what the verifier
// holds in memory (4 MiB) it is checked as it streams, and a body that is
// not the signed one stores nothing.
func TestS3PayloadHashChecked(t *testing.T) {
	h, alice, _ := s3World(t)
	signed := bytes.Repeat([]byte("signed "), 1<<20) // 7 MiB
	forged := bytes.Repeat([]byte("forged "), 1<<20)
	mustS3Err(t, signedPut(t, h, alice, "/photos/big", signed, forged), 400, "BadDigest")
	mustS3Err(t, signedPut(t, h, alice, "/photos/small", []byte("signed"), []byte("forged")), 403, "SignatureDoesNotMatch")
	if objs, _ := h.sim.Objects("photos"); len(objs) != 2 {
		t.Fatalf("a forged body was stored: %v", objs)
	}
	mustS3(t, signedPut(t, h, alice, "/photos/big", signed, signed), 200)
	if res := mustS3(t, h.s3(alice, "GET", "/photos/big", nil), 200); res.body != string(signed) {
		t.Errorf("read back %d bytes", len(res.body))
	}

	// A Content-MD5 that is not the body's stores nothing either.
	mustS3Err(t, h.s3(alice, "PUT", "/photos/md5", []byte("body"), "Content-MD5", contentMD5([]byte("other"))), 400, "BadDigest")
	mustS3(t, h.s3(alice, "PUT", "/photos/md5", []byte("body"), "Content-MD5", contentMD5([]byte("body"))), 200)

	// aws-chunked payloads carry chunk signatures the simulator does not
	// check: refused, not trusted.
	r := h.s3Request("PUT", "/photos/chunked", []byte("5;chunk-signature=x\r\nhello\r\n0;chunk-signature=y\r\n\r\n"))
	r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	r.Header.Set("X-Amz-Decoded-Content-Length", "5")
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: alice.ak, SecretAccessKey: alice.sk},
		r, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "s3", "us-east-1", h.sim.Now()); err != nil {
		t.Fatal(err)
	}
	mustS3Err(t, h.send(r), 501, "NotImplemented")
	if objs, _ := h.sim.Objects("photos"); len(objs) != 4 {
		t.Errorf("objects: %v", objs)
	}
}

func TestS3ObjectRules(t *testing.T) {
	h, alice, bob := s3World(t)
	// Objects of the driving API have a size but no content.
	mustS3Err(t, h.s3(alice, "GET", "/photos/cat.jpg", nil), 403, "InvalidObjectState")
	// Another user's bucket cannot be a copy source, nor a target.
	if err := h.sim.CreateBucket("bob@example.com", "bobs"); err != nil {
		t.Fatal(err)
	}
	mustS3(t, h.s3(alice, "PUT", "/photos/mine.txt", []byte("alice's")), 200)
	mustS3Err(t, h.s3(bob, "PUT", "/bobs/stolen.txt", nil, "X-Amz-Copy-Source", "/photos/mine.txt"), 403, "AccessDenied")
	mustS3Err(t, h.s3(bob, "PUT", "/photos/x", []byte("x")), 403, "AccessDenied")
	mustS3Err(t, h.s3(bob, "GET", "/photos/mine.txt", nil), 403, "AccessDenied")
	mustS3Err(t, h.s3(bob, "PUT", "/photos", nil), 409, "BucketAlreadyExists") // S3's names are global
	mustS3Err(t, h.s3(alice, "PUT", "/photos", nil), 409, "BucketAlreadyOwnedByYou")
	mustS3(t, h.s3(alice, "PUT", "/photos/copy.txt", nil, "X-Amz-Copy-Source", "/photos/mine.txt"), 200)
	if res := mustS3(t, h.s3(alice, "GET", "/photos/copy.txt", nil), 200); res.body != "alice's" {
		t.Errorf("copy: %q", res.body)
	}
	// A disabled user writes nothing.
	h.must(200, "POST", q("ostor-users", "emailAddress", "alice@example.com", "disable", flag))
	mustS3Err(t, h.s3(alice, "PUT", "/photos/late.txt", []byte("x")), 403, "AccessDenied")
	mustS3Err(t, h.s3(alice, "PUT", "/newbucket", nil), 403, "AccessDenied")
	if h.sim.HasBucket("newbucket") {
		t.Error("a disabled user created a bucket")
	}
	if objs, _ := h.sim.Objects("photos"); len(objs) != 4 {
		t.Errorf("objects: %v", objs)
	}
}

// bucketJSON is an ostor-buckets entry as a client reads it.
type bucketJSON struct {
	Name string `json:"name"`
	Size struct {
		Current uint64 `json:"current"`
	} `json:"size"`
}

// What the client sent counts whole in ostor-usage, even a body the call
// does not read (CreateBucket ignores its location constraint).
func TestS3UnreadBodyIsBooked(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	alice := h.newUser("alice@example.com")
	body := []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`)
	mustS3(t, h.s3(alice, "PUT", "/made", body), 200)
	id := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "emailAddress", "alice@example.com")).body).UserId
	got := h.sim.UsageGroundTruth()[ostorsim.UsageKey{UserID: id, Bucket: "made"}]
	if got != (ostorsim.Counters{Other: 1, Uploaded: uint64(len(body))}) {
		t.Errorf("booked %+v, want one other and %d bytes in", got, len(body))
	}
}
