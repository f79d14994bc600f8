package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"staas/internal/provision"
	usagecol "staas/internal/usage"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
)

// Two clusters in one world, the product built as serve builds it: with
// cluster "default" down, the daily cron still collects and samples
// "eu-2", and the service on eu-2 has its month's figures to bill; the
// failure is reported for default alone.
func TestClusters_AnOutageLeavesTheOtherBilling(t *testing.T) {
	ctx := context.Background()
	w := testworld.New(t, testworld.Options{Clusters: []string{"eu-2"}})
	p, err := buildProduct(wiring{Store: w.Store, WHMCS: w.Bridge, Clusters: w.Registry, ShimSecret: []byte("s"), Daily: true,
		Log: newLogger(&syncBuffer{}, "text", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Clusters) != 2 {
		t.Fatalf("jobs for %d clusters", len(p.Clusters))
	}
	eu := w.Clusters["eu-2"]
	m, err := p.Provision.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 7, ClientID: 1, ClientEmail: "alice@example.com", Cluster: "eu-2"},
		provision.ProductConfig{QuotaGB: "10"})
	if err != nil {
		t.Fatal(err)
	}
	if err := eu.Sim.CreateBucket(m.Email, "alice-eu"); err != nil {
		t.Fatal(err)
	}
	if err := eu.Sim.SetBucketSize("alice-eu", 5<<20); err != nil {
		t.Fatal(err)
	}
	if err := eu.Sim.AddTraffic(ostorsim.Traffic{Email: m.Email, Bucket: "alice-eu", Get: 4, Downloaded: 4 << 20}); err != nil {
		t.Fatal(err)
	}
	eu.Sim.Advance(2 * time.Hour)

	w.Clusters["default"].Sim.SetFaults(ostorsim.Faults{DropRate: 1})
	text := strings.Join(p.Daily.Run(ctx), "\n")
	for _, want := range []string{"usage collection on cluster default failed", "storage sampling on cluster default failed",
		"usage collection on cluster eu-2 counted", "storage sampling on cluster eu-2 measured 1 bucket(s)"} {
		if !strings.Contains(text, want) {
			t.Errorf("daily lines lack %q:\n%s", want, text)
		}
	}

	// eu-2's figures, as usage-update reads them for the service: the
	// storage and traffic from eu-2's ledger rows, the quota from eu-2.
	now := eu.Sim.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if now.Sub(month) < 2*time.Hour {
		month = month.AddDate(0, -1, 0) // the traffic hour is last month's
	}
	su, err := p.Usage.ServiceUpdate(ctx, 7, month)
	if err != nil || su == nil {
		t.Fatalf("usage-update figures: %+v, %v", su, err)
	}
	if su.StoredBytes != 5<<20 || su.DownloadedBytes != 4<<20 || su.QuotaGB != 10 {
		t.Errorf("eu-2 figures %+v, want 5 MiB stored, 4 MiB downloaded, quota 10 GB", su)
	}
	// The default cluster's reader does not know eu-2's user.
	if s, _, _ := (&usagecol.Reader{Store: w.Store, Cluster: "default"}).CurrentStorage(ctx, m.UserID); s != 0 {
		t.Errorf("default reports eu-2's storage: %d", s)
	}
}
