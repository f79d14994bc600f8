package ostorsim

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// s3Backend is the simulator's state seen by gofakes3 (s3plane.go) on
// behalf of one authenticated caller: buckets are created for, and listed
// of, that user. Authorization is done before gofakes3 is called; the
// backend stores what it is given. Every method takes s.mu, and none holds
// it while reading a request body.
type s3Backend struct {
	s      *Sim
	caller keyOwner
	// status is the HTTP status of the S3 error the backend returned last,
	// for codes gofakes3 does not know (it would answer 500); etag is the
	// ETag of the object read, which gofakes3 can only print as an MD5.
	// serveS3's writer applies both.
	status int
	etag   string
}

// fail returns an S3 error whose status gofakes3 does not know.
func (be *s3Backend) fail(status int, code, msg string) error {
	be.status = status
	return gofakes3.ErrorMessage(gofakes3.ErrorCode(code), msg)
}

var (
	_ gofakes3.Backend          = (*s3Backend)(nil)
	_ gofakes3.MultipartBackend = (*s3Backend)(nil)
)

// MaxStoredObject bounds one object or part written over S3: the
// simulator keeps content in memory.
const MaxStoredObject = 1 << 30

// MinPartSize is S3's smallest part of a multipart upload, the last part
// excepted.
const MinPartSize = 5 << 20

func (be *s3Backend) ListBuckets() ([]gofakes3.BucketInfo, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	var out []gofakes3.BucketInfo
	for _, b := range be.s.st.buckets {
		if b.ownerID == be.caller.userID {
			out = append(out, gofakes3.BucketInfo{Name: b.name, CreationDate: gofakes3.NewContentTime(b.created)})
		}
	}
	slices.SortFunc(out, func(x, y gofakes3.BucketInfo) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// ListBucket is ListObjects (V1 and V2): the keys whose latest version is
// not a delete marker, after page.Marker, grouped by the delimiter.
func (be *s3Backend) ListBucket(name string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	b, ok := be.s.st.buckets[name]
	if !ok {
		return nil, gofakes3.BucketNotFound(name)
	}
	maxKeys := page.MaxKeys
	if maxKeys <= 0 || maxKeys > MaxListKeys {
		maxKeys = MaxListKeys
	}
	var p gofakes3.Prefix
	if prefix != nil {
		p = *prefix
	}
	owner := &gofakes3.UserInfo{ID: b.ownerID, DisplayName: be.s.st.users[b.ownerID].email}
	list := gofakes3.NewObjectList()
	var n int64
	var last string
	for _, key := range b.sortedKeys(p.Prefix) {
		if page.HasMarker && key <= page.Marker {
			continue
		}
		v := b.objects[key].latest()
		if v.marker {
			continue
		}
		var m gofakes3.PrefixMatch
		if !p.Match(key, &m) {
			continue
		}
		if m.CommonPrefix {
			// Resuming after a common prefix skips the keys under it.
			if page.HasMarker && strings.HasPrefix(page.Marker, m.MatchedPart) {
				continue
			}
			if slices.ContainsFunc(list.CommonPrefixes, func(c gofakes3.CommonPrefix) bool { return c.Prefix == m.MatchedPart }) {
				continue
			}
		}
		if n == maxKeys {
			list.IsTruncated = true
			list.NextMarker = last
			break
		}
		n++
		if m.CommonPrefix {
			list.AddPrefix(m.MatchedPart)
			last = m.MatchedPart
			continue
		}
		list.Add(&gofakes3.Content{
			Key: key, LastModified: gofakes3.NewContentTime(v.modified), ETag: versionETag(b, v),
			Size: int64(v.size), StorageClass: "STANDARD", Owner: owner,
		})
		last = key
	}
	return list, nil
}

func (be *s3Backend) CreateBucket(name string) error {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	st := &be.s.st
	if b, exists := st.buckets[name]; exists {
		if b.ownerID == be.caller.userID {
			return be.fail(http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
		}
		return gofakes3.ResourceError(gofakes3.ErrBucketAlreadyExists, name)
	}
	st.addBucket(be.caller.userID, name)
	return nil
}

func (be *s3Backend) BucketExists(name string) (bool, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	_, ok := be.s.st.buckets[name]
	return ok, nil
}

// DeleteBucket is reached only for a DELETE /B with a sub-resource
// gofakes3 serves for other methods (?location, ?partNumber=1): a plain
// DELETE /B is serveS3's hand-written DeleteBucket. gofakes3 would ignore
// the sub-resource and delete the bucket, so the call is refused, as
// unsimulatedParam refuses DELETE /B?cors.
func (be *s3Backend) DeleteBucket(name string) error {
	return gofakes3.ErrorMessage(gofakes3.ErrNotImplemented, "DELETE on a bucket with this query is not simulated")
}

// ForceDeleteBucket is MinIO's extension; ostor has none.
func (be *s3Backend) ForceDeleteBucket(name string) error {
	return gofakes3.ErrorMessage(gofakes3.ErrNotImplemented, "force-deleting a bucket is not an ostor call")
}

// object returns the latest version of key, refusing delete markers and
// versions without content.
func (be *s3Backend) object(bucketName, key string) (*bucket, *objectVersion, error) {
	b, ok := be.s.st.buckets[bucketName]
	if !ok {
		return nil, nil, gofakes3.BucketNotFound(bucketName)
	}
	o := b.objects[key]
	if o == nil || o.latest().marker {
		return nil, nil, gofakes3.KeyNotFound(key)
	}
	v := o.latest()
	if !v.stored {
		// serveS3 answers 403 InvalidObjectState before this; kept for
		// safety, gofakes3 maps unknown codes to 500.
		return nil, nil, be.fail(http.StatusForbidden, "InvalidObjectState", "The object was made by the simulator's driving API and has no content to read.")
	}
	return b, v, nil
}

func (be *s3Backend) gofakesObject(key string, v *objectVersion, contents []byte, rng *gofakes3.ObjectRange) *gofakes3.Object {
	meta := make(map[string]string, len(v.meta)+1)
	for k, val := range v.meta {
		meta[k] = val
	}
	meta["Last-Modified"] = v.modified.UTC().Format(http.TimeFormat)
	obj := &gofakes3.Object{
		Name: key, Metadata: meta, Size: int64(v.size), Hash: v.md5, Range: rng,
		Contents: io.NopCloser(bytes.NewReader(contents)),
	}
	if v.id != nullVersion {
		obj.VersionID = gofakes3.VersionID(v.id)
	}
	be.etag = v.etag
	return obj
}

func (be *s3Backend) GetObject(bucketName, key string, rangeRequest *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	_, v, err := be.object(bucketName, key)
	if err != nil {
		return nil, err
	}
	rng, err := rangeRequest.Range(int64(v.size))
	if err != nil {
		return nil, err
	}
	contents := v.data // never modified in place: a new write makes a new slice
	if rng != nil {
		contents = contents[rng.Start : rng.Start+rng.Length]
	}
	return be.gofakesObject(key, v, contents, rng), nil
}

func (be *s3Backend) HeadObject(bucketName, key string) (*gofakes3.Object, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	_, v, err := be.object(bucketName, key)
	if err != nil {
		return nil, err
	}
	return be.gofakesObject(key, v, nil, nil), nil
}

func (be *s3Backend) DeleteObject(bucketName, key string) (gofakes3.ObjectDeleteResult, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	b, ok := be.s.st.buckets[bucketName]
	if !ok {
		return gofakes3.ObjectDeleteResult{}, gofakes3.BucketNotFound(bucketName)
	}
	m, err := be.s.st.deleteKey(b, key)
	if err != nil {
		return gofakes3.ObjectDeleteResult{}, be.fail(http.StatusForbidden, "AccessDenied", "Access Denied because object protected by object lock.")
	}
	if m == nil {
		return gofakes3.ObjectDeleteResult{}, nil
	}
	return gofakes3.ObjectDeleteResult{IsDeleteMarker: true, VersionID: gofakes3.VersionID(m.id)}, nil
}

// DeleteMulti is never reached: gofakes3 routes to it only with ?delete,
// which is serveS3's hand-written DeleteObjects on a bucket and which
// unsimulatedParam refuses anywhere else.
func (be *s3Backend) DeleteMulti(bucketName string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	return gofakes3.MultiDeleteResult{}, gofakes3.ErrorMessage(gofakes3.ErrNotImplemented, "DeleteObjects is served by the simulator's own handler")
}

// readBody reads exactly size bytes of a request body (or of a part),
// outside the lock. A SigV4 payload whose hash does not match fails here
// (hashVerifier), before anything is stored.
func readBody(input io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > MaxStoredObject {
		return nil, gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument, "an object or part of the simulator holds at most %d bytes", MaxStoredObject)
	}
	data, err := io.ReadAll(io.LimitReader(input, size+1))
	if errors.Is(err, errPayloadHash) {
		return nil, gofakes3.ErrorMessage(gofakes3.ErrBadDigest, "The x-amz-content-sha256 you specified did not match what we received.")
	}
	var s3err gofakes3.Error // BadDigest from gofakes3's Content-MD5 check
	if errors.As(err, &s3err) {
		return nil, err
	}
	if err != nil {
		return nil, gofakes3.ErrorMessage(gofakes3.ErrIncompleteBody, "reading the body: "+err.Error())
	}
	if int64(len(data)) != size {
		return nil, gofakes3.ErrIncompleteBody
	}
	return data, nil
}

// storedMeta keeps the headers S3 stores with an object.
func storedMeta(meta map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range meta {
		switch {
		case k == "Content-Type", k == "Content-Disposition", k == "Content-Encoding",
			strings.HasPrefix(k, "X-Amz-Meta-"):
			out[k] = v
		}
	}
	return out
}

// putStored writes a new version with content. Caller holds s.mu.
func (be *s3Backend) putStored(b *bucket, key string, data []byte, etag string, meta map[string]string) (*objectVersion, error) {
	if err := validKey(key); err != nil {
		return nil, gofakes3.ErrorMessage(gofakes3.ErrInvalidArgument, err.Error())
	}
	v, err := be.s.st.putVersion(b, key, uint64(len(data)), false)
	if err != nil {
		if errors.Is(err, errHeld) {
			return nil, be.fail(http.StatusForbidden, "AccessDenied", "Access Denied because object protected by object lock.")
		}
		return nil, err
	}
	sum := md5.Sum(data)
	v.stored, v.data, v.md5, v.meta = true, data, sum[:], storedMeta(meta)
	v.etag = etag
	if v.etag == "" {
		v.etag = gofakes3.FormatETag(v.md5)
	}
	return v, nil
}

func (be *s3Backend) PutObject(bucketName, key string, meta map[string]string, input io.Reader, size int64, conditions *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	data, err := readBody(input, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	b, ok := be.s.st.buckets[bucketName]
	if !ok {
		return gofakes3.PutObjectResult{}, gofakes3.BucketNotFound(bucketName)
	}
	if conditions != nil {
		info := &gofakes3.ConditionalObjectInfo{}
		if o := b.objects[key]; o != nil && !o.latest().marker {
			info.Exists, info.Hash = true, o.latest().md5
		}
		if err := gofakes3.CheckPutConditions(conditions, info); err != nil {
			return gofakes3.PutObjectResult{}, err
		}
	}
	v, err := be.putStored(b, key, data, "", meta)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	if v.id == nullVersion {
		return gofakes3.PutObjectResult{}, nil
	}
	return gofakes3.PutObjectResult{VersionID: gofakes3.VersionID(v.id)}, nil
}

// CopyObject copies the latest version of a source the caller may read
// (serveS3 checked the x-amz-copy-source bucket's owner).
func (be *s3Backend) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	_, src, err := be.object(srcBucket, srcKey)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	b, ok := be.s.st.buckets[dstBucket]
	if !ok {
		return gofakes3.CopyObjectResult{}, gofakes3.BucketNotFound(dstBucket)
	}
	// gofakes3 merged the source's metadata into meta already.
	v, err := be.putStored(b, dstKey, src.data, "", meta)
	if err != nil {
		return gofakes3.CopyObjectResult{}, err
	}
	return gofakes3.CopyObjectResult{ETag: v.etag, LastModified: gofakes3.NewContentTime(v.modified)}, nil
}

// ---------------------------------------------------------------- multipart

func (be *s3Backend) CreateMultipartUpload(bucketName, key string, meta map[string]string) (gofakes3.UploadID, error) {
	if err := validKey(key); err != nil {
		return "", gofakes3.ErrorMessage(gofakes3.ErrInvalidArgument, err.Error())
	}
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	b, ok := be.s.st.buckets[bucketName]
	if !ok {
		return "", gofakes3.BucketNotFound(bucketName)
	}
	id, seq := b.nextID()
	b.uploads[id] = &upload{id: id, key: key, seq: seq, initiated: be.s.st.now, initiator: be.caller.userID,
		meta: storedMeta(meta), parts: map[int]*uploadPart{}}
	return gofakes3.UploadID(id), nil
}

// upload finds an upload of key. Caller holds s.mu.
func (be *s3Backend) upload(bucketName, key string, id gofakes3.UploadID) (*bucket, *upload, error) {
	b, ok := be.s.st.buckets[bucketName]
	if !ok {
		return nil, nil, gofakes3.BucketNotFound(bucketName)
	}
	u := b.uploads[string(id)]
	if u == nil || u.key != key {
		return nil, nil, gofakes3.ErrNoSuchUpload
	}
	return b, u, nil
}

func (be *s3Backend) UploadPart(bucketName, key string, id gofakes3.UploadID, partNumber int, contentLength int64, input io.Reader) (string, error) {
	if partNumber < 1 || partNumber > gofakes3.MaxUploadPartNumber {
		return "", gofakes3.ErrInvalidPart
	}
	data, err := readBody(input, contentLength)
	if err != nil {
		return "", err
	}
	sum := md5.Sum(data)
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	_, u, err := be.upload(bucketName, key, id)
	if err != nil {
		return "", err
	}
	u.parts[partNumber] = &uploadPart{data: data, md5: sum[:], modified: be.s.st.now}
	return gofakes3.FormatETag(sum[:]), nil
}

// ListMultipartUploads is reached only by GET /B/K?uploads, which names a
// key S3's ListMultipartUploads does not take: GET /B?uploads is
// serveS3's hand-written listing. It is refused rather than answered by a
// second listing.
func (be *s3Backend) ListMultipartUploads(bucketName string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	return nil, gofakes3.ErrorMessage(gofakes3.ErrNotImplemented, "ListMultipartUploads is GET /<bucket>?uploads, without a key")
}

func (be *s3Backend) ListParts(bucketName, key string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	_, u, err := be.upload(bucketName, key, id)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxListKeys {
		limit = MaxListKeys
	}
	res := &gofakes3.ListMultipartUploadPartsResult{Bucket: bucketName, Key: key, UploadID: id,
		StorageClass: "STANDARD", PartNumberMarker: marker, MaxParts: limit}
	numbers := make([]int, 0, len(u.parts))
	for n := range u.parts {
		if n > marker {
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	for _, n := range numbers {
		if int64(len(res.Parts)) == limit {
			res.IsTruncated = true
			res.NextPartNumberMarker = res.Parts[len(res.Parts)-1].PartNumber
			break
		}
		p := u.parts[n]
		res.Parts = append(res.Parts, gofakes3.ListMultipartUploadPartItem{PartNumber: n,
			LastModified: gofakes3.NewContentTime(p.modified), ETag: gofakes3.FormatETag(p.md5), Size: int64(len(p.data))})
	}
	return res, nil
}

// AbortMultipartUpload is reached only if the router sends DELETE
// /B/K?uploadId to gofakes3; serveS3 answers it with the hand-written
// handler.
func (be *s3Backend) AbortMultipartUpload(bucketName, key string, id gofakes3.UploadID) error {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	b, _, err := be.upload(bucketName, key, id)
	if err != nil {
		return err
	}
	delete(b.uploads, string(id))
	return nil
}

// CompleteMultipartUpload joins the named parts, in ascending order, each
// but the last at least MinPartSize, into a new version whose ETag is S3's
// "<MD5 of the parts' MD5s>-<number of parts>".
func (be *s3Backend) CompleteMultipartUpload(bucketName, key string, id gofakes3.UploadID, in *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	be.s.mu.Lock()
	defer be.s.mu.Unlock()
	b, u, err := be.upload(bucketName, key, id)
	if err != nil {
		return "", "", err
	}
	if len(in.Parts) == 0 {
		return "", "", gofakes3.ErrorMessage(gofakes3.ErrMalformedXML, "a CompleteMultipartUpload names at least one part")
	}
	var size int
	hash := md5.New()
	for i, p := range in.Parts {
		if i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			return "", "", gofakes3.ErrInvalidPartOrder
		}
		part := u.parts[p.PartNumber]
		if part == nil || strings.Trim(p.ETag, `"`) != hex.EncodeToString(part.md5) {
			return "", "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidPart, "part %d was not uploaded or its ETag differs", p.PartNumber)
		}
		if i < len(in.Parts)-1 && len(part.data) < MinPartSize {
			return "", "", be.fail(http.StatusBadRequest, "EntityTooSmall", fmt.Sprintf("part %d is smaller than %d bytes and is not the last", p.PartNumber, MinPartSize))
		}
		size += len(part.data)
		hash.Write(part.md5)
	}
	if size > MaxStoredObject {
		return "", "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument, "an object of the simulator holds at most %d bytes", MaxStoredObject)
	}
	data := make([]byte, 0, size)
	for _, p := range in.Parts {
		data = append(data, u.parts[p.PartNumber].data...)
	}
	etag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(hash.Sum(nil)), len(in.Parts))
	v, err := be.putStored(b, key, data, etag, u.meta)
	if err != nil {
		return "", "", err
	}
	delete(b.uploads, u.id)
	if v.id == nullVersion {
		return "", etag, nil
	}
	return gofakes3.VersionID(v.id), etag, nil
}
