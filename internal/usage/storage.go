package usage

import (
	"context"
	"errors"
	"time"

	"staas/internal/schedule"
	"staas/internal/store"
)

// Sampler records the size of every bucket of the cluster, as
// ostor-buckets reports it, at each run.
type Sampler struct {
	cfg Config
}

// NewSampler makes a Sampler; it uses Gateway, Store, Cluster, Owner,
// LeaseTTL, Logger and Now of cfg.
func NewSampler(cfg Config) (*Sampler, error) {
	if cfg.Gateway == nil || cfg.Store == nil {
		return nil, errors.New("usage: a sampler needs a gateway and a store")
	}
	fillDefaults(&cfg)
	return &Sampler{cfg: cfg}, nil
}

// SampleResult says what one sampling run did.
type SampleResult struct {
	LeaseHeldBy string // another replica is sampling: nothing done
	At          time.Time
	Buckets     int // buckets sampled
	Gone        int // buckets no longer listed, recorded as empty
}

// Run lists every bucket once and stores the sizes, timed to the second.
func (s *Sampler) Run(ctx context.Context) (SampleResult, error) {
	var res SampleResult
	ctx, release, holder, err := schedule.Lease{Store: s.cfg.Store, Name: leaseName(schedule.LeaseSampler, s.cfg.Cluster), Owner: s.cfg.Owner, TTL: s.cfg.LeaseTTL, Now: s.cfg.Now, Log: s.cfg.Logger}.Hold(ctx)
	if err != nil {
		return res, err
	}
	if release == nil {
		res.LeaseHeldBy = holder
		return res, nil
	}
	defer release()
	buckets, err := s.cfg.Gateway.Buckets(ctx)
	if err != nil {
		return res, err
	}
	res.At = s.cfg.Now().UTC().Truncate(time.Second)
	samples := make([]store.StorageSample, 0, len(buckets))
	for _, b := range buckets {
		samples = append(samples, store.StorageSample{UserID: b.OwnerID, Bucket: b.Name, At: res.At, Epoch: b.Epoch,
			Current: b.Size.Current, HMax: b.Size.HMax, HIntegral: b.Size.HIntegral, LastTS: b.Size.LastTS})
	}
	res.Gone, err = s.cfg.Store.RecordStorageSamples(ctx, s.cfg.Cluster, res.At, samples)
	if err != nil {
		return res, err
	}
	res.Buckets = len(samples)
	return res, nil
}
