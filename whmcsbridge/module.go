package whmcsbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
)

// Module calls and events of shim protocol v1 (docs/shim-protocol.md,
// "Module calls" and "Events"): WHMCS's server module functions, the
// client's own buttons on the service page, and the client and cron hooks.
const (
	// PathModule is the prefix of one endpoint per module function
	// (ModuleRequest → ModuleResponse; UsageRequest → UsageResponse for
	// FuncUsageUpdate): ModulePath(FuncCreate).
	PathModule = "/shim/v1/module/"
	// PathClientAction is the prefix of one endpoint per client-area
	// action (ModuleRequest → Result): ClientActionPath(ClientGenerateKey).
	PathClientAction = "/shim/v1/module/client-action/"
	// PathEvents is the prefix of one endpoint per hook (EventRequest →
	// EventResponse): EventPath(EventClientAdd).
	PathEvents = "/shim/v1/events/"
)

// Module functions: the {function} of PathModule, one per WHMCS server
// module function.
const (
	FuncCreate         = "create"          // CreateAccount
	FuncSuspend        = "suspend"         // SuspendAccount
	FuncUnsuspend      = "unsuspend"       // UnsuspendAccount
	FuncTerminate      = "terminate"       // TerminateAccount
	FuncChangePackage  = "change-package"  // ChangePackage
	FuncTestConnection = "test-connection" // TestConnection
	FuncServicesTab    = "services-tab"    // AdminServicesTabFields
	FuncClientArea     = "client-area"     // ClientArea
	FuncUsageUpdate    = "usage-update"    // UsageUpdate
)

// Client-area actions: the {action} of PathClientAction.
const (
	ClientGenerateKey  = "generate-key"
	ClientRevokeKey    = "revoke-key"    // params: access_key
	ClientRevealSecret = "reveal-secret" // params: access_key
	ClientHideSecret   = "hide-secret"
)

// Events: the {event} of PathEvents, one per WHMCS hook.
const (
	EventClientAdd    = "client-add"    // ClientAdd
	EventClientEdit   = "client-edit"   // ClientEdit
	EventClientClose  = "client-close"  // ClientClose
	EventClientDelete = "client-delete" // PreDeleteClient
	EventDailyCron    = "daily-cron"    // DailyCronJob
)

// ModulePath is the endpoint of a module function.
func ModulePath(fn string) string { return PathModule + fn }

// ClientActionPath is the endpoint of a client-area action.
func ClientActionPath(name string) string { return PathClientAction + name }

// EventPath is the endpoint of an event.
func EventPath(name string) string { return PathEvents + name }

// ModuleRequest is one call of a module function or a client-area action
// on one WHMCS service.
type ModuleRequest struct {
	ServiceID int64 `json:"service_id"` // tblhosting.id
	ClientID  int64 `json:"client_id"`  // the service's owner
	// ClientEmail fills the product's email template (create only).
	ClientEmail string `json:"client_email"`
	ProductID   int64  `json:"product_id"` // for logs
	ServerID    int64  `json:"server_id"`  // for logs; 0 when none
	Status      string `json:"status"`     // tblhosting.domainstatus, may be ""
	// AdminID is the WHMCS admin who clicked, 0 when WHMCS acts by itself.
	AdminID int64 `json:"admin_id"`
	// Config is the product's Module Settings; nil when the request
	// carries none, which only test-connection may do (WHMCS passes
	// TestConnection a server, not a product).
	Config *ProductSettings  `json:"config,omitempty"`
	Params map[string]string `json:"params"`
	// Cluster names the storage cluster of the service's WHMCS server
	// (the server entry's Username field); "" is the default cluster.
	// Optional on the wire: a shim that does not send it means "".
	Cluster string `json:"cluster,omitempty"`
}

// UnmarshalJSON accepts ids as numbers or numeric strings, params as []
// when empty (PHP), and refuses unknown fields.
func (r *ModuleRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		ServiceID   shimID           `json:"service_id"`
		ClientID    shimID           `json:"client_id"`
		ClientEmail string           `json:"client_email"`
		ProductID   shimID           `json:"product_id"`
		ServerID    shimID           `json:"server_id"`
		Status      string           `json:"status"`
		AdminID     shimID           `json:"admin_id"`
		Config      *ProductSettings `json:"config"`
		Params      phpParams        `json:"params"`
		Cluster     string           `json:"cluster"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*r = ModuleRequest{ServiceID: int64(w.ServiceID), ClientID: int64(w.ClientID), ClientEmail: string(w.ClientEmail),
		ProductID: int64(w.ProductID), ServerID: int64(w.ServerID), Status: string(w.Status), AdminID: int64(w.AdminID),
		Config: w.Config, Params: emptyIfNil(w.Params), Cluster: w.Cluster}
	return nil
}

// MarshalJSON writes params as {} rather than null.
func (r ModuleRequest) MarshalJSON() ([]byte, error) {
	type plain ModuleRequest
	p := plain(r)
	p.Params = emptyIfNil(p.Params)
	return json.Marshal(p)
}

// Limits of the module and event payloads, checked by Validate.
const (
	maxEmail         = 255 // tblclients.email in practice; ostor's limit is lower
	maxStatus        = 64
	maxConfigValue   = 1024
	MaxUsageServices = 100_000
)

// Validate checks a call on a service (every function but test-connection
// and usage-update, and every client-area action); errors are EINVALID.
func (r ModuleRequest) Validate() error {
	if r.ServiceID <= 0 {
		return invalid("service_id must be a positive WHMCS service id")
	}
	if r.ClientID <= 0 {
		return invalid("client_id must be a positive WHMCS client id")
	}
	if r.Config == nil {
		return invalid("config is required: the product's module settings")
	}
	return r.validateCommon()
}

// ValidateServer checks a call that concerns the server only
// (test-connection): service, client and config may be absent.
func (r ModuleRequest) ValidateServer() error {
	if r.ServiceID < 0 || r.ClientID < 0 {
		return invalid("service_id and client_id must be 0 or positive")
	}
	return r.validateCommon()
}

func (r ModuleRequest) validateCommon() error {
	if r.ProductID < 0 || r.ServerID < 0 {
		return invalid("product_id and server_id must be 0 or positive")
	}
	if r.AdminID < 0 {
		return invalid("admin_id must be a WHMCS admin id, or 0 when WHMCS acts by itself")
	}
	if len(r.ClientEmail) > maxEmail || !Printable(r.ClientEmail) {
		return invalid("client_email must be at most %d printable characters", maxEmail)
	}
	if len(r.Status) > maxStatus || !Printable(r.Status) {
		return invalid("status must be at most %d printable characters", maxStatus)
	}
	if err := validateCluster(r.Cluster); err != nil {
		return err
	}
	if r.Config != nil {
		for i, v := range r.Config.Values() {
			if len(v) > maxConfigValue || !Printable(v) {
				return invalid("config %s must be at most %d printable characters", productSettings[i].wire, maxConfigValue)
			}
		}
	}
	return validateParams(r.Params)
}

// MaxClusterName is the longest cluster name, in bytes.
const MaxClusterName = 32

// ValidClusterName reports whether s can name a cluster: 1 to 32
// characters, lowercase ASCII letters, digits and hyphens, the first a
// letter or digit (^[a-z0-9][a-z0-9-]{0,31}$). "" is not a name; in a
// request it means the default cluster.
func ValidClusterName(s string) bool {
	if s == "" || len(s) > MaxClusterName || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validateCluster checks a request's cluster: "" (the default cluster) or
// a name. The message tells the WHMCS admin where the name comes from.
func validateCluster(s string) error {
	if s == "" || ValidClusterName(s) {
		return nil
	}
	return invalid("cluster %.40q is not a cluster name: use 1 to %d lowercase letters, digits and hyphens, starting with a letter or digit, in the WHMCS server's Username field (empty means the default cluster)", s, MaxClusterName)
}

// ValidToken reports whether s can be WHMCS's CSRF token: 1 to 256
// printable ASCII characters without spaces.
func ValidToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ServiceFields are what the shim writes into the service after create:
// tblhosting.domain (the S3 user's email) and username (its id).
type ServiceFields struct {
	Domain   string `json:"domain"`
	Username string `json:"username"`
}

// TabField is one row of the admin's service tab: a label and HTML that
// staas escaped.
type TabField struct {
	Label string `json:"label"`
	HTML  string `json:"html"`
}

// ModuleResponse answers a module function: service_fields for create,
// fields for services-tab, html for client-area, nothing more otherwise.
type ModuleResponse struct {
	Result
	ServiceFields *ServiceFields `json:"service_fields,omitempty"`
	Fields        []TabField     `json:"fields,omitempty"`
	HTML          string         `json:"html,omitempty"`
}

// UsageRequest asks for the usage figures of a server's services.
type UsageRequest struct {
	ServerID   int64   `json:"server_id"`
	ServiceIDs []int64 `json:"service_ids"`
	// Cluster names the storage cluster of the WHMCS server, as in
	// ModuleRequest; "" (or absent) is the default cluster.
	Cluster string `json:"cluster,omitempty"`
}

// UnmarshalJSON accepts ids as numbers or numeric strings, the list as
// PHP may encode it (an object after array_filter, [] when empty), and
// refuses unknown fields.
func (r *UsageRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		ServerID   shimID `json:"server_id"`
		ServiceIDs phpIDs `json:"service_ids"`
		Cluster    string `json:"cluster"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	ids := []int64(w.ServiceIDs)
	if ids == nil {
		ids = []int64{}
	}
	*r = UsageRequest{ServerID: int64(w.ServerID), ServiceIDs: ids, Cluster: w.Cluster}
	return nil
}

// MarshalJSON writes service_ids as [] rather than null.
func (r UsageRequest) MarshalJSON() ([]byte, error) {
	type plain UsageRequest
	p := plain(r)
	if p.ServiceIDs == nil {
		p.ServiceIDs = []int64{}
	}
	return json.Marshal(p)
}

// Validate checks the request; errors are EINVALID.
func (r UsageRequest) Validate() error {
	if r.ServerID < 0 {
		return invalid("server_id must be 0 or positive")
	}
	if err := validateCluster(r.Cluster); err != nil {
		return err
	}
	if len(r.ServiceIDs) > MaxUsageServices {
		return invalid("service_ids has %d entries; at most %d are answered in one call", len(r.ServiceIDs), MaxUsageServices)
	}
	for _, id := range r.ServiceIDs {
		if id <= 0 {
			return invalid("service_ids must be positive WHMCS service ids (got %d)", id)
		}
	}
	return nil
}

// phpIDs is a list of ids that PHP may encode as [...] of numbers or
// strings, or as {"0":…,"3":…} after array_filter (taken in key order).
type phpIDs []int64

func (p *phpIDs) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '[' && IsEmptyPHPArray(t) {
		*p = []int64{}
		return nil
	}
	var ids []shimID
	if len(t) > 0 && t[0] == '{' {
		var m map[string]shimID
		if err := json.Unmarshal(t, &m); err != nil {
			return errors.New("service_ids must be a list of ids")
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, errA := strconv.Atoi(keys[i])
			b, errB := strconv.Atoi(keys[j])
			if errA == nil && errB == nil {
				return a < b
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			ids = append(ids, m[k])
		}
	} else if err := json.Unmarshal(t, &ids); err != nil {
		return errors.New("service_ids must be a list of ids")
	}
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	*p = out
	return nil
}

// ServiceUsage is one service's figures for tblhosting, in MB (2^20
// bytes, rounded up, capped at MaxUsageMB).
type ServiceUsage struct {
	ServiceID   int64 `json:"service_id"`
	DiskMB      int64 `json:"disk_mb"`
	DiskLimitMB int64 `json:"disk_limit_mb"`
	BWMB        int64 `json:"bw_mb"`
	BWLimitMB   int64 `json:"bw_limit_mb"`
}

// MaxUsageMB caps every figure: tblhosting's usage columns are signed
// 32-bit integers.
const MaxUsageMB = 2147483647

// BytesToMB converts bytes to tblhosting's MB: 2^20 bytes, rounded up so
// that a few bytes stored never read as none, capped at MaxUsageMB.
func BytesToMB(n uint64) int64 {
	mb := n >> 20
	if n&(1<<20-1) != 0 {
		mb++
	}
	return int64(min(mb, MaxUsageMB))
}

// GBToMB converts a quota in GB (the gateway's unit) to tblhosting's MB,
// 1024 to the GB, capped at MaxUsageMB.
func GBToMB(gb uint64) int64 {
	if gb > MaxUsageMB/1024 {
		return MaxUsageMB
	}
	return int64(gb * 1024)
}

// UsageResponse answers FuncUsageUpdate: the services staas has an S3
// user for, in the order asked.
type UsageResponse struct {
	Result
	Services []ServiceUsage `json:"services"`
}

// MarshalJSON writes services as [] rather than null.
func (r UsageResponse) MarshalJSON() ([]byte, error) {
	type plain UsageResponse
	p := plain(r)
	if p.Services == nil {
		p.Services = []ServiceUsage{}
	}
	return json.Marshal(p)
}

// EventRequest is one client or cron hook.
type EventRequest struct {
	// ClientID is the client the hook is about; 0 for daily-cron.
	ClientID int64 `json:"client_id"`
	AdminID  int64 `json:"admin_id"`
	// Email is the client's email (client-add, client-edit); OldEmail
	// its previous one (client-edit).
	Email    string `json:"email,omitempty"`
	OldEmail string `json:"old_email,omitempty"`
}

// UnmarshalJSON accepts ids as numbers or numeric strings and refuses
// unknown fields.
func (r *EventRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		ClientID shimID `json:"client_id"`
		AdminID  shimID `json:"admin_id"`
		Email    string `json:"email"`
		OldEmail string `json:"old_email"`
	}
	if err := decodeStrict(b, &w); err != nil {
		return err
	}
	*r = EventRequest{ClientID: int64(w.ClientID), AdminID: int64(w.AdminID), Email: string(w.Email), OldEmail: string(w.OldEmail)}
	return nil
}

// Validate checks what every event shares; ValidateEvent what one needs.
func (r EventRequest) Validate() error {
	if r.ClientID < 0 {
		return invalid("client_id must be a WHMCS client id, or 0 for daily-cron")
	}
	if r.AdminID < 0 {
		return invalid("admin_id must be a WHMCS admin id, or 0 when WHMCS acts by itself")
	}
	if len(r.Email) > maxEmail || !Printable(r.Email) {
		return invalid("email must be at most %d printable characters", maxEmail)
	}
	if len(r.OldEmail) > maxEmail || !Printable(r.OldEmail) {
		return invalid("old_email must be at most %d printable characters", maxEmail)
	}
	return nil
}

// ValidateEvent checks what the named event needs besides Validate: a
// client for every event but daily-cron and the email for client-add
// and client-edit.
func (r EventRequest) ValidateEvent(event string) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if event == EventDailyCron {
		return nil
	}
	if r.ClientID <= 0 {
		return invalid("client_id must be a positive WHMCS client id for %s", event)
	}
	switch event {
	case EventClientAdd:
		if r.Email == "" {
			return invalid("email is required for client-add")
		}
	case EventClientEdit:
		// old_email may be empty: WHMCS's olddata has no email on some
		// save paths, and then there is no change staas can tell.
		if r.Email == "" {
			return invalid("email is required for client-edit")
		}
	}
	return nil
}

// EventResponse answers an event: messages for WHMCS's Activity Log.
type EventResponse struct {
	Result
	Messages []string `json:"messages,omitempty"`
}
