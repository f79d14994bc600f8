package staas

import (
	"slices"
	"time"
)

// WHMCS admin permission names, as WHMCS's admin_perms and
// Admin::hasPermission spell them. The shim passes the permissions of the
// logged-in admin; staas never trusts a browser for them.
const (
	// PermViewClientSummary lets an admin look: read-only actions and panels.
	PermViewClientSummary = "View Clients Summary"
	// PermServerOperations lets an admin change things on the cluster.
	PermServerOperations = "Perform Server Operations"
)

// Admin is the WHMCS admin on whose behalf the shim calls staas.
type Admin struct {
	ID          int64    `json:"id"`
	Permissions []string `json:"permissions"`
	// Name is how WHMCS names the admin ("First Last (username)"), for the
	// audit log; "" when the shim does not send it (shims before the
	// field). staas never decides anything with it.
	Name string `json:"name,omitempty"`
}

// MaxAdminName is the longest admin name staas keeps, in characters.
const MaxAdminName = 255

// Can reports whether the admin holds the named WHMCS permission.
func (a Admin) Can(permission string) bool {
	return slices.Contains(a.Permissions, permission)
}

// Client is a WHMCS client as staas needs it.
type Client struct {
	ID          int64
	Email       string
	FirstName   string
	LastName    string
	CompanyName string
	Status      string // Active, Inactive or Closed
}

// S3User maps a WHMCS client (and, for services, one of its services) to
// the S3 user staas created for it on a cluster. Email is the address the
// user was created with; it stays when the client changes email in WHMCS.
type S3User struct {
	ClientID  int64
	ServiceID int64 // 0 for the client-level user of the admin panel
	Cluster   string
	UserID    string // ostor's hex user id
	Email     string
	CreatedAt time.Time
	UpdatedAt time.Time
	// OrphanedAt is when the WHMCS client was deleted while the user was
	// kept (disabled, its buckets left); zero while the client exists. An
	// orphan stays until an operator deletes it.
	OrphanedAt time.Time
}

// Who an audit entry says acted.
const (
	AuditActorAdmin  = "admin"  // a WHMCS admin in staas's admin panel
	AuditActorClient = "client" // the WHMCS client on their own service page
	AuditActorWHMCS  = "whmcs"  // WHMCS automation: module calls and hooks
)

// AuditFilter selects audit entries. Zero fields select everything.
type AuditFilter struct {
	ClientID int64 // 0 = any client
	AdminID  int64 // 0 = any admin
	// Before is a cursor: only entries with a smaller id, 0 = from the
	// newest. Pass the ID of the last entry of a page to get the next.
	Before int64
	Limit  int // 0 = 50; more than 500 reads 500
}

// AuditEntry records one action: who, on which client, what, with which
// parameters (never secrets), and how it ended.
type AuditEntry struct {
	ID      int64
	At      time.Time
	AdminID int64 // the admin who acted or clicked; 0 for none
	// AdminName is how WHMCS named that admin when they acted; "" when
	// unknown (no admin, an entry from before names, an older shim).
	AdminName string
	ClientID  int64
	// Actor is AuditActorAdmin, AuditActorClient or AuditActorWHMCS; ""
	// is stored as AuditActorAdmin, what every entry was before actors.
	Actor  string
	Action string
	Params map[string]string
	// Result is "ok" or the error code; Message is what the admin was told.
	Result  string
	Message string
}

// Flash kinds, matching the alert styles of WHMCS's admin theme.
const (
	FlashSuccess = "success"
	FlashError   = "error"
	FlashInfo    = "info"
)

// Flash is a one-time message for one admin on one client's page.
type Flash struct {
	Kind    string
	Message string
}

// S3Note is the client note the vendor guide writes in WHMCS for a key
// pair, one line each: "UserId: …", "AWSAccessKeyId: …",
// "AWSSecretAccessKey: …".
type S3Note struct {
	UserID          string
	AccessKeyID     string
	SecretAccessKey string
}
