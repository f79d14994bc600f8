package whmcs

import (
	"context"
	"testing"
	"time"

	"staas/standin/whmcssim"
)

// testModuleQueue: a failed create and two failed suspends of one service
// of client 1, a failed call of another module and one of client 2's
// service, and one entry a retry completed: the client's page lists the
// two open staas entries of its own services with WHMCS's fields.
func testModuleQueue(t *testing.T, d *DB) {
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	for _, s := range []struct{ id, client int64 }{{10, 1}, {11, 1}, {20, 2}} {
		if err := whmcssim.SetService(ctx, d.db, s.id, s.client, "Active"); err != nil {
			t.Fatal(err)
		}
	}
	fail := func(service int64, module, action, msg string, at time.Time) {
		t.Helper()
		if err := whmcssim.ModuleCallFailed(ctx, d.db, service, module, action, msg, at); err != nil {
			t.Fatal(err)
		}
	}
	fail(10, "staas", "create", "The storage gateway could not be reached.", at)
	fail(10, "staas", "suspend", "first", at)
	fail(10, "staas", "suspend", "The gateway answered 503.", at.Add(time.Hour))
	fail(11, "cpanel", "create", "not ours", at)
	fail(20, "staas", "create", "another client's", at)
	fail(11, "staas", "terminate", "done later", at)
	if err := whmcssim.ModuleCallSucceeded(ctx, d.db, 11, "staas", "terminate", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := d.ModuleQueue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("client 1's open staas entries: %+v, want the create and the suspend", got)
	}
	if got[0].ServiceID != 10 || got[0].Action != "create" || got[0].Attempts != 0 || !got[0].LastAttempt.Equal(at) {
		t.Errorf("first entry %+v", got[0])
	}
	if s := got[1]; s.Action != "suspend" || s.Attempts != 1 || s.LastError != "The gateway answered 503." || !s.LastAttempt.Equal(at.Add(time.Hour)) || !s.CreatedAt.Equal(at) {
		t.Errorf("the suspend retried once: %+v", s)
	}
	if _, err := d.ModuleQueue(ctx, 0); err == nil {
		t.Error("client 0 was read")
	}
}

func TestModuleQueueSQLite(t *testing.T)  { testModuleQueue(t, openSQLite(t)) }
func TestModuleQueueMariaDB(t *testing.T) { testModuleQueue(t, openMariaDB(t)) }

// TestAPIModuleQueue: GetModuleQueue through the API, kept to the
// client's own services (GetClientsProducts).
func TestAPIModuleQueue(t *testing.T) {
	env := newSimEnv(t, nil)
	ctx := context.Background()
	env.sim.AddProduct(whmcssim.Product{ClientID: 1, PID: 5, Name: "S3 Storage"}) // service 1
	env.sim.AddProduct(whmcssim.Product{ClientID: 2, PID: 5, Name: "S3 Storage"}) // service 2
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	for _, f := range []struct {
		service int64
		module  string
	}{{1, "staas"}, {2, "staas"}, {1, "cpanel"}} {
		if err := whmcssim.ModuleCallFailed(ctx, env.db, f.service, f.module, "suspend", "gateway down", at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := NewAPIBridge(env.client).ModuleQueue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ServiceID != 1 || got[0].Action != "suspend" || got[0].LastError != "gateway down" || !got[0].LastAttempt.Equal(at) {
		t.Fatalf("client 1's queue through the API: %+v", got)
	}
	if n := env.sim.CountRequests("getmodulequeue"); n != 1 {
		t.Errorf("%d GetModuleQueue requests, want 1", n)
	}
}
