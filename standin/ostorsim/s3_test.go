package ostorsim_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

// s3World is a harness with alice owning bucket "photos" (two objects),
// and bob, who owns nothing.
func s3World(t *testing.T) (h *harness, alice, bob s3Key) {
	h = newHarness(t, ostorsim.Options{})
	alice = h.newUser("alice@example.com")
	bob = h.newUser("bob@example.com")
	if err := h.sim.CreateBucket("alice@example.com", "photos"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cat.jpg", "dog.jpg"} {
		if _, err := h.sim.PutObject("photos", k, 100); err != nil {
			t.Fatal(err)
		}
	}
	return h, alice, bob
}

func TestS3Authorization(t *testing.T) {
	h, alice, bob := s3World(t)
	acc := decode[struct{ AWSAccessKeys []keyJSON }](t, h.must(200, "POST",
		q("ostor-accounts", "emailAddress", "alice@example.com", "accountName", "backup")).body)
	aliceAccount := s3Key{acc.AWSAccessKeys[0].AWSAccessKeyId, acc.AWSAccessKeys[0].AWSSecretAccessKey}
	system := s3Key{h.creds.AccessKey, h.creds.SecretKey}

	accepted := []struct {
		name string
		send func() response
	}{
		{"owner, SigV4", func() response { return h.s3(alice, "GET", "/photos?versions", nil) }},
		{"owner, SigV2", func() response { return h.s3V2(alice, "GET", "/photos?versions&max-keys=5", nil) }},
		{"an account of the owner", func() response { return h.s3(aliceAccount, "GET", "/photos?versions", nil) }},
	}
	for _, c := range accepted {
		t.Run(c.name, func(t *testing.T) {
			res := mustS3(t, c.send(), 200)
			if !strings.Contains(res.body, "<Key>cat.jpg</Key>") {
				t.Fatalf("listing: %s", res.body)
			}
		})
	}

	refused := []struct {
		name   string
		send   func() response
		status int
		code   string
	}{
		{"another user", func() response { return h.s3(bob, "GET", "/photos?versions", nil) }, 403, "AccessDenied"},
		{"the system user", func() response { return h.s3(system, "GET", "/photos?versions", nil) }, 403, "AccessDenied"},
		{"wrong secret", func() response { return h.s3(s3Key{alice.ak, alice.sk + "x"}, "GET", "/photos?versions", nil) }, 403, "SignatureDoesNotMatch"},
		{"wrong secret, SigV2", func() response { return h.s3V2(s3Key{alice.ak, "nope"}, "GET", "/photos?versions", nil) }, 403, "SignatureDoesNotMatch"},
		{"unknown key", func() response { return h.s3(s3Key{"0123456789abcdefXXXX", "x"}, "GET", "/photos?versions", nil) }, 403, "InvalidAccessKeyId"},
		{"no signature", func() response { return h.send(h.s3Request("GET", "/photos?versions", nil)) }, 403, "AccessDenied"},
		{"SigV2 over another resource", func() response {
			r := h.s3Request("GET", "/photos?versions", nil)
			r.Header.Set("Date", h.sim.Now().Format(time.RFC1123Z))
			testSignV2(r, alice.ak, alice.sk) // the admin API's resource, "/?versions"
			return h.send(r)
		}, 403, "SignatureDoesNotMatch"},
		{"SigV4 skewed", func() response {
			r := h.s3Request("GET", "/photos?versions", nil)
			testSignV4(r, alice.ak, alice.sk, "us-east-1", "s3", h.sim.Now().Add(-20*time.Minute))
			return h.send(r)
		}, 403, "RequestTimeTooSkewed"},
		{"another user deleting", func() response { return h.deleteObjects(bob, "photos", false, "cat.jpg") }, 403, "AccessDenied"},
		{"another user deleting the bucket", func() response { return h.s3(bob, "DELETE", "/photos", nil) }, 403, "AccessDenied"},
		{"the owner, a missing bucket", func() response { return h.s3(alice, "GET", "/nothing?versions", nil) }, 404, "NoSuchBucket"},
		{"another user, a missing bucket", func() response { return h.s3(bob, "GET", "/nothing?versions", nil) }, 404, "NoSuchBucket"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			mustS3Err(t, c.send(), c.status, c.code)
			if objs, _ := h.sim.Objects("photos"); len(objs) != 2 || !h.sim.HasBucket("photos") {
				t.Fatalf("a refused request changed the bucket: %v", objs)
			}
		})
	}

	t.Run("disabled owner", func(t *testing.T) {
		h := h.in(t)
		h.must(200, "POST", q("ostor-users", "emailAddress", "alice@example.com", "disable", flag))
		mustS3Err(t, h.s3(alice, "GET", "/photos?versions", nil), 403, "AccessDenied")
		mustS3Err(t, h.deleteObjects(alice, "photos", false, "cat.jpg"), 403, "AccessDenied")
		mustS3Err(t, h.s3(aliceAccount, "GET", "/photos?versions", nil), 403, "AccessDenied")
		h.must(200, "POST", q("ostor-users", "emailAddress", "alice@example.com", "enable", flag))
		mustS3(t, h.s3(alice, "GET", "/photos?versions", nil), 200)
	})

	t.Run("revoked key", func(t *testing.T) {
		h := h.in(t)
		second := decode[userJSON](t, h.must(200, "POST", q("ostor-users", "emailAddress", "alice@example.com", "genKey", flag)).body).AWSAccessKeys[0]
		h.must(200, "POST", q("ostor-users", "emailAddress", "alice@example.com", "revokeKey", alice.ak))
		mustS3Err(t, h.s3(alice, "GET", "/photos?versions", nil), 403, "InvalidAccessKeyId")
		mustS3(t, h.s3(s3Key{second.AWSAccessKeyId, second.AWSSecretAccessKey}, "GET", "/photos?versions", nil), 200)
	})

	// The data-plane keys open nothing on the admin API.
	r := h.newRequest("GET", "ostor-users")
	testSignV2(r, bob.ak, bob.sk)
	if res := h.send(r); res.status != 403 {
		t.Errorf("a user's key on the admin API: %d", res.status)
	}
}

func TestS3ListObjectVersions(t *testing.T) {
	h, alice, _ := s3World(t)
	sim := h.sim
	// photos: cat.jpg and dog.jpg, null versions. Then versioned writes:
	// three versions of doc, a delete marker on top; a suspended write
	// puts a null version on top of dog.jpg's stack.
	if err := sim.SetVersioning("photos", true); err != nil {
		t.Fatal(err)
	}
	var doc []string
	for i := range 3 {
		id, err := sim.PutObject("photos", "doc", uint64(10+i))
		if err != nil {
			t.Fatal(err)
		}
		doc = append(doc, id)
	}
	marker, err := sim.DeleteObject("photos", "doc")
	if err != nil || marker == "" || marker == "null" {
		t.Fatalf("delete marker %q %v", marker, err)
	}
	dogV2, _ := sim.PutObject("photos", "dog.jpg", 200)
	noErr(t, sim.SetVersioning("photos", false))
	if v, _ := sim.Versioning("photos"); v != ostorsim.VersioningSuspended {
		t.Fatalf("versioning %q", v)
	}
	if id, _ := sim.PutObject("photos", "dog.jpg", 300); id != "null" {
		t.Fatalf("suspended write got version %q", id)
	}

	want := []string{
		"cat.jpg@null*",
		"doc@" + marker + "(x)*", "doc@" + doc[2], "doc@" + doc[1], "doc@" + doc[0],
		"dog.jpg@null*", "dog.jpg@" + dogV2,
	}
	// dog.jpg's first null version was replaced by the suspended write.
	full := decodeXML[listVersionsResult](t, mustS3(t, h.s3(alice, "GET", "/photos?versions", nil), 200).body)
	if got := entriesOf(full); !slices.Equal(got, want) {
		t.Fatalf("listing\n got %v\nwant %v", got, want)
	}
	if full.IsTruncated || full.MaxKeys != 1000 || full.Name != "photos" {
		t.Errorf("listing header: %+v", full)
	}
	for _, e := range full.Entries {
		if e.VersionId == doc[2] && (e.LastModified != "2025-01-01T00:00:00.000Z" || e.Size != 12 || e.IsLatest) {
			t.Errorf("entry: %+v", e)
		}
	}
	for _, page := range []int{1, 2, 3, 6} {
		if got := h.listAll(alice, "photos", page); !slices.Equal(got, want) {
			t.Errorf("pages of %d\n got %v\nwant %v", page, got, want)
		}
	}
	// The driving API agrees.
	vs, _ := sim.ObjectVersions("photos")
	if len(vs) != len(want) || vs[1].VersionID != marker || !vs[1].DeleteMarker || !vs[1].IsLatest {
		t.Errorf("ObjectVersions: %+v", vs)
	}
	if keys, _ := sim.Objects("photos"); !slices.Equal(keys, []string{"cat.jpg", "dog.jpg"}) {
		t.Errorf("Objects (doc is deleted): %v", keys)
	}

	// Resuming after a version that has since been deleted continues with
	// the next one, as a purge that deletes page by page needs; also at a
	// null version.
	for _, c := range []struct{ key, version, next string }{
		{"doc", doc[1], "doc@" + doc[0]},
		{"dog.jpg", "null", "dog.jpg@" + dogV2},
	} {
		mustS3(t, h.deleteObjects(alice, "photos", true, c.key+"@"+c.version), 200)
		l := decodeXML[listVersionsResult](t, mustS3(t, h.s3(alice, "GET",
			"/photos?versions&max-keys=1&key-marker="+c.key+"&version-id-marker="+c.version, nil), 200).body)
		if got := entriesOf(l); len(got) != 1 || !strings.HasPrefix(got[0], c.next) {
			t.Errorf("after deleted %s@%s: %v", c.key, c.version, got)
		}
	}
	// A key marker alone skips the whole key (dog.jpg's null version is
	// gone by now).
	l := decodeXML[listVersionsResult](t, mustS3(t, h.s3(alice, "GET", "/photos?versions&key-marker=doc", nil), 200).body)
	if got := entriesOf(l); !slices.Equal(got, []string{"dog.jpg@" + dogV2 + "*"}) {
		t.Errorf("after key doc: %v", got)
	}
	// prefix
	l = decodeXML[listVersionsResult](t, mustS3(t, h.s3(alice, "GET", "/photos?versions&prefix=do", nil), 200).body)
	if got := entriesOf(l); len(got) != 4 { // doc: marker, v3, v1 (v2 deleted); dog.jpg: v2
		t.Errorf("prefix do: %v", got)
	}

	mustS3Err(t, h.s3(alice, "GET", "/photos?versions&version-id-marker=null", nil), 400, "InvalidArgument")
	mustS3Err(t, h.s3(alice, "GET", "/photos?versions&key-marker=doc&version-id-marker=bogus", nil), 400, "InvalidArgument")
	mustS3Err(t, h.s3(alice, "GET", "/photos?versions&max-keys=-1", nil), 400, "InvalidArgument")
	mustS3Err(t, h.s3(alice, "GET", "/photos?versions&encoding-type=base64", nil), 400, "InvalidArgument")
	mustS3Err(t, h.s3(alice, "GET", "/photos?versions&delimiter=/", nil), 501, "NotImplemented")
	if l := decodeXML[listVersionsResult](t, mustS3(t, h.s3(alice, "GET", "/photos?versions&max-keys=0", nil), 200).body); len(entriesOf(l)) != 0 || l.IsTruncated {
		t.Errorf("max-keys=0: %+v", l)
	}

	// encoding-type=url carries keys XML could not.
	must(sim.PutObject("photos", "a b/ü&c", 1))
	res := mustS3(t, h.s3(alice, "GET", "/photos?versions&encoding-type=url&max-keys=1", nil), 200)
	if !strings.Contains(res.body, "<Key>a%20b%2F%C3%BC%26c</Key>") || !strings.Contains(res.body, "<NextKeyMarker>a%20b%2F%C3%BC%26c</NextKeyMarker>") {
		t.Errorf("url encoding: %s", res.body)
	}
}

func TestS3MultipartUploads(t *testing.T) {
	h, alice, bob := s3World(t)
	sim := h.sim
	noErr(t, h.sim.CreateBucket("bob@example.com", "bobs"))
	bobsUpload, _ := sim.StartMultipartUpload("bobs", "x")
	var ids []string
	for _, key := range []string{"b", "a", "b", "c", "a"} {
		id, err := sim.StartMultipartUpload("photos", key)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	want := []string{"a " + ids[1], "a " + ids[4], "b " + ids[0], "b " + ids[2], "c " + ids[3]}
	for _, page := range []int{1, 2, 1000} {
		var got []string
		target := fmt.Sprintf("/photos?uploads&max-uploads=%d", page)
		for next := target; ; {
			l := decodeXML[listUploadsResult](t, mustS3(t, h.s3(alice, "GET", next, nil), 200).body)
			for _, u := range l.Uploads {
				got = append(got, u.Key+" "+u.UploadId)
				if u.Initiated != "2025-01-01T00:00:00.000Z" {
					t.Errorf("initiated %q", u.Initiated)
				}
			}
			if !l.IsTruncated {
				break
			}
			next = target + "&key-marker=" + l.NextKeyMarker + "&upload-id-marker=" + l.NextUploadIdMarker
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d\n got %v\nwant %v", page, got, want)
		}
	}
	l := decodeXML[listUploadsResult](t, mustS3(t, h.s3(alice, "GET", "/photos?uploads&prefix=b", nil), 200).body)
	if len(l.Uploads) != 2 {
		t.Errorf("prefix b: %+v", l)
	}

	// Abort: 204, then the upload is gone.
	mustS3(t, h.s3(alice, "DELETE", "/photos/a?uploadId="+ids[1], nil), 204)
	mustS3Err(t, h.s3(alice, "DELETE", "/photos/a?uploadId="+ids[1], nil), 404, "NoSuchUpload")
	mustS3Err(t, h.s3(alice, "DELETE", "/photos/c?uploadId="+ids[0], nil), 404, "NoSuchUpload") // another key's upload
	mustS3Err(t, h.s3(alice, "DELETE", "/photos/x?uploadId="+bobsUpload, nil), 404, "NoSuchUpload")
	mustS3Err(t, h.s3(bob, "DELETE", "/photos/b?uploadId="+ids[0], nil), 403, "AccessDenied")
	ups, _ := sim.MultipartUploads("photos")
	if len(ups) != 4 || ups[0].UploadID != ids[4] {
		t.Errorf("uploads left: %+v", ups)
	}
	if _, err := sim.StartMultipartUpload("nothing", "x"); err == nil {
		t.Error("upload into a missing bucket")
	}
}

func TestS3DeleteObjects(t *testing.T) {
	h, alice, _ := s3World(t)
	sim := h.sim

	t.Run("checksums", func(t *testing.T) {
		body := deleteBody(true, "nothing-1")
		for _, c := range []struct {
			name   string
			header []string
			status int
			code   string
		}{
			{"none", nil, 400, "InvalidRequest"},
			{"bad Content-MD5", []string{"Content-MD5", contentMD5([]byte("other"))}, 400, "BadDigest"},
			{"bad CRC32", []string{"X-Amz-Checksum-Crc32", "AAAAAA=="}, 400, "BadDigest"},
			{"algorithm without checksum", []string{"Content-MD5", contentMD5(body), "X-Amz-Sdk-Checksum-Algorithm", "CRC32C"}, 400, "InvalidRequest"},
			{"unknown algorithm", []string{"X-Amz-Checksum-Md4", "AAAA"}, 400, "InvalidRequest"},
			{"Content-MD5", []string{"Content-MD5", contentMD5(body)}, 200, ""},
			{"CRC32", []string{"X-Amz-Checksum-Crc32", crc32Header(body), "X-Amz-Sdk-Checksum-Algorithm", "CRC32"}, 200, ""},
			{"CRC32 and Content-MD5", []string{"X-Amz-Checksum-Crc32", crc32Header(body), "Content-MD5", contentMD5(body)}, 200, ""},
			{"SHA256", []string{"X-Amz-Checksum-Sha256", sha256Header(body)}, 200, ""},
			{"good MD5, bad SHA256", []string{"Content-MD5", contentMD5(body), "X-Amz-Checksum-Sha256", sha256Header(nil)}, 400, "BadDigest"},
		} {
			t.Run(c.name, func(t *testing.T) {
				res := h.s3(alice, "POST", "/photos?delete", body, c.header...)
				if c.status == 200 {
					mustS3(t, res, 200)
				} else {
					mustS3Err(t, res, c.status, c.code)
				}
			})
		}
	})

	t.Run("malformed", func(t *testing.T) {
		many := make([]string, 1001)
		for i := range many {
			many[i] = fmt.Sprint("k", i)
		}
		for name, body := range map[string][]byte{
			"1001 keys":   deleteBody(false, many...),
			"no keys":     deleteBody(false),
			"not XML":     []byte("<Delete><Object>"),
			"empty key":   []byte("<Delete><Object><Key></Key></Object></Delete>"),
			"another doc": []byte("<Remove><Object><Key>a</Key></Object></Remove>"),
		} {
			res := h.s3(alice, "POST", "/photos?delete", body, "Content-MD5", contentMD5(body))
			if res.status != 400 || !strings.Contains(res.body, "<Code>MalformedXML</Code>") {
				t.Errorf("%s: %d %s", name, res.status, res.body)
			}
		}
		if objs, _ := sim.Objects("photos"); len(objs) != 2 {
			t.Errorf("objects after malformed requests: %v", objs)
		}
	})

	t.Run("unversioned", func(t *testing.T) {
		res := decodeXML[deleteResult](t, mustS3(t, h.deleteObjects(alice, "photos", false, "cat.jpg", "never-was"), 200).body)
		if len(res.Deleted) != 2 || res.Deleted[0].Key != "cat.jpg" || res.Deleted[0].DeleteMarker || len(res.Errors) != 0 {
			t.Errorf("result %+v", res)
		}
		if objs, _ := sim.Objects("photos"); !slices.Equal(objs, []string{"dog.jpg"}) {
			t.Errorf("left %v", objs)
		}
	})

	t.Run("versioned", func(t *testing.T) {
		noErr(t, sim.SetVersioning("photos", true))
		v1, _ := sim.PutObject("photos", "doc", 5)
		v2, _ := sim.PutObject("photos", "doc", 7)
		res := decodeXML[deleteResult](t, mustS3(t, h.deleteObjects(alice, "photos", false, "doc"), 200).body)
		if len(res.Deleted) != 1 || !res.Deleted[0].DeleteMarker || res.Deleted[0].DeleteMarkerVersionId == "" {
			t.Fatalf("delete without version: %+v", res)
		}
		marker := res.Deleted[0].DeleteMarkerVersionId
		if vs, _ := sim.ObjectVersions("photos"); len(vs) != 4 { // 3 of doc, dog.jpg
			t.Fatalf("versions %+v", vs)
		}
		res = decodeXML[deleteResult](t, mustS3(t, h.deleteObjects(alice, "photos", false, "doc@"+marker, "doc@"+v1), 200).body)
		if len(res.Deleted) != 2 || !res.Deleted[0].DeleteMarker || res.Deleted[0].DeleteMarkerVersionId != marker ||
			res.Deleted[1].VersionId != v1 || res.Deleted[1].DeleteMarker {
			t.Fatalf("delete by version: %+v", res)
		}
		// Quiet: only errors are reported; a version held is one.
		if err := sim.SetLegalHold("photos", "doc", true); err != nil {
			t.Fatal(err)
		}
		body := mustS3(t, h.deleteObjects(alice, "photos", true, "doc@"+v2, "dog.jpg@null"), 200).body
		res = decodeXML[deleteResult](t, body)
		if len(res.Deleted) != 0 || len(res.Errors) != 1 || res.Errors[0].Code != "AccessDenied" || res.Errors[0].VersionId != v2 {
			t.Fatalf("quiet with a held version: %s", body)
		}
		if vs, _ := sim.ObjectVersions("photos"); len(vs) != 1 || vs[0].VersionID != v2 {
			t.Fatalf("left %+v", vs)
		}
		res = decodeXML[deleteResult](t, mustS3(t, h.deleteObjects(alice, "photos", false, "doc@not-a-version"), 200).body)
		if len(res.Errors) != 1 || res.Errors[0].Code != "NoSuchVersion" {
			t.Errorf("bad version id: %+v", res)
		}
		noErr(t, sim.SetLegalHold("photos", "doc", false))
		mustS3(t, h.deleteObjects(alice, "photos", true, "doc@"+v2), 200)
		if vs, _ := sim.ObjectVersions("photos"); len(vs) != 0 {
			t.Fatalf("left %+v", vs)
		}
	})

	t.Run("per-key faults", func(t *testing.T) {
		for i := range 4 {
			must(sim.PutObject("photos", fmt.Sprint("f", i), 1))
		}
		sim.SetFaults(ostorsim.Faults{FailDeleteKeys: 2})
		res := decodeXML[deleteResult](t, mustS3(t, h.deleteObjects(alice, "photos", true, "f0", "f1", "f2", "f3"), 200).body)
		if len(res.Errors) != 2 || res.Errors[0].Key != "f0" || res.Errors[0].Code != "InternalError" || res.Errors[1].Key != "f1" {
			t.Fatalf("%+v", res)
		}
		if f := sim.Faults(); f.FailDeleteKeys != 0 {
			t.Errorf("faults left: %+v", f)
		}
		if objs, _ := sim.Objects("photos"); !slices.Equal(objs, []string{"f0", "f1"}) {
			t.Errorf("left %v", objs)
		}
	})
}

func TestS3DeleteBucket(t *testing.T) {
	h, alice, _ := s3World(t)
	sim := h.sim
	noErr(t, sim.SetVersioning("photos", true))
	id, _ := sim.StartMultipartUpload("photos", "big")
	mustS3Err(t, h.s3(alice, "DELETE", "/photos", nil), 409, "BucketNotEmpty")

	mustS3(t, h.deleteObjects(alice, "photos", true, "cat.jpg", "dog.jpg"), 200) // two markers on top
	mustS3Err(t, h.s3(alice, "DELETE", "/photos", nil), 409, "BucketNotEmpty")

	for _, v := range must(sim.ObjectVersions("photos")) {
		mustS3(t, h.deleteObjects(alice, "photos", true, v.Key+"@"+v.VersionID), 200)
	}
	mustS3Err(t, h.s3(alice, "DELETE", "/photos", nil), 409, "BucketNotEmpty") // the upload remains
	mustS3(t, h.s3(alice, "DELETE", "/photos/big?uploadId="+id, nil), 204)

	// The admin API refuses to delete the owner until the bucket is gone.
	h.mustErr(409, "User owns buckets", "DELETE", q("ostor-users", "emailAddress", "alice@example.com"))
	mustS3(t, h.s3(alice, "DELETE", "/photos", nil), 204)
	mustS3Err(t, h.s3(alice, "DELETE", "/photos", nil), 404, "NoSuchBucket")
	if sim.HasBucket("photos") {
		t.Fatal("bucket still there")
	}
	if body := h.must(200, "GET", "ostor-buckets").body; strings.Contains(body, "photos") {
		t.Errorf("ostor-buckets still lists it: %s", body)
	}
	h.must(204, "DELETE", q("ostor-users", "emailAddress", "alice@example.com"))

	// A re-created bucket starts empty, at the next epoch.
	h.newUser("carol@example.com")
	noErr(t, sim.CreateBucket("carol@example.com", "photos"))
	if vs, _ := sim.ObjectVersions("photos"); len(vs) != 0 {
		t.Errorf("re-created bucket holds %+v", vs)
	}
}

func TestS3FaultsApply(t *testing.T) {
	h, alice, _ := s3World(t)
	h.sim.SetFaults(ostorsim.Faults{Burst5xx: 1})
	mustS3Err(t, h.s3(alice, "GET", "/photos?versions", nil), 500, "InternalError")
	h.sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	mustS3Err(t, h.s3(alice, "GET", "/photos?versions", nil), 503, "SlowDown")

	// A lost answer: the bucket goes, the client hears nothing.
	h.sim.SetFaults(ostorsim.Faults{})
	for _, v := range must(h.sim.ObjectVersions("photos")) {
		mustS3(t, h.deleteObjects(alice, "photos", true, v.Key+"@"+v.VersionID), 200)
	}
	h.sim.SetFaults(ostorsim.Faults{LoseAnswerNext: 1})
	r := h.s3Request("DELETE", "/photos", nil)
	testSignV4(r, alice.ak, alice.sk, "us-east-1", "s3", h.sim.Now())
	if res, err := h.srv.Client().Do(r); err == nil {
		res.Body.Close()
		t.Fatalf("lost answer arrived: %d", res.StatusCode)
	}
	if h.sim.HasBucket("photos") {
		t.Fatal("the request whose answer was lost did not take effect")
	}
}

// Data-plane requests are S3 traffic of the user: they appear in ostor-usage.
func TestS3TrafficIsRecorded(t *testing.T) {
	h, alice, bob := s3World(t)
	mustS3(t, h.s3(alice, "GET", "/photos?versions", nil), 200)
	mustS3(t, h.s3(alice, "GET", "/photos?uploads", nil), 200)
	mustS3(t, h.deleteObjects(alice, "photos", true, "cat.jpg"), 200)
	mustS3Err(t, h.s3(bob, "GET", "/photos?versions", nil), 403, "AccessDenied") // refused: not counted
	alicesID := decode[userJSON](t, h.must(200, "GET", q("ostor-users", "emailAddress", "alice@example.com")).body).UserId
	truth := h.sim.UsageGroundTruth()
	got := truth[ostorsim.UsageKey{UserID: alicesID, Bucket: "photos"}]
	if got.List != 2 || got.Other != 1 || got.Uploaded == 0 || got.Downloaded == 0 || len(truth) != 1 {
		t.Errorf("usage %+v", truth)
	}
}

func TestBucketSizeIsItsObjects(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.newUser("o@example.com")
	sim := h.sim
	noErr(t, sim.CreateBucket("o@example.com", "b"))
	size := func() string {
		t.Helper()
		s := bucketSize(t, sim, "b")
		return s[strings.Index(s, `"current":`):strings.Index(s, `,"h_integral"`)]
	}
	must(sim.PutObject("b", "x", 100))
	must(sim.PutObject("b", "y", 50))
	must(sim.PutObject("b", "x", 30)) // replaces x
	if got := size(); got != `"current":80,"hmax":150` {
		t.Errorf("after puts: %s", got)
	}
	noErr(t, sim.SetVersioning("b", true))
	must(sim.PutObject("b", "x", 20)) // a version on top: both count
	must(sim.DeleteObject("b", "y"))  // a marker: y's data stays
	if got := size(); got != `"current":100,"hmax":150` {
		t.Errorf("versioned: %s", got)
	}

	// SetBucketSize and GrowBucket size the synthetic object.
	if err := sim.SetBucketSize("b", 1000); err != nil {
		t.Fatal(err)
	}
	if err := sim.GrowBucket("b", 24); err != nil {
		t.Fatal(err)
	}
	if got := size(); got != `"current":1024,"hmax":1024` {
		t.Errorf("set: %s", got)
	}
	var synthetic []ostorsim.ObjectVersion
	for _, v := range must(sim.ObjectVersions("b")) {
		if v.Key == ostorsim.SizeObjectKey {
			synthetic = append(synthetic, v)
		}
	}
	if len(synthetic) != 1 || synthetic[0].Size != 924 {
		t.Errorf("synthetic object: %+v", synthetic)
	}
	if err := sim.SetBucketSize("b", 99); err == nil {
		t.Error("size below the objects accepted")
	}
	if err := sim.GrowBucket("b", -925); err == nil {
		t.Error("shrinking below the objects accepted")
	}
	if err := sim.SetBucketSize("b", 100); err != nil {
		t.Fatal(err)
	}
	for _, v := range must(sim.ObjectVersions("b")) {
		if v.Key == ostorsim.SizeObjectKey {
			t.Errorf("synthetic object at size 0: %+v", v)
		}
	}

	// Deleting versions over S3 shrinks it, integrated over time.
	owner := h.newUser("p@example.com")
	noErr(t, sim.CreateBucket("p@example.com", "c"))
	noErr(t, sim.SetBucketSize("c", 3600))
	h.sim.Advance(time.Hour)
	mustS3(t, h.deleteObjects(owner, "c", true, ostorsim.SizeObjectKey), 200)
	h.sim.Advance(time.Hour)
	if got := bucketSize(t, sim, "c"); !strings.Contains(got, `"current":0,"hmax":3600,"h_integral":3600`) {
		t.Errorf("after deleting: %s", got)
	}
}

func TestObjectsDrivingAPI(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.newUser("o@example.com")
	sim := h.sim
	noErr(t, sim.CreateBucket("o@example.com", "b"))
	for _, key := range []string{"", strings.Repeat("k", 1025), "bad\x01key", "\xff"} {
		if _, err := sim.PutObject("b", key, 1); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
	if _, err := sim.PutObject("nothing", "k", 1); err == nil {
		t.Error("object in a missing bucket")
	}
	if err := sim.SetLegalHold("b", "missing", true); err == nil {
		t.Error("hold on a missing key")
	}
	if err := sim.SetVersioning("nothing", true); err == nil {
		t.Error("versioning of a missing bucket")
	}
	if v, _ := sim.Versioning("b"); v != "" {
		t.Errorf("new bucket versioning %q", v)
	}
	noErr(t, sim.SetVersioning("b", false)) // never enabled: stays unversioned
	if v, _ := sim.Versioning("b"); v != "" {
		t.Errorf("after off: %q", v)
	}
	if id, err := sim.DeleteObject("b", "missing"); err != nil || id != "" {
		t.Errorf("delete of a missing key unversioned: %q %v", id, err)
	}
	// Sizes cannot overflow; replacing the null version frees its bytes first.
	if _, err := sim.PutObject("b", "huge", math.MaxUint64); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PutObject("b", "more", 1); err == nil {
		t.Error("2^64 bytes accepted")
	}
	if _, err := sim.PutObject("b", "huge", 5); err != nil {
		t.Errorf("replacing the huge object: %v", err)
	}
	if vs := must(sim.ObjectVersions("b")); len(vs) != 1 || vs[0].Size != 5 {
		t.Errorf("versions %+v", vs)
	}
	// Ids depend on nothing random: the same writes give the same ids.
	a := ostorsim.MustNew(ostorsim.Options{Seed: 1})
	b := ostorsim.MustNew(ostorsim.Options{Seed: 2})
	for _, s := range []*ostorsim.Sim{a, b} {
		noErr(t, s.CreateBucket(s.SystemCredentials().Email, "same"))
		noErr(t, s.SetVersioning("same", true))
	}
	ida, _ := a.PutObject("same", "k", 1)
	idb, _ := b.PutObject("same", "k", 1)
	if ida != idb || len(ida) != 32 {
		t.Errorf("ids %q %q", ida, idb)
	}
}

func crc32Header(body []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body)))
}

func sha256Header(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A request that is not the admin API's never reaches an admin handler.
func TestS3RequestsCounted(t *testing.T) {
	h, alice, _ := s3World(t)
	before := h.sim.Requests()
	h.s3(alice, "GET", "/photos?versions", nil)
	h.s3(alice, http.MethodPatch, "/photos", nil)
	if got := h.sim.Requests() - before; got != 2 {
		t.Errorf("%d requests counted", got)
	}
}
