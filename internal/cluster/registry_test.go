package cluster_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/cluster"
	"staas/internal/ecs"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/ecssim"
	"staas/standin/ostorsim"
)

type sim struct {
	*ostorsim.Sim
	url string
}

func newSim(t *testing.T) sim {
	t.Helper()
	s := ostorsim.MustNew(ostorsim.Options{Seed: 1})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return sim{s, srv.URL}
}

func TestRegistry_TwoClustersEachWithItsOwnCredentials(t *testing.T) {
	ctx := context.Background()
	a, b := newSim(t), newSim(t)
	dir := t.TempDir()
	credsB := b.SystemCredentials()
	file := filepath.Join(dir, "eu-2.creds")
	if err := os.WriteFile(file, []byte("# eu-2's system user\naccess_key = "+credsB.AccessKey+"\nsecret_key="+credsB.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	credsA := a.SystemCredentials()
	env := map[string]string{"SIM_A_ACCESS_KEY": credsA.AccessKey, "SIM_A_SECRET_KEY": credsA.SecretKey}
	clock := map[string]func() time.Time{"default": a.Now, "eu-2": b.Now}
	r, err := cluster.New([]store.Cluster{
		{Name: "default", Kind: store.ClusterOstor, AdminEndpoint: a.url, Signature: "v2", Credentials: "env:SIM_A", IsDefault: true},
		{Name: "eu-2", Kind: store.ClusterOstor, AdminEndpoint: b.url, Signature: "v2", Credentials: "file:" + file},
		{Name: "gone", Kind: store.ClusterOstor, AdminEndpoint: b.url, Signature: "v2", Credentials: "file:" + filepath.Join(dir, "missing")},
	}, cluster.Config{
		Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Ostor:  ostor.Config{MaxRetries: -1, Timeout: 2 * time.Second},
		Adjust: func(name string, c *ostor.Config) { c.Now = clock[name] },
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Default() != "default" || strings.Join(r.Names(), ",") != "default,eu-2,gone" {
		t.Fatalf("default %q, names %v", r.Default(), r.Names())
	}

	// A user made on eu-2 is on eu-2 only.
	eu, err := r.Backend("eu-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eu.CreateUser(ctx, "zoe@example.com"); err != nil {
		t.Fatal(err)
	}
	def, err := r.Backend("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := def.User(ctx, staas.ByEmail("zoe@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("the default cluster knows eu-2's user: %v", err)
	}
	if again, _ := r.Backend("eu-2"); again != eu {
		t.Error("a second lookup built a second client")
	}

	_, err = r.Backend("nowhere")
	if staas.ErrorCode(err) != staas.EINVALID || !strings.Contains(staas.ErrorMessage(err), `no cluster named "nowhere"`) {
		t.Fatalf("unknown cluster: %v", err)
	}

	// Readiness per cluster: one down, the others answer.
	a.SetFaults(ostorsim.Faults{DropRate: 1})
	got := map[string]error{}
	for _, c := range r.Checks() {
		got[c.Cluster] = c.Ping(ctx)
	}
	if got["default"] == nil || got["eu-2"] != nil || got["gone"] == nil {
		t.Fatalf("checks %v", got)
	}
	if strings.Contains(got["gone"].Error(), credsB.SecretKey) {
		t.Fatal("an error shows a secret")
	}
}

func TestCredentials(t *testing.T) {
	files := map[string]string{
		"/ok":      "access_key = AK\nsecret_key = SK\n",
		"/half":    "access_key = AK\n",
		"/garbage": "AK:SK\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, &os.PathError{Op: "open", Path: p, Err: errors.New("no such file")}
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"X_ACCESS_KEY": "ak", "X_SECRET_KEY": "sk"}[k]
		return v, ok
	}
	if a, s, err := cluster.Credentials("env:X", env, read); err != nil || a != "ak" || s != "sk" {
		t.Errorf("env: %q %q %v", a, s, err)
	}
	if a, s, err := cluster.Credentials("file:/ok", env, read); err != nil || a != "AK" || s != "SK" {
		t.Errorf("file: %q %q %v", a, s, err)
	}
	for _, ref := range []string{"env:Y", "env:", "file:/half", "file:/garbage", "file:/missing", "AK:SK", ""} {
		_, _, err := cluster.Credentials(ref, env, read)
		if staas.ErrorCode(err) != staas.EINVALID {
			t.Errorf("%q: %v", ref, err)
		}
		if err != nil && strings.Contains(err.Error(), "SK") {
			t.Errorf("%q: the error shows the secret: %v", ref, err)
		}
	}
}

func TestNew_NeedsAClusterNotADefault(t *testing.T) {
	if _, err := cluster.New(nil, cluster.Config{}); staas.ErrorCode(err) != staas.EINVALID {
		t.Errorf("no clusters: %v", err)
	}
	r, err := cluster.New([]store.Cluster{{Name: "a", Kind: store.ClusterOstor}}, cluster.Config{})
	if err != nil || r.Default() != "" {
		t.Fatalf("no default: %v", err)
	}
	if _, err := r.Backend(""); staas.ErrorCode(err) != staas.EINVALID {
		t.Errorf("the default of a registry without one: %v", err)
	}
}

// An ECS cluster beside an ostor one: the registry speaks to each in its
// own protocol, and the ECS backend gives provisioning and usage
// collection what they need, against the independent ECS simulator.
func TestRegistry_ECSClusterBesideOstor(t *testing.T) {
	ctx := context.Background()
	o := newSim(t)
	e, err := ecssim.New(ecssim.Options{Username: "staas-admin", Password: "ecs-secret-1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := e.NewTestServer()
	t.Cleanup(srv.Close)
	creds := o.SystemCredentials()
	env := map[string]string{
		"SIM_A_ACCESS_KEY": creds.AccessKey, "SIM_A_SECRET_KEY": creds.SecretKey,
		"ECS1_ACCESS_KEY": "staas-admin", "ECS1_SECRET_KEY": "ecs-secret-1",
	}
	r, err := cluster.New([]store.Cluster{
		{Name: "default", Kind: store.ClusterOstor, AdminEndpoint: o.url, Signature: "v2", Credentials: "env:SIM_A", IsDefault: true},
		{Name: "ecs-1", Kind: store.ClusterECS, AdminEndpoint: srv.URL, Credentials: "env:ECS1"},
	}, cluster.Config{
		Lookup:    func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Ostor:     ostor.Config{MaxRetries: -1, Timeout: 2 * time.Second, Now: o.Now},
		ECS:       ecs.Config{Timeout: 2 * time.Second},
		AdjustECS: func(_ string, c *ecs.Config) { c.Now = e.Now },
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Client("ecs-1")
	if err != nil {
		t.Fatal(err)
	}
	if caps := b.Capabilities(); caps.OpsLimits || caps.BandwidthLimits {
		t.Fatalf("ECS claims rate limits: %+v", caps)
	}
	if err := r.Test(ctx, "ecs-1"); err != nil {
		t.Fatalf("staas cluster test on ECS: %v", err)
	}

	// Create, suspend (lock), unsuspend: the user is on ECS only.
	keys, err := b.CreateUser(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 1 || keys.Keys[0].SecretAccessKey == "" || keys.Keys[0].AccessKeyID != "ann@example.com" {
		t.Fatalf("ECS keys: %+v", keys)
	}
	def, _ := r.Backend("")
	if _, err := def.User(ctx, staas.ByEmail("ann@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("the ostor cluster knows the ECS user: %v", err)
	}
	if err := b.DisableUser(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	u, err := b.User(ctx, staas.ByEmail("ann@example.com"))
	if err != nil || u.Enabled() {
		t.Fatalf("after suspend: %+v, %v", u, err)
	}
	if err := b.EnableUser(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if u, err := b.User(ctx, staas.ByEmail("ann@example.com")); err != nil || !u.Enabled() {
		t.Fatalf("after unsuspend: %+v, %v", u, err)
	}
	// Change package: the user's quota is its namespace's.
	if err := b.SetQuota(ctx, staas.UserQuota(staas.ByEmail("ann@example.com")), 50); err != nil {
		t.Fatal(err)
	}
	if q, err := r.Quota(ctx, "ecs-1", staas.UserQuota(staas.ByEmail("ann@example.com"))); err != nil || q.SizeGB != 50 {
		t.Fatalf("quota read back: %+v, %v", q, err)
	}
	// A product's ops limit is refused with nothing sent.
	if err := b.SetOpsLimit(ctx, staas.UserLimits(staas.ByEmail("ann@example.com")), "get", 10); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatalf("ops limit on ECS: %v", err)
	}

	// Traffic in one hour is billed from that hour's samples once the
	// samples are consistent (uptodate_till past the hour's end).
	ns := ecs.NamespaceFor("ann@example.com")
	if err := e.CreateBucket(ns, "photos", "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	hour := e.Now().Truncate(time.Hour)
	if err := e.RecordTraffic(ns, "photos", ecssim.Traffic{At: hour.Add(3 * time.Minute), Ingress: 5000, Egress: 1234, ObjectsCreated: 2, BytesDelta: 5000}); err != nil {
		t.Fatal(err)
	}
	e.Advance(2 * time.Hour)
	want := ecs.UsageName(hour)
	var names []string
	if err := b.EachUsageObject(ctx, func(n string) error { names = append(names, n); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, want) {
		t.Fatalf("window %s not listed among %d: %v", want, len(names), names)
	}
	var got []staas.UsageItem
	h, err := b.StreamUsageObject(ctx, want, func(it staas.UsageItem) error { got = append(got, it); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if h.Period != 3600 || len(got) != 1 || got[0].Key.UserID != "ann@example.com" || got[0].Key.Bucket != "photos" || got[0].Uploaded != 5000 || got[0].Downloaded != 1234 {
		t.Fatalf("window %s: header %+v, items %+v", want, h, got)
	}
	buckets, err := b.Buckets(ctx)
	if err != nil || len(buckets) != 1 || buckets[0].OwnerID != "ann@example.com" {
		t.Fatalf("buckets: %+v, %v", buckets, err)
	}

	// Bucket billing info: the ECS backend reports it, in the unit asked;
	// the ostor one does not offer it.
	eb, _ := r.Backend("ecs-1")
	bb, ok := eb.(provision.BucketBillingBackend)
	if !ok {
		t.Fatal("the ECS backend reports no bucket billing info")
	}
	if _, ok := def.(provision.BucketBillingBackend); ok {
		t.Error("the ostor backend claims bucket billing info")
	}
	bills, err := bb.UserBucketBilling(ctx, staas.ByEmail("ann@example.com"), "BYTE")
	if err != nil || len(bills) != 1 || bills[0].Name != "photos" || bills[0].Namespace != ns || bills[0].Unit != "BYTE" || bills[0].TotalSize != 5000 || bills[0].Objects != 2 {
		t.Fatalf("bucket billing: %+v, %v", bills, err)
	}

	// Terminate.
	if err := b.DeleteUser(ctx, staas.ByEmail("ann@example.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.User(ctx, staas.ByEmail("ann@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("after terminate: %v", err)
	}
}
