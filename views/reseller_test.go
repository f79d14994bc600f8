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
	for _, want := range []string{"WHMCS could not be asked", "2026-12-06 01:59:00 UTC", "&lt;Acme&gt;", "5 GB", "figures unavailable",
		`name="csrf" value="tok"`, `action="/reseller/logout"`, `href="/reseller/clients/2"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<Acme>") {
		t.Error("the name was not escaped")
	}
}
