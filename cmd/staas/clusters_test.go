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
	m, err := p.Provision.CreateService(ctx, provision.ServiceRef{ServiceID: 7, ClientID: 1, ClientEmail: "alice@example.com", Cluster: "eu-2"},
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
	var lines []string
	for _, c := range p.Clusters {
		lines = append(lines, c.daily(ctx, true, newLogger(&syncBuffer{}, "text", 0))...)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"usage collection on cluster default failed", "storage sampling on cluster default failed",
		"usage collection on cluster eu-2 counted", "storage sampling on cluster eu-2 measured 1 bucket(s)"} {
		if !strings.Contains(text, want) {
			t.Errorf("daily lines lack %q:\n%s", want, text)
		}
	}

	// eu-2's figures, as usage-update reads them for the service.
	rd := clusterUsage{&usagecol.Reader{Store: w.Store, Cluster: "default"}}.OnCluster("eu-2")
	stored, _, err := rd.CurrentStorage(ctx, m.UserID)
	if err != nil || stored != 5<<20 {
		t.Fatalf("eu-2 storage %d, %v", stored, err)
	}
	now := eu.Sim.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	tot, err := rd.Totals(ctx, m.UserID, month.AddDate(0, -1, 0), month.AddDate(0, 1, 0))
	if err != nil || tot.Traffic.Downloaded != 4<<20 {
		t.Fatalf("eu-2 traffic %+v, %v", tot, err)
	}
	// The default cluster's reader does not know eu-2's user.
	if s, _, _ := (&usagecol.Reader{Store: w.Store, Cluster: "default"}).CurrentStorage(ctx, m.UserID); s != 0 {
		t.Errorf("default reports eu-2's storage: %d", s)
	}
}
