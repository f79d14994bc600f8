package provision_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"staas"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/testworld"
)

// refusingAudit is staas's store with an audit log that refuses rows.
type refusingAudit struct{ *store.Store }

func (refusingAudit) AddAudit(context.Context, staas.AuditEntry) (int64, error) {
	return 0, errors.New("disk full")
}

// The admin area's steps record what they refuse: an admin without the
// permission, a failed check, a wrong typed name; an action that fails is
// recorded, one that works is recorded only when audited.
func TestAdminPanel_StepsRecordTheirRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	viewer := provision.Actor{Admin: staas.Admin{ID: 9, Permissions: []string{staas.PermViewClientSummary}}, ClientID: 1}
	del := provision.Action{Name: "delete-user", Change: true, Audit: true, Params: map[string]string{"confirm": "yes"}}

	if !e.svc.Admin.MayView(viewer) || e.svc.Admin.MayChange(viewer) || !e.svc.Admin.MayChange(e.admin) {
		t.Fatal("MayView/MayChange do not follow the WHMCS role")
	}
	wantCode(t, e.svc.Admin.Authorize(ctx, viewer, del), staas.EFORBIDDEN, "Perform Server Operations")
	if err := e.svc.Admin.Authorize(ctx, viewer, provision.Action{Name: "toggle-user"}); err != nil {
		t.Fatalf("a viewer may look: %v", err)
	}
	nobody := provision.Actor{Admin: staas.Admin{Permissions: viewer.Admin.Permissions}, ClientID: 1}
	wantCode(t, e.svc.Admin.Authorize(ctx, nobody, provision.Action{Name: "toggle-user"}), staas.EFORBIDDEN, "")
	checked := errors.New("no such key")
	if err := e.svc.Admin.Check(ctx, e.admin, provision.Action{Name: "revoke-key", Change: true}, func() error { return checked }); err != checked {
		t.Fatalf("Check = %v, want the check's error", err)
	}
	purge := provision.Action{Name: "purge-bucket", Change: true, Params: map[string]string{"bucket": "data"}}
	if err := e.svc.Admin.ConfirmTyped(ctx, e.admin, purge, "data", "data"); err != nil {
		t.Fatalf("the right name: %v", err)
	}
	wantCode(t, e.svc.Admin.ConfirmTyped(ctx, e.admin, purge, "data", "dat"), staas.EINVALID, "nothing was deleted")
	wantCode(t, e.svc.Admin.ConfirmTyped(ctx, e.admin, purge, "", ""), staas.EINVALID, "nothing was deleted")
	if _, err := e.svc.Admin.Run(ctx, e.admin, provision.Action{Name: "toggle-user"}, func(context.Context) (string, error) { return "", nil }); err != nil {
		t.Fatal(err)
	}
	ran := false
	if _, err := e.svc.Admin.Run(ctx, e.admin, provision.Action{Name: "stats-get"}, func(context.Context) (string, error) {
		ran = true
		return "", staas.Errorf(staas.ENOTFOUND, "No such object.")
	}); !ran || staas.ErrorCode(err) != staas.ENOTFOUND || provision.NotRecorded(err) {
		t.Fatalf("Run = %v (ran %v), want the action's own error", err, ran)
	}

	rows, err := e.Store.Audit(ctx, store.AuditFilter{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Action+"="+r.Result)
	}
	// Newest first; nobody's refusal names no admin and is not recorded,
	// nor is a look that worked.
	want := "stats-get=not_found purge-bucket=invalid purge-bucket=invalid revoke-key=internal delete-user=forbidden"
	if strings.Join(got, " ") != want {
		t.Fatalf("audit = %q, want %q", strings.Join(got, " "), want)
	}
}

// An audited action whose row cannot be written does not run; the
// refusal says so (NotRecorded) and is the admin's flash.
func TestAdminPanel_RunRefusesWhatItCannotRecord(t *testing.T) {
	w := testworld.New(t, testworld.Options{Clients: clients})
	svc := provision.New(provision.Config{Gateway: w.Gateway, Store: refusingAudit{w.Store}, WHMCS: w.Bridge, Now: w.Sim.Now})
	ctx := context.Background()
	admin := provision.Actor{Admin: staas.Admin{ID: 7, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}, ClientID: 1}
	ran := false
	_, err := svc.Admin.Run(ctx, admin, provision.Action{Name: "reveal-secret", Change: true, Audit: true}, func(context.Context) (string, error) {
		ran = true
		return "", nil
	})
	if ran || !provision.NotRecorded(err) || staas.ErrorCode(err) != staas.EUNAVAILABLE {
		t.Fatalf("Run = %v (ran %v), want refused unrun, NotRecorded", err, ran)
	}
	if f, _ := w.Store.TakeFlashes(ctx, 7, 1); len(f) != 1 || !strings.Contains(f[0].Message, "audit log") {
		t.Fatalf("flashes = %+v, want the refusal", f)
	}
	if provision.NotRecorded(staas.Errorf(staas.EUNAVAILABLE, "The gateway is down.")) {
		t.Fatal("NotRecorded of an ordinary error")
	}
}
