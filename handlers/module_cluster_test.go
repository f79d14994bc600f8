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
// from, before anything reaches the gateway; a good name and none are
// accepted (routing by cluster is provision's, not the protocol's).
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

	for _, cluster := range []string{"", "eu-west-2"} {
		r := moduleReq(nil)
		r.Cluster = cluster
		a.module(whmcsbridge.FuncTestConnection, r)
	}
}
