package store

import (
	"context"
	"time"
)

// Panels returns the panels an admin has open on a client's page, each
// with its state, an opaque string to the store (handlers writes JSON of
// its typed panel state; rows from before hold url-encoded parameters,
// which handlers still reads); an empty map when none are open.
func (s *Store) Panels(ctx context.Context, adminID, clientID int64) (map[string]string, error) {
	const op = "read panels"
	if err := checkOwner(op, adminID, clientID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT panel, params FROM staas_panels WHERE admin_id = ? AND client_id = ?`, adminID, clientID)
	if err != nil {
		return nil, dbError("read the panels", err)
	}
	defer rows.Close()
	panels := map[string]string{}
	for rows.Next() {
		var name, params string
		if err := rows.Scan(&name, &params); err != nil {
			return nil, dbError("read the panels", err)
		}
		panels[name] = params
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("read the panels", err)
	}
	return panels, nil
}

// SetPanel opens a panel for an admin on a client's page, or replaces the
// parameters of one already open.
func (s *Store) SetPanel(ctx context.Context, adminID, clientID int64, panel, params string) error {
	const op = "set panel"
	if err := checkOwner(op, adminID, clientID); err != nil {
		return err
	}
	if err := checkPanel(op, panel); err != nil {
		return err
	}
	if err := checkPanelParams(op, params); err != nil {
		return err
	}
	now := storedTime(time.Now())
	if _, err := s.db.ExecContext(ctx, s.dialect.upsertPanel, adminID, clientID, panel, params, s.dialect.timeArg(now)); err != nil {
		return dbError("save the panel", err)
	}
	return nil
}

// HidePanel closes a panel. Closing one that is not open is not an error.
func (s *Store) HidePanel(ctx context.Context, adminID, clientID int64, panel string) error {
	const op = "hide panel"
	if err := checkOwner(op, adminID, clientID); err != nil {
		return err
	}
	if err := checkPanel(op, panel); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM staas_panels WHERE admin_id = ? AND client_id = ? AND panel = ?`, adminID, clientID, panel); err != nil {
		return dbError("hide the panel", err)
	}
	return nil
}
