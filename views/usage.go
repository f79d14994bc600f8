package views

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// usageTitle is the usage history panel's title.
func usageTitle(u UsageVM) string {
	if u.UserID == "" {
		return "S3 Usage History"
	}
	return "S3 Usage History: " + u.UserID
}

// day is a UTC date as the usage panel writes it.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// usagePeriod says which days the panel covers, and that they are UTC days.
func usagePeriod(u UsageVM) string {
	if u.From.IsZero() || !u.From.Before(u.To) {
		return "last " + strconv.Itoa(u.Days) + " days (UTC)"
	}
	return "last " + strconv.Itoa(u.Days) + " days: " + day(u.From) + " to " + day(u.To.Add(-24*time.Hour)) +
		", UTC days, today so far"
}

// usageDayButtons switch the period; the shown one is pressed.
func usageDayButtons(u UsageVM) []button {
	bs := make([]button, 0, len(UsageDays))
	for _, d := range UsageDays {
		b := button{Action: ActUsageDays, Label: strconv.Itoa(d) + " days", Class: "btn btn-default btn-xs",
			Toggle: onOff(d == u.Days), Params: []param{{"days", strconv.Itoa(d)}}}
		if d == u.Days {
			b.Class += " active"
		}
		bs = append(bs, b)
	}
	return bs
}

// empty says whether the period has nothing at all: no traffic and no
// bucket size sample.
func (u UsageVM) empty() bool {
	for _, r := range u.Rows {
		if r.Traffic != (Traffic{}) || r.Storage.Sampled > 0 {
			return false
		}
	}
	return true
}

// newestFirst are the rows of the daily table.
func newestFirst(rows []UsageDay) []UsageDay {
	out := slices.Clone(rows)
	slices.Reverse(out)
	return out
}

// FormatDuration writes a duration as a person does: "1 h", "30 min",
// "1 h 30 min", "45 s" (seconds only under a minute).
func FormatDuration(d time.Duration) string {
	if d > 0 && d < time.Minute {
		return strconv.FormatInt(int64(d/time.Second), 10) + " s"
	}
	d = d.Round(time.Minute)
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case m == 0:
		return strconv.FormatInt(h, 10) + " h"
	case h == 0:
		return strconv.FormatInt(m, 10) + " min"
	}
	return strconv.FormatInt(h, 10) + " h " + strconv.FormatInt(m, 10) + " min"
}

// averageTitle explains an average: its exact bytes and how much of the
// time the samples cover.
func averageTitle(s StorageFigures) string {
	return exactBytes(s.AverageBytes) + ", time-weighted over the " + FormatDuration(s.Sampled) + " sampled"
}

// peakTitle is the exact peak and when it was sampled.
func peakTitle(s StorageFigures) string {
	if s.PeakAt.IsZero() {
		return exactBytes(s.PeakBytes)
	}
	return exactBytes(s.PeakBytes) + " at " + created(s.PeakAt)
}

// notSampled is the title of a storage cell without samples.
const notSampled = "no bucket size sample covers this time"

// gb is decimal GB with six decimals, as the billing figures are given,
// the whole part grouped: a terabyte kept for a month reads
// "730,000.000000 GB-hours", not "730000.000000".
func gb(v float64) string { return groupWhole(strconv.FormatFloat(v, 'f', 6, 64)) }

// storageSummary is the period's storage in the unit it is billed in.
func storageSummary(s StorageFigures) string {
	if s.Sampled == 0 {
		return "Storage: no bucket size sample covers the period yet."
	}
	return "Storage over the period: " + gb(s.GBHours) + " GB-hours = " + gb(s.GBMonths) +
		" GB-months (decimal GB, a month of 730 h), from samples covering " + FormatDuration(s.Sampled) + "."
}

// bucketName is how a bucket reads in the breakdown.
func bucketName(b string) string {
	if b == "" {
		return "(user level)"
	}
	return b
}

// The chart: an inline SVG drawn here, so WHMCS's page needs neither
// script nor anything from elsewhere. Two plots share the x axis, one
// slot per day, oldest on the left: storage (the day's average as a bar,
// its peak as a line) and traffic (uploaded and downloaded side by side).
const (
	chartW      = 720.0
	chartH      = 270.0
	plotLeft    = 72.0
	plotRight   = chartW - 8
	plotH       = 90.0
	storageTop  = 28.0
	trafficTop  = 154.0
	dateLabelsY = trafficTop + plotH + 16
)

type svgRect struct{ X, Y, W, H string }

type svgLine struct{ X1, Y1, X2, Y2 string }

// chartDay is one day's marks; a nil mark is not drawn (zero or unknown).
type chartDay struct {
	StorageTitle string
	Average      *svgRect
	Peak         *svgLine
	TrafficTitle string
	Up, Down     *svgRect
}

type usageChart struct {
	Days                   []chartDay
	StorageMax, TrafficMax string // the top of each plot's scale
	First, Last            string // the dates under the ends of the x axis
	// Sampled is false when no day has a bucket size sample: the storage
	// plot then says so instead of a "0 B" scale over nothing.
	Sampled bool
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// chartOf lays out the chart of u's rows.
func chartOf(u UsageVM) usageChart {
	var c usageChart
	n := len(u.Rows)
	if n == 0 {
		return c
	}
	var maxStorage, maxTraffic uint64
	for _, r := range u.Rows {
		maxStorage = max(maxStorage, r.Storage.PeakBytes, r.Storage.AverageBytes)
		c.Sampled = c.Sampled || r.Storage.Sampled > 0
		maxTraffic = max(maxTraffic, r.Traffic.Uploaded, r.Traffic.Downloaded)
	}
	c.StorageMax, c.TrafficMax = FormatBytes(maxStorage), FormatBytes(maxTraffic)
	c.First, c.Last = day(u.Rows[0].Date), day(u.Rows[n-1].Date)
	slot := (plotRight - plotLeft) / float64(n)
	// height is v's height in a plot scaled to top.
	height := func(v, top uint64) float64 {
		if top == 0 {
			return 0
		}
		return plotH * float64(v) / float64(top)
	}
	bar := func(x, w, plotTop float64, v, top uint64) *svgRect {
		h := height(v, top)
		if v == 0 {
			return nil
		}
		h = max(h, 0.5) // a small value still shows
		return &svgRect{X: coord(x), Y: coord(plotTop + plotH - h), W: coord(w), H: coord(h)}
	}
	for i, r := range u.Rows {
		x := plotLeft + float64(i)*slot
		d := chartDay{
			TrafficTitle: day(r.Date) + ": uploaded " + FormatBytes(r.Traffic.Uploaded) + ", downloaded " + FormatBytes(r.Traffic.Downloaded),
			Up:           bar(x+slot*0.1, slot*0.4, trafficTop, r.Traffic.Uploaded, maxTraffic),
			Down:         bar(x+slot*0.5, slot*0.4, trafficTop, r.Traffic.Downloaded, maxTraffic),
		}
		if r.Storage.Sampled == 0 {
			d.StorageTitle = day(r.Date) + ": " + notSampled
		} else {
			d.StorageTitle = day(r.Date) + ": average " + FormatBytes(r.Storage.AverageBytes) + ", peak " + FormatBytes(r.Storage.PeakBytes)
			d.Average = bar(x+slot*0.15, slot*0.7, storageTop, r.Storage.AverageBytes, maxStorage)
			if r.Storage.PeakBytes > 0 {
				y := coord(storageTop + plotH - height(r.Storage.PeakBytes, maxStorage))
				d.Peak = &svgLine{X1: coord(x + slot*0.05), Y1: y, X2: coord(x + slot*0.95), Y2: y}
			}
		}
		c.Days = append(c.Days, d)
	}
	return c
}

// chartTitle names the chart for screen readers.
func chartTitle(u UsageVM) string {
	return "Daily storage and traffic of the last " + strconv.Itoa(u.Days) + " days (UTC); the table has the same figures"
}

// joinNonEmpty joins the non-empty parts with a space.
func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// chartID names a chart's title for aria-labelledby; one per period, so
// the client area's 30- and 90-day charts on one page stay distinct.
func chartID(u UsageVM) string { return "staas-usage-chart-title-" + strconv.Itoa(u.Days) }
