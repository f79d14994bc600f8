package provision_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/testworld"
)

// lcEnv is the world of a WHMCS module call: the simulator behind a
// gateway client that does not retry (so a fault fails a call at once), the
// store, WHMCS's database behind a bridge that can be made to fail, and a
// recording purger.
type lcEnv struct {
	*testworld.World
	gw     *ostor.Client
	svc    *provision.Services
	whmcs  *flakyWHMCS
	purger *fakePurger
	logs   *syncBuffer
}

type lcOptions struct {
	noPurger bool
	gateway  func(provision.Gateway) provision.Gateway // wraps the gateway
}

func newLC(t *testing.T, o lcOptions) *lcEnv {
	t.Helper()
	w := testworld.New(t, testworld.Options{Clients: clients})
	srv := httptest.NewServer(w.Sim)
	t.Cleanup(srv.Close)
	creds := w.Sim.SystemCredentials()
	gw, err := ostor.New(ostor.Config{Endpoint: srv.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey,
		Timeout: 5 * time.Second, MaxRetries: -1, Now: w.Sim.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &lcEnv{World: w, gw: gw, whmcs: &flakyWHMCS{WHMCS: w.Bridge}, logs: &syncBuffer{}}
	e.purger = &fakePurger{env: e}
	var g provision.Gateway = gw
	if o.gateway != nil {
		g = o.gateway(gw)
	}
	cfg := provision.Config{Gateway: g, Store: w.Store, WHMCS: e.whmcs, Now: w.Sim.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if !o.noPurger {
		cfg.Purger = e.purger
	}
	e.svc = provision.New(cfg)
	return e
}

// created is Alice's service 1001, created with the limited product.
func (e *lcEnv) created(t *testing.T) *staas.S3User {
	t.Helper()
	m, err := e.svc.Lifecycle.CreateService(context.Background(), ref(1001), limited)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// withBucket is created, its user owning the bucket alice-photos.
func (e *lcEnv) withBucket(t *testing.T) *staas.S3User {
	t.Helper()
	m := e.created(t)
	if err := e.Sim.CreateBucket(m.Email, "alice-photos"); err != nil {
		t.Fatal(err)
	}
	return m
}

// ref is Alice's service 1001 (or another id) as WHMCS's cron calls it.
func ref(serviceID int64) provision.ServiceRef {
	return provision.ServiceRef{ServiceID: serviceID, ClientID: 1, ClientEmail: "alice@example.com"}
}

// limited is a product with every kind of setting.
var limited = provision.ProductConfig{OpsGet: "3600", OpsPut: "50.5", BandwidthOut: "2048", QuotaGB: "100"}

// sim reads the simulator's own answer to an admin API GET, signed with the
// system user's key, so checks do not go through the client under test.
// It returns the HTTP status and the decoded JSON body (nil when empty).
func (e *lcEnv) sim(t *testing.T, query string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/?"+query, nil)
	date := e.Sim.Now().UTC().Format(time.RFC1123Z)
	req.Header.Set("Date", date)
	keyword, _, _ := strings.Cut(query, "&")
	creds := e.Sim.SystemCredentials()
	sts := ostor.StringToSignV2(http.MethodGet, "", "", date, req.Header, "/?"+keyword)
	req.Header.Set("Authorization", "AWS "+creds.AccessKey+":"+ostor.SignV2(creds.SecretKey, sts))
	rec := httptest.NewRecorder()
	e.Sim.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return rec.Code, nil
	}
	var body map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("GET ?%s: %v in %q", query, err, rec.Body.String())
		}
	}
	return rec.Code, body
}

// simUser is the simulator's record of the user with email: its state
// ("" when there is no such user), its limits and its quota in GB, as the
// gateway prints them.
type simUser struct {
	ID     string
	State  string
	Limits map[string]any
	Quota  string
	Keys   []string // access key ids
}

func (e *lcEnv) simUser(t *testing.T, email string) simUser {
	t.Helper()
	q := "emailAddress=" + url.QueryEscape(email)
	code, u := e.sim(t, "ostor-users&"+q)
	if code == http.StatusNotFound {
		return simUser{}
	}
	if code != http.StatusOK {
		t.Fatalf("simulator: user %s: status %d", email, code)
	}
	out := simUser{ID: u["UserId"].(string), State: u["State"].(string)}
	for _, k := range u["AWSAccessKeys"].([]any) {
		out.Keys = append(out.Keys, k.(map[string]any)["AWSAccessKeyId"].(string))
	}
	_, out.Limits = e.sim(t, "ostor-limits&"+q)
	_, quota := e.sim(t, "ostor-quotas&"+q)
	out.Quota = quota["size"].(string)
	return out
}

// snapshot is everything a call may change: the simulator's view of the
// service's user, staas's mapping, the client's notes and queued notes.
type snapshot struct {
	user    simUser
	mapping staas.S3User
	notes   []string
	queued  int
	buckets int
}

func (e *lcEnv) snapshot(t *testing.T, serviceID int64, email string) snapshot {
	t.Helper()
	s := snapshot{user: e.simUser(t, email), notes: e.Notes(t, 1)}
	if m, err := e.Store.S3UserByService(context.Background(), serviceID); err == nil {
		m.UpdatedAt = time.Time{}
		s.mapping = *m
	}
	s.queued, _ = e.Store.PendingNotes(context.Background(), 1)
	if s.user.ID != "" {
		b, _ := e.gw.BucketsOf(context.Background(), staas.ByID(s.user.ID))
		s.buckets = len(b)
	}
	return s
}

func sameSnapshot(a, b snapshot) bool {
	return a.user.ID == b.user.ID && a.user.State == b.user.State && a.user.Quota == b.user.Quota &&
		slices.Equal(a.user.Keys, b.user.Keys) && jsonEqual(a.user.Limits, b.user.Limits) &&
		a.mapping == b.mapping && slices.Equal(a.notes, b.notes) && a.queued == b.queued && a.buckets == b.buckets
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// audit returns client's audit entries, oldest first.
func (e *lcEnv) audit(t *testing.T, clientID int64) []staas.AuditEntry {
	t.Helper()
	rows, err := e.Store.Audit(context.Background(), store.AuditFilter{ClientID: clientID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(rows)
	return rows
}

// fakePurger plays internal/s3data: it checks that it was given a working
// key pair of the bucket's owner, whose user is enabled (a disabled
// user's keys do not work on S3), records the call and deletes the bucket
// in the simulator.
type fakePurger struct {
	env    *lcEnv
	mu     sync.Mutex
	calls  []purgeCall
	failOn string // bucket whose purge fails
}

type purgeCall struct {
	Bucket       string
	AccessKeyID  string
	OwnerEnabled bool
	OwnerKey     bool // the pair is the owner's, secret included
}

func (f *fakePurger) PurgeBucket(ctx context.Context, owner staas.KeyPair, bucket string) (int64, error) {
	call := purgeCall{Bucket: bucket, AccessKeyID: owner.AccessKeyID}
	if len(owner.AccessKeyID) >= 16 {
		if u, err := f.env.gw.User(ctx, staas.ByID(owner.AccessKeyID[:16])); err == nil {
			call.OwnerEnabled = u.Enabled()
			call.OwnerKey = slices.Contains(u.Keys, owner)
			if bs, err := f.env.gw.BucketsOf(ctx, staas.ByID(u.ID)); err != nil || !slices.ContainsFunc(bs, func(b staas.Bucket) bool { return b.Name == bucket }) {
				call.OwnerKey = false
			}
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	fail := f.failOn == bucket
	f.mu.Unlock()
	if fail {
		return 2, staas.Errorf(staas.EUNAVAILABLE, "S3: the gateway did not answer")
	}
	if err := f.env.Sim.DeleteBucket(bucket); err != nil {
		return 0, err
	}
	return 3, nil
}

func (f *fakePurger) taken() []purgeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// failingGateway is the real gateway, except that the named call fails
// (EUNAVAILABLE, as when the gateway goes away) the next times times,
// without reaching the gateway.
type failingGateway struct {
	provision.Gateway
	mu    sync.Mutex
	fails map[string]int
}

func (g *failingGateway) fail(op string, times int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails == nil {
		g.fails = map[string]int{}
	}
	g.fails[op] = times
}

func (g *failingGateway) err(op string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails[op] > 0 {
		g.fails[op]--
		return staas.Errorf(staas.EUNAVAILABLE, "ostor: %s: the gateway did not answer", op)
	}
	return nil
}

func (g *failingGateway) SetQuota(ctx context.Context, s staas.QuotaSubject, gb uint64) error {
	if err := g.err("set quota"); err != nil {
		return err
	}
	return g.Gateway.SetQuota(ctx, s, gb)
}

func (g *failingGateway) SetOpsLimit(ctx context.Context, s staas.LimitSubject, r string, v float64) error {
	if err := g.err("set ops limit"); err != nil {
		return err
	}
	return g.Gateway.SetOpsLimit(ctx, s, r, v)
}

func (g *failingGateway) DeleteUser(ctx context.Context, ref staas.UserRef) error {
	if err := g.err("delete user"); err != nil {
		return err
	}
	return g.Gateway.DeleteUser(ctx, ref)
}

// flakyWHMCS and syncBuffer are the test world's (standin/testworld).
type (
	flakyWHMCS = testworld.FlakyWHMCS
	syncBuffer = testworld.LogBuffer
)

func guideNote(userID string, k staas.KeyPair) string {
	return "UserId: " + userID + "\nAWSAccessKeyId: " + k.AccessKeyID + "\nAWSSecretAccessKey: " + k.SecretAccessKey
}
