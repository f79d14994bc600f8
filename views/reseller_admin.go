package views

// ResellerAdminVM is the "staas resellers" addon page in WHMCS's admin
// area: the resellers, a form to add one, and each one's changes.
type ResellerAdminVM struct {
	// ActionURL is the page's own address (the addon's modulelink);
	// Token is WHMCS's CSRF token, put in every form as field "token".
	ActionURL string
	Token     string
	Resellers []ResellerAccountVM
	// Notice says what the last action did; Error why it did nothing.
	Notice string
	Error  string
	// Fields are the last form's errors by field; FormID is the reseller
	// whose form they belong to (0: the add form).
	Fields map[string]string
	FormID int64
	// Add refills the add form after a refusal (never the password).
	Add ResellerAddVM
	// Shown is what is shown this once and never again: a generated
	// password, or a new second factor's secret and URI.
	Shown []ShownVM
}

// ResellerAccountVM is one reseller's row.
type ResellerAccountVM struct {
	ID      int64
	Name    string
	Email   string
	Active  bool
	Source  string // "group:3", "ids:1,2", "field:Reseller=acme"
	TOTP    bool
	Created string
}

// ResellerAddVM is the add form's input kept after a refusal.
type ResellerAddVM struct {
	Name, Email, SourceKind, SourceValue string
}

// ShownVM is one value shown once, with its label.
type ShownVM struct {
	Label, Value string
}

// ResellerSourceKinds are the source select's choices.
var ResellerSourceKinds = []Option{
	{Value: "group", Label: "Client group id"},
	{Value: "ids", Label: "Client ids (comma list)"},
	{Value: "field", Label: "Client custom field (NAME=VALUE)"},
}

// fieldError is the error of field on the form of reseller id (0: add).
func (vm ResellerAdminVM) fieldError(id int64, field string) string {
	if vm.FormID != id {
		return ""
	}
	return vm.Fields[field]
}

// formOpen is whether reseller id's change form shows open: its last
// submit was refused.
func (vm ResellerAdminVM) formOpen(id int64) bool {
	return vm.FormID == id && len(vm.Fields) > 0
}

// sourceParts splits "group:3" for the assign form's initial values.
func sourceParts(s string) (kind, value string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:]
		}
	}
	return "", s
}
