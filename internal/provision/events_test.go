package provision_test

import (
	"context"
	"strings"
	"testing"

	"staas"
	"staas/internal/provision"
	"staas/standin/ostorsim"
)

func TestClientAdded_CreatesTheClientLevelUserOnce(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m, err := e.svc.Events.ClientAdded(ctx, 1, 0, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if m.ServiceID != 0 || m.ClientID != 1 || m.Email != "alice@example.com" {
		t.Fatalf("mapping %+v", m)
	}
	if got, err := e.Store.S3User(ctx, 1, 0); err != nil || got.UserID != m.UserID {
		t.Fatalf("stored %+v, %v", got, err)
	}
	gu, _ := e.gw.User(ctx, staas.ByID(m.UserID))
	if n := e.Notes(t, 1); len(n) != 1 || n[0] != guideNote(m.UserID, gu.Keys[0]) {
		t.Fatalf("notes %q", n)
	}
	// The hook fires again (a retry, an admin re-saving): nothing new.
	before := e.snapshot(t, 0, "alice@example.com")
	again, err := e.svc.Events.ClientAdded(ctx, 1, 0, "alice@example.com")
	if err != nil || again.UserID != m.UserID {
		t.Fatalf("again: %+v, %v", again, err)
	}
	if after := e.snapshot(t, 0, "alice@example.com"); !sameSnapshot(before, after) {
		t.Fatal("a repeated ClientAdded changed the state")
	}
	rows := e.audit(t, 1)
	if len(rows) != 2 || rows[0].Actor != staas.AuditActorWHMCS || rows[0].Action != "client-add" {
		t.Fatalf("audit %+v", rows)
	}

	// The admin panel's Create User now finds it.
	_, err = e.svc.Admin.CreateUser(ctx, provision.Actor{Admin: staas.Admin{ID: 7, Permissions: []string{staas.PermServerOperations}}, ClientID: 1})
	wantCode(t, err, staas.ECONFLICT, m.UserID)

	// Bob's address belongs to an S3 user of Alice's: refused.
	if err := e.Store.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 9, Cluster: "default", UserID: mustCreate(t, e, "bob@example.com"), Email: "bob@example.com"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Events.ClientAdded(ctx, 2, 0, "bob@example.com")
	wantCode(t, err, staas.ECONFLICT, "belongs to service 9 of WHMCS client 1")

	_, err = e.svc.Events.ClientAdded(ctx, 3, 0, "not an address")
	wantCode(t, err, staas.EINVALID, "is not one an S3 user can have")
}

func mustCreate(t *testing.T, e *lcEnv, email string) string {
	t.Helper()
	u, err := e.gw.CreateUser(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// aliceWithServices gives Alice a client-level user and services 1001 and
// 1002, the latter with a bucket, and returns their emails.
func aliceWithServices(t *testing.T, e *lcEnv) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := e.svc.Events.ClientAdded(ctx, 1, 0, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1001, 1002} {
		if _, err := e.svc.Lifecycle.CreateService(ctx, ref(id), limited); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Sim.CreateBucket("alice+s3-1002@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	return []string{"alice@example.com", "alice+s3-1001@example.com", "alice+s3-1002@example.com"}
}

func TestClientEmailChanged_UsersKeepTheirAddresses(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	emails := aliceWithServices(t, e)
	rows := len(e.audit(t, 1))
	requests := e.Sim.Requests()
	if err := e.svc.Events.ClientEmailChanged(ctx, 1, 3, "alice@example.com", "ALICE@example.com"); err != nil {
		t.Fatal(err)
	}
	if len(e.audit(t, 1)) != rows {
		t.Fatal("the same address in other case was recorded as a change")
	}
	if err := e.svc.Events.ClientEmailChanged(ctx, 1, 3, "alice@example.com", "alice@new.example"); err != nil {
		t.Fatal(err)
	}
	if e.Sim.Requests() != requests {
		t.Fatal("an email change reached the gateway")
	}
	all := e.audit(t, 1)
	last := all[len(all)-1]
	if len(all) != rows+1 || last.Action != "client-email-changed" || last.Actor != staas.AuditActorWHMCS || last.AdminID != 3 ||
		last.Params["new_email"] != "alice@new.example" {
		t.Fatalf("audit %+v", last)
	}
	for _, em := range emails {
		if !strings.Contains(last.Message, em) {
			t.Errorf("the record does not list %s: %q", em, last.Message)
		}
		if u := e.simUser(t, em); u.State != "enabled" {
			t.Errorf("%s changed: %+v", em, u)
		}
	}
	// A client without S3 users has nothing to record.
	if err := e.svc.Events.ClientEmailChanged(ctx, 2, 0, "bob@example.com", "bob@new.example"); err != nil || len(e.audit(t, 2)) != 0 {
		t.Fatalf("bob: %v, %d rows", err, len(e.audit(t, 2)))
	}
}

func TestClientClosed_DisablesEveryUser(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	emails := aliceWithServices(t, e)
	if err := e.svc.Lifecycle.SuspendService(ctx, ref(1001), ""); err != nil { // disabled already: fine
		t.Fatal(err)
	}
	e.Sim.SetFaults(ostorsim.Faults{DropRate: 1})
	err := e.svc.Events.ClientClosed(ctx, 1, 0)
	wantCode(t, err, staas.EUNAVAILABLE, "3 of the 3 S3 users of client 1 could not be disabled")
	e.Sim.SetFaults(ostorsim.Faults{})
	if err := e.svc.Events.ClientClosed(ctx, 1, 0); err != nil {
		t.Fatal(err)
	}
	for _, em := range emails {
		if u := e.simUser(t, em); u.State != "disabled" {
			t.Errorf("%s is %q after the client was closed", em, u.State)
		}
	}
	if err := e.svc.Events.ClientClosed(ctx, 1, 0); err != nil {
		t.Fatalf("closing again: %v", err)
	}
	n := 0
	for _, r := range e.audit(t, 1) {
		if r.Action == "client-close" && r.Result == "ok" {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d successful client-close rows, want one per user per successful close (6)", n)
	}
}

func TestClientDeleted_DisablePolicyKeepsOrphans(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	emails := aliceWithServices(t, e)
	notes := e.Notes(t, 1)
	e.whmcs.Fail(staas.EINTERNAL) // WHMCS must not be asked
	msgs, err := e.svc.Events.ClientDeleted(ctx, 1, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	e.whmcs.Fail("")
	if len(msgs) != 3 {
		t.Fatalf("messages %q, want one per user", msgs)
	}
	for i, em := range emails {
		if u := e.simUser(t, em); u.State != "disabled" {
			t.Errorf("%s is %q", em, u.State)
		}
		if !strings.Contains(msgs[i], em) || !strings.Contains(msgs[i], "deleted WHMCS client 1") || !strings.Contains(msgs[i], "disabled and kept as an orphan") {
			t.Errorf("message %q", msgs[i])
		}
	}
	if !strings.Contains(msgs[2], "owns 1 bucket: alice-data") || !strings.Contains(msgs[1], "owns 0 buckets") {
		t.Errorf("bucket counts: %q", msgs)
	}
	orphans, err := e.Store.Orphans(ctx)
	if err != nil || len(orphans) != 3 {
		t.Fatalf("orphans %+v, %v", orphans, err)
	}
	if got := e.Notes(t, 1); len(got) != len(notes) {
		t.Errorf("notes changed: %d, was %d", len(got), len(notes))
	}
	if !strings.Contains(e.logs.String(), "level=WARN") || !strings.Contains(e.logs.String(), "kept as an orphan") {
		t.Error("no warning logged for the orphans")
	}

	lines, err := e.svc.Events.DailyReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("daily report %q, want a line per orphan", lines)
	}
	for i, em := range emails {
		if !strings.Contains(lines[i], "Orphaned S3 user") || !strings.Contains(lines[i], em) || !strings.Contains(lines[i], "disabled") {
			t.Errorf("line %q", lines[i])
		}
	}
	if !strings.Contains(lines[2], "1 bucket") {
		t.Errorf("line %q does not count the bucket", lines[2])
	}
}

func TestClientDeleted_DeletePolicy(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	emails := aliceWithServices(t, e)
	msgs, err := e.svc.Events.ClientDeleted(ctx, 1, 5, provision.DeleteDelete)
	if err != nil {
		t.Fatal(err)
	}
	// The two users without buckets are gone; the one with a bucket is
	// disabled and kept.
	for _, em := range emails[:2] {
		if u := e.simUser(t, em); u.State != "" {
			t.Errorf("%s was not deleted", em)
		}
	}
	if u := e.simUser(t, emails[2]); u.State != "disabled" {
		t.Errorf("%s is %q, want disabled and kept", emails[2], u.State)
	}
	if !strings.Contains(msgs[0], "owned no bucket; it is deleted") || !strings.Contains(msgs[2], "owns 1 bucket: alice-data; it is disabled and kept as an orphan") {
		t.Errorf("messages %q", msgs)
	}
	users, _ := e.Store.S3UsersOfClient(ctx, 1)
	if len(users) != 1 || users[0].ServiceID != 1002 || users[0].OrphanedAt.IsZero() {
		t.Fatalf("left in the store: %+v", users)
	}
	for _, r := range e.audit(t, 1) {
		if r.Action == "client-delete" && (r.Actor != staas.AuditActorWHMCS || r.AdminID != 5 || r.Params["policy"] != "delete") {
			t.Errorf("audit row %+v", r)
		}
	}

	// Queued notes join the daily report.
	e.whmcs.Fail(staas.EUNAVAILABLE)
	if _, err := e.svc.Events.ClientAdded(ctx, 2, 0, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	lines, err := e.svc.Events.DailyReport(ctx)
	if err != nil || len(lines) != 2 || !strings.Contains(lines[1], "1 WHMCS note change(s) wait") {
		t.Fatalf("daily report %q, %v", lines, err)
	}

	_, err = e.svc.Events.ClientDeleted(ctx, 1, 0, "purge")
	wantCode(t, err, staas.EINVALID, "must be")
}

// Policy delete, and the gateway fails to delete a user without bucket:
// it is kept as an orphan, and its message says why it was not deleted.
func TestClientDeleted_DeleteFails(t *testing.T) {
	fg := &failingGateway{}
	e := newLC(t, lcOptions{gateway: func(g provision.Gateway) provision.Gateway { fg.Gateway = g; return fg }})
	ctx := context.Background()
	emails := aliceWithServices(t, e)
	fg.fail("delete user", 1)
	msgs, err := e.svc.Events.ClientDeleted(ctx, 1, 5, provision.DeleteDelete)
	if err != nil {
		t.Fatal(err)
	}
	if u := e.simUser(t, emails[0]); u.State != "disabled" {
		t.Errorf("%s is %q, want disabled and kept", emails[0], u.State)
	}
	if !strings.Contains(msgs[0], "owns 0 buckets but could not be deleted (ostor: delete user: the gateway did not answer); it is disabled and kept as an orphan") {
		t.Errorf("message %q does not say why the user was not deleted", msgs[0])
	}
	if !strings.Contains(msgs[1], "owned no bucket; it is deleted") {
		t.Errorf("message %q", msgs[1])
	}
}

// The gateway down during a client delete: every user is still marked,
// and the messages say which could not be disabled.
func TestClientDeleted_GatewayDown(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	aliceWithServices(t, e)
	e.Sim.SetFaults(ostorsim.Faults{DropRate: 1})
	msgs, err := e.svc.Events.ClientDeleted(ctx, 1, 0, provision.DeleteDelete)
	e.Sim.SetFaults(ostorsim.Faults{})
	wantCode(t, err, staas.EUNAVAILABLE, "3 of the 3 S3 users of deleted client 1")
	if len(msgs) != 3 || !strings.Contains(msgs[0], "could NOT be disabled") {
		t.Fatalf("messages %q", msgs)
	}
	if orphans, _ := e.Store.Orphans(ctx); len(orphans) != 3 {
		t.Fatalf("orphans %+v", orphans)
	}
	lines, _ := e.svc.Events.DailyReport(ctx)
	if len(lines) != 3 || !strings.Contains(lines[0], "ENABLED") {
		t.Fatalf("the daily report must show the orphans still enabled: %q", lines)
	}
}

// Record names the actor: an admin's flash stays; a client's action and
// WHMCS's cron leave audit rows only.
func TestRecord_Actors(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	admin := provision.Actor{Admin: staas.Admin{ID: 7}, ClientID: 1}
	e.svc.Record(ctx, admin, "quota-set", nil, nil, "Quota set.")
	e.svc.Record(ctx, provision.Actor{Kind: provision.ActorClient, ClientID: 1}, "service-reveal-secret", nil, nil, "Shown.")
	e.svc.Record(ctx, provision.Actor{Kind: provision.ActorWHMCS, ClientID: 1}, "service-create", nil, nil, "Created.")
	e.svc.Record(ctx, provision.Actor{Kind: provision.ActorWHMCS, ClientID: 1, Admin: staas.Admin{ID: 8}}, "service-suspend", nil, nil, "Suspended.")
	e.svc.Record(ctx, provision.Actor{ClientID: 1}, "create-user", nil, nil, "nobody") // an admin action without admin
	rows := e.audit(t, 1)
	var got []string
	for _, r := range rows {
		got = append(got, r.Actor+"/"+r.Action)
	}
	if strings.Join(got, " ") != "admin/quota-set client/service-reveal-secret whmcs/service-create whmcs/service-suspend" {
		t.Fatalf("audit %q", got)
	}
	if f, _ := e.Store.TakeFlashes(ctx, 7, 1); len(f) != 1 || f[0].Message != "Quota set." {
		t.Errorf("admin 7's flashes %+v", f)
	}
	if f, _ := e.Store.TakeFlashes(ctx, 8, 1); len(f) != 1 || f[0].Message != "Suspended." {
		t.Errorf("admin 8 clicked a module button: flashes %+v", f)
	}
	if f, _ := e.Store.TakeFlashes(ctx, 0, 1); len(f) != 0 {
		t.Errorf("flashes for nobody %+v", f)
	}
}
