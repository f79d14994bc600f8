package store

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"staas"
)

// AuditFilter selects audit entries (staas.AuditFilter).
type AuditFilter = staas.AuditFilter

// AddAudit records an action and returns its id. A zero At is set to
// now; an empty Actor is stored as staas.AuditActorAdmin; Params are kept
// as JSON, a nil map reading back as nil.
func (s *Store) AddAudit(ctx context.Context, e staas.AuditEntry) (int64, error) {
	const op = "add audit entry"
	if err := checkAudit(op, e); err != nil {
		return 0, err
	}
	at := time.Now()
	if !e.At.IsZero() {
		at = e.At
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // kept readable in the database; JSON either way
	if err := enc.Encode(e.Params); err != nil {
		return 0, invalid(op, "parameters cannot be encoded: %v", err)
	}
	params := strings.TrimSuffix(buf.String(), "\n")
	actor := e.Actor
	if actor == "" {
		actor = staas.AuditActorAdmin
	}
	if len(params) > maxTextBytes {
		return 0, invalid(op, "parameters are %d bytes as JSON; at most %d are kept", len(params), maxTextBytes)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO staas_audit (at, admin_id, admin_name, client_id, actor, action, params, result, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.dialect.timeArg(storedTime(at)), e.AdminID, e.AdminName, e.ClientID, actor, e.Action, params, e.Result, e.Message)
	if err != nil {
		return 0, dbError("save the audit entry", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, dbError("save the audit entry", err)
	}
	return id, nil
}

// FinishAudit sets the result and message of entry id: an action's row is
// written before it runs (so an action that cannot be recorded does not
// run) and completed with its outcome here.
func (s *Store) FinishAudit(ctx context.Context, id int64, result, message string) error {
	const op = "finish audit entry"
	if id <= 0 {
		return invalid(op, "id must be positive (got %d)", id)
	}
	if err := checkText(op, "result", result, 1, maxResultLen); err != nil {
		return err
	}
	if err := checkAuditMessage(op, message); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE staas_audit SET result = ?, message = ? WHERE id = ?`, result, message, id); err != nil {
		return dbError("complete the audit entry", err)
	}
	return nil
}

// Audit returns the entries f selects, newest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]staas.AuditEntry, error) {
	const op = "read audit"
	if err := checkOwner(op, f.AdminID, f.ClientID); err != nil {
		return nil, err
	}
	if err := checkID(op, "cursor", f.Before); err != nil {
		return nil, err
	}
	if f.Limit < 0 {
		return nil, invalid(op, "limit must not be negative (got %d)", f.Limit)
	}
	limit := f.Limit
	if limit == 0 {
		limit = defaultAudit
	}
	limit = min(limit, maxAudit)

	// Only fixed fragments are joined; every value is a parameter.
	q := `SELECT id, at, admin_id, admin_name, client_id, actor, action, params, result, message FROM staas_audit WHERE 1 = 1`
	var args []any
	if f.ClientID != 0 {
		q += ` AND client_id = ?`
		args = append(args, f.ClientID)
	}
	if f.AdminID != 0 {
		q += ` AND admin_id = ?`
		args = append(args, f.AdminID)
	}
	if f.Before != 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)

	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError("read the audit log", err)
	}
	defer rows.Close()
	entries := []staas.AuditEntry{}
	for rows.Next() {
		var e staas.AuditEntry
		var params string
		if err := rows.Scan(&e.ID, dbTime{&e.At}, &e.AdminID, &e.AdminName, &e.ClientID, &e.Actor, &e.Action, &params, &e.Result, &e.Message); err != nil {
			return nil, dbError("read the audit log", err)
		}
		if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
			return nil, dbError("read the parameters of audit entry", err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("read the audit log", err)
	}
	return entries, nil
}
