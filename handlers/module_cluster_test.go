package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"staas"
	"staas/whmcsbridge"
)

// TestModule_ClusterName: a module or usage call whose "cluster" is not a
// cluster name is refused 400, naming the field and where the name comes
// from, before anything reaches the gateway; so is a name staas has no
// cluster for; none is the default cluster.
func TestModule_ClusterName(t *testing.T) {
	a := newModuleApp(t, nil)
	bad := "EU West"
	calls := map[string]any{}
	for _, fn := range []string{whmcsbridge.FuncCreate, whmcsbridge.FuncSuspend, whmcsbridge.FuncTestConnection} {
		r := moduleReq(nil)
		r.Cluster = bad
		calls[whmcsbridge.ModulePath(fn)] = r
	}
	r := moduleReq(nil)
	r.Cluster = bad
	calls[whmcsbridge.ClientActionPath(whmcsbridge.ClientGenerateKey)] = r
	for _, fn := range []string{whmcsbridge.FuncUsageUpdate, whmcsbridge.FuncMetrics} {
		calls[whmcsbridge.ModulePath(fn)] = whmcsbridge.UsageRequest{ServerID: 1, ServiceIDs: []int64{aliceService}, Cluster: bad}
	}
	before := a.Sim.Requests()
	for path, req := range calls {
		status, body := a.call(path, req)
		msg, _ := body["message"].(string)
		if status != http.StatusBadRequest || body["code"] != staas.EINVALID ||
			!strings.Contains(msg, `cluster "EU West" is not a cluster name`) || !strings.Contains(msg, "Username field") {
			t.Errorf("%s: %d %v, want 400 naming the cluster", path, status, body)
		}
	}
	if n := a.Sim.Requests() - before; n != 0 {
		t.Errorf("%d gateway requests for refused calls", n)
	}

	// A well-formed name staas has no cluster for is refused too, saying
	// so, and nothing is sent; none means the default cluster.
	before = a.Sim.Requests()
	r = moduleReq(nil)
	r.Cluster = "eu-west-2"
	status, body := a.call(whmcsbridge.ModulePath(whmcsbridge.FuncTestConnection), r)
	if msg, _ := body["message"].(string); status != http.StatusBadRequest || !strings.Contains(msg, `no cluster named "eu-west-2"`) {
		t.Errorf("unknown cluster: %d %v", status, body)
	}
	if n := a.Sim.Requests() - before; n != 0 {
		t.Errorf("%d gateway requests for an unknown cluster", n)
	}
	a.module(whmcsbridge.FuncTestConnection, moduleReq(nil))
}
