package ostorsim

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The S3 data plane's hand-written part: the calls staas makes to empty
// and delete a customer's buckets (docs/ostor-api.md, "The S3 data
// plane"), kept by hand because their strictness (checksums on
// DeleteObjects, encoding-type=url, markers, injected per-key faults) is
// what staas's purge is tested against. Every other S3 call is gofakes3's
// (s3plane.go). Requests are path-style (/bucket, /bucket/key) on the same
// listener as the admin API; a request is the admin API's when a query
// parameter starts with "ostor-".

// MaxListKeys is the largest (and default) page of a version or upload
// listing, and the most keys one DeleteObjects request may name.
const MaxListKeys = 1000

// isAdminRequest tells the admin API from the data plane: the admin API's
// calls all name an ostor- service in the query. "GET /" without one is
// S3's ListBuckets.
func isAdminRequest(r *http.Request) bool {
	for _, elem := range strings.Split(r.URL.RawQuery, "&") {
		name, _, _ := strings.Cut(elem, "=")
		if strings.HasPrefix(name, "ostor-") {
			return true
		}
		if dec, err := url.QueryUnescape(name); err == nil && strings.HasPrefix(dec, "ostor-") {
			return true
		}
	}
	return false
}

// s3Op names a simulated data-plane operation.
type s3Op int

const (
	opListVersions s3Op = iota + 1
	opListUploads
	opAbortUpload
	opDeleteObjects
	opDeleteBucket
)

// classifyS3 picks the hand-written operation from method, key and
// sub-resources; 0 means gofakes3 serves the request (s3plane.go).
func classifyS3(method, key string, q url.Values) s3Op {
	switch {
	case method == http.MethodGet && key == "" && q.Has("versions"):
		return opListVersions
	case method == http.MethodGet && key == "" && q.Has("uploads"):
		return opListUploads
	case method == http.MethodDelete && key != "" && q.Has("uploadId"):
		return opAbortUpload
	case method == http.MethodPost && key == "" && q.Has("delete"):
		return opDeleteObjects
	case method == http.MethodDelete && key == "" && !hasSubresource(q):
		return opDeleteBucket
	}
	return 0
}

func hasSubresource(q url.Values) bool {
	for name := range q {
		if subresourcesV2[name] {
			return true
		}
	}
	return false
}

// s3Call is one authenticated data-plane request.
type s3Call struct {
	op     s3Op
	bucket string
	key    string
	query  url.Values
	header http.Header
	body   []byte
	caller keyOwner
}

func parseS3Call(r *http.Request) (*s3Call, error) {
	rawBucket, rawKey, _ := strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	bucket, err := url.PathUnescape(rawBucket)
	if err != nil {
		return nil, badRequest("bad percent-encoding in the bucket name")
	}
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		return nil, badRequest("bad percent-encoding in the object key")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("bad query encoding")
	}
	c := &s3Call{op: classifyS3(r.Method, key, q), bucket: bucket, key: key, query: q, header: r.Header}
	if c.op == opDeleteObjects && r.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxHashedBody+1))
		if err != nil {
			return nil, badRequest("reading the body: " + err.Error())
		}
		if len(body) > maxHashedBody {
			return nil, &apiError{http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big."}
		}
		c.body = body
	}
	return c, nil
}

// handleS3 runs a hand-written call on bucket b, which serveS3 has
// authorised. Caller holds s.mu.
func (s *Sim) handleS3(c *s3Call, b *bucket) (status int, body []byte, err error) {
	switch c.op {
	case opListVersions:
		body, err = s.listVersions(b, c.query)
		status = http.StatusOK
	case opListUploads:
		body, err = s.listUploads(b, c.query)
		status = http.StatusOK
	case opAbortUpload:
		err = abortUpload(b, c.key, c.query.Get("uploadId"))
		status = http.StatusNoContent
	case opDeleteObjects:
		body, err = s.deleteObjects(b, c)
		status = http.StatusOK
	case opDeleteBucket:
		if !b.isEmpty() {
			err = conflict("BucketNotEmpty", "The bucket you tried to delete is not empty")
			break
		}
		s.st.removeBucket(b.name)
		status = http.StatusNoContent
	}
	if err != nil {
		return 0, nil, err
	}
	return status, body, nil
}

// listingParams reads what a version or upload listing (what) asks for:
// the page size from sizeParam (max-keys, max-uploads; default and
// ceiling MaxListKeys) and encoding-type=url, which enc applies to keys.
// A delimiter is not simulated.
func listingParams(q url.Values, sizeParam, what string) (size int, enc func(string) string, encType string, err error) {
	if q.Has("delimiter") {
		return 0, nil, "", &apiError{http.StatusNotImplemented, "NotImplemented", "delimiter is not simulated in " + what + " listings"}
	}
	size = MaxListKeys
	if v, present := q[sizeParam]; present {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return 0, nil, "", badRequest(fmt.Sprintf("%s must be a non-negative integer", sizeParam))
		}
		size = min(n, MaxListKeys)
	}
	switch encType = q.Get("encoding-type"); encType {
	case "":
		return size, func(s string) string { return s }, "", nil
	case "url":
		return size, func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }, "url", nil
	}
	return 0, nil, "", badRequest("Invalid Encoding Method specified in Request")
}

// listVersions is ListObjectVersions: every version and delete marker, by
// key, newest first, resumable at key-marker (after that key) or at
// key-marker + version-id-marker (after that version). Caller holds s.mu.
func (s *Sim) listVersions(b *bucket, q url.Values) ([]byte, error) {
	maxKeys, enc, encType, err := listingParams(q, "max-keys", "version")
	if err != nil {
		return nil, err
	}
	prefix, keyMarker, vidMarker := q.Get("prefix"), q.Get("key-marker"), q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return nil, badRequest("A version-id marker cannot be specified without a key marker.")
	}
	var markerSeq uint64
	switch {
	case vidMarker == nullVersion:
		if o := b.objects[keyMarker]; o != nil {
			markerSeq = o.nullSeq
		}
	case vidMarker != "":
		seq, ok := seqOfID(vidMarker)
		if !ok {
			return nil, badRequest("Invalid version id specified")
		}
		markerSeq = seq
	}

	res := listVersionsResultXML{
		Xmlns: s3Namespace, Name: b.name, Prefix: enc(prefix), KeyMarker: enc(keyMarker),
		VersionIDMarker: vidMarker, MaxKeys: maxKeys, EncodingType: encType,
	}
	owner := ownerXML{ID: b.ownerID, DisplayName: s.st.users[b.ownerID].email}
	keys := b.sortedKeys(prefix)
	var lastKey, lastID string
listing:
	for _, key := range keys[sort.SearchStrings(keys, keyMarker):] {
		o := b.objects[key]
		for i := len(o.versions) - 1; i >= 0; i-- {
			v := o.versions[i]
			if key == keyMarker && (vidMarker == "" || v.seq >= markerSeq) {
				continue
			}
			if len(res.Entries) == maxKeys {
				res.IsTruncated = maxKeys > 0
				break listing
			}
			e := versionEntryXML{
				XMLName: xml.Name{Local: "Version"}, Key: enc(key), VersionID: v.id,
				IsLatest: i == len(o.versions)-1, LastModified: s3Time(v.modified), Owner: owner,
			}
			if v.marker {
				e.XMLName.Local = "DeleteMarker"
			} else {
				size := v.size
				e.Size, e.ETag, e.StorageClass = &size, versionETag(b, v), "STANDARD"
			}
			res.Entries = append(res.Entries, e)
			lastKey, lastID = key, v.id
		}
	}
	if res.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = enc(lastKey), lastID
	}
	return encodeXML(res)
}

// versionETag is the ETag of a version written over S3, or, for a version
// of the driving API, whose content is not kept, a stable stand-in.
func versionETag(b *bucket, v *objectVersion) string {
	if v.stored {
		return v.etag
	}
	h := sha256.Sum256([]byte(b.name + "\x00" + strconv.FormatUint(v.seq, 10)))
	return `"` + hex.EncodeToString(h[:16]) + `"`
}

// listUploads is ListMultipartUploads: unfinished uploads by key, then by
// start, resumable at key-marker or key-marker + upload-id-marker.
// Caller holds s.mu.
func (s *Sim) listUploads(b *bucket, q url.Values) ([]byte, error) {
	maxUploads, enc, encType, err := listingParams(q, "max-uploads", "upload")
	if err != nil {
		return nil, err
	}
	prefix, keyMarker, idMarker := q.Get("prefix"), q.Get("key-marker"), q.Get("upload-id-marker")
	if keyMarker == "" {
		idMarker = "" // S3 ignores it without a key marker
	}
	var markerSeq uint64
	if idMarker != "" {
		seq, ok := seqOfID(idMarker)
		if !ok {
			return nil, badRequest("Invalid uploadId marker")
		}
		markerSeq = seq
	}
	res := listUploadsResultXML{
		Xmlns: s3Namespace, Bucket: b.name, KeyMarker: enc(keyMarker), UploadIDMarker: idMarker,
		Prefix: enc(prefix), MaxUploads: maxUploads, EncodingType: encType, Uploads: []uploadXML{},
	}
	var last *upload
	for _, u := range b.sortedUploads() {
		switch {
		case !strings.HasPrefix(u.key, prefix), u.key < keyMarker:
			continue
		case u.key == keyMarker && (idMarker == "" || u.seq <= markerSeq):
			continue
		}
		if len(res.Uploads) == maxUploads {
			res.IsTruncated = maxUploads > 0
			break
		}
		initiator := ownerXML{ID: u.initiator}
		if iu := s.st.users[u.initiator]; iu != nil {
			initiator.DisplayName = iu.email
		}
		res.Uploads = append(res.Uploads, uploadXML{
			Key: enc(u.key), UploadID: u.id, Initiator: initiator,
			Owner:        ownerXML{ID: b.ownerID, DisplayName: s.st.users[b.ownerID].email},
			StorageClass: "STANDARD", Initiated: s3Time(u.initiated),
		})
		last = u
	}
	if res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = enc(last.key), last.id
	}
	return encodeXML(res)
}

func abortUpload(b *bucket, key, id string) error {
	u := b.uploads[id]
	if u == nil || u.key != key {
		return notFound("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	}
	delete(b.uploads, id)
	return nil
}

// deleteObjects is DeleteObjects: up to MaxListKeys keys, each with or
// without a version id, each failing or succeeding on its own. Caller
// holds s.mu.
func (s *Sim) deleteObjects(b *bucket, c *s3Call) ([]byte, error) {
	if err := checkBodyChecksums(c.header, c.body); err != nil {
		return nil, err
	}
	var req deleteRequestXML
	if err := xml.Unmarshal(c.body, &req); err != nil {
		return nil, &apiError{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}
	}
	if len(req.Objects) == 0 || len(req.Objects) > MaxListKeys {
		return nil, &apiError{http.StatusBadRequest, "MalformedXML",
			fmt.Sprintf("a Delete request names 1 to %d objects, not %d", MaxListKeys, len(req.Objects))}
	}
	for _, o := range req.Objects {
		if o.Key == "" {
			return nil, &apiError{http.StatusBadRequest, "MalformedXML", "an Object without a Key"}
		}
	}
	res := deleteResultXML{Xmlns: s3Namespace}
	for _, o := range req.Objects {
		if s.faults.f.FailDeleteKeys > 0 {
			s.faults.f.FailDeleteKeys--
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID,
				Code: "InternalError", Message: "injected fault: We encountered an internal error. Please try again."})
			continue
		}
		d := deletedXML{Key: o.Key, VersionID: o.VersionID}
		var err error
		if o.VersionID != "" {
			if _, valid := seqOfID(o.VersionID); !valid && o.VersionID != nullVersion {
				res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID,
					Code: "NoSuchVersion", Message: "The specified version does not exist."})
				continue
			}
			var wasMarker bool
			wasMarker, err = s.st.removeVersion(b, o.Key, o.VersionID)
			if wasMarker {
				d.DeleteMarker, d.DeleteMarkerVersionID = true, o.VersionID
			}
		} else {
			var m *objectVersion
			m, err = s.st.deleteKey(b, o.Key)
			if m != nil {
				d.DeleteMarker, d.DeleteMarkerVersionID = true, m.id
			}
		}
		if err != nil { // a legal hold: the only way a delete fails
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID,
				Code: "AccessDenied", Message: "Access Denied because object protected by object lock."})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, d)
		}
	}
	return encodeXML(res)
}

// checkBodyChecksums requires what S3 requires of DeleteObjects: a
// Content-MD5 header or a flexible checksum header (x-amz-checksum-crc32,
// -crc32c, -crc64nvme, -sha1, -sha256; aws-sdk-go-v2 sends CRC32 since
// 2025), and checks every one sent against the body.
func checkBodyChecksums(h http.Header, body []byte) error {
	badDigest := func(name string) error {
		return &apiError{http.StatusBadRequest, "BadDigest", "The " + name + " you specified did not match the calculated checksum."}
	}
	found := false
	if v := h.Get("Content-MD5"); v != "" {
		found = true
		sum := md5.Sum(body)
		if v != base64.StdEncoding.EncodeToString(sum[:]) {
			return badDigest("Content-MD5")
		}
	}
	for name, values := range h {
		alg, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-checksum-")
		if !ok || alg == "type" || alg == "mode" || alg == "algorithm" {
			continue
		}
		want, known := bodyChecksum(alg, body)
		if !known {
			return &apiError{http.StatusBadRequest, "InvalidRequest", "Unsupported checksum algorithm " + alg}
		}
		found = true
		if len(values) != 1 || values[0] != want {
			return badDigest("x-amz-checksum-" + alg)
		}
	}
	if alg := strings.ToLower(h.Get("X-Amz-Sdk-Checksum-Algorithm")); alg != "" && h.Get("X-Amz-Checksum-"+alg) == "" {
		return &apiError{http.StatusBadRequest, "InvalidRequest", "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* header"}
	}
	if !found {
		return &apiError{http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: Content-MD5"}
	}
	return nil
}

// crc64NVME is the CRC-64/NVME table (reflected polynomial), which Go's
// crc64 package computes with the same pre- and post-inversion.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// bodyChecksum is the base64 of the big-endian digest, as the headers
// carry it.
func bodyChecksum(alg string, body []byte) (string, bool) {
	var sum []byte
	switch alg {
	case "crc32":
		sum = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body))
	case "crc32c":
		sum = binary.BigEndian.AppendUint32(nil, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	case "crc64nvme":
		sum = binary.BigEndian.AppendUint64(nil, crc64.Checksum(body, crc64NVME))
	case "sha1":
		s := sha1.Sum(body)
		sum = s[:]
	case "sha256":
		s := sha256.Sum256(body)
		sum = s[:]
	default:
		return "", false
	}
	return base64.StdEncoding.EncodeToString(sum), true
}
