package ecssim

import (
	"strings"
	"testing"
	"time"
)

func TestNamespacesCreateListGetQuotaDeactivate(t *testing.T) {
	e := newEnv(t, Options{})
	e.json("POST", "/object/namespaces/namespace", `{"namespace":"ns1"}`, 200)
	e.errCode("POST", "/object/namespaces/namespace", `{"namespace":"ns1"}`, 409, "1015")
	e.errCode("POST", "/object/namespaces/namespace", `{}`, 400, "1004")
	e.errCode("POST", "/object/namespaces/namespace", `{"namespace":`, 400, "1013")
	if a := e.do("POST", "/object/namespaces/namespace", "xml", `<namespace_create><namespace>ns2</namespace></namespace_create>`); a.status != 200 {
		t.Fatalf("XML create: %d %s", a.status, a.body)
	}
	l := e.json("GET", "/object/namespaces", "", 200)
	if ns := l["namespace"].([]any); len(ns) != 2 {
		t.Errorf("namespaces %v", l)
	}
	g := e.json("GET", "/object/namespaces/namespace/ns1", "", 200)
	if g["name"] != "ns1" || g["default_data_services_vpool"] != VpoolID {
		t.Errorf("namespace %v", g)
	}
	e.errCode("GET", "/object/namespaces/namespace/nope", "", 404, "1019")
	q := e.json("GET", "/object/namespaces/namespace/ns1/quota", "", 200)
	if q["blockSize"] != "-1" || q["notificationSize"] != "-1" {
		t.Errorf("fresh quota %v", q)
	}
	q = e.json("PUT", "/object/namespaces/namespace/ns1/quota", `{"blockSize":10,"notificationSize":8}`, 200)
	if q["blockSize"] != "10" || q["notificationSize"] != "8" {
		t.Errorf("set quota %v", q)
	}
	e.errCode("PUT", "/object/namespaces/namespace/ns1/quota", `{"blockSize":10}`, 400, "1004")
	e.json("DELETE", "/object/namespaces/namespace/ns1/quota", "", 200)
	mustOK(t, e.s.CreateUser("ns1", "u1"))
	e.errCode("POST", "/object/namespaces/namespace/ns1/deactivate", "", 400, "1008")
	e.json("POST", "/object/users/deactivate", `{"user":"u1","namespace":"ns1"}`, 200)
	mustOK(t, e.s.CreateBucket("ns1", "b1", "x"))
	e.errCode("POST", "/object/namespaces/namespace/ns1/deactivate", "", 400, "1008")
	e.json("POST", "/object/bucket/b1/deactivate?namespace=ns1", "", 200)
	e.json("POST", "/object/namespaces/namespace/ns1/deactivate", "", 200)
	e.errCode("GET", "/object/namespaces/namespace/ns1", "", 404, "1019")
	v := e.json("GET", "/vdc/data-service/vpools", "", 200)
	if l := v["data_service_vpool"].([]any); len(l) != 1 {
		t.Errorf("vpools %v", v)
	}
}

func TestJSONIsUnwrappedAndXMLHasRoot(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateBucket("ns", "b", "root"))
	a := e.do("GET", "/object/bucket/b/info?namespace=ns", "xml", "")
	if a.status != 200 || !strings.HasPrefix(a.body, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><bucket_info><name>b</name>`) || a.header.Get("Content-Type") != "application/xml" {
		t.Errorf("XML: %d %s", a.status, a.body)
	}
	m := e.json("GET", "/object/bucket/b/info?namespace=ns", "", 200)
	if m["name"] != "b" || m["block_size"] != "-1" || m["owner"] != "root" {
		t.Errorf("JSON: %v", m)
	}
	e2 := newEnv(t, Options{StringNumbers: Bool(false)})
	mustOK(t, e2.s.CreateNamespace("ns"))
	mustOK(t, e2.s.CreateBucket("ns", "b", "root"))
	if m := e2.json("GET", "/object/bucket/b/info?namespace=ns", "", 200); m["block_size"] != float64(-1) {
		t.Errorf("StringNumbers false: %v", m)
	}
	a = e.do("GET", "/object/bucket/none/info?namespace=ns", "xml", "")
	if a.status != 404 || !strings.Contains(a.body, "<error><code>1019</code><description>Resource not found</description>") {
		t.Errorf("XML error %d %s", a.status, a.body)
	}
}

func TestUsersCreateListInfoLockTagsDeactivate(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	e.json("POST", "/object/users", `{"user":"alice","namespace":"ns","tags":[{"name":"plan","value":"gold"}]}`, 200)
	e.errCode("POST", "/object/users", `{"user":"alice","namespace":"ns"}`, 409, "1015")
	e.errCode("POST", "/object/users", `{"user":"bob","namespace":"none"}`, 404, "1019")
	e.errCode("POST", "/object/users", `{"namespace":"ns"}`, 400, "1004")
	if a := e.do("POST", "/object/users", "xml", `<user_create_param><user>bob</user><namespace>ns</namespace><tags><tag><name>a</name><value>b</value></tag></tags></user_create_param>`); a.status != 200 {
		t.Fatalf("XML user: %d %s", a.status, a.body)
	}
	e.json("POST", "/object/users", `{"user":"carol","namespace":"ns"}`, 200)
	p1 := e.json("GET", "/object/users?namespace=ns&limit=2", "", 200)
	if p1["NextMarker"] != "bob" || len(p1["blobuser"].([]any)) != 2 {
		t.Fatalf("page 1 %v", p1)
	}
	p2 := e.json("GET", "/object/users?namespace=ns&limit=2&marker=bob", "", 200)
	if _, more := p2["NextMarker"]; more || len(p2["blobuser"].([]any)) != 1 {
		t.Errorf("page 2 %v", p2)
	}
	if byNS := e.json("GET", "/object/users/ns", "", 200); len(byNS["blobuser"].([]any)) != 3 {
		t.Errorf("users of ns %v", byNS)
	}
	info := e.json("GET", "/object/users/alice/info", "", 200)
	if info["namespace"] != "ns" || info["locked"] != false {
		t.Errorf("info %v", info)
	}
	if tags := info["tag"].([]any); len(tags) != 1 || tags[0].(map[string]any)["value"] != "gold" {
		t.Errorf("tags %v", info)
	}
	e.json("PUT", "/object/users/lock", `{"user":"alice","namespace":"ns","isLocked":true}`, 200)
	if l := e.json("GET", "/object/users/lock/alice", "", 200); l["isLocked"] != true || l["user_name"] != "alice" {
		t.Errorf("lock %v", l)
	}
	if l := e.json("GET", "/object/users/lock/alice/ns", "", 200); l["isLocked"] != true {
		t.Errorf("lock with namespace %v", l)
	}
	e.errCode("PUT", "/object/users/lock", `{"user":"alice"}`, 400, "1004")
	e.json("POST", "/object/users/alice/tags", `{"tags":[{"name":"x","value":"y"}]}`, 200)
	if tg := e.json("GET", "/object/users/alice/tags", "", 200); len(tg["tags"].([]any)) != 2 || tg["user_name"] != "alice" {
		t.Errorf("tags after add %v", tg)
	}
	e.json("POST", "/object/user-secret-keys/alice", `{"namespace":"ns"}`, 200)
	e.json("POST", "/object/users/deactivate", `{"user":"alice","namespace":"ns"}`, 200)
	e.errCode("GET", "/object/users/alice/info", "", 404, "1019")
	e.errCode("GET", "/object/user-secret-keys/alice", "", 404, "1019")
}

func TestSecretKeysTwoSlotsAndGrace(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateUser("ns", "u"))
	k1 := e.json("POST", "/object/user-secret-keys/u", `{"namespace":"ns","secretkey":"first-key"}`, 200)
	if k1["secret_key"] != "first-key" || k1["key_timestamp"] != "2026-01-01T10:00:00Z" {
		t.Errorf("k1 %v", k1)
	}
	k2 := e.json("POST", "/object/user-secret-keys/u", `{"namespace":"ns","existing_key_expiry_time_mins":60}`, 200)
	s2 := k2["secret_key"].(string)
	if len(s2) != 40 {
		t.Errorf("generated key %q", s2)
	}
	g := e.json("GET", "/object/user-secret-keys/u", "", 200)
	if g["secret_key_1"] != "first-key" || g["secret_key_2"] != s2 || g["key_expiry_timestamp_1"] != "2026-01-01T11:00:00Z" ||
		g["secret_key_1_exist"] != true || g["secret_key_2_exist"] != true {
		t.Errorf("two keys %v", g)
	}
	e.errCode("POST", "/object/user-secret-keys/u", `{"namespace":"ns"}`, 400, "1008")
	e.s.Advance(time.Hour)
	g = e.json("GET", "/object/user-secret-keys/u", "", 200)
	if g["secret_key_1_exist"] != false || g["secret_key_1"] != "" || g["secret_key_2"] != s2 {
		t.Errorf("after grace %v", g)
	}
	e.json("POST", "/object/user-secret-keys/u", `{"namespace":"ns","existing_key_expiry_time_mins":0,"secretkey":"third"}`, 200)
	g = e.json("GET", "/object/user-secret-keys/u", "", 200)
	if g["secret_key_1"] != "third" || g["secret_key_2_exist"] != false {
		t.Errorf("zero grace %v", g)
	}
	if g["secret_key_1_id"] == "" {
		t.Errorf("no key id %v", g)
	}
	e.json("POST", "/object/user-secret-keys/u/deactivate", `{"secret_key":"third","namespace":"ns"}`, 200)
	k4 := e.json("POST", "/object/user-secret-keys/u", `{"namespace":"ns"}`, 200)
	e.json("POST", "/object/user-secret-keys/u/deactivate", `{"secret_key_id":"`+k4["secret_key_id"].(string)+`"}`, 200)
	if g := e.json("GET", "/object/user-secret-keys/u", "", 200); g["secret_key_1_exist"] != false || g["secret_key_2_exist"] != false {
		t.Errorf("after deactivating by id %v", g)
	}
	e.errCode("POST", "/object/user-secret-keys/u/deactivate", `{"secret_key":"third"}`, 404, "1019")
	e.errCode("POST", "/object/user-secret-keys/u/deactivate", `{}`, 400, "1004")
	e.errCode("POST", "/object/user-secret-keys/nobody", `{}`, 404, "1019")
	h := newEnv(t, Options{HideSecretKey: true})
	mustOK(t, h.s.CreateNamespace("ns"))
	mustOK(t, h.s.CreateUser("ns", "u"))
	h.json("POST", "/object/user-secret-keys/u", `{"namespace":"ns"}`, 200)
	if g := h.json("GET", "/object/user-secret-keys/u", "", 200); g["secret_key_1"] != "" || g["secret_key_1_exist"] != true {
		t.Errorf("hidden %v", g)
	}
}

func TestBucketsCreateListInfoQuotaDeactivate(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	mustOK(t, e.s.CreateUser("ns", "u"))
	for _, n := range []string{"a", "b", "c"} {
		e.json("POST", "/object/bucket", `{"name":"`+n+`","namespace":"ns","owner":"u"}`, 200)
	}
	e.errCode("POST", "/object/bucket", `{"name":"a","namespace":"ns","owner":"u"}`, 409, "1015")
	e.errCode("POST", "/object/bucket", `{"name":"d","namespace":"ns","owner":"ghost"}`, 404, "1019")
	e.errCode("POST", "/object/bucket", `{"namespace":"ns"}`, 400, "1004")
	e.errCode("GET", "/object/bucket", "", 400, "1004")
	p := e.json("GET", "/object/bucket?namespace=ns&limit=2", "", 200)
	l := p["object_bucket"].([]any)
	if p["NextMarker"] != "b" || len(l) != 2 || l[0].(map[string]any)["owner"] != "u" {
		t.Fatalf("page %v", p)
	}
	p = e.json("GET", "/object/bucket?namespace=ns&limit=2&marker=b", "", 200)
	if len(p["object_bucket"].([]any)) != 1 {
		t.Errorf("page 2 %v", p)
	}
	if a := e.do("GET", "/object/bucket?namespace=ns", "xml", ""); !strings.Contains(a.body, "<object_buckets>") || strings.Count(a.body, "<object_bucket>") != 3 {
		t.Errorf("XML list %s", a.body)
	}
	e.json("PUT", "/object/bucket/a/quota", `{"blockSize":5,"notificationSize":4,"namespace":"ns"}`, 200)
	q := e.json("GET", "/object/bucket/a/quota?namespace=ns", "", 200)
	if q["blockSize"] != "5" || q["notificationSize"] != "4" || q["bucketname"] != "a" {
		t.Errorf("quota %v", q)
	}
	if info := e.json("GET", "/object/bucket/a/info?namespace=ns", "", 200); info["block_size"] != "5" || info["notification_size"] != "4" {
		t.Errorf("bucket info after quota %v", info)
	}
	e.errCode("PUT", "/object/bucket/a/quota", `{"blockSize":-1,"notificationSize":-1,"namespace":"ns"}`, 400, "1013")
	if a := e.do("PUT", "/object/bucket/a/quota", "xml", `<bucket_quota_param><blockSize>7</blockSize><notificationSize>-1</notificationSize><namespace>ns</namespace></bucket_quota_param>`); a.status != 200 {
		t.Errorf("XML quota %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/object/bucket/a/quota?namespace=ns", "xml", ""); !strings.Contains(a.body, "<bucket_quota_details><bucketname>a</bucketname><namespace>ns</namespace><blockSize>7</blockSize><notificationSize>-1</notificationSize>") {
		t.Errorf("XML quota %s", a.body)
	}
	e.json("DELETE", "/object/bucket/a/quota?namespace=ns", "", 200)
	mustOK(t, e.s.PutObject("ns", "a", 10))
	e.errCode("POST", "/object/bucket/a/deactivate?namespace=ns", "", 400, "1008")
	e.json("POST", "/object/bucket/a/deactivate?namespace=ns&emptyBucket=true", "", 202)
	e.errCode("GET", "/object/bucket/a/info?namespace=ns", "", 404, "1019")
}
