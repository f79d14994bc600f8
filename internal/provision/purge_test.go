package provision_test

import (
	"context"
	"testing"

	"staas"
	"staas/internal/provision"
)

var fullAdmin = provision.Actor{Admin: staas.Admin{ID: 7, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}, ClientID: 1}

// PurgeBucket (the admin's "Empty and delete") goes through the same purge
// as Terminate, as the bucket's owner: a disabled user without a key pair
// is enabled and given a pair for it, and left as it was after (disabled,
// no pair). It touches only the bucket named, and refuses a bucket that
// is not the client's before doing anything.
func TestPurgeBucket_AsTheOwnerAndLeavesTheUserAsItWas(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m, err := e.svc.Admin.CreateUser(ctx, fullAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"alice-photos", "alice-docs"} {
		if err := e.Sim.CreateBucket(m.Email, b); err != nil {
			t.Fatal(err)
		}
	}
	u, err := e.gw.User(ctx, staas.ByID(m.UserID))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range u.Keys {
		if err := e.gw.RevokeKey(ctx, m.Email, k.AccessKeyID); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.gw.DisableUser(ctx, m.Email); err != nil {
		t.Fatal(err)
	}

	if _, err := e.svc.Admin.PurgeBucket(ctx, fullAdmin, ""); provision.Fields(err)["bucket"] == "" {
		t.Errorf("no bucket: %v", err)
	}
	if _, err := e.svc.Admin.PurgeBucket(ctx, fullAdmin, "not-hers"); provision.Fields(err)["bucket"] == "" {
		t.Errorf("another bucket: %v", err)
	}
	viewer := fullAdmin
	viewer.Admin.Permissions = []string{staas.PermViewClientSummary}
	if _, err := e.svc.Admin.PurgeBucket(ctx, viewer, "alice-photos"); staas.ErrorCode(err) != staas.EFORBIDDEN {
		t.Errorf("a viewer: %v", err)
	}
	if calls := e.purger.taken(); len(calls) != 0 {
		t.Fatalf("refused purges reached the purger: %+v", calls)
	}

	n, err := e.svc.Admin.PurgeBucket(ctx, fullAdmin, "alice-photos")
	if err != nil || n != 3 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	calls := e.purger.taken()
	if len(calls) != 1 || calls[0].Bucket != "alice-photos" || !calls[0].OwnerEnabled || !calls[0].OwnerKey {
		t.Fatalf("purger calls = %+v, want one for alice-photos as the enabled owner", calls)
	}
	after, err := e.gw.User(ctx, staas.ByID(m.UserID))
	if err != nil {
		t.Fatal(err)
	}
	if after.Enabled() || len(after.Keys) != 0 {
		t.Errorf("after the purge: enabled %v, %d key pairs; want disabled and none, as before", after.Enabled(), len(after.Keys))
	}
	if e.Sim.HasBucket("alice-photos") || !e.Sim.HasBucket("alice-docs") {
		t.Errorf("buckets after: photos %v docs %v", e.Sim.HasBucket("alice-photos"), e.Sim.HasBucket("alice-docs"))
	}
	if err := e.svc.Admin.CheckDeleteUser(ctx, fullAdmin); staas.ErrorCode(err) != staas.ECONFLICT {
		t.Errorf("Delete User with alice-docs left: %v", err)
	}
}

// Without a purger configured, Empty and delete says so before anything.
func TestPurgeBucket_NotConfigured(t *testing.T) {
	e := newLC(t, lcOptions{noPurger: true})
	ctx := context.Background()
	m, err := e.svc.Admin.CreateUser(ctx, fullAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.CreateBucket(m.Email, "alice-photos"); err != nil {
		t.Fatal(err)
	}
	err = e.svc.Admin.CheckPurgeBucket(ctx, fullAdmin, "alice-photos")
	wantCode(t, err, staas.EINVALID, "not configured")
	if _, err := e.svc.Admin.PurgeBucket(ctx, fullAdmin, "alice-photos"); staas.ErrorCode(err) != staas.EINVALID || !e.Sim.HasBucket("alice-photos") {
		t.Errorf("purge without a purger: %v", err)
	}
}
