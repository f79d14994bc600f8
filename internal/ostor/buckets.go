package ostor

import (
	"bytes"
	"context"
	"net/http"
)

// Buckets lists every bucket in the cluster with its size accounting.
func (c *Client) Buckets(ctx context.Context) ([]Bucket, error) {
	return c.buckets(ctx, "list buckets", newQuery("buckets"))
}

// BucketsOf lists the buckets a user owns.
func (c *Client) BucketsOf(ctx context.Context, ref UserRef) ([]Bucket, error) {
	const op = "list user buckets"
	if err := validateRef(ref, op); err != nil {
		return nil, err
	}
	return c.buckets(ctx, op, addRef(ref, newQuery("buckets")))
}

func (c *Client) buckets(ctx context.Context, op string, q *query) ([]Bucket, error) {
	r := request{op: op, method: http.MethodGet, query: q.String(), idempotent: true}
	body, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if b, ok := decodeBucketsFast(body); ok {
		return b, nil
	}
	b, err := DecodeBuckets(bytes.NewReader(body))
	if err != nil {
		return nil, malformed(r.op, err)
	}
	return b, nil
}
