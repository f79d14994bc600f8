package provision_test

import (
	"context"
	"strings"
	"testing"

	"staas/internal/provision"
)

// The admin panel's limits form takes an ops value by the product
// settings' rule: a plain decimal with at most 2 decimals. ParseFloat
// alone took exponents, underscores and any precision, and sent them to
// the gateway.
func TestLimits_OpsValueFollowsTheProductRule(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	base := provision.ProductConfig{QuotaGB: "", TerminateBuckets: "fail"}
	for _, v := range []string{"1e-300", "5.555", "1_000", "1e3", "+5", "0x10", "Inf", "NaN", "1.2.3", "-1"} {
		before := e.Sim.Requests()
		_, err := e.svc.Admin.SetLimits(ctx, e.admin, provision.UserSubject(), provision.LimitsInput{OpsName: "get", OpsValue: v})
		if provision.Fields(err)["ops-value"] == "" {
			t.Errorf("ops value %q: err = %v, want a field error on ops-value", v, err)
		}
		if e.Sim.Requests() != before {
			t.Errorf("ops value %q reached the gateway", v)
		}
		// The product's module settings refuse the same values.
		p := base
		p.OpsGet = v
		if err := p.Validate(); err == nil {
			t.Errorf("product setting ops_get %q accepted", v)
		}
	}
	_, err := e.svc.Admin.SetLimits(ctx, e.admin, provision.UserSubject(), provision.LimitsInput{OpsName: "get", OpsValue: "5.555"})
	if msg := provision.Fields(err)["ops-value"]; !strings.Contains(msg, "2 decimals") {
		t.Errorf("5.555: %q, want the message to say at most 2 decimals", msg)
	}
	for _, v := range []string{"0", "5", "5.5", "5.55", ".5", "1000000000"} {
		if _, err := e.svc.Admin.SetLimits(ctx, e.admin, provision.UserSubject(), provision.LimitsInput{OpsName: "get", OpsValue: v}); err != nil {
			t.Errorf("ops value %q refused: %v", v, err)
			continue
		}
		p := base
		p.OpsGet = v
		if err := p.Validate(); err != nil {
			t.Errorf("product setting ops_get %q refused: %v", v, err)
		}
	}
}
