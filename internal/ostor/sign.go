package ostor

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// unsignedPayload is the payload hash S3 accepts in place of a body
// digest. Admin calls have no body, and ostor's newer guides send it.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// sign adds the Date/X-Amz-Date and Authorization headers to req.
func (c *Client) sign(ctx context.Context, req *http.Request) error {
	now := c.now().UTC()
	if c.sigV4 {
		req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
		return signV4(ctx, req, c.accessKey, c.secretKey, unsignedPayload, "s3", c.region, now)
	}
	date := now.Format(time.RFC1123Z)
	req.Header.Set("Date", date)
	if c.unsignedPayload {
		req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	}
	sts := StringToSignV2(req.Method, req.Header.Get("Content-MD5"), req.Header.Get("Content-Type"), date, req.Header,
		canonicalResourceV2(req.URL.EscapedPath(), req.URL.RawQuery))
	req.Header.Set("Authorization", "AWS "+c.accessKey+":"+SignV2(c.secretKey, sts))
	return nil
}

// canonicalResourceV2 is what ostor signs as the resource: the path and
// the service keyword only, i.e. the raw query up to the first '&'.
// The vendor's own script and every public client sign it this way, so
// the other parameters are not covered by the signature. For a bucket's
// sub-resource ("/<bucket>?replication") this is S3's own rule.
func canonicalResourceV2(path, rawQuery string) string {
	if path == "" {
		path = "/"
	}
	keyword, _, _ := strings.Cut(rawQuery, "&")
	if keyword == "" {
		return path
	}
	return path + "?" + keyword
}

// StringToSignV2 builds the S3 Signature Version 2 string to sign:
//
//	METHOD\nContent-MD5\nContent-Type\nDate\n<x-amz-* headers>resource
//
// The x-amz-* headers are lower-cased, sorted, their values trimmed and
// joined with commas, one "name:value\n" line each. Other headers in
// amzHeaders are ignored, so a request's whole header can be passed.
func StringToSignV2(method, contentMD5, contentType, date string, amzHeaders http.Header, resource string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(contentMD5)
	b.WriteByte('\n')
	b.WriteString(contentType)
	b.WriteByte('\n')
	b.WriteString(date)
	b.WriteByte('\n')
	amz := map[string][]string{}
	for name, values := range amzHeaders {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-") {
			continue
		}
		for _, v := range values {
			amz[lower] = append(amz[lower], strings.TrimSpace(v))
		}
	}
	names := make([]string, 0, len(amz))
	for name := range amz {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strings.Join(amz[name], ","))
		b.WriteByte('\n')
	}
	b.WriteString(resource)
	return b.String()
}

// SignV2 is base64(HMAC-SHA1(secret, stringToSign)), the signature in
// "Authorization: AWS <access key>:<signature>".
func SignV2(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signV4 signs req with aws-sdk-go-v2's SigV4 signer. The signer rewrites
// req.URL.RawQuery into its canonical sorted form ("emailAddress=…&
// ostor-users="); the original order is put back so the service keyword
// stays first on the wire. The signature still matches: a verifier
// canonicalises the query it receives, and "ostor-users" and
// "ostor-users=" canonicalise alike.
func signV4(ctx context.Context, req *http.Request, accessKey, secretKey, payloadHash, service, region string, now time.Time) error {
	raw := req.URL.RawQuery
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	err := v4.NewSigner().SignHTTP(ctx, creds, req, payloadHash, service, region, now)
	req.URL.RawQuery = raw
	return err
}
