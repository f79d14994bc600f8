package whmcsbridge

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"staas"
)

// moduleFixtureTypes are module.go's payloads, checked by
// TestPayloadFixtures like shim.go's: fixture base name → new value.
var moduleFixtureTypes = map[string]func() any{
	"module_request":               func() any { return new(ModuleRequest) },
	"module_request_client_action": func() any { return new(ModuleRequest) },
	"module_request_cluster":       func() any { return new(ModuleRequest) },
	"module_response_create":       func() any { return new(ModuleResponse) },
	"module_response_services_tab": func() any { return new(ModuleResponse) },
	"module_response_client_area":  func() any { return new(ModuleResponse) },
	"usage_request":                func() any { return new(UsageRequest) },
	"usage_request_cluster":        func() any { return new(UsageRequest) },
	"usage_response":               func() any { return new(UsageResponse) },
	"event_request_client_edit":    func() any { return new(EventRequest) },
	"event_request_daily_cron":     func() any { return new(EventRequest) },
	"event_response":               func() any { return new(EventResponse) },
	// metrics.go's answer to the module's metrics call.
	"metrics_response": func() any { return new(MetricsResponse) },
}

var fixtureConfig = ProductSettings{OpsGet: "100", OpsPut: "50.5", BandwidthOut: "2048", QuotaGB: "100",
	TerminateBuckets: "fail", EmailTemplate: "{local}+s3-{service_id}@{domain}"}

// The PHP-style fixtures decode to exactly the values the shim means, so
// the Go handlers and the PHP shim agree on more than "it decodes".
func TestModuleFixtureValues(t *testing.T) {
	cfg := fixtureConfig
	actionCfg := fixtureConfig
	actionCfg.EmailTemplate = ""
	cases := []struct {
		file string
		v    any
		want any
	}{
		{"module_request.php.json", new(ModuleRequest), &ModuleRequest{ServiceID: 1234, ClientID: 42, ClientEmail: "zoë@example.com",
			ProductID: 3, ServerID: 1, Status: "Pending", AdminID: 0, Config: &cfg, Params: map[string]string{}}},
		{"module_request_client_action.php.json", new(ModuleRequest), &ModuleRequest{ServiceID: 1234, ClientID: 42, ClientEmail: "zoë@example.com",
			ProductID: 3, ServerID: 1, Status: "Active", Config: &actionCfg,
			Params: map[string]string{"token": "5f0e2a7c9b1d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", "access_key": "6b2f0a9c1d3e4f50ABCD"}}},
		{"module_request_cluster.php.json", new(ModuleRequest), &ModuleRequest{ServiceID: 1234, ClientID: 42, ClientEmail: "zoë@example.com",
			ProductID: 3, ServerID: 1, Status: "Pending", AdminID: 0, Config: &cfg, Params: map[string]string{}, Cluster: "eu-west-2"}},
		{"usage_request.php.json", new(UsageRequest), &UsageRequest{ServerID: 1, ServiceIDs: []int64{1234, 1235, 1240}}},
		{"usage_request_cluster.php.json", new(UsageRequest), &UsageRequest{ServerID: 2, ServiceIDs: []int64{1301, 1302}, Cluster: "eu-west-2"}},
		{"event_request_client_edit.php.json", new(EventRequest), &EventRequest{ClientID: 42, AdminID: 1, Email: "zoë@example.net", OldEmail: "zoë@example.com"}},
		{"event_request_daily_cron.php.json", new(EventRequest), &EventRequest{}},
		{"usage_response.json", new(UsageResponse), &UsageResponse{Result: Result{Result: ResultSuccess}, Services: []ServiceUsage{
			{ServiceID: 1234, DiskMB: 5120, DiskLimitMB: 102400, BWMB: 731},
			{ServiceID: 1240, DiskMB: MaxUsageMB, BWMB: 1},
		}}},
		{"module_response_create.json", new(ModuleResponse), &ModuleResponse{Result: Result{Result: ResultSuccess},
			ServiceFields: &ServiceFields{Domain: "zoe+s3-1234@example.com", Username: "6b2f0a9c1d3e4f50"}}},
	}
	for _, c := range cases {
		if err := json.Unmarshal(readFixture(t, c.file), c.v); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if !reflect.DeepEqual(c.v, c.want) {
			t.Errorf("%s decodes to\n%+v\nwant\n%+v", c.file, c.v, c.want)
		}
	}
	var ev EventRequest
	_ = json.Unmarshal(readFixture(t, "event_request_daily_cron.json"), &ev)
	if err := ev.ValidateEvent(EventDailyCron); err != nil {
		t.Errorf("the daily-cron fixture is refused: %v", err)
	}
	_ = json.Unmarshal(readFixture(t, "event_request_client_edit.json"), &ev)
	if err := ev.ValidateEvent(EventClientEdit); err != nil {
		t.Errorf("the client-edit fixture is refused: %v", err)
	}
}

func moduleJSON(t *testing.T, mutate func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFixture(t, "module_request.json"), &m); err != nil {
		t.Fatal(err)
	}
	mutate(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestModuleRequestDecodingRefuses(t *testing.T) {
	cases := []struct {
		name, want string
		mutate     func(m map[string]any)
	}{
		{"unknown field", "unknown field", func(m map[string]any) { m["serviceid"] = 1 }},
		{"missing setting", `lacks the setting "quota_gb"`, func(m map[string]any) { delete(m["config"].(map[string]any), "quota_gb") }},
		{"unknown setting", `unknown setting "configoption10"`, func(m map[string]any) { m["config"].(map[string]any)["configoption10"] = "" }},
		{"config as list", "config must be an object", func(m map[string]any) { m["config"] = []string{"1"} }},
		{"fractional id", "whole number", func(m map[string]any) { m["service_id"] = 12.5 }},
		{"id with letters", "decimal digits", func(m map[string]any) { m["client_id"] = "42abc" }},
		{"signed id", "decimal digits", func(m map[string]any) { m["client_id"] = "+42" }},
		{"null setting", "null", func(m map[string]any) { m["config"].(map[string]any)["ops_get"] = nil }},
		{"params of numbers", "params must be an object of strings", func(m map[string]any) { m["params"] = map[string]any{"a": 1} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r ModuleRequest
			err := json.Unmarshal(moduleJSON(t, c.mutate), &r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	// A setting sent as a number (PHP) is kept as text.
	var r ModuleRequest
	b := moduleJSON(t, func(m map[string]any) {
		m["config"].(map[string]any)["quota_gb"] = 100
	})
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Config.QuotaGB != "100" || r.Config.OpsGet != "100" {
		t.Errorf("config = %+v", r.Config)
	}
}

func TestModuleRequestValidate(t *testing.T) {
	good := func() ModuleRequest {
		cfg := fixtureConfig
		return ModuleRequest{ServiceID: 1234, ClientID: 42, ClientEmail: "zoë@example.com", Config: &cfg, Params: map[string]string{}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good request: %v", err)
	}
	cases := []struct {
		name, want string
		mutate     func(r *ModuleRequest)
	}{
		{"no service", "service_id", func(r *ModuleRequest) { r.ServiceID = 0 }},
		{"no client", "client_id", func(r *ModuleRequest) { r.ClientID = 0 }},
		{"no config", "config is required", func(r *ModuleRequest) { r.Config = nil }},
		{"negative admin", "admin_id", func(r *ModuleRequest) { r.AdminID = -1 }},
		{"negative product", "product_id", func(r *ModuleRequest) { r.ProductID = -3 }},
		{"control in email", "client_email", func(r *ModuleRequest) { r.ClientEmail = "a@b.c\r\nBcc: x@y.z" }},
		{"long status", "status", func(r *ModuleRequest) { r.Status = strings.Repeat("A", 65) }},
		{"long setting", "config email_template", func(r *ModuleRequest) { r.Config.EmailTemplate = strings.Repeat("x", 1025) }},
		{"bad param key", "params key", func(r *ModuleRequest) { r.Params["Access Key"] = "x" }},
		{"long param", "longer than", func(r *ModuleRequest) { r.Params["access_key"] = strings.Repeat("x", 1025) }},
		{"cluster in capitals", `cluster "EU-West" is not a cluster name`, func(r *ModuleRequest) { r.Cluster = "EU-West" }},
		{"cluster with a space", "in the WHMCS server's Username field", func(r *ModuleRequest) { r.Cluster = "eu west" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := good()
			c.mutate(&r)
			err := r.Validate()
			wantCode(t, err, staas.EINVALID)
			wantMessage(t, err, c.want)
		})
	}

	// test-connection: WHMCS passes a server, no service and no product.
	srv := ModuleRequest{ServerID: 1, AdminID: 1}
	if err := srv.ValidateServer(); err != nil {
		t.Errorf("test-connection without a service: %v", err)
	}
	if err := srv.Validate(); err == nil {
		t.Error("a service function accepted a request without a service")
	}
	srv.Params = map[string]string{"BAD": "x"}
	wantCode(t, srv.ValidateServer(), staas.EINVALID)
	// test-connection names its server's cluster too.
	srv = ModuleRequest{ServerID: 1, Cluster: "-eu"}
	wantCode(t, srv.ValidateServer(), staas.EINVALID)
}

// TestCluster: a module or usage request names its cluster by the
// contract's rule, ^[a-z0-9][a-z0-9-]{0,31}$; "" or absent is the default
// cluster, and a request without the field decodes as before.
func TestCluster(t *testing.T) {
	for name, want := range map[string]bool{
		"eu-west-2":                   false,
		"":                            false, // the default cluster: allowed, not a name
		"a":                           false,
		"0":                           false,
		"old-ostor":                   false,
		strings.Repeat("a", 32):       false,
		strings.Repeat("a", 33):       true,
		"-eu":                         true,
		"eu-":                         false,
		"EU":                          true,
		"eu_west":                     true,
		"eu.west":                     true,
		"eu west":                     true,
		"zoë":                         true,
		"eu\n":                        true,
		"a" + strings.Repeat("-", 31): false,
	} {
		cfg := fixtureConfig
		mr := ModuleRequest{ServiceID: 1, ClientID: 1, Config: &cfg, Cluster: name}
		ur := UsageRequest{ServerID: 1, Cluster: name}
		for what, err := range map[string]error{"module": mr.Validate(), "usage": ur.Validate()} {
			if (err != nil) != want {
				t.Errorf("%s request, cluster %q: err = %v, want refused %v", what, name, err, want)
			}
			if err != nil {
				wantCode(t, err, staas.EINVALID)
				wantMessage(t, err, "is not a cluster name")
			}
		}
		if got := ValidClusterName(name); got != (!want && name != "") {
			t.Errorf("ValidClusterName(%q) = %v", name, got)
		}
	}
	var r ModuleRequest
	if err := json.Unmarshal(readFixture(t, "module_request.json"), &r); err != nil || r.Cluster != "" {
		t.Fatalf("a request without cluster: %q, %v", r.Cluster, err)
	}
	if b, _ := json.Marshal(r); strings.Contains(string(b), "cluster") {
		t.Errorf("the default cluster is written: %s", b)
	}
	var u UsageRequest
	if err := json.Unmarshal([]byte(`{"server_id":1,"service_ids":[],"cluster":7}`), &u); err == nil {
		t.Error("a cluster that is not a string decoded")
	}
	if err := json.Unmarshal([]byte(`{"server_id":1,"service_ids":[],"cluster":null}`), &u); err == nil {
		t.Error("a null cluster decoded")
	}
}

func TestValidToken(t *testing.T) {
	for tok, want := range map[string]bool{
		"5f0e2a7c9b1d":              true,
		"":                          false,
		"has space":                 false,
		"quote\"":                   true, // printable: escaped where it is used
		strings.Repeat("a", 256):    true,
		strings.Repeat("a", 257):    false,
		"tab\there":                 false,
		"zoë":                       false,
		"<script>alert(1)</script>": true,
	} {
		if got := ValidToken(tok); got != want {
			t.Errorf("ValidToken(%.20q) = %v, want %v", tok, got, want)
		}
	}
}

func TestUsageRequest(t *testing.T) {
	for body, want := range map[string][]int64{
		`{"server_id":1,"service_ids":[]}`:             {},
		`{"server_id":1,"service_ids":{}}`:             {},
		`{"server_id":"1","service_ids":["7",8]}`:      {7, 8},
		`{"server_id":1,"service_ids":{"10":3,"2":4}}`: {4, 3},
		`{"server_id":0}`:                              {},
	} {
		var r UsageRequest
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if !reflect.DeepEqual(r.ServiceIDs, want) {
			t.Errorf("%s: ids %v, want %v", body, r.ServiceIDs, want)
		}
	}
	for _, body := range []string{`{"server_id":1,"service_ids":"1234"}`, `{"server_id":1,"service_ids":[1.5]}`, `{"server":1}`} {
		var r UsageRequest
		if err := json.Unmarshal([]byte(body), &r); err == nil {
			t.Errorf("%s decoded", body)
		}
	}
	wantCode(t, UsageRequest{ServiceIDs: []int64{1, 0}}.Validate(), staas.EINVALID)
	wantCode(t, UsageRequest{ServerID: -1}.Validate(), staas.EINVALID)
	many := make([]int64, MaxUsageServices+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	err := UsageRequest{ServiceIDs: many}.Validate()
	wantCode(t, err, staas.EINVALID)
	wantMessage(t, err, "at most "+strconv.Itoa(MaxUsageServices))
	if err := (UsageRequest{ServiceIDs: many[:MaxUsageServices]}).Validate(); err != nil {
		t.Errorf("%d services refused: %v", MaxUsageServices, err)
	}
	if b, _ := json.Marshal(UsageResponse{Result: Result{Result: ResultSuccess}}); string(b) != `{"result":"success","services":[]}` {
		t.Errorf("no services encode as %s", b)
	}
}

func TestEventRequestValidate(t *testing.T) {
	cases := []struct {
		event string
		r     EventRequest
		want  string // "" = valid
	}{
		{EventDailyCron, EventRequest{}, ""},
		{EventClientAdd, EventRequest{ClientID: 42, Email: "a@example.com"}, ""},
		{EventClientAdd, EventRequest{ClientID: 42}, "email is required"},
		{EventClientAdd, EventRequest{Email: "a@example.com"}, "client_id"},
		{EventClientEdit, EventRequest{ClientID: 42, Email: "b@example.com"}, ""},
		{EventClientEdit, EventRequest{ClientID: 42, OldEmail: "a@example.com"}, "email is required"},
		{EventClientEdit, EventRequest{ClientID: 42, Email: "b@example.com", OldEmail: "a@example.com"}, ""},
		{EventClientClose, EventRequest{ClientID: 42, AdminID: 1}, ""},
		{EventClientDelete, EventRequest{}, "client_id"},
		{EventClientDelete, EventRequest{ClientID: 42, AdminID: -1}, "admin_id"},
		{EventClientAdd, EventRequest{ClientID: 42, Email: "a@example.com\n"}, "email"},
	}
	for _, c := range cases {
		err := c.r.ValidateEvent(c.event)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s %+v: %v", c.event, c.r, err)
			}
			continue
		}
		wantCode(t, err, staas.EINVALID)
		wantMessage(t, err, c.want)
	}
	var r EventRequest
	if err := json.Unmarshal([]byte(`{"client_id":1,"userid":1}`), &r); err == nil {
		t.Error("an unknown field was accepted")
	}
}

func TestModulePaths(t *testing.T) {
	if got := ModulePath(FuncChangePackage); got != "/shim/v1/module/change-package" {
		t.Errorf("ModulePath = %s", got)
	}
	if got := ClientActionPath(ClientRevealSecret); got != "/shim/v1/module/client-action/reveal-secret" {
		t.Errorf("ClientActionPath = %s", got)
	}
	if got := EventPath(EventDailyCron); got != "/shim/v1/events/daily-cron" {
		t.Errorf("EventPath = %s", got)
	}
	for _, n := range []string{FuncCreate, FuncSuspend, FuncUnsuspend, FuncTerminate, FuncChangePackage, FuncTestConnection,
		FuncServicesTab, FuncClientArea, FuncUsageUpdate, ClientGenerateKey, ClientRevokeKey, ClientRevealSecret, ClientHideSecret,
		EventClientAdd, EventClientEdit, EventClientClose, EventClientDelete, EventDailyCron} {
		if !ValidActionName(n) {
			t.Errorf("%q is not a valid endpoint name", n)
		}
	}
}

func TestUsageUnits(t *testing.T) {
	for n, want := range map[uint64]int64{
		0: 0, 1: 1, 1<<20 - 1: 1, 1 << 20: 1, 1<<20 + 1: 2, 5 << 30: 5120,
		MaxUsageMB << 20: MaxUsageMB, MaxUsageMB<<20 + 1: MaxUsageMB, 1 << 62: MaxUsageMB, 1<<64 - 1: MaxUsageMB,
	} {
		if got := BytesToMB(n); got != want {
			t.Errorf("BytesToMB(%d) = %d, want %d", n, got, want)
		}
	}
	for gb, want := range map[uint64]int64{0: 0, 1: 1024, 100: 102400, MaxUsageMB / 1024: MaxUsageMB / 1024 * 1024, MaxUsageMB/1024 + 1: MaxUsageMB, 1<<64 - 1: MaxUsageMB} {
		if got := GBToMB(gb); got != want {
			t.Errorf("GBToMB(%d) = %d, want %d", gb, got, want)
		}
	}
}
