package handlers_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"staas"
	"staas/handlers"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// TestMonthOfTraffic_ReachesWHMCS is issue 5's end to end: two customers'
// services are created through the module call, a month of random
// traffic and changing bucket sizes runs on the simulated gateway while
// staas collects statistics objects and samples buckets every 6 hours, as
// serve does. Then WHMCS asks, through the signed shim protocol:
// usage-update on the month's last evening (tblhosting's MB) and metrics
// on the first morning of the next month (usage billing). Every figure
// must equal what the simulator was made to do, to the byte and request.
func TestMonthOfTraffic_ReachesWHMCS(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	w := testworld.New(t, testworld.Options{Sim: ostorsim.Options{Start: start}, Clients: []staas.Client{
		{ID: 1, FirstName: "Alice", LastName: "Archer", Email: "alice@example.com", Status: "Active"},
		{ID: 2, FirstName: "Bob", LastName: "Baker", Email: "bob@example.com", Status: "Active"},
	}})
	var clock atomic.Int64 // what WHMCS's cron would see: the simulator's time
	clock.Store(start.Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0).UTC() }
	svc := provision.New(provision.Config{Gateway: w.Gateway, Store: w.Store, WHMCS: w.Bridge})
	reader := &usage.Reader{Store: w.Store}
	d := fullDeps(w, svc)
	d.Usage, d.Now = &usage.Figures{Reader: reader, Services: w.Store, Quotas: w.Registry}, now
	e, err := handlers.New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	a := &app{World: w, t: t, srv: srv}
	ctx := context.Background()

	type customer struct {
		service     int64
		email       string
		buckets     []string
		userID      string
		traffic     store.UsageCounters // injected in October
		lastOfMonth uint64              // bytes stored at the last sample
		byteHours   float64
	}
	customers := []*customer{
		{service: 1234, email: "alice+s3-1234@example.com", buckets: []string{"photos", "backups"}},
		{service: 77, email: "bob+s3-77@example.com", buckets: []string{"site"}},
	}
	for _, c := range customers {
		r := moduleReq(nil)
		r.ServiceID = c.service
		if c.service == 77 {
			r.ClientID, r.ClientEmail = 2, "bob@example.com"
		}
		a.module(whmcsbridge.FuncCreate, r)
		c.userID = a.s3User(c.email).ID
		for _, b := range c.buckets {
			if err := w.Sim.CreateBucket(c.email, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := usage.Config{Gateway: w.Gateway, Store: w.Store, Now: w.Sim.Now}
	collector, err := usage.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sampler, err := usage.NewSampler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	collect := func() {
		t.Helper()
		for run := 0; ; run++ {
			res, err := collector.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.Listed == 0 {
				return
			}
			if run > 5 {
				t.Fatal("statistics objects still listed after 5 runs")
			}
		}
	}

	rng := rand.New(rand.NewPCG(11, 5))
	const step = 6 // hours between collection runs
	hours := 31 * 24
	for h := 0; h < hours; h++ {
		if h%step == 0 {
			for _, c := range customers {
				var total uint64
				for _, b := range c.buckets {
					size := rng.Uint64N(50_000_000_000)
					if err := w.Sim.SetBucketSize(b, size); err != nil {
						t.Fatal(err)
					}
					total += size
				}
				c.byteHours += float64(total) * step
				c.lastOfMonth = total
			}
			if _, err := sampler.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range customers {
			for _, b := range append([]string{""}, c.buckets...) {
				tr := ostorsim.Traffic{Email: c.email, Bucket: b, Put: rng.Uint64N(100), Get: rng.Uint64N(1000),
					List: rng.Uint64N(50), Other: rng.Uint64N(10), Uploaded: rng.Uint64N(1 << 30), Downloaded: rng.Uint64N(1 << 33)}
				if err := w.Sim.AddTraffic(tr); err != nil {
					t.Fatal(err)
				}
				if err := c.traffic.Add(store.UsageCounters{Put: tr.Put, Get: tr.Get, List: tr.List, Other: tr.Other,
					Uploaded: tr.Uploaded, Downloaded: tr.Downloaded}); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.Sim.Advance(time.Hour)
		if h%step == step-1 {
			collect()
		}
		if h == hours-2 {
			// 31 October, 23:00: the daily UsageUpdate files October so far.
			clock.Store(w.Sim.Now().Unix())
			status, got, _ := a.usageUpdate(1234, 77)
			if status != http.StatusOK || len(got) != 2 {
				t.Fatalf("usage-update: %d %v", status, got)
			}
		}
	}
	if _, err := sampler.Run(ctx); err != nil { // 1 November 00:00 closes the last step
		t.Fatal(err)
	}
	collect()

	// 1 November 06:00: WHMCS's Tenant Usage Metrics task.
	w.Sim.Advance(6 * time.Hour)
	clock.Store(w.Sim.Now().Unix())
	status, res := a.metrics(1234, 77)
	if status != http.StatusOK || len(res.Services) != 2 {
		t.Fatalf("metrics: %d %+v", status, res)
	}
	if res.PeriodStart != start.Unix() || res.PeriodEnd != start.AddDate(0, 1, 0).Unix() {
		t.Errorf("period %d..%d, want October", res.PeriodStart, res.PeriodEnd)
	}
	byService := map[int64]whmcsbridge.ServiceMetrics{}
	for _, s := range res.Services {
		byService[s.ServiceID] = s
	}
	for _, c := range customers {
		got := byService[c.service]
		want := whmcsbridge.MetricValues{
			Storage:        float64(c.lastOfMonth) / 1e9,
			StorageGBMonth: c.byteHours / 1e9 / usage.HoursPerMonth,
			Egress:         float64(c.traffic.Downloaded) / 1e9,
			Ingress:        float64(c.traffic.Uploaded) / 1e9,
			RequestsGet:    c.traffic.Get, RequestsPut: c.traffic.Put, RequestsList: c.traffic.List, RequestsOther: c.traffic.Other,
		}
		if got.Tenant != c.email || got.Metrics.RequestsGet != want.RequestsGet || got.Metrics.RequestsPut != want.RequestsPut ||
			got.Metrics.RequestsList != want.RequestsList || got.Metrics.RequestsOther != want.RequestsOther ||
			got.Metrics.Egress != want.Egress || got.Metrics.Ingress != want.Ingress || got.Metrics.Storage != want.Storage ||
			!approxRel(got.Metrics.StorageGBMonth, want.StorageGBMonth) {
			t.Errorf("service %d (%s) October:\n got %+v\nwant %+v", c.service, got.Tenant, got.Metrics, want)
		}
	}

	// And the MB WHMCS keeps in tblhosting, asked on 31 October at 23:00,
	// then once more now, for November's first hours: a new month's
	// egress starts at zero bytes.
	clock.Store(time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC).Unix())
	_, got, _ := a.usageUpdate(1234, 77)
	for _, c := range customers {
		wantMB := int64((c.traffic.Downloaded + 1<<20 - 1) >> 20)
		if got[c.service].BWMB != wantMB || got[c.service].DiskLimitMB != 100*1024 {
			t.Errorf("service %d usage-update on 31 October: %+v; want %d MB egress and the 100 GB quota", c.service, got[c.service], wantMB)
		}
	}
}

// approxRel compares floats summed in different orders.
func approxRel(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(1, b)
}
