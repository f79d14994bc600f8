package views

import (
	"strconv"

	"github.com/a-h/templ"
)

// The service views: what WHMCS's server module shows of one service, in
// the admin's services tab (AdminServicesTabFields) and on the client's
// product details page (ClientArea). Both sit inside WHMCS's own pages and
// use its Bootstrap 3 classes.

// ServiceTabVM is the admin's services tab of one service.
type ServiceTabVM struct {
	// HasUser is false until Create made the service's S3 user.
	HasUser bool
	UserID  string
	Email   string
	Enabled bool
	// Keys are the user's key pairs, secrets masked (the tab never
	// reveals one: the admin panel does, audited).
	Keys       []KeyRow
	Buckets    []BucketRow
	TotalBytes uint64
}

// TabField is one row of the services tab: WHMCS shows Label beside
// Content.
type TabField struct {
	Label   string
	Content templ.Component
}

// ServiceTabFields returns the rows of the services tab in display order.
// A service without an S3 user gets one row saying so: the tab must
// render, and Create is the admin's next step.
func ServiceTabFields(vm ServiceTabVM) []TabField {
	if !vm.HasUser {
		return []TabField{{Label: "S3 user", Content: tabText("No S3 user yet: use Create.")}}
	}
	return []TabField{
		{Label: "S3 user", Content: tabUser(vm)},
		{Label: "Access keys", Content: tabKeys(vm.Keys)},
		{Label: "Buckets", Content: tabBuckets(vm)},
	}
}

// Client-area functions: the value of the "a" field a client's form
// posts. WHMCS calls the module's function of that name (staas_revokekey,
// …), which the shim forwards to the client action of the same meaning.
const (
	ClientFnGenerateKey  = "generatekey"
	ClientFnRevokeKey    = "revokekey"    // params: access_key
	ClientFnRevealSecret = "revealsecret" // params: access_key
	ClientFnHideSecret   = "hidesecret"   // params: access_key
)

// MaxKeyPairs is how many key pairs an S3 user may have; the client's
// Generate button is disabled at that many.
const MaxKeyPairs = 2

// ClientAreaVM is the client's view of one service on WHMCS's product
// details page.
type ClientAreaVM struct {
	ServiceID int64
	// Token is WHMCS's client-area CSRF token, put into every form.
	Token string
	// HasUser is false until the service is provisioned.
	HasUser bool
	Email   string
	Enabled bool
	// Keys: Secret is masked unless Revealed (at most one, once).
	Keys       []KeyRow
	Buckets    []BucketRow
	TotalBytes uint64
	// Usage is the usage history, one per UsageDays period (none when
	// staas does not collect usage).
	Usage []UsageVM
}

// ActionURL is where the client's forms post: the service's product
// details page, where WHMCS checks that the service is the client's and
// runs the module's custom function named by the form's "a" field.
func (vm ClientAreaVM) ActionURL() string {
	return "clientarea.php?action=productdetails&id=" + strconv.FormatInt(vm.ServiceID, 10)
}

// CanGenerate says whether another key pair may be generated.
func (vm ClientAreaVM) CanGenerate() bool { return len(vm.Keys) < MaxKeyPairs }
