package whmcs

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"staas"
	"staas/standin/whmcssim"
)

// The database tests run as one suite per backend: SQLite (the demo's
// WHMCS stand-in) here, MariaDB (a real WHMCS's) in mariadb_test.go. Each
// backend's open gives a *DB over WHMCS's tables holding testClients.

var dbNow = time.Date(2026, 3, 1, 12, 30, 45, 987654321, time.UTC)

func openSQLite(t *testing.T) *DB {
	d := NewDB(whmcsDB(t))
	d.now = func() time.Time { return dbNow }
	return d
}

func TestDBSQLite(t *testing.T)      { testDB(t, openSQLite) }
func TestS3NotesSQLite(t *testing.T) { testS3NotesDB(t, openSQLite) }

func testDB(t *testing.T, open func(*testing.T) *DB) {
	ctx := context.Background()
	t.Run("client", func(t *testing.T) {
		d := open(t)
		c, err := d.Client(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := staas.Client{ID: 1, Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CompanyName: "Analytical Engines", Status: "Active"}
		if *c != want {
			t.Errorf("got %+v, want %+v", *c, want)
		}
		if c, err := d.Client(ctx, 2); err != nil || c.Status != "Inactive" {
			t.Errorf("client 2: %+v %v", c, err)
		}
		_, err = d.Client(ctx, 99)
		wantCode(t, err, staas.ENOTFOUND)
		_, err = d.Client(ctx, 0)
		wantCode(t, err, staas.EINVALID)
	})
	t.Run("statuses and quotas in bulk", func(t *testing.T) {
		d := open(t)
		for _, q := range []string{
			`INSERT INTO tblhosting (id, userid, packageid, server, domain, username, domainstatus) VALUES (10, 1, 5, 0, '', '', 'Suspended'), (11, 2, 0, 0, '', '', 'Active')`,
			`INSERT INTO tblproducts (id, name, configoption1, configoption2, configoption3, configoption4, configoption5, configoption6, configoption7, configoption8, configoption9) VALUES (5, 'S3', '', '', '', '', '', '', '250', '', '')`,
		} {
			if _, err := d.db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		s, err := d.ServiceStatuses(ctx, []int64{10, 11, 99})
		if err != nil || len(s) != 2 || s[10] != "Suspended" || s[11] != "Active" {
			t.Fatalf("services %v, %v", s, err)
		}
		c, err := d.ClientStatuses(ctx, []int64{1, 2, 99})
		if err != nil || len(c) != 2 || c[1] != "Active" || c[2] != "Inactive" {
			t.Fatalf("clients %v, %v", c, err)
		}
		q, err := d.ServiceQuotas(ctx, []int64{10, 11})
		if err != nil || len(q) != 1 || q[10] != "250" {
			t.Fatalf("quotas %v, %v", q, err)
		}
		// The reseller portal's plan: the product's name.
		if p, err := d.ServicePlans(ctx, []int64{10, 11, 99}); err != nil || len(p) != 1 || p[10] != "S3" {
			t.Fatalf("plans %v, %v", p, err)
		}
		if s, err := d.ServiceStatuses(ctx, nil); err != nil || len(s) != 0 {
			t.Fatalf("none: %v, %v", s, err)
		}
	})
	t.Run("reseller clients", func(t *testing.T) {
		d := open(t)
		mustDo := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		mustDo(whmcssim.SetClientGroup(ctx, d.db, 7, 3))
		mustDo(whmcssim.SetClientGroup(ctx, d.db, 1, 3))
		mustDo(whmcssim.SetClientGroup(ctx, d.db, 2, 4))
		mustDo(whmcssim.SetClientField(ctx, d.db, 2, "Reseller|Reseller name", "acme"))
		mustDo(whmcssim.SetClientField(ctx, d.db, 7, "Reseller|Reseller name", "beta"))
		mustDo(whmcssim.SetClientField(ctx, d.db, 1, "Reseller_x", "acme")) // '_' is no wildcard
		ids, err := d.ClientsInGroup(ctx, 3)
		if err != nil || fmt.Sprint(ids) != "[1 7]" {
			t.Fatalf("group 3: %v %v", ids, err)
		}
		if ids, err := d.ClientsInGroup(ctx, 9); err != nil || len(ids) != 0 {
			t.Fatalf("group 9: %v %v", ids, err)
		}
		if ids, err := d.ClientsWithField(ctx, "Reseller", "acme"); err != nil || fmt.Sprint(ids) != "[2]" {
			t.Fatalf("Reseller=acme: %v %v", ids, err)
		}
		if ids, err := d.ClientsWithField(ctx, "Reseller_x", "acme"); err != nil || fmt.Sprint(ids) != "[1]" {
			t.Fatalf("Reseller_x=acme: %v %v", ids, err)
		}
		_, err = d.ClientsInGroup(ctx, 0)
		wantCode(t, err, staas.EINVALID)
		_, err = d.ClientsWithField(ctx, "", "acme")
		wantCode(t, err, staas.EINVALID)
	})
	t.Run("add and list notes", func(t *testing.T) {
		d := open(t)
		id1, err := d.AddClientNote(ctx, 7, 3, "first note")
		if err != nil {
			t.Fatal(err)
		}
		id2, err := d.AddClientNote(ctx, 7, 0, "second\nnote — Grüße ✓")
		if err != nil {
			t.Fatal(err)
		}
		if id1 <= 0 || id2 <= id1 {
			t.Errorf("ids %d, %d", id1, id2)
		}
		if _, err := d.AddClientNote(ctx, 1, 3, "another client's"); err != nil {
			t.Fatal(err)
		}
		notes, err := d.ClientNotes(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		at := dbNow.Truncate(time.Second)
		want := []Note{
			{ID: id1, ClientID: 7, AdminID: 3, Created: at, Modified: at, Text: "first note"},
			{ID: id2, ClientID: 7, AdminID: 0, Created: at, Modified: at, Text: "second\nnote — Grüße ✓"},
		}
		if len(notes) != 2 {
			t.Fatalf("notes %+v", notes)
		}
		for i := range want {
			n := notes[i]
			if n.ID != want[i].ID || n.ClientID != want[i].ClientID || n.AdminID != want[i].AdminID || n.Text != want[i].Text || n.Sticky ||
				!n.Created.Equal(at) || !n.Modified.Equal(at) {
				t.Errorf("note %d = %+v, want %+v", i, n, want[i])
			}
		}
		if notes, err := d.ClientNotes(ctx, 2); err != nil || len(notes) != 0 {
			t.Errorf("client without notes: %+v %v", notes, err)
		}
	})
	t.Run("add note: bad input and missing client write nothing", func(t *testing.T) {
		d := open(t)
		for name, call := range map[string]func() error{
			"client 0":      func() error { _, err := d.AddClientNote(ctx, 0, 1, "x"); return err },
			"admin -1":      func() error { _, err := d.AddClientNote(ctx, 1, -1, "x"); return err },
			"empty":         func() error { _, err := d.AddClientNote(ctx, 1, 1, ""); return err },
			"blank":         func() error { _, err := d.AddClientNote(ctx, 1, 1, "  \r\n"); return err },
			"too long":      func() error { _, err := d.AddClientNote(ctx, 1, 1, strings.Repeat("x", 65536)); return err },
			"invalid UTF-8": func() error { _, err := d.AddClientNote(ctx, 1, 1, "a\xffb"); return err },
		} {
			if err := call(); staas.ErrorCode(err) != staas.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		_, err := d.AddClientNote(ctx, 99, 1, "x")
		wantCode(t, err, staas.ENOTFOUND)
		if n := countNotes(t, d); n != 0 {
			t.Errorf("%d notes written", n)
		}
	})
	t.Run("delete note", func(t *testing.T) {
		d := open(t)
		mine, _ := d.AddClientNote(ctx, 7, 1, "mine")
		theirs, _ := d.AddClientNote(ctx, 1, 1, "theirs")
		err := d.DeleteNote(ctx, 7, theirs)
		wantCode(t, err, staas.ENOTFOUND)
		if err := d.DeleteNote(ctx, 7, mine); err != nil {
			t.Fatal(err)
		}
		wantCode(t, d.DeleteNote(ctx, 7, mine), staas.ENOTFOUND)
		wantCode(t, d.DeleteNote(ctx, 7, 0), staas.EINVALID)
		wantCode(t, d.DeleteNote(ctx, 0, mine), staas.EINVALID)
		if notes, _ := d.ClientNotes(ctx, 1); len(notes) != 1 || notes[0].ID != theirs {
			t.Errorf("another client's note was touched: %+v", notes)
		}
	})
	t.Run("SQL in a note is only text", func(t *testing.T) {
		d := open(t)
		keep, _ := d.AddClientNote(ctx, 1, 1, "keep me")
		for _, payload := range []string{
			`'); DELETE FROM tblnotes; --`,
			`" OR 1=1; DROP TABLE tblclients; --`,
			`%' OR '1'='1`,
			"\\'; UPDATE tblclients SET email='x' WHERE '1'='1",
		} {
			id, err := d.AddClientNote(ctx, 7, 1, payload)
			if err != nil {
				t.Fatalf("%q: %v", payload, err)
			}
			notes, _ := d.ClientNotes(ctx, 7)
			if notes[len(notes)-1].ID != id || notes[len(notes)-1].Text != payload {
				t.Errorf("stored %+v", notes[len(notes)-1])
			}
		}
		if notes, _ := d.ClientNotes(ctx, 1); len(notes) != 1 || notes[0].ID != keep {
			t.Errorf("other notes changed: %+v", notes)
		}
		if c, err := d.Client(ctx, 1); err != nil || c.Email != "ada@example.com" {
			t.Errorf("clients changed: %+v %v", c, err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		d := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := d.Client(cctx, 1)
		wantCode(t, err, staas.EUNAVAILABLE)
	})
}

func countNotes(t *testing.T, d *DB) int {
	t.Helper()
	var n int
	if err := d.db.QueryRow(`SELECT COUNT(*) FROM tblnotes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDBErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{&mysql.MySQLError{Number: 1045, Message: "Access denied for user 'whmcs'@'10.0.0.5' (using password: YES)"}, staas.EUNAUTHORIZED},
		{&mysql.MySQLError{Number: 1044, Message: "Access denied for user 'whmcs'@'%' to database 'whmcs'"}, staas.EUNAUTHORIZED},
		{&mysql.MySQLError{Number: 1142, Message: "DELETE command denied to user 'staas'@'%' for table 'tblnotes'"}, staas.EUNAUTHORIZED},
		{&mysql.MySQLError{Number: 1366, Message: "Incorrect string value: '\\xF0\\x9F\\x9A\\x80' for column 'note'"}, staas.EINVALID},
		{&mysql.MySQLError{Number: 1146, Message: "Table 'x.tblnotes' doesn't exist"}, staas.EINTERNAL},
		{&mysql.MySQLError{Number: 1213, Message: "Deadlock found"}, staas.EUNAVAILABLE},
		{&mysql.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax"}, staas.EINTERNAL},
		{mysql.ErrInvalidConn, staas.EUNAVAILABLE},
		{driver.ErrBadConn, staas.EUNAVAILABLE},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, staas.EUNAVAILABLE},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), staas.EUNAVAILABLE},
		{errors.New("database is locked (5) (SQLITE_BUSY)"), staas.EUNAVAILABLE},
		{errors.New("something else"), staas.EINTERNAL},
		{staas.Errorf(staas.ENOTFOUND, "WHMCS: no client 9"), staas.ENOTFOUND},
	} {
		err := dbError("add client note", tc.err)
		if staas.ErrorCode(err) != tc.code {
			t.Errorf("%v: %v, want %s", tc.err, err, tc.code)
		}
		if tc.code != staas.ENOTFOUND {
			// The admin reads a sentence; the driver's words, its
			// error number and staas's op stay in the log's detail.
			msg := staas.ErrorMessage(err)
			for _, internal := range []string{tc.err.Error(), "WHMCS database:", "Error ", "SQL", "tbl", "@", "10.0.0.5", "1045", "SQLITE", "dial", "deadline", "invalid connection", "bad connection"} {
				if strings.Contains(msg, internal) {
					t.Errorf("%v: the admin's message %q shows %q", tc.err, msg, internal)
				}
			}
			if !strings.Contains(msg, "add the client note") || !strings.HasSuffix(msg, ".") {
				t.Errorf("%v: the admin's message %q does not say what failed", tc.err, msg)
			}
			if d := staas.ErrorDetail(err); !strings.Contains(d, "WHMCS database: add client note") || !strings.Contains(d, tc.err.Error()) {
				t.Errorf("%v: the log's detail %q lacks the driver's error", tc.err, d)
			}
		}
		if tc.code != staas.ENOTFOUND && !errors.Is(err, tc.err) {
			t.Errorf("%v: the driver's error is not kept for the logs", tc.err)
		}
	}
}

func TestOpenMySQL(t *testing.T) {
	const password = "DB-PASSWORD-never-shown"
	d, err := OpenMySQL("whmcs:"+password+"@tcp(127.0.0.1:1)/whmcs", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Nothing listens on port 1: the first call says so, without the DSN.
	_, err = d.Client(context.Background(), 1)
	wantCode(t, err, staas.EUNAVAILABLE)
	if strings.Contains(err.Error(), password) || strings.Contains(fmt.Sprintf("%+v", err), password) {
		t.Errorf("password in %v", err)
	}
	// The portal's reads say what they could not read, as the others do.
	for want, read := range map[string]func(context.Context, []int64) (map[int64]string, error){
		"read the services' statuses": d.ServiceStatuses, "read the clients' statuses": d.ClientStatuses,
		"read the services' quotas": d.ServiceQuotas, "read the services' products": d.ServicePlans,
	} {
		_, err := read(context.Background(), []int64{1})
		wantCode(t, err, staas.EUNAVAILABLE)
		if msg := staas.ErrorMessage(err); !strings.Contains(msg, want) {
			t.Errorf("the admin reads %q, not that staas could not %s", msg, want)
		}
	}
	for _, bad := range []string{"whmcs:" + password + "@tcp(127.0.0.1:3306/whmcs", "whmcs:" + password + "@tcp(x)/whmcs?parseTime=maybe"} {
		_, err := OpenMySQL(bad, time.Second)
		wantCode(t, err, staas.EINVALID)
		if strings.Contains(err.Error(), password) {
			t.Errorf("password in %v", err)
		}
	}
}

func TestParseDatetime(t *testing.T) {
	want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range []any{want, "2026-01-02 03:04:05", []byte("2026-01-02 03:04:05"), "2026-01-02T03:04:05Z", "2026-01-02 03:04:05+00:00"} {
		if got := toTime(v); !got.Equal(want) {
			t.Errorf("%v: %v", v, got)
		}
	}
	for _, v := range []any{nil, "0000-00-00 00:00:00", "garbage", 12} {
		if got := toTime(v); !got.IsZero() {
			t.Errorf("%v: %v", v, got)
		}
	}
}
