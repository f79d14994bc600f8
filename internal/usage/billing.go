package usage

import (
	"context"
	"errors"
	"math/bits"
	"time"

	"staas/internal/store"
)

// SettleWindow is how long after a month ends staas keeps reporting that
// month to WHMCS's usage billing instead of the new one.
//
// WHMCS files a "month" metric under the calendar month of the value's
// collection time and overwrites it at every collection (its Tenant Usage
// Metrics task runs every 12 hours). Reporting only the running month
// would drop the traffic between the last collection of a month and its
// end. So for the first day of a month staas reports the month just
// ended, final, dated its last second; the hours that late statistics
// objects need to be collected fit in that day too.
const SettleWindow = 24 * time.Hour

// BillingPeriod is the month that WHMCS's month metrics carry at a time.
type BillingPeriod struct {
	// From and To bound the figures: a UTC calendar month, cut to the
	// time of asking while the month runs.
	From, To time.Time
	// CollectedAt is the time WHMCS must file the figures under: inside
	// the month, so WHMCS puts them in the right one.
	CollectedAt time.Time
	// Final is true when the month has ended.
	Final bool
}

// PeriodAt returns the billing period to report at now (see SettleWindow).
func PeriodAt(now time.Time) BillingPeriod {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if now.Sub(month) < SettleWindow {
		return BillingPeriod{From: month.AddDate(0, -1, 0), To: month, CollectedAt: month.Add(-time.Second), Final: true}
	}
	return BillingPeriod{From: month, To: now, CollectedAt: now}
}

// Billing is what WHMCS bills an S3 user for.
type Billing struct {
	Period BillingPeriod
	// StorageBytes is the user's storage at the latest sampling run
	// (StorageAt; zero when the cluster was never sampled).
	StorageBytes uint64
	StorageAt    time.Time
	// StorageGBMonths is the period's time-weighted storage.
	StorageGBMonths float64
	// Traffic is the period's requests and bytes.
	Traffic store.UsageCounters
}

// Billing returns the user's figures for period p.
func (r *Reader) Billing(ctx context.Context, userID string, p BillingPeriod) (*Billing, error) {
	tot, err := r.Totals(ctx, userID, p.From, p.To)
	if err != nil {
		return nil, err
	}
	current, at, err := r.CurrentStorage(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &Billing{Period: p, StorageBytes: current, StorageAt: at, StorageGBMonths: tot.Storage.GBMonths, Traffic: tot.Traffic}, nil
}

// CurrentStorage returns the user's bytes stored at the cluster's latest
// sampling run: the sum of each bucket's latest sample. A deleted bucket's
// latest sample is the zero the sampler wrote when it disappeared.
func (r *Reader) CurrentStorage(ctx context.Context, userID string) (uint64, time.Time, error) {
	buckets, last, err := r.CurrentBuckets(ctx, userID)
	if err != nil {
		return 0, time.Time{}, err
	}
	sum, err := sumBuckets(userID, buckets)
	if err != nil {
		return 0, time.Time{}, err
	}
	return sum, last, nil
}

// sumBuckets adds the buckets' sizes, refusing a sum past 2^64-1.
func sumBuckets(userID string, buckets []BucketNow) (uint64, error) {
	var sum uint64
	for _, b := range buckets {
		var carry uint64
		if sum, carry = bits.Add64(sum, b.Bytes, 0); carry != 0 {
			return 0, overflow("storage of user "+userID, errors.New("sum of bucket sizes"))
		}
	}
	return sum, nil
}

// BucketNow is one bucket's size at the cluster's latest sampling run.
type BucketNow struct {
	Bucket string
	Bytes  uint64
}

// CurrentBuckets returns the size of each of the user's buckets at the
// cluster's latest sampling run (the latest sample of each bucket up to
// it, a deleted bucket's being the zero the sampler wrote), by name, and
// the time of that run; nothing before the first run.
func (r *Reader) CurrentBuckets(ctx context.Context, userID string) ([]BucketNow, time.Time, error) {
	last, err := r.Store.LastStorageSampleTime(ctx, r.cluster())
	if err != nil || last.IsZero() {
		return nil, time.Time{}, err
	}
	samples, err := r.Store.StorageSamples(ctx, r.cluster(), userID, last, last)
	if err != nil {
		return nil, time.Time{}, err
	}
	return latestBuckets(samples), last, nil
}

// latestBuckets keeps each bucket's latest sample of samples (ordered by
// bucket, then time).
func latestBuckets(samples []store.StorageSample) []BucketNow {
	var out []BucketNow
	for i, s := range samples {
		if i+1 < len(samples) && samples[i+1].Bucket == s.Bucket {
			continue
		}
		out = append(out, BucketNow{Bucket: s.Bucket, Bytes: s.Current})
	}
	return out
}
