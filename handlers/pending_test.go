package handlers_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/standin/whmcssim"
	"staas/whmcsbridge"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newIntentApp is newModuleApp with provision on clock, so a test can
// make queued events due; it returns provision's services too.
func newIntentApp(t *testing.T, clock *testClock, adjust func(*handlers.Deps)) (*app, *provision.Services) {
	t.Helper()
	w := testworld.New(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}, Clients: []staas.Client{
		{ID: 1, FirstName: "Alice", LastName: "Archer", Email: "alice@example.com", Status: "Active"},
		{ID: 2, FirstName: "Bob", LastName: "Baker", Email: "bob@example.com", Status: "Active"},
	}})
	svc := provision.New(provision.Config{Gateway: w.Gateway, Store: w.Store, WHMCS: w.Bridge, Now: clock.Now})
	d := fullDeps(w, svc)
	if adjust != nil {
		adjust(&d)
	}
	e, err := handlers.New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &app{World: w, t: t, srv: srv}, svc
}

// auditCount counts the client's audit rows of an action.
func (a *app) auditCount(clientID int64, action string) int {
	a.t.Helper()
	rows, err := a.Store.Audit(context.Background(), store.AuditFilter{ClientID: clientID, Limit: 500})
	if err != nil {
		a.t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Action == action {
			n++
		}
	}
	return n
}

// TestEvent_ClientCloseWhileGatewayDownIsQueued: ClientClose comes while
// the gateway answers nothing but 503. WHMCS hears success and that the
// work is queued; the client's page lists it under Pending work with its
// attempts, last error and next try; the daily report counts it. When the
// gateway is back and the retry is due, the user is disabled, the
// section is gone, and the audit log has one 'queued' and one 'done'.
func TestEvent_ClientCloseWhileGatewayDownIsQueued(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	a, svc := newIntentApp(t, clock, func(d *handlers.Deps) {
		d.Daily = func(context.Context) []string { return nil }
	})
	ctx := context.Background()
	a.create()

	a.Sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	status, msgs, body := a.event(whmcsbridge.EventClientClose, whmcsbridge.EventRequest{ClientID: 1, AdminID: 1})
	if status != 200 || body["result"] != "success" {
		t.Fatalf("client-close with the gateway down: %d %v; want success (the work is queued)", status, body)
	}
	if joined := strings.Join(msgs, "\n"); !strings.Contains(joined, "queued") || !strings.Contains(joined, "nothing is lost") {
		t.Errorf("the hook's messages %q do not say the work is queued", msgs)
	}
	queued, err := a.Store.ClientIntents(ctx, 1, staas.IntentQueued)
	if err != nil || len(queued) != 1 || queued[0].Attempts != 1 || queued[0].LastError == "" {
		t.Fatalf("queued intents: %+v, %v", queued, err)
	}

	doc := a.panels(fullAdmin)
	rows := doc.Find("#staas-pending table.staas-intents tr.altrow")
	if rows.Length() != 1 {
		t.Fatalf("%d pending rows on the client's page, want 1:\n%s", rows.Length(), doc.Text())
	}
	cells := rows.First().Find("td")
	if got := cells.Eq(0).Text(); got != "disabling the S3 users of closed client 1" {
		t.Errorf("what: %q", got)
	}
	if got := cells.Eq(2).Text(); got != "1" {
		t.Errorf("attempts: %q", got)
	}
	if got := cells.Eq(3).Text(); !strings.Contains(got, "S3 user") && !strings.Contains(strings.ToLower(got), "gateway") {
		t.Errorf("last error %q is not in plain words about the gateway", got)
	}
	next := cells.Eq(4)
	if !strings.Contains(next.Text(), "Queued") || next.Find("time").AttrOr("datetime", "") != queued[0].NextAttemptAt.UTC().Format(time.RFC3339) {
		t.Errorf("next try cell %q, want Queued and %s", next.Text(), queued[0].NextAttemptAt)
	}
	_, daily, _ := a.event(whmcsbridge.EventDailyCron, whmcsbridge.EventRequest{})
	if joined := strings.Join(daily, "\n"); !strings.Contains(joined, "staas: 1 queued action waiting, the oldest since") {
		t.Errorf("the daily report %q does not count the queued action", daily)
	}

	// The gateway is back; before the retry is due nothing happens.
	a.Sim.SetFaults(ostorsim.Faults{})
	if run, err := svc.Events.RetryIntents(ctx); err != nil || run != (provision.IntentRun{}) {
		t.Fatalf("a retry before it was due: %+v, %v", run, err)
	}
	if st := a.s3User(aliceS3Email).State; st != "enabled" {
		t.Fatalf("the user is %s before the retry", st)
	}
	clock.Add(2 * time.Minute)
	if run, err := svc.Events.RetryIntents(ctx); err != nil || run.Done != 1 {
		t.Fatalf("the due retry: %+v, %v", run, err)
	}
	if st := a.s3User(aliceS3Email).State; st != "disabled" {
		t.Errorf("after the retry the closed client's user is %s", st)
	}
	clock.Add(time.Hour)
	if run, _ := svc.Events.RetryIntents(ctx); run != (provision.IntentRun{}) {
		t.Errorf("a done intent was tried again: %+v", run)
	}
	if q, d := a.auditCount(1, "event-queued"), a.auditCount(1, "event-done"); q != 1 || d != 1 {
		t.Errorf("audit: %d event-queued, %d event-done; want 1 and 1", q, d)
	}
	if a.panels(fullAdmin).Find("#staas-pending").Length() != 0 {
		t.Error("Pending work still shows once the work is done")
	}
}

// TestEvent_DoneAtOnceLeavesNothingPending: with the gateway up, the
// event is done in the hook: one 'done' row, no 'queued', nothing pending.
func TestEvent_DoneAtOnceLeavesNothingPending(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	a, _ := newIntentApp(t, clock, nil)
	a.create()
	status, msgs, _ := a.event(whmcsbridge.EventClientDelete, whmcsbridge.EventRequest{ClientID: 1})
	if status != 200 || strings.Contains(strings.Join(msgs, " "), "queued") {
		t.Fatalf("client-delete: %d %v", status, msgs)
	}
	if q, d := a.auditCount(1, "event-queued"), a.auditCount(1, "event-done"); q != 0 || d != 1 {
		t.Errorf("audit: %d event-queued, %d event-done; want 0 and 1", q, d)
	}
	if a.panels(fullAdmin).Find("#staas-pending").Length() != 0 {
		t.Error("Pending work shows though nothing waits")
	}
}

// TestPendingWork_FailedIntentIsShown: an event the gateway refuses for
// good ends as failed: an 'event-failed' audit row, no further tries, and
// the page shows it as Failed with the refusal.
func TestPendingWork_FailedIntentIsShown(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	a, svc := newIntentApp(t, clock, nil)
	ctx := context.Background()
	// An event this staas does not know is refused (invalid) for good,
	// as a gateway's final refusal is.
	if _, err := a.Store.AddIntent(ctx, staas.Intent{ClientID: 1, Event: "client-rename", CreatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if run, err := svc.Events.RetryIntents(ctx); err != nil || run.Failed != 1 {
		t.Fatalf("retry: %+v, %v", run, err)
	}
	clock.Add(2 * time.Hour)
	if run, _ := svc.Events.RetryIntents(ctx); run != (provision.IntentRun{}) {
		t.Errorf("a failed intent was tried again: %+v", run)
	}
	if n := a.auditCount(1, "event-failed"); n != 1 {
		t.Errorf("%d event-failed rows, want 1", n)
	}
	cells := a.panels(fullAdmin).Find("#staas-pending table.staas-intents tr.altrow td")
	if !strings.Contains(cells.Eq(3).Text(), "does not know the event") || !strings.Contains(cells.Eq(4).Text(), "Failed") {
		t.Errorf("the failed row reads %q / %q", cells.Eq(3).Text(), cells.Eq(4).Text())
	}
	_, daily, _ := a.event(whmcsbridge.EventDailyCron, whmcsbridge.EventRequest{})
	if !strings.Contains(strings.Join(daily, "\n"), "1 client action was refused for good") {
		t.Errorf("the daily report %q does not name the failed action", daily)
	}
}

// TestPendingWork_ModuleQueue: WHMCS's Module Queue entries of the
// client's staas services show on its page with service, action, last
// attempt, error and attempts, escaped; another client's do not.
func TestPendingWork_ModuleQueue(t *testing.T) {
	a := newModuleApp(t, nil)
	ctx := context.Background()
	for _, s := range []struct{ id, client int64 }{{aliceService, 1}, {4321, 2}} {
		if err := whmcssim.SetService(ctx, a.WHMCSDB, s.id, s.client, "Active"); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	for i, msg := range []string{"first try", "The storage gateway could not be reached <b>(503)</b>."} {
		if err := whmcssim.ModuleCallFailed(ctx, a.WHMCSDB, aliceService, "staas", "suspend", msg, at.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := whmcssim.ModuleCallFailed(ctx, a.WHMCSDB, 4321, "staas", "create", "Bob's", at); err != nil {
		t.Fatal(err)
	}
	doc := a.panels(fullAdmin)
	rows := doc.Find("#staas-pending table.staas-module-queue tr.altrow")
	if rows.Length() != 1 {
		t.Fatalf("%d module queue rows, want Alice's one:\n%s", rows.Length(), doc.Text())
	}
	cells := rows.Find("td")
	want := []string{"#1234", "suspend", "2026-05-01 10:30:00 UTC", "The storage gateway could not be reached <b>(503)</b>.", "1"}
	for i, w := range want {
		if got := cells.Eq(i).Text(); got != w {
			t.Errorf("cell %d reads %q, want %q", i, got, w)
		}
	}
	if cells.Find("b").Length() != 0 {
		t.Error("the error's markup was not escaped")
	}
	if doc.Find("#staas-pending table.staas-intents").Length() != 0 {
		t.Error("an empty queued-events table shows")
	}
}

// TestEvent_ClientWithoutS3UsersKeepsNothing: a client with no S3 user
// (most of WHMCS's clients) is closed: nothing is queued or audited.
func TestEvent_ClientWithoutS3UsersKeepsNothing(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	a, _ := newIntentApp(t, clock, nil)
	if status, _, body := a.event(whmcsbridge.EventClientClose, whmcsbridge.EventRequest{ClientID: 2}); status != 200 || body["result"] != "success" {
		t.Fatalf("client-close: %d %v", status, body)
	}
	if all, err := a.Store.ClientIntents(context.Background(), 2); err != nil || len(all) != 0 {
		t.Errorf("intents of a client without S3 users: %+v, %v", all, err)
	}
	if n := a.auditCount(2, "event-done"); n != 0 {
		t.Errorf("%d audit rows for nothing done", n)
	}
}

// refusingGateway refuses to disable users while refuse is set, as a
// gateway that answers an operator's policy with a final 403 would.
type refusingGateway struct {
	*ostor.Client
	mu     sync.Mutex
	refuse bool
}

func (g *refusingGateway) DisableUser(ctx context.Context, email string) error {
	g.mu.Lock()
	refuse := g.refuse
	g.mu.Unlock()
	if refuse {
		return staas.Errorf(staas.EFORBIDDEN, "The gateway refused to disable %s: the account is under legal hold.", email)
	}
	return g.Client.DisableUser(ctx, email)
}

// TestPendingWork_RetryNowAfterTheAdminFixedIt: a closed client's users
// cannot be disabled: the gateway refuses for good, so the event fails and
// shows under Pending work with a Retry now button. Once the cause is
// gone the admin clicks it: the row is queued again, due at once; the
// retry worker disables the user and the pending work is gone. A viewer
// cannot retry, and an id that is not this client's pending action is
// refused, changing nothing.
func TestPendingWork_RetryNowAfterTheAdminFixedIt(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	w := testworld.New(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}, Clients: []staas.Client{
		{ID: 1, FirstName: "Alice", LastName: "Archer", Email: "alice@example.com", Status: "Active"},
	}})
	gw := &refusingGateway{Client: w.Gateway}
	svc := provision.New(provision.Config{Gateway: gw, Store: w.Store, WHMCS: w.Bridge, Now: clock.Now})
	e, err := handlers.New(fullDeps(w, svc))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	a := &app{World: w, t: t, srv: srv}
	ctx := context.Background()
	a.create()

	gw.mu.Lock()
	gw.refuse = true
	gw.mu.Unlock()
	a.event(whmcsbridge.EventClientClose, whmcsbridge.EventRequest{ClientID: 1, AdminID: 1})
	failed, err := a.Store.ClientIntents(ctx, 1, staas.IntentFailed)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed intents: %+v, %v", failed, err)
	}
	id := strconv.FormatInt(failed[0].ID, 10)
	retry := a.panels(fullAdmin).Find(`#staas-pending form:has(input[name="intent"])`)
	if retry.Length() != 1 || retry.Find(`input[name="intent"]`).AttrOr("value", "") != id || !strings.Contains(retry.Text(), "Retry now") {
		t.Fatalf("the failed row has %d Retry now forms naming %q", retry.Length(), retry.Find(`input[name="intent"]`).AttrOr("value", ""))
	}

	if status, _ := a.act(viewer, "retry-intent", map[string]string{"intent": id}); status == 200 {
		t.Error("a viewer retried a pending action")
	}
	if status, _ := a.act(fullAdmin, "retry-intent", map[string]string{"intent": "99999"}); status == 200 {
		t.Error("retrying an id that is not the client's succeeded")
	}
	if still, _ := a.Store.ClientIntents(ctx, 1, staas.IntentFailed); len(still) != 1 {
		t.Fatal("a refused retry changed the failed action")
	}

	gw.mu.Lock()
	gw.refuse = false
	gw.mu.Unlock()
	if status, body := a.act(fullAdmin, "retry-intent", map[string]string{"intent": id}); status != 200 {
		t.Fatalf("retry now: %d %v", status, body)
	}
	if cell := a.panels(fullAdmin).Find("#staas-pending table.staas-intents tr.altrow td").Eq(4).Text(); !strings.Contains(cell, "Queued") {
		t.Errorf("after Retry now the row reads %q, want Queued", cell)
	}
	if run, err := svc.Events.RetryIntents(ctx); err != nil || run.Done != 1 {
		t.Fatalf("the retry worker: %+v, %v", run, err)
	}
	if u := a.s3User(aliceS3Email); u.Enabled() {
		t.Error("the closed client's user is enabled after the retried close")
	}
	if a.panels(fullAdmin).Find("#staas-pending").Length() != 0 {
		t.Error("pending work still shows after the retried action was done")
	}
	rows, err := a.Store.Audit(ctx, store.AuditFilter{ClientID: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ok, refused int
	for _, r := range rows {
		switch {
		case r.Action != "retry-intent":
		case r.Result == "ok" && r.AdminID == fullAdmin.ID && r.Params["intent"] == id:
			ok++
		default:
			refused++
		}
	}
	if ok != 1 || refused != 2 {
		t.Errorf("retry-intent audit rows: %d ok, %d refused; want the admin's one and the two refusals", ok, refused)
	}
}
