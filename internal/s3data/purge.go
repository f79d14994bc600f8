package s3data

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"staas"
	"staas/internal/ostor"
)

// pageSize is the most versions or uploads asked for per listing, and the
// most keys one DeleteObjects request may name (S3's limit for both).
const pageSize = 1000

// maxPasses bounds the list-and-delete passes over a bucket. The first
// pass deletes what it lists; the next finds the bucket empty and ends.
// More passes happen only when keys failed (a transient per-key error is
// retried by listing the key again) or objects keep arriving.
const maxPasses = 3

// PurgeBucket empties bucket and deletes it, acting as its owner with the
// owner's key pair (the gateway lets no one else, and the admin API cannot
// do it): it aborts every unfinished multipart upload, deletes every
// object version and delete marker, page by page, in batches of up to
// 1000, then deletes the bucket. It returns how many object versions
// holding data it deleted (delete markers and uploads are not counted).
//
// It is idempotent: a bucket that does not exist, before or at any point
// during the purge, counts as purged, and deleting what is already gone
// succeeds, so a failed purge is simply run again.
//
// Errors: EINVALID for a bad bucket name or key pair (nothing is sent);
// EFORBIDDEN when the gateway refuses the key (wrong, revoked or disabled
// owner, or not the bucket's owner); EUNAVAILABLE when the gateway fails or
// does not answer after retries; ECONFLICT when objects cannot be deleted
// (e.g. under an object lock) or keep arriving so that the bucket is not
// empty at the end. Messages name the bucket, never the secret.
func (c *Client) PurgeBucket(ctx context.Context, owner ostor.KeyPair, bucket string) (objects int64, err error) {
	if err := validBucket(bucket); err != nil {
		return 0, err
	}
	if err := validOwner(bucket, owner); err != nil {
		return 0, err
	}
	p := &purge{api: c.api(owner), bucket: bucket}
	err = p.run(ctx)
	if errors.Is(err, errBucketGone) {
		err = nil
	}
	return p.deleted, err
}

// purge is one PurgeBucket run.
type purge struct {
	api     *s3.Client
	bucket  string
	deleted int64 // object versions holding data
}

func (p *purge) run(ctx context.Context) error {
	if err := p.abortUploads(ctx); err != nil {
		return err
	}
	for pass := 1; ; pass++ {
		listed, failed, err := p.deleteVersions(ctx)
		if err != nil {
			return err
		}
		if listed == 0 {
			break
		}
		if pass == maxPasses {
			if len(failed) > 0 {
				return keyFailure(p.bucket, failed)
			}
			break // still filling up: DeleteBucket will say BucketNotEmpty
		}
	}
	_, err := p.api.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &p.bucket})
	if err != nil {
		return translate(ctx, p.bucket, "deleting the bucket", err)
	}
	return nil
}

// abortUploads aborts every unfinished multipart upload, so that none
// completes into an object after the versions are gone.
func (p *purge) abortUploads(ctx context.Context) error {
	in := &s3.ListMultipartUploadsInput{Bucket: &p.bucket, MaxUploads: aws.Int32(pageSize)}
	for {
		out, err := p.api.ListMultipartUploads(ctx, in)
		if err != nil {
			return translate(ctx, p.bucket, "listing multipart uploads", err)
		}
		for _, u := range out.Uploads {
			_, err := p.api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &p.bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil && inspect(err).code != "NoSuchUpload" { // gone already: done
				return translate(ctx, p.bucket, "aborting a multipart upload", err)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		next := &s3.ListMultipartUploadsInput{Bucket: &p.bucket, MaxUploads: aws.Int32(pageSize),
			KeyMarker: out.NextKeyMarker, UploadIdMarker: out.NextUploadIdMarker}
		if err := checkProgress(p.bucket, "multipart uploads", in.KeyMarker, in.UploadIdMarker, next.KeyMarker, next.UploadIdMarker); err != nil {
			return err
		}
		in = next
	}
}

// deleteVersions is one pass over the bucket's versions and delete markers:
// each page listed is deleted before the next is asked for (the listing
// resumes after the page's last entry, which deleting does not move). It
// returns how many entries it listed and the per-key errors left.
func (p *purge) deleteVersions(ctx context.Context) (listed int, failed []types.Error, err error) {
	in := &s3.ListObjectVersionsInput{Bucket: &p.bucket, MaxKeys: aws.Int32(pageSize)}
	for {
		out, err := p.api.ListObjectVersions(ctx, in)
		if err != nil {
			return listed, failed, translate(ctx, p.bucket, "listing object versions", err)
		}
		var batch []entry
		for _, v := range out.Versions {
			batch = append(batch, entry{types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId}, true})
		}
		for _, m := range out.DeleteMarkers {
			batch = append(batch, entry{types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId}, false})
		}
		listed += len(batch)
		// A page is at most pageSize long unless a gateway ignores
		// max-keys; cut it anyway, as DeleteObjects takes no more.
		for len(batch) > 0 {
			n := min(len(batch), pageSize)
			errs, err := p.deleteBatch(ctx, batch[:n])
			if err != nil {
				return listed, failed, err
			}
			failed = append(failed, errs...)
			batch = batch[n:]
		}
		if !aws.ToBool(out.IsTruncated) {
			return listed, failed, nil
		}
		next := &s3.ListObjectVersionsInput{Bucket: &p.bucket, MaxKeys: aws.Int32(pageSize),
			KeyMarker: out.NextKeyMarker, VersionIdMarker: out.NextVersionIdMarker}
		if err := checkProgress(p.bucket, "object versions", in.KeyMarker, in.VersionIdMarker, next.KeyMarker, next.VersionIdMarker); err != nil {
			return listed, failed, err
		}
		in = next
	}
}

// entry is a listed version (data) or delete marker, to be deleted.
type entry struct {
	id      types.ObjectIdentifier
	hasData bool
}

// deleteBatch deletes up to pageSize entries by version id in one quiet
// DeleteObjects (only failures are reported) and counts the data versions
// that went. Keys reported missing are gone, which is what was asked.
func (p *purge) deleteBatch(ctx context.Context, batch []entry) ([]types.Error, error) {
	ids := make([]types.ObjectIdentifier, len(batch))
	for i, e := range batch {
		ids[i] = e.id
	}
	out, err := p.api.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: &p.bucket,
		Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
	}, withContentMD5)
	if err != nil {
		return nil, translate(ctx, p.bucket, "deleting objects", err)
	}
	type ref struct{ key, version string }
	var failed []types.Error
	notDeleted := map[ref]bool{}
	for _, e := range out.Errors {
		switch aws.ToString(e.Code) {
		case "NoSuchKey", "NoSuchVersion":
			continue
		}
		failed = append(failed, e)
		notDeleted[ref{aws.ToString(e.Key), aws.ToString(e.VersionId)}] = true
	}
	for _, e := range batch {
		if e.hasData && !notDeleted[ref{aws.ToString(e.id.Key), aws.ToString(e.id.VersionId)}] {
			p.deleted++
		}
	}
	return failed, nil
}

// withContentMD5 adds Content-MD5 to DeleteObjects. S3 requires it or a
// flexible checksum; the SDK sends only the latter (CRC32) since 2025, and
// S3-compatible gateways that predate flexible checksums refuse the
// request without Content-MD5. Sending both suits old and new.
func withContentMD5(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, smithyhttp.AddContentChecksumMiddleware)
}

// checkProgress refuses a truncated listing whose next markers are missing
// or those of the page just read: following it would loop forever.
func checkProgress(bucket, what string, key, id, nextKey, nextID *string) error {
	if aws.ToString(nextKey) == "" || aws.ToString(nextKey) == aws.ToString(key) && aws.ToString(nextID) == aws.ToString(id) {
		return &staas.Error{Code: staas.EINTERNAL, Message: unexpectedSentence(bucket),
			Err: fmt.Errorf("s3: purge bucket %q: the gateway's listing of %s does not advance", bucket, what)}
	}
	return nil
}

// keyFailure reports the versions that could not be deleted in the last
// pass. An S3 per-key error is the gateway's answer about that key: a
// transient one (InternalError, SlowDown) that lasted every pass is
// EUNAVAILABLE; any other (AccessDenied from an object lock) is the state
// of the data, ECONFLICT.
func keyFailure(bucket string, failed []types.Error) error {
	first := failed[0]
	code := staas.ECONFLICT
	sentence := "The storage cluster kept them (an object lock or a bucket policy may hold them): release them, then try again; staas's log names the first one."
	switch aws.ToString(first.Code) {
	case "InternalError", "SlowDown", "ServiceUnavailable":
		code = staas.EUNAVAILABLE
		sentence = "The storage cluster kept failing to delete them: try again in a moment; staas's log has the details."
	}
	n := "1 object version"
	if len(failed) > 1 {
		n = fmt.Sprintf("%d object versions", len(failed))
	}
	return &staas.Error{Code: code,
		Message: fmt.Sprintf("Bucket %q was not emptied: %s could not be deleted. %s", truncate(bucket), n, sentence),
		Err: fmt.Errorf("s3: purge bucket %q: %s could not be deleted (key %q: %s: %s)",
			bucket, n, truncate(aws.ToString(first.Key)), aws.ToString(first.Code), truncate(aws.ToString(first.Message)))}
}
