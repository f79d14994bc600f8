package provision_test

import (
	"context"
	"errors"
	"testing"

	"staas"
	"staas/internal/provision"
	"staas/internal/store"
)

// RevealSecret itself refuses a view-only admin, whoever calls it, and
// asks the gateway nothing.
func TestRevealSecret_NeedsServerOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	u, err := e.Gateway.User(ctx, staas.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	viewer := provision.Actor{Admin: staas.Admin{ID: 8, Permissions: []string{staas.PermViewClientSummary}}, ClientID: 1}
	before := e.Sim.Requests()
	secret, err := e.svc.Admin.RevealSecret(ctx, viewer, u.Keys[0].AccessKeyID)
	wantCode(t, err, staas.EFORBIDDEN, staas.PermServerOperations)
	if secret != "" || e.Sim.Requests() != before {
		t.Error("a refused reveal returned a secret or reached the gateway")
	}
	if got, err := e.svc.Admin.RevealSecret(ctx, e.admin, u.Keys[0].AccessKeyID); err != nil || got != u.Keys[0].SecretAccessKey {
		t.Errorf("an admin with the permission: %q, %v", got, err)
	}
}

// failingAudit is staas's store with an audit log that refuses rows.
type failingAudit struct{ *store.Store }

func (failingAudit) AddAudit(context.Context, staas.AuditEntry) (int64, error) {
	return 0, errors.New("disk full")
}

// A client's own reveal is recorded before the secret is handed out: when
// the audit log refuses the row, the client gets no secret.
func TestServiceRevealSecret_RefusedWhenItCannotBeRecorded(t *testing.T) {
	e := newLC(t, lcOptions{})
	ctx := context.Background()
	m := e.created(t)
	u, err := e.Gateway.User(ctx, staas.ByEmail(m.Email))
	if err != nil {
		t.Fatal(err)
	}
	alice := provision.Actor{Kind: provision.ActorClient, ClientID: 1}
	broken := provision.New(provision.Config{Gateway: e.gw, Store: failingAudit{e.Store}, WHMCS: e.whmcs, Now: e.Sim.Now})
	secret, err := broken.Lifecycle.ServiceRevealSecret(ctx, alice, ref(1001), u.Keys[0].AccessKeyID)
	wantCode(t, err, staas.EUNAVAILABLE, "audit")
	if secret != "" {
		t.Fatal("the secret was handed out although the reveal could not be recorded")
	}
	// With a working audit log the reveal is recorded, as "ok".
	if secret, err := e.svc.Lifecycle.ServiceRevealSecret(ctx, alice, ref(1001), u.Keys[0].AccessKeyID); err != nil || secret != u.Keys[0].SecretAccessKey {
		t.Fatalf("reveal: %q, %v", secret, err)
	}
	entries, err := e.Store.Audit(ctx, store.AuditFilter{ClientID: 1, Limit: 1})
	if err != nil || len(entries) != 1 || entries[0].Action != "service-reveal-secret" || entries[0].Result != "ok" || entries[0].Params["user_id"] != u.ID {
		t.Errorf("audit = %+v, %v", entries, err)
	}
}
