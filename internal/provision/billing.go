package provision

import (
	"context"

	"staas"
)

// BucketBillingBackend is what a backend that meters its buckets (ECS)
// offers besides Backend: each of a user's buckets' billing info, sizes
// in unit (KB, MB, GB or BYTE; "" GB). The admin panel asks for it with
// a type assertion on the cluster's backend.
type BucketBillingBackend interface {
	UserBucketBilling(ctx context.Context, ref staas.UserRef, unit string) ([]staas.BucketBilling, error)
}

// HasBucketBilling reports whether the client's S3 user is on a cluster
// whose backend reports bucket billing info.
func (s *AdminPanel) HasBucketBilling(ctx context.Context, clientID int64) bool {
	m, err := s.mapping(ctx, clientID)
	if err != nil {
		return false
	}
	_, ok := s.at(m.Cluster).(BucketBillingBackend)
	return ok
}

// BucketBilling is the billing info of every bucket of the client's S3
// user, sizes in unit. A cluster whose backend has none is EINVALID.
func (s *AdminPanel) BucketBilling(ctx context.Context, a Actor, unit string) ([]staas.BucketBilling, error) {
	if err := allow(a, view); err != nil {
		return nil, err
	}
	m, err := s.mapping(ctx, a.ClientID)
	if err != nil {
		return nil, err
	}
	bb, ok := s.at(m.Cluster).(BucketBillingBackend)
	if !ok {
		return nil, staas.Errorf(staas.EINVALID, "Cluster %q reports no bucket billing info.", m.Cluster)
	}
	return bb.UserBucketBilling(ctx, staas.ByID(m.UserID), unit)
}
