package cluster_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/cluster"
	"staas/internal/ostor"
	"staas/internal/store"
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
