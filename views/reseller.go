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
}

func sampledText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return auditTime(t)
}

// ResellerPageVM is the portal's summary, or one client's page (Title
// says which).
type ResellerPageVM struct {
	Title string
	Name  string
	CSRF  string // the logout form's
	Rows  []ResellerRowVM
	// Warning, when set, says the client list could not be read from
	// WHMCS; the rows are then from Since.
	Warning string
	Since   time.Time
	// The summary's period picker, totals, alerts and paging; a client's
	// page leaves them zero.
	Summary bool
	Period  string   // "this" or "last"
	Periods []Option // the picker's choices
	Total   ResellerRowVM
	Alerts  []string
	Page    int // 1-based
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
