package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the stand-in's WHMCS database

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/s3data"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/internal/whmcs"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
	"staas/whmcsbridge"
)

// Options configure a demo.
type Options struct {
	// Addr is where the WHMCS stand-in listens (the URL to open).
	Addr string
	// Dir holds the two SQLite databases: staas's own and the stand-in
	// WHMCS's.
	Dir    string
	Logger *slog.Logger
}

// Demo is a running demo.
type Demo struct {
	// URL of the WHMCS stand-in's client list.
	URL string
	// StaasURL is staas itself, as the shim reaches it.
	StaasURL string
	Sim      *ostorsim.Sim
	Store    *store.Store
	WHMCS    *sql.DB

	servers      []*http.Server
	stopSampling func()
}

// every runs fn now and then every interval until the returned stop is
// called; stop waits for a run in progress.
func (d *Demo) every(interval time.Duration, fn func(context.Context)) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fn(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Clients of the demo's WHMCS. The first three have S3 users with buckets
// and traffic; Dave has none yet, so Create User can be tried; the last
// one's details carry markup, to show that it is displayed, not run.
var Clients = []staas.Client{
	{ID: 1, FirstName: "Alice", LastName: "Archer", CompanyName: "Archer Photography", Email: "alice@example.com", Status: "Active"},
	{ID: 2, FirstName: "Bob", LastName: "Baker", CompanyName: "Baker Data Ltd", Email: "bob@example.com", Status: "Active"},
	{ID: 3, FirstName: "Carol", LastName: "Cole", CompanyName: "Cole Archives", Email: "carol@example.com", Status: "Active"},
	{ID: 4, FirstName: "Dave", LastName: "Dunn", CompanyName: "", Email: "dave@example.com", Status: "Active"},
	{ID: 5, FirstName: `<script>alert("xss")</script>`, LastName: `"><img src=x onerror=alert(1)>`, CompanyName: `Robert'); DROP TABLE tblclients;--`, Email: "mallory+test@example.com", Status: "Active"},
}

// Start runs the demo until ctx ends; Close stops it.
func Start(ctx context.Context, o Options) (*Demo, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Demo{}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()

	// The page to open comes first: a busy port is the likeliest mistake,
	// and it must fail alone, before anything has started, not after the
	// simulator, the databases and the sampler that Close then stops.
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	standinLn, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !ok {
			standinLn.Close()
		}
	}()

	// The gateway: a simulator following the wall clock, seeded with a
	// day of history, and enough extra users to page through.
	sim, err := ostorsim.New(ostorsim.Options{WallClock: true})
	if err != nil {
		return nil, err
	}
	if err := sim.SeedDemo(); err != nil {
		return nil, err
	}
	d.Sim = sim
	gwURL, err := d.listen("127.0.0.1:0", sim)
	if err != nil {
		return nil, err
	}
	creds := sim.SystemCredentials()
	gw, err := ostor.New(ostor.Config{Endpoint: gwURL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	for i := 1; i <= 60; i++ {
		if _, err := gw.CreateUser(ctx, fmt.Sprintf("user%03d@example.net", i)); err != nil {
			return nil, fmt.Errorf("demo users: %w", err)
		}
	}

	// staas's own store, and the stand-in WHMCS's database.
	if d.Store, err = store.Open(ctx, "sqlite", filepath.Join(o.Dir, "staas.db")); err != nil {
		return nil, err
	}
	if d.WHMCS, err = sql.Open("sqlite", "file:"+filepath.Join(o.Dir, "whmcs.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"); err != nil {
		return nil, err
	}
	if err := whmcssim.CreateSchema(ctx, d.WHMCS); err != nil {
		return nil, err
	}
	if err := whmcssim.SeedClients(ctx, d.WHMCS, Clients); err != nil {
		return nil, err
	}
	bridge := whmcs.NewDBBridge(whmcs.NewDB(d.WHMCS))

	// "Empty and delete" of a bucket goes through the simulator's S3 data
	// plane, as staas serve's goes through the cluster's.
	purger, err := s3data.New(s3data.Config{Endpoint: gwURL, Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	svc := provision.New(provision.Config{Gateway: gw, Store: d.Store, WHMCS: bridge, Logger: log, Purger: purger,
		// As serve by default (STAAS_NOTES_WITH_SECRET=false): notes name the
		// key, the secret is revealed on the page.
		NotesWithoutSecret: true})
	if err := seedMappings(ctx, gw, d.Store, bridge); err != nil {
		return nil, err
	}
	// One collection, so the usage history has the seeded day's traffic;
	// the objects stay for the guide's statistics panels.
	col, err := usage.New(usage.Config{Gateway: gw, Store: d.Store, KeepObjects: true, Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := col.Run(ctx); err != nil {
		return nil, fmt.Errorf("demo usage collection: %w", err)
	}
	// Bucket sizes are sampled every minute, so the usage history's
	// storage columns fill in while the demo runs.
	sampler, err := usage.NewSampler(usage.Config{Gateway: gw, Store: d.Store, Logger: log})
	if err != nil {
		return nil, err
	}
	d.stopSampling = d.every(time.Minute, func(ctx context.Context) {
		// A run cut short by Close is no failure worth a warning.
		if _, err := sampler.Run(ctx); err != nil && ctx.Err() == nil {
			log.Warn("demo: sampling bucket sizes", "err", err)
		}
	})

	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	shimSecret := []byte(hex.EncodeToString(secret))
	e, err := handlers.New(handlers.Deps{
		Logger:    log,
		Checks:    []handlers.ReadinessCheck{{Name: "ostor", Ping: gw.Ping}, {Name: "store", Ping: d.Store.Ping}},
		Shim:      &whmcsbridge.Verifier{Secret: shimSecret, Nonces: d.Store},
		Provision: svc,
		Panels:    d.Store,

		Usage:         &usage.Figures{Reader: &usage.Reader{Store: d.Store}, Services: d.Store, Quotas: gw, Log: log},
		UsageSchedule: "The demo collected usage once, when it started, and samples bucket sizes every minute: storage figures appear after two samples.",
		Audit:         d.Store,
		Services:      d.Store,
		// The demo's collection and sampling run on their own timers.
		Daily: func(context.Context) []string { return nil },
	})
	if err != nil {
		return nil, err
	}
	if d.StaasURL, err = d.listen("127.0.0.1:0", e); err != nil {
		return nil, err
	}

	si, err := NewStandIn(d.StaasURL, shimSecret, directory{db: d.WHMCS, bridge: whmcs.NewDB(d.WHMCS)}, log)
	if err != nil {
		return nil, err
	}
	d.URL = d.serve(standinLn, si.Handler()) + "/"
	ok = true
	return d, nil
}

// seedMappings links the simulator's demo customers to WHMCS clients 1–3
// and writes the guide's note for each key pair, as Create User would have.
func seedMappings(ctx context.Context, gw *ostor.Client, st *store.Store, bridge *whmcs.DBBridge) error {
	for _, c := range Clients[:3] {
		u, err := gw.User(ctx, ostor.ByEmail(c.Email))
		if err != nil {
			return fmt.Errorf("demo user %s: %w", c.Email, err)
		}
		now := time.Now().UTC()
		if err := st.SaveS3User(ctx, staas.S3User{ClientID: c.ID, Cluster: "default", UserID: u.ID, Email: c.Email, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for _, k := range u.Keys {
			if err := bridge.AddS3Note(ctx, c.ID, 1, staas.S3Note{UserID: u.ID, AccessKeyID: k.AccessKeyID}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Demo) listen(addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	return d.serve(ln, h), nil
}

// serve serves h on ln until Close and returns ln's URL.
func (d *Demo) serve(ln net.Listener, h http.Handler) string {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	d.servers = append(d.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err
		}
	}()
	return "http://" + ln.Addr().String()
}

// Close stops the servers and closes the databases.
func (d *Demo) Close() {
	if d.stopSampling != nil {
		d.stopSampling()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range d.servers {
		_ = s.Shutdown(ctx)
	}
	if d.Store != nil {
		_ = d.Store.Close()
	}
	if d.WHMCS != nil {
		_ = d.WHMCS.Close()
	}
}
