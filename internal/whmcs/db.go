package whmcs

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"staas"
)

// DB reads and writes WHMCS's own tables (tblclients, tblnotes). Its SQL
// is portable between MySQL/MariaDB and SQLite (the demo's WHMCS stand-in):
// ? placeholders, times passed as parameters, no dialect functions, every
// value a parameter.
type DB struct {
	db      *sql.DB
	timeout time.Duration
	// now stamps notes' created and modified; tests replace it.
	now func() time.Time
}

// Note is a client note (a tblnotes row).
type Note struct {
	ID       int64
	ClientID int64 // tblnotes.userid
	AdminID  int64 // 0: no admin
	Created  time.Time
	Modified time.Time
	Text     string
	Sticky   bool
}

// OpenMySQL opens WHMCS's MySQL/MariaDB database. dsn is a
// go-sql-driver/mysql DSN ("user:pw@tcp(host:3306)/whmcs"); parseTime is
// turned on, and times are written and read in UTC unless the DSN names
// another loc= (set it to the zone WHMCS's database keeps its times in,
// so notes show the right time in WHMCS). timeout bounds connecting and
// each call. Nothing is connected yet: a wrong password shows on the
// first call (as EUNAUTHORIZED).
func OpenMySQL(dsn string, timeout time.Duration) (*DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The driver's message may quote parts of the DSN: not shown.
		return nil, staas.Errorf(staas.EINVALID, "WHMCS database: the DSN is not valid (want user:password@tcp(host:3306)/dbname)")
	}
	cfg.ParseTime = true
	if cfg.Loc == nil {
		cfg.Loc = time.UTC
	}
	if timeout > 0 {
		cfg.Timeout = timeout
		cfg.ReadTimeout = timeout
		cfg.WriteTimeout = timeout
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS database: the DSN is not valid")
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	// Below MySQL's default wait_timeout, so the server never closes a
	// connection the pool still holds.
	db.SetConnMaxLifetime(3 * time.Minute)
	d := NewDB(db)
	d.timeout = timeout
	return d, nil
}

// NewDB wraps an open database: MySQL/MariaDB (go-sql-driver/mysql) or
// SQLite (modernc.org/sqlite), holding WHMCS's tables.
func NewDB(db *sql.DB) *DB {
	return &DB{db: db, now: time.Now}
}

// Close closes the pool.
func (d *DB) Close() error { return d.db.Close() }

func (d *DB) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if d.timeout > 0 {
		return context.WithTimeout(ctx, d.timeout)
	}
	return context.WithCancel(ctx)
}

// dbError maps a database failure to a *staas.Error. The message is a
// sentence an admin may read (what failed, what to do); the op, the
// driver's error number and text stay in Err for the logs (drivers do
// not put passwords in their errors).
func dbError(op string, err error) error {
	var se *staas.Error
	if errors.As(err, &se) {
		return err
	}
	doing := dbDoing[op]
	if doing == "" {
		doing = "use it"
	}
	fail := func(code, sentence, note string) error {
		return &staas.Error{Code: code, Message: sentence, Err: fmt.Errorf("WHMCS database: %s: %s: %w", op, note, err)}
	}
	later := " Try again in a moment; staas's log has the details."
	var me *mysql.MySQLError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fail(staas.EUNAVAILABLE, "WHMCS's database did not answer in time when staas tried to "+doing+"."+later, "no answer in time")
	case errors.As(err, &me):
		switch me.Number {
		case 1044, 1045: // access denied to the database / for the user
			return fail(staas.EUNAUTHORIZED, "WHMCS's database refused staas's credentials when staas tried to "+doing+". Check the WHMCS database DSN in staas's configuration; staas's log has the details.", "the database refused staas's credentials")
		case 1142, 1143: // command or column denied
			return fail(staas.EUNAUTHORIZED, "staas's WHMCS database user may not "+doing+": grant it the privileges the README lists. staas's log names the one missing.", "staas's database user lacks a privilege")
		case 1366, 1406: // incorrect string value (4-byte UTF-8 in utf8mb3), data too long
			return fail(staas.EINVALID, "WHMCS's table cannot store this text (too long, or characters the table does not take), so staas could not "+doing+". Nothing was written.", "WHMCS's table cannot store this text")
		case 1146: // no such table
			return fail(staas.EINTERNAL, "staas could not "+doing+": WHMCS's tables are not in the database staas uses. Check the WHMCS database DSN in staas's configuration; staas's log has the details.", "is the DSN WHMCS's database?")
		case 1040, 1053, 1205, 1213, 2006, 2013: // too many connections, shutdown, lock wait, deadlock, gone away
			return fail(staas.EUNAVAILABLE, "WHMCS's database is busy or restarting, so staas could not "+doing+"."+later, "busy")
		}
		return fail(staas.EINTERNAL, "WHMCS's database failed when staas tried to "+doing+"; staas's log has the details.", fmt.Sprintf("unexpected database error %d", me.Number))
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn), errors.As(err, &ne):
		return fail(staas.EUNAVAILABLE, "staas could not reach WHMCS's database to "+doing+"."+later, "the database could not be reached")
	case strings.Contains(err.Error(), "database is locked"), strings.Contains(err.Error(), "SQLITE_BUSY"):
		return fail(staas.EUNAVAILABLE, "WHMCS's database is busy, so staas could not "+doing+"."+later, "the database is busy")
	}
	return fail(staas.EINTERNAL, "WHMCS's database failed when staas tried to "+doing+"; staas's log has the details.", "unexpected database error")
}

// dbDoing says each database op as an admin would.
var dbDoing = map[string]string{
	"read client":        "read the client",
	"add client note":    "add the client note",
	"list client notes":  "read the client's notes",
	"delete client note": "delete the client note",
	"remove S3 notes":    "remove the client's S3 notes",
	"clients in group":   "read a client group's clients",
	"clients with field": "read the clients of a custom field's value",
	"service statuses":   "read the services' statuses",
	"client statuses":    "read the clients' statuses",
	"service quotas":     "read the services' quotas",
	"service plans":      "read the services' products",
}

// Client reads one client from tblclients; ENOTFOUND when there is none.
func (d *DB) Client(ctx context.Context, id int64) (*staas.Client, error) {
	if err := checkID("client", id); err != nil {
		return nil, err
	}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	var first, last, company, email, status sql.NullString
	err := d.db.QueryRowContext(ctx,
		`SELECT firstname, lastname, companyname, email, status FROM tblclients WHERE id = ?`, id).
		Scan(&first, &last, &company, &email, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, staas.Errorf(staas.ENOTFOUND, "WHMCS: no client %d", id)
	}
	if err != nil {
		return nil, dbError("read client", err)
	}
	return &staas.Client{
		ID: id, FirstName: first.String, LastName: last.String, CompanyName: company.String,
		Email: email.String, Status: status.String,
	}, nil
}

// AddClientNote adds a note to an existing client (ENOTFOUND otherwise),
// attributed to adminID (0: no admin), and returns its id.
func (d *DB) AddClientNote(ctx context.Context, clientID, adminID int64, note string) (int64, error) {
	return d.addNote(ctx, clientID, adminID, note, nil)
}

// addNote is AddClientNote; when there reports that the client's notes
// already hold the note, nothing is written and the id is 0.
func (d *DB) addNote(ctx context.Context, clientID, adminID int64, note string, there func([]Note) bool) (int64, error) {
	if err := checkIDs(clientID, adminID); err != nil {
		return 0, err
	}
	if err := checkNote(note); err != nil {
		return 0, err
	}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	// WHMCS's datetime columns hold whole seconds.
	now := d.now().UTC().Truncate(time.Second)
	var id int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tblclients WHERE id = ?`, clientID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return staas.Errorf(staas.ENOTFOUND, "WHMCS: no client %d", clientID)
		}
		if err != nil {
			return err
		}
		if there != nil {
			notes, err := clientNotes(ctx, tx, clientID)
			if err != nil {
				return err
			}
			if there(notes) {
				return nil
			}
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO tblnotes (userid, adminid, created, modified, note, sticky) VALUES (?, ?, ?, ?, ?, ?)`,
			clientID, adminID, now, now, note, 0)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, dbError("add client note", err)
	}
	return id, nil
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (d *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func clientNotes(ctx context.Context, q querier, clientID int64) ([]Note, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT id, userid, adminid, created, modified, note, sticky FROM tblnotes WHERE userid = ? ORDER BY id`, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		var created, modified any
		var text sql.NullString
		var sticky sql.NullInt64
		if err := rows.Scan(&n.ID, &n.ClientID, &n.AdminID, &created, &modified, &text, &sticky); err != nil {
			return nil, err
		}
		n.Created, n.Modified = toTime(created), toTime(modified)
		n.Text, n.Sticky = text.String, sticky.Int64 != 0
		out = append(out, n)
	}
	return out, rows.Err()
}

// toTime reads a datetime column whatever the driver made of it: a
// time.Time (MySQL with parseTime, SQLite for DATETIME columns) or text.
// WHMCS's zero date, and anything unreadable, is the zero time.
func toTime(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case []byte:
		return parseDatetime(string(t))
	case string:
		return parseDatetime(t)
	}
	return time.Time{}
}

func parseDatetime(s string) time.Time {
	for _, layout := range []string{"2006-01-02 15:04:05", time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ClientNotes lists a client's notes, oldest first.
func (d *DB) ClientNotes(ctx context.Context, clientID int64) ([]Note, error) {
	if err := checkID("client", clientID); err != nil {
		return nil, err
	}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	notes, err := clientNotes(ctx, d.db, clientID)
	if err != nil {
		return nil, dbError("list client notes", err)
	}
	return notes, nil
}

// DeleteNote deletes one note of the client; ENOTFOUND when the client
// has no such note (a note of another client is never touched).
func (d *DB) DeleteNote(ctx context.Context, clientID, noteID int64) error {
	if err := checkID("client", clientID); err != nil {
		return err
	}
	if err := checkID("note", noteID); err != nil {
		return err
	}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	res, err := d.db.ExecContext(ctx, `DELETE FROM tblnotes WHERE id = ? AND userid = ?`, noteID, clientID)
	if err != nil {
		return dbError("delete client note", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError("delete client note", err)
	} else if n == 0 {
		return staas.Errorf(staas.ENOTFOUND, "WHMCS: client %d has no note %d", clientID, noteID)
	}
	return nil
}

// removeNotes deletes, in one transaction, the client's notes that parse
// as S3 notes matching q, by id, and says how many went.
func (d *DB) removeNotes(ctx context.Context, clientID int64, q noteQuery) (int, error) {
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	removed := 0
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		removed = 0
		notes, err := clientNotes(ctx, tx, clientID)
		if err != nil {
			return err
		}
		for _, n := range notes {
			parsed, ok := ParseS3Note(n.Text)
			if !ok || !q.matches(parsed) {
				continue
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM tblnotes WHERE id = ? AND userid = ?`, n.ID, clientID)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			removed += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, dbError("remove S3 notes", err)
	}
	return removed, nil
}

// ClientsInGroup returns the ids of the clients in client group groupID
// (tblclients.groupid), in order: the reseller portal's group source.
func (d *DB) ClientsInGroup(ctx context.Context, groupID int64) ([]int64, error) {
	if groupID <= 0 {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS: client group id must be positive (got %d)", groupID)
	}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	return d.ids(ctx, "clients in group", `SELECT id FROM tblclients WHERE groupid = ? ORDER BY id`, groupID)
}

// ClientsWithField returns the ids of the clients whose client custom
// field named field holds exactly value, in order: the reseller portal's
// field source. A field WHMCS names "name|Friendly name" is matched by
// name. A field given as a number is also matched by its id, as the
// api mode's APIBridge matches it (WHMCS's API knows fields by id only),
// so one source reads the same clients in both modes. Comparisons follow
// the database's collation: on WHMCS's MySQL (utf8_unicode_ci) they
// ignore case.
func (d *DB) ClientsWithField(ctx context.Context, field, value string) ([]int64, error) {
	if field == "" || value == "" || strings.Contains(field, "|") {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS: a custom field source needs a field name (without '|') and a value")
	}
	fieldID, err := strconv.ParseInt(field, 10, 64)
	if err != nil || fieldID <= 0 {
		fieldID = 0 // no field has id 0
	}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	return d.ids(ctx, "clients with field", `SELECT DISTINCT v.relid FROM tblcustomfieldsvalues v
		JOIN tblcustomfields f ON f.id = v.fieldid
		WHERE f.type = 'client' AND (f.fieldname = ? OR f.fieldname LIKE ? ESCAPE '!' OR f.id = ?) AND v.value = ?
		ORDER BY v.relid`, field, likeEscape(field)+"|%", fieldID, value)
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '!'
// (not a backslash, which MySQL and SQLite read differently).
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

func (d *DB) ids(ctx context.Context, op, query string, args ...any) ([]int64, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, dbError(op, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(op, err)
	}
	return ids, nil
}

// ServiceStatuses reads tblhosting.domainstatus of each service id, in
// batches: the reconciler's view of what WHMCS says. An id WHMCS has no
// row for is absent from the map.
func (d *DB) ServiceStatuses(ctx context.Context, ids []int64) (map[int64]string, error) {
	return d.statuses(ctx, "service statuses", `SELECT id, domainstatus FROM tblhosting WHERE id IN `, ids)
}

// ClientStatuses reads tblclients.status (Active, Inactive, Closed) of
// each client id; an id WHMCS has no row for is absent from the map.
func (d *DB) ClientStatuses(ctx context.Context, ids []int64) (map[int64]string, error) {
	return d.statuses(ctx, "client statuses", `SELECT id, status FROM tblclients WHERE id IN `, ids)
}

func (d *DB) statuses(ctx context.Context, op, prefix string, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	ctx, cancel := d.ctx(ctx)
	defer cancel()
	const batch = 500
	for len(ids) > 0 {
		n := min(len(ids), batch)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		if err := d.statusBatch(ctx, prefix+"("+strings.TrimSuffix(strings.Repeat("?,", n), ",")+")", args, out); err != nil {
			return nil, dbError(op, err)
		}
	}
	return out, nil
}

// statusBatch reads one batch of (id, status) rows into out.
func (d *DB) statusBatch(ctx context.Context, query string, args []any, out map[int64]string) error {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		if err := rows.Scan(&id, &status); err != nil {
			return err
		}
		out[id] = status
	}
	return rows.Err()
}

// ServiceQuotas reads each service's product's "User quota (GB)" setting
// (tblproducts.configoption7, through tblhosting.packageid) as WHMCS
// keeps it: "" or "0" is no quota. A service without a product row is
// absent from the map.
func (d *DB) ServiceQuotas(ctx context.Context, ids []int64) (map[int64]string, error) {
	return d.statuses(ctx, "service quotas", `SELECT h.id, p.configoption7 FROM tblhosting h JOIN tblproducts p ON p.id = h.packageid WHERE h.id IN `, ids)
}

// ServicePlans reads each service's product name (tblproducts.name,
// through tblhosting.packageid): the plan the reseller portal shows. A
// service without a product row is absent from the map.
func (d *DB) ServicePlans(ctx context.Context, ids []int64) (map[int64]string, error) {
	return d.statuses(ctx, "service plans", `SELECT h.id, p.name FROM tblhosting h JOIN tblproducts p ON p.id = h.packageid WHERE h.id IN `, ids)
}
