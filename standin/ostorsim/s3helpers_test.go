package ostorsim_test

// Test side of the S3 data plane: an S3-style SigV2 signer (written apart
// from auth.go), request helpers and the answers' XML shapes as a client
// reads them.

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// s3Key is a key pair of the test's users.
type s3Key struct{ ak, sk string }

// newUser creates a user through the admin API.
func (h *harness) newUser(email string) s3Key {
	h.t.Helper()
	u := decode[userJSON](h.t, h.must(200, "PUT", q("ostor-users", "emailAddress", email)).body)
	return s3Key{u.AWSAccessKeys[0].AWSAccessKeyId, u.AWSAccessKeys[0].AWSSecretAccessKey}
}

// s3Request builds a data-plane request to target ("/bucket?versions"),
// headers given as name, value pairs.
func (h *harness) s3Request(method, target string, body []byte, header ...string) *http.Request {
	h.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	var r *http.Request
	var err error
	if rd != nil {
		r, err = http.NewRequest(method, h.srv.URL+target, rd)
	} else {
		r, err = http.NewRequest(method, h.srv.URL+target, nil)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// s3 sends a SigV4-signed data-plane request as k.
func (h *harness) s3(k s3Key, method, target string, body []byte, header ...string) response {
	h.t.Helper()
	r := h.s3Request(method, target, body, header...)
	testSignV4(r, k.ak, k.sk, "us-east-1", "s3", h.sim.Now())
	return h.send(r)
}

// s3V2 sends it signed with S3's SigV2 instead.
func (h *harness) s3V2(k s3Key, method, target string, body []byte, header ...string) response {
	h.t.Helper()
	r := h.s3Request(method, target, body, header...)
	r.Header.Set("Date", h.sim.Now().Format(time.RFC1123Z))
	testSignV2Object(r, k.ak, k.sk)
	return h.send(r)
}

// mustS3 fails the test unless the answer has status want.
func mustS3(t *testing.T, res response, want int) response {
	t.Helper()
	if res.status != want {
		t.Fatalf("status %d, want %d: %s", res.status, want, res.body)
	}
	return res
}

// mustS3Err expects an S3 XML error with that status and code.
func mustS3Err(t *testing.T, res response, status int, code string) {
	t.Helper()
	if res.status != status || !strings.Contains(res.body, "<Code>"+code+"</Code>") {
		t.Fatalf("got %d %s, want %d %s", res.status, res.body, status, code)
	}
}

// testSignV2Object signs as S3 clients do for buckets and objects: the
// resource is the path plus the sub-resources among the query parameters,
// sorted by name.
func testSignV2Object(r *http.Request, accessKey, secret string) {
	signed := map[string]bool{"delete": true, "uploadId": true, "uploads": true, "versionId": true, "versions": true, "versioning": true, "acl": true}
	var subs []string
	for name, vs := range r.URL.Query() {
		if !signed[name] {
			continue
		}
		if vs[0] == "" {
			subs = append(subs, name)
		} else {
			subs = append(subs, name+"="+vs[0])
		}
	}
	sort.Strings(subs)
	resource := r.URL.EscapedPath()
	if len(subs) > 0 {
		resource += "?" + strings.Join(subs, "&")
	}
	var amz []string
	for name, vs := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			amz = append(amz, l+":"+strings.Join(vs, ","))
		}
	}
	sort.Strings(amz)
	sts := r.Method + "\n" + r.Header.Get("Content-MD5") + "\n" + r.Header.Get("Content-Type") + "\n" +
		r.Header.Get("Date") + "\n"
	for _, line := range amz {
		sts += line + "\n"
	}
	sts += resource
	r.Header.Set("Authorization", "AWS "+accessKey+":"+signV2(secret, sts))
}

func signV2(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// deleteBody is a DeleteObjects body; each object is "key" or
// "key@version".
func deleteBody(quiet bool, objects ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	if quiet {
		b.WriteString("<Quiet>true</Quiet>")
	}
	for _, o := range objects {
		key, version, _ := strings.Cut(o, "@")
		b.WriteString("<Object><Key>")
		_ = xml.EscapeText(&b, []byte(key)) // a bytes.Buffer does not fail
		b.WriteString("</Key>")
		if version != "" {
			b.WriteString("<VersionId>" + version + "</VersionId>")
		}
		b.WriteString("</Object>")
	}
	b.WriteString("</Delete>")
	return []byte(b.String())
}

func contentMD5(body []byte) string {
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// deleteObjects sends a DeleteObjects with a Content-MD5.
func (h *harness) deleteObjects(k s3Key, bucket string, quiet bool, objects ...string) response {
	h.t.Helper()
	body := deleteBody(quiet, objects...)
	return h.s3(k, "POST", "/"+bucket+"?delete", body, "Content-MD5", contentMD5(body))
}

// The answers as a client decodes them.
type (
	listedVersion struct {
		XMLName      xml.Name
		Key          string
		VersionId    string
		IsLatest     bool
		Size         int64
		LastModified string
	}
	listVersionsResult struct {
		Name                string
		KeyMarker           string
		VersionIdMarker     string
		NextKeyMarker       string
		NextVersionIdMarker string
		MaxKeys             int
		IsTruncated         bool
		Entries             []listedVersion `xml:",any"`
	}
	listUploadsResult struct {
		IsTruncated        bool
		NextKeyMarker      string
		NextUploadIdMarker string
		Uploads            []struct {
			Key       string
			UploadId  string
			Initiated string
		} `xml:"Upload"`
	}
	deleteResult struct {
		Deleted []struct {
			Key                   string
			VersionId             string
			DeleteMarker          bool
			DeleteMarkerVersionId string
		}
		Errors []struct {
			Key       string
			VersionId string
			Code      string
		} `xml:"Error"`
	}
)

func decodeXML[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := xml.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

// entriesOf renders a listing compactly: "key@version" with "*" for the
// latest and "(x)" for a delete marker.
func entriesOf(l listVersionsResult) []string {
	var out []string
	for _, e := range l.Entries {
		if e.XMLName.Local != "Version" && e.XMLName.Local != "DeleteMarker" {
			continue
		}
		s := e.Key + "@" + e.VersionId
		if e.XMLName.Local == "DeleteMarker" {
			s += "(x)"
		}
		if e.IsLatest {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

// listAll pages through a bucket's versions, page entries at a time.
func (h *harness) listAll(k s3Key, bucket string, page int) []string {
	h.t.Helper()
	var all []string
	keyMarker, vidMarker := "", ""
	for range 1000 {
		target := fmt.Sprintf("/%s?versions&max-keys=%d", bucket, page)
		if keyMarker != "" {
			target += "&key-marker=" + url.QueryEscape(keyMarker) + "&version-id-marker=" + url.QueryEscape(vidMarker)
		}
		l := decodeXML[listVersionsResult](h.t, mustS3(h.t, h.s3(k, "GET", target, nil), 200).body)
		all = append(all, entriesOf(l)...)
		if !l.IsTruncated {
			return all
		}
		keyMarker, vidMarker = l.NextKeyMarker, l.NextVersionIdMarker
	}
	h.t.Fatal("listing does not end")
	return nil
}

// noErr fails the test at a setup step that failed.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
