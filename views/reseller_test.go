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
		Title: "Your clients' storage", CSRF: "tok", Summary: true, Period: "last",
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
