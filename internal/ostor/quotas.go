package ostor

import (
	"context"
	"net/http"
	"strconv"
)

func validateQuotaSubject(s QuotaSubject, op string) error {
	set := 0
	if !s.User().IsZero() {
		set++
	}
	if s.Bucket() != "" {
		set++
	}
	if s.Default() != "" {
		set++
	}
	switch {
	case set == 0:
		return invalid(op, "quota subject is empty: use UserQuota, BucketQuota or DefaultQuota")
	case set > 1:
		return invalid(op, "a quota applies to one user, bucket or default")
	case s.Bucket() != "":
		return validBucket(op, s.Bucket())
	case s.Default() != "":
		if s.Default() != "user" && s.Default() != "bucket" {
			return invalid(op, "default quota kind %q is not \"user\" or \"bucket\"", truncate(s.Default()))
		}
		return nil
	}
	return validateRef(s.User(), op)
}

func quotaQuery(s QuotaSubject) *query {
	q := newQuery("quotas")
	switch {
	case s.Bucket() != "":
		return q.set("bucket", s.Bucket())
	case s.Default() != "":
		return q.set("default", s.Default())
	}
	return addRef(s.User(), q)
}

// SetQuota sets a storage quota in GB; 0 means unlimited. Setting the same
// quota twice is harmless, so it is retried.
func (c *Client) SetQuota(ctx context.Context, subject QuotaSubject, gb uint64) error {
	const op = "set quota"
	if err := validateQuotaSubject(subject, op); err != nil {
		return err
	}
	if err := validQuotaGB(op, gb); err != nil {
		return err
	}
	q := quotaQuery(subject).set("quota-size", strconv.FormatUint(gb, 10))
	_, err := c.do(ctx, request{op: op, method: http.MethodPut, query: q.String(), idempotent: true})
	return err
}

// Quota reads a quota. Its size is read as GB; see DecodeQuota.
func (c *Client) Quota(ctx context.Context, subject QuotaSubject) (*Quota, error) {
	const op = "get quota"
	if err := validateQuotaSubject(subject, op); err != nil {
		return nil, err
	}
	return getJSON(ctx, c, request{op: op, method: http.MethodGet, query: quotaQuery(subject).String(), idempotent: true}, DecodeQuota)
}

// DeleteQuota removes a quota. It is retried; a 404 after an attempt whose
// answer was lost counts as success (see DeleteUser).
func (c *Client) DeleteQuota(ctx context.Context, subject QuotaSubject) error {
	const op = "delete quota"
	if err := validateQuotaSubject(subject, op); err != nil {
		return err
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, query: quotaQuery(subject).String(), idempotent: true, goneIsDone: true})
	return err
}
