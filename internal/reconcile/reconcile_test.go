package reconcile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/reconcile"
	"staas/internal/store"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
	"staas/standin/whmcssim"
)

// fakeWHMCS answers statuses from maps, as WHMCS's tables would.
type fakeWHMCS struct {
	services map[int64]string
	clients  map[int64]string
}

func (f *fakeWHMCS) ServiceStatuses(_ context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for _, id := range ids {
		if s, ok := f.services[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

func (f *fakeWHMCS) ClientStatuses(_ context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for _, id := range ids {
		if s, ok := f.clients[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

type fixture struct {
	w     *testworld.World
	whmcs *fakeWHMCS
	r     *reconcile.Reconciler
}

func newFixture(t *testing.T) *fixture {
	w := testworld.New(t, testworld.Options{})
	f := &fixture{w: w, whmcs: &fakeWHMCS{services: map[int64]string{}, clients: map[int64]string{}}}
	f.r = &reconcile.Reconciler{Cluster: "default", IsDefault: true, Backend: w.Gateway, WHMCS: f.whmcs,
		Mappings: w.Store, Audit: w.Store, Leases: w.Store, Owner: "test", Ignore: []string{ostorsim.DefaultSystemEmail}}
	return f
}

// user makes a gateway user mapped to a service (0: client-level).
func (f *fixture) user(t *testing.T, clientID, serviceID int64, email, serviceStatus string) staas.S3User {
	t.Helper()
	ctx := context.Background()
	keys, err := f.w.Gateway.CreateUser(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	m := staas.S3User{ClientID: clientID, ServiceID: serviceID, Cluster: "default", UserID: keys.ID, Email: email}
	if err := f.w.Store.SaveS3User(ctx, m); err != nil {
		t.Fatal(err)
	}
	if serviceID != 0 {
		f.whmcs.services[serviceID] = serviceStatus
	}
	if _, ok := f.whmcs.clients[clientID]; !ok {
		f.whmcs.clients[clientID] = "Active"
	}
	return m
}

func (f *fixture) enabled(t *testing.T, email string) bool {
	t.Helper()
	u, err := f.w.Gateway.User(context.Background(), staas.ByEmail(email))
	if err != nil {
		t.Fatal(err)
	}
	return u.Enabled()
}

func run(t *testing.T, f *fixture, dry bool) reconcile.Report {
	t.Helper()
	rep, err := f.r.Run(context.Background(), dry)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unchecked) > 0 {
		t.Fatalf("unchecked: %v", rep.Unchecked)
	}
	return rep
}

func kinds(rep reconcile.Report) map[string]int { return rep.Counts }

func TestReconcile_SuspendedWhileDownIsDisabledAndReported(t *testing.T) {
	f := newFixture(t)
	f.user(t, 1, 10, "s10@example.com", "Suspended")
	f.user(t, 1, 11, "s11@example.com", "Active")
	rep := run(t, f, false)
	if f.enabled(t, "s10@example.com") {
		t.Fatal("the suspended service's user is still enabled")
	}
	if !f.enabled(t, "s11@example.com") {
		t.Fatal("the Active service's user was disabled")
	}
	if len(rep.Items) != 1 || rep.Items[0].Kind != reconcile.KindSuspendedEnabled || rep.Items[0].Action != reconcile.ActionDisabled || rep.Items[0].ServiceID != 10 {
		t.Fatalf("items: %+v", rep.Items)
	}
	if !strings.Contains(rep.Items[0].Line(), "service 10") || !strings.Contains(rep.Items[0].Line(), "Suspended") {
		t.Fatalf("line: %s", rep.Items[0].Line())
	}
	audit, err := f.w.Store.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != reconcile.AuditActionReconcile || audit[0].Actor != staas.AuditActorWHMCS || audit[0].ClientID != 1 || audit[0].Result != "ok" {
		t.Fatalf("audit: %+v", audit)
	}
	// Twice changes nothing the second time.
	rep = run(t, f, false)
	if len(rep.Items) != 0 {
		t.Fatalf("second run: %+v", rep.Items)
	}
	audit, _ = f.w.Store.Audit(context.Background(), store.AuditFilter{})
	if len(audit) != 1 {
		t.Fatalf("second run wrote audit rows: %+v", audit)
	}
}

func TestReconcile_DryRunChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.user(t, 1, 10, "s10@example.com", "Suspended")
	rep := run(t, f, true)
	if !f.enabled(t, "s10@example.com") {
		t.Fatal("dry run disabled a user")
	}
	if len(rep.Items) != 1 || rep.Items[0].Action != reconcile.ActionWouldDisable {
		t.Fatalf("items: %+v", rep.Items)
	}
	audit, _ := f.w.Store.Audit(context.Background(), store.AuditFilter{})
	if len(audit) != 0 {
		t.Fatalf("dry run wrote audit rows: %+v", audit)
	}
}

func TestReconcile_ClosedClientsUsersAreDisabled(t *testing.T) {
	f := newFixture(t)
	f.user(t, 2, 0, "c2@example.com", "")
	f.user(t, 2, 20, "s20@example.com", "Active")
	f.whmcs.clients[2] = "Closed"
	rep := run(t, f, false)
	if f.enabled(t, "c2@example.com") || f.enabled(t, "s20@example.com") {
		t.Fatal("a closed client's user is still enabled")
	}
	if kinds(rep)[reconcile.KindClosedEnabled] != 2 || rep.Converged() != 2 {
		t.Fatalf("report: %+v", rep)
	}
	if rep = run(t, f, false); len(rep.Items) != 0 {
		t.Fatalf("second run: %+v", rep.Items)
	}
}

func TestReconcile_TerminatedWithBucketsIsReportedNotDeleted(t *testing.T) {
	f := newFixture(t)
	f.user(t, 1, 30, "s30@example.com", "Terminated")
	if err := f.w.Sim.CreateBucket("s30@example.com", "keep-me"); err != nil {
		t.Fatal(err)
	}
	rep := run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].Kind != reconcile.KindTerminatedExists || rep.Items[0].Action != reconcile.ActionReportedOnly ||
		!strings.Contains(rep.Items[0].Gateway, "1 bucket") {
		t.Fatalf("items: %+v", rep.Items)
	}
	if !f.w.Sim.HasBucket("keep-me") {
		t.Fatal("the bucket is gone")
	}
	if _, err := f.w.Gateway.User(context.Background(), staas.ByEmail("s30@example.com")); err != nil {
		t.Fatalf("the user is gone: %v", err)
	}
}

func TestReconcile_UnmappedGatewayUserIsReported(t *testing.T) {
	f := newFixture(t)
	if _, err := f.w.Gateway.CreateUser(context.Background(), "stray@example.com"); err != nil {
		t.Fatal(err)
	}
	rep := run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].Kind != reconcile.KindUnknownUser || rep.Items[0].Email != "stray@example.com" || rep.Items[0].Action != reconcile.ActionReportedOnly {
		t.Fatalf("items: %+v", rep.Items)
	}
	if !f.enabled(t, "stray@example.com") {
		t.Fatal("an unmapped user was disabled")
	}
}

func TestReconcile_ActiveButDisabledIsReportedNotEnabled(t *testing.T) {
	f := newFixture(t)
	f.user(t, 1, 40, "s40@example.com", "Active")
	if err := f.w.Gateway.DisableUser(context.Background(), "s40@example.com"); err != nil {
		t.Fatal(err)
	}
	rep := run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].Kind != reconcile.KindActiveDisabled || rep.Items[0].Action != reconcile.ActionReportedOnly {
		t.Fatalf("items: %+v", rep.Items)
	}
	if f.enabled(t, "s40@example.com") {
		t.Fatal("the reconciler enabled a user")
	}
}

func TestReconcile_LeaseHeldElsewhereSkips(t *testing.T) {
	f := newFixture(t)
	f.user(t, 1, 10, "s10@example.com", "Suspended")
	ok, _, err := f.w.Store.AcquireLease(context.Background(), reconcile.LeaseName("default"), "other", time.Now(), time.Hour)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	rep, err := f.r.Run(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Held != "other" || !f.enabled(t, "s10@example.com") {
		t.Fatalf("report %+v", rep)
	}
}

// The same comparison over WHMCS's own tables (whmcs.DB's bulk reads).
func TestReconcile_ReadsWHMCSTables(t *testing.T) {
	f := newFixture(t)
	f.r.WHMCS = f.w.WHMCS
	ctx := context.Background()
	f.user(t, 1, 10, "s10@example.com", "")
	f.user(t, 1, 11, "s11@example.com", "")
	for id, st := range map[int64]string{10: "Suspended", 11: "Active"} {
		if err := whmcssim.SetService(ctx, f.w.WHMCSDB, id, 1, st); err != nil {
			t.Fatal(err)
		}
	}
	rep := run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].ServiceID != 10 || rep.Items[0].Action != reconcile.ActionDisabled {
		t.Fatalf("items: %+v", rep.Items)
	}
	if err := whmcssim.SetClientStatus(ctx, f.w.WHMCSDB, 1, "Closed"); err != nil {
		t.Fatal(err)
	}
	rep = run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].ServiceID != 11 || rep.Items[0].Kind != reconcile.KindClosedEnabled || f.enabled(t, "s11@example.com") {
		t.Fatalf("items: %+v", rep.Items)
	}
}

// A user the reconciler disabled is enabled again when WHMCS says Active
// once more; one disabled by anybody else stays disabled (above).
func TestReconcile_EnablesOnlyWhatItDisabled(t *testing.T) {
	f := newFixture(t)
	f.user(t, 1, 10, "s10@example.com", "Suspended")
	run(t, f, false)
	if f.enabled(t, "s10@example.com") {
		t.Fatal("not disabled")
	}
	f.whmcs.services[10] = "Active"
	rep := run(t, f, true)
	if len(rep.Items) != 1 || rep.Items[0].Action != reconcile.ActionWouldEnable || f.enabled(t, "s10@example.com") {
		t.Fatalf("dry run: %+v", rep.Items)
	}
	rep = run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].Action != reconcile.ActionEnabled || !f.enabled(t, "s10@example.com") {
		t.Fatalf("items: %+v", rep.Items)
	}
	if rep = run(t, f, false); len(rep.Items) != 0 {
		t.Fatalf("second run: %+v", rep.Items)
	}
	audit, _ := f.w.Store.Audit(context.Background(), store.AuditFilter{})
	if len(audit) != 2 || audit[0].Action != reconcile.AuditActionReenable {
		t.Fatalf("audit: %+v", audit)
	}
}

// A quota changed on the gateway behind staas's back is set back to the
// product's; a product without a quota has the user's removed.
func TestReconcile_ReappliesTheProductsQuota(t *testing.T) {
	f := newFixture(t)
	f.r.WHMCS = f.w.WHMCS
	ctx := context.Background()
	m := f.user(t, 1, 10, "s10@example.com", "")
	f.user(t, 1, 11, "s11@example.com", "")
	for id := range int64(2) {
		if err := whmcssim.SetService(ctx, f.w.WHMCSDB, 10+id, 1, "Active"); err != nil {
			t.Fatal(err)
		}
	}
	if err := whmcssim.SetProductQuota(ctx, f.w.WHMCSDB, 1, 10, "100"); err != nil {
		t.Fatal(err)
	}
	if err := whmcssim.SetProductQuota(ctx, f.w.WHMCSDB, 2, 11, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.w.Gateway.SetQuota(ctx, staas.UserQuota(staas.ByEmail("s11@example.com")), 5); err != nil {
		t.Fatal(err)
	}
	rep := run(t, f, true)
	if rep.Counts[reconcile.KindQuotaDiffers] != 2 {
		t.Fatalf("dry run: %+v", rep.Items)
	}
	rep = run(t, f, false)
	if rep.Counts[reconcile.KindQuotaDiffers] != 2 || rep.Converged() != 2 {
		t.Fatalf("items: %+v", rep.Items)
	}
	q, err := f.w.Gateway.Quota(ctx, staas.UserQuota(staas.ByID(m.UserID)))
	if err != nil || q.SizeGB != 100 {
		t.Fatalf("quota %+v, %v", q, err)
	}
	if rep = run(t, f, false); len(rep.Items) != 0 {
		t.Fatalf("second run: %+v", rep.Items)
	}
}

// A mapping whose user is gone from the gateway is reported; one of a
// terminated service is as it should be.
func TestReconcile_MappedUserGoneIsReported(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.user(t, 1, 50, "s50@example.com", "Active")
	f.user(t, 1, 51, "s51@example.com", "Terminated")
	for _, e := range []string{"s50@example.com", "s51@example.com"} {
		if err := f.w.Gateway.DeleteUser(ctx, staas.ByEmail(e)); err != nil {
			t.Fatal(err)
		}
	}
	rep := run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].Kind != reconcile.KindMissingUser || rep.Items[0].ServiceID != 50 || rep.Items[0].Gateway != "absent" {
		t.Fatalf("items: %+v", rep.Items)
	}
}

// Mappings of another cluster are not this one's: neither compared
// here nor their users reported missing.
func TestReconcile_OnlyItsOwnCluster(t *testing.T) {
	w := testworld.New(t, testworld.Options{Clusters: []string{"eu-2"}})
	wh := &fakeWHMCS{services: map[int64]string{60: "Suspended"}, clients: map[int64]string{1: "Active"}}
	ctx := context.Background()
	keys, err := w.Clusters["eu-2"].Gateway.CreateUser(ctx, "s60@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Store.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 60, Cluster: "eu-2", UserID: keys.ID, Email: "s60@example.com"}); err != nil {
		t.Fatal(err)
	}
	def := &reconcile.Reconciler{Cluster: "default", IsDefault: true, Backend: w.Gateway, WHMCS: wh, Mappings: w.Store, Audit: w.Store, Ignore: []string{ostorsim.DefaultSystemEmail}}
	rep, err := def.Run(ctx, false)
	if err != nil || len(rep.Items) != 0 || rep.Checked != 0 {
		t.Fatalf("default: %+v %v", rep, err)
	}
	eu := &reconcile.Reconciler{Cluster: "eu-2", Backend: w.Clusters["eu-2"].Gateway, WHMCS: wh, Mappings: w.Store, Audit: w.Store, Ignore: []string{ostorsim.DefaultSystemEmail}}
	rep, err = eu.Run(ctx, false)
	if err != nil || len(rep.Items) != 1 || rep.Items[0].Action != reconcile.ActionDisabled || rep.Items[0].Cluster != "eu-2" {
		t.Fatalf("eu-2: %+v %v", rep, err)
	}
}

// A user whose client or service WHMCS no longer has is reported, not
// touched.
func TestReconcile_UnknownClientOrServiceIsReported(t *testing.T) {
	f := newFixture(t)
	f.user(t, 7, 70, "s70@example.com", "Active")
	f.user(t, 1, 71, "s71@example.com", "Active")
	delete(f.whmcs.clients, 7)
	delete(f.whmcs.services, 71)
	rep := run(t, f, false)
	if rep.Counts[reconcile.KindClientUnknown] != 1 || rep.Counts[reconcile.KindServiceUnknown] != 1 || rep.Converged() != 0 {
		t.Fatalf("items: %+v", rep.Items)
	}
	if !f.enabled(t, "s70@example.com") || !f.enabled(t, "s71@example.com") {
		t.Fatal("a user was disabled")
	}
}

// A suspended service on a product with a quota: the reconciler disables
// its user and re-applies the quota in one run. When WHMCS says Active
// again, the user is enabled: the quota's audit row, written after the
// disable's, does not hide that the reconciler disabled it (found by the
// kill test, where such users stayed disabled).
func TestReconcile_QuotaRowDoesNotHideItsDisable(t *testing.T) {
	f := newFixture(t)
	f.r.WHMCS = f.w.WHMCS
	ctx := context.Background()
	f.user(t, 1, 10, "s10@example.com", "")
	if err := whmcssim.SetService(ctx, f.w.WHMCSDB, 10, 1, "Suspended"); err != nil {
		t.Fatal(err)
	}
	if err := whmcssim.SetProductQuota(ctx, f.w.WHMCSDB, 1, 10, "7"); err != nil {
		t.Fatal(err)
	}
	if rep := run(t, f, false); rep.Converged() != 2 || f.enabled(t, "s10@example.com") {
		t.Fatalf("first run: %+v", rep.Items)
	}
	if err := whmcssim.SetService(ctx, f.w.WHMCSDB, 10, 1, "Active"); err != nil {
		t.Fatal(err)
	}
	rep := run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].Action != reconcile.ActionEnabled || !f.enabled(t, "s10@example.com") {
		t.Fatalf("items: %+v", rep.Items)
	}
}

// auditAtDisable records, as the gateway disables a user, whether the
// reconciler's audit row of that disable is already written: a staas
// killed right after the gateway's answer must have left it, or the
// reconciler would never enable the user again.
type auditAtDisable struct {
	reconcile.Backend
	audit   reconcile.Audit
	written []bool
}

func (b *auditAtDisable) DisableUser(ctx context.Context, email string) error {
	rows, err := b.audit.Audit(ctx, store.AuditFilter{Limit: 1})
	b.written = append(b.written, err == nil && len(rows) == 1 && rows[0].Action == reconcile.AuditActionReconcile)
	return b.Backend.DisableUser(ctx, email)
}

func TestReconcile_AuditRowBeforeTheDisable(t *testing.T) {
	f := newFixture(t)
	b := &auditAtDisable{Backend: f.w.Gateway, audit: f.w.Store}
	f.r.Backend = b
	f.user(t, 1, 10, "s10@example.com", "Suspended")
	rep := run(t, f, false)
	if len(rep.Items) != 1 || rep.Items[0].Action != reconcile.ActionDisabled || f.enabled(t, "s10@example.com") {
		t.Fatalf("items: %+v", rep.Items)
	}
	if len(b.written) != 1 || !b.written[0] {
		t.Fatalf("the audit row was not written before the gateway disabled the user: %v", b.written)
	}
	// One row for one disable.
	audit, _ := f.w.Store.Audit(context.Background(), store.AuditFilter{})
	if len(audit) != 1 || audit[0].Result != "ok" {
		t.Fatalf("audit: %+v", audit)
	}
}

// failingDisable is a gateway that refuses to disable anybody.
type failingDisable struct{ reconcile.Backend }

func (failingDisable) DisableUser(context.Context, string) error {
	return staas.Errorf(staas.EUNAVAILABLE, "gateway down")
}

// A disable the gateway refused leaves the refusal as the user's last
// audit row, so it is not taken for the reconciler's own disable.
func TestReconcile_RefusedDisableIsAuditedAsRefused(t *testing.T) {
	f := newFixture(t)
	f.r.Backend = failingDisable{f.w.Gateway}
	f.user(t, 1, 10, "s10@example.com", "Suspended")
	rep := run(t, f, false)
	if len(rep.Items) != 1 || !strings.HasPrefix(rep.Items[0].Action, "failed: ") || !f.enabled(t, "s10@example.com") {
		t.Fatalf("items: %+v", rep.Items)
	}
	// The report counts it, so the daily line and the command's exit
	// status tell the admin.
	if rep.Failed() != 1 || rep.Converged() != 0 {
		t.Fatalf("failed %d, converged %d", rep.Failed(), rep.Converged())
	}
	audit, _ := f.w.Store.Audit(context.Background(), store.AuditFilter{})
	if len(audit) == 0 || audit[0].Result != string(staas.EUNAVAILABLE) || !strings.Contains(audit[0].Message, "could not disable") {
		t.Fatalf("audit: %+v", audit)
	}
}
