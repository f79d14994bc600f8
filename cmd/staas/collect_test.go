package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"staas/internal/store"
	"staas/standin/ostorsim"
)

func TestCollect(t *testing.T) {
	sim := ostorsim.MustNew(ostorsim.Options{Seed: 3, WallClock: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	creds := sim.SystemCredentials()
	gw := ostorClient(t, srv.URL, creds)
	u, err := gw.CreateUser(context.Background(), "c@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.CreateBucket("c@example.com", "data"); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetBucketSize("data", 1<<30); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	name := ostorsim.UsageObjectName("80000000000000065", start, 30*time.Minute)
	sim.PutUsageObject(name, fmt.Appendf(nil, `{"fmt_version":1,"service_id":80000000000000065,"start_ts":%d,"period":1800,"nr_items":1,"items":[`+
		`{"key":{"bucket":"data","epoch":1,"user_id":%q,"tag":""},"counters":{"ops":{"put":2,"get":3,"list":0,"other":0},"net_io":{"uploaded":100,"downloaded":200}}}]}`,
		start.Unix(), u.ID))

	dsn := filepath.Join(t.TempDir(), "staas.db")
	env := map[string]string{
		"STAAS_OSTOR_ENDPOINT":   srv.URL,
		"STAAS_OSTOR_ACCESS_KEY": creds.AccessKey,
		"STAAS_OSTOR_SECRET_KEY": creds.SecretKey,
		"STAAS_STORE_DSN":        dsn,
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"collect"}, lookup, &stdout, &stderr); err != nil {
		t.Fatalf("collect: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"usage: 1 objects listed, 1 collected, 0 already collected, 1 deleted, 0 failed; 1 items, 1 of users no client is mapped to",
		"storage: 1 buckets sampled"} {
		if !strings.Contains(out, want) {
			t.Errorf("collect said %q; want %q", out, want)
		}
	}
	if len(sim.UsageObjectNames()) != 0 {
		t.Error("the object is still on the gateway")
	}
	if strings.Contains(stderr.String(), creds.SecretKey) {
		t.Error("the secret key reached the logs")
	}
	st, err := store.Open(context.Background(), "sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.UsageRows(context.Background(), "default", u.ID, 0, 1<<40)
	if err != nil || len(rows) != 1 || rows[0].Put != 2 || rows[0].Downloaded != 200 {
		t.Errorf("ledger %+v, %v", rows, err)
	}
	st.Close()

	stdout.Reset()
	if err := run(context.Background(), []string{"collect", "-storage=false"}, lookup, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String(), "storage:") || !strings.Contains(stdout.String(), "0 objects listed") {
		t.Errorf("second run said %q", stdout.String())
	}
	if err := run(context.Background(), []string{"collect", "extra"}, lookup, &stdout, &stderr); err == nil {
		t.Error("an argument was accepted")
	}
}
