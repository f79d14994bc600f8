package whmcs

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"staas"
	"staas/standin/mariadbtest"
	"staas/standin/whmcssim"
)

// A private MariaDB for this test binary: the database suites run on it
// as on SQLite, so the SQL is proven portable, not assumed.
func TestMain(m *testing.M) { mariadbtest.Main(m) }

func openMariaDB(t *testing.T) *DB {
	t.Helper()
	d, err := OpenMySQL(mariadbtest.NewDatabase(t), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	seedWHMCS(t, d.db)
	d.now = func() time.Time { return dbNow }
	return d
}

func TestDBMariaDB(t *testing.T)      { testDB(t, openMariaDB) }
func TestS3NotesMariaDB(t *testing.T) { testS3NotesDB(t, openMariaDB) }

// TestMariaDBKeepsWHMCSCharset: WHMCS's tables are utf8 (3 bytes a
// character), so a 4-byte character cannot be stored; the bridge says so
// as bad input and writes nothing.
func TestMariaDBKeepsWHMCSCharset(t *testing.T) {
	d := openMariaDB(t)
	_, err := d.AddClientNote(context.Background(), 7, 1, "rocket 🚀")
	wantCode(t, err, staas.EINVALID)
	wantMessage(t, err, "cannot store this text")
	if n := countNotes(t, d); n != 0 {
		t.Errorf("%d notes written", n)
	}
}

// TestAPIBridgeOnMariaDB runs the stand-in's API over MariaDB, as a real
// WHMCS runs over MySQL.
func TestAPIBridgeOnMariaDB(t *testing.T) {
	ctx := context.Background()
	d := openMariaDB(t)
	sim := whmcssim.NewAPI(d.db, whmcssim.Credentials{Identifier: testIdentifier, Secret: testAPISecret, AccessKey: testAccessKey})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	b := NewAPIBridge(testAPIClient(t, srv.URL+whmcssim.APIPath, nil))
	c, err := b.Client(ctx, 1)
	if err != nil || c.CompanyName != "Analytical Engines" || c.Status != "Active" {
		t.Fatalf("%+v %v", c, err)
	}
	list, total, err := b.api.Clients(ctx, "gr", 0, 10)
	if err != nil || total != 1 || list[0].ID != 7 {
		t.Fatalf("%d %+v %v", total, list, err)
	}
	if err := b.AddS3Note(ctx, 7, 3, noteA1); err != nil {
		t.Fatal(err)
	}
	if _, manual, err := b.RemoveS3Notes(ctx, 7, 3, noteA1.UserID, noteA1.AccessKeyID); err != nil || !manual {
		t.Fatalf("manual %v, %v", manual, err)
	}
	notes, err := d.ClientNotes(ctx, 7)
	if err != nil || len(notes) != 2 || notes[0].Text != FormatS3Note(noteA1) || notes[1].AdminID != 1 {
		t.Fatalf("%+v %v", notes, err)
	}
	// What the API wrote, the database bridge removes exactly.
	if removed, _, err := NewDBBridge(d).RemoveS3Notes(ctx, 7, 3, noteA1.UserID, ""); err != nil || removed != 1 {
		t.Errorf("removed %d, %v", removed, err)
	}
}
