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
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the stand-in's WHMCS database

	"staas"
	"staas/internal/cluster"
	"staas/internal/ecs"
	"staas/internal/ostor"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/internal/whmcs"
	"staas/standin/ecssim"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
)

// Options configure a demo.
type Options struct {
	// Addr is where the WHMCS stand-in listens (the URL to open).
	Addr string
	// Dir holds the two SQLite databases: staas's own and the stand-in
	// WHMCS's.
	Dir    string
	Logger *slog.Logger
	// Build makes staas's HTTP handler from the demo's stand-ins; staas
	// demo passes the wiring staas serve uses (cmd/staas), so the demo
	// runs the product itself and this package never imports it.
	Build func(ctx context.Context, w Wiring) (http.Handler, error)
}

// Wiring is what the demo gives Build: its store, its WHMCS stand-in, the
// registry of its simulated clusters, and the shim secret the stand-in
// signs with.
type Wiring struct {
	Logger        *slog.Logger
	Store         *store.Store
	WHMCS         *whmcs.DBBridge
	Clusters      *cluster.Registry
	ShimSecret    []byte
	UsageSchedule string
	// Every runs fn now and then every interval until the demo closes
	// (which waits for a run in progress): the background work serve
	// would run, such as retrying queued client events.
	Every func(interval time.Duration, fn func(context.Context))
}

// Clusters are the demo's simulated clusters: "default", with the seeded
// customers, and a second one, empty, that a WHMCS server entry naming
// it would provision on.
var Clusters = []string{"default", "eu-2"}

// ECSCluster is the demo's Dell ECS cluster, simulated in process by
// ecssim with its demo namespaces; an admin can Create User on it.
const ECSCluster = "ecs-1"

// Demo is a running demo.
type Demo struct {
	// URL of the WHMCS stand-in's client list.
	URL string
	// StaasURL is staas itself, as the shim reaches it.
	StaasURL string
	// Sim is the default cluster's simulator; Sims has every cluster's.
	Sim  *ostorsim.Sim
	Sims map[string]*ostorsim.Sim
	// ECS simulates the ECS cluster ECSCluster.
	ECS   *ecssim.Server
	Store *store.Store
	WHMCS *sql.DB

	servers      []*http.Server
	stopSampling func()
	stopWork     []func() // the build's background work (Wiring.Every)
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
// and traffic on the ostor cluster "default"; Dave has none yet, so Create
// User can be tried; client 5's details carry markup, to show that they are
// displayed, not run; Erin's S3 user is on the ECS cluster, with buckets and
// a day of traffic, so its bucket billing info panel has rows.
var Clients = []staas.Client{
	{ID: 1, FirstName: "Alice", LastName: "Archer", CompanyName: "Archer Photography", Email: "alice@example.com", Status: "Active"},
	{ID: 2, FirstName: "Bob", LastName: "Baker", CompanyName: "Baker Data Ltd", Email: "bob@example.com", Status: "Active"},
	{ID: 3, FirstName: "Carol", LastName: "Cole", CompanyName: "Cole Archives", Email: "carol@example.com", Status: "Active"},
	{ID: 4, FirstName: "Dave", LastName: "Dunn", CompanyName: "", Email: "dave@example.com", Status: "Active"},
	{ID: 5, FirstName: `<script>alert("xss")</script>`, LastName: `"><img src=x onerror=alert(1)>`, CompanyName: `Robert'); DROP TABLE tblclients;--`, Email: "mallory+test@example.com", Status: "Active"},
	{ID: 6, FirstName: "Erin", LastName: "Evans", CompanyName: "Evans Media", Email: "erin@example.com", Status: "Active"},
}

// ecsClient is the demo client whose S3 user lives on ECSCluster.
var ecsClient = Clients[5]

// Start runs the demo until ctx ends; Close stops it.
func Start(ctx context.Context, o Options) (*Demo, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Build == nil {
		return nil, errors.New("demo: Options.Build is required (cmd/staas wires staas)")
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

	// The gateways: a simulator per cluster following the wall clock; the
	// default one seeded with a day of history and enough extra users to
	// page through.
	d.Sims = map[string]*ostorsim.Sim{}
	urls := map[string]string{}
	env := map[string]string{}
	for _, name := range Clusters {
		// Seed 0: random ids and keys, as a real cluster's.
		sim, err := ostorsim.New(ostorsim.Options{WallClock: true})
		if err != nil {
			return nil, err
		}
		if name == "default" {
			if err := sim.SeedDemo(); err != nil {
				return nil, err
			}
		}
		d.Sims[name] = sim
		if urls[name], err = d.listen("127.0.0.1:0", sim); err != nil {
			return nil, err
		}
		creds := sim.SystemCredentials()
		env[credsPrefix(name)+"_ACCESS_KEY"], env[credsPrefix(name)+"_SECRET_KEY"] = creds.AccessKey, creds.SecretKey
	}
	d.Sim = d.Sims["default"]
	// The ECS cluster: its management login is random, as a real one's.
	ecsPass := make([]byte, 12)
	if _, err := rand.Read(ecsPass); err != nil {
		return nil, err
	}
	if d.ECS, err = ecssim.New(ecssim.Options{Username: "staas-admin", Password: hex.EncodeToString(ecsPass), WallClock: true}); err != nil {
		return nil, err
	}
	if err := d.ECS.SeedDemo(); err != nil {
		return nil, err
	}
	if urls[ECSCluster], err = d.listen("127.0.0.1:0", d.ECS); err != nil {
		return nil, err
	}
	env[credsPrefix(ECSCluster)+"_ACCESS_KEY"], env[credsPrefix(ECSCluster)+"_SECRET_KEY"] = "staas-admin", hex.EncodeToString(ecsPass)
	creds := d.Sim.SystemCredentials()
	gw, err := ostor.New(ostor.Config{Endpoint: urls["default"], AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 10 * time.Second})
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

	// The cluster registry, as staas serve keeps it: each simulator is a
	// cluster whose admin and S3 data endpoints are the simulator's.
	for _, name := range Clusters {
		c := store.Cluster{Name: name, Kind: store.ClusterOstor, AdminEndpoint: urls[name], Signature: "v2", Region: "us-east-1",
			Credentials: "env:" + credsPrefix(name), IsDefault: name == "default"}
		if err := d.Store.AddCluster(ctx, c); err != nil {
			return nil, err
		}
	}
	if err := d.Store.AddCluster(ctx, store.Cluster{Name: ECSCluster, Kind: store.ClusterECS, AdminEndpoint: urls[ECSCluster], Signature: "v4",
		Credentials: "env:" + credsPrefix(ECSCluster)}); err != nil {
		return nil, err
	}
	reg, err := cluster.Load(ctx, d.Store, cluster.Config{
		Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Ostor:  ostor.Config{Timeout: 10 * time.Second},
		ECS:    ecs.Config{Timeout: 10 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	if err := seedMappings(ctx, gw, d.Store, bridge); err != nil {
		return nil, err
	}
	ecsBackend, err := reg.Client(ECSCluster)
	if err != nil {
		return nil, err
	}
	if err := seedECSClient(ctx, ecsBackend, d.ECS, d.Store, bridge); err != nil {
		return nil, err
	}
	// One collection per cluster, so the usage history has the seeded
	// day's traffic; the objects stay for the guide's statistics panels.
	// Bucket sizes are sampled every minute, so the usage history's
	// storage columns fill in while the demo runs.
	var samplers []*usage.Sampler
	for _, name := range append(slices.Clone(Clusters), ECSCluster) {
		cl, err := reg.Client(name)
		if err != nil {
			return nil, err
		}
		ucfg := usage.Config{Gateway: cl, Store: d.Store, Cluster: name, KeepObjects: true, Logger: log}
		col, err := usage.New(ucfg)
		if err != nil {
			return nil, err
		}
		if _, err := col.Run(ctx); err != nil {
			return nil, fmt.Errorf("demo usage collection (%s): %w", name, err)
		}
		sampler, err := usage.NewSampler(ucfg)
		if err != nil {
			return nil, err
		}
		samplers = append(samplers, sampler)
	}
	d.stopSampling = d.every(time.Minute, func(ctx context.Context) {
		for _, sampler := range samplers {
			// A run cut short by Close is no failure worth a warning.
			if _, err := sampler.Run(ctx); err != nil && ctx.Err() == nil {
				log.Warn("demo: sampling bucket sizes", "err", err)
			}
		}
	})

	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	shimSecret := []byte(hex.EncodeToString(secret))
	every := func(interval time.Duration, fn func(context.Context)) {
		d.stopWork = append(d.stopWork, d.every(interval, fn))
	}
	h, err := o.Build(ctx, Wiring{Logger: log, Store: d.Store, WHMCS: bridge, Clusters: reg, ShimSecret: shimSecret, Every: every,
		UsageSchedule: "The demo collected usage once, when it started, and samples bucket sizes every minute: storage figures appear after two samples."})
	if err != nil {
		return nil, err
	}
	if d.StaasURL, err = d.listen("127.0.0.1:0", h); err != nil {
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

// credsPrefix is the env: credentials reference of a demo cluster.
func credsPrefix(name string) string {
	return "DEMO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
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

// ecsUserCreator is what seedECSClient needs of the ECS cluster: the
// backend call Create User makes.
type ecsUserCreator interface {
	CreateUser(ctx context.Context, email string) (*staas.UserKeys, error)
}

// seedECSClient gives Erin an S3 user on the ECS cluster the way Create
// User would (through staas's ECS client, so the namespace and user are
// named as staas names them), then buckets with a day of traffic written
// straight into the simulator, as her applications would have.
func seedECSClient(ctx context.Context, backend ecsUserCreator, sim *ecssim.Server, st *store.Store, bridge *whmcs.DBBridge) error {
	c := ecsClient
	u, err := backend.CreateUser(ctx, c.Email)
	if err != nil {
		return fmt.Errorf("demo ECS user %s: %w", c.Email, err)
	}
	ns := ecs.NamespaceFor(c.Email)
	now := sim.Now()
	buckets := []struct {
		name  string
		scale int64 // MiB written per five-minute window at most
		tags  map[string]string
	}{
		{"evans-footage", 40, map[string]string{"project": "documentary"}},
		{"evans-web", 3, nil},
		{"evans-archive", 12, map[string]string{"retention": "7y"}},
	}
	for bi, b := range buckets {
		if err := sim.CreateBucket(ns, b.name, u.ID); err != nil {
			return err
		}
		if b.tags != nil {
			if err := sim.SetBucketTags(ns, b.name, b.tags); err != nil {
				return err
			}
		}
		for t := now.Add(-24 * time.Hour).Truncate(5 * time.Minute); t.Before(now); t = t.Add(5 * time.Minute) {
			step := (t.Unix()/300 + int64(bi)*5) % 11
			in := step * b.scale << 20 / 10
			tr := ecssim.Traffic{At: t.Add(time.Minute), Ingress: in, Egress: in / 3, ObjectsCreated: step % 4, BytesDelta: in}
			if err := sim.RecordTraffic(ns, b.name, tr); err != nil {
				return err
			}
		}
	}
	if err := sim.SetMPU(ns, "evans-footage", 96<<20, 12); err != nil {
		return err
	}
	at := time.Now().UTC()
	if err := st.SaveS3User(ctx, staas.S3User{ClientID: c.ID, Cluster: ECSCluster, UserID: u.ID, Email: c.Email, CreatedAt: at, UpdatedAt: at}); err != nil {
		return err
	}
	for _, k := range u.Keys {
		if err := bridge.AddS3Note(ctx, c.ID, 1, staas.S3Note{UserID: u.ID, AccessKeyID: k.AccessKeyID}); err != nil {
			return err
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
	for _, stop := range d.stopWork {
		stop()
	}
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
