// Package whmcssim is a stand-in for WHMCS: a faithful subset of its
// database tables (tblclients, tblnotes, tblmodulequeue, …) on SQLite or MySQL/MariaDB, and
// its external API (includes/api.php) for the commands staas uses (GetModuleQueue among them).
// Tests use it as the API's test double and `staas demo` as the WHMCS the
// demo's pages stand in for.
//
// It does not import internal/whmcs: it follows WHMCS's documentation
// (developers.whmcs.com, api-reference) on its own, so a misreading in the
// client is not mirrored here. Deliberate differences from WHMCS: the API
// answers only POST (WHMCS also takes GET, which would put credentials in
// URLs and logs) and only responsetype=json; an access key, when one is
// configured, stands in for WHMCS's IP allow list.
package whmcssim

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the demo's WHMCS database

	"staas"
)

// Dialect is the SQL flavour of a database.
type Dialect string

const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql" // MySQL and MariaDB
)

// DialectOf tells the dialect from db's driver: go-sql-driver/mysql or
// modernc.org/sqlite.
func DialectOf(db *sql.DB) (Dialect, error) {
	name := strings.ToLower(fmt.Sprintf("%T", db.Driver()))
	switch {
	case strings.Contains(name, "mysql"):
		return MySQL, nil
	case strings.Contains(name, "sqlite"):
		return SQLite, nil
	}
	return "", fmt.Errorf("whmcssim: unsupported database driver %s", name)
}

// OpenSQLite opens (creating it if needed) a SQLite database file for the
// stand-in, with the settings it needs: times written as WHMCS writes
// them ("2006-01-02 15:04:05"), and a busy time-out instead of immediate
// "database is locked" errors.
func OpenSQLite(path string) (*sql.DB, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", "file:"+path+sep+"_time_format=datetime&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	return db, nil
}

// The tables, as WHMCS 8.12's install schema has them, less the columns
// staas never reads (card, bank and security-question fields and such).
// MySQL keeps WHMCS's utf8 (3-byte) character set on purpose: text WHMCS
// cannot store must fail here as it would there.
var schema = map[Dialect][]string{
	MySQL: {
		`CREATE TABLE IF NOT EXISTS tblclients (
  id int(10) NOT NULL AUTO_INCREMENT,
  uuid varchar(255) NOT NULL DEFAULT '',
  firstname text NOT NULL,
  lastname text NOT NULL,
  companyname text NOT NULL,
  email text NOT NULL,
  address1 text NOT NULL,
  address2 text NOT NULL,
  city text NOT NULL,
  state text NOT NULL,
  postcode text NOT NULL,
  country text NOT NULL,
  phonenumber text NOT NULL,
  currency int(10) NOT NULL DEFAULT 0,
  credit decimal(16,2) NOT NULL DEFAULT 0.00,
  datecreated date NOT NULL,
  notes text NOT NULL,
  groupid int(10) NOT NULL DEFAULT 0,
  status enum('Active','Inactive','Closed') NOT NULL DEFAULT 'Active',
  language text NOT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY firstname_lastname (firstname(32), lastname(32)),
  KEY email (email(64)),
  KEY client_status_id (status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci`,
		`CREATE TABLE IF NOT EXISTS tblnotes (
  id int(10) NOT NULL AUTO_INCREMENT,
  userid int(10) NOT NULL,
  adminid int(10) NOT NULL DEFAULT 0,
  created datetime NOT NULL,
  modified datetime NOT NULL,
  note text NOT NULL,
  sticky int(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY userid (userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci`,
		`CREATE TABLE IF NOT EXISTS tblcustomfields (
  id int(10) NOT NULL AUTO_INCREMENT,
  type text NOT NULL,
  relid int(10) NOT NULL DEFAULT 0,
  fieldname text NOT NULL,
  fieldtype text NOT NULL,
  adminonly text NOT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY relid (relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci`,
		`CREATE TABLE IF NOT EXISTS tblcustomfieldsvalues (
  id int(10) NOT NULL AUTO_INCREMENT,
  fieldid int(10) NOT NULL,
  relid int(10) NOT NULL,
  value text NOT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY fieldid_relid (fieldid, relid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci`,
		`CREATE TABLE IF NOT EXISTS tblhosting (
  id int(10) NOT NULL AUTO_INCREMENT,
  userid int(10) NOT NULL,
  packageid int(10) NOT NULL DEFAULT 0,
  server int(10) NOT NULL DEFAULT 0,
  domain text NOT NULL,
  username text NOT NULL,
  domainstatus enum('Pending','Active','Suspended','Terminated','Cancelled','Fraud','Completed') NOT NULL DEFAULT 'Pending',
  PRIMARY KEY (id),
  KEY userid (userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci`,
		`CREATE TABLE IF NOT EXISTS tblproducts (
  id int(10) NOT NULL AUTO_INCREMENT,
  name text NOT NULL,
  configoption1 text NOT NULL,
  configoption2 text NOT NULL,
  configoption3 text NOT NULL,
  configoption4 text NOT NULL,
  configoption5 text NOT NULL,
  configoption6 text NOT NULL,
  configoption7 text NOT NULL,
  configoption8 text NOT NULL,
  configoption9 text NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci`,
		`CREATE TABLE IF NOT EXISTS tblmodulequeue (
  id int(10) unsigned NOT NULL AUTO_INCREMENT,
  service_type varchar(20) NOT NULL DEFAULT '',
  service_id int(10) unsigned NOT NULL DEFAULT 0,
  addon_id int(10) unsigned NOT NULL DEFAULT 0,
  module_name varchar(64) NOT NULL DEFAULT '',
  module_action varchar(64) NOT NULL DEFAULT '',
  last_attempt datetime NULL DEFAULT NULL,
  last_attempt_error text NOT NULL,
  num_retries int(10) unsigned NOT NULL DEFAULT 0,
  completed tinyint(1) NOT NULL DEFAULT 0,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL,
  PRIMARY KEY (id),
  KEY service (service_type, service_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci`,
	},
	SQLite: {
		`CREATE TABLE IF NOT EXISTS tblclients (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid varchar(255) NOT NULL DEFAULT '',
  firstname text NOT NULL,
  lastname text NOT NULL,
  companyname text NOT NULL,
  email text NOT NULL,
  address1 text NOT NULL,
  address2 text NOT NULL,
  city text NOT NULL,
  state text NOT NULL,
  postcode text NOT NULL,
  country text NOT NULL,
  phonenumber text NOT NULL,
  currency int(10) NOT NULL DEFAULT 0,
  credit decimal(16,2) NOT NULL DEFAULT 0.00,
  datecreated date NOT NULL,
  notes text NOT NULL,
  groupid int(10) NOT NULL DEFAULT 0,
  status varchar(8) NOT NULL DEFAULT 'Active' CHECK (status IN ('Active','Inactive','Closed')),
  language text NOT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL
)`,
		`CREATE INDEX IF NOT EXISTS tblclients_email ON tblclients (email)`,
		`CREATE INDEX IF NOT EXISTS tblclients_client_status_id ON tblclients (status, id)`,
		`CREATE TABLE IF NOT EXISTS tblnotes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  userid int(10) NOT NULL,
  adminid int(10) NOT NULL DEFAULT 0,
  created datetime NOT NULL,
  modified datetime NOT NULL,
  note text NOT NULL,
  sticky int(1) NOT NULL DEFAULT 0
)`,
		`CREATE INDEX IF NOT EXISTS tblnotes_userid ON tblnotes (userid)`,
		`CREATE TABLE IF NOT EXISTS tblcustomfields (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type text NOT NULL,
  relid int(10) NOT NULL DEFAULT 0,
  fieldname text NOT NULL,
  fieldtype text NOT NULL,
  adminonly text NOT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL
)`,
		`CREATE TABLE IF NOT EXISTS tblcustomfieldsvalues (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  fieldid int(10) NOT NULL,
  relid int(10) NOT NULL,
  value text NOT NULL,
  created_at timestamp NULL DEFAULT NULL,
  updated_at timestamp NULL DEFAULT NULL
)`,
		`CREATE INDEX IF NOT EXISTS tblcustomfieldsvalues_fieldid_relid ON tblcustomfieldsvalues (fieldid, relid)`,
		`CREATE TABLE IF NOT EXISTS tblhosting (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  userid INTEGER NOT NULL,
  packageid INTEGER NOT NULL DEFAULT 0,
  server INTEGER NOT NULL DEFAULT 0,
  domain TEXT NOT NULL DEFAULT '',
  username TEXT NOT NULL DEFAULT '',
  domainstatus TEXT NOT NULL DEFAULT 'Pending'
)`,
		`CREATE TABLE IF NOT EXISTS tblproducts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL DEFAULT '',
  configoption1 TEXT NOT NULL DEFAULT '',
  configoption2 TEXT NOT NULL DEFAULT '',
  configoption3 TEXT NOT NULL DEFAULT '',
  configoption4 TEXT NOT NULL DEFAULT '',
  configoption5 TEXT NOT NULL DEFAULT '',
  configoption6 TEXT NOT NULL DEFAULT '',
  configoption7 TEXT NOT NULL DEFAULT '',
  configoption8 TEXT NOT NULL DEFAULT '',
  configoption9 TEXT NOT NULL DEFAULT ''
)`,
		`CREATE TABLE IF NOT EXISTS tblmodulequeue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  service_type TEXT NOT NULL DEFAULT '',
  service_id INTEGER NOT NULL DEFAULT 0,
  addon_id INTEGER NOT NULL DEFAULT 0,
  module_name TEXT NOT NULL DEFAULT '',
  module_action TEXT NOT NULL DEFAULT '',
  last_attempt TEXT NULL DEFAULT NULL,
  last_attempt_error TEXT NOT NULL DEFAULT '',
  num_retries INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NULL DEFAULT NULL,
  updated_at TEXT NULL DEFAULT NULL
)`,
	},
}

// CreateSchema creates tblclients, tblnotes, tblcustomfields,
// tblcustomfieldsvalues, tblhosting, tblproducts and tblmodulequeue (their few columns
// staas reads)
// unless they exist.
func CreateSchema(ctx context.Context, db *sql.DB) error {
	d, err := DialectOf(db)
	if err != nil {
		return err
	}
	for _, stmt := range schema[d] {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("whmcssim: create schema: %w", err)
		}
	}
	return nil
}

// SeedClients inserts clients into tblclients, with their ids when set
// (else the next free ids) and status Active when unset.
func SeedClients(ctx context.Context, db *sql.DB, clients []staas.Client) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range clients {
		status := c.Status
		if status == "" {
			status = "Active"
		}
		cols := "uuid, firstname, lastname, companyname, email, address1, address2, city, state, postcode, country, phonenumber, datecreated, notes, status, language, created_at, updated_at"
		marks := "?, ?, ?, ?, ?, '', '', '', '', '', '', '', ?, '', ?, '', ?, ?"
		args := []any{newUUID(), c.FirstName, c.LastName, c.CompanyName, c.Email, now.Format(time.DateOnly), status, now, now}
		if c.ID > 0 {
			cols, marks = "id, "+cols, "?, "+marks
			args = append([]any{c.ID}, args...)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO tblclients ("+cols+") VALUES ("+marks+")", args...); err != nil {
			return fmt.Errorf("whmcssim: seed client %q: %w", c.Email, err)
		}
	}
	return tx.Commit()
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// SetClientGroup puts a client in client group groupID (0: none).
func SetClientGroup(ctx context.Context, db *sql.DB, clientID, groupID int64) error {
	_, err := db.ExecContext(ctx, `UPDATE tblclients SET groupid = ? WHERE id = ?`, groupID, clientID)
	return err
}

// SetClientField sets the client custom field named field (made when no
// client field has that name; WHMCS names may read "name|Friendly name")
// to value for one client.
func SetClientField(ctx context.Context, db *sql.DB, clientID int64, field, value string) error {
	var fieldID int64
	err := db.QueryRowContext(ctx, `SELECT id FROM tblcustomfields WHERE type = 'client' AND fieldname = ?`, field).Scan(&fieldID)
	if err == sql.ErrNoRows {
		res, ierr := db.ExecContext(ctx, `INSERT INTO tblcustomfields (type, relid, fieldname, fieldtype, adminonly) VALUES ('client', 0, ?, 'text', 'on')`, field)
		if ierr != nil {
			return ierr
		}
		fieldID, err = res.LastInsertId()
	}
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM tblcustomfieldsvalues WHERE fieldid = ? AND relid = ?`, fieldID, clientID); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO tblcustomfieldsvalues (fieldid, relid, value) VALUES (?, ?, ?)`, fieldID, clientID, value)
	return err
}

// SetService writes one tblhosting row (id, its client, its status),
// replacing the row of that id: a test's WHMCS service.
func SetService(ctx context.Context, db *sql.DB, id, clientID int64, status string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM tblhosting WHERE id = ?`, id); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `INSERT INTO tblhosting (id, userid, domain, username, domainstatus) VALUES (?, ?, '', '', ?)`, id, clientID, status)
	return err
}

// SetClientStatus sets a client's tblclients.status.
func SetClientStatus(ctx context.Context, db *sql.DB, id int64, status string) error {
	_, err := db.ExecContext(ctx, `UPDATE tblclients SET status = ? WHERE id = ?`, status, id)
	return err
}

// SetProductQuota writes a product (tblproducts) whose "User quota (GB)"
// setting (configoption7) is quotaGB, and makes service serviceID one of
// it (tblhosting.packageid).
func SetProductQuota(ctx context.Context, db *sql.DB, productID, serviceID int64, quotaGB string) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM tblproducts WHERE id = ?`, productID); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO tblproducts (id, name, configoption1, configoption2, configoption3, configoption4, configoption5, configoption6, configoption7, configoption8, configoption9)
		VALUES (?, 'S3', '', '', '', '', '', '', ?, '', '')`, productID, quotaGB); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `UPDATE tblhosting SET packageid = ? WHERE id = ?`, productID, serviceID)
	return err
}

// SetProductName names a product (tblproducts.name): the plan the
// reseller portal shows for the product's services.
func SetProductName(ctx context.Context, db *sql.DB, productID int64, name string) error {
	_, err := db.ExecContext(ctx, `UPDATE tblproducts SET name = ? WHERE id = ?`, name, productID)
	return err
}

// whmcsTime is how WHMCS writes a datetime column.
const whmcsTime = "2006-01-02 15:04:05"

// ModuleCallFailed records a failed module call as WHMCS does
// (WHMCS\Module\Queue::add, called by ModuleCallFunction on failure): the
// service's open entry for that module and action gets the new error, the
// attempt time and one more retry; without one, an entry is added.
// service_type is 'service'. The columns are assumed from GetModuleQueue's
// documented fields (snake_case, as WHMCS's other 8.x tables).
func ModuleCallFailed(ctx context.Context, db *sql.DB, serviceID int64, module, action, message string, at time.Time) error {
	t := at.UTC().Format(whmcsTime)
	res, err := db.ExecContext(ctx, `UPDATE tblmodulequeue SET last_attempt = ?, last_attempt_error = ?, num_retries = num_retries + 1, updated_at = ?
		WHERE service_type = 'service' AND service_id = ? AND module_name = ? AND module_action = ? AND completed = 0`,
		t, message, t, serviceID, module, action)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO tblmodulequeue (service_type, service_id, addon_id, module_name, module_action, last_attempt,
		last_attempt_error, num_retries, completed, created_at, updated_at) VALUES ('service', ?, 0, ?, ?, ?, ?, 0, 0, ?, ?)`,
		serviceID, module, action, t, message, t, t)
	return err
}

// ModuleCallSucceeded marks the service's open entry for that module and
// action completed, as WHMCS does when a retry from the queue succeeds.
func ModuleCallSucceeded(ctx context.Context, db *sql.DB, serviceID int64, module, action string, at time.Time) error {
	t := at.UTC().Format(whmcsTime)
	_, err := db.ExecContext(ctx, `UPDATE tblmodulequeue SET completed = 1, updated_at = ?
		WHERE service_type = 'service' AND service_id = ? AND module_name = ? AND module_action = ? AND completed = 0`,
		t, serviceID, module, action)
	return err
}

// QueueEntry is one open tblmodulequeue entry, for a test or the demo.
type QueueEntry struct {
	ID        int64
	ServiceID int64
	Module    string
	Action    string
	Error     string
	Retries   int
}

// OpenModuleQueue lists the entries not completed, oldest first.
func OpenModuleQueue(ctx context.Context, db *sql.DB) ([]QueueEntry, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, service_id, module_name, module_action, last_attempt_error, num_retries
		FROM tblmodulequeue WHERE completed = 0 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QueueEntry
	for rows.Next() {
		var e QueueEntry
		if err := rows.Scan(&e.ID, &e.ServiceID, &e.Module, &e.Action, &e.Error, &e.Retries); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
