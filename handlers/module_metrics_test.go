package handlers_test

import (
	"context"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"staas/handlers"
	"staas/internal/store"
	"staas/standin/testworld"
	"staas/whmcsbridge"
)

// metrics posts the metrics call and decodes the answer.
func (a *app) metrics(ids ...int64) (int, whmcsbridge.MetricsResponse) {
	a.t.Helper()
	var res whmcsbridge.MetricsResponse
	return a.usageCall(whmcsbridge.FuncMetrics, &res, ids...), res
}

// TestMetrics_BillsTheRightMonth seeds traffic on both sides of a month's
// end and asks as WHMCS's Tenant Usage Metrics task would, on the first
// day of the month and on the second: first the finished month, final and
// filed under its last second, then the running month. Figures are in
// decimal GB and whole requests, keyed by the service's S3 email (the
// domain create wrote), and unknown services are left out.
func TestMetrics_BillsTheRightMonth(t *testing.T) {
	var clock atomic.Int64 // the handler reads it on the server's goroutines
	setNow := func(t time.Time) { clock.Store(t.Unix()) }
	setNow(time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC))
	a := newModuleApp(t, func(_ *testworld.World, d *handlers.Deps) {
		d.Now = func() time.Time { return time.Unix(clock.Load(), 0) }
	})
	ctx := context.Background()
	alice := a.create()

	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// 3 GB held since mid October, 7 GB from the first of November.
	if _, err := a.Store.RecordStorageSamples(ctx, "default", oct.Add(15*24*time.Hour), []store.StorageSample{
		{UserID: alice.ID, Bucket: "photos", Current: 3_000_000_000}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.RecordStorageSamples(ctx, "default", nov, []store.StorageSample{
		{UserID: alice.ID, Bucket: "photos", Current: 7_000_000_000}}); err != nil {
		t.Fatal(err)
	}
	// The last hour of October and the first of November: 2.5 GB and
	// 1 GB down, one GET each (seedLedger), 7 MiB up each.
	seedLedger(t, a.Store, "obj-oct-nov", map[store.UsageCell]uint64{
		{UserID: alice.ID, Bucket: "photos", Hour: nov.Add(-time.Hour).Unix() / 3600}: 2_500_000_000,
		{UserID: alice.ID, Bucket: "photos", Hour: nov.Unix() / 3600}:                 1_000_000_000,
	})

	status, res := a.metrics(aliceService, 4242)
	if status != http.StatusOK || len(res.Services) != 1 {
		t.Fatalf("metrics on 1 November: %d %+v", status, res)
	}
	if res.PeriodStart != oct.Unix() || res.PeriodEnd != nov.Unix() || res.CollectedAt != nov.Unix()-1 {
		t.Errorf("on 1 November the period is %s..%s filed at %s; want October, filed at its last second",
			time.Unix(res.PeriodStart, 0).UTC(), time.Unix(res.PeriodEnd, 0).UTC(), time.Unix(res.CollectedAt, 0).UTC())
	}
	got := res.Services[0]
	if got.ServiceID != aliceService || got.Tenant != aliceS3Email {
		t.Errorf("service %d tenant %q, want %d %q (the domain create wrote)", got.ServiceID, got.Tenant, aliceService, aliceS3Email)
	}
	m := got.Metrics
	// October: 3 GB for the 16 sampled days = 3*384/730 GB-months.
	if m.Egress != 2.5 || m.RequestsGet != 1 || !approx(m.Ingress, 7*(1<<20)/1e9) || !approx(m.StorageGBMonth, 3*384.0/730) {
		t.Errorf("October: %+v; want 2.5 GB egress, 1 GET, 7 MiB ingress, %v GB-months", m, 3*384.0/730)
	}
	if m.Storage != 7 {
		t.Errorf("storage snapshot %v GB, want the latest sample, 7", m.Storage)
	}

	now := nov.Add(30 * time.Hour) // 2 November
	setNow(now)
	_, res = a.metrics(aliceService)
	if res.PeriodStart != nov.Unix() || res.CollectedAt != now.Unix() || res.Services[0].Metrics.Egress != 1 {
		t.Errorf("on 2 November: period from %s filed at %s, egress %v; want November so far, now, 1 GB",
			time.Unix(res.PeriodStart, 0).UTC(), time.Unix(res.CollectedAt, 0).UTC(), res.Services[0].Metrics.Egress)
	}
	if status, _ := a.metrics(0); status != http.StatusBadRequest {
		t.Errorf("service id 0: %d, want 400", status)
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestClientArea_UsageHistory: the client sees their own usage on the
// service page: the last 30 days open, with today's traffic in the daily
// table and a chart, and the last 90 days folded below it.
func TestClientArea_UsageHistory(t *testing.T) {
	a := newModuleApp(t, nil)
	alice := a.create()
	now := time.Now().UTC()
	seedLedger(t, a.Store, "obj-today", map[store.UsageCell]uint64{
		{UserID: alice.ID, Bucket: "photos", Hour: now.Unix() / 3600}: 3 << 30,
	})
	doc := a.clientArea("tok")
	periods := doc.Find("details.staas-client-usage")
	if periods.Length() != 2 {
		t.Fatalf("%d usage periods in the client area, want 30 and 90 days", periods.Length())
	}
	first, second := periods.Eq(0), periods.Eq(1)
	if _, open := first.Attr("open"); !open || first.Find("summary").Text() != "Usage, last 30 days" {
		t.Errorf("first period %q open=%v; want the last 30 days, open", first.Find("summary").Text(), open)
	}
	if _, open := second.Attr("open"); open || second.Find("summary").Text() != "Usage, last 90 days" {
		t.Errorf("second period %q open=%v; want the last 90 days, folded", second.Find("summary").Text(), open)
	}
	today := first.Find("tbody tr").First()
	cells := today.Find("td")
	if today.Find("time").AttrOr("datetime", "") != now.Format("2006-01-02") || strings.NewReplacer(",", "", " ", "", "\u00a0", "").Replace(cells.Eq(4).Find("span").AttrOr("title", "")) != "3221225472bytes" ||
		cells.Eq(6).Text() != "1" {
		t.Errorf("today's row %q; want today's date, the 3 GiB downloaded and 1 GET", today.Text())
	}
	if first.Find("svg.staas-chart title").AttrOr("id", "") == second.Find("svg.staas-chart title").AttrOr("id", "") {
		t.Error("the two charts share one title id")
	}
}
