package whmcs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"staas/standin/mariadbtest"
)

// readmeGrant is one GRANT line of the README's "Deploy" section:
// GRANT <privileges> ON whmcs.<table> TO 'staas'@'<host>';
var readmeGrant = regexp.MustCompile(`^\s*GRANT ([A-Z, ]+) ON whmcs\.(\w+) TO 'staas'@'[^']+';\s*$`)

// TestGrantsInREADME: the MySQL grants the README tells an admin to give
// staas on WHMCS's database are enough for everything staas does there,
// and the README lists nothing broader than a table's privileges. It runs
// the README's own GRANT lines on a private MariaDB and works as that
// user: read a client, add a note, list and remove notes.
func TestGrantsInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var grants [][]string
	for _, line := range strings.Split(string(readme), "\n") {
		if m := readmeGrant.FindStringSubmatch(line); m != nil {
			grants = append(grants, m[1:])
		}
	}
	if len(grants) == 0 {
		t.Fatal("README.md has no line GRANT … ON whmcs.<table> TO 'staas'@'…';")
	}

	ctx := context.Background()
	rootDSN := mariadbtest.NewDatabase(t)
	root := openMariaDBAt(t, rootDSN) // WHMCS's tables, seeded, as root
	cfg, err := mysql.ParseDSN(rootDSN)
	if err != nil {
		t.Fatal(err)
	}
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	user, password := "staas_"+hex.EncodeToString(raw[:]), hex.EncodeToString(raw[:])+"-pw"
	exec := func(q string) {
		t.Helper()
		if _, err := root.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'")
	t.Cleanup(func() { _, _ = root.db.ExecContext(context.Background(), "DROP USER '"+user+"'@'%'") })
	for _, g := range grants {
		exec("GRANT " + g[0] + " ON `" + cfg.DBName + "`." + g[1] + " TO '" + user + "'@'%'")
	}

	cfg.User, cfg.Passwd = user, password
	d, err := OpenMySQL(cfg.FormatDSN(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	b := NewDBBridge(d)
	if c, err := b.Client(ctx, 7); err != nil || c.Email != "grace@example.com" {
		t.Fatalf("reading a client with the README's grants: %+v, %v", c, err)
	}
	if err := b.AddS3Note(ctx, 7, 3, noteA1); err != nil {
		t.Fatalf("adding a note with the README's grants: %v", err)
	}
	if notes, err := d.ClientNotes(ctx, 7); err != nil || len(notes) != 1 {
		t.Fatalf("listing notes with the README's grants: %+v, %v", notes, err)
	}
	if removed, manual, err := b.RemoveS3Notes(ctx, 7, 3, noteA1.UserID, noteA1.AccessKeyID); err != nil || removed != 1 || manual {
		t.Fatalf("removing a note with the README's grants: removed %d, manual %v, %v", removed, manual, err)
	}

	if _, err := d.ClientsInGroup(ctx, 3); err != nil {
		t.Fatalf("reading a client group with the README's grants: %v", err)
	}
	if _, err := d.ClientsWithField(ctx, "Reseller", "acme"); err != nil {
		t.Fatalf("reading a custom field's clients with the README's grants: %v", err)
	}

	// Nothing beyond: the user can change no client.
	if _, err := d.db.ExecContext(ctx, "UPDATE tblclients SET email = 'x@example.com' WHERE id = 7"); err == nil {
		t.Error("the README's grants let staas change tblclients")
	}
}

// openMariaDBAt opens a database mariadbtest made, with WHMCS's tables
// seeded.
func openMariaDBAt(t *testing.T, dsn string) *DB {
	t.Helper()
	d, err := OpenMySQL(dsn, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	seedWHMCS(t, d.db)
	return d
}

// TestAPIRoleInREADME: the API role the README tells an admin to create
// allows exactly the actions staas's API bridge (what `staas serve` uses
// in mode api) calls, every Bridge method run once.
func TestAPIRoleInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, `create a role "staas"`)
	j := strings.Index(text, "then on **API Credentials**")
	if i < 0 || j < i {
		t.Fatal(`README.md no longer says: create a role "staas" allowing … then on **API Credentials** …`)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`\*\*([A-Z][A-Za-z]+)\*\*`).FindAllStringSubmatch(text[i:j], -1) {
		documented[m[1]] = true
	}

	var mu sync.Mutex
	called := map[string]bool{}
	env := newSimEnv(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil {
				mu.Lock()
				called[form.Get("action")] = true
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	var b Bridge = NewAPIBridge(env.client)
	if _, err := b.Client(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := b.AddS3Note(ctx, 7, 3, noteA1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.RemoveS3Notes(ctx, 7, 3, noteA1.UserID, noteA1.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	for action := range called {
		if !documented[action] {
			t.Errorf("staas calls the WHMCS API action %s, which the README's role does not allow", action)
		}
	}
	for action := range documented {
		if !called[action] {
			t.Errorf("the README's role allows %s, which staas does not call", action)
		}
	}
}
