package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"staas"
)

// AddFlash queues a one-time message for an admin on a client's page.
func (s *Store) AddFlash(ctx context.Context, adminID, clientID int64, f staas.Flash) error {
	const op = "add flash"
	if err := checkOwner(op, adminID, clientID); err != nil {
		return err
	}
	if err := checkFlash(op, f); err != nil {
		return err
	}
	now := storedTime(time.Now())
	_, err := s.db.ExecContext(ctx, `INSERT INTO staas_flashes (admin_id, client_id, kind, message, created_at) VALUES (?, ?, ?, ?, ?)`,
		adminID, clientID, f.Kind, f.Message, s.dialect.timeArg(now))
	if err != nil {
		return dbError("save the flash message", err)
	}
	return nil
}

// TakeFlashes returns an admin's queued messages for a client's page in
// the order they were added, and removes them in the same transaction:
// of two requests taking at once (two tabs, two replicas), each message
// goes to exactly one. An empty slice when none are queued.
func (s *Store) TakeFlashes(ctx context.Context, adminID, clientID int64) ([]staas.Flash, error) {
	const op = "take flashes"
	if err := checkOwner(op, adminID, clientID); err != nil {
		return nil, err
	}
	var flashes []staas.Flash
	err := s.inTx(ctx, s.dialect.takeTx, "take the flash messages", func(tx *sql.Tx) error {
		flashes = []staas.Flash{}
		rows, err := tx.QueryContext(ctx, s.dialect.lockFlashes, adminID, clientID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var ids []any
		for rows.Next() {
			var id int64
			var f staas.Flash
			if err := rows.Scan(&id, &f.Kind, &f.Message); err != nil {
				return err
			}
			ids = append(ids, id)
			flashes = append(flashes, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		// Exactly the rows read (and locked) above: a flash added since
		// is left for the next page view.
		for chunk := range slices.Chunk(ids, 500) {
			q := `DELETE FROM staas_flashes WHERE id IN (?` + strings.Repeat(`, ?`, len(chunk)-1) + `)`
			res, err := tx.ExecContext(ctx, q, chunk...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != int64(len(chunk)) {
				// The lock did not hold: better no flash than one twice.
				return fmt.Errorf("store: deleted %d of %d flashes taken", n, len(chunk))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return flashes, nil
}
