package demo

import (
	"context"
	"database/sql"

	"staas"
	"staas/internal/whmcs"
	"staas/standin/pages"
)

// directory reads the stand-in WHMCS's own database, as WHMCS's pages do.
type directory struct {
	db     *sql.DB
	bridge *whmcs.DB
}

func (d directory) Clients(ctx context.Context) ([]staas.Client, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, firstname, lastname, companyname, email, status FROM tblclients ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []staas.Client
	for rows.Next() {
		var c staas.Client
		if err := rows.Scan(&c.ID, &c.FirstName, &c.LastName, &c.CompanyName, &c.Email, &c.Status); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (d directory) Client(ctx context.Context, id int64) (*staas.Client, error) {
	return d.bridge.Client(ctx, id)
}

func (d directory) Notes(ctx context.Context, clientID int64) ([]pages.Note, error) {
	notes, err := d.bridge.ClientNotes(ctx, clientID)
	if err != nil {
		return nil, err
	}
	out := make([]pages.Note, len(notes))
	for i, n := range notes {
		out[i] = pages.Note{ID: n.ID, Created: n.Created, Text: n.Text}
	}
	return out, nil
}
