package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"staas"
	"staas/handlers"
	"staas/internal/cluster"
	"staas/internal/provision"
	"staas/internal/usage"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// twoClusterClients are Alice (client 1) and Bob (client 2).
var twoClusterClients = []staas.Client{
	{ID: 1, FirstName: "Alice", LastName: "Archer", Email: "alice@example.com", Status: "Active"},
	{ID: 2, FirstName: "Bob", LastName: "Baker", Email: "bob@example.com", Status: "Active"},
}

// narrowed is the registry with one cluster's backend wrapped, as a
// backend with fewer capabilities (ECS has no ops limits) would be.
type narrowed struct {
	*cluster.Registry
	name string
	wrap func(provision.Backend) provision.Backend
}

func (n narrowed) Backend(name string) (provision.Backend, error) {
	b, err := n.Registry.Backend(name)
	if err != nil || name != n.name {
		return b, err
	}
	return n.wrap(b), nil
}

// newClustersApp is an app over two simulated clusters, "default" and
// "eu-2", with provisioning routing over the registry as serve does;
// clusters, when set, replaces the registry (to narrow a backend);
// adjust tweaks the Deps.
func newClustersApp(t *testing.T, o testworld.Options, clusters func(*testworld.World) provision.Clusters, adjust func(*testworld.World, *handlers.Deps)) *app {
	t.Helper()
	o.Clusters, o.Clients = []string{"eu-2"}, twoClusterClients
	w := testworld.New(t, o)
	var cl provision.Clusters = w.Registry
	if clusters != nil {
		cl = clusters(w)
	}
	svc := provision.New(provision.Config{Clusters: cl, Store: w.Store, WHMCS: w.Bridge})
	d := fullDeps(w, svc)
	if adjust != nil {
		adjust(w, &d)
	}
	e, err := handlers.New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &app{World: w, t: t, srv: srv}
}

// requests is how many requests both simulators have answered.
func (a *app) requests() (def, eu2 int64) {
	return a.Clusters["default"].Sim.Requests(), a.Clusters["eu-2"].Sim.Requests()
}

// An admin creates the client's S3 user on the cluster chosen in the
// panel: the user is on eu-2 only, the mapping says so, and Query User,
// Generate Access Key and the quota act there, never on the default
// cluster. A cluster staas does not have is a field error by the
// select, and nothing is sent anywhere.
func TestAdmin_CreateUserOnChosenCluster(t *testing.T) {
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}}, nil, nil)
	ctx := context.Background()
	def, eu2 := a.Clusters["default"], a.Clusters["eu-2"]

	// The form offers both clusters, labelled, the default chosen.
	doc := a.links(fullAdmin)
	sel := doc.Find(`select[name="cluster"]`)
	if sel.Length() != 1 || sel.Closest("form").Find(`button[value="create-user"]`).Length() != 1 {
		t.Fatal("no cluster select in Create User's form")
	}
	if id := sel.AttrOr("id", ""); id == "" || doc.Find(`label[for="`+id+`"]`).Text() != "Cluster" {
		t.Errorf("the cluster select has no label")
	}
	var opts []string
	sel.Find("option").Each(func(_ int, o *goquery.Selection) { opts = append(opts, o.AttrOr("value", "")) })
	if strings.Join(opts, ",") != "default,eu-2" {
		t.Errorf("cluster choices %v", opts)
	}
	if v := sel.Find("option[selected]").AttrOr("value", ""); v != "default" {
		t.Errorf("chosen cluster %q, want the default", v)
	}

	// An unknown cluster: refused by the field, nothing sent.
	d0, e0 := a.requests()
	status, body := a.act(fullAdmin, "create-user", map[string]string{"cluster": "mars-1"})
	if status != http.StatusBadRequest || !strings.Contains(body["message"].(string), `no cluster named "mars-1"`) {
		t.Fatalf("unknown cluster: %d %v", status, body)
	}
	if d1, e1 := a.requests(); d1 != d0 || e1 != e0 {
		t.Errorf("an unknown cluster reached the gateways (%d, %d requests)", d1-d0, e1-e0)
	}
	doc = a.links(fullAdmin)
	if bad := doc.Find(`select[name="cluster"][aria-invalid="true"]`); bad.Length() != 1 ||
		!strings.Contains(bad.Closest(".form-group").Find(".help-block").Text(), `"mars-1"`) {
		t.Errorf("no field error by the cluster select: %q", doc.Find(".has-error").Text())
	}

	// eu-2: the user is there and only there.
	d0, _ = a.requests()
	if status, body := a.act(fullAdmin, "create-user", map[string]string{"cluster": "eu-2"}); status != 200 {
		t.Fatalf("create on eu-2: %d %v", status, body)
	}
	u, err := eu2.Gateway.User(ctx, staas.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatalf("the user is not on eu-2: %v", err)
	}
	if d1, _ := a.requests(); d1 != d0 {
		t.Errorf("Create User on eu-2 sent %d requests to the default cluster", d1-d0)
	}
	if _, err := def.Gateway.User(ctx, staas.ByEmail("alice@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("the user is on default too: %v", err)
	}
	d0, _ = a.requests()
	if m, err := a.Store.S3User(ctx, 1, 0); err != nil || m.Cluster != "eu-2" || m.UserID != u.ID {
		t.Fatalf("mapping %+v, %v", m, err)
	}

	// Query User (Create User opened it), Generate Access Key and the
	// quota act on eu-2.
	if text := a.panels(fullAdmin).Find(".clientssummarybox").Text(); !strings.Contains(text, u.ID) || !strings.Contains(text, "Clustereu-2") {
		t.Errorf("Query User does not show the eu-2 user %s and its cluster: %q", u.ID, text)
	}
	if status, body := a.act(fullAdmin, "generate-key", nil); status != 200 {
		t.Fatalf("generate key: %d %v", status, body)
	}
	if u, _ := eu2.Gateway.User(ctx, staas.ByID(u.ID)); u == nil || len(u.Keys) != 2 {
		t.Errorf("eu-2 user after Generate Access Key: %+v", u)
	}
	if status, body := a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "user", "quota-gb": "5"}); status != 200 {
		t.Fatalf("quota: %d %v", status, body)
	}
	if q, err := eu2.Gateway.Quota(ctx, staas.UserQuota(staas.ByID(u.ID))); err != nil || q.SizeGB != 5 {
		t.Errorf("eu-2 quota %+v, %v", q, err)
	}
	if d1, _ := a.requests(); d1 != d0 {
		t.Errorf("%d requests reached the default cluster for a client on eu-2", d1-d0)
	}

	// List Users lists the client's cluster, and its title says which.
	if status, body := a.act(fullAdmin, "toggle-users", nil); status != 200 {
		t.Fatalf("toggle users: %d %v", status, body)
	}
	text := a.panels(fullAdmin).Text()
	if !strings.Contains(text, "S3 Users List: cluster eu-2") {
		t.Errorf("the users panel does not name eu-2: %q", text)
	}
	if i := strings.Index(text, "S3 Users List"); i < 0 || !strings.Contains(text[i:], "alice@example.com") {
		t.Errorf("the users list of eu-2 lacks its user: %q", text)
	}
	if d1, _ := a.requests(); d1 != d0 {
		t.Errorf("List Users read the default cluster for a client on eu-2 (%d requests)", d1-d0)
	}
}

// Two services, one per cluster, made through the signed module calls
// (one naming eu-2, one naming no cluster), each with its own traffic on
// its own simulator, collected per cluster as serve does: usage-update
// and metrics give each service its own cluster's figures, exactly.
func TestModule_UsagePerCluster(t *testing.T) {
	start := time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(start.Unix())
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{Start: start}}, nil, func(w *testworld.World, d *handlers.Deps) {
		d.Now = func() time.Time { return time.Unix(clock.Load(), 0).UTC() }
		d.Usage = &usage.Figures{Reader: &usage.Reader{Store: w.Store, Cluster: w.Registry.Default()}, Services: w.Store, Quotas: w.Registry}
	})
	ctx := context.Background()
	// Both simulators name their statistics objects by the same gateway
	// service id and clock, so the two clusters' objects of an hour have
	// the same names: each is collected into its own cluster's rows
	// (staas_usage_objects is keyed by cluster and name).

	type service struct {
		id      int64
		cluster string
		email   string
		traffic ostorsim.Traffic
	}
	services := []service{
		{id: 1234, cluster: "eu-2", email: "alice+s3-1234@example.com",
			traffic: ostorsim.Traffic{Put: 11, Get: 222, List: 3, Other: 4, Uploaded: 5 << 20, Downloaded: 7 << 30}},
		{id: 77, cluster: "default", email: "bob+s3-77@example.com",
			traffic: ostorsim.Traffic{Put: 90, Get: 8, List: 70, Other: 6, Uploaded: 3 << 30, Downloaded: 9 << 20}},
	}
	for _, s := range services {
		r := moduleReq(nil)
		r.ServiceID = s.id
		if s.id == 77 {
			r.ClientID, r.ClientEmail = 2, "bob@example.com" // and no cluster: the default
		} else {
			r.Cluster = s.cluster
		}
		a.module(whmcsbridge.FuncCreate, r)
		if m, err := a.Store.S3UserByService(ctx, s.id); err != nil || m.Cluster != s.cluster {
			t.Fatalf("service %d mapping %+v, %v", s.id, m, err)
		}
		tr := s.traffic
		tr.Email = s.email
		if err := a.Clusters[s.cluster].Sim.AddTraffic(tr); err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range a.Clusters {
		c.Sim.Advance(2 * time.Hour)
		col, err := usage.New(usage.Config{Gateway: c.Gateway, Store: a.Store, Cluster: name, Now: c.Sim.Now})
		if err != nil {
			t.Fatal(err)
		}
		for run := 0; ; run++ {
			res, err := col.Run(ctx)
			if err != nil {
				t.Fatalf("collect %s: %v", name, err)
			}
			if res.Listed == 0 {
				break
			}
			if run > 5 {
				t.Fatalf("%s: statistics objects still listed after 5 runs", name)
			}
		}
	}

	clock.Store(start.Add(3 * time.Hour).Unix())
	status, got, _ := a.usageUpdate(1234, 77)
	if status != http.StatusOK || len(got) != 2 {
		t.Fatalf("usage-update: %d %v", status, got)
	}
	status, res := a.metrics(1234, 77)
	if status != http.StatusOK || len(res.Services) != 2 {
		t.Fatalf("metrics: %d %+v", status, res)
	}
	byService := map[int64]whmcsbridge.ServiceMetrics{}
	for _, s := range res.Services {
		byService[s.ServiceID] = s
	}
	for _, s := range services {
		wantMB := int64((s.traffic.Downloaded + 1<<20 - 1) >> 20)
		if got[s.id].BWMB != wantMB {
			t.Errorf("service %d (%s) usage-update: %d MB egress, want %d", s.id, s.cluster, got[s.id].BWMB, wantMB)
		}
		m := byService[s.id].Metrics
		want := whmcsbridge.MetricValues{Egress: float64(s.traffic.Downloaded) / 1e9, Ingress: float64(s.traffic.Uploaded) / 1e9,
			RequestsGet: s.traffic.Get, RequestsPut: s.traffic.Put, RequestsList: s.traffic.List, RequestsOther: s.traffic.Other}
		if byService[s.id].Tenant != s.email || m.Egress != want.Egress || m.Ingress != want.Ingress || m.RequestsGet != want.RequestsGet ||
			m.RequestsPut != want.RequestsPut || m.RequestsList != want.RequestsList || m.RequestsOther != want.RequestsOther {
			t.Errorf("service %d (%s) metrics:\n got %s %+v\nwant %s %+v", s.id, s.cluster, byService[s.id].Tenant, m, s.email, want)
		}
	}
}

// noOps narrows a backend to one without ops limits.
type noOps struct{ provision.Backend }

func (n noOps) Capabilities() staas.Capabilities {
	c := n.Backend.Capabilities()
	c.OpsLimits = false
	return c
}

// A client whose S3 user is on a cluster without ops limits gets limits
// forms without the ops-limit inputs, saying why in one sentence; a
// client on the other cluster keeps them.
func TestAdmin_LimitsFormsOfferOnlyWhatTheClusterHas(t *testing.T) {
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}}, func(w *testworld.World) provision.Clusters {
		return narrowed{Registry: w.Registry, name: "eu-2", wrap: func(b provision.Backend) provision.Backend { return noOps{b} }}
	}, nil)
	if status, body := a.act(fullAdmin, "create-user", map[string]string{"cluster": "eu-2"}); status != 200 {
		t.Fatalf("create on eu-2: %d %v", status, body)
	}
	if err := a.Clusters["eu-2"].Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	doc := a.links(fullAdmin)
	for _, id := range []string{"staas-links-user-limits", "staas-links-bucket-limits"} {
		g := doc.Find("#" + id)
		if g.Find(`input[name="ops-value"], select[name="ops-name"]`).Length() != 0 {
			t.Errorf("%s offers an ops limit on a cluster without them", id)
		}
		if g.Find(`input[name="bandwidth-value"]`).Length() != 1 {
			t.Errorf("%s lost its bandwidth limit", id)
		}
		if note := g.Find(".staas-unsupported").Text(); !strings.Contains(note, "eu-2") || !strings.Contains(note, "no ops limits") {
			t.Errorf("%s does not say why: %q", id, note)
		}
	}

	bob := pageRequest(fullAdmin)
	bob.ClientID = 2
	if status, body := a.call("/shim/v1/admin/actions/create-user", whmcsbridge.ActionRequest{Admin: fullAdmin, ClientID: 2}); status != 200 {
		t.Fatalf("create for Bob: %d %v", status, body)
	}
	status, body := a.call("/shim/v1/admin/links", bob)
	if status != 200 {
		t.Fatalf("links: %d %v", status, body)
	}
	html := ""
	for _, l := range body["links"].([]any) {
		html += l.(string)
	}
	if !strings.Contains(html, `name="ops-value"`) || strings.Contains(html, "staas-unsupported") {
		t.Error("a client on the default cluster lost the ops limit")
	}
}

// List Users of a client without an S3 user lists the default cluster,
// and the admin may pick another: the chosen cluster's users are listed,
// the title and the select say which, and the choice holds across page
// loads. A cluster staas does not have is refused, nothing sent.
func TestAdmin_ListUsersOnChosenCluster(t *testing.T) {
	a := newClustersApp(t, testworld.Options{Sim: ostorsim.Options{WallClock: true}}, nil, nil)
	ctx := context.Background()
	if _, err := a.Clusters["default"].Gateway.CreateUser(ctx, "yan@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Clusters["eu-2"].Gateway.CreateUser(ctx, "zed@example.com"); err != nil {
		t.Fatal(err)
	}
	if status, body := a.act(fullAdmin, "toggle-users", nil); status != 200 {
		t.Fatalf("toggle users: %d %v", status, body)
	}
	listed := func() (text, chosen string) {
		doc := a.panels(fullAdmin)
		sel := doc.Find(`select#staas-users-cluster`)
		if sel.Length() != 1 || doc.Find(`label[for="staas-users-cluster"]`).Text() != "Cluster" {
			t.Fatal("the users panel has no labelled cluster select")
		}
		return doc.Text(), sel.Find("option[selected]").AttrOr("value", "")
	}
	text, chosen := listed()
	if chosen != "default" || !strings.Contains(text, "S3 Users List: cluster default") || !strings.Contains(text, "yan@example.com") || strings.Contains(text, "zed@example.com") {
		t.Fatalf("first list: chosen %q, text %q", chosen, text)
	}

	if status, body := a.act(fullAdmin, "users-page", map[string]string{"cluster": "eu-2", "page": "1"}); status != 200 {
		t.Fatalf("users-page on eu-2: %d %v", status, body)
	}
	for range 2 { // the choice is kept in the panel's state: every load lists eu-2
		text, chosen = listed()
		if chosen != "eu-2" || !strings.Contains(text, "S3 Users List: cluster eu-2") || !strings.Contains(text, "zed@example.com") || strings.Contains(text, "yan@example.com") {
			t.Fatalf("eu-2 list: chosen %q, text %q", chosen, text)
		}
	}

	d0, e0 := a.requests()
	status, body := a.act(fullAdmin, "users-page", map[string]string{"cluster": "mars-1", "page": "1"})
	if status != http.StatusBadRequest {
		t.Fatalf("unknown cluster: %d %v", status, body)
	}
	if d1, e1 := a.requests(); d1 != d0 || e1 != e0 {
		t.Errorf("an unknown cluster sent %d and %d requests", d1-d0, e1-e0)
	}
}
