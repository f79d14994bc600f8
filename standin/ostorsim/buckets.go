package ostorsim

import (
	"errors"
	"fmt"
	"math/bits"
	"net/http"
	"slices"
	"time"
)

// defaultStorageClass is the storage class of every simulated bucket.
const defaultStorageClass = "DEFAULT"

// creationDateFormat is how ostor prints a bucket's creation_date.
const creationDateFormat = "2006-01-02T15:04:05.000Z"

// nsPerHour converts the byte-nanoseconds the clock accumulates into the
// byte-hours h_integral reports.
const nsPerHour = uint64(time.Hour)

type bucket struct {
	name    string
	ownerID string
	epoch   uint64
	created time.Time

	current uint64
	hmax    uint64
	// h_integral is kept exactly: whole byte-hours plus the remainder in
	// byte-nanoseconds, so that integrating in small steps gives the same
	// result as in one big step.
	hIntegral  uint64
	hRemainder uint64 // < nsPerHour
	lastUpdate time.Time

	// Objects (objects.go). current is always the sum of the sizes of
	// their versions.
	objects    map[string]*object // by key
	uploads    map[string]*upload // by upload id
	versioning string             // "", VersioningEnabled, VersioningSuspended
	seq        uint64             // last version or upload sequence number
}

// sizeJSON is a bucket's "size" block and a user's "space" block.
type sizeJSON struct {
	Current   uint64 `json:"current"`
	HMax      uint64 `json:"hmax"`
	HIntegral uint64 `json:"h_integral"`
	LastTS    int64  `json:"last_ts"`
}

type bucketJSON struct {
	Name         string   `json:"name"`
	Epoch        uint64   `json:"epoch"`
	CreationDate string   `json:"creation_date"`
	OwnerID      string   `json:"owner_id"`
	Size         sizeJSON `json:"size"`
}

// integrate adds current × (t − lastUpdate) to the integral and marks t as
// the last update. This is a model of the undocumented fields for tests,
// not the gateway's proven behaviour: the public examples do not fit it
// (docs/usage.md, "Storage over time"), and staas bills on current only.
func (b *bucket) integrate(t time.Time) {
	if !t.After(b.lastUpdate) {
		return
	}
	dt := uint64(t.Sub(b.lastUpdate))
	hi, lo := bits.Mul64(b.current, dt)
	lo, carry := bits.Add64(lo, b.hRemainder, 0)
	hi += carry
	if hi >= nsPerHour { // would overflow the quotient: saturate
		b.hIntegral, b.hRemainder = ^uint64(0), 0
	} else {
		q, rem := bits.Div64(hi, lo, nsPerHour)
		sum, overflow := bits.Add64(b.hIntegral, q, 0)
		if overflow != 0 {
			sum = ^uint64(0)
		}
		b.hIntegral, b.hRemainder = sum, rem
	}
	b.lastUpdate = t
}

func (b *bucket) setCurrent(bytes uint64) {
	b.current = bytes
	b.hmax = max(b.hmax, bytes)
}

// lastTS is the hour (since the Unix epoch) of the last update.
func (b *bucket) lastTS() int64 {
	return hoursSinceEpoch(b.lastUpdate)
}

func hoursSinceEpoch(t time.Time) int64 {
	s := t.Unix()
	h := s / 3600
	if s < 0 && s%3600 != 0 {
		h-- // floor, not truncation, before 1970
	}
	return h
}

func (b *bucket) json() bucketJSON {
	return bucketJSON{
		Name:         b.name,
		Epoch:        b.epoch,
		CreationDate: b.created.UTC().Format(creationDateFormat),
		OwnerID:      b.ownerID,
		Size:         sizeJSON{Current: b.current, HMax: b.hmax, HIntegral: b.hIntegral, LastTS: b.lastTS()},
	}
}

// moveClock sets the clock to t, integrating every bucket up to it.
func (st *state) moveClock(t time.Time) {
	if t.Before(st.now) {
		return
	}
	for _, b := range st.buckets {
		b.integrate(t)
	}
	st.now = t
}

// userSpace sums the size blocks of a user's buckets; last_ts is the latest.
func (st *state) userSpace(userID string) sizeJSON {
	var sp sizeJSON
	for _, b := range st.buckets {
		if b.ownerID != userID {
			continue
		}
		sp.Current += b.current
		sp.HMax += b.hmax
		sp.HIntegral += b.hIntegral
		sp.LastTS = max(sp.LastTS, b.lastTS())
	}
	return sp
}

// ErrNoSuchBucket and ErrNoSuchUser are returned by the driving API.
var (
	ErrNoSuchBucket = errors.New("ostorsim: no such bucket")
	ErrNoSuchUser   = errors.New("ostorsim: no such user")
)

// CreateBucket creates an empty bucket owned by the user with that email.
// Bucket names are global, as in S3.
func (s *Sim) CreateBucket(ownerEmail, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.userByEmail(ownerEmail)
	if u == nil {
		return fmt.Errorf("%w: %q", ErrNoSuchUser, ownerEmail)
	}
	if name == "" {
		return errors.New("ostorsim: empty bucket name")
	}
	if _, exists := s.st.buckets[name]; exists {
		return fmt.Errorf("ostorsim: bucket %q already exists", name)
	}
	s.st.addBucket(u.id, name)
	return nil
}

// addBucket creates an empty bucket; the name is free. A re-created name
// gets the next epoch, so that usage of the old and the new bucket stay
// apart, as ostor's (bucket, epoch) keys intend.
func (st *state) addBucket(ownerID, name string) *bucket {
	epoch := st.epochs[name]
	st.epochs[name] = epoch + 1
	b := &bucket{name: name, ownerID: ownerID, epoch: epoch, created: st.now, lastUpdate: st.now,
		objects: map[string]*object{}, uploads: map[string]*upload{}}
	st.buckets[name] = b
	return b
}

// SetBucketSize sets a bucket's current size in bytes by sizing its
// synthetic object (SizeObjectKey), which it creates or, at the size of the
// real objects, removes. A size below what the real objects hold is an
// error and changes nothing.
func (s *Sim) SetBucketSize(name string, bytes uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.st.buckets[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoSuchBucket, name)
	}
	return s.st.setSyntheticSize(b, bytes)
}

// GrowBucket changes a bucket's size by delta bytes through its synthetic
// object, as SetBucketSize does; shrinking below zero, or below the real
// objects, is an error and changes nothing.
func (s *Sim) GrowBucket(name string, delta int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.st.buckets[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoSuchBucket, name)
	}
	var next uint64
	if delta >= 0 {
		var overflow uint64
		next, overflow = bits.Add64(b.current, uint64(delta), 0)
		if overflow != 0 {
			return fmt.Errorf("ostorsim: bucket %q would exceed 2^64 bytes", name)
		}
	} else {
		shrink := uint64(-(delta + 1)) + 1 // avoids overflow at MinInt64
		if shrink > b.current {
			return fmt.Errorf("ostorsim: bucket %q holds %d bytes, cannot shrink by %d", name, b.current, shrink)
		}
		next = b.current - shrink
	}
	return s.st.setSyntheticSize(b, next)
}

// DeleteBucket removes a bucket (whatever it holds: objects and uploads go
// with it) and its limits, quota and replication configuration. S3's DeleteBucket, by contrast,
// refuses a bucket that is not empty.
func (s *Sim) DeleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.buckets[name]; !ok {
		return fmt.Errorf("%w: %q", ErrNoSuchBucket, name)
	}
	s.st.removeBucket(name)
	return nil
}

func (st *state) removeBucket(name string) {
	delete(st.buckets, name)
	delete(st.bucketLimits, name)
	delete(st.bucketQuotas, name)
	delete(st.replication, name)
}

// ostor-buckets: all buckets, or one owner's (emailAddress or id), by name.
func (s *Sim) handleBuckets(c *call) (reply, error) {
	if c.method != http.MethodGet {
		return reply{}, methodNotAllowed(c)
	}
	if err := c.only([]string{"emailAddress", "id", "storage_class"}, nil); err != nil {
		return reply{}, err
	}
	// storage_class is undocumented; a public client sends
	// storage_class=DEFAULT. Every simulated bucket is in the default
	// class, so another class lists no bucket.
	if class, present := c.value("storage_class"); present && class != defaultStorageClass {
		return ok(struct {
			Buckets []bucketJSON `json:"Buckets"`
		}{Buckets: []bucketJSON{}}), nil
	}
	owner := ""
	if c.has("emailAddress") || c.has("id") {
		u, err := s.st.selectUser(c)
		if err != nil {
			return reply{}, err
		}
		owner = u.id
	}
	names := make([]string, 0, len(s.st.buckets))
	for name, b := range s.st.buckets {
		if owner == "" || b.ownerID == owner {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := struct {
		Buckets []bucketJSON `json:"Buckets"`
	}{Buckets: make([]bucketJSON, 0, len(names))}
	for _, name := range names {
		out.Buckets = append(out.Buckets, s.st.buckets[name].json())
	}
	return ok(out), nil
}
