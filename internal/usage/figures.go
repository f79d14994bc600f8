package usage

import (
	"context"
	"log/slog"
	"time"

	"staas"
)

// ServiceUsers finds the S3 user of a WHMCS service by its id alone, as
// WHMCS asks for a server's services without their clients (*store.Store).
type ServiceUsers interface {
	S3UserByService(ctx context.Context, serviceID int64) (*staas.S3User, error)
	// S3UsersByServices is S3UserByService for many services at once;
	// those without an S3 user are absent.
	S3UsersByServices(ctx context.Context, serviceIDs []int64) (map[int64]*staas.S3User, error)
}

// QuotaReader reads a quota from a cluster (*cluster.Registry).
type QuotaReader interface {
	Quota(ctx context.Context, cluster string, subject staas.QuotaSubject) (*staas.Quota, error)
}

// Figures answers what WHMCS files per service and what the usage
// panels show: the Reader's figures of an S3 user on its cluster, and per
// WHMCS service the usage-update and usage-billing (MetricProvider)
// figures. Everything comes from staas's ledger and samples but the
// quota, read from the user's cluster.
type Figures struct {
	// Reader reads the ledger; its Cluster is replaced by each user's.
	*Reader
	Services ServiceUsers
	Quotas   QuotaReader
	// Log keeps what a figure left out is missing for (nil: discarded).
	Log *slog.Logger
}

// ServiceUpdate are one service's usage-update figures.
type ServiceUpdate struct {
	ServiceID int64
	// StoredBytes is the S3 user's storage at the latest sampling.
	StoredBytes uint64
	// DownloadedBytes is the egress of the calendar month asked for.
	DownloadedBytes uint64
	// QuotaGB is the S3 user's quota; 0 without one, or when the gateway
	// could not say (logged: the other figures are still worth filing).
	QuotaGB uint64
	// UploadedBytes is the ingress of the month; Buckets the buckets with
	// usage in it; SampledAt when StoredBytes was sampled (zero: never).
	// The reseller portal shows them; the module's usage update does not.
	UploadedBytes uint64
	Buckets       int
	SampledAt     time.Time
	// Requests are the month's requests by class (Put, Get, List,
	// Other) as the ledger counts them; GBMonths the month's storage in
	// decimal GB-months (what billing charges); BucketsNow each bucket's
	// size at the latest sampling (their sum is StoredBytes). For the
	// reseller portal.
	Requests   Traffic
	GBMonths   float64
	BucketsNow []BucketNow
}

// ServiceUpdate returns the figures of service serviceID for the
// calendar month that begins at month (UTC); nil when no S3 user is
// known for the service.
func (f *Figures) ServiceUpdate(ctx context.Context, serviceID int64, month time.Time) (*ServiceUpdate, error) {
	u, err := f.Services.S3UserByService(ctx, serviceID)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return f.UserUpdate(ctx, *u, month)
}

// UserUpdate returns the same figures as ServiceUpdate for S3 user u
// itself, whether a WHMCS service's or a client-level user of the admin
// panel (which no service names).
func (f *Figures) UserUpdate(ctx context.Context, u staas.S3User, month time.Time) (*ServiceUpdate, error) {
	rd := f.on(u.Cluster)
	now, sampled, err := rd.CurrentBuckets(ctx, u.UserID)
	if err != nil {
		return nil, err
	}
	stored, err := sumBuckets(u.UserID, now)
	if err != nil {
		return nil, err
	}
	// The whole calendar month: hours not yet collected have no rows.
	totals, err := rd.Totals(ctx, u.UserID, month, month.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	su := &ServiceUpdate{ServiceID: u.ServiceID, StoredBytes: stored, DownloadedBytes: totals.Traffic.Downloaded,
		UploadedBytes: totals.Traffic.Uploaded, SampledAt: sampled, Requests: totals.Traffic, GBMonths: totals.Storage.GBMonths, BucketsNow: now}
	for _, b := range totals.Buckets {
		if b.Bucket != "" {
			su.Buckets++
		}
	}
	q, err := f.Quotas.Quota(ctx, u.Cluster, staas.UserQuota(staas.ByID(u.UserID)))
	switch {
	case staas.ErrorCode(err) == staas.ENOTFOUND:
	case err != nil:
		f.log().Warn("usage-update: quota not read; disk_limit_mb left 0", "service", u.ServiceID, "user", u.UserID, "err", err)
	default:
		su.QuotaGB = q.SizeGB
	}
	return su, nil
}

// ServiceBilling are one service's usage-billing figures.
type ServiceBilling struct {
	ServiceID int64
	// Tenant is the S3 user's email, WHMCS's name for whose usage it is.
	Tenant string
	Billing
}

// ServiceBilling returns the figures of service serviceID for period p;
// nil when no S3 user is known for the service.
func (f *Figures) ServiceBilling(ctx context.Context, serviceID int64, p BillingPeriod) (*ServiceBilling, error) {
	u, err := f.Services.S3UserByService(ctx, serviceID)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := f.on(u.Cluster).Billing(ctx, u.UserID, p)
	if err != nil {
		return nil, err
	}
	return &ServiceBilling{ServiceID: serviceID, Tenant: u.Email, Billing: *b}, nil
}

// UserDaily is the days of S3 user userID on cluster ("" the default).
func (f *Figures) UserDaily(ctx context.Context, cluster, userID string, from, to time.Time) ([]Day, error) {
	return f.on(cluster).Daily(ctx, userID, from, to)
}

// UserTotals is the totals of S3 user userID on cluster ("" the default).
func (f *Figures) UserTotals(ctx context.Context, cluster, userID string, from, to time.Time) (*Totals, error) {
	return f.on(cluster).Totals(ctx, userID, from, to)
}

// on is the Reader of one cluster's ledger rows: user ids are the
// cluster's own, so two clusters may both have a user "u1".
func (f *Figures) on(cluster string) *Reader {
	if cluster == "" {
		return f.Reader
	}
	return &Reader{Store: f.Reader.Store, Cluster: cluster}
}

func (f *Figures) log() *slog.Logger {
	if f.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Log
}
