package ostor

import "staas"

// The gateway's answers are decoded into the backend-neutral storage types
// of package staas (storage.go); these aliases keep ostor's own names.
type (
	// KeyPair is one S3 access key pair; its String, GoString and
	// LogValue hide the secret.
	KeyPair = staas.KeyPair
	// UserKeys is the answer to creating a user or generating a key.
	UserKeys = staas.UserKeys
	// User is one S3 user as the gateway describes it.
	User = staas.StorageUser
	// Account is a sub-account of a user, with its own key pairs.
	Account = staas.StorageAccount
	// Bucket is one bucket and its size accounting.
	Bucket = staas.Bucket
	// Size is the gateway's size accounting of a bucket or a user.
	Size = staas.BucketSize
	// Limits are the rate limits of a user or a bucket.
	Limits = staas.Limits
	// Quota is a storage quota.
	Quota = staas.Quota
	// UserRef names a user by email or by id.
	UserRef = staas.UserRef
	// LimitSubject is what limits apply to: a user or a bucket.
	LimitSubject = staas.LimitSubject
	// QuotaSubject is what a quota applies to.
	QuotaSubject = staas.QuotaSubject
	// UsageList is one page of statistics object names.
	UsageList = staas.UsageList
	// UsageHeader describes one statistics object.
	UsageHeader = staas.UsageHeader
	// UsageObject is a whole statistics object.
	UsageObject = staas.UsageObject
	// UsageItem is the traffic of one (bucket, user) pair in one period.
	UsageItem = staas.UsageItem
	// UsageKey says whose traffic an item counts.
	UsageKey = staas.UsageKey
	// OpsCounters count requests by class.
	OpsCounters = staas.OpsCounters
)

// Constructors of references and subjects, under ostor's names.
var (
	ByEmail      = staas.ByEmail
	ByID         = staas.ByID
	UserLimits   = staas.UserLimits
	BucketLimits = staas.BucketLimits
	UserQuota    = staas.UserQuota
	BucketQuota  = staas.BucketQuota
	DefaultQuota = staas.DefaultQuota
)

// Capabilities says what an ostor cluster can do: everything staas uses,
// per-user and per-bucket ops and bandwidth limits and usage statistics
// included.
func (c *Client) Capabilities() staas.Capabilities {
	return staas.Capabilities{OpsLimits: true, BandwidthLimits: true, Statistics: true}
}

// CheckUsageObjectName is CheckUsageObjectName, as a backend's method.
func (c *Client) CheckUsageObjectName(name string) error { return CheckUsageObjectName(name) }
