package staas

import (
	"fmt"
	"log/slog"
	"net/mail"
	"time"
	"unicode"
)

// This file holds the backend-neutral storage types: what provision and
// usage say about S3 users, keys, buckets, quotas, limits and usage
// records, whatever cluster or vendor (ostor today, ECS next) keeps them.
// A backend (internal/ostor) translates its wire format into these.

// redacted stands in for a secret in String, GoString and LogValue.
const redacted = "[redacted]"

// KeyPair is one S3 access key pair. String and LogValue hide the secret;
// read SecretAccessKey where the value itself is needed.
type KeyPair struct {
	AccessKeyID     string
	SecretAccessKey string
	// KeyID names the pair where AccessKeyID cannot: on ECS both of a
	// user's pairs share the access key id (the user name), and KeyID is
	// the pair's secret_key_id. Empty on ostor, whose access key ids are
	// unique.
	KeyID string
}

// Label is how a message names the pair: its access key id, with the
// start of its KeyID where access key ids are shared.
func (k KeyPair) Label() string {
	if k.KeyID == "" {
		return k.AccessKeyID
	}
	return fmt.Sprintf("%s (key %.8s)", k.AccessKeyID, k.KeyID)
}

// Ref is how staas names the pair in forms, reveals, confirmations and
// the audit log: the access key id, followed where pairs share it by
// "key" and the KeyID, so a question asked about it reads rightly.
func (k KeyPair) Ref() string {
	if k.KeyID == "" {
		return k.AccessKeyID
	}
	return k.AccessKeyID + " key " + k.KeyID
}

// BackendID is what the backend names the pair by: KeyID where it gives
// one, else the access key id.
func (k KeyPair) BackendID() string {
	if k.KeyID != "" {
		return k.KeyID
	}
	return k.AccessKeyID
}

func (k KeyPair) String() string {
	return fmt.Sprintf("{AccessKeyID:%s SecretAccessKey:%s}", k.AccessKeyID, redacted)
}

// GoString keeps %#v from printing the secret.
func (k KeyPair) GoString() string { return "staas.KeyPair" + k.String() }

// LogValue keeps slog from printing the secret.
func (k KeyPair) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", k.AccessKeyID), slog.String("secret_access_key", redacted))
}

// UserKeys is the answer to creating a user or generating a key: the user
// and the new key pair(s).
type UserKeys struct {
	Email string
	ID    string
	Keys  []KeyPair
}

// StorageUser is one S3 user as the storage backend describes it. List
// calls fill Email, ID, State, OwnerID and Flags; a query by email or id
// also fills Keys, AccountCount and Accounts; a listing with space fills
// Space.
type StorageUser struct {
	Email   string
	ID      string
	State   string // "enabled" or "disabled"
	OwnerID string
	Flags   []string
	Keys    []KeyPair
	// AccountCount is what the backend reports; it may differ from
	// len(Accounts) if the backend lists only some.
	AccountCount uint64
	Accounts     []StorageAccount
	Space        *BucketSize // nil unless asked for
}

// Enabled reports whether the user's state is "enabled".
func (u *StorageUser) Enabled() bool { return u.State == "enabled" }

// StorageAccount is a sub-account of a user, with its own key pairs.
type StorageAccount struct {
	Name string
	Keys []KeyPair
}

// Bucket is one bucket and its size accounting.
type Bucket struct {
	Name         string
	Epoch        uint64
	CreationDate time.Time
	OwnerID      string // user id of the owner
	Size         BucketSize
}

// BucketSize is the backend's size accounting of a bucket or a user.
//
// Only Current is understood with confidence (bytes stored now). The rest
// is ostor's and not documented. LastTS looks like an hour since the Unix
// epoch: in every public example it is the hour the bucket was created.
// HMax equals Current in both complete examples. HIntegral is unknown: its
// ratio to Current runs from 599 to 9637 in the examples, which no
// byte-hour integral up to LastTS (the creation hour) can give
// (docs/usage.md, "Storage over time"). Do not bill on anything but
// Current.
type BucketSize struct {
	Current   uint64 // bytes
	HMax      uint64 // unknown; equals Current in the public examples
	HIntegral uint64 // unknown unit and span
	LastTS    uint64 // hours since the Unix epoch (inferred)
}

// LastUpdate is LastTS as a time: the start of the hour of the last
// update, UTC. It is the zero time when LastTS is 0 or out of range.
func (s BucketSize) LastUpdate() time.Time {
	const maxHours = (1<<63 - 1) / 3600
	if s.LastTS == 0 || s.LastTS > maxHours {
		return time.Time{}
	}
	return time.Unix(int64(s.LastTS)*3600, 0).UTC()
}

// Limits are the rate limits of a user or a bucket. 0 means unlimited.
// staas treats ops as operations per second and bandwidth as kilobytes per
// second (docs/ostor-api.md, "Units").
type Limits struct {
	OpsDefault   float64 // applies to operation classes with no limit of their own
	OpsGet       float64
	OpsPut       float64
	OpsList      float64
	OpsDelete    float64
	BandwidthOut uint64 // KB/s of outgoing data
}

// OpsResources are the operation classes an ops limit can be set on, in
// the order product settings list them.
var OpsResources = []string{"default", "get", "put", "list", "delete"}

// Quota is a storage quota. SizeGB 0 means unlimited.
type Quota struct {
	Version string
	Type    string // "user" or "bucket"
	SizeGB  uint64
}

// UserRef names a user by email or by id. Build it with ByEmail or ByID;
// the zero value names nobody.
type UserRef struct {
	email, id string
}

// ByEmail names a user by email address.
func ByEmail(email string) UserRef { return UserRef{email: email} }

// ByID names a user by its id.
func ByID(id string) UserRef { return UserRef{id: id} }

// Email is the email the reference names, "" when it names an id.
func (r UserRef) Email() string { return r.email }

// ID is the id the reference names, "" when it names an email.
func (r UserRef) ID() string { return r.id }

// IsZero reports whether the reference names nobody.
func (r UserRef) IsZero() bool { return r == UserRef{} }

func (r UserRef) String() string {
	if r.id != "" {
		return "id " + r.id
	}
	return r.email
}

// LimitSubject is what limits apply to: a user or a bucket. Build it with
// UserLimits or BucketLimits.
type LimitSubject struct {
	user   UserRef
	bucket string
}

// UserLimits names a user's limits.
func UserLimits(ref UserRef) LimitSubject { return LimitSubject{user: ref} }

// BucketLimits names a bucket's limits.
func BucketLimits(bucket string) LimitSubject { return LimitSubject{bucket: bucket} }

// User is the user the subject names (zero for a bucket).
func (s LimitSubject) User() UserRef { return s.user }

// Bucket is the bucket the subject names ("" for a user).
func (s LimitSubject) Bucket() string { return s.bucket }

// QuotaSubject is what a quota applies to: a user, a bucket, or the
// default for users or for buckets without a quota of their own. Build it
// with UserQuota, BucketQuota or DefaultQuota.
type QuotaSubject struct {
	user   UserRef
	bucket string
	def    string // "user" or "bucket"
}

// UserQuota names a user's quota.
func UserQuota(ref UserRef) QuotaSubject { return QuotaSubject{user: ref} }

// BucketQuota names a bucket's quota.
func BucketQuota(bucket string) QuotaSubject { return QuotaSubject{bucket: bucket} }

// DefaultQuota names the default quota of users (kind "user") or of
// buckets (kind "bucket").
func DefaultQuota(kind string) QuotaSubject { return QuotaSubject{def: kind} }

// User is the user the subject names (zero unless a user quota).
func (s QuotaSubject) User() UserRef { return s.user }

// Bucket is the bucket the subject names ("" unless a bucket quota).
func (s QuotaSubject) Bucket() string { return s.bucket }

// Default is the default kind the subject names ("" unless a default).
func (s QuotaSubject) Default() string { return s.def }

// UsageList is one page of statistics object names.
type UsageList struct {
	Count     uint64 // number of items as the backend reports it
	Truncated bool   // more names follow the last one
	Items     []string
}

// UsageHeader describes one statistics object.
type UsageHeader struct {
	FmtVersion uint64
	// ServiceID is the id of the backend service that collected the
	// statistics, digit for digit: on ostor it is 17 digits long, more
	// than a float64 holds exactly, so it is never a number here.
	ServiceID string
	StartTS   uint64 // Unix seconds when the statistics were uploaded
	Period    uint64 // seconds covered
	Count     uint64 // number of items as the backend reports it
}

// Start is StartTS as a time (UTC); zero when out of range.
func (h UsageHeader) Start() time.Time {
	if h.StartTS > 1<<62 {
		return time.Time{}
	}
	return time.Unix(int64(h.StartTS), 0).UTC()
}

// PeriodDuration is Period as a duration, saturating at the maximum.
func (h UsageHeader) PeriodDuration() time.Duration {
	if h.Period > uint64(1<<63-1)/uint64(time.Second) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(h.Period) * time.Second
}

// UsageObject is a whole statistics object.
type UsageObject struct {
	UsageHeader
	Items []UsageItem
}

// UsageItem is the traffic of one (bucket, user) pair in one period.
// Bucket is "" for account-level operations such as listing buckets.
type UsageItem struct {
	Key      UsageKey
	Ops      OpsCounters
	Uploaded uint64 // bytes received by the backend
	// Downloaded is bytes sent by the backend.
	Downloaded uint64
}

// UsageKey says whose traffic an item counts.
type UsageKey struct {
	Bucket string
	Epoch  uint64
	UserID string
	Tag    string
}

// OpsCounters count requests by class.
type OpsCounters struct {
	Put, Get, List, Other uint64
}

// Capabilities say what a storage backend can do beyond users, keys,
// buckets and quotas, which every backend has. ECS, for one, has no
// per-user operations limits. Panels and product settings offer only
// what the backend of the service's cluster supports.
type Capabilities struct {
	OpsLimits       bool // per-user and per-bucket operations-per-second limits
	BandwidthLimits bool // per-user and per-bucket outgoing bandwidth limits
	Statistics      bool // usage statistics objects (traffic per user and bucket)
}

// maxEmail is the longest address SMTP allows (RFC 5321 path limit less
// the angle brackets).
const maxEmail = 254

// EmailProblem says why email is not an address a storage backend takes for a user,
// "" when it is: at most 254 bytes, no control character, and a bare
// address that net/mail reads back byte for byte (a display name or angle
// brackets would parse, but backends want the address itself). Callers that
// make an address (a product's email template) check it with the same rule.
func EmailProblem(email string) string {
	if email == "" {
		return "email address is required"
	}
	if len(email) > maxEmail {
		return fmt.Sprintf("email address is longer than %d bytes", maxEmail)
	}
	for _, r := range email {
		if unicode.IsControl(r) {
			return "email address contains a control character"
		}
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return fmt.Sprintf("%q is not a bare email address", email)
	}
	return ""
}

// BucketBilling is one bucket's billing info as a backend that meters
// buckets reports it (ECS's Get Bucket Billing Info): the size in Unit
// (KB = KiB, MB, GB or BYTE), the object count, when it was sampled and
// how far its data is consistent, the pending multipart uploads, the
// bucket's tags, and what was deleted (size in Unit, and objects).
type BucketBilling struct {
	Name             string
	Namespace        string
	ReplicationGroup string
	TotalSize        float64
	Unit             string
	Objects          int64
	SampleTime       time.Time
	UptodateTill     time.Time
	MPUSize          float64
	MPUParts         int64
	Tags             []BucketTag
	SizeDeleted      float64
	ObjectsDeleted   int64
}

// BucketTag is one tag of a bucket, in the order the backend gave it.
type BucketTag struct{ Key, Value string }
