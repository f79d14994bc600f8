package provision_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"staas"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/standin/ostorsim"
)

// The whole life of a service, each call checked against the simulator's
// own state and WHMCS's notes, and each call retried (as WHMCS's Module
// Queue and double clicks do) without changing anything.
func TestServiceLifecycle_CreateSuspendUnsuspendChangeTerminate(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	const email = "alice+s3-1001@example.com"
	retry := func(name string, call func() error) {
		t.Helper()
		before := e.snapshot(t, 1001, email)
		if err := call(); err != nil {
			t.Fatalf("%s, retried: %v", name, err)
		}
		if after := e.snapshot(t, 1001, email); !sameSnapshot(before, after) {
			t.Fatalf("%s, retried, changed the state:\nbefore %+v\nafter  %+v", name, before, after)
		}
	}

	m := e.created(t)
	if m.Email != email || m.ServiceID != 1001 || m.ClientID != 1 || m.UserID == "" {
		t.Fatalf("mapping %+v", m)
	}
	u := e.simUser(t, email)
	if u.ID != m.UserID || u.State != "enabled" {
		t.Fatalf("simulator user %+v, want %s enabled", u, m.UserID)
	}
	wantLimits := map[string]any{"ops:default": "0.00", "ops:get": "3600.00", "ops:put": "50.50", "ops:list": "0.00", "ops:delete": "0.00", "bandwidth:out": "2048"}
	if !jsonEqual(u.Limits, wantLimits) || u.Quota != "100" {
		t.Fatalf("limits %v quota %q; want %v and 100", u.Limits, u.Quota, wantLimits)
	}
	gu, _ := e.gw.User(ctx, staas.ByID(m.UserID))
	if n := e.Notes(t, 1); len(n) != 1 || n[0] != guideNote(m.UserID, gu.Keys[0]) {
		t.Fatalf("notes %q, want the guide's note of the first key", n)
	}
	retry("create", func() error { _, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited); return err })

	if err := e.svc.Lifecycle.SuspendService(ctx, ref(1001), "Overdue on Invoice #42"); err != nil {
		t.Fatal(err)
	}
	if s := e.simUser(t, email).State; s != "disabled" {
		t.Fatalf("suspended user is %q", s)
	}
	retry("suspend", func() error { return e.svc.Lifecycle.SuspendService(ctx, ref(1001), "again") })

	if err := e.svc.Lifecycle.UnsuspendService(ctx, ref(1001)); err != nil {
		t.Fatal(err)
	}
	if s := e.simUser(t, email).State; s != "enabled" {
		t.Fatalf("unsuspended user is %q", s)
	}
	retry("unsuspend", func() error { return e.svc.Lifecycle.UnsuspendService(ctx, ref(1001)) })

	// A smaller package: only PUT is limited now; the rest goes back to
	// unlimited, and the quota goes.
	small := provision.ProductConfig{OpsPut: "12.5", QuotaGB: "0"}
	if err := e.svc.Lifecycle.ChangeServicePackage(ctx, ref(1001), small); err != nil {
		t.Fatal(err)
	}
	u = e.simUser(t, email)
	want := map[string]any{"ops:default": "0.00", "ops:get": "0.00", "ops:put": "12.50", "ops:list": "0.00", "ops:delete": "0.00", "bandwidth:out": "0"}
	if !jsonEqual(u.Limits, want) || u.Quota != "0" {
		t.Fatalf("after the change: limits %v quota %q; want %v, no quota", u.Limits, u.Quota, want)
	}
	retry("change package", func() error { return e.svc.Lifecycle.ChangeServicePackage(ctx, ref(1001), small) })
	// No limit at all: the limits are deleted.
	if err := e.svc.Lifecycle.ChangeServicePackage(ctx, ref(1001), provision.ProductConfig{}); err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"ops:default": "0.00", "ops:get": "0.00", "ops:put": "0.00", "ops:list": "0.00", "ops:delete": "0.00", "bandwidth:out": "0"}
	if u := e.simUser(t, email); !jsonEqual(u.Limits, want) {
		t.Fatalf("an unlimited package leaves %v", u.Limits)
	}

	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, email); u.State != "" {
		t.Fatalf("terminated user still on the simulator: %+v", u)
	}
	if n := e.Notes(t, 1); len(n) != 0 {
		t.Fatalf("notes after terminate: %q", n)
	}
	if _, err := e.Store.S3UserByService(ctx, 1001); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("mapping after terminate: %v", err)
	}
	retry("terminate", func() error { return e.svc.Lifecycle.TerminateService(ctx, ref(1001), limited) })

	// Every step is in the client's audit log, WHMCS acting on its own.
	var actions []string
	for _, r := range e.audit(t, 1) {
		if r.Actor != staas.AuditActorWHMCS || r.AdminID != 0 || r.Result != "ok" || r.Params["service_id"] != "1001" {
			t.Errorf("audit row %+v: want WHMCS acting alone, ok, on service 1001", r)
		}
		actions = append(actions, r.Action)
	}
	wantActions := "service-create service-create service-suspend service-suspend service-unsuspend service-unsuspend service-change-package service-change-package service-change-package service-terminate service-terminate"
	if strings.Join(actions, " ") != wantActions {
		t.Errorf("audit actions\n%s\nwant\n%s", strings.Join(actions, " "), wantActions)
	}
	if rows := e.audit(t, 1); !strings.Contains(rows[2].Params["reason"], "Overdue") {
		t.Errorf("the suspension reason is not audited: %+v", rows[2])
	}
	if f, _ := e.Store.TakeFlashes(ctx, 0, 1); len(f) != 0 {
		t.Errorf("flashes for nobody: %+v", f)
	}
}

// An admin clicking a module button is named in the audit row and gets
// the result as a flash on the client's page.
func TestServiceLifecycle_AdminClickIsRecorded(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	r := ref(1001)
	r.AdminID = 7
	if _, err := e.svc.Lifecycle.CreateService(ctx, r, limited); err != nil {
		t.Fatal(err)
	}
	rows := e.audit(t, 1)
	if len(rows) != 1 || rows[0].Actor != staas.AuditActorWHMCS || rows[0].AdminID != 7 {
		t.Fatalf("audit %+v, want one row by WHMCS for admin 7", rows)
	}
	f, _ := e.Store.TakeFlashes(ctx, 7, 1)
	if len(f) != 1 || f[0].Kind != staas.FlashSuccess || !strings.Contains(f[0].Message, "alice+s3-1001@example.com") {
		t.Fatalf("flashes %+v", f)
	}
}

// The answer to the creation is lost: the gateway made the user, staas
// heard nothing. The retry links the user and notes its key once; a
// further retry notes nothing more.
func TestCreateService_AfterALostAnswerLinksAndNotesOnce(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	// The PUT and the client's follow-up query both lose their answers.
	e.Sim.SetFaults(ostorsim.Faults{LoseAnswerNext: 2})
	_, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited)
	wantCode(t, err, staas.EUNAVAILABLE, "")
	e.Sim.SetFaults(ostorsim.Faults{})
	u := e.simUser(t, "alice+s3-1001@example.com")
	if u.ID == "" {
		t.Fatal("the lost creation did not create the user; the test needs it to")
	}
	if _, err := e.Store.S3UserByService(ctx, 1001); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatal("a mapping was saved although the creation failed")
	}

	m := e.created(t)
	if m.UserID != u.ID {
		t.Fatalf("linked %s, want the user the lost call made, %s", m.UserID, u.ID)
	}
	gu, _ := e.gw.User(ctx, staas.ByID(u.ID))
	if n := e.Notes(t, 1); len(n) != 1 || n[0] != guideNote(u.ID, gu.Keys[0]) {
		t.Fatalf("notes %q, want exactly the first key's", n)
	}
	if got := e.simUser(t, "alice+s3-1001@example.com"); got.Quota != "100" || got.Limits["ops:get"] != "3600.00" {
		t.Fatalf("limits and quota not applied on the link: %+v", got)
	}
	rows := e.audit(t, 1)
	if last := rows[len(rows)-1]; last.Result != "ok" || !strings.Contains(last.Message, "already existed on the gateway") {
		t.Errorf("the retry's audit row %+v: want it to say the user was linked", last)
	}
	if _, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	if n := e.Notes(t, 1); len(n) != 1 {
		t.Fatalf("a retry of a finished creation added a note: %q", n)
	}
}

// A failure after the user exists (the gateway gone while the quota is
// set) leaves what the retry completes, with one note.
func TestCreateService_FailureAfterTheUserIsCompletedByTheRetry(t *testing.T) {
	var fg *failingGateway
	e := newLC(t, lcOptions{gateway: func(g provision.Gateway) provision.Gateway { fg = &failingGateway{Gateway: g}; return fg }})
	ctx := context.Background()
	fg.fail("set quota", 1)
	m, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited)
	wantCode(t, err, staas.EUNAVAILABLE, "retry Create")
	if m == nil || e.simUser(t, m.Email).Quota != "0" {
		t.Fatalf("want the mapping back and no quota yet: %+v", m)
	}
	if _, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, m.Email); u.Quota != "100" {
		t.Fatalf("the retry did not set the quota: %+v", u)
	}
	if n := e.Notes(t, 1); len(n) != 1 {
		t.Fatalf("notes %q, want one", n)
	}
	rows := e.audit(t, 1)
	if len(rows) != 2 || rows[0].Result != staas.EUNAVAILABLE || rows[1].Result != "ok" {
		t.Fatalf("audit %+v: want the failure, then the completion", rows)
	}
}

// The gateway down: the call fails as unavailable, nothing is half
// recorded, and the retry once it is back completes.
func TestServiceCalls_GatewayDownThenRetry(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	down := ostorsim.Faults{DropRate: 1}
	e.Sim.SetFaults(down)
	_, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited)
	wantCode(t, err, staas.EUNAVAILABLE, "")
	e.Sim.SetFaults(ostorsim.Faults{})
	if _, err := e.Store.S3UserByService(ctx, 1001); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("mapping after a failed create: %v", err)
	}
	m := e.created(t)

	for _, c := range []struct {
		name  string
		call  func() error
		state string
	}{
		{"suspend", func() error { return e.svc.Lifecycle.SuspendService(ctx, ref(1001), "") }, "disabled"},
		{"unsuspend", func() error { return e.svc.Lifecycle.UnsuspendService(ctx, ref(1001)) }, "enabled"},
	} {
		e.Sim.SetFaults(down)
		wantCode(t, c.call(), staas.EUNAVAILABLE, "")
		e.Sim.SetFaults(ostorsim.Faults{})
		if err := c.call(); err != nil {
			t.Fatalf("%s after the gateway came back: %v", c.name, err)
		}
		if s := e.simUser(t, m.Email).State; s != c.state {
			t.Fatalf("%s: user %s", c.name, s)
		}
	}
	e.Sim.SetFaults(down)
	wantCode(t, e.svc.Lifecycle.TerminateService(ctx, ref(1001), limited), staas.EUNAVAILABLE, "")
	e.Sim.SetFaults(ostorsim.Faults{})
	if _, err := e.Store.S3UserByService(ctx, 1001); err != nil {
		t.Fatalf("a failed terminate dropped the mapping: %v", err)
	}
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, m.Email); u.State != "" {
		t.Fatal("user left after the retried terminate")
	}
}

// WHMCS down while the service is created: the note waits in the outbox,
// the retry does not queue it twice, and delivery writes it once.
func TestCreateService_WHMCSDownQueuesTheNoteOnce(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	e.whmcs.Fail(staas.EUNAVAILABLE)
	m, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited)
	if err != nil {
		t.Fatalf("WHMCS down must not fail the creation: %v", err)
	}
	if _, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.Store.PendingNotes(ctx, 1); n != 1 {
		t.Fatalf("%d queued notes, want 1", n)
	}
	e.whmcs.Fail("")
	if d, f, err := e.svc.Notes.Deliver(ctx); d != 1 || f != 0 || err != nil {
		t.Fatalf("Deliver = %d, %d, %v", d, f, err)
	}
	gu, _ := e.gw.User(ctx, staas.ByID(m.UserID))
	if n := e.Notes(t, 1); len(n) != 1 || n[0] != guideNote(m.UserID, gu.Keys[0]) {
		t.Fatalf("notes %q", n)
	}
}

// Another service's address: a clear conflict naming whose it is, and
// nothing taken over.
func TestCreateService_TemplatedEmailOfAnotherService(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	// A fixed template makes every service of the client the same address.
	fixed := provision.ProductConfig{EmailTemplate: "s3-{service_id}@example.com"}
	if _, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), fixed); err != nil {
		t.Fatal(err)
	}
	// Bob's service 1 on a product that makes service 1001's address.
	clash := provision.ProductConfig{EmailTemplate: "s3-100{service_id}@example.com"}
	bob := provision.ServiceRef{ServiceID: 1, ClientID: 2, ClientEmail: "bob@example.com"}
	before := e.Notes(t, 2)
	_, err := e.svc.Lifecycle.CreateService(ctx, bob, clash)
	wantCode(t, err, staas.ECONFLICT, "belongs to service 1001 of WHMCS client 1")
	if !strings.Contains(staas.ErrorMessage(err), `"S3 user email template"`) {
		t.Errorf("the message does not point at the template: %q", staas.ErrorMessage(err))
	}
	if _, err := e.Store.S3UserByService(ctx, 1); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatal("the other service's user was mapped")
	}
	if m, _ := e.Store.S3UserByService(ctx, 1001); m == nil || m.ClientID != 1 {
		t.Fatalf("service 1001 lost its user: %+v", m)
	}
	if after := e.Notes(t, 2); len(after) != len(before) {
		t.Fatal("a note was written for the refused service")
	}
}

// A bad product configuration: refused naming the WHMCS setting, and
// nothing reaches the gateway or is written.
func TestServiceCalls_BadConfigSendsAndWritesNothing(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	if _, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(t, 1001, "alice+s3-1001@example.com")
	rows := len(e.audit(t, 1))
	bad := provision.ProductConfig{OpsGet: "fast"}
	requests := e.Sim.Requests()
	for name, call := range map[string]func() error{
		"create":         func() error { _, err := e.svc.Lifecycle.CreateService(ctx, ref(1002), bad); return err },
		"change package": func() error { return e.svc.Lifecycle.ChangeServicePackage(ctx, ref(1001), bad) },
		"terminate":      func() error { return e.svc.Lifecycle.TerminateService(ctx, ref(1001), bad) },
	} {
		err := call()
		wantCode(t, err, staas.EINVALID, `Module setting "Ops limit: GET (ops/s)" must be a number of operations per second, 0 or more (got "fast").`)
		if provision.Fields(err)["ops_get"] == "" {
			t.Errorf("%s: no field error for ops_get: %v", name, provision.Fields(err))
		}
	}
	if e.Sim.Requests() != requests {
		t.Fatalf("%d gateway requests for a bad configuration", e.Sim.Requests()-requests)
	}
	if after := e.snapshot(t, 1001, "alice+s3-1001@example.com"); !sameSnapshot(before, after) {
		t.Fatal("a bad configuration changed the state")
	}
	if _, err := e.Store.S3UserByService(ctx, 1002); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatal("a bad configuration saved a mapping")
	}
	if n := len(e.audit(t, 1)); n != rows {
		t.Fatalf("%d audit rows written for a bad configuration", n-rows)
	}
}

func TestServiceCalls_Unmapped(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	wantCode(t, e.svc.Lifecycle.SuspendService(ctx, ref(1001), ""), staas.ENOTFOUND, "This service has no S3 user: run Create first.")
	wantCode(t, e.svc.Lifecycle.UnsuspendService(ctx, ref(1001)), staas.ENOTFOUND, "This service has no S3 user: run Create first.")
	wantCode(t, e.svc.Lifecycle.ChangeServicePackage(ctx, ref(1001), limited), staas.ENOTFOUND, "This service has no S3 user: run Create first.")
	_, err := e.svc.Lifecycle.ServiceInfo(ctx, ref(1001))
	wantCode(t, err, staas.ENOTFOUND, "This service has no S3 user yet.")
	// Never created: terminated already.
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []provision.ServiceRef{{ServiceID: 0, ClientID: 1}, {ServiceID: 5, ClientID: 0}, {ServiceID: 5, ClientID: 1, AdminID: -1}} {
		wantCode(t, e.svc.Lifecycle.SuspendService(ctx, bad, ""), staas.EINVALID, "")
	}
}

func TestServiceInfo(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m := e.withBucket(t)
	if err := e.svc.Lifecycle.SuspendService(ctx, ref(1001), ""); err != nil {
		t.Fatal(err)
	}
	info, err := e.svc.Lifecycle.ServiceInfo(ctx, ref(1001))
	if err != nil {
		t.Fatal(err)
	}
	gu, _ := e.gw.User(ctx, staas.ByID(m.UserID))
	if info.User.UserID != m.UserID || info.Enabled || len(info.Keys) != 1 || info.Keys[0] != gu.Keys[0] ||
		len(info.Buckets) != 1 || info.Buckets[0].Name != "alice-photos" {
		t.Fatalf("info %+v", info)
	}
}

// WHMCS moved the service to Bob: the mapping follows, and both clients'
// audit logs say so.
func TestServiceCalls_FollowAServiceMovedToAnotherClient(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m := e.created(t)
	moved := provision.ServiceRef{ServiceID: 1001, ClientID: 2, ClientEmail: "bob@example.com"}
	if err := e.svc.Lifecycle.SuspendService(ctx, moved, ""); err != nil {
		t.Fatal(err)
	}
	got, err := e.Store.S3UserByService(ctx, 1001)
	if err != nil || got.ClientID != 2 || got.UserID != m.UserID {
		t.Fatalf("after the move: %+v, %v", got, err)
	}
	for _, c := range []int64{1, 2} {
		found := false
		for _, r := range e.audit(t, c) {
			if r.Action == "service-moved" && r.Params["from_client"] == "1" && r.Params["to_client"] == "2" {
				found = true
			}
		}
		if !found {
			t.Errorf("client %d's audit log does not record the move", c)
		}
	}
	// Create for the new owner finds the service's user: no second user.
	if m2, err := e.svc.Lifecycle.CreateService(ctx, moved, limited); err != nil || m2.UserID != m.UserID {
		t.Fatalf("create after the move: %+v, %v", m2, err)
	}
}

func TestTerminateService_BucketsLeftAndFail(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m := e.created(t)
	for _, b := range []string{"alice-photos", "alice-backup"} {
		if err := e.Sim.CreateBucket(m.Email, b); err != nil {
			t.Fatal(err)
		}
	}
	before := e.snapshot(t, 1001, m.Email)
	for _, cfg := range []provision.ProductConfig{limited, {TerminateBuckets: "fail"}} {
		err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), cfg)
		wantCode(t, err, staas.ECONFLICT, "The S3 user "+m.UserID+" still owns 2 buckets: ")
		msg := staas.ErrorMessage(err)
		if !strings.Contains(msg, "alice-photos") || !strings.Contains(msg, "alice-backup") || !strings.Contains(msg, `set the product's "Buckets left at termination" to purge`) {
			t.Errorf("message %q", msg)
		}
	}
	if after := e.snapshot(t, 1001, m.Email); !sameSnapshot(before, after) {
		t.Fatal("a refused terminate changed something")
	}
	if calls := e.purger.taken(); len(calls) != 0 {
		t.Fatalf("purged on fail: %+v", calls)
	}
}

// Purge on a suspended service: the user is enabled to act as the owner,
// every bucket is purged with its first key pair, then the user goes.
func TestTerminateService_PurgeSuspended(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m := e.created(t)
	for _, b := range []string{"alice-photos", "alice-backup"} {
		if err := e.Sim.CreateBucket(m.Email, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.Lifecycle.SuspendService(ctx, ref(1001), ""); err != nil {
		t.Fatal(err)
	}
	gu, _ := e.gw.User(ctx, staas.ByID(m.UserID))
	purge := provision.ProductConfig{TerminateBuckets: "purge"}
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), purge); err != nil {
		t.Fatal(err)
	}
	calls := e.purger.taken()
	if len(calls) != 2 {
		t.Fatalf("purger calls %+v, want one per bucket", calls)
	}
	for _, c := range calls {
		if !c.OwnerEnabled || !c.OwnerKey || c.AccessKeyID != gu.Keys[0].AccessKeyID {
			t.Errorf("purge of %s: %+v; want the owner's first key pair, the owner enabled", c.Bucket, c)
		}
	}
	if u := e.simUser(t, m.Email); u.State != "" {
		t.Fatal("the user outlived its purge")
	}
	if n := e.Notes(t, 1); len(n) != 0 {
		t.Fatalf("notes left: %q", n)
	}
	var purged []string
	for _, r := range e.audit(t, 1) {
		if r.Action == "service-purge-bucket" {
			purged = append(purged, r.Params["bucket"]+"="+r.Params["objects"])
		}
	}
	if strings.Join(purged, " ") != "alice-backup=3 alice-photos=3" && strings.Join(purged, " ") != "alice-photos=3 alice-backup=3" {
		t.Errorf("audited purges %q", purged)
	}
}

// A purge that fails: the error names the bucket, the suspended user is
// disabled again, the mapping stays, and the retry finishes.
func TestTerminateService_PurgeFailureDisablesAgain(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m := e.withBucket(t)
	if err := e.svc.Lifecycle.SuspendService(ctx, ref(1001), ""); err != nil {
		t.Fatal(err)
	}
	purge := provision.ProductConfig{TerminateBuckets: "purge"}
	e.purger.failOn = "alice-photos"
	err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), purge)
	wantCode(t, err, staas.EUNAVAILABLE, "Bucket alice-photos of S3 user "+m.UserID+" could not be purged")
	if u := e.simUser(t, m.Email); u.State != "disabled" {
		t.Fatalf("after a failed purge the user is %q, want disabled again", u.State)
	}
	if _, err := e.Store.S3UserByService(ctx, 1001); err != nil {
		t.Fatal("mapping dropped after a failed purge")
	}
	if calls := e.purger.taken(); len(calls) != 1 || !calls[0].OwnerEnabled {
		t.Fatalf("calls %+v", calls)
	}
	e.purger.failOn = ""
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), purge); err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, m.Email); u.State != "" {
		t.Fatal("user left after the retried purge")
	}
}

// Purge on an enabled user whose deletion fails afterwards: it stays
// enabled (it was not suspended).
func TestTerminateService_PurgeKeepsAnEnabledUserEnabled(t *testing.T) {
	var fg *failingGateway
	e := newLC(t, lcOptions{gateway: func(g provision.Gateway) provision.Gateway { fg = &failingGateway{Gateway: g}; return fg }})
	ctx := context.Background()
	m := e.withBucket(t)
	fg.fail("delete user", 1)
	wantCode(t, e.svc.Lifecycle.TerminateService(ctx, ref(1001), provision.ProductConfig{TerminateBuckets: "purge"}), staas.EUNAVAILABLE, "")
	if u := e.simUser(t, m.Email); u.State != "enabled" {
		t.Fatalf("user %q", u.State)
	}
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), provision.ProductConfig{TerminateBuckets: "purge"}); err != nil {
		t.Fatal(err)
	}
}

func TestTerminateService_PurgeNotConfigured(t *testing.T) {
	e := newLC(t, lcOptions{noPurger: true})
	ctx := context.Background()
	m := e.withBucket(t)
	err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), provision.ProductConfig{TerminateBuckets: "purge"})
	wantCode(t, err, staas.EINVALID, "Purging buckets is not configured on this staas (see README).")
	if u := e.simUser(t, m.Email); u.State != "enabled" {
		t.Fatal("user changed")
	}
}

// A service staas never mapped, but whose address the gateway has: the
// unlinked user is deleted when it owns nothing, left when it owns buckets
// or belongs to someone else.
func TestTerminateService_UnmappedUserWithTheServicesAddress(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	if _, err := e.gw.CreateUser(ctx, "alice+s3-1001@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1001), limited); err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, "alice+s3-1001@example.com"); u.State != "" {
		t.Fatal("an unlinked user without buckets was left")
	}

	if _, err := e.gw.CreateUser(ctx, "alice+s3-1002@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.CreateBucket("alice+s3-1002@example.com", "alice-orphan"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1002), limited); err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, "alice+s3-1002@example.com"); u.State != "enabled" {
		t.Fatal("an unlinked user with buckets was touched")
	}
	rows := e.audit(t, 1)
	if last := rows[len(rows)-1]; !strings.Contains(last.Message, "alice-orphan") || !strings.Contains(last.Message, "left for an admin") {
		t.Errorf("the audit row does not say the user was left: %q", last.Message)
	}

	// Service 1003's address, mapped as service 7's user: not touched.
	gu, err := e.gw.CreateUser(ctx, "alice+s3-1003@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 7, Cluster: "default", UserID: gu.ID, Email: gu.Email}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Lifecycle.TerminateService(ctx, ref(1003), limited); err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, "alice+s3-1003@example.com"); u.State != "enabled" {
		t.Fatal("another service's user was deleted")
	}
}

func TestTestConnection(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	if err := e.svc.Lifecycle.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	e.Sim.SetFaults(ostorsim.Faults{DropRate: 1})
	wantCode(t, e.svc.Lifecycle.TestConnection(ctx), staas.EUNAVAILABLE, "The S3 gateway's admin API failed the test")
	e.Sim.SetFaults(ostorsim.Faults{})

	// Credentials the gateway does not know.
	srv := httptestServer(t, e.Sim)
	bad, err := ostor.New(ostor.Config{Endpoint: srv, AccessKey: "0123456789abcdefABCD", SecretKey: "wrong", MaxRetries: -1, Now: e.Sim.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc := provision.New(provision.Config{Gateway: bad, Store: e.Store, WHMCS: e.Bridge})
	wantCode(t, svc.Lifecycle.TestConnection(ctx), staas.EUNAUTHORIZED, "The S3 gateway's admin API failed the test")

	// The store closed.
	if err := e.Store.Close(); err != nil {
		t.Fatal(err)
	}
	err = e.svc.Lifecycle.TestConnection(ctx)
	if err == nil || !strings.Contains(staas.ErrorMessage(err), "staas's own database does not answer") {
		t.Fatalf("a closed store: %v", err)
	}
}

// Client actions on the service page: the client's own service and keys
// only, audited with the client as actor.
func TestServiceClientActions(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m := e.created(t)
	alice := provision.Actor{Kind: provision.ActorClient, ClientID: 1}
	bob := provision.Actor{Kind: provision.ActorClient, ClientID: 2}

	key, err := e.svc.Lifecycle.ServiceGenerateKey(ctx, alice, ref(1001))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.Notes(t, 1); len(n) != 2 || n[1] != guideNote(m.UserID, *key) {
		t.Fatalf("notes %q, want the new pair's note", n)
	}
	_, err = e.svc.Lifecycle.ServiceGenerateKey(ctx, alice, ref(1001))
	wantCode(t, err, staas.EKEYLIMIT, "already has two access key pairs")

	secret, err := e.svc.Lifecycle.ServiceRevealSecret(ctx, alice, ref(1001), key.AccessKeyID)
	if err != nil || secret != key.SecretAccessKey {
		t.Fatalf("reveal = %v; want the new pair's secret", err)
	}

	// Bob, on Alice's service: refused before the gateway hears of it.
	requests := e.Sim.Requests()
	_, err = e.svc.Lifecycle.ServiceGenerateKey(ctx, bob, ref(1001))
	wantCode(t, err, staas.EFORBIDDEN, "This service belongs to another client.")
	_, err = e.svc.Lifecycle.ServiceRevealSecret(ctx, bob, ref(1001), key.AccessKeyID)
	wantCode(t, err, staas.EFORBIDDEN, "another client")
	wantCode(t, e.svc.Lifecycle.ServiceRevokeKey(ctx, bob, ref(1001), key.AccessKeyID), staas.EFORBIDDEN, "another client")
	// Nor may a client use the admin panel's actions.
	_, err = e.svc.Admin.CreateUser(ctx, alice)
	wantCode(t, err, staas.EFORBIDDEN, "Only a WHMCS admin")
	if e.Sim.Requests() != requests {
		t.Fatal("a refused client action reached the gateway")
	}

	// A key of another user, picked on Alice's page: refused, not revoked.
	other, err := e.gw.CreateUser(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.Lifecycle.ServiceRevokeKey(ctx, alice, ref(1001), other.Keys[0].AccessKeyID), staas.ENOTFOUND, "has no access key")
	_, err = e.svc.Lifecycle.ServiceRevealSecret(ctx, alice, ref(1001), other.Keys[0].AccessKeyID)
	wantCode(t, err, staas.ENOTFOUND, "has no access key")
	if b, _ := e.gw.User(ctx, staas.ByEmail("bob@example.com")); len(b.Keys) != 1 {
		t.Fatal("another user's key was revoked")
	}

	if err := e.svc.Lifecycle.ServiceRevokeKey(ctx, alice, ref(1001), key.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if n := e.Notes(t, 1); len(n) != 1 || strings.Contains(n[0], key.AccessKeyID) {
		t.Fatalf("notes after revoke %q", n)
	}

	var client []string
	for _, r := range e.audit(t, 1) {
		if r.Actor == staas.AuditActorClient {
			if r.AdminID != 0 || strings.Contains(r.Message, key.SecretAccessKey) || r.Params["access_key"] == key.SecretAccessKey {
				t.Errorf("client row %+v", r)
			}
			client = append(client, r.Action+":"+r.Result)
		}
	}
	want := "service-generate-key:ok service-generate-key:key_limit service-reveal-secret:ok service-revoke-key:not_found service-reveal-secret:not_found service-revoke-key:ok"
	if strings.Join(client, " ") != want {
		t.Errorf("client audit rows\n%s\nwant\n%s", strings.Join(client, " "), want)
	}
	if f, _ := e.Store.TakeFlashes(ctx, 0, 1); len(f) != 0 {
		t.Errorf("flashes left for a client: %+v", f)
	}
}

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
