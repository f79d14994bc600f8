package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"staas"
	"staas/handlers"
	"staas/internal/ecs"
	"staas/internal/usage"
	"staas/standin/ecssim"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// TestModule_ECSMonthBilledExactly: a WHMCS service is created on a Dell
// ECS cluster through the signed module call; a month of traffic is
// recorded in the ECS simulator in several buckets while the per-cluster
// collector runs as serve runs it, crashing once between fetching a
// window and committing it. Then usage-update and metrics, asked through
// the signed protocol, give the recorded ingress and egress to the byte:
// no window lost, none counted twice; and storage, sampled from ECS's
// billing info every six hours, gives the month-end size and the GB-months
// the samples integrate to.
func TestModule_ECSMonthBilledExactly(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(start.Unix())
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{Start: start}, ECS: []string{"ecs-1"}}, nil, func(w *testworld.World, d *handlers.Deps) {
		d.Now = func() time.Time { return time.Unix(clock.Load(), 0).UTC() }
		d.Usage = &usage.Figures{Reader: &usage.Reader{Store: w.Store, Cluster: w.Registry.Default()}, Services: w.Store, Quotas: w.Registry}
	})
	ctx := context.Background()
	e := a.ECS["ecs-1"].Sim

	r := moduleReq(nil)
	r.Cluster, r.Config = "ecs-1", &whmcsbridge.ProductSettings{QuotaGB: "100"}
	a.module(whmcsbridge.FuncCreate, r)
	m, err := a.Store.S3UserByService(ctx, aliceService)
	if err != nil || m.Cluster != "ecs-1" {
		t.Fatalf("mapping %+v, %v", m, err)
	}
	email := aliceS3Email
	ns := ecs.NamespaceFor(email)
	buckets := []string{"photos", "backups", "logs"}
	for _, b := range buckets {
		if err := e.CreateBucket(ns, b, email); err != nil {
			t.Fatal(err)
		}
	}

	backend, err := a.Registry.Client("ecs-1")
	if err != nil {
		t.Fatal(err)
	}
	crashes := 0
	crash := errors.New("crash after fetch, before commit")
	cfg := usage.Config{Gateway: backend, Store: a.Store, Cluster: "ecs-1", Now: e.Now,
		Inject: func(p usage.Point, object string) error {
			if p == usage.PointFetched && crashes == 0 {
				crashes++
				return crash
			}
			return nil
		}}
	collector, err := usage.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Bucket sizes come from ECS's billing info, sampled every six hours
	// as serve's sampler does; the month's GB-months integrate them.
	sampler, err := usage.NewSampler(usage.Config{Gateway: backend, Store: a.Store, Cluster: "ecs-1", Now: e.Now})
	if err != nil {
		t.Fatal(err)
	}
	var stored uint64 // bytes in the buckets now
	var byteHours float64
	collect := func() {
		t.Helper()
		if _, err := collector.Run(ctx); err != nil {
			if !errors.Is(err, crash) && !strings.Contains(err.Error(), crash.Error()) {
				t.Fatalf("collect: %v", err)
			}
			// The process "restarts": a new collector over the same store.
			col, err := usage.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := col.Run(ctx); err != nil {
				t.Fatalf("collect after the crash: %v", err)
			}
		}
	}

	rng := rand.New(rand.NewPCG(7, 3))
	var ingress, egress uint64
	const step = 6
	hours := 31 * 24
	for h := 0; h < hours; h++ {
		if h%step == 0 {
			if _, err := sampler.Run(ctx); err != nil {
				t.Fatal(err)
			}
			byteHours += float64(stored) * step
		}
		if h%3 == 0 {
			for _, b := range buckets {
				tr := ecssim.Traffic{At: e.Now().Add(time.Duration(rng.IntN(59)) * time.Minute), Ingress: rng.Int64N(1 << 30), Egress: rng.Int64N(1 << 33), ObjectsCreated: 1}
				tr.BytesDelta = tr.Ingress
				if err := e.RecordTraffic(ns, b, tr); err != nil {
					t.Fatal(err)
				}
				ingress += uint64(tr.Ingress)
				egress += uint64(tr.Egress)
				stored += uint64(tr.BytesDelta)
			}
		}
		e.Advance(time.Hour)
		if h%(4*step) == 4*step-1 {
			collect()
		}
	}
	if _, err := sampler.Run(ctx); err != nil { // 1 November 00:00 closes the last step
		t.Fatal(err)
	}
	lastOfMonth := stored // the month's end is the snapshot WHMCS gets
	e.Advance(time.Hour)  // metering consistent past October's last hour
	collect()
	if crashes != 1 {
		t.Fatalf("the collector crashed %d times, want once", crashes)
	}

	clock.Store(time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC).Unix())
	status, got, _ := a.usageUpdate(aliceService)
	if status != http.StatusOK || len(got) != 1 {
		t.Fatalf("usage-update: %d %v", status, got)
	}
	if wantMB := int64((egress + 1<<20 - 1) >> 20); got[aliceService].BWMB != wantMB {
		t.Errorf("usage-update: %d MB egress, want %d", got[aliceService].BWMB, wantMB)
	}
	clock.Store(time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC).Unix())
	status, res := a.metrics(aliceService)
	if status != http.StatusOK || len(res.Services) != 1 {
		t.Fatalf("metrics: %d %+v", status, res)
	}
	if res.PeriodStart != start.Unix() {
		t.Errorf("period starts %d, want October", res.PeriodStart)
	}
	mv := res.Services[0].Metrics
	if res.Services[0].Tenant != email || mv.Ingress != float64(ingress)/1e9 || mv.Egress != float64(egress)/1e9 {
		t.Errorf("metrics: %s %+v; want %s ingress %d egress %d bytes", res.Services[0].Tenant, mv, email, ingress, egress)
	}
	if mv.Storage != float64(lastOfMonth)/1e9 || !approxRel(mv.StorageGBMonth, byteHours/1e9/usage.HoursPerMonth) {
		t.Errorf("metrics storage %v GB, %v GB-months; want %v GB (at the month's end), %v GB-months",
			mv.Storage, mv.StorageGBMonth, float64(lastOfMonth)/1e9, byteHours/1e9/usage.HoursPerMonth)
	}
}

// TestModule_ECSLifecycle: Suspend, Unsuspend and Terminate of a service
// on an ECS cluster lock, unlock and delete its ECS user; a product with
// an ops limit is refused there, naming the setting.
func TestModule_ECSLifecycle(t *testing.T) {
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}, ECS: []string{"ecs-1"}}, nil, nil)
	ctx := context.Background()
	b, err := a.Registry.Client("ecs-1")
	if err != nil {
		t.Fatal(err)
	}

	bad := moduleReq(nil)
	bad.Cluster = "ecs-1" // product(): an ops limit on GET and a bandwidth limit
	status, body := a.call(whmcsbridge.ModulePath(whmcsbridge.FuncCreate), bad)
	if msg, _ := body["error"].(string); status == http.StatusOK && body["result"] == "success" ||
		!strings.Contains(msg+fmt.Sprint(body), "Ops limit: GET") {
		t.Fatalf("an ops-limited product on ECS: %d %v", status, body)
	}
	if _, err := b.User(ctx, staas.ByEmail(aliceS3Email)); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("a refused product made a user: %v", err)
	}

	r := moduleReq(nil)
	r.Cluster, r.Config = "ecs-1", &whmcsbridge.ProductSettings{QuotaGB: "100"}
	a.module(whmcsbridge.FuncCreate, r)
	enabled := func() bool {
		t.Helper()
		u, err := b.User(ctx, staas.ByEmail(aliceS3Email))
		if err != nil {
			t.Fatal(err)
		}
		return u.Enabled()
	}
	if !enabled() {
		t.Fatal("a new ECS user is locked")
	}
	a.module(whmcsbridge.FuncSuspend, r)
	if enabled() {
		t.Error("suspend left the ECS user unlocked")
	}
	a.module(whmcsbridge.FuncUnsuspend, r)
	if !enabled() {
		t.Error("unsuspend left the ECS user locked")
	}
	a.module(whmcsbridge.FuncTerminate, r)
	if _, err := b.User(ctx, staas.ByEmail(aliceS3Email)); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Errorf("after terminate: %v", err)
	}
}

// A product set to purge buckets at termination, on ECS: terminating a
// suspended service deletes its buckets with their objects through ECS's
// own emptyBucket deletion (no S3 key made, the user not unlocked for it),
// then the user; each bucket is in the audit log with its object count.
// A bucket whose objects are under retention stops the termination with
// ECS's reason, and the user stays, so nothing is half gone.
func TestModule_ECSTerminatePurges(t *testing.T) {
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}, ECS: []string{"ecs-1"}}, nil, nil)
	ctx := context.Background()
	sim := a.ECS["ecs-1"].Sim
	b, err := a.Registry.Client("ecs-1")
	if err != nil {
		t.Fatal(err)
	}
	ns := ecs.NamespaceFor(aliceS3Email)

	r := moduleReq(nil)
	r.Cluster, r.Config = "ecs-1", &whmcsbridge.ProductSettings{TerminateBuckets: "purge"}
	a.module(whmcsbridge.FuncCreate, r)
	for _, name := range []string{"alice-photos", "alice-logs"} {
		if err := sim.CreateBucket(ns, name, aliceS3Email); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 7; i++ {
			if err := sim.PutObject(ns, name, 1<<20); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := sim.RetainObjects(ns, "alice-logs", 2); err != nil {
		t.Fatal(err)
	}
	a.module(whmcsbridge.FuncSuspend, r)
	keysBefore := userKeys(t, b, aliceS3Email)

	status, body := a.call(whmcsbridge.ModulePath(whmcsbridge.FuncTerminate), r)
	msg, _ := body["error"].(string)
	if status == http.StatusOK && body["result"] == "success" || !strings.Contains(msg+fmt.Sprint(body), "retention") {
		t.Fatalf("terminate with retained objects: %d %v", status, body)
	}
	u, err := b.User(ctx, staas.ByEmail(aliceS3Email))
	if err != nil {
		t.Fatalf("the user went although a bucket could not be purged: %v", err)
	}
	if u.Enabled() {
		t.Error("the suspended user was unlocked for the purge")
	}
	if got := userKeys(t, b, aliceS3Email); got != keysBefore {
		t.Errorf("keys %d before, %d after: a key was made for the purge", keysBefore, got)
	}

	// Retention lifted, WHMCS retries the termination (its Module Queue).
	if err := sim.RetainObjects(ns, "alice-logs", 0); err != nil {
		t.Fatal(err)
	}
	a.module(whmcsbridge.FuncTerminate, r)
	if _, err := b.User(ctx, staas.ByEmail(aliceS3Email)); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("after terminate the user is still there: %v", err)
	}
	if left, err := b.Buckets(ctx); err != nil || len(left) != 0 {
		t.Fatalf("buckets left after terminate: %v %v", left, err)
	}
	entries, err := a.Store.Audit(ctx, staas.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	purged := map[string]string{}
	for _, e := range entries {
		if e.Action == "service-purge-bucket" && e.Result == "ok" {
			purged[e.Params["bucket"]] = e.Params["objects"]
		}
	}
	if purged["alice-photos"] != "7" || purged["alice-logs"] == "" {
		t.Errorf("audited purges %v, want alice-photos with 7 objects and alice-logs", purged)
	}
}

// userKeys is how many key pairs the user has on the backend.
func userKeys(t *testing.T, b interface {
	User(context.Context, staas.UserRef) (*staas.StorageUser, error)
}, email string) int {
	t.Helper()
	u, err := b.User(context.Background(), staas.ByEmail(email))
	if err != nil {
		t.Fatal(err)
	}
	return len(u.Keys)
}

// The client area of a service on ECS, where a user's two key pairs share
// the access key id (the user name): the customer sees their key (the
// secret only when revealed), their buckets with sizes, generates a second
// key, sees its secret once, and revokes the first by its own button,
// which names that pair and no other.
func TestClientArea_OnECS(t *testing.T) {
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}, ECS: []string{"ecs-1"}}, nil, nil)
	ctx := context.Background()
	sim := a.ECS["ecs-1"].Sim
	b, err := a.Registry.Client("ecs-1")
	if err != nil {
		t.Fatal(err)
	}
	r := moduleReq(nil)
	r.Cluster, r.Config = "ecs-1", &whmcsbridge.ProductSettings{QuotaGB: "100"}
	a.module(whmcsbridge.FuncCreate, r)
	ns := ecs.NamespaceFor(aliceS3Email)
	if err := sim.CreateBucket(ns, "alice-video", aliceS3Email); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := sim.PutObject(ns, "alice-video", 500_000_000); err != nil {
			t.Fatal(err)
		}
	}
	u, err := b.User(ctx, staas.ByEmail(aliceS3Email))
	if err != nil || len(u.Keys) != 1 {
		t.Fatalf("the ECS user after create: %+v, %v", u, err)
	}
	first := u.Keys[0]
	// buttons are the access_key values the page's forms of action fn post.
	buttons := func(doc *goquery.Document, fn string) []string {
		var refs []string
		doc.Find(`form:has(input[name="a"][value="` + fn + `"]) input[name="access_key"]`).Each(func(_ int, in *goquery.Selection) {
			refs = append(refs, in.AttrOr("value", ""))
		})
		return refs
	}

	doc := a.clientArea("tok")
	text := doc.Text()
	if !strings.Contains(text, first.AccessKeyID) || strings.Contains(text, first.SecretAccessKey) {
		t.Fatalf("the client area shows the secret unasked, or not the key: %q", text)
	}
	if !strings.Contains(text, "alice-video") || !strings.Contains(text, "1.5 GB") {
		t.Errorf("the client area lacks the bucket and its size: %q", text)
	}
	reveal := buttons(doc, "revealsecret")
	if len(reveal) != 1 {
		t.Fatalf("reveal buttons %q", reveal)
	}
	if status, body := a.clientAct(1, whmcsbridge.ClientRevealSecret, map[string]string{"access_key": reveal[0]}); status != 200 {
		t.Fatalf("reveal: %d %v", status, body)
	}
	if got := revealed(a.clientArea("tok")); got != first.SecretAccessKey {
		t.Errorf("after reveal the client area shows %q", got)
	}
	if status, body := a.clientAct(1, whmcsbridge.ClientGenerateKey, nil); status != 200 {
		t.Fatalf("generate on ECS: %d %v", status, body)
	}
	u, err = b.User(ctx, staas.ByEmail(aliceS3Email))
	if err != nil || len(u.Keys) != 2 {
		t.Fatalf("keys after generate: %+v, %v", u, err)
	}
	var second staas.KeyPair
	for _, k := range u.Keys {
		if k.SecretAccessKey != first.SecretAccessKey {
			second = k
		}
	}
	doc = a.clientArea("tok")
	if got := revealed(doc); got != second.SecretAccessKey {
		t.Errorf("the new secret is not the one shown once: %q", got)
	}
	revoke := buttons(doc, "revokekey")
	if len(revoke) != 2 || revoke[0] == revoke[1] {
		t.Fatalf("revoke buttons %q: each pair needs its own", revoke)
	}
	if n := strings.Count(doc.Find("table").Text(), first.AccessKeyID); n != 2 {
		t.Errorf("the key table names the access key id %d times, want once per pair", n)
	}
	var firstRef string
	for _, ref := range revoke {
		if ref == first.Ref() {
			firstRef = ref
		}
	}
	if firstRef == "" {
		t.Fatalf("no revoke button names the first pair (%s) among %q", first.KeyID, revoke)
	}
	if status, body := a.clientAct(1, whmcsbridge.ClientRevokeKey, map[string]string{"access_key": firstRef}); status != 200 {
		t.Fatalf("revoke on ECS: %d %v", status, body)
	}
	u, err = b.User(ctx, staas.ByEmail(aliceS3Email))
	if err != nil || len(u.Keys) != 1 || u.Keys[0].SecretAccessKey != second.SecretAccessKey {
		t.Fatalf("keys after revoking the first: %+v, %v", u, err)
	}
}
