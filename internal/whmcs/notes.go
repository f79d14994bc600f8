package whmcs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"staas"
)

// The three lines of the vendor guide's client note, in its order.
const (
	noteUserID    = "UserId: "
	noteAccessKey = "AWSAccessKeyId: "
	noteSecretKey = "AWSSecretAccessKey: "
)

// NoteSecretWithheld stands in a note for a secret staas keeps out of
// notes (STAAS_NOTES_WITH_SECRET=false): where to reveal it instead.
const NoteSecretWithheld = "(not kept in notes; reveal it once: client summary > Query User > Reveal, or the client area's service page)"

// FormatS3Note writes n as the vendor guide's scripts do: three lines,
// "UserId: …", "AWSAccessKeyId: …", "AWSSecretAccessKey: …", no trailing
// newline. Notes staas writes and notes the guide's scripts wrote are
// therefore the same and are removed the same way. A note without a
// secret (n.SecretAccessKey "") has the same three lines, the last one
// saying where to reveal the secret (NoteSecretWithheld).
func FormatS3Note(n staas.S3Note) string {
	secret := n.SecretAccessKey
	if secret == "" {
		secret = NoteSecretWithheld
	}
	return noteUserID + n.UserID + "\n" + noteAccessKey + n.AccessKeyID + "\n" + noteSecretKey + secret
}

// ParseS3Note recognises a note FormatS3Note wrote: exactly those three
// lines in that order, each value one token of printable ASCII. \r\n line
// ends and trailing line ends are tolerated (WHMCS's note editor may add
// them); anything else, such as an admin's remark added to the note, makes
// it not an S3 note, so staas never deletes text an admin wrote.
func ParseS3Note(text string) (staas.S3Note, bool) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.TrimRight(text, "\n")
	lines := strings.Split(text, "\n")
	if len(lines) != 3 {
		return staas.S3Note{}, false
	}
	var vals [3]string
	for i, prefix := range []string{noteUserID, noteAccessKey, noteSecretKey} {
		v, ok := strings.CutPrefix(lines[i], prefix)
		if ok && i == 2 && v == NoteSecretWithheld {
			continue // a note without its secret
		}
		if !ok || !validNoteValue(v) {
			return staas.S3Note{}, false
		}
		vals[i] = v
	}
	return staas.S3Note{UserID: vals[0], AccessKeyID: vals[1], SecretAccessKey: vals[2]}, true
}

const maxNoteValue = 256

// validNoteValue: 1 to 256 bytes of printable ASCII without spaces. ostor's
// user ids are hex, its keys base64-like; a space or a line break in a
// value would make a note that reads as something else.
func validNoteValue(s string) bool {
	if s == "" || len(s) > maxNoteValue {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// matches reports whether n is the note of userID (and of accessKeyID
// when it is not ""): whole values, compared exactly.
func (q noteQuery) matches(n staas.S3Note) bool {
	return n.UserID == q.userID && (q.accessKeyID == "" || n.AccessKeyID == q.accessKeyID)
}

type noteQuery struct{ userID, accessKeyID string }

func checkS3Note(clientID, adminID int64, n staas.S3Note) error {
	if err := checkIDs(clientID, adminID); err != nil {
		return err
	}
	if !validNoteValue(n.UserID) || !validNoteValue(n.AccessKeyID) || (n.SecretAccessKey != "" && !validNoteValue(n.SecretAccessKey)) {
		return staas.Errorf(staas.EINVALID, "WHMCS note: the user id, access key id and secret key (when kept) must each be 1 to %d printable characters without spaces", maxNoteValue)
	}
	return nil
}

func checkRemoval(clientID, adminID int64, userID, accessKeyID string) error {
	if err := checkIDs(clientID, adminID); err != nil {
		return err
	}
	if !validNoteValue(userID) {
		return staas.Errorf(staas.EINVALID, "WHMCS note: the S3 user id must be 1 to %d printable characters without spaces", maxNoteValue)
	}
	if accessKeyID != "" && !validNoteValue(accessKeyID) {
		return staas.Errorf(staas.EINVALID, "WHMCS note: the access key id must be 1 to %d printable characters without spaces", maxNoteValue)
	}
	return nil
}

// checkIDs: adminID 0 means "no admin" (automatic actions: module calls,
// cron), as in tblnotes.adminid.
func checkIDs(clientID, adminID int64) error {
	if clientID <= 0 {
		return staas.Errorf(staas.EINVALID, "WHMCS: the client id must be positive, not %d", clientID)
	}
	if adminID < 0 {
		return staas.Errorf(staas.EINVALID, "WHMCS: the admin id must not be negative")
	}
	return nil
}

// Bridge is what staas needs of WHMCS, over its API or its database.
type Bridge interface {
	Client(ctx context.Context, id int64) (*staas.Client, error)
	AddS3Note(ctx context.Context, clientID, adminID int64, n staas.S3Note) error
	// RemoveS3Notes removes the client's S3 notes of userID (only the
	// note of accessKeyID when it is not ""). It returns how many notes
	// it removed; manual is true when this writer cannot delete notes and
	// has instead added a note telling the admin which note to delete by
	// hand.
	RemoveS3Notes(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) (removed int, manual bool, err error)
	// Close releases connections (the database pool in mysql mode).
	Close() error
}

var (
	_ Bridge = (*DBBridge)(nil)
	_ Bridge = (*APIBridge)(nil)
)

// The modes of Config.
const (
	ModeAPI   = "api"   // WHMCS's external API
	ModeMySQL = "mysql" // WHMCS's database
)

// Config says how staas reaches WHMCS. It is the adapter's own: cmd/staas
// fills it from its configuration (STAAS_WHMCS_*), as it fills ostor's.
type Config struct {
	// Mode is ModeAPI or ModeMySQL.
	Mode string
	// API reaches WHMCS's external API (ModeAPI); its Timeout is
	// Timeout.
	API APIConfig
	// DSN is the go-sql-driver/mysql DSN of WHMCS's database (ModeMySQL).
	DSN string
	// Timeout bounds one call to WHMCS, over the API or the database.
	Timeout time.Duration
}

// String never shows the API's secrets or the DSN, so a Config can be
// printed.
func (c Config) String() string {
	api := c.API
	api.Timeout = c.Timeout
	return fmt.Sprintf("whmcs.Config{Mode:%q API:%s DSN:%s Timeout:%s}", c.Mode, api, shown(c.DSN), c.Timeout)
}

// GoString keeps %#v from printing the secrets field by field.
func (c Config) GoString() string { return c.String() }

// LogValue keeps slog from printing the secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mode", c.Mode),
		slog.Any("api", c.API),
		slog.String("dsn", shown(c.DSN)),
		slog.Duration("timeout", c.Timeout),
	)
}

// Open builds the Bridge of cfg.Mode: "api" or "mysql".
func Open(cfg Config) (Bridge, error) {
	switch cfg.Mode {
	case ModeAPI:
		api := cfg.API
		api.Timeout = cfg.Timeout
		c, err := NewAPIClient(api)
		if err != nil {
			return nil, err
		}
		return NewAPIBridge(c), nil
	case ModeMySQL:
		db, err := OpenMySQL(cfg.DSN, cfg.Timeout)
		if err != nil {
			return nil, err
		}
		return NewDBBridge(db), nil
	default:
		return nil, staas.Errorf(staas.EINVALID, "WHMCS: mode must be \"api\" or \"mysql\", not %q", cfg.Mode)
	}
}

// DBBridge keeps the notes in WHMCS's database ("mysql" mode).
type DBBridge struct{ db *DB }

// NewDBBridge returns a Bridge over db.
func NewDBBridge(db *DB) *DBBridge { return &DBBridge{db: db} }

// Client reads the client from tblclients.
func (b *DBBridge) Client(ctx context.Context, id int64) (*staas.Client, error) {
	return b.db.Client(ctx, id)
}

// AddS3Note adds the guide's note, attributed to adminID (0: no admin).
func (b *DBBridge) AddS3Note(ctx context.Context, clientID, adminID int64, n staas.S3Note) error {
	if err := checkS3Note(clientID, adminID, n); err != nil {
		return err
	}
	// Once per key: a note queued while WHMCS was away is delivered
	// again when the staas delivering it died after writing it and before
	// marking it done (the outbox is at least once); the key's note is
	// then there already. One replica delivers at a time (the outbox's
	// lease), so nothing races the read.
	q := noteQuery{userID: n.UserID, accessKeyID: n.AccessKeyID}
	_, err := b.db.addNote(ctx, clientID, adminID, FormatS3Note(n), func(notes []Note) bool {
		for _, o := range notes {
			if parsed, ok := ParseS3Note(o.Text); ok && q.matches(parsed) {
				return true
			}
		}
		return false
	})
	return err
}

// RemoveS3Notes deletes, in one transaction, the client's notes that
// ParseS3Note reads as userID's (and accessKeyID's). It never matches
// substrings, so a note that merely mentions the id stays.
func (b *DBBridge) RemoveS3Notes(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) (int, bool, error) {
	if err := checkRemoval(clientID, adminID, userID, accessKeyID); err != nil {
		return 0, false, err
	}
	n, err := b.db.removeNotes(ctx, clientID, noteQuery{userID: userID, accessKeyID: accessKeyID})
	return n, false, err
}

// Close closes the database pool.
func (b *DBBridge) Close() error { return b.db.Close() }

// APIBridge keeps the notes through WHMCS's API ("api" mode). The API can
// add notes but not delete them (see the package documentation).
type APIBridge struct {
	api *APIClient
	// The reseller portal's reads (api.go): the last client scan and
	// the services' plan names.
	clients clientScan
	plans   planCache
	now     func() time.Time // nil: time.Now; tests move it
}

// NewAPIBridge returns a Bridge over c.
func NewAPIBridge(c *APIClient) *APIBridge { return &APIBridge{api: c} }

// Client reads the client with GetClientsDetails.
func (b *APIBridge) Client(ctx context.Context, id int64) (*staas.Client, error) {
	return b.api.Client(ctx, id)
}

// AddS3Note adds the guide's note with AddClientNote. WHMCS attributes it
// to the admin who owns the API credential, whatever adminID says.
func (b *APIBridge) AddS3Note(ctx context.Context, clientID, adminID int64, n staas.S3Note) error {
	if err := checkS3Note(clientID, adminID, n); err != nil {
		return err
	}
	_, err := b.api.AddClientNote(ctx, clientID, FormatS3Note(n))
	return err
}

// RemoveS3Notes cannot delete through the API: it adds a note telling the
// admin which note to delete by hand, and returns manual=true.
func (b *APIBridge) RemoveS3Notes(ctx context.Context, clientID, adminID int64, userID, accessKeyID string) (int, bool, error) {
	if err := checkRemoval(clientID, adminID, userID, accessKeyID); err != nil {
		return 0, false, err
	}
	if _, err := b.api.AddClientNote(ctx, clientID, manualRemovalNote(adminID, userID, accessKeyID)); err != nil {
		return 0, false, err
	}
	return 0, true, nil
}

// Close releases nothing: the HTTP client is shared.
func (b *APIBridge) Close() error { return nil }

// manualRemovalNote tells the admin which of the guide's notes to delete.
// It names the user and the key, never a secret, and does not itself read
// as an S3 note.
func manualRemovalNote(adminID int64, userID, accessKeyID string) string {
	by := ""
	if adminID > 0 {
		by = fmt.Sprintf(" by admin #%d", adminID)
	}
	if accessKeyID != "" {
		return fmt.Sprintf("staas: the S3 access key %s of S3 user %s was revoked%s.\n"+
			"Please delete by hand the client note with the lines \"UserId: %s\" and \"AWSAccessKeyId: %s\": "+
			"the WHMCS API cannot delete client notes. Its key pair no longer works.",
			accessKeyID, userID, by, userID, accessKeyID)
	}
	return fmt.Sprintf("staas: the S3 user %s was deleted%s, with all its access keys.\n"+
		"Please delete by hand every client note with the line \"UserId: %s\": "+
		"the WHMCS API cannot delete client notes. Their key pairs no longer work.",
		userID, by, userID)
}

// ClientsInGroup reads a client group's clients ("mysql" mode only: the
// reseller portal's sources need WHMCS's database).
func (b *DBBridge) ClientsInGroup(ctx context.Context, groupID int64) ([]int64, error) {
	return b.db.ClientsInGroup(ctx, groupID)
}

// ClientsWithField reads the clients of a client custom field's value.
func (b *DBBridge) ClientsWithField(ctx context.Context, field, value string) ([]int64, error) {
	return b.db.ClientsWithField(ctx, field, value)
}

// ServiceStatuses reads each service's tblhosting.domainstatus (the
// reconciler's bulk read; "mysql" mode only).
func (b *DBBridge) ServiceStatuses(ctx context.Context, ids []int64) (map[int64]string, error) {
	return b.db.ServiceStatuses(ctx, ids)
}

// ClientStatuses reads each client's tblclients.status.
func (b *DBBridge) ClientStatuses(ctx context.Context, ids []int64) (map[int64]string, error) {
	return b.db.ClientStatuses(ctx, ids)
}

// ServiceQuotas reads each service's product quota setting.
func (b *DBBridge) ServiceQuotas(ctx context.Context, ids []int64) (map[int64]string, error) {
	return b.db.ServiceQuotas(ctx, ids)
}

// ServicePlans reads each service's WHMCS product name.
func (b *DBBridge) ServicePlans(ctx context.Context, ids []int64) (map[int64]string, error) {
	return b.db.ServicePlans(ctx, ids)
}
