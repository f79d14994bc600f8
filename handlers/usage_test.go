package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/store"
	"staas/internal/usage"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/views"
)

const gib = 1 << 30

// usageApp is an app whose client 1 (Alice) has an S3 user with a bucket,
// traffic on three days (yesterday, 5 and 60 days ago) collected into the
// ledger, and bucket sizes sampled at the start of 4, 3 and 2 days ago
// (1 GiB, then 3 GiB twice).
func usageApp(t *testing.T) (*app, string) {
	t.Helper()
	a := newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		d.Usage = &usage.Figures{Reader: &usage.Reader{Store: w.Store}, Services: w.Store, Quotas: w.Registry}
		d.UsageSchedule = handlers.UsageSchedule(time.Hour, 30*time.Minute)
	})
	ctx := context.Background()
	if status, body := a.act(fullAdmin, "create-user", nil); status != 200 {
		t.Fatalf("create-user: %d %v", status, body)
	}
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Sim.CreateBucket("alice@example.com", "alice-photos"); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i, at := range []time.Time{today.AddDate(0, 0, -1).Add(10 * time.Hour), today.AddDate(0, 0, -5).Add(13 * time.Hour), today.AddDate(0, 0, -60).Add(8 * time.Hour)} {
		n := uint64(i + 1)
		a.Sim.PutUsageObject(ostorsim.UsageObjectName("1", at, 30*time.Minute), usageObject(t, at, u.ID, "alice-photos", n))
	}
	col, err := usage.New(usage.Config{Gateway: a.Gateway, Store: a.Store})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := col.Run(ctx); err != nil || res.Collected != 3 {
		t.Fatalf("collect: %+v, %v", res, err)
	}
	for i, size := range []uint64{1 * gib, 3 * gib, 3 * gib} {
		if err := a.Sim.SetBucketSize("alice-photos", size); err != nil {
			t.Fatal(err)
		}
		at := today.AddDate(0, 0, i-4)
		s, err := usage.NewSampler(usage.Config{Gateway: a.Gateway, Store: a.Store, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return a, u.ID
}

// usageObject is a statistics object with one bucket item of n units and
// one user-level item.
func usageObject(t *testing.T, start time.Time, userID, bucket string, n uint64) []byte {
	t.Helper()
	item := func(b string, put, get, up, down uint64) map[string]any {
		return map[string]any{
			"key": map[string]any{"bucket": b, "epoch": 1, "user_id": userID, "tag": ""},
			"counters": map[string]any{
				"ops":    map[string]any{"put": put, "get": get, "list": n, "other": 0},
				"net_io": map[string]any{"uploaded": up, "downloaded": down},
			},
		}
	}
	raw, err := json.Marshal(map[string]any{
		"fmt_version": 1, "service_id": 1, "start_ts": start.Unix(), "period": 1800, "nr_items": 2,
		"items": []any{item(bucket, 10*n, 30*n, n<<20, 3*n<<20), item("", 0, 0, 0, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// ledgerByDay sums the ledger's rows of a user per UTC day.
func ledgerByDay(t *testing.T, st *store.Store, userID string) map[string]store.UsageCounters {
	t.Helper()
	rows, err := st.UsageRows(context.Background(), "default", userID, 0, time.Now().Unix()/3600+1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.UsageCounters{}
	for _, r := range rows {
		day := time.Unix(r.Hour*3600, 0).UTC().Format("2006-01-02")
		c := out[day]
		if err := c.Add(r.UsageCounters); err != nil {
			t.Fatal(err)
		}
		out[day] = c
	}
	if len(out) != 3 {
		t.Fatalf("the ledger has %d days, want 3: %v", len(out), out)
	}
	return out
}

// usageRows are the daily table's rows by date: each row's cells, bytes
// as their exact count (the title of the shown figure).
func usageRows(t *testing.T, doc *goquery.Document) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	doc.Find("#staas-panel-usage .staas-usage-days tr.altrow").Each(func(_ int, r *goquery.Selection) {
		var cells []string
		r.Find("td").Each(func(_ int, c *goquery.Selection) {
			if span := c.Find("span[title]"); span.Length() > 0 {
				cells = append(cells, strings.Fields(span.AttrOr("title", ""))[0])
			} else {
				cells = append(cells, strings.TrimSpace(c.Text()))
			}
		})
		out[cells[0]] = cells[1:]
	})
	return out
}

// u64 is a count or exact byte size as the panel writes it, grouped.
func u64(n uint64) string { return views.FormatCount(n) }

func TestUsageHistory_RowsMatchTheLedger(t *testing.T) {
	a, userID := usageApp(t)
	ledger := ledgerByDay(t, a.Store, userID)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	day := func(n int) string { return today.AddDate(0, 0, -n).Format("2006-01-02") }

	if b := button(a.links(viewer), "toggle-usage"); b.Length() != 1 || strings.TrimSpace(b.Text()) != "Usage history: hidden" {
		t.Fatalf("no Usage history toggle: %q", b.Text())
	}
	if _, disabled := button(a.links(viewer), "toggle-usage").Attr("disabled"); disabled {
		t.Error("the usage toggle is disabled for a viewer")
	}
	if status, body := a.act(viewer, "toggle-usage", nil); status != 200 {
		t.Fatalf("toggle-usage: %d %v", status, body)
	}
	doc := a.panels(viewer)
	box := doc.Find("#staas-panel-usage")
	if !strings.Contains(box.Find(".title").Text(), "S3 Usage History: "+userID) {
		t.Fatalf("no usage panel: %q", doc.Text())
	}
	rows := usageRows(t, doc)
	if len(rows) != 30 {
		t.Errorf("%d days, want 30", len(rows))
	}
	if _, ok := rows[day(0)]; !ok {
		t.Errorf("today (%s) is not in the table", day(0))
	}
	if _, ok := rows[day(30)]; ok {
		t.Errorf("31 days ago is in the 30-day table")
	}
	for d, c := range ledger {
		want := []string{u64(c.Uploaded), u64(c.Downloaded), u64(c.Put), u64(c.Get), u64(c.List), u64(c.Other)}
		got, ok := rows[d]
		if d == day(60) {
			if ok {
				t.Errorf("60 days ago shows in the 30-day table")
			}
			continue
		}
		if !ok || strings.Join(got[2:], " ") != strings.Join(want, " ") {
			t.Errorf("%s: %q, want the ledger's %q", d, got, want)
		}
	}
	// Storage: 1 GiB over the fourth day back, 3 GiB over the third; the
	// last sample, at the start of the second, ends what is known.
	for d, want := range map[string][]string{
		day(4): {u64(1 * gib), u64(1 * gib)}, day(3): {u64(3 * gib), u64(3 * gib)}, day(2): {"—", "—"}, day(1): {"—", "—"},
	} {
		if got := rows[d]; len(got) < 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s storage %q, want %q", d, got, want)
		}
	}
	var sum store.UsageCounters
	for d, c := range ledger {
		if d != day(60) {
			_ = sum.Add(c)
		}
	}
	total := box.Find(".staas-usage-days tr.staas-total")
	if got := total.Find("td").Eq(2).Find("span").AttrOr("title", ""); got != u64(sum.Uploaded)+" bytes" {
		t.Errorf("total uploaded %q, want %d bytes", got, sum.Uploaded)
	}
	if s := box.Find(".staas-usage-storage").Text(); !strings.Contains(s, "103.079215 GB-hours") || !strings.Contains(s, "covering 48 h") {
		// 24 h × 1 GiB + 24 h × 3 GiB, in decimal GB-hours
		t.Errorf("storage summary %q", s)
	}
	if s := box.Text(); !strings.Contains(s, "Days are UTC") || !strings.Contains(s, "every 1 h and samples bucket sizes every 30 min") {
		t.Errorf("the panel does not say the days are UTC and when usage is collected: %q", s)
	}
	if box.Find(`svg.staas-chart rect[fill="#337ab7"]`).Length() != 2 {
		t.Errorf("%d storage bars, want 2", box.Find(`svg.staas-chart rect[fill="#337ab7"]`).Length())
	}

	// 90 days: the day 60 days back shows, the totals include it.
	if status, body := a.act(viewer, "usage-days", map[string]string{"days": "90"}); status != 200 {
		t.Fatalf("usage-days 90: %d %v", status, body)
	}
	doc = a.panels(viewer)
	rows = usageRows(t, doc)
	if len(rows) != 90 {
		t.Errorf("%d days, want 90", len(rows))
	}
	c := ledger[day(60)]
	if got := rows[day(60)]; len(got) < 3 || got[2] != u64(c.Uploaded) {
		t.Errorf("60 days ago: %q, want uploaded %d", got, c.Uploaded)
	}
	if p := doc.Find(`#staas-panel-usage button[value="usage-days"][aria-pressed="true"]`).Text(); p != "90 days" {
		t.Errorf("pressed %q, want 90 days", p)
	}

	// Toggling again hides it.
	a.act(viewer, "toggle-usage", nil)
	if a.panels(viewer).Find("#staas-panel-usage").Length() != 0 {
		t.Error("the second toggle did not hide the panel")
	}
}

func TestUsageHistory_BadDaysRefused(t *testing.T) {
	a, _ := usageApp(t)
	a.act(fullAdmin, "toggle-usage", nil)
	for _, bad := range []string{"7", "", "ninety", "-30", "30 OR 1=1", strings.Repeat("9", 100)} {
		status, body := a.act(fullAdmin, "usage-days", map[string]string{"days": bad})
		msg, _ := body["message"].(string)
		if status != http.StatusBadRequest || !strings.Contains(msg, "30 or 90 days") {
			t.Errorf("days=%q: %d %v", bad, status, body)
		}
		if len(msg) > 200 {
			t.Errorf("days=%q: the message repeats all of it: %q", bad, msg)
		}
	}
	doc := a.panels(fullAdmin)
	if !strings.Contains(doc.Find(".alert-danger").Text(), "30 or 90 days") {
		t.Errorf("the refusal is not shown: %q", doc.Find(".alert").Text())
	}
	if n := len(usageRows(t, doc)); n != 30 {
		t.Errorf("after refused switches the panel shows %d days, want 30", n)
	}
}

func TestUsageHistory_OutsiderRefused(t *testing.T) {
	a, userID := usageApp(t)
	if status, _ := a.act(outsider, "toggle-usage", nil); status != http.StatusForbidden {
		t.Errorf("outsider toggle-usage: %d", status)
	}
	if status, _ := a.act(outsider, "usage-days", map[string]string{"days": "90"}); status != http.StatusForbidden {
		t.Errorf("outsider usage-days: %d", status)
	}
	a.act(fullAdmin, "toggle-usage", nil)
	if doc := a.panels(outsider); strings.Contains(doc.Text(), userID) || doc.Find("#staas-panel-usage").Length() != 0 {
		t.Error("an outsider sees the usage history")
	}
	if button(a.links(outsider), "toggle-usage").Length() != 0 {
		t.Error("an outsider is offered the usage toggle")
	}
}

func TestUsageHistory_NoUserAndNothingCollected(t *testing.T) {
	a := newApp(t)
	if button(a.links(fullAdmin), "toggle-usage").Length() != 0 {
		t.Error("the usage toggle is offered for a client without an S3 user")
	}
	a.act(fullAdmin, "toggle-usage", nil)
	if s := a.panels(fullAdmin).Find("#staas-panel-usage").Text(); !strings.Contains(s, "no S3 user") {
		t.Errorf("without a user: %q", s)
	}

	// A user with nothing collected yet: the empty state says when
	// usage comes.
	b := newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		d.Usage = &usage.Figures{Reader: &usage.Reader{Store: w.Store}, Services: w.Store, Quotas: w.Registry}
		d.UsageSchedule = handlers.UsageSchedule(time.Hour, time.Hour)
	})
	b.act(fullAdmin, "create-user", nil)
	b.act(fullAdmin, "toggle-usage", nil)
	box := b.panels(fullAdmin).Find("#staas-panel-usage")
	if s := strings.Join(strings.Fields(box.Find("tr.altrow").Text()), " "); s != "No usage collected yet for this S3 user in these 30 days. staas collects usage every 1 h and samples bucket sizes every 1 h." {
		t.Errorf("empty state %q", s)
	}
}

func TestUsageSchedule(t *testing.T) {
	for _, c := range []struct {
		collect, sample time.Duration
		want            string
	}{
		{time.Hour, time.Hour, "staas collects usage every 1 h and samples bucket sizes every 1 h."},
		{90 * time.Minute, 15 * time.Minute, "staas collects usage every 1 h 30 min and samples bucket sizes every 15 min."},
		{30 * time.Second, 24 * time.Hour, "staas collects usage every 30 s and samples bucket sizes every 24 h."},
	} {
		if got := handlers.UsageSchedule(c.collect, c.sample); got != c.want {
			t.Errorf("UsageSchedule(%v, %v) = %q, want %q", c.collect, c.sample, got, c.want)
		}
	}
}
