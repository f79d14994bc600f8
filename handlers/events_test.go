package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// event posts an event and returns its status and messages.
func (a *app) event(name string, r whmcsbridge.EventRequest) (int, []string, map[string]any) {
	a.t.Helper()
	status, body := a.call(whmcsbridge.EventPath(name), r)
	var msgs []string
	list, _ := body["messages"].([]any)
	for _, m := range list {
		msgs = append(msgs, m.(string))
	}
	return status, msgs, body
}

func TestEvent_ClientAdd(t *testing.T) {
	ctx := context.Background()
	add := whmcsbridge.EventRequest{ClientID: 1, AdminID: 1, Email: "alice@example.com"}

	off := newModuleApp(t, nil)
	if status, msgs, body := off.event(whmcsbridge.EventClientAdd, add); status != 200 || len(msgs) != 0 || body["result"] != "success" {
		t.Errorf("client-add with creation off: %d %v %v", status, msgs, body)
	}
	if _, err := off.Store.S3User(ctx, 1, 0); staas.ErrorCode(err) != staas.ENOTFOUND || off.Sim.Requests() != 0 {
		t.Errorf("client-add with creation off did something: %v, %d gateway requests", err, off.Sim.Requests())
	}

	on := newModuleApp(t, func(_ *testworld.World, d *handlers.Deps) { d.CreateOnClientAdd = true })
	for range 2 { // the hook may run twice; one user
		status, msgs, body := on.event(whmcsbridge.EventClientAdd, add)
		if status != 200 || len(msgs) != 1 {
			t.Fatalf("client-add: %d %v %v", status, msgs, body)
		}
	}
	u := on.s3User("alice@example.com")
	m, err := on.Store.S3User(ctx, 1, 0)
	if err != nil || m.UserID != u.ID {
		t.Errorf("mapping %+v, %v; gateway user %s", m, err, u.ID)
	}
	if len(u.Keys) != 1 || len(on.Notes(t, 1)) != 1 {
		t.Errorf("%d key pairs and %d notes after two client-adds", len(u.Keys), len(on.Notes(t, 1)))
	}
	if status, _, _ := on.event(whmcsbridge.EventClientAdd, whmcsbridge.EventRequest{ClientID: 1}); status != http.StatusBadRequest {
		t.Errorf("client-add without email: %d", status)
	}
}

func TestEvent_ClientEditRecordsAnEmailChange(t *testing.T) {
	a := newModuleApp(t, nil)
	ctx := context.Background()
	a.create()
	audits := func() int {
		rows, err := a.Store.Audit(ctx, store.AuditFilter{ClientID: 1})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rows {
			if strings.Contains(r.Action, "email") {
				n++
			}
		}
		return n
	}
	same := whmcsbridge.EventRequest{ClientID: 1, Email: "alice@example.com", OldEmail: "alice@example.com"}
	if status, _, body := a.event(whmcsbridge.EventClientEdit, same); status != 200 || audits() != 0 {
		t.Errorf("an edit without email change: %d %v, %d audit rows", status, body, audits())
	}
	changed := whmcsbridge.EventRequest{ClientID: 1, AdminID: 1, Email: "alice@example.net", OldEmail: "alice@example.com"}
	if status, _, body := a.event(whmcsbridge.EventClientEdit, changed); status != 200 || audits() != 1 {
		t.Errorf("an email change: %d %v, %d audit rows", status, body, audits())
	}
	// The S3 user keeps its address.
	a.s3User(aliceS3Email)
	// Without the previous address there is no change to record, and the
	// hook must not fail the WHMCS save; without the address it is refused.
	if status, _, _ := a.event(whmcsbridge.EventClientEdit, whmcsbridge.EventRequest{ClientID: 1, Email: "x@example.com"}); status != http.StatusOK || audits() != 1 {
		t.Errorf("client-edit without old_email: %d, %d audit rows; want 200 and nothing recorded", status, audits())
	}
	if status, _, _ := a.event(whmcsbridge.EventClientEdit, whmcsbridge.EventRequest{ClientID: 1, OldEmail: "x@example.com"}); status != http.StatusBadRequest {
		t.Errorf("client-edit without email: %d, want 400", status)
	}
}

func TestEvent_ClientCloseDisables(t *testing.T) {
	a := newModuleApp(t, nil)
	a.create()
	for range 2 {
		if status, _, body := a.event(whmcsbridge.EventClientClose, whmcsbridge.EventRequest{ClientID: 1}); status != 200 {
			t.Fatalf("client-close: %d %v", status, body)
		}
	}
	if st := a.s3User(aliceS3Email).State; st != "disabled" {
		t.Errorf("a closed client's user is %s", st)
	}
	if status, _, _ := a.event(whmcsbridge.EventClientClose, whmcsbridge.EventRequest{}); status != http.StatusBadRequest {
		t.Errorf("client-close without a client: %d", status)
	}
}

func TestEvent_ClientDelete(t *testing.T) {
	ctx := context.Background()
	t.Run("disable (default)", func(t *testing.T) {
		a := newModuleApp(t, nil)
		a.create()
		status, msgs, body := a.event(whmcsbridge.EventClientDelete, whmcsbridge.EventRequest{ClientID: 1, AdminID: 1})
		if status != 200 || len(msgs) != 1 || !strings.Contains(msgs[0], "orphan") {
			t.Fatalf("client-delete: %d %v %v", status, msgs, body)
		}
		if st := a.s3User(aliceS3Email).State; st != "disabled" {
			t.Errorf("the deleted client's user is %s", st)
		}
		m, err := a.Store.S3UserByService(ctx, aliceService)
		if err != nil || m.OrphanedAt.IsZero() {
			t.Errorf("not marked orphaned: %+v, %v", m, err)
		}
		// The daily cron reports the orphan.
		_, msgs, _ = a.event(whmcsbridge.EventDailyCron, whmcsbridge.EventRequest{})
		if len(msgs) != 1 || !strings.Contains(msgs[0], m.UserID) {
			t.Errorf("daily report %v does not name the orphan %s", msgs, m.UserID)
		}
	})
	t.Run("delete", func(t *testing.T) {
		a := newModuleApp(t, func(_ *testworld.World, d *handlers.Deps) { d.ClientDelete = provision.DeleteDelete })
		a.create()
		bobReq := moduleReq(nil)
		bobReq.ServiceID = 1235
		a.module(whmcsbridge.FuncCreate, bobReq)
		if err := a.Sim.CreateBucket("alice+s3-1235@example.com", "kept-data"); err != nil {
			t.Fatal(err)
		}
		status, msgs, body := a.event(whmcsbridge.EventClientDelete, whmcsbridge.EventRequest{ClientID: 1})
		if status != 200 || len(msgs) != 2 {
			t.Fatalf("client-delete: %d %v %v", status, msgs, body)
		}
		if _, err := a.Gateway.User(ctx, ostor.ByEmail(aliceS3Email)); staas.ErrorCode(err) != staas.ENOTFOUND {
			t.Errorf("the user without buckets is still there: %v", err)
		}
		if st := a.s3User("alice+s3-1235@example.com").State; st != "disabled" {
			t.Errorf("the user with a bucket is %s, want kept and disabled", st)
		}
		if !strings.Contains(strings.Join(msgs, "\n"), "kept-data") {
			t.Errorf("messages %v do not name the bucket kept", msgs)
		}
	})
}

func TestEvent_DailyCron(t *testing.T) {
	ran := 0
	a := newModuleApp(t, func(_ *testworld.World, d *handlers.Deps) {
		d.Daily = func(context.Context) []string {
			ran++
			return []string{"staas: delivered 2 queued WHMCS notes.", "staas: usage collection failed: the gateway did not answer."}
		}
	})
	status, msgs, body := a.event(whmcsbridge.EventDailyCron, whmcsbridge.EventRequest{})
	if status != 200 || body["result"] != "success" || ran != 1 {
		t.Fatalf("daily-cron: %d %v, ran %d", status, body, ran)
	}
	if len(msgs) != 2 || !strings.Contains(msgs[1], "failed") {
		t.Errorf("messages %v: want each part's line, a failure as a line", msgs)
	}
	// Ids may come as strings of digits (PHP); an empty string is no id.
	if status, _ := a.raw(whmcsbridge.EventPath(whmcsbridge.EventDailyCron), []byte(`{"client_id":"0","admin_id":"0"}`)); status != 200 || ran != 2 {
		t.Errorf("PHP-style daily-cron: %d, ran %d", status, ran)
	}
	if status, _ := a.raw(whmcsbridge.EventPath(whmcsbridge.EventDailyCron), []byte(`{"client_id":"","admin_id":"0"}`)); status != 400 || ran != 2 {
		t.Errorf("daily-cron with an empty-string id: %d, ran %d; want 400 and not run", status, ran)
	}
}
