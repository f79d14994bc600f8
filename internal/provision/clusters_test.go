package provision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/provision"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
)

// twoClusters is a world of two simulated clusters, "default" and
// "eu-2", with provisioning routing over the registry as serve does.
func twoClusters(t *testing.T) (*testworld.World, *provision.Services) {
	t.Helper()
	w := testworld.New(t, testworld.Options{Clients: clients, Clusters: []string{"eu-2"}})
	svc := provision.New(provision.Config{Clusters: w.Registry, Store: w.Store, WHMCS: w.Bridge, Now: w.Sim.Now})
	return w, svc
}

// A service created on cluster B lives on B only: its user, limits and
// quota are there and not on A; every later module call goes to B; a call
// that names A for it is refused and moves nothing.
func TestClusters_AServiceLivesOnItsClusterOnly(t *testing.T) {
	w, svc := twoClusters(t)
	ctx := context.Background()
	a, b := w.Clusters["default"], w.Clusters["eu-2"]
	onB := provision.ServiceRef{ServiceID: 2001, ClientID: 1, ClientEmail: "alice@example.com", Cluster: "eu-2"}

	m, err := svc.Lifecycle.CreateService(ctx, onB, limited)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cluster != "eu-2" {
		t.Fatalf("mapping cluster %q", m.Cluster)
	}
	if stored, err := w.Store.S3UserByService(ctx, 2001); err != nil || stored.Cluster != "eu-2" {
		t.Fatalf("stored mapping %+v, %v", stored, err)
	}
	if _, err := b.Gateway.User(ctx, staas.ByID(m.UserID)); err != nil {
		t.Fatalf("the user is not on eu-2: %v", err)
	}
	if _, err := a.Gateway.User(ctx, staas.ByEmail(m.Email)); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("the user is on default too: %v", err)
	}
	if q, err := b.Gateway.Quota(ctx, staas.UserQuota(staas.ByID(m.UserID))); err != nil || q.SizeGB != 100 {
		t.Fatalf("eu-2 quota %+v, %v", q, err)
	}

	// Later calls, naming the cluster or not, go to eu-2.
	if err := svc.Lifecycle.SuspendService(ctx, provision.ServiceRef{ServiceID: 2001, ClientID: 1}, "overdue"); err != nil {
		t.Fatal(err)
	}
	if u, _ := b.Gateway.User(ctx, staas.ByID(m.UserID)); u == nil || u.Enabled() {
		t.Fatalf("not suspended on eu-2: %+v", u)
	}
	info, err := svc.Lifecycle.ServiceInfo(ctx, onB)
	if err != nil || info.Enabled || len(info.Keys) == 0 {
		t.Fatalf("info %+v, %v", info, err)
	}

	// A call naming the other cluster is refused; nothing moves.
	before := a.Sim.Requests() + b.Sim.Requests()
	onA := onB
	onA.Cluster = "default"
	err = svc.Lifecycle.UnsuspendService(ctx, onA)
	wantCode(t, err, staas.ECONFLICT, `lives on cluster "eu-2", but WHMCS now names cluster "default"`)
	_, err = svc.Lifecycle.CreateService(ctx, onA, limited)
	wantCode(t, err, staas.ECONFLICT, "moves no service between clusters")
	if after := a.Sim.Requests() + b.Sim.Requests(); after != before {
		t.Errorf("a refused call reached a gateway (%d requests)", after-before)
	}
	if stored, _ := w.Store.S3UserByService(ctx, 2001); stored.Cluster != "eu-2" || stored.UserID != m.UserID {
		t.Fatalf("the mapping moved: %+v", stored)
	}

	// An unknown cluster is refused before anything is sent.
	_, err = svc.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 2002, ClientID: 1, ClientEmail: "alice@example.com", Cluster: "nowhere"}, limited)
	wantCode(t, err, staas.EINVALID, `no cluster named "nowhere"`)

	// A service without cluster goes to the default.
	m2, err := svc.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 2003, ClientID: 1, ClientEmail: "alice@example.com"}, limited)
	if err != nil || m2.Cluster != "default" {
		t.Fatalf("default service %+v, %v", m2, err)
	}
	if _, err := a.Gateway.User(ctx, staas.ByID(m2.UserID)); err != nil {
		t.Fatalf("not on default: %v", err)
	}

	// Terminate removes the user from eu-2.
	if err := svc.Lifecycle.TerminateService(ctx, onB, limited); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Gateway.User(ctx, staas.ByID(m.UserID)); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("still on eu-2: %v", err)
	}
}

// Cluster A down: services on B are created, suspended and tested as
// usual; A's calls fail with A's error and name nothing of B's.
func TestClusters_AnOutageOfOneLeavesTheOther(t *testing.T) {
	w, svc := twoClusters(t)
	ctx := context.Background()
	w.Clusters["default"].Sim.SetFaults(ostorsim.Faults{DropRate: 1})

	onB := provision.ServiceRef{ServiceID: 3001, ClientID: 1, ClientEmail: "alice@example.com", Cluster: "eu-2"}
	if _, err := svc.Lifecycle.CreateService(ctx, onB, limited); err != nil {
		t.Fatal(err)
	}
	if err := svc.Lifecycle.SuspendService(ctx, onB, ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.Lifecycle.TestCluster(ctx, "eu-2"); err != nil {
		t.Fatal(err)
	}
	err := svc.Lifecycle.TestCluster(ctx, "default")
	if staas.ErrorCode(err) != staas.EUNAVAILABLE {
		t.Fatalf("default down: %v", err)
	}
	_, err = svc.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 3002, ClientID: 1, ClientEmail: "alice@example.com"}, limited)
	if err == nil || strings.Contains(staas.ErrorMessage(err), "eu-2") {
		t.Fatalf("a service on the down default: %v", err)
	}
}

// The note outbox per cluster: with cluster default down, the queued note
// of a service on eu-2 is delivered, and default's waits for its cluster.
func TestClusters_OutboxDeliversPastADownCluster(t *testing.T) {
	w := testworld.New(t, testworld.Options{Clients: clients, Clusters: []string{"eu-2"}})
	f := &flakyWHMCS{WHMCS: w.Bridge}
	svc := provision.New(provision.Config{Clusters: w.Registry, Store: w.Store, WHMCS: f, Now: w.Sim.Now})
	ctx := context.Background()

	f.Fail(staas.EUNAVAILABLE) // WHMCS down: both notes are queued
	onA, err := svc.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 4001, ClientID: 1, ClientEmail: "alice@example.com"}, provision.ProductConfig{})
	if err != nil {
		t.Fatal(err)
	}
	onB, err := svc.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 4002, ClientID: 2, ClientEmail: "bob@example.com", Cluster: "eu-2"}, provision.ProductConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f.Fail("")
	w.Clusters["default"].Sim.SetFaults(ostorsim.Faults{DropRate: 1})
	for _, c := range []*testworld.Cluster{w.Clusters["default"], w.Clusters["eu-2"]} {
		c.Sim.Advance(time.Hour) // past the queued notes' due time
	}
	delivered, failed, err := svc.Notes.Deliver(ctx)
	if err != nil || delivered != 1 || failed != 1 {
		t.Fatalf("delivered %d, failed %d, %v", delivered, failed, err)
	}
	if notes := strings.Join(w.Notes(t, 2), "\n"); !strings.Contains(notes, onB.UserID) {
		t.Fatalf("eu-2's note was not delivered: %q", notes)
	}
	if notes := strings.Join(w.Notes(t, 1), "\n"); strings.Contains(notes, onA.UserID) {
		t.Fatalf("default's note was delivered while default is down: %q", notes)
	}
}

// The admin panel's Create User makes the client-level S3 user on the
// cluster the admin chose, and every later admin action finds it there;
// a cluster staas does not have is a field error and nothing is sent.
func TestClusters_AdminCreatesUserOnChosenCluster(t *testing.T) {
	w, svc := twoClusters(t)
	ctx := context.Background()
	a, b := w.Clusters["default"], w.Clusters["eu-2"]
	admin := provision.Actor{ClientID: 1, Admin: staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}}

	if names, def := svc.Admin.Clusters(); strings.Join(names, ",") != "default,eu-2" || def != "default" {
		t.Fatalf("clusters %v, default %q", names, def)
	}
	before := a.Sim.Requests() + b.Sim.Requests()
	_, err := svc.Admin.CreateUserOn(ctx, admin, "mars-1")
	wantCode(t, err, staas.EINVALID, `no cluster named "mars-1"`)
	if f := provision.Fields(err); f[provision.FieldCluster] == "" {
		t.Errorf("no field error on the cluster: %v", err)
	}
	if after := a.Sim.Requests() + b.Sim.Requests(); after != before {
		t.Errorf("an unknown cluster reached a gateway (%d requests)", after-before)
	}

	m, err := svc.Admin.CreateUserOn(ctx, admin, "eu-2")
	if err != nil {
		t.Fatal(err)
	}
	if m.Cluster != "eu-2" {
		t.Fatalf("mapping cluster %q", m.Cluster)
	}
	if _, err := b.Gateway.User(ctx, staas.ByID(m.UserID)); err != nil {
		t.Fatalf("the user is not on eu-2: %v", err)
	}
	if _, err := a.Gateway.User(ctx, staas.ByEmail(m.Email)); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("the user is on default too: %v", err)
	}
	if u, err := svc.Admin.QueryUser(ctx, admin); err != nil || u.ID != m.UserID {
		t.Fatalf("query user: %+v, %v", u, err)
	}
}

// A client closed in WHMCS with services on two clusters: each S3 user is
// disabled on its own cluster, and the audit log names the cluster of the
// one that is not the default.
func TestClusters_ClientClosedDisablesEachOnItsCluster(t *testing.T) {
	w, svc := twoClusters(t)
	ctx := context.Background()
	onA, err := svc.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 5001, ClientID: 1, ClientEmail: "alice@example.com"}, provision.ProductConfig{})
	if err != nil {
		t.Fatal(err)
	}
	onB, err := svc.Lifecycle.CreateService(ctx, provision.ServiceRef{ServiceID: 5002, ClientID: 1, ClientEmail: "alice@example.com", Cluster: "eu-2"}, provision.ProductConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Events.ClientClosed(ctx, 1, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m       *staas.S3User
		cluster string
	}{{onA, "default"}, {onB, "eu-2"}} {
		u, err := w.Clusters[c.cluster].Gateway.User(ctx, staas.ByID(c.m.UserID))
		if err != nil || u.Enabled() {
			t.Errorf("service %d's user on %s: %+v, %v; want disabled", c.m.ServiceID, c.cluster, u, err)
		}
	}
	rows, err := w.Store.Audit(ctx, staas.AuditFilter{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, r := range rows {
		text = append(text, r.Message)
	}
	all := strings.Join(text, "\n")
	if !strings.Contains(all, "service 5002, cluster eu-2") || strings.Contains(all, "service 5001, cluster") {
		t.Errorf("audit messages should name eu-2 for service 5002 only:\n%s", all)
	}
}
