package cluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/ecs"
	"staas/standin/ecssim"
)

// Emptying a bucket on ECS runs in the background: staas polls its status
// until it is done and reports the objects deleted. One that outlasts the
// wait is a temporary error saying how far it got, and the next try waits
// for the same deletion instead of asking for a second one.
func TestECSPurgeUserBucketWaitsForTheBackgroundDeletion(t *testing.T) {
	ctx := context.Background()
	sim, err := ecssim.New(ecssim.Options{Username: "root", Password: "purge-secret", EmptyBucketPolls: 4})
	if err != nil {
		t.Fatal(err)
	}
	srv := sim.NewTestServer()
	defer srv.Close()
	// The client's clock moves a second per reading, so EmptyWait runs out
	// after a few polls whatever the machine's speed.
	var tick time.Time
	now := func() time.Time { tick = tick.Add(time.Second); return tick }
	c, err := ecs.New(ecs.Config{Endpoint: srv.URL, Username: "root", Password: "purge-secret", EmptyPoll: time.Millisecond, EmptyWait: 3 * time.Second, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	email := "zoe@example.com"
	if _, err := c.CreateUser(ctx, email); err != nil {
		t.Fatal(err)
	}
	ns := ecs.NamespaceFor(email)
	for _, name := range []string{"zoe-big", "zoe-empty"} {
		if err := sim.CreateBucket(ns, name, email); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 40; i++ {
		if err := sim.PutObject(ns, "zoe-big", 4096); err != nil {
			t.Fatal(err)
		}
	}

	n, err := c.PurgeUserBucket(ctx, staas.ByEmail(email), "zoe-big")
	if staas.ErrorCode(err) != staas.EUNAVAILABLE || !strings.Contains(staas.ErrorMessage(err), "still emptying bucket zoe-big") {
		t.Fatalf("a deletion outlasting the wait: %d, %v", n, err)
	}
	if sim.Emptying(ns, "zoe-big") != "IN_PROGRESS" {
		t.Fatalf("status %q, want IN_PROGRESS", sim.Emptying(ns, "zoe-big"))
	}
	deactivations := sim.Requests("/object/bucket/zoe-big/deactivate")
	n, err = c.PurgeUserBucket(ctx, staas.ByEmail(email), "zoe-big")
	if err != nil || n != 40 {
		t.Fatalf("the retry: %d objects, %v; want 40", n, err)
	}
	if got := sim.Requests("/object/bucket/zoe-big/deactivate"); got != deactivations {
		t.Errorf("the retry asked ECS to delete the bucket again (%d deactivations, was %d)", got, deactivations)
	}
	if n, err := c.PurgeUserBucket(ctx, staas.ByEmail(email), "zoe-empty"); err != nil || n != 0 {
		t.Fatalf("an empty bucket: %d, %v", n, err)
	}
	left, err := c.BucketsOf(ctx, staas.ByEmail(email))
	if err != nil || len(left) != 0 {
		t.Fatalf("buckets left: %v, %v", left, err)
	}
	// Purging a bucket already gone is done, not an error: a retry after
	// an answer was lost.
	if n, err := c.PurgeUserBucket(ctx, staas.ByEmail(email), "zoe-big"); err != nil || n != 0 {
		t.Fatalf("a bucket already gone: %d, %v", n, err)
	}
	if _, err := c.PurgeUserBucket(ctx, staas.ByEmail(email), ""); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatalf("no bucket named: %v", err)
	}
}
