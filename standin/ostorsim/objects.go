package ostorsim

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// SizeObjectKey is the key of the synthetic object through which
// SetBucketSize and GrowBucket give a bucket its size: a bucket's size is
// always the sum of its object versions, so a size set without objects has
// to live in one. It is an ordinary (null) version: it is listed, and
// deleting it over S3 empties the bucket like any other object.
const SizeObjectKey = ".ostorsim-size"

// nullVersion is S3's version id of an object written while versioning was
// off or suspended.
const nullVersion = "null"

// MaxKeyLength is S3's limit on object key length, in bytes.
const MaxKeyLength = 1024

// Versioning states of a bucket, as S3 names them. A bucket that never had
// versioning has none ("").
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// objectVersion is one version of an object, or a delete marker.
type objectVersion struct {
	id        string // nullVersion or an id derived from seq
	seq       uint64 // bucket-wide write order; orders versions of a key
	size      uint64
	marker    bool // a delete marker: no data
	modified  time.Time
	hold      bool // legal hold: this version cannot be deleted
	synthetic bool // the SizeObjectKey version SetBucketSize adjusts

	// Content, for versions written over S3 (s3plane.go). A version made by
	// the driving API has only a size: stored is false and reading it over
	// S3 is refused.
	stored bool
	data   []byte
	md5    []byte            // of data
	etag   string            // quoted; a multipart upload's "<md5 of md5s>-<parts>"
	meta   map[string]string // Content-Type, Content-Disposition, Content-Encoding, X-Amz-Meta-*
}

// object is the version stack of one key: oldest first, so the last
// element is the latest version.
type object struct {
	versions []*objectVersion
	// nullSeq is the seq of the last null version ever written under this
	// key, kept after that version is gone, so that a listing resumed at
	// version-id-marker=null knows where it was.
	nullSeq uint64
}

func (o *object) latest() *objectVersion { return o.versions[len(o.versions)-1] }

// upload is an unfinished multipart upload. Its parts (uploaded over S3,
// s3plane.go) do not count in the bucket's size until the upload is
// completed into an object (assumed for ostor).
type upload struct {
	id        string
	key       string
	seq       uint64
	initiated time.Time
	initiator string // user id
	meta      map[string]string
	parts     map[int]*uploadPart // by part number
}

// uploadPart is one uploaded part of a multipart upload.
type uploadPart struct {
	data     []byte
	md5      []byte
	modified time.Time
}

// ObjectVersion describes one stored version or delete marker.
type ObjectVersion struct {
	Key          string
	VersionID    string
	Size         uint64
	DeleteMarker bool
	IsLatest     bool
	LastModified time.Time
}

// MultipartUpload describes an unfinished multipart upload.
type MultipartUpload struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// ErrNoSuchKey is returned by the driving API for a key without versions.
var ErrNoSuchKey = errors.New("ostorsim: no such key")

// validKey keeps keys within S3's limit and printable in an XML listing.
func validKey(key string) error {
	switch {
	case key == "":
		return errors.New("ostorsim: empty object key")
	case len(key) > MaxKeyLength:
		return fmt.Errorf("ostorsim: object key longer than %d bytes", MaxKeyLength)
	case !utf8.ValidString(key):
		return errors.New("ostorsim: object key is not UTF-8")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff {
			return fmt.Errorf("ostorsim: object key contains %U, which an XML listing cannot carry", r)
		}
	}
	return nil
}

// nextID derives a version or upload id from the bucket's write sequence:
// 16 hex digits of seq (so that a listing can be resumed at a marker whose
// version is gone) and 16 of a hash, to look opaque. It draws nothing from
// the random stream, so that seeded tests see the same user ids and keys
// whether or not they create objects.
func (b *bucket) nextID() (string, uint64) {
	b.seq++
	h := sha256.Sum256([]byte(b.name + "\x00" + strconv.FormatUint(b.epoch, 10) + "\x00" + strconv.FormatUint(b.seq, 10)))
	return fmt.Sprintf("%016x", b.seq) + hex.EncodeToString(h[:8]), b.seq
}

// seqOfID reads the seq back from an id made by nextID.
func seqOfID(id string) (uint64, bool) {
	if len(id) != 32 {
		return 0, false
	}
	seq, err := strconv.ParseUint(id[:16], 16, 64)
	return seq, err == nil
}

// addBytes and removeBytes keep current equal to the sum of the version
// sizes, integrating the old size up to now first. The caller has made
// sure that adding does not overflow.
func (st *state) addBytes(b *bucket, n uint64) {
	b.integrate(st.now)
	b.setCurrent(b.current + n)
}

func (st *state) removeBytes(b *bucket, n uint64) {
	b.integrate(st.now)
	b.setCurrent(b.current - min(n, b.current))
}

// putVersion writes a new version (or delete marker) of key as versioning
// dictates: with versioning on, a new version on top; otherwise it replaces
// the null version. A held null version cannot be replaced.
func (st *state) putVersion(b *bucket, key string, size uint64, marker bool) (*objectVersion, error) {
	o := b.objects[key]
	if o == nil {
		o = &object{}
	}
	replaced := -1 // the null version this write replaces
	if b.versioning != VersioningEnabled {
		replaced = slices.IndexFunc(o.versions, func(v *objectVersion) bool { return v.id == nullVersion })
	}
	var freed uint64
	if replaced >= 0 {
		if o.versions[replaced].hold {
			return nil, errHeld
		}
		freed = o.versions[replaced].size
	}
	if _, carry := bits.Add64(b.current-freed, size, 0); carry != 0 {
		return nil, fmt.Errorf("ostorsim: bucket %q would exceed 2^64 bytes", b.name)
	}
	if replaced >= 0 {
		st.removeBytes(b, freed)
		o.versions = slices.Delete(o.versions, replaced, replaced+1)
	}
	v := &objectVersion{size: size, marker: marker, modified: st.now}
	v.id, v.seq = b.nextID()
	if b.versioning != VersioningEnabled {
		v.id = nullVersion
		o.nullSeq = v.seq
	}
	st.addBytes(b, size) // cannot overflow: checked above
	o.versions = append(o.versions, v)
	b.objects[key] = o
	return v, nil
}

// errHeld refuses to remove a version under legal hold.
var errHeld = errors.New("ostorsim: object version is under legal hold")

// removeVersion deletes one version by id; a missing version is no error
// (S3 answers success, which makes deletes safe to repeat). It reports
// whether the removed version was a delete marker.
func (st *state) removeVersion(b *bucket, key, id string) (wasMarker bool, err error) {
	o := b.objects[key]
	if o == nil {
		return false, nil
	}
	i := slices.IndexFunc(o.versions, func(v *objectVersion) bool { return v.id == id })
	if i < 0 {
		return false, nil
	}
	v := o.versions[i]
	if v.hold {
		return false, errHeld
	}
	st.removeBytes(b, v.size)
	o.versions = slices.Delete(o.versions, i, i+1)
	if len(o.versions) == 0 {
		delete(b.objects, key)
	}
	return v.marker, nil
}

// deleteKey is a delete without a version id: an unversioned bucket loses
// the object; a versioned one gets a delete marker (with suspended
// versioning a null marker, which replaces the null version).
func (st *state) deleteKey(b *bucket, key string) (marker *objectVersion, err error) {
	if b.versioning == "" {
		_, err := st.removeVersion(b, key, nullVersion)
		return nil, err
	}
	return st.putVersion(b, key, 0, true)
}

func (st *state) bucketNamed(name string) (*bucket, error) {
	b, ok := st.buckets[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoSuchBucket, name)
	}
	return b, nil
}

// PutObject stores an object of size bytes (its content is not kept) and
// returns its version id: "null" unless versioning is enabled. The bucket's
// size grows by size; with versioning off it first drops the version
// replaced.
func (s *Sim) PutObject(bucket, key string, size uint64) (versionID string, err error) {
	if err := validKey(key); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return "", err
	}
	v, err := s.st.putVersion(b, key, size, false)
	if err != nil {
		return "", err
	}
	return v.id, nil
}

// DeleteObject deletes key without a version id, as an S3 client does by
// default: in a versioned bucket it adds a delete marker and returns its
// version id; in an unversioned bucket the object is gone ("" returned).
func (s *Sim) DeleteObject(bucket, key string) (markerVersionID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return "", err
	}
	m, err := s.st.deleteKey(b, key)
	if err != nil || m == nil {
		return "", err
	}
	return m.id, nil
}

// SetVersioning turns versioning on (Enabled) or off. As in S3, a bucket
// that has had versioning can only be suspended, not returned to
// unversioned: its versions stay, new writes replace the null version.
func (s *Sim) SetVersioning(bucket string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return err
	}
	switch {
	case on:
		b.versioning = VersioningEnabled
	case b.versioning != "":
		b.versioning = VersioningSuspended
	}
	return nil
}

// Versioning returns the bucket's versioning state: "", VersioningEnabled
// or VersioningSuspended.
func (s *Sim) Versioning(bucket string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return "", err
	}
	return b.versioning, nil
}

// SetLegalHold puts (or lifts) a legal hold on the latest version of key.
// A held version cannot be deleted: DeleteObjects reports AccessDenied for
// it, as S3 Object Lock does.
func (s *Sim) SetLegalHold(bucket, key string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return err
	}
	o := b.objects[key]
	if o == nil {
		return fmt.Errorf("%w: %q in %q", ErrNoSuchKey, key, bucket)
	}
	o.latest().hold = on
	return nil
}

// StartMultipartUpload begins a multipart upload of key, initiated by the
// bucket's owner, and returns its upload id. Parts are not simulated.
func (s *Sim) StartMultipartUpload(bucket, key string) (uploadID string, err error) {
	if err := validKey(key); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return "", err
	}
	id, seq := b.nextID()
	b.uploads[id] = &upload{id: id, key: key, seq: seq, initiated: s.st.now, initiator: b.ownerID}
	return id, nil
}

// ObjectVersions lists every version and delete marker of the bucket, in
// S3's listing order: by key, newest version first.
func (s *Sim) ObjectVersions(bucket string) ([]ObjectVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return nil, err
	}
	var out []ObjectVersion
	for _, key := range b.sortedKeys("") {
		o := b.objects[key]
		for i := len(o.versions) - 1; i >= 0; i-- {
			v := o.versions[i]
			out = append(out, ObjectVersion{Key: key, VersionID: v.id, Size: v.size, DeleteMarker: v.marker,
				IsLatest: i == len(o.versions)-1, LastModified: v.modified})
		}
	}
	return out, nil
}

// Objects lists the keys a plain (unversioned) listing would show: those
// whose latest version is not a delete marker, sorted.
func (s *Sim) Objects(bucket string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, key := range b.sortedKeys("") {
		if !b.objects[key].latest().marker {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// MultipartUploads lists the bucket's unfinished uploads by key, then in
// the order they were started.
func (s *Sim) MultipartUploads(bucket string) ([]MultipartUpload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.bucketNamed(bucket)
	if err != nil {
		return nil, err
	}
	var out []MultipartUpload
	for _, u := range b.sortedUploads() {
		out = append(out, MultipartUpload{Key: u.key, UploadID: u.id, Initiated: u.initiated})
	}
	return out, nil
}

// HasBucket reports whether a bucket of that name exists.
func (s *Sim) HasBucket(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.st.buckets[name]
	return ok
}

func (b *bucket) sortedKeys(prefix string) []string {
	keys := make([]string, 0, len(b.objects))
	for key := range b.objects {
		if len(key) >= len(prefix) && key[:len(prefix)] == prefix {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

func (b *bucket) sortedUploads() []*upload {
	ups := make([]*upload, 0, len(b.uploads))
	for _, u := range b.uploads {
		ups = append(ups, u)
	}
	slices.SortFunc(ups, func(x, y *upload) int {
		return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.seq, y.seq))
	})
	return ups
}

// isEmpty is what DeleteBucket requires: no versions, no markers, no
// unfinished uploads.
func (b *bucket) isEmpty() bool { return len(b.objects) == 0 && len(b.uploads) == 0 }

// setSyntheticSize makes the bucket hold total bytes by sizing the
// SizeObjectKey version; real objects keep their sizes, so total may not
// be below them. Size zero removes the synthetic version.
func (st *state) setSyntheticSize(b *bucket, total uint64) error {
	var synth *objectVersion
	o := b.objects[SizeObjectKey]
	if o != nil {
		if i := slices.IndexFunc(o.versions, func(v *objectVersion) bool { return v.synthetic }); i >= 0 {
			synth = o.versions[i]
		}
	}
	var synthSize uint64
	if synth != nil {
		synthSize = synth.size
	}
	inObjects := b.current - synthSize
	if total < inObjects {
		return fmt.Errorf("ostorsim: bucket %q holds %d bytes in objects; its size cannot be set to %d", b.name, inObjects, total)
	}
	want := total - inObjects
	b.integrate(st.now)
	switch {
	case synth != nil && want == 0:
		o.versions = slices.DeleteFunc(o.versions, func(v *objectVersion) bool { return v == synth })
		if len(o.versions) == 0 {
			delete(b.objects, SizeObjectKey)
		}
	case synth != nil:
		synth.size = want
	case want > 0:
		if o == nil {
			o = &object{}
			b.objects[SizeObjectKey] = o
		}
		_, seq := b.nextID()
		o.versions = append(o.versions, &objectVersion{id: nullVersion, seq: seq, size: want, modified: st.now, synthetic: true})
		o.nullSeq = seq
	}
	b.setCurrent(total)
	return nil
}
