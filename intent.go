package staas

import "time"

// The states of an Intent.
const (
	IntentQueued = "queued" // accepted, not yet done: tried again later
	IntentDone   = "done"   // applied
	IntentFailed = "failed" // refused for good; an admin must look
)

// Intent is a client event staas accepted from WHMCS (issue 14), kept in
// the store from before staas acts on it until it is done, so a gateway
// that is away when the hook comes loses nothing.
type Intent struct {
	ID       int64
	ClientID int64
	AdminID  int64 // the admin whose save fired the hook; 0 for none
	// Event names what to do (provision's event names, such as
	// "client-close").
	Event string
	// Params are the event's settings (never a secret).
	Params        map[string]string
	State         string
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	NextAttemptAt time.Time
}

// ModuleQueueItem is one entry of WHMCS's Module Queue: a module call on a
// service that failed, kept by WHMCS for an admin to retry (GetModuleQueue;
// tblmodulequeue).
type ModuleQueueItem struct {
	ID          int64
	ServiceID   int64
	Action      string // the module function: create, suspend, …
	LastAttempt time.Time
	LastError   string
	Attempts    int // WHMCS's numRetries
	Completed   bool
	CreatedAt   time.Time
}
