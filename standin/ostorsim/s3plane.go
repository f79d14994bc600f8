package ostorsim

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// The S3 data plane that real tools (s3cmd, the AWS CLI, rclone) use:
// gofakes3 (github.com/johannesboyne/gofakes3) parses the requests and
// writes the answers, over the simulator's own state (s3backend.go), behind
// the simulator's authentication, authorization and usage accounting,
// which live here. The calls staas's purge makes stay hand-written (s3.go).
// docs/ostor-api.md, "The S3 data plane", says what is documented and what
// is assumed.

// serveS3 authenticates and authorises a data-plane request, runs it (a
// hand-written call, or gofakes3) and books it in ostor-usage.
func (s *Sim) serveS3(w http.ResponseWriter, r *http.Request, requestID string) {
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		// Chunk signatures would go unchecked, so such a payload is
		// refused rather than trusted.
		writeError(w, requestID, &apiError{http.StatusNotImplemented, "NotImplemented",
			"aws-chunked payloads (x-amz-content-sha256: STREAMING-…) are not simulated; sign the payload or send UNSIGNED-PAYLOAD"})
		return
	}
	caller, err := s.verifySignature(r, VerifyV2Object)
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	in := &countingReader{r: r.Body}
	if r.Body == nil {
		in.r = http.NoBody
	}
	r.Body = in
	c, err := parseS3Call(r)
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	c.caller = caller

	if c.op == 0 {
		if name, ok := unsimulatedParam(c.query); ok {
			// gofakes3 would ignore it: DELETE /B?cors would delete the
			// bucket, PUT /B/K?tagging would overwrite the object.
			writeError(w, requestID, &apiError{http.StatusNotImplemented, "NotImplemented",
				"the query parameter " + strconv.Quote(name) + " is not simulated"})
			return
		}
	}
	s.mu.Lock()
	usage, b, err := s.authorizeS3(c, r)
	if err != nil {
		s.mu.Unlock()
		writeError(w, requestID, err)
		return
	}
	out := &countingWriter{w: w, requestID: requestID}
	if c.op != 0 {
		status, body, err := s.handleS3(c, b)
		s.mu.Unlock()
		if err != nil {
			writeError(w, requestID, err)
			return
		}
		if body != nil {
			out.Header().Set("Content-Type", "application/xml")
			out.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		out.WriteHeader(status)
		_, _ = out.Write(body) // fails only when the client has gone: nobody to tell
	} else {
		s.mu.Unlock()
		be := &s3Backend{s: s, caller: caller}
		out.backend = be
		g := gofakes3.New(be, gofakes3.WithTimeSkewLimit(0), gofakes3.WithTimeSource(simClock{s}))
		g.Server().ServeHTTP(out, r)
		if out.code == 0 { // a HEAD, or an empty 200: headers not yet sent
			out.WriteHeader(http.StatusOK)
		}
	}

	if out.status() >= 400 {
		return // refused or failed: not booked (assumed)
	}
	// What the client sent counts whole, whether or not the call read it.
	_, _ = io.Copy(io.Discard, io.LimitReader(in, MaxStoredObject)) // a body that breaks off counts what arrived
	s.mu.Lock()
	defer s.mu.Unlock()
	if usage.bucket == "" && c.bucket != "" {
		if nb := s.st.buckets[c.bucket]; nb != nil { // created by this call
			usage.bucket, usage.epoch = nb.name, nb.epoch
		}
	}
	counters := trafficClass(r.Method, c.bucket, c.key, c.query)
	counters.Uploaded, counters.Downloaded = in.n, out.n
	s.recordTraffic(usage, counters)
}

// authorizeS3 applies the data plane's rules (docs/ostor-api.md): the
// caller's user must exist and be enabled; a bucket that exists is acted on
// by its owner, through the user's keys or its accounts' keys, and deleted
// also by a system user, as the vendor's guide does ("Deleting S3 Users");
// anyone else gets 403 AccessDenied. It returns the usage item the call is
// booked under and the bucket (nil if none exists). Caller holds s.mu.
func (s *Sim) authorizeS3(c *s3Call, r *http.Request) (itemKey, *bucket, error) {
	st := &s.st
	u, err := st.enabledCaller(c.caller)
	if err != nil {
		return itemKey{}, nil, err
	}
	usage := itemKey{userID: u.id}
	b := st.buckets[c.bucket]
	switch {
	case c.bucket == "":
	case b == nil && c.op != 0:
		return itemKey{}, nil, notFound("NoSuchBucket", "The specified bucket does not exist")
	case b == nil: // gofakes3 answers NoSuchBucket, or creates it
	case b.ownerID == u.id:
	case c.op == opDeleteBucket && u.system && c.caller.account == "":
	case r.Method == http.MethodPut && c.key == "" && len(c.query) == 0: // CreateBucket
		return itemKey{}, nil, conflict("BucketAlreadyExists",
			"The requested bucket name is not available. The bucket namespace is shared by all users of the system.")
	default:
		return itemKey{}, nil, forbidden("AccessDenied", "Access Denied")
	}
	if b != nil {
		usage.bucket, usage.epoch = b.name, b.epoch
	}
	if src := r.Header.Get("X-Amz-Copy-Source"); src != "" && r.Method == http.MethodPut {
		if dec, err := url.PathUnescape(src); err == nil {
			src = dec
		}
		srcBucket, _, _ := strings.Cut(strings.TrimPrefix(src, "/"), "/")
		if sb := st.buckets[srcBucket]; sb != nil && sb.ownerID != u.id {
			return itemKey{}, nil, forbidden("AccessDenied", "Access Denied: the copy source belongs to another user")
		}
	}
	if r.Method == http.MethodPut && c.key != "" && r.ContentLength > MaxStoredObject {
		return itemKey{}, nil, &apiError{http.StatusBadRequest, "EntityTooLarge",
			"Your proposed upload exceeds the maximum allowed object size of the simulator."}
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && b != nil && c.key != "" &&
		!c.query.Has("uploadId") && !c.query.Has("versionId") {
		if o := b.objects[c.key]; o != nil && !o.latest().marker && !o.latest().stored {
			return itemKey{}, nil, forbidden("InvalidObjectState",
				"The object was made by the simulator's driving API and has no content to read.")
		}
	}
	return usage, b, nil
}

// trafficClass is the ostor-usage operation counter a call adds to
// (assumed; docs/ostor-api.md): listings are list; reading an object
// (GET, HEAD) is get; writing object data (PutObject, CopyObject,
// UploadPart) is put; the rest (bucket calls, deletes, starting,
// completing and aborting uploads) is other.
func trafficClass(method, bucket, key string, q url.Values) Counters {
	switch {
	case method == http.MethodGet && bucket == "":
		return Counters{List: 1} // ListBuckets
	case method == http.MethodGet && key == "" && (q.Has("versions") || q.Has("uploads") || !hasSubresource(q)):
		return Counters{List: 1} // ListObjects (V1, V2), ListObjectVersions, ListMultipartUploads
	case method == http.MethodGet && key != "" && q.Has("uploadId"):
		return Counters{List: 1} // ListParts
	case (method == http.MethodGet || method == http.MethodHead) && key != "":
		return Counters{Get: 1}
	case method == http.MethodPut && key != "":
		return Counters{Put: 1}
	}
	return Counters{Other: 1}
}

// gofakes3Params are the query parameters of the calls gofakes3 serves
// for the simulator; "x-id" is the operation name aws-sdk-go-v2 adds.
var gofakes3Params = map[string]bool{
	"list-type": true, "prefix": true, "delimiter": true, "marker": true, "max-keys": true,
	"start-after": true, "continuation-token": true, "fetch-owner": true, "encoding-type": true,
	"location": true, "uploads": true, "uploadId": true, "partNumber": true, "max-parts": true,
	"part-number-marker": true, "max-uploads": true, "key-marker": true, "upload-id-marker": true,
	"x-id": true,
}

// unsimulatedParam returns a query parameter that gofakes3 does not serve
// (sub-resources such as acl, cors, tagging, versioning, versionId).
func unsimulatedParam(q url.Values) (string, bool) {
	for name := range q {
		if !gofakes3Params[name] && !strings.HasPrefix(name, "response-") {
			return name, true
		}
	}
	return "", false
}

// simClock is the simulator's clock as gofakes3 reads it (Last-Modified).
type simClock struct{ s *Sim }

func (c simClock) Now() time.Time                  { return c.s.Now() }
func (c simClock) Since(t time.Time) time.Duration { return c.s.Now().Sub(t) }

// countingReader counts the request body bytes read.
type countingReader struct {
	r io.ReadCloser
	n uint64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += uint64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

// countingWriter counts the answer's body bytes and keeps its status. For
// gofakes3's answers it also restores the simulator's request id, gives
// error codes gofakes3 does not know their status (s3Backend.fail), and
// sends a multipart object's S3 ETag, which gofakes3 cannot express.
type countingWriter struct {
	w         http.ResponseWriter
	requestID string
	backend   *s3Backend
	code      int
	n         uint64
}

func (c *countingWriter) Header() http.Header { return c.w.Header() }

func (c *countingWriter) WriteHeader(code int) {
	if c.code != 0 {
		return
	}
	c.w.Header().Set("x-amz-request-id", c.requestID)
	if be := c.backend; be != nil {
		if code == http.StatusInternalServerError && be.status != 0 {
			code = be.status
		}
		if be.etag != "" && c.w.Header().Get("ETag") != "" {
			c.w.Header().Set("ETag", be.etag)
		}
	}
	c.code = code
	c.w.WriteHeader(code)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.WriteHeader(http.StatusOK)
	}
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

func (c *countingWriter) status() int {
	if c.code == 0 {
		return http.StatusOK
	}
	return c.code
}
