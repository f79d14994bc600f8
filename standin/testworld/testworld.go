// Package testworld builds, for tests, the world an admin action runs in:
// the ostor gateway simulator behind a real client (one simulator per
// cluster when a test asks for several, with the cluster registry over
// them; Dell ECS clusters simulated by ecssim when asked), staas's store on SQLite, and a WHMCS database holding clients
// and notes. Every part is a
// real one; handlers, provisioning and command tests share this one setup
// so they cannot drift apart.
package testworld

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the WHMCS stand-in's database

	"staas"
	"staas/internal/cluster"
	"staas/internal/ecs"
	"staas/internal/ostor"
	"staas/internal/store"
	"staas/internal/whmcs"
	"staas/standin/ecssim"
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
	// StoreDSN is Store's SQLite file, for a test that opens the store
	// as a subcommand does (STAAS_STORE_DSN).
	StoreDSN string
	WHMCSDB  *sql.DB
	WHMCS    *whmcs.DB
	Bridge   *whmcs.DBBridge
	// Clusters are the simulated clusters by name: "default" (Sim, URL
	// and Gateway above) and each of Options.Clusters.
	Clusters map[string]*Cluster
	// ECS are the simulated Dell ECS clusters by name, each of
	// Options.ECS; the registry speaks to them as kind ecs.
	ECS map[string]*ECSCluster
	// Registry routes by cluster name over Clusters and ECS, as serve's does; it
	// is registered in Store too.
	Registry *cluster.Registry
}

// Cluster is one simulated cluster of a World.
type Cluster struct {
	Name    string
	Sim     *ostorsim.Sim
	URL     string
	Gateway *ostor.Client
}

// ECSCluster is one simulated Dell ECS cluster of a World.
type ECSCluster struct {
	Name string
	Sim  *ecssim.Server
	URL  string
}

// ECS management login of every simulated ECS cluster.
const (
	ECSUser     = "staas-admin"
	ECSPassword = "ecs-secret-1"
)

// Options adjust a World.
type Options struct {
	// Sim configures the simulator; Seed defaults to 1.
	Sim ostorsim.Options
	// Clients are the WHMCS clients; by default one, Alice, client 1.
	Clients []staas.Client
	// Clusters names the clusters besides "default", each simulated by a
	// simulator of its own (seeded apart, so user ids differ).
	Clusters []string
	// ECS names Dell ECS clusters, each simulated by an ecssim server
	// whose clock starts at Sim.Start (and follows the wall clock with
	// Sim.WallClock).
	ECS []string
}

// New builds a World whose parts are closed when the test ends.
func New(t testing.TB, o Options) *World {
	t.Helper()
	ctx := context.Background()
	if o.Sim.Seed == 0 {
		o.Sim.Seed = 1
	}
	clusters := map[string]*Cluster{}
	for i, name := range append([]string{"default"}, o.Clusters...) {
		so := o.Sim
		so.Seed += uint64(i) * 1000
		clusters[name] = newCluster(t, name, so)
	}
	ecsClusters := map[string]*ECSCluster{}
	for _, name := range o.ECS {
		e, err := ecssim.New(ecssim.Options{Username: ECSUser, Password: ECSPassword, Start: o.Sim.Start, WallClock: o.Sim.WallClock})
		if err != nil {
			t.Fatal(err)
		}
		srv := e.NewTestServer()
		t.Cleanup(srv.Close)
		ecsClusters[name] = &ECSCluster{Name: name, Sim: e, URL: srv.URL}
	}
	sim, gw := clusters["default"].Sim, clusters["default"].Gateway
	dir := t.TempDir()
	dsn := filepath.Join(dir, "staas.db")
	st, err := store.Open(ctx, "sqlite", dsn)
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
	world := &World{Sim: sim, URL: clusters["default"].URL, Gateway: gw, Store: st, StoreDSN: dsn, WHMCSDB: db, WHMCS: w, Bridge: whmcs.NewDBBridge(w), Clusters: clusters, ECS: ecsClusters}
	world.Registry = registry(t, ctx, st, clusters, ecsClusters, o.Sim.WallClock)
	return world
}

func newCluster(t testing.TB, name string, o ostorsim.Options) *Cluster {
	t.Helper()
	sim := ostorsim.MustNew(o)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	creds := sim.SystemCredentials()
	cfg := ostor.Config{Endpoint: srv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 5 * time.Second}
	if !o.WallClock {
		cfg.Now = sim.Now
	}
	gw, err := ostor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Cluster{Name: name, Sim: sim, URL: srv.URL, Gateway: gw}
}

// registry registers the clusters in st, with env: credentials answered
// from the simulators, and loads the registry as serve does.
func registry(t testing.TB, ctx context.Context, st *store.Store, clusters map[string]*Cluster, ecsClusters map[string]*ECSCluster, wallClock bool) *cluster.Registry {
	t.Helper()
	env := map[string]string{}
	for name, c := range clusters {
		prefix := "SIM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		creds := c.Sim.SystemCredentials()
		env[prefix+"_ACCESS_KEY"], env[prefix+"_SECRET_KEY"] = creds.AccessKey, creds.SecretKey
		sc := store.Cluster{Name: name, Kind: store.ClusterOstor, AdminEndpoint: c.URL, Signature: "v2", Region: "us-east-1",
			Credentials: "env:" + prefix, IsDefault: name == "default"}
		if err := st.AddCluster(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range ecsClusters {
		prefix := "ECS_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		env[prefix+"_ACCESS_KEY"], env[prefix+"_SECRET_KEY"] = ECSUser, ECSPassword
		sc := store.Cluster{Name: name, Kind: store.ClusterECS, AdminEndpoint: c.URL, Signature: "v4", Credentials: "env:" + prefix}
		if err := st.AddCluster(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	reg, err := cluster.Load(ctx, st, cluster.Config{
		Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Ostor:  ostor.Config{Timeout: 5 * time.Second},
		Adjust: func(name string, c *ostor.Config) {
			if !wallClock {
				c.Now = clusters[name].Sim.Now
			}
		},
		ECS: ecs.Config{Timeout: 5 * time.Second},
		AdjustECS: func(name string, c *ecs.Config) {
			if !wallClock {
				c.Now = ecsClusters[name].Sim.Now
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
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
