package provision

import (
	"context"

	"staas"
)

// BucketPurger empties a bucket (every object version, delete marker and
// unfinished multipart upload) and deletes it, acting as the bucket's
// owner.
//
// It is what TerminateService uses when the product's "Buckets left at
// termination" is purge: the ostor admin API can delete a user only once
// it owns no bucket, and cannot empty a bucket itself, so the data plane
// (S3) has to (internal/s3data). objects counts what was deleted, for
// the audit log.
type BucketPurger interface {
	PurgeBucket(ctx context.Context, owner staas.KeyPair, bucket string) (objects int64, err error)
}
