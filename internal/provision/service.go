// Package provision says what each admin action on a client's S3 storage
// means end to end: which permission it needs, what it asks the gateway,
// what it records in staas's store, which WHMCS note it writes or removes,
// and what the admin is told. Handlers stay thin: they decode a request,
// call one method here and render.
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
	"staas/internal/store"
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

	// The note outbox (see outbox.go).
	EnqueueNote(ctx context.Context, n store.NoteOp) (int64, error)
	DueNotes(ctx context.Context, now time.Time, limit int) ([]store.NoteOp, error)
	PendingNotes(ctx context.Context, clientID int64) (int, error)
	NoteFailed(ctx context.Context, id int64, lastError string, next time.Time) error
	DeleteNote(ctx context.Context, id int64) error
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, string, error)
	ReleaseLease(ctx context.Context, name, owner string) error

	// WHMCS lifecycle (see lifecycle.go and events.go).
	S3UserByService(ctx context.Context, serviceID int64) (*staas.S3User, error)
	MoveService(ctx context.Context, serviceID, toClientID int64, at time.Time) error
	S3UsersOfClient(ctx context.Context, clientID int64) ([]staas.S3User, error)
	MarkOrphaned(ctx context.Context, clientID, serviceID int64, at time.Time) error
	Orphans(ctx context.Context) ([]staas.S3User, error)
	NoteBacklog(ctx context.Context) (n int, oldest time.Time, err error)
	Ping(ctx context.Context) error
}

// WHMCS is how staas reads a client and keeps the guide's client notes
// (whmcsbridge, over the WHMCS API or WHMCS's database).
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

// Config assembles a Service.
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

// Service carries out admin actions. It is safe for concurrent use.
type Service struct {
	gw       Gateway // the default cluster's backend
	clusters Clusters
	store    Store
	whmcs    WHMCS
	cluster  string
	log      *slog.Logger
	now      func() time.Time
	ttl      time.Duration
	owner    string // this Service's name on the outbox lease
	purger   BucketPurger
	purgers  func(cluster string) (BucketPurger, error)

	notesWithoutSecret bool

	mu        sync.Mutex
	users     []staas.StorageUser // sorted by email
	usersTime time.Time
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{gw: c.Gateway, store: c.Store, whmcs: c.WHMCS, cluster: c.Cluster,
		log: c.Logger, now: c.Now, ttl: c.UserListTTL, purger: c.Purger, purgers: c.Purgers, notesWithoutSecret: c.NotesWithoutSecret}
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
	s.owner = leaseOwner()
	return s
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

// Record writes the audit row of an action, naming its actor, and leaves
// the admin who acted (Admin.ID > 0, also when they clicked a WHMCS module
// button) a flash: success shows okMessage (no flash when it is ""),
// failure shows the error's admin-safe message. A client, or WHMCS's cron,
// gets the audit row but no flash: nobody would read it. An admin action
// without an admin (refused before anything happened) is not recorded.
// Params must not hold secrets. Recording is best effort: a store failure
// is logged and never hides the action's own result.
func (s *Service) Record(ctx context.Context, a Actor, action string, params map[string]string, err error, okMessage string) {
	entry := staas.AuditEntry{At: s.now().UTC(), AdminID: a.Admin.ID, AdminName: a.Admin.Name, ClientID: a.ClientID, Actor: a.Kind.auditActor(),
		Action: action, Params: params}
	var flash staas.Flash
	entry.Result, entry.Message, flash = s.outcome(ctx, a, action, err, okMessage)
	// A cancelled request still gets its audit row and flash.
	ctx = context.WithoutCancel(ctx)
	if a.ClientID <= 0 || (a.Kind == ActorAdmin && a.Admin.ID <= 0) {
		return
	}
	if _, aerr := s.store.AddAudit(ctx, entry); aerr != nil {
		s.log.Error("audit row not written", "action", action, "actor", entry.Actor, "admin", a.Admin.ID, "client", a.ClientID, "err", aerr)
	}
	s.leaveFlash(ctx, a, action, flash)
}

// AuditStarted is the result of an audit row written before its action
// ran (Begin); Finish replaces it with the outcome. A row that keeps it
// belongs to an action that was cut short (staas stopped mid-way).
const AuditStarted = "started"

// Begin writes the audit row of an action that is about to run, with the
// result AuditStarted, and returns its id for Finish. It is how a
// sensitive action (revealing a secret, deleting, disabling, …) is
// recorded before it acts: when the row cannot be written, Begin returns
// an EUNAVAILABLE error and the action must not run. Params must not hold
// secrets and must be bounded (the caller keeps only the action's own
// parameters, each clipped).
func (s *Service) Begin(ctx context.Context, a Actor, action string, params map[string]string) (int64, error) {
	if a.ClientID <= 0 || (a.Kind == ActorAdmin && a.Admin.ID <= 0) {
		return 0, staas.Errorf(staas.EINVALID, "Nothing was done: the action names no client or no admin to record.")
	}
	entry := staas.AuditEntry{At: s.now().UTC(), AdminID: a.Admin.ID, AdminName: a.Admin.Name, ClientID: a.ClientID, Actor: a.Kind.auditActor(),
		Action: action, Params: params, Result: AuditStarted}
	id, err := s.store.AddAudit(context.WithoutCancel(ctx), entry)
	if err != nil {
		s.log.Error("audit row not written; the action was refused", "action", action, "actor", entry.Actor, "admin", a.Admin.ID, "client", a.ClientID, "err", err)
		refusal := &staas.Error{Code: staas.EUNAVAILABLE,
			Message: "Nothing was done: staas could not record this action in its audit log. Try again; if it keeps failing, staas's store needs a look (its log says why).",
			Err:     err}
		s.leaveFlash(context.WithoutCancel(ctx), a, action, staas.Flash{Kind: staas.FlashError, Message: refusal.Message})
		return 0, refusal
	}
	return id, nil
}

// Finish completes the audit row Begin wrote with the action's outcome
// and leaves the admin's flash, as Record does. A failure to complete the
// row is logged; the row already says the action was started.
func (s *Service) Finish(ctx context.Context, a Actor, id int64, action string, err error, okMessage string) {
	result, message, flash := s.outcome(ctx, a, action, err, okMessage)
	ctx = context.WithoutCancel(ctx)
	if ferr := s.store.FinishAudit(ctx, id, result, message); ferr != nil {
		s.log.Error("audit row not completed", "action", action, "id", id, "admin", a.Admin.ID, "client", a.ClientID, "err", ferr)
	}
	s.leaveFlash(ctx, a, action, flash)
}

// outcome is how an action ended, as the audit log and the flash say it.
func (s *Service) outcome(ctx context.Context, a Actor, action string, err error, okMessage string) (result, message string, flash staas.Flash) {
	if err == nil {
		return "ok", okMessage, staas.Flash{Kind: staas.FlashSuccess, Message: okMessage}
	}
	result, message = staas.ErrorCode(err), staas.ErrorMessage(err)
	// The admin reads the sentence; the log keeps what lies beneath it
	// (the gateway's own words, its request id).
	level := slog.LevelWarn
	if result == staas.EINTERNAL {
		level = slog.LevelError
	}
	s.log.Log(ctx, level, "action failed", "action", action, "admin", a.Admin.ID, "client", a.ClientID, "code", result, "err", staas.ErrorDetail(err))
	return result, message, staas.Flash{Kind: staas.FlashError, Message: message}
}

// leaveFlash tells the admin who acted (not a client, not WHMCS's cron).
func (s *Service) leaveFlash(ctx context.Context, a Actor, action string, flash staas.Flash) {
	if a.Admin.ID > 0 && a.ClientID > 0 && a.Kind != ActorClient && flash.Message != "" {
		if ferr := s.store.AddFlash(ctx, a.Admin.ID, a.ClientID, flash); ferr != nil {
			s.log.Error("flash not written", "action", action, "err", ferr)
		}
	}
}

// Info leaves the admin an informational flash (a warning that does not
// make the action fail). Without an admin (a client, WHMCS's cron) there
// is nobody to tell, and nothing is written.
func (s *Service) Info(ctx context.Context, a Actor, message string) {
	if a.Admin.ID <= 0 || a.ClientID <= 0 || a.Kind == ActorClient {
		return
	}
	if err := s.store.AddFlash(context.WithoutCancel(ctx), a.Admin.ID, a.ClientID, staas.Flash{Kind: staas.FlashInfo, Message: message}); err != nil {
		s.log.Error("flash not written", "err", err)
	}
}

// mapping returns the client's S3 user or a clear ENOTFOUND.
func (s *Service) mapping(ctx context.Context, clientID int64) (*staas.S3User, error) {
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
