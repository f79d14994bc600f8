package views

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A stale client list says so and dates itself; failed figures say
// "unavailable", not zero; text is escaped.
func TestResellerPage(t *testing.T) {
	at := time.Date(2026, 12, 6, 1, 59, 0, 0, time.UTC)
	html, err := RenderString(context.Background(), ResellerPage(ResellerPageVM{
		Title: "Your clients' storage", Name: "<Acme>", CSRF: "tok",
		Rows: []ResellerRowVM{
			{ClientID: 1, ServiceID: 11, Status: "active", StoredBytes: 2048, QuotaGB: 5, EgressBytes: 0},
			{ClientID: 2, ServiceID: 21, Status: "active", Failed: true},
		},
		Warning: "WHMCS could not be asked for your clients just now.", Since: at,
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"WHMCS could not be asked", "2026-12-06 01:59:00 UTC", "&lt;Acme&gt;", "5 GB", "2.0 kB", "figures unavailable",
		`name="csrf" value="tok"`, `action="/reseller/logout"`, `href="/reseller/clients/2"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<Acme>") {
		t.Error("the name was not escaped")
	}
}

func TestResellerSummaryPanel(t *testing.T) {
	html, err := RenderString(context.Background(), ResellerPage(ResellerPageVM{
		Title: "Your clients' storage", CSRF: "tok", Period: "last",
		Periods: []Option{{"this", "This month"}, {"last", "Last month"}},
		Rows:    []ResellerRowVM{{ClientID: 1, ServiceID: 11, Status: "active", StoredBytes: 3 << 29, QuotaGB: 2, EgressBytes: 5 << 20}},
		Total:   ResellerRowVM{StoredBytes: 3 << 29, QuotaGB: 2, EgressBytes: 5 << 20},
		Alerts:  []string{"Client 1, service 11: 75% of its quota is used."},
		Page:    2, Pages: 3,
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<label for="period">Period</label>`, `<option value="last" selected>Last month</option>`,
		`method="get" action="/reseller/"`, "1.6 GB", "2 GB", "5.2 MB", "81%", "1 GB = 1,000,000,000 bytes", "Total (all pages)", "of its quota is used",
		`href="/reseller/?period=last&amp;page=1"`, `<strong aria-current="page">2</strong>`, `href="/reseller/export.csv?period=last"`} {
		if !strings.Contains(html, want) {
			t.Errorf("panel lacks %q:\n%s", want, html)
		}
	}
}

// The client page: the chart with its labels and units, the buckets with
// their size now, requests by class where the cluster reports them and
// "not reported by this cluster" where it does not; names escaped.
func TestResellerClientPage(t *testing.T) {
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	usage := UsageVM{Days: 30, From: day.AddDate(0, 0, -29), To: day.AddDate(0, 0, 1), Rows: []UsageDay{
		{Date: day.AddDate(0, 0, -1), Storage: StorageFigures{AverageBytes: 2_000_000_000, PeakBytes: 3_000_000_000, Sampled: 24 * time.Hour}, Traffic: Traffic{Downloaded: 5_000_000}},
		{Date: day, Traffic: Traffic{Uploaded: 7_000_000}},
	}}
	html, err := RenderString(context.Background(), ResellerClient(ResellerClientVM{
		Title: "Client 2 — <Baker>", Name: "Acme", CSRF: "tok", ClientID: 2, Days: 30,
		Services: []ResellerServiceVM{
			{Row: ResellerRowVM{ClientID: 2, ServiceID: 21, Plan: "Backup 250 GB", Status: "active", RequestsReported: true, Requests: Traffic{Get: 1234}},
				Usage: usage, Buckets: []ResellerBucketVM{{Bucket: "<b>photos", NowBytes: 1_500_000_000, Now: true, Traffic: Traffic{Get: 42, Downloaded: 5_000_000}}}},
			{Row: ResellerRowVM{ClientID: 2, ServiceID: 0, Status: "active"}, Usage: usage, Buckets: []ResellerBucketVM{{Bucket: "ecs-bucket"}}},
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Client 2 — &lt;Baker&gt;", `<svg class="staas-chart"`, "Storage per day", "Traffic per day", "3.0 GB", "7.0 MB",
		"2026-12-04", "2026-12-05", "&lt;b&gt;photos", "1.5 GB", ">42<", "GET 1,234", "Service 21 · Backup 250 GB",
		"Client-level S3 user (created in the admin panel)", "not reported by this cluster", `href="/reseller/clients/2?days=90"`,
		`href="/reseller/clients/2/buckets.csv?days=30"`, "last 30 days"} {
		if !strings.Contains(html, want) {
			t.Errorf("client page lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "<Baker>") || strings.Contains(html, "<b>photos") {
		t.Errorf("script or unescaped text:\n%s", html)
	}
}
