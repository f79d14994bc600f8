package views

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

func usagePanelDoc(t *testing.T, u *UsageVM) *goquery.Selection {
	t.Helper()
	doc := panelsDoc(t, PanelsVM{Form: testForm, CanChange: false, Usage: u})
	box := doc.Find("#staas-panel-usage")
	if box.Length() != 1 {
		t.Fatalf("no usage panel in %q", text(doc.Selection))
	}
	return box
}

func TestPanelUsage_TableTotalsAndBuckets(t *testing.T) {
	box := usagePanelDoc(t, usageFixture())
	var dates []string
	box.Find(".staas-usage-days tr.altrow").Each(func(_ int, r *goquery.Selection) {
		dates = append(dates, text(r.Find("td").First()))
	})
	if want := []string{"2024-03-05", "2024-03-04", "2024-03-03"}; !slices.Equal(dates, want) {
		t.Errorf("days %q, want newest first %q", dates, want)
	}
	rows := box.Find(".staas-usage-days tr.altrow")
	if got, want := rowText(rows.Eq(0)), "2024-03-05 6.4 GB 6.4 GB 1.5 kB 1.1 TB 1 2 3 4"; got != want {
		t.Errorf("today: %q, want %q", got, want)
	}
	if got, want := rowText(rows.Eq(2)), "2024-03-03 — — 10.5 MB 31.5 MB 10 30 5 1"; got != want {
		t.Errorf("a day before sampling: %q, want %q", got, want)
	}
	if got, want := rowText(box.Find(".staas-usage-days tr.staas-total")), "3 days 5.5 GB 6.4 GB 10.5 MB 1.1 TB 11 32 8 5"; got != want {
		t.Errorf("totals: %q, want %q", got, want)
	}
	if s := text(box.Find(".staas-usage-storage")); !strings.Contains(s, "74.088185 GB-hours") || !strings.Contains(s, "0.101491 GB-months") {
		t.Errorf("storage summary %q", s)
	}
	if s := rowText(box.Find(".staas-usage-buckets tr.altrow").First()); s != "(user level) — — 0 B 0 B 0 0 3 0" {
		t.Errorf("user-level row %q", s)
	}
	if s := text(box.Find(".staas-usage-period")); !strings.Contains(s, "UTC") {
		t.Errorf("the period does not say the days are UTC: %q", s)
	}
	if s := text(box.Find(".help-block")); !strings.Contains(s, "Days are UTC") || !strings.Contains(s, "every 1 h") {
		t.Errorf("footnote %q", s)
	}
}

func TestPanelUsage_DaySwitch(t *testing.T) {
	for _, days := range UsageDays {
		u := usageFixture()
		u.Days = days
		box := usagePanelDoc(t, u)
		bs := box.Find(`.staas-usage-period button[value="` + ActUsageDays + `"]`)
		if bs.Length() != len(UsageDays) {
			t.Fatalf("%d day buttons", bs.Length())
		}
		bs.Each(func(_ int, b *goquery.Selection) {
			d := b.Closest("form").Find(`input[name="days"]`).AttrOr("value", "")
			pressed := b.AttrOr("aria-pressed", "")
			if (d == strconv.Itoa(days)) != (pressed == "true") {
				t.Errorf("showing %d days: button days=%s aria-pressed=%s", days, d, pressed)
			}
			if _, dis := b.Attr("disabled"); dis {
				t.Error("switching the period needs no change permission")
			}
		})
	}
}

func TestPanelUsage_ChartIsInlineSVG(t *testing.T) {
	html := render(t, Panels(PanelsVM{Form: testForm, Usage: usageFixture()}))
	for _, bad := range []string{"<script", "href=", "src=", "http://", "https://", "<foreignObject"} {
		if strings.Contains(html, bad) {
			t.Errorf("the chart carries %q", bad)
		}
	}
	doc := parse(t, html)
	svg := doc.Find("svg.staas-chart")
	if svg.Length() != 1 || svg.AttrOr("role", "") != "img" || svg.AttrOr("viewBox", "") == "" {
		t.Fatalf("no inline chart: %d", svg.Length())
	}
	svg.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("an event handler %s on <%s>", a.Key, goquery.NodeName(s))
			}
		}
	})
	// Day 1: traffic only; day 2: storage only; day 3: both. Each
	// non-zero figure is a mark, each day's marks are titled.
	if n := svg.Find(`rect[fill="#337ab7"]`).Length(); n != 2 {
		t.Errorf("%d storage bars, want 2", n)
	}
	if n := svg.Find(`line[stroke="#1b3f5f"]`).Length(); n != 2 {
		t.Errorf("%d peak lines, want 2", n)
	}
	if n := svg.Find(`g > rect[fill="#5cb85c"], g > rect[fill="#f0ad4e"]`).Length(); n != 2+4 {
		t.Errorf("%d traffic marks (with the legend's 2), want 6", n)
	}
	var titles []string
	svg.Find("g > title").Each(func(_ int, s *goquery.Selection) { titles = append(titles, text(s)) })
	if !slices.Contains(titles, "2024-03-05: uploaded 1.5 kB, downloaded 1.1 TB") ||
		!slices.Contains(titles, "2024-03-03: no bucket size sample covers this time") {
		t.Errorf("titles %q", titles)
	}
	// The bars stay inside the plots.
	svg.Find("rect").Each(func(_ int, r *goquery.Selection) {
		y, h := atof(t, r.AttrOr("y", "")), atof(t, r.AttrOr("height", ""))
		if y < 0 || y+h > chartH {
			t.Errorf("a bar from %v to %v leaves the chart", y, y+h)
		}
	})
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a coordinate: %q", s)
	}
	return f
}

func TestPanelUsage_EmptyAndUnavailable(t *testing.T) {
	d0 := time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)
	empty := &UsageVM{UserID: "7f3a", Days: 90, From: d0, To: d0.Add(48 * time.Hour),
		Schedule: "staas collects usage every 1 h.", Rows: []UsageDay{{Date: d0}, {Date: d0.Add(24 * time.Hour)}}}
	box := usagePanelDoc(t, empty)
	if s := text(box.Find("tr.altrow")); s != "No usage collected yet for this S3 user in these 90 days. staas collects usage every 1 h." {
		t.Errorf("empty state %q", s)
	}
	if box.Find("svg, .staas-usage-days").Length() != 0 {
		t.Error("an empty period draws a chart or a table")
	}
	if box.Find(`button[value="`+ActUsageDays+`"]`).Length() != 2 {
		t.Error("the empty state lost the 30/90 switch")
	}

	box = usagePanelDoc(t, &UsageVM{UserID: "7f3a", Days: 30, Unavailable: "Usage collection is not configured."})
	if s := text(box.Find("tr.altrow")); s != "Usage collection is not configured." {
		t.Errorf("unavailable %q", s)
	}
}

func TestPanelUsage_BucketNameIsText(t *testing.T) {
	const name = `<b id="x">bold</b><script>alert(1)</script>`
	u := usageFixture()
	u.Buckets[1].Bucket = name
	box := usagePanelDoc(t, u)
	if box.Find("b, script").Length() != 0 {
		t.Fatal("a bucket name became markup")
	}
	if got := text(box.Find(".staas-usage-buckets tr.altrow").Eq(1).Find("td").First()); got != name {
		t.Errorf("bucket cell %q, want the name as text", got)
	}
	if strings.Contains(text(box.Find("svg")), "bold") {
		t.Error("a bucket name reached the chart")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 h", 24 * time.Hour: "24 h", 90 * time.Minute: "1 h 30 min", 20 * time.Minute: "20 min", 59*time.Minute + 50*time.Second: "1 h", 45 * time.Second: "45 s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestPanelUsage_ChartWithoutSamplesSaysSo: before the first bucket size
// samples, the storage plot's scale read "0 B" over an empty plot, as if
// the client stored nothing while its buckets held 13 GB. Without a
// sampled day the plot says there is no sample instead of a scale.
func TestPanelUsage_ChartWithoutSamplesSaysSo(t *testing.T) {
	u := usageFixture()
	for i := range u.Rows {
		u.Rows[i].Storage = StorageFigures{}
	}
	svg := usagePanelDoc(t, u).Find("svg.staas-chart")
	var labels []string
	svg.Find("text").Each(func(_ int, s *goquery.Selection) { labels = append(labels, text(s)) })
	all := strings.Join(labels, " | ")
	if slices.Contains(labels, "0 B") {
		t.Errorf("the storage plot's scale reads 0 B without a sample: %q", all)
	}
	if !strings.Contains(all, "No bucket size sample covers these days yet.") {
		t.Errorf("the chart does not say it has no storage sample: %q", all)
	}
	// With samples, the scale is there and the sentence is not.
	svg = usagePanelDoc(t, usageFixture()).Find("svg.staas-chart")
	if strings.Contains(text(svg), "No bucket size sample") {
		t.Errorf("a sampled chart says it has no sample: %q", text(svg))
	}
}

// TestPanelUsage_GBHoursGrouped: the storage figures keep the six decimals
// of billing with the whole part grouped, as every other big number: a
// terabyte kept for a month read "730000.000000 GB-hours".
func TestPanelUsage_GBHoursGrouped(t *testing.T) {
	u := usageFixture()
	u.Total.Storage.GBHours, u.Total.Storage.GBMonths = 730000, 1000
	u.Buckets[len(u.Buckets)-1].Storage.GBHours = 1234567.5
	box := usagePanelDoc(t, u)
	if got := text(box.Find(".staas-usage-storage")); !strings.Contains(got, "730,000.000000 GB-hours = 1,000.000000 GB-months") {
		t.Errorf("the period's storage reads %q", got)
	}
	if !strings.Contains(text(box), "1,234,567.500000") {
		t.Errorf("a bucket's GB-hours are not grouped: %q", text(box.Find("table").Last()))
	}
}
