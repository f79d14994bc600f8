package whmcsbridge

import (
	"encoding/json"
	"slices"

	"staas"
)

// The "staas resellers" addon page in WHMCS's admin area (issue 12): the
// shim forwards the page's GETs and POSTs to PathResellers and shows the
// HTML staas answers. WHMCS's addon access control decides which admin
// roles reach the page; the shim then says so with PermManageResellers
// among the admin's permissions, and staas refuses a request without it.
const (
	PathResellers = "/shim/v1/admin/resellers"

	// PermManageResellers is not one of WHMCS's role permissions: the
	// shim adds it when WHMCS ran the staas_resellers addon's page for
	// the admin, which WHMCS does only for the roles its access control
	// lists (Addon Modules > staas resellers > Access Control).
	PermManageResellers = "staas: Manage Resellers"
)

// ResellerActionFields are the form fields each reseller action takes,
// and the actions: the shim forwards these and nothing else (the PHP
// ResellerPage::ACTION_FIELDS is the same list, checked by its test
// against testdata/shim/admin/reseller_params.json).
var ResellerActionFields = map[string][]string{
	"add":            {"email", "name", "password", "source-kind", "source-value"},
	"assign":         {"id", "source-kind", "source-value"},
	"reset-password": {"id", "password"},
	"disable":        {"id"},
	"enable":         {"id"},
	"totp-enrol":     {"id"},
	"totp-remove":    {"id"},
}

// ResellerRequest is one request of the addon page: showing it (Action
// "") or one of ResellerActionFields' actions.
type ResellerRequest struct {
	// Admin is the logged-in WHMCS admin, as WHMCS's session says.
	Admin staas.Admin `json:"admin"`
	// ActionURL is the page's own address (the addon's modulelink), which
	// its forms post to.
	ActionURL string `json:"action_url"`
	// Token is the admin session's CSRF token, put into every form as
	// field "token"; FormToken is the token the posted form carried (""
	// when the page was only shown). An action runs only when they match.
	Token     string            `json:"token"`
	FormToken string            `json:"form_token"`
	Action    string            `json:"action"`
	Params    map[string]string `json:"params"`
}

// ResellerResponse answers PathResellers with the page's HTML. Secrets
// are the values the page shows once (a generated password, a TOTP secret
// and its URI), so the shim can mask them in WHMCS's module log.
type ResellerResponse struct {
	Result
	HTML    string   `json:"html"`
	Secrets []string `json:"secrets"`
}

// MarshalJSON writes secrets as [] rather than null.
func (r ResellerResponse) MarshalJSON() ([]byte, error) {
	type plain ResellerResponse
	p := plain(r)
	p.Secrets = noneIfNil(p.Secrets)
	return json.Marshal(p)
}

// UnmarshalJSON accepts the admin's id as a number or numeric string,
// params as [] when empty (PHP), and refuses unknown fields.
func (r *ResellerRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		Admin     wireAdmin `json:"admin"`
		ActionURL string    `json:"action_url"`
		Token     string    `json:"token"`
		FormToken string    `json:"form_token"`
		Action    string    `json:"action"`
		Params    phpParams `json:"params"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*r = ResellerRequest{Admin: w.Admin.admin(), ActionURL: w.ActionURL, Token: w.Token, FormToken: w.FormToken, Action: w.Action, Params: emptyIfNil(w.Params)}
	return nil
}

// MarshalJSON writes permissions as [] and params as {} rather than null.
func (r ResellerRequest) MarshalJSON() ([]byte, error) {
	type plain ResellerRequest
	p := plain(r)
	p.Admin.Permissions = noneIfNil(p.Admin.Permissions)
	p.Params = emptyIfNil(p.Params)
	return json.Marshal(p)
}

// Validate checks the request where it enters staas; errors are EINVALID.
// An empty or wrong FormToken is not invalid here: the handler refuses
// the action as a CSRF failure (EFORBIDDEN) and says so on the page.
func (r ResellerRequest) Validate() error {
	if err := validateAdmin(r.Admin); err != nil {
		return err
	}
	if err := validateActionURL(r.ActionURL); err != nil {
		return err
	}
	if !ValidToken(r.Token) {
		return invalid("token must be WHMCS's CSRF token: 1 to %d printable ASCII characters without spaces", maxToken)
	}
	if len(r.FormToken) > maxToken || !Printable(r.FormToken) {
		return invalid("form_token must be at most %d printable characters", maxToken)
	}
	if _, ok := ResellerActionFields[r.Action]; r.Action != "" && !ok {
		return invalid("action %.70q is not a reseller action", r.Action)
	}
	for k := range r.Params {
		if r.Action == "" || !slices.Contains(ResellerActionFields[r.Action], k) {
			return invalid("params %.70q is not a field of the reseller action %q", k, r.Action)
		}
	}
	return validateParams(r.Params)
}
