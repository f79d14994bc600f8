package ostor

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Replication is a bucket's replication to another region (Virtuozzo
// Infrastructure API reference 6.3+, put-/get-/delete-service-replication).
// Remote's secret is hidden by String and LogValue like any KeyPair.
type Replication struct {
	// Endpoint of the remote region (x-amz-geo-endpoint), e.g.
	// "s3.region2.example.com".
	Endpoint string
	// Remote is a key pair of a user of the remote region used to
	// replicate (x-amz-geo-access-key, x-amz-geo-access-secret).
	Remote KeyPair
	// UserID is "the user that is used to replicate objects on your
	// behalf", the <user_id> of the role ARN: 16 hex digits.
	UserID string
	// DestinationBucket is the bucket that receives the copies.
	DestinationBucket string
	// Enabled is the rule's Status; DeleteMarkers its
	// DeleteMarkerReplication Status.
	Enabled, DeleteMarkers bool
}

const replicationNamespace = "http://s3.amazonaws.com/doc/2006-03-01/"

type wireReplication struct {
	XMLName xml.Name `xml:"ReplicationConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Role    string   `xml:"Role"`
	Rule    struct {
		Status                  string `xml:"Status"`
		Priority                int    `xml:"Priority"`
		DeleteMarkerReplication struct {
			Status string `xml:"Status"`
		} `xml:"DeleteMarkerReplication"`
		Filter struct {
			Prefix string `xml:"Prefix"`
		} `xml:"Filter"`
		Destination struct {
			Bucket string `xml:"Bucket"`
		} `xml:"Destination"`
	} `xml:"Rule"`
}

var (
	roleARN   = regexp.MustCompile(`^arn:aws:iam::([0-9a-f]{16}):role/s3-replication-role$`)
	bucketARN = regexp.MustCompile(`^arn:aws:s3:::(.+)$`)
)

func status(on bool) string {
	if on {
		return "Enabled"
	}
	return "Disabled"
}

// validHeaderValue checks a value that goes into a header: printable
// ASCII without spaces, at most 255 bytes.
func validHeaderValue(op, what, v string) error {
	if v == "" || len(v) > 255 {
		return invalid(op, "%s must be 1 to 255 characters", what)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return invalid(op, "%s may hold printable ASCII without spaces only", what)
		}
	}
	return nil
}

func (r Replication) validate(op string) error {
	if err := validHeaderValue(op, "the remote endpoint", r.Endpoint); err != nil {
		return err
	}
	if err := validHeaderValue(op, "the remote access key", r.Remote.AccessKeyID); err != nil {
		return err
	}
	if err := validHeaderValue(op, "the remote secret key", r.Remote.SecretAccessKey); err != nil {
		return err
	}
	if err := validUserID(op, r.UserID); err != nil {
		return err
	}
	return validBucket(op, r.DestinationBucket)
}

// SetReplication sets (or replaces) a bucket's replication:
// PUT /<bucket>?replication with the x-amz-geo-* headers and a one-rule
// ReplicationConfiguration. Bad input is EINVALID and nothing is sent.
// Replacing a configuration with itself is harmless, so it is retried.
//
// The request is path-style (/<bucket>), like staas's other bucket
// requests; the reference shows the virtual-hosted form (Host:
// <bucket>.<host>), which S3 treats alike.
func (c *Client) SetReplication(ctx context.Context, bucket string, r Replication) error {
	const op = "set replication"
	if err := validBucket(op, bucket); err != nil {
		return err
	}
	if err := r.validate(op); err != nil {
		return err
	}
	var w wireReplication
	w.Xmlns = replicationNamespace
	w.Role = "arn:aws:iam::" + r.UserID + ":role/s3-replication-role"
	w.Rule.Status = status(r.Enabled)
	w.Rule.Priority = 1
	w.Rule.DeleteMarkerReplication.Status = status(r.DeleteMarkers)
	w.Rule.Destination.Bucket = "arn:aws:s3:::" + r.DestinationBucket
	body, err := xml.Marshal(w)
	if err != nil {
		return unexpected(op, "%v", err)
	}
	body = append([]byte(xml.Header), body...)
	sum := md5.Sum(body)
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	h.Set("X-Amz-Geo-Endpoint", r.Endpoint)
	h.Set("X-Amz-Geo-Access-Key", r.Remote.AccessKeyID)
	h.Set("X-Amz-Geo-Access-Secret", r.Remote.SecretAccessKey)
	_, err = c.do(ctx, request{op: op, method: http.MethodPut, path: "/" + bucket, query: "replication", body: body, header: h, idempotent: true})
	return err
}

// Replication reads a bucket's replication; a bucket without one is
// ENOTFOUND.
func (c *Client) Replication(ctx context.Context, bucket string) (*Replication, error) {
	const op = "get replication"
	if err := validBucket(op, bucket); err != nil {
		return nil, err
	}
	o, err := c.run(ctx, request{op: op, method: http.MethodGet, path: "/" + bucket, query: "replication", idempotent: true}, false)
	if err != nil {
		return nil, err
	}
	r, err := decodeReplication(o.header, o.body)
	if err != nil {
		return nil, malformed(op, err)
	}
	return r, nil
}

// DeleteReplication removes a bucket's replication (200, empty, as
// documented); retried, and a 404 after a lost answer counts as done.
func (c *Client) DeleteReplication(ctx context.Context, bucket string) error {
	const op = "delete replication"
	if err := validBucket(op, bucket); err != nil {
		return err
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, path: "/" + bucket, query: "replication", idempotent: true, goneIsDone: true})
	return err
}

func decodeReplication(h http.Header, body []byte) (*Replication, error) {
	var w wireReplication
	if err := xml.Unmarshal(body, &w); err != nil {
		return nil, &DecodeError{What: "replication", Err: err}
	}
	fail := func(format string, args ...any) (*Replication, error) {
		return nil, &DecodeError{What: "replication", Err: fmt.Errorf(format, args...)}
	}
	role := roleARN.FindStringSubmatch(w.Role)
	if role == nil {
		return fail("Role %.80q is not arn:aws:iam::<user id>:role/s3-replication-role", w.Role)
	}
	dest := bucketARN.FindStringSubmatch(w.Rule.Destination.Bucket)
	if dest == nil {
		return fail("Destination %.80q is not arn:aws:s3:::<bucket>", w.Rule.Destination.Bucket)
	}
	flag := func(what, v string) (bool, error) {
		switch strings.TrimSpace(v) {
		case "Enabled":
			return true, nil
		case "Disabled":
			return false, nil
		}
		return false, &DecodeError{What: "replication", Err: fmt.Errorf("%s %.40q is not Enabled or Disabled", what, v)}
	}
	enabled, err := flag("Status", w.Rule.Status)
	if err != nil {
		return nil, err
	}
	markers, err := flag("DeleteMarkerReplication", w.Rule.DeleteMarkerReplication.Status)
	if err != nil {
		return nil, err
	}
	return &Replication{
		Endpoint:          h.Get("X-Amz-Geo-Endpoint"),
		Remote:            KeyPair{AccessKeyID: h.Get("X-Amz-Geo-Access-Key"), SecretAccessKey: h.Get("X-Amz-Geo-Access-Secret")},
		UserID:            role[1],
		DestinationBucket: dest[1],
		Enabled:           enabled,
		DeleteMarkers:     markers,
	}, nil
}
