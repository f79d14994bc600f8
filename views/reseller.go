package views

import (
	"math"
	"strconv"
	"time"

	"github.com/a-h/templ"
)

// ResellerLoginVM is the reseller portal's login page.
type ResellerLoginVM struct {
	CSRF  string
	Email string // kept after a failed try
	Error string // why the last try failed
	// NeedCode shows the TOTP code's field: the reseller has a second
	// factor and the password was right, or a code was wrong.
	NeedCode bool
}

// ResellerRowVM is one S3 service of one of the reseller's clients.
type ResellerRowVM struct {
	ClientID     int64
	ClientName   string
	ServiceID    int64
	Status       string
	StoredBytes  uint64
	QuotaGB      uint64
	EgressBytes  uint64
	IngressBytes uint64
	Buckets      int
	SampledAt    time.Time // zero: never sampled
	Failed       bool
	// Plan is the WHMCS product's name ("" unknown); a client-level row
	// (ServiceID 0, the admin panel's user) has none.
	Plan string
	// Requests by class in the period; RequestsReported false when the
	// cluster does not count them.
	Requests         Traffic
	RequestsReported bool
	GBMonths         float64
}

// ClientLevel says whether the row is the client's S3 user created in
// the admin panel, which no WHMCS service names.
func (r ResellerRowVM) ClientLevel() bool { return r.ServiceID == 0 }

// ResellerTopVM is one of the reseller's largest buckets.
type ResellerTopVM struct {
	ClientID   int64
	ClientName string
	ServiceID  int64
	Bucket     string
	Bytes      uint64
}

// ResellerBucketVM is one bucket of a client page: its size now and its
// figures over the page's days.
type ResellerBucketVM struct {
	Bucket   string
	NowBytes uint64
	Now      bool // NowBytes is a sample (false: no sample yet)
	Storage  StorageFigures
	Traffic  Traffic
}

// ResellerServiceVM is one service (or the client-level user) on a
// client page: its row, its usage over the days (chart and daily table,
// as the admin panel's usage history) and its buckets.
type ResellerServiceVM struct {
	Row     ResellerRowVM
	Usage   UsageVM
	Buckets []ResellerBucketVM
}

// ResellerClientVM is /reseller/clients/:id.
type ResellerClientVM struct {
	Title    string
	Name     string // the reseller's
	CSRF     string
	ClientID int64
	Days     int // one of UsageDays
	Services []ResellerServiceVM
}

// shortTime is a sample's time to the minute, UTC (the column says so).
func shortTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func serviceText(r ResellerRowVM) string {
	if r.ClientLevel() {
		return "client-level"
	}
	return idText(r.ServiceID)
}

func planText(r ResellerRowVM) string {
	switch {
	case r.ClientLevel():
		return "none"
	case r.Plan == "":
		return "unknown"
	}
	return r.Plan
}

func serviceHeading(r ResellerRowVM) string {
	if r.ClientLevel() {
		return "Client-level S3 user (created in the admin panel)"
	}
	return "Service " + idText(r.ServiceID) + " · " + planText(r)
}

// gbMonths is a period's storage in GB-months, as billing charges it;
// a little that rounds to nothing says so.
func gbMonths(v float64) string {
	if v > 0 && v < 0.0005 {
		return "< 0.001"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// NotReported is what a request count says on a cluster without them.
const NotReported = "not reported by this cluster"

func daysURL(clientID int64, days int) templ.SafeURL {
	return templ.SafeURL("/reseller/clients/" + idText(clientID) + "?days=" + strconv.Itoa(days))
}

func bucketsCSVURL(clientID int64, days int) templ.SafeURL {
	return templ.SafeURL("/reseller/clients/" + idText(clientID) + "/buckets.csv?days=" + strconv.Itoa(days))
}

// ResellerPageVM is the portal's summary: its rows, period picker,
// totals, alerts, paging and top buckets.
type ResellerPageVM struct {
	Title string
	Name  string
	CSRF  string // the logout form's
	Rows  []ResellerRowVM
	// Warning, when set, says the client list could not be read from
	// WHMCS; the rows are then from Since.
	Warning string
	Since   time.Time
	Period  string   // "this" or "last"
	Periods []Option // the picker's choices
	Total   ResellerRowVM
	Alerts  []string
	Top     []ResellerTopVM // the largest buckets, of all pages
	Page    int             // 1-based
	Pages   int
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// QuotaPercent is the share of the quota used, 0..100, and false without
// a quota. A quota's GB are decimal, as the admin panel's and billing's
// are (SizeUnits).
func QuotaPercent(stored, quotaGB uint64) (int, bool) {
	if quotaGB == 0 {
		return 0, false
	}
	p := float64(stored) / (float64(quotaGB) * 1e9) * 100
	if p > 100 {
		p = 100
	}
	return int(math.Round(p)), true
}

func percentText(stored, quotaGB uint64) string {
	p, ok := QuotaPercent(stored, quotaGB)
	if !ok {
		return ""
	}
	return strconv.Itoa(p) + "%"
}

// barClass marks a bar above 90% of its quota.
func barClass(stored, quotaGB uint64) string {
	if p, _ := QuotaPercent(stored, quotaGB); p > 90 {
		return "bar high"
	}
	return "bar"
}

func barStyle(stored, quotaGB uint64) templ.SafeCSS {
	p, _ := QuotaPercent(stored, quotaGB)
	return templ.SafeCSS("width:" + strconv.Itoa(p) + "%")
}

// serviceRows are the services' rows of a client's page.
func serviceRows(services []ResellerServiceVM) []ResellerRowVM {
	rows := make([]ResellerRowVM, len(services))
	for i, s := range services {
		rows[i] = s.Row
	}
	return rows
}

func pageURL(period string, n int) templ.SafeURL {
	return templ.SafeURL("/reseller/?period=" + period + "&page=" + strconv.Itoa(n))
}

func pageNumbers(pages int) []int {
	out := make([]int, pages)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func quotaText(gb uint64) string {
	if gb == 0 {
		return "none"
	}
	return strconv.FormatUint(gb, 10) + " GB"
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }
