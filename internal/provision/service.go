package provision

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"staas"
	"staas/internal/notes"
	"staas/internal/schedule"
)

// Store is the part of staas's own state the actions use (*store.Store).
type Store interface {
	SaveS3User(ctx context.Context, u staas.S3User) error
	S3User(ctx context.Context, clientID, serviceID int64) (*staas.S3User, error)
	S3UserByUserID(ctx context.Context, cluster, userID string) (*staas.S3User, error)
	DeleteS3User(ctx context.Context, clientID, serviceID int64) error
	AddAudit(ctx context.Context, e staas.AuditEntry) (int64, error)
	FinishAudit(ctx context.Context, id int64, result, message string) error
	AddFlash(ctx context.Context, adminID, clientID int64, f staas.Flash) error

	// The note outbox and its lease (internal/notes).
	notes.Store

	// WHMCS lifecycle (see lifecycle.go and events.go).
	S3UserByService(ctx context.Context, serviceID int64) (*staas.S3User, error)
	MoveService(ctx context.Context, serviceID, toClientID int64, at time.Time) error
	S3UsersOfClient(ctx context.Context, clientID int64) ([]staas.S3User, error)
	MarkOrphaned(ctx context.Context, clientID, serviceID int64, at time.Time) error
	Orphans(ctx context.Context) ([]staas.S3User, error)
	NoteBacklog(ctx context.Context) (n int, oldest time.Time, err error)
	Ping(ctx context.Context) error

	// Durable client events (intents.go).
	IntentStore
}

// WHMCS is how staas reads a client and keeps the guide's client notes
// (internal/whmcs, over the WHMCS API or WHMCS's database).
type WHMCS interface {
	Client(ctx context.Context, id int64) (*staas.Client, error)
	AddS3Note(ctx context.Context, clientID, adminID int64, n staas.S3Note) error
	RemoveS3Notes(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) (removed int, manual bool, err error)
}

// Actor is who acts on whom: the WHMCS admin (as the shim vouches for
// them) and the WHMCS client whose page they are on; or the client on
// their own service page; or WHMCS's own automation.
type Actor struct {
	Admin    staas.Admin
	ClientID int64
	Kind     ActorKind
}

// ActorKind says who acts. The zero value is an admin, so that every
// admin action built before clients and WHMCS acted stays as it was.
type ActorKind int

const (
	// ActorAdmin is a WHMCS admin in staas's admin panel; Admin holds
	// their id and permissions.
	ActorAdmin ActorKind = iota
	// ActorClient is the WHMCS client on their own service page (the
	// client area's buttons); ClientID is that client, Admin is empty.
	ActorClient
	// ActorWHMCS is WHMCS itself: module calls from its cron or checkout
	// and client hooks. Admin.ID is the admin who clicked a module button,
	// or 0. It only ever comes from the shim's signed module and event
	// routes, never from a payload field.
	ActorWHMCS
)

// auditActor is how the audit log names the kind.
func (k ActorKind) auditActor() string {
	switch k {
	case ActorClient:
		return staas.AuditActorClient
	case ActorWHMCS:
		return staas.AuditActorWHMCS
	}
	return staas.AuditActorAdmin
}

// Config assembles provision's parts (New).
type Config struct {
	// Clusters finds each cluster's backend (internal/cluster's Registry).
	// When nil, Gateway is the one cluster, named Cluster.
	Clusters Clusters
	Gateway  Gateway
	Store    Store
	WHMCS    WHMCS
	// Cluster names Gateway's cluster when Clusters is nil ("default"
	// when empty).
	Cluster string
	Logger  *slog.Logger
	Now     func() time.Time
	// UserListTTL is how long the cluster's user list is reused for paging
	// and searching (a cluster can hold 100,000 users; listing them on
	// every click would load the gateway). Default 30s.
	UserListTTL time.Duration
	// Purger empties and deletes the buckets of a terminated service whose
	// product says "purge"; nil refuses such terminations.
	Purger BucketPurger
	// Purgers, when set, gives each cluster's purger (its own S3 data
	// endpoint) and replaces Purger.
	Purgers func(cluster string) (BucketPurger, error)
	// NotesWithoutSecret keeps the secret key out of the client notes:
	// they name the user and the access key and say where the secret can
	// be revealed, since anyone who may read a client's notes could read
	// it there (STAAS_NOTES_WITH_SECRET=false, the default of serve). The
	// zero value writes the vendor guide's note, secret included.
	NotesWithoutSecret bool
}

// core is what every part of provision shares: the gateway, staas's
// store, WHMCS, the notes, the audit log and the admin's flashes (record,
// begin, finish, info: audit.go), the permission checks (allow,
// allowService) and the cached user list of the cluster. AdminPanel, Lifecycle and ClientEvents
// are its three faces; New builds them over one core.
type core struct {
	gw       Gateway // the default cluster's backend
	clusters Clusters
	store    Store
	whmcs    WHMCS
	cluster  string // the default cluster's name
	log      *slog.Logger
	now      func() time.Time
	ttl      time.Duration
	purger   BucketPurger
	purgers  func(cluster string) (BucketPurger, error)
	notes    Notes
	owner    string // this process's name on the intents' lease

	mu    sync.Mutex
	users map[string]userList // by cluster
}

// AdminPanel carries out the WHMCS admin area's actions on one client's
// S3 user: the users list, the user, keys, buckets, limits, quotas and the
// cluster's statistics (users.go, limits.go, stats.go, purge.go). Every
// action checks the admin's WHMCS permission. It is safe for concurrent
// use.
type AdminPanel struct{ *core }

// Lifecycle carries out WHMCS's module calls on a service: create,
// suspend, unsuspend, terminate, change package, test connection, and the
// client area's key buttons (lifecycle.go). It is safe for concurrent use.
type Lifecycle struct{ *core }

// ClientEvents follows WHMCS's client hooks (a client added, its address
// changed, closed, deleted) and writes the daily report (events.go). It
// is safe for concurrent use.
type ClientEvents struct{ *core }

// Services are provision's parts, built over one core by New.
type Services struct {
	Admin     *AdminPanel
	Lifecycle *Lifecycle
	Events    *ClientEvents
	// Notes delivers the note changes queued while WHMCS was down (serve
	// runs it every minute and on WHMCS's daily cron).
	Notes *notes.Outbox
}

// New returns provision's parts over one core.
func New(c Config) *Services {
	s := &core{gw: c.Gateway, store: c.Store, whmcs: c.WHMCS, cluster: c.Cluster,
		log: c.Logger, now: c.Now, ttl: c.UserListTTL, purger: c.Purger, purgers: c.Purgers}
	if s.cluster == "" {
		s.cluster = DefaultCluster
	}
	s.clusters = c.Clusters
	if s.clusters == nil {
		s.clusters = single{name: s.cluster, gw: c.Gateway}
	} else {
		s.cluster = s.clusters.Default()
		s.gw = s.at(s.cluster)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl == 0 {
		s.ttl = 30 * time.Second
	}
	outbox := notes.New(notes.Config{Store: c.Store, WHMCS: c.WHMCS, Secrets: noteSecrets{s},
		Logger: s.log, Now: s.now, WithoutSecret: c.NotesWithoutSecret})
	s.notes = outbox
	s.owner = schedule.Owner()
	return &Services{Admin: &AdminPanel{s}, Lifecycle: &Lifecycle{s}, Events: &ClientEvents{s}, Notes: outbox}
}

// Permission levels of actions.
const (
	view   = staas.PermViewClientSummary
	change = staas.PermServerOperations
)

// allow checks that a may act on its client: an admin needs the WHMCS
// permission; WHMCS's automation may do anything (it only comes from the
// shim's signed module and event routes); a client may not use the admin
// actions at all (their own buttons are checked by allowService).
func allow(a Actor, permission string) error {
	switch a.Kind {
	case ActorAdmin:
	case ActorWHMCS:
		if a.ClientID <= 0 {
			return staas.Errorf(staas.EINVALID, "No WHMCS client was given.")
		}
		return nil
	case ActorClient:
		return staas.Errorf(staas.EFORBIDDEN, "Only a WHMCS admin may do this.")
	default:
		return staas.Errorf(staas.EFORBIDDEN, "Unknown actor.")
	}
	if a.Admin.ID <= 0 {
		return staas.Errorf(staas.EUNAUTHORIZED, "No WHMCS admin is logged in.")
	}
	if a.ClientID <= 0 {
		return staas.Errorf(staas.EINVALID, "No WHMCS client was given.")
	}
	if !a.Admin.Can(permission) {
		return staas.Errorf(staas.EFORBIDDEN, "Your WHMCS role lacks the permission %q.", permission)
	}
	return nil
}

// mapping returns the client's S3 user or a clear ENOTFOUND.
func (s *core) mapping(ctx context.Context, clientID int64) (*staas.S3User, error) {
	u, err := s.store.S3User(ctx, clientID, 0)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		return nil, staas.Errorf(staas.ENOTFOUND, "This client has no S3 user yet: use Create User first.")
	}
	return u, err
}

// FieldErrors says which form fields are wrong and why. It travels inside
// an EINVALID *staas.Error so handlers can show each message by its field.
type FieldErrors map[string]string

func (f FieldErrors) Error() string { return "invalid form fields" }

// fieldsError wraps field errors as the one application error type. Its
// message names each wrong field and its problem, so the admin's flash and
// the audit row of a refused form say what was wrong, not only that
// something was.
func fieldsError(f FieldErrors) error {
	if len(f) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(f))
	parts := make([]string, 0, len(names))
	for _, name := range names {
		parts = append(parts, fieldLabel(name)+": "+f[name])
	}
	return &staas.Error{Code: staas.EINVALID, Message: "Please correct the marked fields. " + strings.Join(parts, " "), Err: f}
}

// fieldLabels are the forms' field names as the forms label them.
var fieldLabels = map[string]string{
	"ops-value":       "Ops limit",
	"ops-name":        "Operation",
	"bandwidth-value": "Bandwidth limit",
	"bandwidth-name":  "Direction",
	"bucket":          "Bucket",
	"quota-gb":        "Quota",
	"quota-of":        "Quota of",
	"object":          "Statistics object",
	"after":           "Statistics page",
	"access_key":      "Access key",
	"q":               "Search",
	FieldCluster:      "Cluster",
	"unit":            "Size unit",
	"intent":          "Pending action",
}

// fieldLabel is a field's label, or its name when it has none.
func fieldLabel(name string) string {
	if l, ok := fieldLabels[name]; ok {
		return l
	}
	return name
}

// InvalidFields is the error for a form whose fields f are wrong, as the
// service's own checks return it; a handler uses it for a field only the
// form knows (a select's encoding).
func InvalidFields(f FieldErrors) error { return fieldsError(f) }

// Fields returns the field errors inside err, or nil.
func Fields(err error) FieldErrors {
	var f FieldErrors
	if errors.As(err, &f) {
		return f
	}
	return nil
}
