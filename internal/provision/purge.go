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

// UserBucketPurger is a backend that deletes a user's bucket with its
// objects itself, through its management API and with no owner key
// (ECS's emptyBucket deletion). On such a backend staas neither enables a
// suspended user nor makes a key pair to purge.
type UserBucketPurger interface {
	PurgeUserBucket(ctx context.Context, ref staas.UserRef, bucket string) (objects int64, err error)
}

// purgesItself reports whether the cluster's backend empties buckets
// itself.
func (s *core) purgesItself(cluster string) (UserBucketPurger, bool) {
	p, ok := s.at(cluster).(UserBucketPurger)
	return p, ok
}

// purge empties and deletes the user's buckets through the purger, as
// their owner. A disabled user (a suspended service) is enabled first,
// since its keys do not work otherwise; restore disables it again, and is
// called here when purging fails and by the caller when the deletion that
// follows does. A backend that purges itself (UserBucketPurger) is asked
// directly. Each bucket's outcome is audited as auditAction, unless
// that is "" (the caller records the one bucket it purged).
func (s *core) purge(ctx context.Context, a Actor, m *staas.S3User, u *staas.StorageUser, buckets []staas.Bucket, auditAction string) (restore func(), objects int64, err error) {
	restore = func() {}
	if bp, ok := s.purgesItself(m.Cluster); ok {
		objects, err = s.purgeEach(ctx, a, m, buckets, auditAction, func(bucket string) (int64, error) {
			return bp.PurgeUserBucket(ctx, staas.ByID(m.UserID), bucket)
		})
		return restore, objects, err
	}
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
	objects, err = s.purgeEach(ctx, a, m, buckets, auditAction, func(bucket string) (int64, error) {
		return purger.PurgeBucket(ctx, key, bucket)
	})
	if err != nil {
		restore()
	}
	return restore, objects, err
}

// purgeEach purges the buckets one by one with purgeOne, auditing each
// as auditAction (unless ""), and stops at the first failure.
func (s *core) purgeEach(ctx context.Context, a Actor, m *staas.S3User, buckets []staas.Bucket, auditAction string, purgeOne func(bucket string) (int64, error)) (objects int64, err error) {
	for _, b := range buckets {
		n, err := purgeOne(b.Name)
		params := map[string]string{"service_id": strconv.FormatInt(m.ServiceID, 10), "user_id": m.UserID,
			"bucket": b.Name, "objects": strconv.FormatInt(n, 10)}
		if err != nil {
			err = &staas.Error{Code: staas.ErrorCode(err), Message: fmt.Sprintf("Bucket %s of S3 user %s could not be purged. %s", b.Name, m.UserID, staas.ErrorMessage(err)), Err: err}
		}
		if auditAction != "" {
			s.record(ctx, a, auditAction, params, err, fmt.Sprintf("Bucket %s of S3 user %s emptied (%s) and deleted.", b.Name, m.UserID, staas.Count(int(n), "object", "objects")))
		}
		if err != nil {
			return objects, err
		}
		s.log.Info("bucket purged", "service", m.ServiceID, "user_id", m.UserID, "bucket", b.Name, "objects", n, "admin", a.Admin.ID)
		objects += n
	}
	return objects, nil
}

func bucketNames(buckets []staas.Bucket) string {
	names := make([]string, len(buckets))
	for i, b := range buckets {
		names[i] = b.Name
	}
	return strings.Join(names, ", ")
}
