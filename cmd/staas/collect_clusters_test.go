package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	usagecol "staas/internal/usage"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
)

// `staas collect` on an install with two clusters, as a cron job runs it:
// both clusters' traffic and bucket sizes land in the ledger, each report
// line names its cluster; with one cluster down the other still collects
// and the exit status says something failed, naming the cluster; and
// -cluster runs one alone.
func TestCollect_TwoClusters(t *testing.T) {
	ctx := context.Background()
	w := testworld.New(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}, Clusters: []string{"eu-2"}})
	def := w.Clusters["default"].Sim.SystemCredentials()
	env := map[string]string{
		"STAAS_OSTOR_ENDPOINT":   w.URL,
		"STAAS_OSTOR_ACCESS_KEY": def.AccessKey,
		"STAAS_OSTOR_SECRET_KEY": def.SecretKey,
		"STAAS_STORE_DSN":        w.StoreDSN,
	}
	// The registry's env: references (testworld registers SIM_<NAME>).
	for name, c := range w.Clusters {
		prefix := "SIM_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		creds := c.Sim.SystemCredentials()
		env[prefix+"_ACCESS_KEY"], env[prefix+"_SECRET_KEY"] = creds.AccessKey, creds.SecretKey
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	// One user a cluster, with a bucket and an hour of traffic.
	users := map[string]string{}
	// Both clusters' gateway services have the same id, so their
	// statistics objects of one period have the same name: each is still
	// its own cluster's object, collected and billed there.
	services := map[string]string{"default": "80000000000000065", "eu-2": "80000000000000065"}
	put := func(cluster string, hour int, downloaded int) {
		t.Helper()
		start := time.Date(2025, 5, 1, hour, 0, 0, 0, time.UTC)
		service := services[cluster]
		name := ostorsim.UsageObjectName(service, start, 30*time.Minute)
		w.Clusters[cluster].Sim.PutUsageObject(name, fmt.Appendf(nil, `{"fmt_version":1,"service_id":%s,"start_ts":%d,"period":1800,"nr_items":1,"items":[`+
			`{"key":{"bucket":"b-%s","epoch":1,"user_id":%q,"tag":""},"counters":{"ops":{"put":1,"get":1,"list":0,"other":0},"net_io":{"uploaded":1,"downloaded":%d}}}]}`,
			service, start.Unix(), cluster, users[cluster], downloaded))
	}
	for i, name := range []string{"default", "eu-2"} {
		c := w.Clusters[name]
		u, err := c.Gateway.CreateUser(ctx, name+"@example.com")
		if err != nil {
			t.Fatal(err)
		}
		users[name] = u.ID
		if err := c.Sim.CreateBucket(name+"@example.com", "b-"+name); err != nil {
			t.Fatal(err)
		}
		if err := c.Sim.SetBucketSize("b-"+name, uint64(i+1)<<20); err != nil {
			t.Fatal(err)
		}
		put(name, 10, 100*(i+1))
	}
	downloaded := func(cluster string) uint64 {
		t.Helper()
		rows, err := w.Store.UsageRows(ctx, cluster, users[cluster], 0, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, r := range rows {
			sum += r.Downloaded
		}
		return sum
	}
	stored := func(cluster string) uint64 {
		t.Helper()
		s, _, err := (&usagecol.Reader{Store: w.Store, Cluster: cluster}).CurrentStorage(ctx, users[cluster])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"collect"}, lookup, &stdout, &stderr); err != nil {
		t.Fatalf("collect: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"cluster default: usage: 1 objects listed, 1 collected",
		"cluster default: storage: 1 buckets sampled",
		"cluster eu-2: usage: 1 objects listed, 1 collected",
		"cluster eu-2: storage: 1 buckets sampled",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("collect said\n%s\nwant a line with %q", out, want)
		}
	}
	if got := downloaded("default"); got != 100 {
		t.Errorf("default's ledger holds %d bytes downloaded, want 100", got)
	}
	if got := downloaded("eu-2"); got != 200 {
		t.Errorf("eu-2's ledger holds %d bytes downloaded, want 200", got)
	}
	if s := stored("default"); s != 1<<20 {
		t.Errorf("default's sampled storage %d, want 1 MiB", s)
	}
	if s := stored("eu-2"); s != 2<<20 {
		t.Errorf("eu-2's sampled storage %d, want 2 MiB", s)
	}

	// default goes down; eu-2 has a new hour of traffic.
	put("eu-2", 11, 50)
	w.Clusters["default"].Sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	stdout.Reset()
	err := run(ctx, []string{"collect"}, lookup, &stdout, &stderr)
	if err == nil {
		t.Fatalf("collect with cluster default down succeeded; said\n%s", stdout.String())
	}
	if !strings.Contains(err.Error(), "cluster default") || strings.Contains(err.Error(), "cluster eu-2") {
		t.Errorf("the failure reads %q; want it to name default alone", err)
	}
	out = stdout.String()
	for _, want := range []string{"cluster default: failed:", "cluster eu-2: usage: 1 objects listed, 1 collected", "cluster eu-2: storage: 1 buckets sampled"} {
		if !strings.Contains(out, want) {
			t.Errorf("collect said\n%s\nwant a line with %q", out, want)
		}
	}
	if got := downloaded("eu-2"); got != 250 {
		t.Errorf("with default down, eu-2's ledger holds %d bytes downloaded, want 250", got)
	}

	// -cluster runs the one named, and refuses a name not registered.
	put("eu-2", 12, 25)
	stdout.Reset()
	if err := run(ctx, []string{"collect", "-cluster", "eu-2"}, lookup, &stdout, &stderr); err != nil {
		t.Fatalf("collect -cluster eu-2 (default still down): %v", err)
	}
	if out := stdout.String(); strings.Contains(out, "cluster default") || !strings.Contains(out, "cluster eu-2: usage: 1 objects listed, 1 collected") {
		t.Errorf("collect -cluster eu-2 said\n%s", out)
	}
	if got := downloaded("eu-2"); got != 275 {
		t.Errorf("eu-2's ledger holds %d bytes downloaded, want 275", got)
	}
	if err := run(ctx, []string{"collect", "-cluster", "nowhere"}, lookup, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Errorf("an unknown cluster gave %v", err)
	}
}
