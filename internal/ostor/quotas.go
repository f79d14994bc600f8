package ostor

import (
	"context"
	"net/http"
	"strconv"
)

// QuotaSubject is what a quota applies to: a user, a bucket, or the
// default for users or for buckets without a quota of their own. Build it
// with UserQuota, BucketQuota or DefaultQuota.
type QuotaSubject struct {
	user   UserRef
	bucket string
	def    string // "user" or "bucket"
}

// UserQuota names a user's quota.
func UserQuota(ref UserRef) QuotaSubject { return QuotaSubject{user: ref} }

// BucketQuota names a bucket's quota.
func BucketQuota(bucket string) QuotaSubject { return QuotaSubject{bucket: bucket} }

// DefaultQuota names the default quota of users (kind "user") or of
// buckets (kind "bucket").
func DefaultQuota(kind string) QuotaSubject { return QuotaSubject{def: kind} }

func (s QuotaSubject) validate(op string) error {
	set := 0
	if s.user != (UserRef{}) {
		set++
	}
	if s.bucket != "" {
		set++
	}
	if s.def != "" {
		set++
	}
	switch {
	case set == 0:
		return invalid(op, "quota subject is empty: use UserQuota, BucketQuota or DefaultQuota")
	case set > 1:
		return invalid(op, "a quota applies to one user, bucket or default")
	case s.bucket != "":
		return validBucket(op, s.bucket)
	case s.def != "":
		if s.def != "user" && s.def != "bucket" {
			return invalid(op, "default quota kind %q is not \"user\" or \"bucket\"", truncate(s.def))
		}
		return nil
	}
	return s.user.validate(op)
}

func (s QuotaSubject) query() *query {
	q := newQuery("quotas")
	switch {
	case s.bucket != "":
		return q.set("bucket", s.bucket)
	case s.def != "":
		return q.set("default", s.def)
	}
	return s.user.addTo(q)
}

// SetQuota sets a storage quota in GB; 0 means unlimited. Setting the same
// quota twice is harmless, so it is retried.
func (c *Client) SetQuota(ctx context.Context, subject QuotaSubject, gb uint64) error {
	const op = "set quota"
	if err := subject.validate(op); err != nil {
		return err
	}
	if err := validQuotaGB(op, gb); err != nil {
		return err
	}
	q := subject.query().set("quota-size", strconv.FormatUint(gb, 10))
	_, err := c.do(ctx, request{op: op, method: http.MethodPut, query: q.String(), idempotent: true})
	return err
}

// Quota reads a quota. Its size is read as GB; see DecodeQuota.
func (c *Client) Quota(ctx context.Context, subject QuotaSubject) (*Quota, error) {
	const op = "get quota"
	if err := subject.validate(op); err != nil {
		return nil, err
	}
	return getJSON(ctx, c, request{op: op, method: http.MethodGet, query: subject.query().String(), idempotent: true}, DecodeQuota)
}

// DeleteQuota removes a quota. It is retried; a 404 after an attempt whose
// answer was lost counts as success (see DeleteUser).
func (c *Client) DeleteQuota(ctx context.Context, subject QuotaSubject) error {
	const op = "delete quota"
	if err := subject.validate(op); err != nil {
		return err
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, query: subject.query().String(), idempotent: true, goneIsDone: true})
	return err
}
