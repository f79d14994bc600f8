package usage

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"time"

	"staas"
	"staas/internal/store"
)

// Units of the storage figures: decimal gigabytes (10^9 bytes, as storage
// is sold) and a month of 730 hours (365 days × 24 h / 12).
const (
	BytesPerGB    = 1_000_000_000
	HoursPerMonth = 730
)

// Reader answers what an S3 user used over a period, from the ledger and
// the storage samples. It is what billing and the usage panels read.
type Reader struct {
	Store   *store.Store
	Cluster string // default "default"
}

// Storage is a user's or a bucket's storage over a period.
type Storage struct {
	// ByteSeconds is the exact time-weighted integral of the sampled
	// sizes: each sample's size holds until the bucket's next sample, and
	// nothing is counted past the cluster's latest sampling run.
	ByteSeconds *big.Int
	GBHours     float64 // ByteSeconds / 3600 / 10^9
	GBMonths    float64 // GBHours / 730
	// PeakBytes is the largest sampled size in the period (for a user,
	// of all buckets together at one sampling time), at PeakAt.
	PeakBytes uint64
	PeakAt    time.Time
	// Covered is how much of the period the samples cover: less than the
	// whole when sampling began later or has not yet reached its end.
	Covered time.Duration
	// HIntegralGrowth is how much the gateway's h_integral grew between
	// the first and the last sample of each bucket that touch the period,
	// summed, in h_integral's own unit. That unit is unknown: the public
	// examples do not fit byte-hours up to last_ts (docs/usage.md), so it
	// is kept raw, for comparison once a real cluster has explained it,
	// and never converted, billed or shown. HIntegralOK is false when
	// h_integral went down (a reset or another meaning).
	HIntegralGrowth *big.Int
	HIntegralOK     bool
}

// Traffic are the traffic counters of a user, a bucket or a day:
// requests by class and bytes in and out. What the usage ledger keeps,
// under the name its readers use.
type Traffic = store.UsageCounters

// BucketTotals are one bucket's figures; Bucket "" holds the user-level
// operations (listing buckets), which have no storage.
type BucketTotals struct {
	Bucket  string
	Traffic Traffic
	Storage Storage
}

// Totals are a user's figures over a period.
type Totals struct {
	UserID   string
	From, To time.Time
	// Traffic: requests by class and bytes in and out, of the hours that
	// begin in the period.
	Traffic Traffic
	Storage Storage
	Buckets []BucketTotals
}

// Day is one UTC day of a user's usage.
type Day struct {
	Date    time.Time // midnight UTC
	Traffic Traffic
	Storage Storage
}

func (r *Reader) cluster() string {
	if r.Cluster == "" {
		return "default"
	}
	return r.Cluster
}

func checkPeriod(from, to time.Time) error {
	if !from.Before(to) {
		return staas.Errorf(staas.EINVALID, "usage: the period %s..%s is empty", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if from.Unix() < 0 {
		return staas.Errorf(staas.EINVALID, "usage: the period begins before 1970")
	}
	return nil
}

// hourRange is the ledger hours that begin in [from, to).
func hourRange(from, to time.Time) (int64, int64) {
	ceil := func(t time.Time) int64 { return (t.Unix() + 3599) / 3600 }
	return ceil(from), ceil(to)
}

func overflow(what string, err error) error {
	return &staas.Error{Code: staas.EINTERNAL, Err: err, Message: "usage: the " + what + " would exceed 2^64-1"}
}

// Totals returns a user's traffic, storage and peak over [from, to), in
// all and per bucket. A sum that would exceed 2^64−1 is an error, never
// a wrapped number.
func (r *Reader) Totals(ctx context.Context, userID string, from, to time.Time) (*Totals, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	data, err := r.load(ctx, userID, from, to)
	if err != nil {
		return nil, err
	}
	return totalsOf(userID, from, to, data)
}

// totalsOf computes Totals from a user's rows and samples of [from, to).
func totalsOf(userID string, from, to time.Time, data *userData) (*Totals, error) {
	var err error
	t := &Totals{UserID: userID, From: from.UTC(), To: to.UTC()}
	per := map[string]*BucketTotals{}
	bucket := func(name string) *BucketTotals {
		if per[name] == nil {
			per[name] = &BucketTotals{Bucket: name, Storage: emptyStorage()}
		}
		return per[name]
	}
	for _, row := range data.rows {
		if err := t.Traffic.Add(row.UsageCounters); err != nil {
			return nil, overflow("traffic of user "+userID, err)
		}
		if err := bucket(row.Bucket).Traffic.Add(row.UsageCounters); err != nil {
			return nil, overflow("traffic of bucket "+row.Bucket, err)
		}
	}
	t.Storage, err = integrate(data.samples, from, to, data.lastRun)
	if err != nil {
		return nil, err
	}
	for name, samples := range groupByBucket(data.samples) {
		st, err := integrate(samples, from, to, data.lastRun)
		if err != nil {
			return nil, err
		}
		bucket(name).Storage = st
	}
	for _, b := range per {
		t.Buckets = append(t.Buckets, *b)
	}
	slices.SortFunc(t.Buckets, func(a, b BucketTotals) int {
		switch {
		case a.Bucket < b.Bucket:
			return -1
		case a.Bucket > b.Bucket:
			return 1
		}
		return 0
	})
	return t, nil
}

// Daily returns a user's traffic and storage for each UTC day that
// overlaps [from, to), each day cut to the period.
func (r *Reader) Daily(ctx context.Context, userID string, from, to time.Time) ([]Day, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	if to.Sub(from) > 400*24*time.Hour {
		return nil, staas.Errorf(staas.EINVALID, "usage: a daily report covers at most 400 days")
	}
	data, err := r.load(ctx, userID, from, to)
	if err != nil {
		return nil, err
	}
	var days []Day
	for d := from.UTC().Truncate(24 * time.Hour); d.Before(to); d = d.Add(24 * time.Hour) {
		a, b := maxTime(d, from), minTime(d.Add(24*time.Hour), to)
		day := Day{Date: d}
		lo, hi := hourRange(a, b)
		for _, row := range data.rows {
			if row.Hour >= lo && row.Hour < hi {
				if err := day.Traffic.Add(row.UsageCounters); err != nil {
					return nil, overflow("traffic of user "+userID, err)
				}
			}
		}
		day.Storage, err = integrate(data.samples, a, b, data.lastRun)
		if err != nil {
			return nil, err
		}
		days = append(days, day)
	}
	return days, nil
}

// Unmapped lists the S3 user ids with traffic in [from, to) that no WHMCS
// client is mapped to.
func (r *Reader) Unmapped(ctx context.Context, from, to time.Time) ([]string, error) {
	if err := checkPeriod(from, to); err != nil {
		return nil, err
	}
	lo, hi := hourRange(from, to)
	return r.Store.UnmappedUsageUsers(ctx, r.cluster(), lo, hi)
}

type userData struct {
	rows    []store.UsageRow
	samples []store.StorageSample
	lastRun time.Time
}

func (r *Reader) load(ctx context.Context, userID string, from, to time.Time) (*userData, error) {
	lo, hi := hourRange(from, to)
	rows, err := r.Store.UsageRows(ctx, r.cluster(), userID, lo, hi)
	if err != nil {
		return nil, err
	}
	samples, err := r.Store.StorageSamples(ctx, r.cluster(), userID, from, to)
	if err != nil {
		return nil, err
	}
	lastRun, err := r.Store.LastStorageSampleTime(ctx, r.cluster())
	if err != nil {
		return nil, err
	}
	return &userData{rows: rows, samples: samples, lastRun: lastRun}, nil
}

func groupByBucket(samples []store.StorageSample) map[string][]store.StorageSample {
	out := map[string][]store.StorageSample{}
	for _, s := range samples {
		out[s.Bucket] = append(out[s.Bucket], s)
	}
	return out
}

func emptyStorage() Storage {
	return Storage{ByteSeconds: new(big.Int), HIntegralGrowth: new(big.Int), HIntegralOK: true}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// integrate computes the storage figures of samples (of one or several
// buckets, ordered by bucket then time) over [from, to): each sample's
// size holds from its time until the same bucket's next sample, or until
// lastRun, the cluster's latest sampling, after which nothing is known.
func integrate(samples []store.StorageSample, from, to, lastRun time.Time) (Storage, error) {
	st := emptyStorage()
	end := minTime(to, lastRun)
	if !from.Before(end) {
		return st, nil
	}
	type event struct {
		at     time.Time
		bucket string
		size   uint64
	}
	var events []event
	var covered time.Duration
	coverStart := end
	for i, s := range samples {
		holdEnd := end
		if i+1 < len(samples) && samples[i+1].Bucket == s.Bucket {
			holdEnd = minTime(samples[i+1].At, end)
		}
		a := maxTime(s.At, from)
		if a.Before(holdEnd) {
			secs := int64(holdEnd.Sub(a) / time.Second)
			st.ByteSeconds.Add(st.ByteSeconds, new(big.Int).Mul(new(big.Int).SetUint64(s.Current), big.NewInt(secs)))
			if a.Before(coverStart) {
				coverStart = a
			}
		}
		if s.At.Before(end) {
			events = append(events, event{at: maxTime(s.At, from), bucket: s.Bucket, size: s.Current})
		}
		// h_integral between the first and the last sample of the
		// bucket that touch the period.
		// A zero sample staas wrote for a deleted bucket has no
		// h_integral (last_ts 0) and is left out.
		first := i == 0 || samples[i-1].Bucket != s.Bucket
		if !first && !s.At.After(end) && s.LastTS != 0 {
			prev := samples[i-1]
			if s.HIntegral < prev.HIntegral {
				st.HIntegralOK = false
			} else {
				st.HIntegralGrowth.Add(st.HIntegralGrowth, new(big.Int).SetUint64(s.HIntegral-prev.HIntegral))
			}
		}
	}
	if coverStart.Before(end) {
		covered = end.Sub(coverStart)
	}
	st.Covered = covered
	st.GBHours = gbHours(st.ByteSeconds)
	st.GBMonths = st.GBHours / HoursPerMonth

	// The peak: the sum of all buckets' held sizes after each sampling.
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	held := map[string]uint64{}
	var total uint64
	for i, e := range events {
		total -= held[e.bucket]
		held[e.bucket] = e.size
		var carry uint64
		total, carry = bits.Add64(total, e.size, 0)
		if carry != 0 {
			return Storage{}, overflow("peak storage", errors.New("sum of bucket sizes"))
		}
		if i+1 < len(events) && events[i+1].at.Equal(e.at) {
			continue // all samples of one moment first
		}
		if total > st.PeakBytes || st.PeakAt.IsZero() {
			st.PeakBytes, st.PeakAt = total, e.at
		}
	}
	return st, nil
}

func gbHours(byteSeconds *big.Int) float64 {
	f, _ := new(big.Float).Quo(new(big.Float).SetInt(byteSeconds), big.NewFloat(3600*BytesPerGB)).Float64()
	return f
}

// String is a one-line summary for logs and the command line.
func (s Storage) String() string {
	return fmt.Sprintf("%.6f GB-hours (%.6f GB-months), peak %d bytes", s.GBHours, s.GBMonths, s.PeakBytes)
}
