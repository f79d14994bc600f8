package ostor

import (
	"fmt"
	"log/slog"
	"time"
)

// KeyPair is one S3 access key pair. String and LogValue hide the secret;
// read SecretAccessKey where the value itself is needed.
type KeyPair struct {
	AccessKeyID     string
	SecretAccessKey string
}

func (k KeyPair) String() string {
	return fmt.Sprintf("{AccessKeyID:%s SecretAccessKey:%s}", k.AccessKeyID, redactedSecret)
}

// GoString keeps %#v from printing the secret.
func (k KeyPair) GoString() string { return "ostor.KeyPair" + k.String() }

func (k KeyPair) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", k.AccessKeyID), slog.String("secret_access_key", redactedSecret))
}

// UserKeys is the answer to creating a user or generating a key: the user
// and the new key pair(s).
type UserKeys struct {
	Email string
	ID    string
	Keys  []KeyPair
}

// User is one S3 user as the gateway describes it. List calls fill Email,
// ID, State, OwnerID and Flags; a query by email or id also fills Keys,
// AccountCount and Accounts; UsersWithSpace fills Space.
type User struct {
	Email   string
	ID      string
	State   string // "enabled" or "disabled"
	OwnerID string
	Flags   []string
	Keys    []KeyPair
	// AccountCount is what the gateway reports (as a string); it may
	// differ from len(Accounts) if the gateway lists only some.
	AccountCount uint64
	Accounts     []Account
	Space        *Size // nil unless asked for
}

// Enabled reports whether the user's state is "enabled".
func (u *User) Enabled() bool { return u.State == "enabled" }

// Account is a sub-account of a user, with its own key pairs.
type Account struct {
	Name string
	Keys []KeyPair
}

// Bucket is one bucket and its size accounting.
type Bucket struct {
	Name         string
	Epoch        uint64
	CreationDate time.Time
	OwnerID      string // user id of the owner
	Size         Size
}

// Size is the gateway's size accounting of a bucket or a user.
//
// Only Current is understood with confidence (bytes stored now). The rest
// is not documented. LastTS looks like an hour since the Unix epoch: in
// every public example it is the hour the bucket was created. HMax equals
// Current in both complete examples. HIntegral is unknown: its ratio to Current
// runs from 599 to 9637 in the examples, which no byte-hour integral up to
// LastTS (the creation hour) can give (docs/usage.md, "Storage over
// time"). Do not bill on anything but Current.
type Size struct {
	Current   uint64 // bytes
	HMax      uint64 // unknown; equals Current in the public examples
	HIntegral uint64 // unknown unit and span
	LastTS    uint64 // hours since the Unix epoch (inferred)
}

// LastUpdate is LastTS as a time: the start of the hour of the last
// update, UTC. It is the zero time when LastTS is 0 or out of range.
func (s Size) LastUpdate() time.Time {
	const maxHours = (1<<63 - 1) / 3600
	if s.LastTS == 0 || s.LastTS > maxHours {
		return time.Time{}
	}
	return time.Unix(int64(s.LastTS)*3600, 0).UTC()
}

// Limits are the rate limits of a user or a bucket. 0 means unlimited.
// The gateway reads back the numbers that were set; staas treats ops as
// operations per second and bandwidth as kilobytes per second, the
// vendor guide's words (docs/ostor-api.md, "Units").
type Limits struct {
	OpsDefault   float64 // applies to operation classes with no limit of their own
	OpsGet       float64
	OpsPut       float64
	OpsList      float64
	OpsDelete    float64
	BandwidthOut uint64 // KB/s of outgoing data
}

// Quota is a storage quota. SizeGB 0 means unlimited.
type Quota struct {
	Version string
	Type    string // "user" or "bucket"; the gateway's "0"/"1" are mapped
	SizeGB  uint64
}

// UsageList is one page of statistics object names.
type UsageList struct {
	Count     uint64 // nr_items as the gateway reports it
	Truncated bool   // more names follow the last one
	Items     []string
}

// UsageHeader describes one statistics object.
type UsageHeader struct {
	FmtVersion uint64
	// ServiceID is the id of the gateway service that collected the
	// statistics, digit for digit: it is 17 digits long, more than a
	// float64 holds exactly, so it is never a number here.
	ServiceID string
	StartTS   uint64 // Unix seconds when the statistics were uploaded
	Period    uint64 // seconds covered
	Count     uint64 // nr_items as the gateway reports it
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
	Uploaded uint64 // bytes received by the gateway
	// Downloaded is bytes sent by the gateway.
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
