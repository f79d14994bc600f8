package views

import (
	"strconv"
	"time"
)

// ResellerLoginVM is the reseller portal's login page.
type ResellerLoginVM struct {
	CSRF  string
	Email string // kept after a failed try
	Error string // why the last try failed
}

// ResellerRowVM is one S3 service of one of the reseller's clients.
type ResellerRowVM struct {
	ClientID    int64
	ServiceID   int64
	Status      string
	StoredBytes uint64
	QuotaGB     uint64
	EgressBytes uint64
	Failed      bool
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
}

func quotaText(gb uint64) string {
	if gb == 0 {
		return "none"
	}
	return strconv.FormatUint(gb, 10) + " GB"
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }
