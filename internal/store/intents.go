package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"staas"
)

// Durable event intents (issue 14): a client event staas accepted from
// WHMCS is written here before staas acts on it (internal/provision), so a
// gateway that is away loses nothing. An intent is 'queued' until it is
// 'done'; a final refusal makes it 'failed', kept for the admin to see.
// Done rows stay too: they are the record that an event was applied once.

// Intent is staas.Intent, kept here as the store reads and writes it.
type Intent = staas.Intent

// The states of an Intent.
const (
	IntentQueued = staas.IntentQueued
	IntentDone   = staas.IntentDone
	IntentFailed = staas.IntentFailed
)

// maxIntentParams bounds the JSON of an intent's params, in bytes.
const maxIntentParams = 1024

// AddIntent records an accepted event as queued and returns its id. It is
// due at NextAttemptAt (CreatedAt when zero; now when both are): a caller
// that acts on the event at once sets a later time, so a retry worker
// leaves it alone meanwhile and takes it up should the caller die.
func (s *Store) AddIntent(ctx context.Context, in Intent) (int64, error) {
	const op = "add intent"
	if in.ClientID <= 0 {
		return 0, invalid(op, "client id must be positive (got %d)", in.ClientID)
	}
	if err := checkID(op, "admin id", in.AdminID); err != nil {
		return 0, err
	}
	if err := checkKey(op, "event", in.Event, 32); err != nil {
		return 0, err
	}
	params, err := json.Marshal(in.Params)
	if err != nil || len(params) > maxIntentParams {
		return 0, invalid(op, "params must encode to at most %d bytes of JSON", maxIntentParams)
	}
	created := in.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	next := in.NextAttemptAt
	if next.IsZero() {
		next = created
	}
	if err := checkTime(op, "created at", created); err != nil {
		return 0, err
	}
	if err := checkTime(op, "next attempt", next); err != nil {
		return 0, err
	}
	c, n := s.dialect.timeArg(storedTime(created)), s.dialect.timeArg(storedTime(next))
	res, err := s.db.ExecContext(ctx, `INSERT INTO staas_intents
		(client_id, admin_id, event, params, state, attempts, last_error, created_at, updated_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, 0, '', ?, ?, ?)`,
		in.ClientID, in.AdminID, in.Event, string(params), IntentQueued, c, c, n)
	if err != nil {
		return 0, dbError("record the event", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, dbError("record the event", err)
	}
	return id, nil
}

// RetryIntent records a failed attempt of a queued intent: one more
// attempt, its error (cut to 255 characters; no secret in it) and when to
// try next. ENOTFOUND when no queued intent has that id.
func (s *Store) RetryIntent(ctx context.Context, id int64, lastError string, next time.Time) error {
	const op = "retry intent"
	if id <= 0 {
		return invalid(op, "id must be positive (got %d)", id)
	}
	if err := checkTime(op, "next attempt", next); err != nil {
		return err
	}
	return s.updateIntent(ctx, `UPDATE staas_intents SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ?
		WHERE id = ? AND state = 'queued'`, id, cutText(lastError, maxNoteError), s.dialect.timeArg(storedTime(next)), s.dialect.timeArg(storedTime(time.Now())), id)
}

// FinishIntent ends a queued intent as done or failed after one more
// attempt; lastError is the refusal of a failed one ("" when done).
// ENOTFOUND when no queued intent has that id: an intent ends once.
func (s *Store) FinishIntent(ctx context.Context, id int64, state, lastError string) error {
	const op = "finish intent"
	if id <= 0 {
		return invalid(op, "id must be positive (got %d)", id)
	}
	if state != IntentDone && state != IntentFailed {
		return invalid(op, "state must be %q or %q, not %q", IntentDone, IntentFailed, truncate(state))
	}
	return s.updateIntent(ctx, `UPDATE staas_intents SET state = ?, attempts = attempts + 1, last_error = ?, updated_at = ?
		WHERE id = ? AND state = 'queued'`, id, state, cutText(lastError, maxNoteError), s.dialect.timeArg(storedTime(time.Now())), id)
}

// RequeueIntent makes the client's queued or failed intent id due at now
// again (an admin's "Retry now"): a failed one is queued again, its
// attempts and last error kept. ENOTFOUND when the client has no such
// intent waiting or failed (a done one is not run twice).
func (s *Store) RequeueIntent(ctx context.Context, id, clientID int64, now time.Time) error {
	const op = "requeue intent"
	if id <= 0 || clientID <= 0 {
		return invalid(op, "id and client id must be positive (got %d, %d)", id, clientID)
	}
	if err := checkTime(op, "now", now); err != nil {
		return err
	}
	t := s.dialect.timeArg(storedTime(now))
	return s.updateIntent(ctx, `UPDATE staas_intents SET state = 'queued', next_attempt_at = ?, updated_at = ?
		WHERE id = ? AND client_id = ? AND state IN ('queued', 'failed')`, id, t, t, id, clientID)
}

// updateIntent runs an UPDATE of intent id: ENOTFOUND when it changed no
// row (each of its callers changes a row it matches).
func (s *Store) updateIntent(ctx context.Context, query string, id int64, args ...any) error {
	return s.execOne(ctx, "update the queued event", staas.Errorf(staas.ENOTFOUND, "store: no queued event %d", id), query, args...)
}

// execOne runs a statement that must change a row: notFound when it
// changed none. MySQL counts the rows changed, not matched: a statement
// that may match a row without changing it needs foundRows instead.
func (s *Store) execOne(ctx context.Context, what string, notFound error, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return dbError(what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(what, err)
	} else if n == 0 {
		return notFound
	}
	return nil
}

// PruneDoneIntents deletes intents done before cutoff and says how many
// went: a done intent is needed only while its event might come again
// (the audit log keeps what was done), so the table does not grow for
// ever.
func (s *Store) PruneDoneIntents(ctx context.Context, cutoff time.Time) (int64, error) {
	const op = "prune done intents"
	if err := checkTime(op, "cutoff", cutoff); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM staas_intents WHERE state = 'done' AND updated_at < ?`, s.dialect.timeArg(storedTime(cutoff)))
	if err != nil {
		return 0, dbError(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError(op, err)
	}
	return n, nil
}

const intentColumns = `id, client_id, admin_id, event, params, state, attempts, last_error, created_at, updated_at, next_attempt_at`

// DueIntents returns, oldest first, up to limit (1..500) queued intents
// due at now.
func (s *Store) DueIntents(ctx context.Context, now time.Time, limit int) ([]Intent, error) {
	const op = "read due intents"
	if err := checkTime(op, "time", now); err != nil {
		return nil, err
	}
	if limit < 1 || limit > 500 {
		return nil, invalid(op, "limit must be 1 to 500 (got %d)", limit)
	}
	return s.intents(ctx, `SELECT `+intentColumns+` FROM staas_intents
		WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT ?`, s.dialect.timeArg(storedTime(now)), limit)
}

// ClientIntents returns the client's intents in the given states (every
// state when none is given), oldest first, at most 100.
func (s *Store) ClientIntents(ctx context.Context, clientID int64, states ...string) ([]Intent, error) {
	const op = "read client intents"
	if clientID <= 0 {
		return nil, invalid(op, "client id must be positive (got %d)", clientID)
	}
	q := `SELECT ` + intentColumns + ` FROM staas_intents WHERE client_id = ?`
	args := []any{clientID}
	if len(states) > 0 {
		q += ` AND state IN (?` + strings.Repeat(", ?", len(states)-1) + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	return s.intents(ctx, q+` ORDER BY id LIMIT 100`, args...)
}

func (s *Store) intents(ctx context.Context, query string, args ...any) ([]Intent, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError("read the queued events", err)
	}
	defer rows.Close()
	out := []Intent{}
	for rows.Next() {
		var in Intent
		var params string
		if err := rows.Scan(&in.ID, &in.ClientID, &in.AdminID, &in.Event, &params, &in.State, &in.Attempts, &in.LastError,
			dbTime{&in.CreatedAt}, dbTime{&in.UpdatedAt}, dbTime{&in.NextAttemptAt}); err != nil {
			return nil, dbError("read the queued events", err)
		}
		if err := json.Unmarshal([]byte(params), &in.Params); err != nil {
			return nil, dbError("read the queued events", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("read the queued events", err)
	}
	return out, nil
}

// IntentBacklog counts the queued intents of every client and says when
// the oldest was accepted (zero when none is), and counts the failed
// ones, for the daily report.
func (s *Store) IntentBacklog(ctx context.Context) (queued int, oldest time.Time, failed int, err error) {
	var first any
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM staas_intents WHERE state = 'queued'`).Scan(&queued, &first); err != nil {
		return 0, time.Time{}, 0, dbError("count the queued events", err)
	}
	if err := (nullTime{&oldest}).Scan(first); err != nil {
		return 0, time.Time{}, 0, dbError("count the queued events", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staas_intents WHERE state = 'failed'`).Scan(&failed); err != nil {
		return 0, time.Time{}, 0, dbError("count the failed events", err)
	}
	return queued, oldest, failed, nil
}
