package provision

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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

// purge empties and deletes the user's buckets through the purger, as
// their owner. A disabled user (a suspended service) is enabled first,
// since its keys do not work otherwise; restore disables it again, and is
// called here when purging fails and by the caller when the deletion that
// follows does. Each bucket's outcome is audited as auditAction, unless
// that is "" (the caller records the one bucket it purged).
func (s *core) purge(ctx context.Context, a Actor, m *staas.S3User, u *staas.StorageUser, buckets []staas.Bucket, auditAction string) (restore func(), objects int64, err error) {
	restore = func() {}
	purger, err := s.purgerOf(m.Cluster)
	if err != nil {
		return restore, 0, err
	}
	if !u.Enabled() {
		if err := s.at(m.Cluster).EnableUser(ctx, m.Email); err != nil {
			return restore, 0, partial(fmt.Sprintf("The suspended S3 user %s could not be enabled to purge its buckets", m.UserID), err)
		}
		s.forgetUsers()
		restore = func() {
			if err := s.at(m.Cluster).DisableUser(context.WithoutCancel(ctx), m.Email); err != nil {
				s.log.Error("a suspended S3 user enabled for purging could not be disabled again", "user_id", m.UserID, "email", m.Email, "err", err)
				return
			}
			s.forgetUsers()
		}
	}
	var key staas.KeyPair
	if len(u.Keys) > 0 {
		key = u.Keys[0]
	} else {
		// Without a key pair there is no owner to act as. The new pair
		// stays the user's first, so a retry uses it too.
		k, err := s.at(m.Cluster).GenerateKey(ctx, m.Email)
		if err != nil {
			restore()
			return restore, 0, partial(fmt.Sprintf("S3 user %s has no key pair to purge its buckets with, and none could be made", m.UserID), err)
		}
		key = *k
	}
	for _, b := range buckets {
		n, err := purger.PurgeBucket(ctx, key, b.Name)
		params := map[string]string{"service_id": strconv.FormatInt(m.ServiceID, 10), "user_id": m.UserID,
			"bucket": b.Name, "objects": strconv.FormatInt(n, 10)}
		if err != nil {
			err = &staas.Error{Code: staas.ErrorCode(err), Message: fmt.Sprintf("Bucket %s of S3 user %s could not be purged. %s", b.Name, m.UserID, staas.ErrorMessage(err)), Err: err}
		}
		if auditAction != "" {
			s.record(ctx, a, auditAction, params, err, fmt.Sprintf("Bucket %s of S3 user %s emptied (%s) and deleted.", b.Name, m.UserID, staas.Count(int(n), "object", "objects")))
		}
		if err != nil {
			restore()
			return restore, objects, err
		}
		s.log.Info("bucket purged", "service", m.ServiceID, "user_id", m.UserID, "bucket", b.Name, "objects", n, "admin", a.Admin.ID)
		objects += n
	}
	return restore, objects, nil
}

func bucketNames(buckets []staas.Bucket) string {
	names := make([]string, len(buckets))
	for i, b := range buckets {
		names[i] = b.Name
	}
	return strings.Join(names, ", ")
}
