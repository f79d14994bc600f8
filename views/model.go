// The view models: what each component takes, shaped like the screen.

package views

import (
	"time"

	"staas"
)

// Form is what every form rendered into WHMCS needs: where it posts (the
// shim's admin action endpoint inside WHMCS), WHMCS's CSRF token (sent back
// as the field "token") and the client it acts on (sent as "userid", the
// name WHMCS uses for a client id).
type Form struct {
	ActionURL string
	Token     string
	ClientID  int64
}

// Action names: the value of the "action" field a button posts. The shim
// forwards it to POST /shim/v1/admin/actions/{action}.
const (
	ActCreateUser    = "create-user"
	ActDeleteUser    = "delete-user"
	ActEnableUser    = "enable-user"
	ActDisableUser   = "disable-user"
	ActGenerateKey   = "generate-key"
	ActRevokeKey     = "revoke-key"     // params: access_key
	ActRevealSecret  = "reveal-secret"  // params: access_key
	ActToggleUser    = "toggle-user"    // the guide's "Query User (on/off)"
	ActToggleUsers   = "toggle-users"   // the guide's "List Users (on/off)"
	ActUsersPage     = "users-page"     // params: q, page
	ActToggleBuckets = "toggle-buckets" // the client's buckets with sizes
	ActBucketsPage   = "buckets-page"   // params: page
	ActToggleStats   = "toggle-stats"   // the guide's "List Statistics Objects (on/off)"
	ActStatsPage     = "stats-page"     // params: after
	ActHidePanel     = "hide-panel"     // params: panel
	ActCancel        = "cancel"         // drops a pending confirmation

	ActUserLimitsSet      = "user-limits-set" // params: ops-name, ops-value, bandwidth-name, bandwidth-value
	ActUserLimitsGet      = "user-limits-get"
	ActUserLimitsDelete   = "user-limits-delete"
	ActBucketLimitsSet    = "bucket-limits-set" // same params plus bucket
	ActBucketLimitsGet    = "bucket-limits-get"
	ActBucketLimitsDelete = "bucket-limits-delete"

	// The quota actions' params: FieldQuotaOf (QuotaOfUser or
	// QuotaOfBucket+name; nothing chosen is refused) and FieldQuotaGB.
	ActQuotaSet    = "quota-set"
	ActQuotaGet    = "quota-get"
	ActQuotaDelete = "quota-delete"

	// ActPurgeBucket is "Empty and delete" of a bucket: params bucket and,
	// confirmed, FieldTypedName, which must be the bucket's name.
	ActPurgeBucket = "purge-bucket"

	ActStatsGet    = "stats-get"    // params: object, scope (ScopeClient, the default, or ScopeAll)
	ActStatsDelete = "stats-delete" // params: object, scope, FieldFrom (PanelStats from the list's rows)

	ActToggleUsage = "toggle-usage" // "Usage history" (shown/hidden): the client's daily usage
	ActUsageDays   = "usage-days"   // params: days (30 or 90)

	ActToggleBilling = "toggle-billing" // "Bucket billing info" (shown/hidden): ECS's Get Bucket Billing Info of each bucket
	ActBillingUnit   = "billing-unit"   // params: unit (KB, MB, GB or BYTE)

	ActToggleAudit = "toggle-audit" // "Audit log" (shown/hidden): the client's audit log, newest first
	ActAuditPage   = "audit-page"   // params: before (an entry id; "" = the newest)

	ActRetryIntent = "retry-intent" // params: intent (a pending client event's id): "Retry now"
)

// Panel names, as toggled per admin and client.
const (
	PanelUsers        = "users"
	PanelUser         = "user"
	PanelBuckets      = "buckets"
	PanelStats        = "stats"
	PanelUserLimits   = "user-limits"
	PanelBucketLimits = "bucket-limits"
	PanelObject       = "object"
	PanelQuotas       = "quotas"
	PanelUsage        = "usage"
	PanelAudit        = "audit"
	PanelBilling      = "billing"
)

// LinksVM is the "Other Actions" part of the client summary page.
type LinksVM struct {
	Form
	// CanChange is false when the admin lacks "Perform Server Operations":
	// change buttons are shown disabled with the reason.
	CanChange bool
	// HasUser says whether the client has an S3 user yet; UserState is
	// "enabled" or "disabled" when it does.
	HasUser   bool
	UserState string
	// On says which toggled panels are showing, so a toggle reads "shown".
	On map[string]bool
	// KeyPairs is how many access key pairs the client's S3 user has;
	// at MaxKeyPairs Generate Access Key is disabled with the reason.
	KeyPairs int
	// Buckets of the client, the choices of the bucket fields;
	// BucketsUnread says they could not be read (the gateway failed).
	Buckets       []string
	BucketsUnread bool

	// Clusters are the storage clusters Create User can make the
	// client's S3 user on, sorted; Create is that form, its cluster
	// chosen (the default cluster unless the admin chose another).
	Clusters []string
	Create   CreateForm
	// Cluster is the cluster of the client's S3 user (the default
	// cluster before there is one): the limits and statistics forms act
	// there. Unsupported says what its storage lacks; those inputs are
	// left out, with one sentence why.
	Cluster     string
	Unsupported Unsupported
	// BucketBilling says the client's S3 user is on a cluster that
	// reports bucket billing info (ECS): "Bucket billing info" is offered.
	BucketBilling bool

	UserLimits   LimitsForm
	BucketLimits LimitsForm
	Quota        QuotaForm
	Object       ObjectForm

	// Confirm is a destructive action one of the groups asked about
	// (Confirm.At names the group); it renders inside that group.
	Confirm *ConfirmVM
}

// CreateForm is Create User's form: the cluster to make the S3 user on.
type CreateForm struct {
	Cluster string
	Errors  FieldErrors
}

// Unsupported says which optional features the storage of a cluster
// lacks (staas.Capabilities, inverted so the zero value offers every
// form).
type Unsupported struct {
	OpsLimits       bool
	BandwidthLimits bool
	Statistics      bool
}

// FieldErrors maps a form field name to what is wrong with it.
type FieldErrors map[string]string

// LimitsForm is the limits form of the guide: one ops limit and one
// bandwidth limit, and for buckets the bucket name. Values are what the
// admin typed last, so a form with an error keeps them.
type LimitsForm struct {
	OpsName        string // default, get, put, list, delete
	OpsValue       string
	BandwidthName  string // out
	BandwidthValue string
	Bucket         string
	Errors         FieldErrors
}

// QuotaForm sets, shows or deletes the quota of the user or of a bucket.
type QuotaForm struct {
	// Of is the choice of FieldQuotaOf: QuotaOfUser or QuotaOfBucket+name;
	// "" is nothing chosen yet.
	Of     string
	SizeGB string
	Errors FieldErrors
}

// ObjectForm names a statistics object to show or delete.
type ObjectForm struct {
	Object string
	Errors FieldErrors
}

// PanelsVM is the summary-panels part of the page: only the panels the
// admin has toggled on for this client are non-nil.
type PanelsVM struct {
	Form
	CanChange bool
	Flashes   []staas.Flash
	// Confirm is a destructive action waiting for the admin's yes.
	Confirm *ConfirmVM

	Users        *UsersVM
	User         *UserVM
	Buckets      *BucketsVM
	Stats        *StatsVM
	UserLimits   *LimitsVM
	BucketLimits *LimitsVM
	Object       *ObjectVM
	Quotas       *QuotasVM
	Usage        *UsageVM
	Audit        *AuditVM
	Billing      *BillingVM

	// Pending is the work waiting for this client (issue 14): client
	// events staas queued while a gateway was away, and WHMCS's Module
	// Queue for staas's services. Nil when nothing waits; it shows
	// whatever the admin has toggled.
	Pending *PendingVM

	// Failed are the panels that are on but whose data could not be read,
	// by panel name: each renders as its frame (its id, so an anchor to it
	// lands) with the sentence saying why.
	Failed map[string]FailedPanel
}

// FailedPanel is a panel that could not be read: its title and why.
type FailedPanel struct {
	Title   string
	Message string
}

// ConfirmVM asks "are you sure?" before a destructive action. Confirm posts
// Action with Params and confirm=yes; Cancel posts ActCancel.
type ConfirmVM struct {
	Action   string
	Question string
	Params   map[string]string
	// At is the id of the place whose button asked: an "Other Actions"
	// group (LinksAnchor; the links render the box there) or a panel
	// (PanelAnchor; the box renders in the panel, by the row it is about
	// when that row shows). Anything else, or a panel that is not on the
	// page, renders it with the flashes (AnchorResult).
	At string
	// TypeToConfirm, when set, is what the admin must type (a bucket's
	// name) into the field FieldTypedName for Confirm to act; Error says
	// why the last try was refused.
	TypeToConfirm string
	Error         string
}

// FieldTypedName is the confirmation's field for the typed name.
const FieldTypedName = "confirm-name"

// FieldFrom says where a button sits when its action can be asked from
// more than one place: a panel's name (the statistics list's rows post
// PanelStats), so the confirmation renders there; without it, the action's
// "Other Actions" group.
const FieldFrom = "from"

// UsersVM is the guide's "S3 Users List", paged and searchable because a
// cluster can hold 100,000 users.
type UsersVM struct {
	// Cluster is the cluster listed (the client's S3 user's, else the
	// default, unless the admin chose another); the title names it when
	// there are several, and Clusters are then the choices.
	Cluster  string
	Clusters []string
	Query    string
	Page     int // 1-based
	PageSize int
	Total    int // users matching Query
	Rows     []UserRow
}

// UserRow is one S3 user of the cluster, as the gateway's user list has
// it: the list carries no key pairs (Query User shows the client's).
type UserRow struct {
	UserID string
	Email  string
	State  string
}

// UserVM is the guide's "S3 Information for User": the client's S3 user
// and its key pairs, secrets masked unless revealed.
type UserVM struct {
	UserID string
	// Cluster is the storage cluster the user lives on.
	Cluster string
	Email   string
	State   string
	Flags   []string
	Keys    []KeyRow
}

// KeyRow is one access key pair. Secret is the masked form unless
// Revealed. Ref names the pair in forms: its access key id, or where
// pairs share one (ECS), its key id, which KeyLabel shows shortened.
type KeyRow struct {
	AccessKeyID string
	Ref         string
	KeyLabel    string
	Secret      string
	Revealed    bool
}

// FormRef is what the row's buttons post as access_key: Ref, or the
// access key id when Ref is not set.
func (k KeyRow) FormRef() string {
	if k.Ref != "" {
		return k.Ref
	}
	return k.AccessKeyID
}

// BucketsVM lists a page of the client's buckets with their sizes; the
// totals are over every bucket, not only the page's.
type BucketsVM struct {
	Rows       []BucketRow
	Page       int // 1-based
	PageSize   int
	Total      int    // every bucket of the client
	TotalBytes uint64 // their sizes together
}

// BucketRow is one bucket.
type BucketRow struct {
	Name      string
	Bytes     uint64
	CreatedAt time.Time
}

// StatsVM is the guide's "S3 Statistics List", paged with the gateway's
// after/truncated cursor.
type StatsVM struct {
	After string // the page starts after this name ("" = first page)
	Next  string // the name to pass as after for the next page; "" = last page
	Items []string
}

// LimitsVM is the guide's "S3 Limits for User" / "S3 Limits for Bucket".
type LimitsVM struct {
	Bucket string // "" for the user's limits
	Rows   []LimitRow
}

// LimitRow is one limit as the guide shows it: type, name, value.
type LimitRow struct {
	Type  string // ops or bandwidth
	Name  string // default, get, put, list, delete; out
	Value string // with its unit, grouped: "3,600 ops/s", "1,024 KB/s"
}

// ObjectVM is the guide's "S3 Statistics for Object" table. A statistics
// object holds the usage of the whole cluster: the panel shows the rows of
// this client's S3 users unless All.
type ObjectVM struct {
	Name       string
	FmtVersion uint64
	ServiceID  string
	StartTS    uint64
	Period     uint64
	Rows       []ObjectRow
	// TotalRows is the number of items in the object; ClientRows how many
	// of them are this client's users'. Rows may hold fewer than the
	// scope has (the panel shows the first ones and says so).
	TotalRows  int
	ClientRows int
	// All says the rows are every client's, not only this client's.
	All bool
}

// Scopes of the statistics object panel (ActStatsGet's "scope").
const (
	ScopeClient = "client"
	ScopeAll    = "all"
)

// ObjectRow is one usage item.
type ObjectRow struct {
	Bucket                string
	Epoch                 uint64
	UserID                string
	Tag                   string
	Put, Get, List, Other uint64
	Uploaded, Downloaded  uint64
}

// QuotasVM shows the user's quota and the quotas of the client's buckets.
type QuotasVM struct {
	User    QuotaRow
	Buckets []QuotaRow
}

// QuotaRow is one quota; Set is false when none is set (unlimited).
type QuotaRow struct {
	Bucket string // "" for the user
	SizeGB uint64
	Set    bool
}

// UsageDays are the periods the usage history offers, in days; the first
// is the default.
var UsageDays = []int{30, 90}

// UsageVM is "S3 Usage History": the client's S3 user's usage per UTC day
// over the last Days days (today, so far, included), from staas's usage
// ledger and bucket size samples.
type UsageVM struct {
	UserID string
	Days   int // one of UsageDays
	// From is the first day's midnight and To the midnight after the last
	// day, UTC.
	From, To time.Time
	// Unavailable, when set, says why there are no figures ("usage
	// collection is not configured"); the rest is then empty.
	Unavailable string
	// Schedule says when usage is collected and bucket sizes sampled, as
	// the configuration has it; the empty state repeats it.
	Schedule string
	// Rows are the days, oldest first.
	Rows  []UsageDay
	Total UsageTotal
	// Buckets break the period down per bucket; Bucket "" is the user
	// level (listing buckets), which has requests but no storage.
	Buckets []UsageBucket
}

// Traffic is requests by class and bytes in and out.
type Traffic struct {
	Put, Get, List, Other uint64
	Uploaded, Downloaded  uint64 // bytes received, bytes sent
}

// StorageFigures are the stored bytes over a day or the period: the
// time-weighted average over the Sampled part of it, and the peak. With
// Sampled zero no sample covers the time, and nothing is known.
type StorageFigures struct {
	AverageBytes uint64
	PeakBytes    uint64
	PeakAt       time.Time
	Sampled      time.Duration
	// GBHours and GBMonths are the time-weighted storage in decimal GB,
	// as billed.
	GBHours, GBMonths float64
}

// UsageDay is one UTC day.
type UsageDay struct {
	Date    time.Time // midnight UTC
	Storage StorageFigures
	Traffic Traffic
}

// UsageTotal is the whole period.
type UsageTotal struct {
	Storage StorageFigures
	Traffic Traffic
}

// UsageBucket is one bucket over the period.
type UsageBucket struct {
	Bucket  string
	Storage StorageFigures
	Traffic Traffic
}

// AuditPageSize is how many audit entries the audit log panel shows at once.
const AuditPageSize = 50

// AuditVM is "S3 Audit Log": the admin actions on this client, newest
// first, a page of AuditPageSize at a time.
type AuditVM struct {
	// Before is the cursor of the page shown: only entries with a smaller
	// id (0 = from the newest).
	Before int64
	// Older is the Before of the next, older page; 0 when this page is the
	// last.
	Older int64
	// Unavailable, when set, says why there is no log to show; the rest is
	// then empty.
	Unavailable string
	Rows        []AuditRow
}

// AuditRow is one action as recorded.
type AuditRow struct {
	ID      int64
	At      time.Time
	AdminID int64
	// AdminName is how WHMCS named the admin; "" when unknown.
	AdminName string
	// Actor is "admin", "client" or "whmcs" (staas.AuditEntry.Actor); ""
	// reads as "admin".
	Actor  string
	Action string
	Params map[string]string
	// Result is "ok" or the error code; Message is what the admin was told.
	Result  string
	Message string
}

// BillingUnits are the size units of the bucket billing info panel, as
// ECS names them (KB is KiB).
var BillingUnits = []string{"KB", "MB", "GB", "BYTE"}

// BillingVM is ECS's Get Bucket Billing Info of each of the client's
// buckets, sizes in Unit.
type BillingVM struct {
	Unit string
	Rows []staas.BucketBilling
}

// PendingVM is the "Pending work" section of the client's page.
type PendingVM struct {
	// Intents are the client events staas queued or that the gateway
	// refused for good, oldest first.
	Intents []PendingIntent
	// IntentsError says why the queued events could not be read.
	IntentsError string
	// Queue is WHMCS's Module Queue for staas's services of the client:
	// module calls that failed, for an admin to retry in WHMCS.
	Queue []ModuleQueueRow
	// QueueError says why WHMCS's Module Queue could not be read.
	QueueError string
}

// PendingIntent is one queued or failed client event.
type PendingIntent struct {
	ID        int64  // what Retry now posts
	What      string // in an admin's words
	Since     time.Time
	Attempts  int
	LastError string // in plain words; "" before any attempt failed
	// NextTry is when staas tries again; zero when Failed.
	NextTry time.Time
	// Failed is a final refusal: staas does not try again.
	Failed bool
}

// ModuleQueueRow is one open entry of WHMCS's Module Queue.
type ModuleQueueRow struct {
	ServiceID   int64
	Action      string
	LastAttempt time.Time
	Error       string
	Attempts    int
}
