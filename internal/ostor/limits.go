package ostor

import (
	"context"
	"net/http"
	"strconv"

	"staas"
)

func validateLimitSubject(s LimitSubject, op string) error {
	if s.Bucket() != "" {
		if !s.User().IsZero() {
			return invalid(op, "limits apply to a user or a bucket, not both")
		}
		return validBucket(op, s.Bucket())
	}
	if s.User().IsZero() {
		return invalid(op, "limit subject is empty: use UserLimits or BucketLimits")
	}
	return validateRef(s.User(), op)
}

func limitQuery(s LimitSubject) *query {
	q := newQuery("limits")
	if s.Bucket() != "" {
		return q.set("bucket", s.Bucket())
	}
	return addRef(s.User(), q)
}

// SetOpsLimit sets the operations-per-second limit of one operation class
// (see OpsResources; "default" covers classes without their own limit).
// 0 means unlimited. The number is sent as given and the gateway keeps two
// decimals; whether a cluster reads it per second or per minute is not
// settled by the vendor's documents (docs/ostor-api.md, "Units").
func (c *Client) SetOpsLimit(ctx context.Context, subject LimitSubject, resource string, perSecond float64) error {
	const op = "set ops limit"
	if err := validateLimitSubject(subject, op); err != nil {
		return err
	}
	if err := validOpsResource(op, resource); err != nil {
		return err
	}
	if err := validOpsValue(op, perSecond); err != nil {
		return err
	}
	q := limitQuery(subject).set("limit-type", "ops").set("limit-resource", resource).
		set("limit-value", strconv.FormatFloat(perSecond, 'f', -1, 64))
	_, err := c.do(ctx, request{op: op, method: http.MethodPut, query: q.String(), idempotent: true})
	return err
}

// SetBandwidthLimit sets the outgoing bandwidth limit in KB/s; 0 means
// unlimited.
func (c *Client) SetBandwidthLimit(ctx context.Context, subject LimitSubject, kbPerSecond uint64) error {
	const op = "set bandwidth limit"
	if err := validateLimitSubject(subject, op); err != nil {
		return err
	}
	q := limitQuery(subject).set("limit-type", "bandwidth").set("limit-resource", "out").
		set("limit-value", strconv.FormatUint(kbPerSecond, 10))
	_, err := c.do(ctx, request{op: op, method: http.MethodPut, query: q.String(), idempotent: true})
	return err
}

// Limits reads a user's or a bucket's limits. A cluster whose limits are
// not enabled answers 400, reported as ELIMITSOFF.
func (c *Client) Limits(ctx context.Context, subject LimitSubject) (*Limits, error) {
	const op = "get limits"
	if err := validateLimitSubject(subject, op); err != nil {
		return nil, err
	}
	return getJSON(ctx, c, request{op: op, method: http.MethodGet, query: limitQuery(subject).String(), idempotent: true, on400: staas.ELIMITSOFF}, DecodeLimits)
}

// DeleteLimits sets all of a subject's limits back to unlimited. Doing it
// twice is harmless, so it is retried.
func (c *Client) DeleteLimits(ctx context.Context, subject LimitSubject) error {
	const op = "delete limits"
	if err := validateLimitSubject(subject, op); err != nil {
		return err
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, query: limitQuery(subject).String(), idempotent: true})
	return err
}
