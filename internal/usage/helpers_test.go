package usage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/internal/store"
	"staas/standin/mariadbtest"
	"staas/standin/ostorsim"
)

func TestMain(m *testing.M) { mariadbtest.Main(m) }

// backend is one database the store runs on; the store-facing tests run
// on each.
type backend struct {
	name, driver string
	dsn          func(t testing.TB) string
}

var backends = []backend{
	{"sqlite", "sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "staas.db") }},
	{"mariadb", "mysql", mariadbtest.NewDatabase},
}

// eachBackend runs fn as a parallel subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func openStore(t testing.TB, b backend, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(ctxFor(t), b.driver, dsn)
	if err != nil {
		t.Fatalf("store.Open(%s): %v", b.driver, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// env is a simulated gateway behind a loopback HTTP server, its client,
// and a store.
type env struct {
	t   testing.TB
	b   backend
	dsn string
	sim *ostorsim.Sim
	srv *httptest.Server
	gw  *ostor.Client
	st  *store.Store
}

func newEnv(t testing.TB, b backend, opts ostorsim.Options) *env {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	sim := ostorsim.MustNew(opts)
	srv := httptest.NewServer(sim) // 127.0.0.1
	t.Cleanup(srv.Close)
	creds := sim.SystemCredentials()
	gw, err := ostor.New(ostor.Config{Endpoint: srv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey,
		Now: sim.Now, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, b: b, dsn: b.dsn(t), sim: sim, srv: srv, gw: gw}
	e.st = openStore(t, b, e.dsn)
	return e
}

// reopen closes the store and opens it again, as a restarted process would.
func (e *env) reopen() {
	e.t.Helper()
	e.st.Close()
	e.st = openStore(e.t, e.b, e.dsn)
}

func (e *env) collector(mod ...func(*Config)) *Collector {
	e.t.Helper()
	cfg := Config{Gateway: e.gw, Store: e.st, Now: e.sim.Now}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// user creates an S3 user on the gateway and, when mapped, maps it to a
// WHMCS client.
func (e *env) user(email string, clientID int64, mapped bool) string {
	e.t.Helper()
	u, err := e.gw.CreateUser(ctxFor(e.t), email)
	if err != nil {
		e.t.Fatal(err)
	}
	if mapped {
		if err := e.st.SaveS3User(ctxFor(e.t), staas.S3User{ClientID: clientID, Cluster: "default", UserID: u.ID, Email: email}); err != nil {
			e.t.Fatal(err)
		}
	}
	return u.ID
}

// traffic makes periods of random traffic for users, on their buckets and
// at user level, and closes every period.
func (e *env) traffic(rng *rand.Rand, periods int, users map[string][]string) {
	e.t.Helper()
	for p := 0; p < periods; p++ {
		for email, buckets := range users {
			for _, b := range append([]string{""}, buckets...) {
				if rng.IntN(4) == 0 {
					continue
				}
				tr := ostorsim.Traffic{Email: email, Bucket: b, Put: rng.Uint64N(50), Get: rng.Uint64N(500), List: rng.Uint64N(20),
					Other: rng.Uint64N(5), Uploaded: rng.Uint64N(1 << 30), Downloaded: rng.Uint64N(1 << 32)}
				if err := e.sim.AddTraffic(tr); err != nil {
					e.t.Fatal(err)
				}
			}
		}
		e.sim.Advance(ostorsim.DefaultUsagePeriod)
	}
}

// seedWorld makes three mapped users and one unknown one, with buckets,
// and some periods of traffic.
func (e *env) seedWorld(periods int) {
	e.t.Helper()
	users := map[string][]string{}
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com", "stranger@example.com"} {
		e.user(email, int64(i+1), email != "stranger@example.com")
		var buckets []string
		for j := 0; j < i%3+1; j++ {
			name := fmt.Sprintf("bucket-%d-%d", i, j)
			if err := e.sim.CreateBucket(email, name); err != nil {
				e.t.Fatal(err)
			}
			buckets = append(buckets, name)
		}
		users[email] = buckets
	}
	e.traffic(rand.New(rand.NewPCG(1, 2)), periods, users)
}

// ledger sums the whole ledger by user and bucket, as the simulator's
// ground truth counts.
func (e *env) ledger() map[ostorsim.UsageKey]ostorsim.Counters {
	e.t.Helper()
	out := map[ostorsim.UsageKey]ostorsim.Counters{}
	err := e.st.EachUsageRow(ctxFor(e.t), "default", func(r store.UsageRow) error {
		k := ostorsim.UsageKey{UserID: r.UserID, Bucket: r.Bucket}
		c := out[k]
		c.Put += r.Put
		c.Get += r.Get
		c.List += r.List
		c.Other += r.Other
		c.Uploaded += r.Uploaded
		c.Downloaded += r.Downloaded
		out[k] = c
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// wantGroundTruth checks the ledger against the simulator to the byte and
// that no object is left on the gateway.
func (e *env) wantGroundTruth() {
	e.t.Helper()
	got, want := e.ledger(), e.sim.UsageGroundTruth()
	if len(got) != len(want) {
		e.t.Errorf("ledger has %d (user, bucket) pairs, ground truth %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			e.t.Errorf("%s/%q: ledger %+v, ground truth %+v", k.UserID, k.Bucket, got[k], w)
		}
	}
	if left := e.sim.UsageObjectNames(); len(left) != 0 {
		e.t.Errorf("%d objects left on the gateway: %v", len(left), left[:min(len(left), 5)])
	}
}

// runUntilDone runs fresh collectors until one finds nothing to do.
func (e *env) runUntilDone(maxRuns int) Result {
	e.t.Helper()
	var total Result
	for run := 0; run < maxRuns; run++ {
		res, err := e.collector().Run(ctxFor(e.t))
		total.Collected += res.Collected
		total.Deleted += res.Deleted
		total.Skipped += res.Skipped
		total.Items += res.Items
		total.UnknownItems += res.UnknownItems
		if err == nil && res.Listed == 0 {
			return total
		}
	}
	e.t.Fatalf("objects still listed after %d runs", maxRuns)
	return total
}

func s3User(clientID int64, userID string) staas.S3User {
	return staas.S3User{ClientID: clientID, Cluster: "default", UserID: userID, Email: userID + "@example.com"}
}
