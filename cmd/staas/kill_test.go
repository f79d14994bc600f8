package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/internal/store"
	usagecol "staas/internal/usage"
	"staas/internal/whmcs"
	"staas/standin/mariadbtest"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
)

// Issue 14, section 2: two `staas serve` replicas share one MariaDB and
// are killed with SIGKILL at random moments (a seeded schedule) while
// they collect usage, deliver queued WHMCS notes and reconcile, and are
// started again each time. Once they have been left to finish, the
// ledger equals the gateway's recorded traffic exactly (nothing lost,
// nothing counted twice), every queued note is in WHMCS exactly once,
// and every service's user on the gateway is as WHMCS says (enabled or
// disabled, its product's quota).
//
// The replicas are the real binary, built once; the gateway is the ostor
// simulator, whose clock the test drives near the wall clock (the
// replicas sign with the wall clock); WHMCS is its tables in MariaDB
// (STAAS_WHMCS_MODE=mysql).
//
// A killed replica's leases stay in the store until they expire (2 to 10
// minutes). Rather than wait, the test moves their expiry into the past,
// as the passing of time would: the next replica then takes them through
// the same expiry path.
//
// STAAS_KILL_SEED=N replays a failing run's kill schedule (the seed is
// printed on failure).
func TestKill_TwoReplicasOnMariaDB(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STAAS_KILL_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("STAAS_KILL_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kill schedule seed %d: STAAS_KILL_SEED=%d go test ./cmd/staas -run TestKill_TwoReplicasOnMariaDB replays it", seed, seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 1))
	ctx := context.Background()
	bin := buildStaasBinary(t)

	k := newKillWorld(t, seed)

	// Two replicas on one store, one WHMCS, one gateway.
	reps := []*replica{
		{t: t, name: "A", bin: bin, env: k.env(freeAddr(t))},
		{t: t, name: "B", bin: bin, env: k.env(freeAddr(t))},
	}
	// Every gateway request takes a few milliseconds, so that collecting,
	// delivering notes and reconciling take long enough to be killed in.
	k.sim.SetFaults(ostorsim.Faults{Latency: 3 * time.Millisecond})
	for _, r := range reps {
		r.start()
	}
	t.Cleanup(func() {
		for _, r := range reps {
			r.stop()
		}
	})

	// Traffic goes on while they work: the gateway's clock follows the
	// wall clock, closing a usage period every 2 seconds.
	stopTraffic := k.liveTraffic(seed)

	// The kills. Each round kills a replica at a random moment, or in the
	// middle of a piece of work: a random number of steps into it, the
	// replica holding that work's lease is killed. The work is the usage
	// collection (while the history's objects last), or a restarted
	// replica's start-up note delivery or reconciliation, for which the
	// test first makes work: notes of new keys queued, services suspended
	// and unsuspended in WHMCS.
	const rounds = 12
	kills := 0
	killed := func(i int, r *replica, how string) {
		pid := r.kill()
		kills++
		k.expireLeases(t, pid)
		// Started again at once, or after a while in which the other
		// replica may take over its work.
		pause := time.Duration(rng.IntN(3)*400) * time.Millisecond
		t.Logf("round %d: killed replica %s (pid %d) %s; restarted after %v", i+1, r.name, pid, how, pause)
		time.Sleep(pause)
		r.start()
	}
	for i := range rounds {
		mode := "collection"
		if left := len(k.sim.UsageObjectNames()); left <= 100 || i >= 4 {
			mode = []string{"time", "notes", "reconcile"}[rng.IntN(3)]
		}
		var lease string
		var progress func() int // steps of the work done so far
		var steps int
		switch mode {
		case "time":
			wait := time.Duration(50+rng.IntN(2500)) * time.Millisecond
			time.Sleep(wait)
			killed(i, reps[rng.IntN(len(reps))], fmt.Sprintf("after %v, %d usage objects on the gateway", wait, len(k.sim.UsageObjectNames())))
			continue
		case "collection":
			lease = "usage-collector"
			before := len(k.sim.UsageObjectNames())
			steps = 40
			progress = func() int { return before - len(k.sim.UsageObjectNames()) }
		case "notes":
			lease = "note-outbox"
			// The replica delivering now (the start-up run of the other)
			// would leave new rows to its next run, a minute later.
			k.waitLeaseFree(t, lease)
			steps = k.queueMoreNotes(t, rng, 12)
			progress = func() int { return steps - k.queuedNotes(t) }
			killed(i, reps[rng.IntN(len(reps))], "to start its note delivery")
		case "reconcile":
			lease = "reconcile:default"
			k.waitLeaseFree(t, lease)
			steps = k.flipServices(t, rng, 6)
			before := k.reconcileRows(t)
			progress = func() int { return k.reconcileRows(t) - before }
			killed(i, reps[rng.IntN(len(reps))], "to start its reconciliation")
		}
		if steps < 2 {
			continue
		}
		at := 1 + rng.IntN(steps-1)
		deadline := time.Now().Add(10 * time.Second)
		for progress() < at && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		holder := k.leaseHolder(t, lease, reps)
		if holder == nil {
			t.Logf("round %d: nobody held %s after %d of %d steps", i+1, lease, progress(), steps)
			continue
		}
		killed(i, holder, fmt.Sprintf("holding %s, %d of %d steps done", lease, progress(), steps))
	}

	// The end: traffic stops and its last period closes; both replicas are
	// killed once more and started again, and left to finish.
	stopTraffic()
	k.sim.SetFaults(ostorsim.Faults{})
	k.sim.Advance(k.period)
	for _, r := range reps {
		k.expireLeases(t, r.kill())
		kills++
	}
	for _, r := range reps {
		r.start()
	}
	deadline := time.Now().Add(45 * time.Second)
	var diffs []string
	for {
		diffs = k.differences(t, ctx)
		if len(diffs) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if len(diffs) > 0 {
		for _, r := range reps {
			t.Logf("replica %s's log (last run):\n%s", r.name, tail(r.stderr.String(), 60))
		}
		if len(diffs) > 40 {
			diffs = append(diffs[:40], fmt.Sprintf("… and %d more", len(diffs)-40))
		}
		t.Fatalf("after %d kills, staas disagrees with the ground truth:\n%s", kills, strings.Join(diffs, "\n"))
	}
}

// killWorld is the test's gateway, WHMCS and store, and what it knows
// should end up in them.
type killWorld struct {
	sim      *ostorsim.Sim
	simURL   string
	period   time.Duration
	gw       *ostor.Client
	st       *store.Store
	storeDSN string
	storeDB  *sql.DB
	whmcsDSN string
	whmcsDB  *whmcs.DB
	whmcsSQL *sql.DB
	services []killService
	// users are the services' users and buckets, for the traffic
	// goroutine: services changes as the test goes, users never.
	users   []killUser
	queued  map[int64][]staas.S3Note // the notes queued per client
	clients []int64
	start   time.Time
}

// killUser is one user the gateway records traffic of.
type killUser struct {
	userID  string
	buckets []string
}

// killService is one WHMCS service and its S3 user, with what WHMCS says.
type killService struct {
	id, client int64
	userID     string
	email      string
	buckets    []string
	enabled    bool   // what WHMCS says the user should be
	quotaGB    uint64 // the product's quota (0: none)
	secondKey  bool   // a second key, whose note was queued
}

const (
	killClients          = 20
	killServicesOfClient = 4
	killHistory          = 8 * time.Minute // usage periods already closed when the replicas start
	killPeriod           = 2 * time.Second
)

func newKillWorld(t *testing.T, seed uint64) *killWorld {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 2))
	k := &killWorld{period: killPeriod, queued: map[int64][]staas.S3Note{}}
	// The gateway's clock starts killHistory ago, so the history replayed
	// below ends at about the wall clock, within the 15 minutes a signed
	// request's date may differ from it.
	k.start = time.Now().UTC().Add(-killHistory).Truncate(killPeriod)
	k.sim = ostorsim.MustNew(ostorsim.Options{Seed: seed, Start: k.start, UsagePeriod: killPeriod, ServiceIDs: []string{"101", "102", "103"}})
	srv := httptest.NewServer(k.sim)
	t.Cleanup(srv.Close)
	k.simURL = srv.URL
	creds := k.sim.SystemCredentials()
	gw, err := ostor.New(ostor.Config{Endpoint: srv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, Timeout: 5 * time.Second, Now: k.sim.Now})
	if err != nil {
		t.Fatal(err)
	}
	k.gw = gw

	k.storeDSN, k.whmcsDSN = mariadbtest.NewDatabase(t), mariadbtest.NewDatabase(t)
	st, err := store.Open(ctx, "mysql", k.storeDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k.st = st
	if k.storeDB, err = sql.Open("mysql", k.storeDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.storeDB.Close() })
	wdb, err := sql.Open("mysql", k.whmcsDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wdb.Close() })
	if err := whmcssim.CreateSchema(ctx, wdb); err != nil {
		t.Fatal(err)
	}
	k.whmcsDB, k.whmcsSQL = whmcs.NewDB(wdb), wdb

	// Clients; the last is closed in WHMCS, so all its users are to be
	// disabled.
	var clients []staas.Client
	for c := int64(1); c <= killClients; c++ {
		clients = append(clients, staas.Client{ID: c, FirstName: "Client", LastName: strconv.FormatInt(c, 10), Email: fmt.Sprintf("client%d@example.com", c)})
		k.clients = append(k.clients, c)
	}
	if err := whmcssim.SeedClients(ctx, wdb, clients); err != nil {
		t.Fatal(err)
	}
	if err := whmcssim.SetClientStatus(ctx, wdb, killClients, "Closed"); err != nil {
		t.Fatal(err)
	}
	// Services: about a third suspended in WHMCS while their users are
	// enabled (events staas never heard of); half of them on a product
	// with a quota the gateway does not have yet. Each user gets a queued
	// note, as if WHMCS had been down when its key was made.
	for c := int64(1); c <= killClients; c++ {
		for j := range int64(killServicesOfClient) {
			id := 100*c + j
			status := "Active"
			if rng.IntN(3) == 0 {
				status = "Suspended"
			}
			if err := whmcssim.SetService(ctx, wdb, id, c, status); err != nil {
				t.Fatal(err)
			}
			s := killService{id: id, client: c, email: fmt.Sprintf("s%d@example.com", id), enabled: status == "Active" && c != killClients}
			if rng.IntN(2) == 0 {
				s.quotaGB = 7
				if err := whmcssim.SetProductQuota(ctx, wdb, 1, id, "7"); err != nil {
					t.Fatal(err)
				}
			}
			keys, err := gw.CreateUser(ctx, s.email)
			if err != nil {
				t.Fatal(err)
			}
			s.userID = keys.ID
			if err := st.SaveS3User(ctx, staas.S3User{ClientID: c, ServiceID: id, Cluster: "default", UserID: keys.ID, Email: s.email}); err != nil {
				t.Fatal(err)
			}
			for b := range 2 {
				name := fmt.Sprintf("b%d-%d", id, b)
				if err := k.sim.CreateBucket(s.email, name); err != nil {
					t.Fatal(err)
				}
				s.buckets = append(s.buckets, name)
			}
			key := keys.Keys[0]
			if _, err := st.EnqueueNote(ctx, store.NoteOp{ClientID: c, Op: store.NoteAdd, UserID: keys.ID, AccessKeyID: key.AccessKeyID, CreatedAt: time.Now().UTC()}); err != nil {
				t.Fatal(err)
			}
			k.queued[c] = append(k.queued[c], staas.S3Note{UserID: keys.ID, AccessKeyID: key.AccessKeyID})
			k.services = append(k.services, s)
			k.users = append(k.users, killUser{userID: s.userID, buckets: s.buckets})
		}
	}

	// The history: traffic in every period up to about now, so the first
	// collections have a few hundred objects to count.
	for range int(killHistory / killPeriod) {
		for range 8 {
			if err := k.traffic(rng); err != nil {
				t.Fatal(err)
			}
		}
		k.sim.Advance(killPeriod)
	}
	return k
}

// traffic records one random request batch of one random service's user.
func (k *killWorld) traffic(rng *rand.Rand) error {
	s := k.users[rng.IntN(len(k.users))]
	n := uint64(rng.IntN(20) + 1)
	tr := ostorsim.Traffic{UserID: s.userID, Bucket: s.buckets[rng.IntN(len(s.buckets))], Put: n, Get: 2 * n, List: 1, Other: uint64(rng.IntN(2)),
		Uploaded: n*4096 + uint64(rng.IntN(4096)), Downloaded: 2*n*4096 + uint64(rng.IntN(4096))}
	if rng.IntN(10) == 0 {
		tr = ostorsim.Traffic{UserID: s.userID, List: 1} // listing buckets: no bucket
	}
	return k.sim.AddTraffic(tr)
}

// liveTraffic records traffic every 50 ms and keeps the gateway's clock at
// the wall clock (closing periods) until the returned function is called.
func (k *killWorld) liveTraffic(seed uint64) (stop func()) {
	rng := rand.New(rand.NewPCG(seed, 3))
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			for range 3 {
				_ = k.traffic(rng) // every user and bucket exists: it cannot fail
			}
			if d := time.Since(k.sim.Now()); d > 0 {
				k.sim.Advance(d)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// queueMoreNotes gives up to n users a second key and queues the 'add'
// of its note, as staas does while WHMCS is away; it returns how many.
func (k *killWorld) queueMoreNotes(t *testing.T, rng *rand.Rand, n int) int {
	t.Helper()
	ctx := context.Background()
	queued := 0
	for _, i := range rng.Perm(len(k.services)) {
		s := &k.services[i]
		if queued == n {
			break
		}
		if s.secondKey {
			continue
		}
		key, err := k.gw.GenerateKey(ctx, s.email)
		if err != nil {
			t.Fatal(err)
		}
		s.secondKey = true
		if _, err := k.st.EnqueueNote(ctx, store.NoteOp{ClientID: s.client, Op: store.NoteAdd, UserID: s.userID, AccessKeyID: key.AccessKeyID, CreatedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		k.queued[s.client] = append(k.queued[s.client], staas.S3Note{UserID: s.userID, AccessKeyID: key.AccessKeyID})
		queued++
	}
	return queued
}

// flipServices suspends, or unsuspends, n random services of open
// clients in WHMCS, as its hooks would have while staas heard nothing;
// it returns how many.
func (k *killWorld) flipServices(t *testing.T, rng *rand.Rand, n int) int {
	t.Helper()
	flipped := 0
	for _, i := range rng.Perm(len(k.services)) {
		s := &k.services[i]
		if flipped == n {
			break
		}
		if s.client == killClients {
			continue
		}
		status := "Suspended"
		if !s.enabled {
			status = "Active"
		}
		if _, err := k.whmcsSQL.Exec(`UPDATE tblhosting SET domainstatus = ? WHERE id = ?`, status, s.id); err != nil {
			t.Fatal(err)
		}
		s.enabled = status == "Active"
		flipped++
	}
	return flipped
}

// reconcileRows counts the audit rows of the reconciler's disables and
// enables: one a user it changed.
func (k *killWorld) reconcileRows(t *testing.T) int {
	t.Helper()
	var n int
	if err := k.storeDB.QueryRow(`SELECT COUNT(*) FROM staas_audit WHERE action IN ('reconcile-disable', 'reconcile-enable')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// leaseHolder is the replica holding the lease name unexpired, or nil.
func (k *killWorld) leaseHolder(t *testing.T, name string, reps []*replica) *replica {
	t.Helper()
	var owner string
	err := k.storeDB.QueryRow(`SELECT owner FROM staas_leases WHERE name = ? AND expires_at > UTC_TIMESTAMP(6)`, name).Scan(&owner)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if strings.Contains(owner, "-"+strconv.Itoa(r.cmd.Process.Pid)+"-") {
			return r
		}
	}
	return nil
}

// waitLeaseFree waits (10 s at most) until nobody holds the lease name.
func (k *killWorld) waitLeaseFree(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := k.storeDB.QueryRow(`SELECT COUNT(*) FROM staas_leases WHERE name = ? AND owner <> '' AND expires_at > UTC_TIMESTAMP(6)`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// env is a replica's configuration.
func (k *killWorld) env(addr string) []string {
	creds := k.sim.SystemCredentials()
	return []string{
		"STAAS_LISTEN_ADDR=" + addr,
		"STAAS_LOG_FORMAT=json",
		"STAAS_OSTOR_ENDPOINT=" + k.simURL,
		"STAAS_OSTOR_ACCESS_KEY=" + creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY=" + creds.SecretKey,
		"STAAS_OSTOR_TIMEOUT=5s",
		"STAAS_SHIM_SECRET=" + timeoutsShimSecret,
		"STAAS_STORE_DRIVER=mysql",
		"STAAS_STORE_DSN=" + k.storeDSN,
		"STAAS_WHMCS_MODE=mysql",
		"STAAS_WHMCS_DB_DSN=" + k.whmcsDSN,
		"STAAS_USAGE_INTERVAL=1s",
		"STAAS_STORAGE_SAMPLE_INTERVAL=3s",
	}
}

// expireLeases moves the expiry of every lease the killed process pid
// held into the past, as the passing of their time would. A lease's
// owner names its process: host-pid-random (schedule.Owner).
func (k *killWorld) expireLeases(t *testing.T, pid int) {
	t.Helper()
	if _, err := k.storeDB.Exec(`UPDATE staas_leases SET expires_at = '2000-01-01 00:00:00' WHERE owner LIKE ?`, "%-"+strconv.Itoa(pid)+"-%"); err != nil {
		t.Fatal(err)
	}
}

func (k *killWorld) queuedNotes(t *testing.T) int {
	t.Helper()
	n := 0
	for _, c := range k.clients {
		p, err := k.st.PendingNotes(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		n += p
	}
	return n
}

// differences lists what staas has not (yet) made equal to the ground
// truth: the ledger against the gateway's recorded traffic, WHMCS's notes
// against the queued ones, and the users' states against WHMCS's.
func (k *killWorld) differences(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var diffs []string
	if left := k.sim.UsageObjectNames(); len(left) > 0 {
		diffs = append(diffs, fmt.Sprintf("%d usage objects still on the gateway", len(left)))
	}
	truth := k.sim.UsageGroundTruth()
	reader := &usagecol.Reader{Store: k.st, Cluster: "default"}
	from, to := k.start.Add(-2*time.Hour), time.Now().Add(2*time.Hour)
	for _, s := range k.services {
		tot, err := reader.Totals(ctx, s.userID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.UsageCounters{}
		for _, b := range tot.Buckets {
			if b.Traffic != (store.UsageCounters{}) {
				got[b.Bucket] = b.Traffic
			}
		}
		for _, b := range append([]string{""}, s.buckets...) {
			w := truth[ostorsim.UsageKey{UserID: s.userID, Bucket: b}]
			want := store.UsageCounters{Put: w.Put, Get: w.Get, List: w.List, Other: w.Other, Uploaded: w.Uploaded, Downloaded: w.Downloaded}
			if got[b] != want {
				diffs = append(diffs, fmt.Sprintf("service %d, bucket %q: ledger %+v, gateway recorded %+v", s.id, b, got[b], want))
			}
			delete(got, b)
		}
		for b, c := range got {
			diffs = append(diffs, fmt.Sprintf("service %d: ledger has bucket %q %+v the gateway never recorded", s.id, b, c))
		}

		u, err := k.gw.User(ctx, staas.ByID(s.userID))
		if err != nil {
			t.Fatal(err)
		}
		if u.Enabled() != s.enabled {
			diffs = append(diffs, fmt.Sprintf("service %d: user %s is %s on the gateway; WHMCS says enabled=%v", s.id, s.userID, u.State, s.enabled))
		}
		q, err := k.gw.Quota(ctx, staas.UserQuota(staas.ByID(s.userID)))
		var have uint64
		switch {
		case staas.ErrorCode(err) == staas.ENOTFOUND:
		case err != nil:
			t.Fatal(err)
		case q != nil:
			have = q.SizeGB
		}
		if have != s.quotaGB {
			diffs = append(diffs, fmt.Sprintf("service %d: quota %d GB on the gateway, the product's is %d GB", s.id, have, s.quotaGB))
		}
	}
	for _, c := range k.clients {
		if p, err := k.st.PendingNotes(ctx, c); err != nil {
			t.Fatal(err)
		} else if p > 0 {
			diffs = append(diffs, fmt.Sprintf("client %d: %d note changes still queued", c, p))
		}
		notes, err := k.whmcsDB.ClientNotes(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, n := range notes {
			if s3, ok := whmcs.ParseS3Note(n.Text); ok {
				count[s3.UserID+" "+s3.AccessKeyID]++
			}
		}
		for _, q := range k.queued[c] {
			key := q.UserID + " " + q.AccessKeyID
			if count[key] != 1 {
				diffs = append(diffs, fmt.Sprintf("client %d: the note of user %s key %s is in WHMCS %d times, not once", c, q.UserID, q.AccessKeyID, count[key]))
			}
			delete(count, key)
		}
		for key, n := range count {
			diffs = append(diffs, fmt.Sprintf("client %d: %d notes nobody queued (%s)", c, n, key))
		}
	}
	slices.Sort(diffs)
	return diffs
}

// replica is one `staas serve` process, started again after each kill.
type replica struct {
	t              *testing.T
	name, bin      string
	env            []string
	cmd            *exec.Cmd
	done           chan struct{}
	stdout, stderr *syncBuffer
}

// start runs the replica and waits until it listens.
func (r *replica) start() {
	r.t.Helper()
	r.stdout, r.stderr = &syncBuffer{}, &syncBuffer{}
	cmd := exec.Command(r.bin, "serve")
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	// A wait for readiness, not a timing check.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(r.stdout.String(), "staas listening on") {
		select {
		case <-done:
			r.t.Fatalf("replica %s exited at start: %v\n%s", r.name, cmd.ProcessState, r.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("replica %s did not listen within 30 s:\n%s", r.name, r.stderr.String())
		}
	}
}

// kill ends the replica with SIGKILL, as a crash or an OOM kill would,
// and returns its pid once it is gone.
func (r *replica) kill() int {
	r.t.Helper()
	pid := r.cmd.Process.Pid
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		r.t.Fatalf("kill replica %s: %v", r.name, err)
	}
	<-r.done
	return pid
}

// stop ends the replica, if it runs, at the end of the test.
func (r *replica) stop() {
	if r.cmd == nil {
		return
	}
	select {
	case <-r.done:
	default:
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
	}
}

// buildStaasBinary builds the binary the replicas run.
func buildStaasBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "staas")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/staas: %v\n%s", err, out)
	}
	return bin
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
