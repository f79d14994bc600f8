package ecssim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// VpoolID is the one replication group the simulator has.
const VpoolID = "urn:storageos:ReplicationGroupInfo:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:global"

type namespace struct {
	name       string
	created    time.Time
	blockSize  int64 // GB, -1 undefined
	notifySize int64
}

type tag struct{ name, value string }

type user struct {
	uid     string
	ns      string
	tags    []tag
	locked  bool
	created time.Time
	keys    [2]*secretKey
}

type secretKey struct {
	id     string
	secret string
	ts     time.Time
	expiry time.Time // zero: does not expire
}

type bucket struct {
	name       string
	ns         string
	owner      string
	created    time.Time
	blockSize  int64
	notifySize int64
	tags       []tag
	events     []Traffic
	mpuSize    int64
	mpuParts   int64
	retained   int64 // objects under retention (RetainObjects)
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func tagObjs(tags []tag) []any {
	out := []any{}
	for _, t := range tags {
		out = append(out, obj{{"name", t.name}, {"value", t.value}})
	}
	return out
}

func parseTags(b body) ([]tag, error) {
	var out []tag
	raw := b.items("tags")
	// XML: <tags><tag><name/><value/></tag></tags>
	if len(raw) == 1 {
		if m, ok := raw[0].(map[string]any); ok {
			if _, hasTag := m["tag"]; hasTag {
				raw = body(m).items("tag")
			}
		}
	}
	for _, it := range raw {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, badBody("tags: each tag is {name, value}")
		}
		n, _ := body(m).str("name")
		v, _ := body(m).str("value")
		if n == "" {
			return nil, missingParam("tag name")
		}
		out = append(out, tag{n, v})
	}
	return out, nil
}

// ---- namespaces and vpools

func (s *Server) vpools() *result {
	return okDoc("data_service_vpools", obj{{"data_service_vpool", list{obj{
		{"id", VpoolID}, {"name", "rg1"}, {"description", "simulated replication group"},
		{"isAllowAllNamespaces", true}, {"enable_rebalancing", true},
	}}}})
}

func (s *Server) nsDoc(n *namespace) obj {
	return obj{
		{"id", n.name}, {"name", n.name}, {"inactive", false}, {"global", false}, {"remote", false},
		{"default_data_services_vpool", VpoolID}, {"is_encryption_enabled", false},
	}
}

// newNamespace is a namespace created now, without a quota, for the API
// and the helpers alike.
func (s *Server) newNamespace(name string) *namespace {
	return &namespace{name: name, created: s.clock(), blockSize: -1, notifySize: -1}
}

func (s *Server) routeNamespaces(r *http.Request, seg []string) (*result, error) {
	m := r.Method
	switch {
	case len(seg) == 0 && m == "GET":
		var names []string
		for k := range s.ns {
			names = append(names, k)
		}
		sort.Strings(names)
		l := list{}
		for _, k := range names {
			l = append(l, obj{{"id", k}, {"name", k}})
		}
		return okDoc("namespaces", obj{{"namespace", l}}), nil
	case len(seg) == 1 && seg[0] == "namespace" && m == "POST":
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		name, err := b.need("namespace")
		if err != nil {
			return nil, err
		}
		if s.ns[name] != nil {
			return nil, exists("namespace " + name)
		}
		s.ns[name] = s.newNamespace(name)
		return okDoc("namespace", obj{{"id", name}, {"name", name}}), nil
	case len(seg) >= 2 && seg[0] == "namespace":
		n := s.ns[seg[1]]
		if n == nil {
			return nil, notFound("namespace " + seg[1])
		}
		switch {
		case len(seg) == 2 && m == "GET":
			return okDoc("namespace", s.nsDoc(n)), nil
		case len(seg) == 3 && seg[2] == "deactivate" && m == "POST":
			for _, b := range s.buckets {
				if b.ns == n.name {
					return nil, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: "namespace " + n.name + " still has buckets"}
				}
			}
			for _, u := range s.users {
				if u.ns == n.name {
					return nil, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: "namespace " + n.name + " still has users"}
				}
			}
			delete(s.ns, n.name)
			return &result{status: 200, root: ""}, nil
		case len(seg) == 3 && seg[2] == "quota":
			switch m {
			case "GET":
			case "PUT":
				b, err := readBody(r)
				if err != nil {
					return nil, err
				}
				bs, notif, err := quotaParams(b, false)
				if err != nil {
					return nil, err
				}
				n.blockSize, n.notifySize = bs, notif
			case "DELETE":
				n.blockSize, n.notifySize = -1, -1
			default:
				return nil, methodNotAllowed()
			}
			return okDoc("namespace_quota_details", obj{{"namespace", n.name}, {"blockSize", n.blockSize}, {"notificationSize", n.notifySize}}), nil
		}
	}
	return nil, notFound("no such resource: " + r.URL.Path)
}

func methodNotAllowed() *apiError {
	return &apiError{status: 405, code: 1007, desc: "Method not supported"}
}

// quotaParams reads blockSize and notificationSize (GB, -1 undefined).
func quotaParams(b body, refuseBothUndefined bool) (int64, int64, error) {
	bs, okB, err := b.int("blockSize")
	if err != nil {
		return 0, 0, err
	}
	ns, okN, err := b.int("notificationSize")
	if err != nil {
		return 0, 0, err
	}
	if !okB {
		return 0, 0, missingParam("blockSize")
	}
	if !okN {
		return 0, 0, missingParam("notificationSize")
	}
	for _, v := range []int64{bs, ns} {
		if v != -1 && v < 1 {
			return 0, 0, badBody("quota sizes are whole GB of at least 1, or -1")
		}
	}
	if refuseBothUndefined && bs == -1 && ns == -1 {
		return 0, 0, badBody("blockSize and notificationSize cannot both be -1; delete the quota instead")
	}
	if bs != -1 && ns != -1 && ns > bs {
		return 0, 0, badBody("notificationSize must not exceed blockSize")
	}
	return bs, ns, nil
}

// ---- object users

func (s *Server) userDoc(u *user) obj {
	return obj{
		{"namespace", u.ns}, {"name", u.uid}, {"locked", u.locked}, {"created", u.created.Format("Mon Jan 02 15:04:05 MST 2006")},
		{"tag", list(tagObjs(u.tags))},
	}
}

func (s *Server) routeUsers(r *http.Request, seg []string) (*result, error) {
	m := r.Method
	q := r.URL.Query()
	switch {
	case len(seg) == 0 && m == "POST":
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		uid, err := b.need("user")
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
		if s.users[uid] != nil {
			return nil, exists("user " + uid)
		}
		tags, err := parseTags(b)
		if err != nil {
			return nil, err
		}
		s.users[uid] = &user{uid: uid, ns: nsName, tags: tags, created: s.clock()}
		return okDoc("user", obj{{"id", uid}, {"name", uid}}), nil
	case (len(seg) == 0 || len(seg) == 1 && s.ns[seg[0]] != nil) && m == "GET":
		nsFilter := q.Get("namespace")
		if len(seg) == 1 {
			nsFilter = seg[0]
		}
		limit, err := intParam(q.Get("limit"), 1000)
		if err != nil {
			return nil, err
		}
		var ids []string
		for id, u := range s.users {
			if (nsFilter == "" || u.ns == nsFilter) && id > q.Get("marker") {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		next := ""
		if len(ids) > limit {
			ids = ids[:limit]
			next = ids[limit-1]
		}
		l := list{}
		for _, id := range ids {
			l = append(l, obj{{"userid", id}, {"namespace", s.users[id].ns}})
		}
		doc := obj{{"Filter", "namespace=" + nsFilter}, {"MaxUsers", int64(limit)}}
		if next != "" {
			doc = append(doc, kv{"NextMarker", next})
		}
		doc = append(doc, kv{"blobuser", l})
		return okDoc("users", doc), nil
	case len(seg) == 1 && seg[0] == "lock" && m == "PUT":
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		uid, err := b.need("user")
		if err != nil {
			return nil, err
		}
		locked, ok, err := b.boolean("isLocked")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, missingParam("isLocked")
		}
		u := s.users[uid]
		if u == nil {
			return nil, notFound("user " + uid)
		}
		u.locked = locked
		return &result{status: 200, root: ""}, nil
	case len(seg) >= 2 && seg[0] == "lock" && m == "GET":
		u := s.users[seg[1]]
		if u == nil {
			return nil, notFound("user " + seg[1])
		}
		return okDoc("user_lock", obj{{"user_name", u.uid}, {"isLocked", u.locked}}), nil
	case len(seg) == 1 && seg[0] == "deactivate" && m == "POST":
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		uid, err := b.need("user")
		if err != nil {
			return nil, err
		}
		if s.users[uid] == nil {
			return nil, notFound("user " + uid)
		}
		delete(s.users, uid)
		return &result{status: 200, root: ""}, nil
	case len(seg) == 2 && seg[1] == "info" && m == "GET":
		u := s.users[seg[0]]
		if u == nil {
			return nil, notFound("user " + seg[0])
		}
		return okDoc("user_info", s.userDoc(u)), nil
	case len(seg) == 2 && seg[1] == "tags":
		u := s.users[seg[0]]
		if u == nil {
			return nil, notFound("user " + seg[0])
		}
		if m == "GET" {
			return okDoc("user_tags", obj{{"user_name", u.uid}, {"tags", list(tagObjs(u.tags))}}), nil
		}
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		tags, err := parseTags(b)
		if err != nil {
			return nil, err
		}
		switch m {
		case "PUT":
			u.tags = tags
		case "POST":
			for _, t := range tags {
				u.tags = setTag(u.tags, t)
			}
		case "DELETE":
			for _, t := range tags {
				var keep []tag
				for _, o := range u.tags {
					if o.name != t.name {
						keep = append(keep, o)
					}
				}
				u.tags = keep
			}
		default:
			return nil, methodNotAllowed()
		}
		return &result{status: 200, root: ""}, nil
	}
	return nil, notFound("no such resource: " + r.URL.Path)
}

func setTag(tags []tag, t tag) []tag {
	for i := range tags {
		if tags[i].name == t.name {
			tags[i].value = t.value
			return tags
		}
	}
	return append(tags, t)
}

func intParam(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: fmt.Sprintf("not a positive integer: %q", s)}
	}
	return n, nil
}

// ---- secret keys

// liveKeys drops expired keys. Caller holds s.mu.
func (s *Server) liveKeys(u *user) {
	now := s.clock()
	for i, k := range u.keys {
		if k != nil && !k.expiry.IsZero() && !now.Before(k.expiry) {
			u.keys[i] = nil
		}
	}
}

func (s *Server) routeKeys(r *http.Request, seg []string) (*result, error) {
	if len(seg) == 0 {
		return nil, notFound("no such resource: " + r.URL.Path)
	}
	u := s.users[seg[0]]
	if u == nil {
		return nil, notFound("user " + seg[0])
	}
	s.liveKeys(u)
	m := r.Method
	switch {
	case len(seg) <= 2 && m == "GET":
		// The order of the 4.1 specification; the ids come last.
		doc, ids := obj{}, obj{}
		for i, k := range u.keys {
			n := strconv.Itoa(i + 1)
			secret, ts, exp, id := "", "", "", ""
			if k != nil {
				secret, ts, id = k.secret, fmtTime(k.ts), k.id
				if !k.expiry.IsZero() {
					exp = fmtTime(k.expiry)
				}
			}
			if s.opt.HideSecretKey {
				secret = ""
			}
			doc = append(doc, kv{"secret_key_" + n, secret}, kv{"secret_key_" + n + "_exist", k != nil}, kv{"key_timestamp_" + n, ts}, kv{"key_expiry_timestamp_" + n, exp})
			ids = append(ids, kv{"secret_key_" + n + "_id", id})
		}
		return okDoc("user_secret_keys", append(doc, ids...)), nil
	case len(seg) == 1 && m == "POST":
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		grace, _, err := b.int("existing_key_expiry_time_mins")
		if err != nil {
			return nil, err
		}
		if grace < 0 {
			return nil, badBody("existing_key_expiry_time_mins must not be negative")
		}
		secret, _ := b.str("secretkey")
		if secret == "" {
			secret = randomHex(20)
		}
		slot := -1
		for i, k := range u.keys {
			if k == nil {
				slot = i
				break
			}
		}
		if slot < 0 {
			return nil, &apiError{status: 400, code: 1008, desc: "Invalid parameter", details: "the user already has two valid secret keys"}
		}
		now := s.clock()
		for _, k := range u.keys {
			if k != nil && k.expiry.IsZero() {
				k.expiry = now.Add(time.Duration(grace) * time.Minute)
			}
		}
		s.liveKeys(u)
		k := &secretKey{id: "sk-" + randomHex(8), secret: secret, ts: now}
		u.keys[slot] = k
		return okDoc("user_secret_key", obj{{"secret_key", secret}, {"key_timestamp", fmtTime(now)}, {"key_expiry_timestamp", ""}, {"secret_key_id", k.id}}), nil
	case len(seg) == 2 && seg[1] == "deactivate" && m == "POST":
		b, err := readBody(r)
		if err != nil {
			return nil, err
		}
		secret, _ := b.str("secret_key")
		id, _ := b.str("secret_key_id")
		if secret == "" && id == "" {
			return nil, missingParam("secret_key")
		}
		for i, k := range u.keys {
			if k != nil && (secret != "" && k.secret == secret || id != "" && k.id == id) {
				u.keys[i] = nil
				return &result{status: 200, root: ""}, nil
			}
		}
		return nil, notFound("secret key")
	}
	return nil, notFound("no such resource: " + r.URL.Path)
}
