package ecssim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Traffic is what happened to a bucket at one instant of the simulated
// clock. Billing samples aggregate it by five-minute windows.
type Traffic struct {
	At             time.Time
	Ingress        int64 // bytes written
	Egress         int64 // bytes read
	ObjectsCreated int64
	ObjectsDeleted int64
	BytesDelta     int64 // change of the bucket's size
	BytesDeleted   int64 // size of the objects deleted
}

func bucketKey(ns, name string) string { return ns + "/" + name }

// newBucket is a bucket created now, without a quota (-1 is ECS's
// "undefined"), for the API and the helpers alike.
func (s *Server) newBucket(ns, name, owner string) *bucket {
	return &bucket{name: name, ns: ns, owner: owner, created: s.clock(), blockSize: -1, notifySize: -1}
}

// needNamespace is the API's answer when a namespace named in a request
// does not exist. Caller holds s.mu.
func (s *Server) needNamespace(name string) error {
	if s.ns[name] == nil {
		return notFound("namespace " + name)
	}
	return nil
}

// findBucket finds a bucket by name, in ns if given, else the only bucket of
// that name. Caller holds s.mu.
func (s *Server) findBucket(ns, name string) (*bucket, error) {
	if ns != "" {
		if err := s.needNamespace(ns); err != nil {
			return nil, err
		}
		b := s.buckets[bucketKey(ns, name)]
		if b == nil {
			return nil, notFound("bucket " + name + " in namespace " + ns)
		}
		return b, nil
	}
	var found *bucket
	for _, b := range s.buckets {
		if b.name == name {
			if found != nil {
				return nil, missingParam("namespace")
			}
			found = b
		}
	}
	if found == nil {
		return nil, notFound("bucket " + name)
	}
	return found, nil
}

func (b *bucket) totals(until time.Time, inclusive bool) (size, objects, deletedSize, deletedObjects int64) {
	for _, e := range b.events {
		if e.At.Before(until) || inclusive && e.At.Equal(until) {
			size += e.BytesDelta
			objects += e.ObjectsCreated - e.ObjectsDeleted
			deletedSize += e.BytesDeleted
			deletedObjects += e.ObjectsDeleted
		}
	}
	return
}

func (s *Server) bucketDoc(b *bucket) obj {
	// The order of the 4.1 specification; bucket info writes the quota
	// in snake case, unlike the quota calls.
	return obj{
		{"name", b.name}, {"id", bucketKey(b.ns, b.name)}, {"created", fmtTime(b.created)},
		{"softquota", "-1"}, {"fs_access_enabled", false}, {"locked", false},
		{"vpool", VpoolID}, {"namespace", b.ns}, {"owner", b.owner},
		{"is_encryption_enabled", "false"},
		{"block_size", b.blockSize}, {"notification_size", b.notifySize}, {"api_type", "S3"},
		{"TagSet", wrapped{item: "Tag", items: tagKV(b.tags)}},
		{"is_empty_bucket_in_progress", false}, {"versioning_status", ""},
	}
}

func tagKV(tags []tag) []any {
	out := []any{}
	for _, t := range tags {
		out = append(out, obj{{"Key", t.name}, {"Value", t.value}})
	}
	return out
}

func (s *Server) routeBuckets(r *http.Request, seg []string) (*result, error) {
	m := r.Method
	q := r.URL.Query()
	switch {
	case len(seg) == 0 && m == "POST":
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		name, err := b.need("name")
		if err != nil {
			return nil, err
		}
		nsName, err := b.need("namespace")
		if err != nil {
			return nil, err
		}
		if err := s.needNamespace(nsName); err != nil {
			return nil, err
		}
		if s.buckets[bucketKey(nsName, name)] != nil {
			return nil, exists("bucket " + name)
		}
		owner, _ := b.str("owner")
		if owner == "" {
			owner = s.opt.Username
		} else if u := s.users[owner]; u == nil || u.ns != nsName {
			return nil, notFound("owner " + owner + " in namespace " + nsName)
		}
		if v, ok := b.str("vpool"); ok && v != "" && v != VpoolID {
			return nil, notFound("replication group " + v)
		}
		s.buckets[bucketKey(nsName, name)] = s.newBucket(nsName, name, owner)
		return okDoc("bucket", obj{{"id", bucketKey(nsName, name)}, {"name", name}}), nil
	case len(seg) == 0 && m == "GET":
		nsName := q.Get("namespace")
		if nsName == "" {
			return nil, missingParam("namespace")
		}
		if err := s.needNamespace(nsName); err != nil {
			return nil, err
		}
		limit, err := intParam(q.Get("limit"), 1000)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, b := range s.buckets {
			if b.ns == nsName && b.name > q.Get("marker") {
				names = append(names, b.name)
			}
		}
		sort.Strings(names)
		next := ""
		if len(names) > limit {
			names = names[:limit]
			next = names[limit-1]
		}
		l := list{}
		for _, n := range names {
			l = append(l, s.bucketDoc(s.buckets[bucketKey(nsName, n)]))
		}
		doc := obj{{"Filter", "namespace=" + nsName}, {"MaxBuckets", int64(limit)}}
		if next != "" {
			doc = append(doc, kv{"NextMarker", next})
		}
		doc = append(doc, kv{"object_bucket", l})
		return okDoc("object_buckets", doc), nil
	case len(seg) == 2:
		nsName := q.Get("namespace")
		var quotaBody body
		if seg[1] == "quota" && m == "PUT" {
			b, err := readBody(r)
			if err != nil {
				return nil, err
			}
			quotaBody = b
			if v, _ := b.str("namespace"); v != "" && nsName == "" {
				nsName = v
			}
		}
		if seg[1] == "empty-bucket-status" && m == "GET" {
			// A bucket emptied and deleted still has its job's status.
			if j := s.emptying[bucketKey(nsName, seg[0])]; j != nil && s.buckets[bucketKey(nsName, seg[0])] == nil {
				return okDoc("empty_bucket_status", j.doc()), nil
			}
		}
		b, err := s.findBucket(nsName, seg[0])
		if err != nil {
			if seg[1] == "empty-bucket-status" && m == "GET" {
				// Documented example: an unknown bucket's status is NOT_FOUND.
				return okDoc("empty_bucket_status", obj{{"status", "NOT_FOUND"}}), nil
			}
			return nil, err
		}
		switch {
		case seg[1] == "info" && m == "GET":
			return okDoc("bucket_info", s.bucketDoc(b)), nil
		case seg[1] == "deactivate" && m == "POST":
			key := bucketKey(b.ns, b.name)
			if j := s.emptying[key]; j != nil && j.status == "IN_PROGRESS" {
				// Read-only while it is emptied (documented); a second
				// deletion is refused (the code is assumed).
				return nil, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: fmt.Sprintf("bucket %s is being emptied", b.name)}
			}
			_, objects, _, _ := b.totals(s.clock(), true)
			if objects > 0 && q.Get("emptyBucket") != "true" {
				return nil, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: fmt.Sprintf("bucket %s is not empty (%d objects)", b.name, objects)}
			}
			if objects == 0 {
				delete(s.buckets, key)
				return &result{status: 200}, nil
			}
			// ECS empties the bucket in the background, answering 202;
			// its empty-bucket-status tells how far it is.
			j := &emptyJob{status: "IN_PROGRESS", polls: s.opt.EmptyBucketPolls, objects: objects, failRetention: b.retained}
			s.emptying[key] = j
			s.advanceEmptying(key, j, false)
			return &result{status: http.StatusAccepted}, nil
		case seg[1] == "empty-bucket-status" && m == "GET":
			j := s.emptying[bucketKey(b.ns, b.name)]
			if j == nil {
				return okDoc("empty_bucket_status", obj{{"status", "NOT_FOUND"}}), nil
			}
			s.advanceEmptying(bucketKey(b.ns, b.name), j, true)
			return okDoc("empty_bucket_status", j.doc()), nil
		case seg[1] == "quota":
			switch m {
			case "GET":
			case "PUT":
				bs, notif, err := quotaParams(quotaBody, true)
				if err != nil {
					return nil, err
				}
				b.blockSize, b.notifySize = bs, notif
				return &result{status: 200}, nil
			case "DELETE":
				b.blockSize, b.notifySize = -1, -1
				return &result{status: 200}, nil
			default:
				return nil, methodNotAllowed()
			}
			return okDoc("bucket_quota_details", obj{{"bucketname", b.name}, {"namespace", b.ns}, {"blockSize", b.blockSize}, {"notificationSize", b.notifySize}}), nil
		}
	}
	return nil, notFound("no such resource: " + r.URL.Path)
}

// emptyJob is one bucket deletion with emptyBucket=true.
type emptyJob struct {
	status        string // IN_PROGRESS, DONE or FAILED
	polls         int    // status reads left before it ends
	objects       int64  // objects when it began
	deleted       int64
	failRetention int64 // objects held by retention: the job fails with them
}

// advanceEmptying moves a job on by one status read (polled) or starts
// it: a job with no polls left ends, deleting the bucket unless objects
// are retained. Caller holds s.mu.
func (s *Server) advanceEmptying(key string, j *emptyJob, polled bool) {
	if j.status != "IN_PROGRESS" {
		return
	}
	if polled && j.polls > 0 {
		j.polls--
	}
	if j.polls > 0 {
		j.deleted = j.objects / int64(j.polls+1)
		return
	}
	j.deleted = j.objects - j.failRetention
	if j.failRetention > 0 {
		j.status = "FAILED"
		if b := s.buckets[key]; b != nil {
			// What could go went; the retained objects stay.
			b.events = append(b.events, Traffic{At: s.clock(), ObjectsDeleted: j.deleted})
		}
		return
	}
	j.status = "DONE"
	delete(s.buckets, key)
}

func (j *emptyJob) doc() obj {
	d := obj{{"status", j.status}, {"entries_deleted", j.deleted}, {"failed_to_delete_due_to_retention", int64(0)},
		{"failed_to_delete_due_to_other", int64(0)}, {"approx_object_count", j.objects - j.deleted}}
	if j.status == "FAILED" {
		d[2] = kv{"failed_to_delete_due_to_retention", j.failRetention}
		d = append(d, kv{"message", fmt.Sprintf("%d objects are under retention", j.failRetention)})
	}
	return d
}

// ---- helpers for tests and the demo

// seededBucket is the bucket a helper works on, by exact namespace and
// name. Caller holds s.mu.
func (s *Server) seededBucket(ns, name string) (*bucket, error) {
	if b := s.buckets[bucketKey(ns, name)]; b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("ecssim: no bucket %s in %s", name, ns)
}

// RetainObjects puts n of a bucket's objects under retention, so emptying
// it fails with them left.
func (s *Server) RetainObjects(ns, bucketName string, n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.seededBucket(ns, bucketName)
	if err != nil {
		return err
	}
	b.retained = n
	return nil
}

// Emptying reports the status of a bucket's emptyBucket deletion ("" if
// none was asked).
func (s *Server) Emptying(ns, bucketName string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.emptying[bucketKey(ns, bucketName)]; j != nil {
		return j.status
	}
	return ""
}

// CreateNamespace adds a namespace.
func (s *Server) CreateNamespace(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ns[name] != nil {
		return fmt.Errorf("ecssim: namespace %s exists", name)
	}
	s.ns[name] = s.newNamespace(name)
	return nil
}

// CreateUser adds an object user (without keys) to a namespace.
func (s *Server) CreateUser(ns, uid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ns[ns] == nil {
		return fmt.Errorf("ecssim: no namespace %s", ns)
	}
	if s.users[uid] != nil {
		return fmt.Errorf("ecssim: user %s exists", uid)
	}
	s.users[uid] = &user{uid: uid, ns: ns, created: s.clock()}
	return nil
}

// CreateBucket adds a bucket owned by owner (any string).
func (s *Server) CreateBucket(ns, name, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ns[ns] == nil {
		return fmt.Errorf("ecssim: no namespace %s", ns)
	}
	if s.buckets[bucketKey(ns, name)] != nil {
		return fmt.Errorf("ecssim: bucket %s exists", name)
	}
	s.buckets[bucketKey(ns, name)] = s.newBucket(ns, name, owner)
	return nil
}

// RecordTraffic records traffic on a bucket; a zero At means now.
func (s *Server) RecordTraffic(ns, bucketName string, t Traffic) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.seededBucket(ns, bucketName)
	if err != nil {
		return err
	}
	if t.At.IsZero() {
		t.At = s.clock()
	}
	t.At = t.At.UTC()
	b.events = append(b.events, t)
	return nil
}

// PutObject records one object of size bytes written now.
func (s *Server) PutObject(ns, bucketName string, size int64) error {
	return s.RecordTraffic(ns, bucketName, Traffic{Ingress: size, ObjectsCreated: 1, BytesDelta: size})
}

// DeleteObject records one object of size bytes deleted now.
func (s *Server) DeleteObject(ns, bucketName string, size int64) error {
	return s.RecordTraffic(ns, bucketName, Traffic{ObjectsDeleted: 1, BytesDelta: -size, BytesDeleted: size})
}

// GetObject records size bytes read now.
func (s *Server) GetObject(ns, bucketName string, size int64) error {
	return s.RecordTraffic(ns, bucketName, Traffic{Egress: size})
}

// SetMPU sets a bucket's incomplete multipart upload size and part count.
func (s *Server) SetMPU(ns, bucketName string, size, parts int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.seededBucket(ns, bucketName)
	if err != nil {
		return err
	}
	b.mpuSize, b.mpuParts = size, parts
	return nil
}

// SetBucketTags replaces a bucket's tags (shown in billing TagSet).
func (s *Server) SetBucketTags(ns, bucketName string, kv map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.seededBucket(ns, bucketName)
	if err != nil {
		return err
	}
	b.tags = nil
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.tags = append(b.tags, tag{k, kv[k]})
	}
	return nil
}

// SeedDemo makes two namespaces with users and buckets and a day of
// traffic ending at the clock's current reading.
func (s *Server) SeedDemo() error {
	now := s.Now()
	for _, ns := range []string{"acme", "globex"} {
		if err := s.CreateNamespace(ns); err != nil {
			return err
		}
		for i := 1; i <= 2; i++ {
			uid := fmt.Sprintf("%s-user%d", ns, i)
			if err := s.CreateUser(ns, uid); err != nil {
				return err
			}
			for _, suffix := range []string{"data", "backup"} {
				name := strings.Join([]string{ns, suffix, fmt.Sprint(i)}, "-")
				if err := s.CreateBucket(ns, name, uid); err != nil {
					return err
				}
				seed := int64(len(name)*7 + i)
				for t := now.Add(-24 * time.Hour).Truncate(5 * time.Minute); t.Before(now); t = t.Add(5 * time.Minute) {
					step := (t.Unix()/300 + seed) % 17
					in := step * 1 << 20
					tr := Traffic{At: t.Add(time.Minute), Ingress: in, Egress: in / 2, ObjectsCreated: step%3 + 1, BytesDelta: in}
					if step%5 == 0 && step > 0 {
						tr.ObjectsDeleted, tr.BytesDeleted, tr.BytesDelta = 1, 1<<20, in-1<<20
					}
					if err := s.RecordTraffic(ns, name, tr); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
