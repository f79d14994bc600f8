package usage

import (
	"context"
	"sync"
	"time"

	"staas"
	"staas/internal/store"
)

// The batched figures: WHMCS's daily UsageUpdate and its usage billing
// (MetricProvider) ask for all of a server's services at once, up to
// 100,000. Read one service at a time, that was six store reads a
// service (its user, the latest sampling, the ledger rows, the samples,
// then the latest sampling and the samples again for the current size);
// here each of those is one query per cluster and per batchUsers users.
// The figures are the same as ServiceUpdate's and ServiceBilling's, which
// stay for one service (the reseller portal, the tests that pin them).

// batchUsers is how many S3 users' rows and samples are held in memory at
// once.
const batchUsers = 2000

// quotaWorkers bounds the concurrent quota reads of ServiceUpdates, the
// one gateway call a service (the gateway has no call that answers the
// quotas of many users).
const quotaWorkers = 8

// userFigures are the figures of one S3 user over a period.
type userFigures struct {
	totals  *Totals
	current uint64
	now     []BucketNow // each bucket's size at the latest sampling
	sampled time.Time
}

// ServiceUpdates returns ServiceUpdate(id, month) for each distinct id of
// serviceIDs that has an S3 user, in the order asked.
func (f *Figures) ServiceUpdates(ctx context.Context, serviceIDs []int64, month time.Time) ([]*ServiceUpdate, error) {
	users, figs, err := f.services(ctx, serviceIDs, month, month.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	out := make([]*ServiceUpdate, len(users))
	for i, su := range users {
		fg := figs[userKey{su.user.Cluster, su.user.UserID}]
		u := &ServiceUpdate{ServiceID: su.id, StoredBytes: fg.current, DownloadedBytes: fg.totals.Traffic.Downloaded,
			UploadedBytes: fg.totals.Traffic.Uploaded, SampledAt: fg.sampled, Requests: fg.totals.Traffic,
			GBMonths: fg.totals.Storage.GBMonths, BucketsNow: fg.now}
		for _, b := range fg.totals.Buckets {
			if b.Bucket != "" {
				u.Buckets++
			}
		}
		out[i] = u
	}
	// The quotas, from the gateway, quotaWorkers at a time.
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(quotaWorkers, len(users)) {
		wg.Go(func() {
			for i := range next {
				u := users[i].user
				q, err := f.Quotas.Quota(ctx, u.Cluster, staas.UserQuota(staas.ByID(u.UserID)))
				switch {
				case staas.ErrorCode(err) == staas.ENOTFOUND:
				case err != nil:
					f.log().Warn("usage-update: quota not read; disk_limit_mb left 0", "service", users[i].id, "user", u.UserID, "err", err)
				default:
					out[i].QuotaGB = q.SizeGB
				}
			}
		})
	}
feed:
	for i := range users {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ServiceBillings returns ServiceBilling(id, p) for each distinct id of
// serviceIDs that has an S3 user, in the order asked.
func (f *Figures) ServiceBillings(ctx context.Context, serviceIDs []int64, p BillingPeriod) ([]*ServiceBilling, error) {
	users, figs, err := f.services(ctx, serviceIDs, p.From, p.To)
	if err != nil {
		return nil, err
	}
	out := make([]*ServiceBilling, len(users))
	for i, su := range users {
		fg := figs[userKey{su.user.Cluster, su.user.UserID}]
		out[i] = &ServiceBilling{ServiceID: su.id, Tenant: su.user.Email, Billing: Billing{Period: p, StorageBytes: fg.current,
			StorageAt: fg.sampled, StorageGBMonths: fg.totals.Storage.GBMonths, Traffic: fg.totals.Traffic}}
	}
	return out, nil
}

type serviceUser struct {
	id   int64
	user *staas.S3User
}

type userKey struct{ cluster, userID string }

// services finds the S3 user of each distinct id of serviceIDs (in the
// order asked, leaving out those without one) and reads every user's
// totals over [from, to) and current storage.
func (f *Figures) services(ctx context.Context, serviceIDs []int64, from, to time.Time) ([]serviceUser, map[userKey]userFigures, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, nil, err
	}
	var distinct []int64
	seen := make(map[int64]bool, len(serviceIDs))
	for _, id := range serviceIDs {
		if !seen[id] {
			seen[id] = true
			distinct = append(distinct, id)
		}
	}
	byService, err := f.Services.S3UsersByServices(ctx, distinct)
	if err != nil {
		return nil, nil, err
	}
	var users []serviceUser
	perCluster := map[string][]string{}
	figs := map[userKey]userFigures{}
	for _, id := range distinct {
		u := byService[id]
		if u == nil {
			continue
		}
		users = append(users, serviceUser{id: id, user: u})
		k := userKey{u.Cluster, u.UserID}
		if _, ok := figs[k]; !ok {
			figs[k] = userFigures{}
			perCluster[u.Cluster] = append(perCluster[u.Cluster], u.UserID)
		}
	}
	for cluster, ids := range perCluster {
		rd := f.on(cluster)
		last, err := rd.Store.LastStorageSampleTime(ctx, rd.cluster())
		if err != nil {
			return nil, nil, err
		}
		for start := 0; start < len(ids); start += batchUsers {
			chunk := ids[start:min(start+batchUsers, len(ids))]
			if err := rd.batch(ctx, chunk, from, to, last, func(id string, fg userFigures) {
				figs[userKey{cluster, id}] = fg
			}); err != nil {
				return nil, nil, err
			}
		}
	}
	return users, figs, nil
}

// batch reads the figures of users ids over [from, to), with last the
// cluster's latest sampling run, and hands each to put.
func (r *Reader) batch(ctx context.Context, ids []string, from, to, last time.Time, put func(string, userFigures)) error {
	lo, hi := hourRange(from, to)
	rows, err := r.Store.UsageRowsOfUsers(ctx, r.cluster(), ids, lo, hi)
	if err != nil {
		return err
	}
	samples, err := r.Store.StorageSamplesOfUsers(ctx, r.cluster(), ids, from, to)
	if err != nil {
		return err
	}
	// Each bucket's size at the latest run. A run within the period (or
	// before it) is already in samples, which hold every sample up to to
	// (the period's and each bucket's last before from): read again only
	// for a period that ended before the latest run.
	current := samples
	if last.After(to) {
		if current, err = r.Store.StorageSamplesOfUsers(ctx, r.cluster(), ids, last, last); err != nil {
			return err
		}
	}
	for _, id := range ids {
		tot, err := totalsOf(id, from, to, &userData{rows: rows[id], samples: samples[id], lastRun: last})
		if err != nil {
			return err
		}
		fg := userFigures{totals: tot}
		if !last.IsZero() {
			fg.now = latestBuckets(upTo(current[id], last))
			if fg.current, err = sumBuckets(id, fg.now); err != nil {
				return err
			}
			fg.sampled = last
		}
		put(id, fg)
	}
	return nil
}

// upTo is samples (ordered by bucket, then time) without those taken after
// at; samples itself when none is.
func upTo(samples []store.StorageSample, at time.Time) []store.StorageSample {
	for i, s := range samples {
		if s.At.After(at) {
			out := append([]store.StorageSample(nil), samples[:i]...)
			for _, s := range samples[i+1:] {
				if !s.At.After(at) {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return samples
}
