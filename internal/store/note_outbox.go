package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"staas"
)

// The note outbox keeps the WHMCS client-note changes that could not be
// made when WHMCS was unreachable, until a later delivery makes them
// (internal/provision). Rows of one client are delivered in id order, and
// a row that failed holds back the client's later rows until it is
// delivered or dropped, so a 'remove' never overtakes the 'add' it undoes.
//
// A row never holds a secret key: an 'add' names the S3 user and the
// access key, and the deliverer reads the secret back from the gateway.

// The operations of a NoteOp.
const (
	NoteAdd    = "add"    // add the guide's note of (UserID, AccessKeyID)
	NoteRemove = "remove" // remove the notes of UserID (of AccessKeyID only, when set)
)

// maxNoteError bounds last_error, in characters: a hint for the admin and
// the logs, not a record.
const maxNoteError = 255

// NoteOp is one queued note change.
type NoteOp struct {
	ID       int64
	ClientID int64
	AdminID  int64 // who acted; 0 for automatic actions
	Op       string
	UserID   string
	// AccessKeyID is required for NoteAdd; for NoteRemove "" means all of
	// the user's notes.
	AccessKeyID   string
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time
}

func checkNoteOp(op string, n NoteOp) error {
	if n.ClientID <= 0 {
		return invalid(op, "client id must be positive (got %d)", n.ClientID)
	}
	if err := checkID(op, "admin id", n.AdminID); err != nil {
		return err
	}
	if n.Op != NoteAdd && n.Op != NoteRemove {
		return invalid(op, "operation must be %q or %q, not %q", NoteAdd, NoteRemove, truncate(n.Op))
	}
	if err := checkKey(op, "user id", n.UserID, maxUserIDLen); err != nil {
		return err
	}
	if n.AccessKeyID != "" || n.Op == NoteAdd {
		if err := checkKey(op, "access key id", n.AccessKeyID, maxUserIDLen); err != nil {
			return err
		}
	}
	if !n.CreatedAt.IsZero() {
		if err := checkTime(op, "created at", n.CreatedAt); err != nil {
			return err
		}
	}
	return nil
}

// EnqueueNote queues a note change and returns its id. It is due at once:
// at CreatedAt, or now when that is zero. ID, Attempts, LastError and
// NextAttemptAt are ignored.
func (s *Store) EnqueueNote(ctx context.Context, n NoteOp) (int64, error) {
	const op = "enqueue note"
	if err := checkNoteOp(op, n); err != nil {
		return 0, err
	}
	at := time.Now()
	if !n.CreatedAt.IsZero() {
		at = n.CreatedAt
	}
	t := s.dialect.timeArg(storedTime(at))
	res, err := s.db.ExecContext(ctx, `INSERT INTO staas_note_outbox
		(client_id, admin_id, op, user_id, access_key_id, attempts, last_error, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, 0, '', ?, ?)`,
		n.ClientID, n.AdminID, n.Op, n.UserID, n.AccessKeyID, t, t)
	if err != nil {
		return 0, dbError("queue the note change", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, dbError("queue the note change", err)
	}
	return id, nil
}

// DueNotes returns, in id order, up to limit (1..500) rows due at now
// whose client has no earlier row waiting for a later attempt: the rows a
// deliverer may try now, in the order it must try them.
func (s *Store) DueNotes(ctx context.Context, now time.Time, limit int) ([]NoteOp, error) {
	const op = "read due notes"
	if err := checkTime(op, "time", now); err != nil {
		return nil, err
	}
	if limit < 1 || limit > 500 {
		return nil, invalid(op, "limit must be 1 to 500 (got %d)", limit)
	}
	t := s.dialect.timeArg(storedTime(now))
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.client_id, a.admin_id, a.op, a.user_id, a.access_key_id,
			a.attempts, a.last_error, a.created_at, a.next_attempt_at
		FROM staas_note_outbox a
		WHERE a.next_attempt_at <= ?
			AND NOT EXISTS (SELECT 1 FROM staas_note_outbox b
				WHERE b.client_id = a.client_id AND b.id < a.id AND b.next_attempt_at > ?)
		ORDER BY a.id LIMIT ?`, t, t, limit)
	if err != nil {
		return nil, dbError("read the note outbox", err)
	}
	defer rows.Close()
	out := []NoteOp{}
	for rows.Next() {
		var n NoteOp
		if err := rows.Scan(&n.ID, &n.ClientID, &n.AdminID, &n.Op, &n.UserID, &n.AccessKeyID,
			&n.Attempts, &n.LastError, dbTime{&n.CreatedAt}, dbTime{&n.NextAttemptAt}); err != nil {
			return nil, dbError("read the note outbox", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("read the note outbox", err)
	}
	return out, nil
}

// PendingNotes counts the client's queued note changes.
func (s *Store) PendingNotes(ctx context.Context, clientID int64) (int, error) {
	if clientID <= 0 {
		return 0, invalid("count pending notes", "client id must be positive (got %d)", clientID)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_note_outbox WHERE client_id = ?`, clientID).Scan(&n); err != nil {
		return 0, dbError("count the pending note changes", err)
	}
	return n, nil
}

// NoteBacklog counts the queued note changes of every client and says
// when the oldest was queued (zero when none is), for the daily report.
func (s *Store) NoteBacklog(ctx context.Context) (n int, oldest time.Time, err error) {
	var first any
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM staas_note_outbox`).Scan(&n, &first); err != nil {
		return 0, time.Time{}, dbError("count the queued note changes", err)
	}
	if err := (nullTime{&oldest}).Scan(first); err != nil {
		return 0, time.Time{}, dbError("count the queued note changes", err)
	}
	return n, oldest, nil
}

// NoteFailed records a failed attempt of row id: one more attempt, its
// error (cut to 255 characters; it must hold no secret) and when to try
// next. ENOTFOUND when the row is gone.
func (s *Store) NoteFailed(ctx context.Context, id int64, lastError string, next time.Time) error {
	const op = "record failed note"
	if id <= 0 {
		return invalid(op, "id must be positive (got %d)", id)
	}
	if err := checkTime(op, "next attempt", next); err != nil {
		return err
	}
	return s.execOne(ctx, "record the failed note change", staas.Errorf(staas.ENOTFOUND, "store: no queued note change %d", id),
		`UPDATE staas_note_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		cutText(lastError, maxNoteError), s.dialect.timeArg(storedTime(next)), id)
}

// DeleteNote removes row id once it is delivered or dropped. Deleting a
// row that is gone is not an error.
func (s *Store) DeleteNote(ctx context.Context, id int64) error {
	if id <= 0 {
		return invalid("delete note", "id must be positive (got %d)", id)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM staas_note_outbox WHERE id = ?`, id); err != nil {
		return dbError("delete the queued note change", err)
	}
	return nil
}

// cutText keeps the first limit characters of valid UTF-8 (invalid bytes
// become U+FFFD), so both backends keep the same text.
func cutText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit])
}
