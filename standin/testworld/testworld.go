// Package testworld builds, for tests, the world an admin action runs in:
// the ostor gateway simulator behind a real client, staas's store on
// SQLite, and a WHMCS database holding clients and notes. Every part is a
// real one; handlers, provisioning and command tests share this one setup
// so they cannot drift apart.
package testworld

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the WHMCS stand-in's database

	"staas"
	"staas/internal/ostor"
	"staas/internal/store"
	"staas/internal/whmcs"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
)

// World is one test's gateway, store and WHMCS.
type World struct {
	Sim *ostorsim.Sim
	// URL serves Sim: its admin API and its S3 data plane.
	URL     string
	Gateway *ostor.Client
	Store   *store.Store
	WHMCSDB *sql.DB
	WHMCS   *whmcs.DB
	Bridge  *whmcs.DBBridge
}

// Options adjust a World.
type Options struct {
	// Sim configures the simulator; Seed defaults to 1.
	Sim ostorsim.Options
	// Clients are the WHMCS clients; by default one, Alice, client 1.
	Clients []staas.Client
}

// New builds a World whose parts are closed when the test ends.
func New(t testing.TB, o Options) *World {
	t.Helper()
	ctx := context.Background()
	if o.Sim.Seed == 0 {
		o.Sim.Seed = 1
	}
	sim := ostorsim.MustNew(o.Sim)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	creds := sim.SystemCredentials()
	cfg := ostor.Config{Endpoint: srv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 5 * time.Second}
	if !o.Sim.WallClock {
		cfg.Now = sim.Now
	}
	gw, err := ostor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := store.Open(ctx, "sqlite", filepath.Join(dir, "staas.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "whmcs.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := whmcssim.CreateSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	clients := o.Clients
	if len(clients) == 0 {
		clients = []staas.Client{{ID: 1, FirstName: "Alice", LastName: "Archer", Email: "alice@example.com", Status: "Active"}}
	}
	if err := whmcssim.SeedClients(ctx, db, clients); err != nil {
		t.Fatal(err)
	}
	w := whmcs.NewDB(db)
	return &World{Sim: sim, URL: srv.URL, Gateway: gw, Store: st, WHMCSDB: db, WHMCS: w, Bridge: whmcs.NewDBBridge(w)}
}

// Notes returns the text of a client's notes, oldest first.
func (w *World) Notes(t testing.TB, clientID int64) []string {
	t.Helper()
	ns, err := w.WHMCS.ClientNotes(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.Text)
	}
	return out
}
