package provision_test

import (
	"context"
	"strings"
	"testing"

	"staas"
	"staas/internal/provision"
)

// noOpsBackend is a backend without per-user ops limits, as ECS is: the
// real gateway with its capabilities narrowed.
type noOpsBackend struct{ provision.Backend }

func (noOpsBackend) Capabilities() staas.Capabilities {
	return staas.Capabilities{BandwidthLimits: true, Statistics: true}
}

// A product setting the backend cannot enforce is refused naming the
// setting, before anything is sent; a product without it works; the admin
// panel's ops limit is refused too.
func TestCapabilities_UnsupportedSettingRefusedByName(t *testing.T) {
	e := newLC(t, lcOptions{gateway: func(g provision.Gateway) provision.Gateway { return noOpsBackend{g} }})
	ctx := context.Background()

	before := e.Sim.Requests()
	_, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), limited)
	wantCode(t, err, staas.EINVALID, `Module setting "Ops limit: GET (ops/s)" and Module setting "Ops limit: PUT (ops/s)"`)
	if !strings.Contains(staas.ErrorMessage(err), `cluster "default"`) {
		t.Errorf("message %q does not name the cluster", staas.ErrorMessage(err))
	}
	if e.Sim.Requests() != before {
		t.Error("a refused product reached the gateway")
	}

	noOps := provision.ProductConfig{BandwidthOut: "2048", QuotaGB: "100"}
	m, err := e.svc.Lifecycle.CreateService(ctx, ref(1001), noOps)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := e.gw.Limits(ctx, staas.UserLimits(staas.ByID(m.UserID))); err != nil || l.BandwidthOut != 2048 || l.OpsDefault != 0 || l.OpsGet != 0 {
		t.Fatalf("limits %+v, %v", l, err)
	}
	wantCode(t, e.svc.Lifecycle.ChangeServicePackage(ctx, ref(1001), limited), staas.EINVALID, `Module setting "Ops limit: GET (ops/s)"`)

	admin := provision.Actor{ClientID: 1, Admin: staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}}
	if _, err := e.svc.Admin.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Admin.SetLimits(ctx, admin, provision.UserSubject(), provision.LimitsInput{OpsName: "get", OpsValue: "5"})
	wantCode(t, err, staas.EINVALID, "An ops limit is not supported")
}

func TestCapabilities_PerCluster(t *testing.T) {
	e := newLC(t, lcOptions{gateway: func(g provision.Gateway) provision.Gateway { return noOpsBackend{g} }})
	if c := e.svc.Admin.Capabilities(""); c.OpsLimits || !c.BandwidthLimits {
		t.Errorf("default: %+v", c)
	}
	if c := e.svc.Admin.Capabilities("nowhere"); c != (staas.Capabilities{}) {
		t.Errorf("unknown cluster: %+v", c)
	}
}

// noStatsBackend is a backend that keeps no statistics objects.
type noStatsBackend struct{ provision.Backend }

func (noStatsBackend) Capabilities() staas.Capabilities {
	return staas.Capabilities{OpsLimits: true, BandwidthLimits: true}
}

// The statistics actions are refused, naming the cluster, on a cluster
// that keeps no statistics objects, and nothing is sent.
func TestCapabilities_NoStatistics(t *testing.T) {
	e := newLC(t, lcOptions{gateway: func(g provision.Gateway) provision.Gateway { return noStatsBackend{g} }})
	ctx := context.Background()
	admin := provision.Actor{ClientID: 1, Admin: staas.Admin{ID: 1, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}}
	before := e.Sim.Requests()
	_, err := e.svc.Admin.StatsPage(ctx, admin, "")
	wantCode(t, err, staas.EINVALID, `cluster "default" keeps no statistics objects`)
	_, err = e.svc.Admin.StatsObject(ctx, admin, "s3-usage-0000000000000001")
	wantCode(t, err, staas.EINVALID, "keeps no statistics objects")
	if e.Sim.Requests() != before {
		t.Error("a refused statistics action reached the gateway")
	}
}
