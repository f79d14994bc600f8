package ostorsim_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

// The reference's example body (6.3 put-service-replication).
const replicationBody = `<?xml version="1.0" encoding="UTF-8"?>
<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Role>arn:aws:iam::850b4943d62191a5:role/s3-replication-role</Role>
<Rule>
<Status>Enabled</Status>
<Priority>1</Priority>
<DeleteMarkerReplication>
<Status>Disabled</Status>
</DeleteMarkerReplication>
<Filter>
<Prefix />
</Filter>
<Destination>
<Bucket>arn:aws:s3:::copies</Bucket>
</Destination>
</Rule>
</ReplicationConfiguration>`

// replicationRequest builds a ?replication request in the documented,
// virtual-hosted form (Host: <bucket>.<host>, path /) or path-style, signed
// with SigV2 over S3's resource for it.
func (h *harness) replicationRequest(method, bucket string, virtual bool, body string, geo bool, accessKey, secret string) response {
	h.t.Helper()
	url, resource := h.srv.URL+"/"+bucket+"?replication", "/"+bucket+"?replication"
	if virtual {
		url, resource = h.srv.URL+"/?replication", "/"+bucket+"/?replication"
	}
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if virtual {
		r.Host = bucket + ".s3.example.com"
	}
	r.Header.Set("Date", h.sim.Now().Format(time.RFC1123Z))
	if geo {
		r.Header.Set("x-amz-geo-endpoint", "s3.region2.example.com")
		r.Header.Set("x-amz-geo-access-key", "850b4943d62191a5ABCD")
		r.Header.Set("x-amz-geo-access-secret", "remote-secret")
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/xml")
	}
	amz := "x-amz-geo-access-key:850b4943d62191a5ABCD\nx-amz-geo-access-secret:remote-secret\nx-amz-geo-endpoint:s3.region2.example.com\n"
	if !geo {
		amz = ""
	}
	sts := method + "\n\n" + r.Header.Get("Content-Type") + "\n" + r.Header.Get("Date") + "\n" + amz + resource
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts))
	r.Header.Set("Authorization", "AWS "+accessKey+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return h.send(r)
}

func TestReplicationDocumentedForm(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	owner := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", "o@example.com")).body)
	other := decode[userJSON](t, h.must(200, "PUT", q("ostor-users", "emailAddress", "x@example.com")).body)
	if err := h.sim.CreateBucket("o@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	sys := h.creds
	own := owner.AWSAccessKeys[0]

	for _, virtual := range []bool{true, false} {
		res := h.replicationRequest("GET", "test", virtual, "", false, sys.AccessKey, sys.SecretKey)
		if res.status != 404 || !strings.Contains(res.body, "ReplicationConfigurationNotFoundError") {
			t.Fatalf("virtual %v, none yet: %d %s", virtual, res.status, res.body)
		}
		if res := h.replicationRequest("PUT", "test", virtual, replicationBody, true, own.AWSAccessKeyId, own.AWSSecretAccessKey); res.status != 200 || res.body != "" {
			t.Fatalf("virtual %v, PUT by the owner: %d %q %s", virtual, res.status, res.body, res.header.Get("X-Amz-Err-Message"))
		}
		res = h.replicationRequest("GET", "test", virtual, "", false, sys.AccessKey, sys.SecretKey)
		if res.status != 200 || !strings.Contains(res.body, "<Role>arn:aws:iam::850b4943d62191a5:role/s3-replication-role</Role>") ||
			!strings.Contains(res.body, "<Bucket>arn:aws:s3:::copies</Bucket>") || !strings.Contains(res.body, `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`) ||
			res.header.Get("x-amz-geo-endpoint") != "s3.region2.example.com" || res.header.Get("x-amz-geo-access-key") != "850b4943d62191a5ABCD" ||
			res.header.Get("x-amz-geo-access-secret") != "remote-secret" {
			t.Fatalf("virtual %v, GET: %d %v %s", virtual, res.status, res.header, res.body)
		}
		if res := h.replicationRequest("DELETE", "test", virtual, "", false, sys.AccessKey, sys.SecretKey); res.status != 200 || res.body != "" {
			t.Fatalf("virtual %v, DELETE: %d %q", virtual, res.status, res.body)
		}
		if _, _, _, _, ok := h.sim.Replication("test"); ok {
			t.Fatalf("virtual %v: still set after DELETE", virtual)
		}
	}

	// Refusals: another user, a wrong signature, no bucket, missing
	// headers, a body that is not the documented configuration.
	ou := other.AWSAccessKeys[0]
	if res := h.replicationRequest("PUT", "test", true, replicationBody, true, ou.AWSAccessKeyId, ou.AWSSecretAccessKey); res.status != 403 {
		t.Errorf("another user: %d", res.status)
	}
	if res := h.replicationRequest("PUT", "test", true, replicationBody, true, own.AWSAccessKeyId, "wrong"); res.status != 403 {
		t.Errorf("wrong secret: %d", res.status)
	}
	if res := h.replicationRequest("PUT", "nope", true, replicationBody, true, sys.AccessKey, sys.SecretKey); res.status != 404 {
		t.Errorf("unknown bucket: %d", res.status)
	}
	if res := h.replicationRequest("PUT", "test", true, replicationBody, false, sys.AccessKey, sys.SecretKey); res.status != 400 || !strings.Contains(res.header.Get("X-Amz-Err-Message"), "x-amz-geo-") {
		t.Errorf("no x-amz-geo headers: %d %q", res.status, res.header.Get("X-Amz-Err-Message"))
	}
	for _, bad := range []string{
		"", "<nope/>", strings.Replace(replicationBody, "s3-replication-role", "admin", 1),
		strings.Replace(replicationBody, "<Status>Enabled</Status>", "<Status>On</Status>", 1),
		strings.Replace(replicationBody, "arn:aws:s3:::copies", "copies", 1),
	} {
		if res := h.replicationRequest("PUT", "test", true, bad, true, sys.AccessKey, sys.SecretKey); res.status != 400 {
			t.Errorf("bad body %.60q: %d", bad, res.status)
		}
	}
	if _, _, _, _, ok := h.sim.Replication("test"); ok {
		t.Fatal("a refused PUT set a configuration")
	}

	// A re-created bucket does not inherit the old bucket's configuration.
	if res := h.replicationRequest("PUT", "test", false, replicationBody, true, sys.AccessKey, sys.SecretKey); res.status != 200 {
		t.Fatalf("PUT: %d", res.status)
	}
	if err := h.sim.DeleteBucket("test"); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.CreateBucket("o@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	if res := h.replicationRequest("GET", "test", false, "", false, sys.AccessKey, sys.SecretKey); res.status != 404 {
		t.Errorf("re-created bucket: %d %s", res.status, res.body)
	}
}
