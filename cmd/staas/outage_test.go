package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/internal/reconcile"
	"staas/internal/store"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/standin/whmcssim"
	"staas/whmcsbridge"
)

// Issue 14's proofs that nothing is lost while a part is away: a gateway
// outage of ten simulated minutes during a stream of module calls and
// client hooks, and staas stopped while WHMCS goes on. In both, the test
// plays WHMCS: it keeps each service's and client's status as WHMCS's
// tables do, puts a failed module call in the Module Queue (as
// ModuleCallFunction does) and retries the queue afterwards as an admin
// does from Utilities > Module Queue; a hook's answer is only logged by
// WHMCS, so a hook that does not succeed is an event lost.

const outageSecret = "outage-shim-secret"

// fakeWHMCS is WHMCS as the test plays it, over the world's WHMCS tables.
type fakeWHMCS struct {
	t        *testing.T
	w        *testworld.World
	url      string // staas's address; "" while staas is stopped
	services map[int64]*fakeService
	clients  map[int64]string // Active, Closed, or "deleted"
	// hooksLost counts hooks staas did not answer with success.
	hooksLost int
}

type fakeService struct {
	id, client int64
	status     string // tblhosting.domainstatus: Pending, Active, Suspended, Terminated
	userID     string // the S3 user its first successful create made
}

func newFakeWHMCS(t *testing.T, w *testworld.World, clients int) *fakeWHMCS {
	f := &fakeWHMCS{t: t, w: w, services: map[int64]*fakeService{}, clients: map[int64]string{}}
	for c := int64(1); c <= int64(clients); c++ {
		f.clients[c] = "Active"
	}
	return f
}

// post sends a signed shim request and says whether staas answered
// success.
func (f *fakeWHMCS) post(path string, payload any) (bool, string) {
	f.t.Helper()
	if f.url == "" {
		return false, "staas could not be reached"
	}
	body, _ := json.Marshal(payload)
	req, _ := http.NewRequest(http.MethodPost, f.url+path, bytes.NewReader(body))
	if err := whmcsbridge.SignRequest(req, []byte(outageSecret), time.Now(), body); err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	msg, _ := out["message"].(string)
	return resp.StatusCode == http.StatusOK && out["result"] == "success", msg
}

// module runs a module function on a service as WHMCS does: on success
// the status changes; on failure the call goes to the Module Queue and
// the status stays.
func (f *fakeWHMCS) module(fn string, id int64) bool {
	f.t.Helper()
	ctx := context.Background()
	s := f.services[id]
	req := whmcsbridge.ModuleRequest{ServiceID: id, ClientID: s.client, ClientEmail: fmt.Sprintf("c%d@example.com", s.client),
		ProductID: 3, ServerID: 1, Status: s.status, Config: &whmcsbridge.ProductSettings{QuotaGB: "10"}}
	ok, msg := f.post(whmcsbridge.ModulePath(fn), req)
	now := f.w.Sim.Now()
	if !ok {
		if err := whmcssim.ModuleCallFailed(ctx, f.w.WHMCSDB, id, "staas", fn, msg, now); err != nil {
			f.t.Fatal(err)
		}
		return false
	}
	switch fn {
	case whmcsbridge.FuncCreate, whmcsbridge.FuncUnsuspend:
		s.status = "Active"
	case whmcsbridge.FuncSuspend:
		s.status = "Suspended"
	case whmcsbridge.FuncTerminate:
		s.status = "Terminated"
	}
	if err := whmcssim.SetService(ctx, f.w.WHMCSDB, id, s.client, s.status); err != nil {
		f.t.Fatal(err)
	}
	if err := whmcssim.ModuleCallSucceeded(ctx, f.w.WHMCSDB, id, "staas", fn, now); err != nil {
		f.t.Fatal(err)
	}
	if fn == whmcsbridge.FuncCreate && s.userID == "" {
		m, err := f.w.Store.S3UserByService(ctx, id)
		if err != nil {
			f.t.Fatalf("service %d created without a mapping: %v", id, err)
		}
		s.userID = m.UserID
	}
	return true
}

// order adds a service (Pending) and runs its create.
func (f *fakeWHMCS) order(id, client int64) bool {
	f.services[id] = &fakeService{id: id, client: client, status: "Pending"}
	if err := whmcssim.SetService(context.Background(), f.w.WHMCSDB, id, client, "Pending"); err != nil {
		f.t.Fatal(err)
	}
	return f.module(whmcsbridge.FuncCreate, id)
}

// closeClient closes a client in WHMCS, then fires ClientClose.
func (f *fakeWHMCS) closeClient(c int64) {
	f.clients[c] = "Closed"
	if err := whmcssim.SetClientStatus(context.Background(), f.w.WHMCSDB, c, "Closed"); err != nil {
		f.t.Fatal(err)
	}
	f.hook(whmcsbridge.EventClientClose, c)
}

// deleteClient fires ClientDelete (WHMCS's PreDeleteClient), then deletes
// the client and its services from WHMCS's tables.
func (f *fakeWHMCS) deleteClient(c int64) {
	f.hook(whmcsbridge.EventClientDelete, c)
	f.clients[c] = "deleted"
	for _, q := range []string{`DELETE FROM tblhosting WHERE userid = ?`, `DELETE FROM tblclients WHERE id = ?`} {
		if _, err := f.w.WHMCSDB.Exec(q, c); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fakeWHMCS) hook(event string, c int64) {
	if ok, _ := f.post(whmcsbridge.EventPath(event), whmcsbridge.EventRequest{ClientID: c}); !ok {
		f.hooksLost++
	}
}

// retryQueue retries every open Module Queue entry once, oldest first,
// as an admin does; it returns how many are still open.
func (f *fakeWHMCS) retryQueue() int {
	f.t.Helper()
	open, err := whmcssim.OpenModuleQueue(context.Background(), f.w.WHMCSDB)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range open {
		f.module(e.Action, e.ServiceID)
	}
	left, err := whmcssim.OpenModuleQueue(context.Background(), f.w.WHMCSDB)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(left)
}

// want is the gateway state WHMCS's statuses call for: "absent",
// "enabled" or "disabled".
func (f *fakeWHMCS) want(s *fakeService) string {
	switch {
	case s.status == "Terminated" || s.status == "Pending":
		return "absent"
	case f.clients[s.client] != "Active" || s.status == "Suspended":
		return "disabled"
	}
	return "enabled"
}

// checkGateway compares every service's S3 user with WHMCS's statuses:
// the state, the user that its first create made (never made again) and
// its one key pair.
func (f *fakeWHMCS) checkGateway() {
	f.t.Helper()
	ctx := context.Background()
	for id, s := range f.services {
		want := f.want(s)
		if s.userID == "" {
			if want != "absent" {
				f.t.Errorf("service %d (%s) has no user", id, s.status)
			}
			continue
		}
		u, err := f.w.Gateway.User(ctx, ostor.ByID(s.userID))
		got := "absent"
		if err == nil {
			got = u.State
		} else if staas.ErrorCode(err) != staas.ENOTFOUND {
			f.t.Fatalf("service %d: %v", id, err)
		}
		if got != want {
			f.t.Errorf("service %d of client %d (%s, client %s): the gateway's user is %s, want %s", id, s.client, s.status, f.clients[s.client], got, want)
		}
		if err == nil && len(u.Keys) != 1 {
			f.t.Errorf("service %d's user has %d key pairs: a create was applied twice", id, len(u.Keys))
		}
		if m, err := f.w.Store.S3UserByService(ctx, id); err == nil && m.UserID != s.userID {
			f.t.Errorf("service %d's user is %s, its first create made %s", id, m.UserID, s.userID)
		}
	}
}

// startStaas builds staas as serve does over the world's store and serves
// it on 127.0.0.1; stop ends it.
func startStaas(t *testing.T, w *testworld.World, st *store.Store) (*product, string, func()) {
	t.Helper()
	p, err := buildProduct(wiring{Store: st, WHMCS: w.Bridge, Clusters: w.Registry, ShimSecret: []byte(outageSecret), Daily: true,
		Now: w.Sim.Now, Log: newLogger(&syncBuffer{}, "text", 0)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p.Handler)
	return p, srv.URL, srv.Close
}

func outageWorld(t *testing.T, clients int) *testworld.World {
	var cs []staas.Client
	for c := 1; c <= clients; c++ {
		cs = append(cs, staas.Client{ID: int64(c), FirstName: fmt.Sprintf("C%d", c), LastName: "Client", Email: fmt.Sprintf("c%d@example.com", c), Status: "Active"})
	}
	return testworld.New(t, testworld.Options{Sim: ostorsim.Options{Start: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}, Clients: cs})
}

// TestOutage_TenMinutesOfGatewayNothingLost: services are created, one
// suspended; then the gateway answers nothing but 503 for ten simulated
// minutes while WHMCS creates two services, suspends two, unsuspends one,
// terminates one, closes a client and deletes another. Every hook still
// succeeds (staas queues the work); the module calls go to WHMCS's
// Module Queue. staas's retry worker runs every simulated minute as in
// serve. After the outage and the admin's retry of the Module Queue,
// every service's gateway state equals WHMCS's, no event is lost or
// failed, each intent is done exactly once, no user was made twice, and
// the reconciler finds nothing left to converge.
func TestOutage_TenMinutesOfGatewayNothingLost(t *testing.T) {
	ctx := context.Background()
	w := outageWorld(t, 8)
	p, url, stop := startStaas(t, w, w.Store)
	defer stop()
	f := newFakeWHMCS(t, w, 8)
	f.url = url
	minute := func() {
		w.Sim.Advance(time.Minute)
		if _, err := p.Provision.Events.RetryIntents(ctx); err != nil {
			t.Fatal(err)
		}
	}

	for c := int64(1); c <= 6; c++ {
		if !f.order(100+c, c) {
			t.Fatalf("create of service %d before the outage failed", 100+c)
		}
	}
	if !f.module(whmcsbridge.FuncSuspend, 103) {
		t.Fatal("suspend before the outage failed")
	}
	minute()

	w.Sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	stream := []func(){
		func() { f.order(107, 7) },
		func() { f.module(whmcsbridge.FuncSuspend, 101) },
		func() { f.closeClient(5) },
		func() { f.module(whmcsbridge.FuncUnsuspend, 103) },
		func() { f.module(whmcsbridge.FuncTerminate, 104) },
		func() { f.deleteClient(6) },
		func() { f.module(whmcsbridge.FuncSuspend, 102) },
		func() { f.order(108, 8) },
	}
	for i := range 10 { // ten minutes of outage
		if i < len(stream) {
			stream[i]()
		}
		minute()
	}
	if f.hooksLost != 0 {
		t.Fatalf("%d hooks were not answered with success while the gateway was down", f.hooksLost)
	}
	if q, _, _, _ := w.Store.IntentBacklog(ctx); q != 2 {
		t.Errorf("%d client events queued during the outage, want 2 (close and delete)", q)
	}
	if open, _ := whmcssim.OpenModuleQueue(ctx, w.WHMCSDB); len(open) != 6 {
		t.Errorf("%d Module Queue entries after the outage, want the 6 failed calls: %+v", len(open), open)
	}

	w.Sim.SetFaults(ostorsim.Faults{})
	if left := f.retryQueue(); left != 0 {
		t.Fatalf("%d Module Queue entries still fail with the gateway back", left)
	}
	for range 60 { // the worker's backoff reaches every intent within the hour
		minute()
	}
	f.checkGateway()

	queued, oldest, failed, err := w.Store.IntentBacklog(ctx)
	if err != nil || queued != 0 || failed != 0 {
		t.Fatalf("after the outage: %d queued (oldest %v), %d failed, %v; want none", queued, oldest, failed, err)
	}
	for _, c := range []int64{5, 6} {
		all, err := w.Store.ClientIntents(ctx, c)
		if err != nil || len(all) != 1 || all[0].State != staas.IntentDone {
			t.Errorf("client %d's intents: %+v, %v; want one, done", c, all, err)
		}
		rows, _ := w.Store.Audit(ctx, store.AuditFilter{ClientID: c, Limit: 500})
		done := 0
		for _, r := range rows {
			if r.Action == "event-done" {
				done++
			}
		}
		if done != 1 {
			t.Errorf("client %d: %d event-done audit rows, want exactly 1", c, done)
		}
	}
	rep, err := p.Clusters[0].Reconciler.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Converged() != 0 || rep.Counts[reconcile.KindSuspendedEnabled] != 0 || rep.Counts[reconcile.KindClosedEnabled] != 0 {
		t.Errorf("the reconciler still found drift to converge: %+v", rep.Items)
	}
}

// TestOutage_StaasStoppedReconcilerCatchesUp: staas is stopped while
// WHMCS goes on: a client is closed (its hook never arrives), an admin
// sets a service Suspended by hand, and WHMCS's suspend, unsuspend,
// terminate and create calls fail into the Module Queue. After a restart
// on the same store, the reconciler disables what WHMCS closed or
// suspended, the admin retries the Module Queue, and every service's
// gateway state equals WHMCS's; a second reconcile finds nothing to do.
func TestOutage_StaasStoppedReconcilerCatchesUp(t *testing.T) {
	ctx := context.Background()
	w := outageWorld(t, 7)
	_, url, stop := startStaas(t, w, w.Store)
	f := newFakeWHMCS(t, w, 7)
	f.url = url
	for c := int64(1); c <= 6; c++ {
		if !f.order(200+c, c) {
			t.Fatalf("create of service %d failed", 200+c)
		}
	}
	if !f.module(whmcsbridge.FuncSuspend, 203) {
		t.Fatal("suspend failed")
	}

	stop() // staas is down
	f.url = ""
	f.module(whmcsbridge.FuncSuspend, 201)
	f.module(whmcsbridge.FuncUnsuspend, 203)
	f.module(whmcsbridge.FuncTerminate, 204)
	f.closeClient(5)
	f.order(207, 7)
	f.services[202].status = "Suspended" // by hand, no module call
	if err := whmcssim.SetService(ctx, w.WHMCSDB, 202, 2, "Suspended"); err != nil {
		t.Fatal(err)
	}
	if f.hooksLost != 1 {
		t.Fatalf("%d hooks lost while staas was down, want the ClientClose", f.hooksLost)
	}
	w.Sim.Advance(30 * time.Minute)

	// Restart: a new process on the same store file.
	st, err := store.Open(ctx, "sqlite", w.StoreDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, url, stop := startStaas(t, w, st)
	defer stop()
	f.url = url
	rep, err := p.Clusters[0].Reconciler.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[reconcile.KindClosedEnabled] != 1 || rep.Counts[reconcile.KindSuspendedEnabled] != 1 {
		t.Errorf("the reconciler found %v, want the closed client's and the hand-suspended service's users", rep.Counts)
	}
	if left := f.retryQueue(); left != 0 {
		t.Fatalf("%d Module Queue entries still fail after the restart", left)
	}
	f.checkGateway()
	again, err := p.Clusters[0].Reconciler.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Converged() != 0 {
		t.Errorf("a second reconcile still converged: %+v", again.Items)
	}
}
