package provision_test

import (
	"context"
	"testing"

	"staas"
	"staas/internal/ostor"
	"staas/internal/provision"
)

// RevealSecret itself refuses a view-only admin, whoever calls it, and
// asks the gateway nothing.
func TestRevealSecret_NeedsServerOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	u, err := e.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	viewer := provision.Actor{Admin: staas.Admin{ID: 8, Permissions: []string{staas.PermViewClientSummary}}, ClientID: 1}
	before := e.Sim.Requests()
	secret, err := e.svc.RevealSecret(ctx, viewer, u.Keys[0].AccessKeyID)
	wantCode(t, err, staas.EFORBIDDEN, staas.PermServerOperations)
	if secret != "" || e.Sim.Requests() != before {
		t.Error("a refused reveal returned a secret or reached the gateway")
	}
	if got, err := e.svc.RevealSecret(ctx, e.admin, u.Keys[0].AccessKeyID); err != nil || got != u.Keys[0].SecretAccessKey {
		t.Errorf("an admin with the permission: %q, %v", got, err)
	}
}
