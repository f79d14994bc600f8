package provision_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
)

// env is one client's world: the gateway simulator, staas's store, and a
// WHMCS database holding the clients, all real parts.
type env struct {
	*testworld.World
	svc   *provision.Services
	admin provision.Actor // full permissions on client 1
}

var clients = []staas.Client{
	{ID: 1, FirstName: "Alice", LastName: "Archer", Email: "alice@example.com", Status: "Active"},
	{ID: 2, FirstName: "Bob", LastName: "Baker", Email: "bob@example.com", Status: "Active"},
}

func newEnv(t *testing.T) *env {
	t.Helper()
	w := testworld.New(t, testworld.Options{Clients: clients})
	svc := provision.New(provision.Config{Gateway: w.Gateway, Store: w.Store, WHMCS: w.Bridge, Now: w.Sim.Now})
	return &env{World: w, svc: svc,
		admin: provision.Actor{Admin: staas.Admin{ID: 7, Permissions: []string{staas.PermViewClientSummary, staas.PermServerOperations}}, ClientID: 1}}
}

// notes returns the text of client id's notes.
func (e *env) notes(t *testing.T, id int64) []string { return e.Notes(t, id) }

func wantCode(t *testing.T, err error, code string, msgPart string) {
	t.Helper()
	if got := staas.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if !strings.Contains(staas.ErrorMessage(err), msgPart) {
		t.Fatalf("message %q does not say %q", staas.ErrorMessage(err), msgPart)
	}
}

func TestCreateUser_MapsClientAndWritesGuideNote(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.svc.Admin.CreateUser(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "alice@example.com" || u.ClientID != 1 || u.UserID == "" {
		t.Fatalf("mapping = %+v", u)
	}
	saved, err := e.Store.S3User(ctx, 1, 0)
	if err != nil || saved.UserID != u.UserID {
		t.Fatalf("stored mapping = %+v, %v", saved, err)
	}
	gu, err := e.Gateway.User(ctx, staas.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	want := "UserId: " + gu.ID + "\nAWSAccessKeyId: " + gu.Keys[0].AccessKeyID + "\nAWSSecretAccessKey: " + gu.Keys[0].SecretAccessKey
	if got := e.notes(t, 1); len(got) != 1 || got[0] != want {
		t.Fatalf("notes = %q, want exactly the guide's note %q", got, want)
	}
	// A second click is refused with the user it already has.
	_, err = e.svc.Admin.CreateUser(ctx, e.admin)
	wantCode(t, err, staas.ECONFLICT, u.UserID)
}

func TestCreateUser_LinksAnExistingUserButNeverAnotherClients(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// The gateway already has alice (say, a creation whose answer was lost).
	if _, err := e.Gateway.CreateUser(ctx, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.Admin.CreateUser(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	flashes, _ := e.Store.TakeFlashes(ctx, 7, 1)
	if len(flashes) != 1 || !strings.Contains(flashes[0].Message, "already existed") {
		t.Fatalf("flashes = %+v, want the admin told the user was linked", flashes)
	}
	// Client 2 now claims the same user id through the same email: refused.
	if err := e.Store.DeleteS3User(ctx, 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SaveS3User(ctx, staas.S3User{ClientID: 2, Cluster: "default", UserID: u.UserID, Email: u.Email}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Admin.CreateUser(ctx, e.admin)
	wantCode(t, err, staas.ECONFLICT, "belongs to WHMCS client 2")
}

func TestDeleteUser_RefusedWhileBucketsRemain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.svc.Admin.CreateUser(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"alice-photos", "alice-backup"} {
		if err := e.Sim.CreateBucket("alice@example.com", b); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.svc.Admin.DeleteUser(ctx, e.admin)
	wantCode(t, err, staas.ECONFLICT, "alice-photos")
	if !strings.Contains(staas.ErrorMessage(err), "alice-backup") {
		t.Errorf("the refusal lists every bucket: %q", staas.ErrorMessage(err))
	}
	if _, err := e.Gateway.User(ctx, staas.ByID(u.UserID)); err != nil {
		t.Fatalf("user gone after a refused delete: %v", err)
	}
	if len(e.notes(t, 1)) != 1 {
		t.Fatal("notes removed after a refused delete")
	}

	for _, b := range []string{"alice-photos", "alice-backup"} {
		if err := e.Sim.DeleteBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Admin.GenerateKey(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Admin.DeleteUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Gateway.User(ctx, staas.ByID(u.UserID)); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("user still on the gateway: %v", err)
	}
	if n := e.notes(t, 1); len(n) != 0 {
		t.Fatalf("notes left after delete: %q", n)
	}
	if _, err := e.Store.S3User(ctx, 1, 0); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Fatalf("mapping left after delete: %v", err)
	}
}

func TestKeys_LimitRevokeAndNotes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.Admin.GenerateKey(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Admin.GenerateKey(ctx, e.admin)
	wantCode(t, err, staas.EKEYLIMIT, "two access key pairs")
	if n := e.notes(t, 1); len(n) != 2 {
		t.Fatalf("notes = %d, want one per key pair", len(n))
	}

	// The admin picks the second pair, not whichever comes first.
	if err := e.svc.Admin.RevokeKey(ctx, e.admin, second.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	u, _ := e.svc.Admin.QueryUser(ctx, e.admin)
	if len(u.Keys) != 1 || u.Keys[0].AccessKeyID == second.AccessKeyID {
		t.Fatalf("keys after revoke = %+v", u.Keys)
	}
	n := e.notes(t, 1)
	if len(n) != 1 || strings.Contains(n[0], second.AccessKeyID) {
		t.Fatalf("notes after revoke = %q, want only the first pair's", n)
	}
	// A key of another user is refused, and nothing is revoked.
	other, err := e.Gateway.CreateUser(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	err = e.svc.Admin.RevokeKey(ctx, e.admin, other.Keys[0].AccessKeyID)
	wantCode(t, err, staas.ENOTFOUND, "has no access key")
	if bob, _ := e.Gateway.User(ctx, staas.ByEmail("bob@example.com")); len(bob.Keys) != 1 {
		t.Fatal("another user's key was revoked")
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	viewer := provision.Actor{Admin: staas.Admin{ID: 8, Permissions: []string{staas.PermViewClientSummary}}, ClientID: 1}
	nobody := provision.Actor{Admin: staas.Admin{ID: 9}, ClientID: 1}
	before := e.Sim.Requests()
	_, err := e.svc.Admin.CreateUser(ctx, viewer)
	wantCode(t, err, staas.EFORBIDDEN, staas.PermServerOperations)
	_, err = e.svc.Admin.ListUsers(ctx, nobody, "", 1, 10)
	wantCode(t, err, staas.EFORBIDDEN, staas.PermViewClientSummary)
	if e.Sim.Requests() != before {
		t.Fatal("a refused action reached the gateway")
	}
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Admin.QueryUser(ctx, viewer); err != nil {
		t.Fatalf("a viewer may query: %v", err)
	}
}

func TestLimits_FieldsOwnershipAndReadback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Gateway.CreateUser(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.CreateBucket("bob@example.com", "bob-data"); err != nil {
		t.Fatal(err)
	}

	before := e.Sim.Requests()
	_, err := e.svc.Admin.SetLimits(ctx, e.admin, provision.UserSubject(), provision.LimitsInput{OpsName: "get", OpsValue: "ten", BandwidthValue: "-5"})
	f := provision.Fields(err)
	if f["ops-value"] == "" || f["bandwidth-value"] == "" {
		t.Fatalf("field errors = %v", f)
	}
	_, err = e.svc.Admin.SetLimits(ctx, e.admin, provision.UserSubject(), provision.LimitsInput{OpsName: "get&put", OpsValue: "1"})
	if provision.Fields(err)["ops-name"] == "" {
		t.Fatalf("a made-up ops name: %v", err)
	}
	_, err = e.svc.Admin.SetLimits(ctx, e.admin, provision.UserSubject(), provision.LimitsInput{})
	if provision.Fields(err)["ops-value"] == "" {
		t.Fatalf("an empty form: %v", err)
	}
	if e.Sim.Requests() != before {
		t.Fatal("bad input reached the gateway")
	}

	l, err := e.svc.Admin.SetLimits(ctx, e.admin, provision.UserSubject(), provision.LimitsInput{OpsName: "put", OpsValue: "12.5", BandwidthName: "out", BandwidthValue: "2048"})
	if err != nil {
		t.Fatal(err)
	}
	if l.OpsPut != 12.5 || l.BandwidthOut != 2048 {
		t.Fatalf("read back %+v", l)
	}
	if _, err := e.svc.Admin.SetLimits(ctx, e.admin, provision.BucketSubject("alice-data"), provision.LimitsInput{OpsValue: "100"}); err != nil {
		t.Fatal(err)
	}
	// Bob's bucket is not Alice's to limit.
	_, err = e.svc.Admin.SetLimits(ctx, e.admin, provision.BucketSubject("bob-data"), provision.LimitsInput{OpsValue: "1"})
	if provision.Fields(err)["bucket"] == "" {
		t.Fatalf("another client's bucket: %v", err)
	}
	if bl, _ := e.Gateway.Limits(ctx, staas.BucketLimits("bob-data")); bl != nil && bl.OpsDefault != 0 {
		t.Fatal("another client's bucket was limited")
	}
	if err := e.svc.Admin.DeleteLimits(ctx, e.admin, provision.UserSubject()); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.svc.Admin.Limits(ctx, e.admin, provision.UserSubject()); l.OpsPut != 0 || l.BandwidthOut != 0 {
		t.Fatalf("limits after delete = %+v", l)
	}
}

// An empty bucket names no bucket: it is a field error on the bucket
// field, for limits and quotas alike, and never reaches the user's limits
// or quota. Only UserSubject names the user.
func TestLimitsAndQuotas_EmptyBucketIsNeverTheUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	user := staas.UserLimits(staas.ByEmail("alice@example.com"))
	if err := e.Gateway.SetOpsLimit(ctx, user, "get", 7); err != nil {
		t.Fatal(err)
	}
	if err := e.Gateway.SetQuota(ctx, staas.UserQuota(staas.ByEmail("alice@example.com")), 9); err != nil {
		t.Fatal(err)
	}
	before := e.Sim.Requests()
	wantChoose := func(what string, err error) {
		t.Helper()
		if msg := provision.Fields(err)["bucket"]; !strings.Contains(msg, "Choose one of the client's buckets") {
			t.Errorf("%s with no bucket: %v (fields %v), want the bucket field to say to choose one", what, err, provision.Fields(err))
		}
	}
	for _, sub := range []provision.Subject{provision.BucketSubject(""), {}} {
		_, err := e.svc.Admin.SetLimits(ctx, e.admin, sub, provision.LimitsInput{OpsName: "get", OpsValue: "1"})
		wantChoose("SetLimits", err)
		_, err = e.svc.Admin.Limits(ctx, e.admin, sub)
		wantChoose("Limits", err)
		wantChoose("DeleteLimits", e.svc.Admin.DeleteLimits(ctx, e.admin, sub))
		_, err = e.svc.Admin.SetQuota(ctx, e.admin, sub, "1")
		wantChoose("SetQuota", err)
		_, err = e.svc.Admin.Quota(ctx, e.admin, sub)
		wantChoose("Quota", err)
		wantChoose("DeleteQuota", e.svc.Admin.DeleteQuota(ctx, e.admin, sub))
	}
	if n := e.Sim.Requests() - before; n != 0 {
		t.Errorf("%d requests reached the gateway for no bucket", n)
	}
	// An unknown bucket says the same, naming it.
	_, err := e.svc.Admin.SetLimits(ctx, e.admin, provision.BucketSubject("nope"), provision.LimitsInput{OpsValue: "1"})
	if msg := provision.Fields(err)["bucket"]; !strings.Contains(msg, `"nope"`) || !strings.Contains(msg, "Choose one of the client's buckets") {
		t.Errorf("unknown bucket: %q", msg)
	}
	if l, err := e.Gateway.Limits(ctx, user); err != nil || l.OpsGet != 7 {
		t.Errorf("the user's limits = %+v, %v; want ops get 7 untouched", l, err)
	}
	if q, err := e.Gateway.Quota(ctx, staas.UserQuota(staas.ByEmail("alice@example.com"))); err != nil || q.SizeGB != 9 {
		t.Errorf("the user's quota = %+v, %v; want 9 GB untouched", q, err)
	}
	if s := provision.UserSubject().String(); s != "the S3 user" {
		t.Errorf("UserSubject reads %q", s)
	}
}

func TestQuotas(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Admin.SetQuota(ctx, e.admin, provision.UserSubject(), "0"); provision.Fields(err)["quota-gb"] == "" {
		t.Fatalf("quota 0: %v", err)
	}
	q, err := e.svc.Admin.SetQuota(ctx, e.admin, provision.UserSubject(), "50")
	if err != nil || q.SizeGB != 50 {
		t.Fatalf("user quota = %+v, %v", q, err)
	}
	if _, err := e.svc.Admin.SetQuota(ctx, e.admin, provision.BucketSubject("alice-data"), "5"); err != nil {
		t.Fatal(err)
	}
	all, err := e.svc.Admin.AllQuotas(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if all.User == nil || all.User.SizeGB != 50 || all.Buckets["alice-data"] == nil || all.Buckets["alice-data"].SizeGB != 5 {
		t.Fatalf("quotas = %+v", all)
	}
	if err := e.svc.Admin.DeleteQuota(ctx, e.admin, provision.BucketSubject("alice-data")); err != nil {
		t.Fatal(err)
	}
	if q, err := e.svc.Admin.Quota(ctx, e.admin, provision.BucketSubject("alice-data")); err != nil || q != nil {
		t.Fatalf("bucket quota after delete = %+v, %v", q, err)
	}
}

func TestListUsers_PagesAndSearches(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 30 {
		email := "user" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "@example.net"
		if _, err := e.Gateway.CreateUser(ctx, email); err != nil {
			t.Fatal(err)
		}
	}
	all, err := e.svc.Admin.ListUsers(ctx, e.admin, "", 1, provision.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	// 30 customers and the cluster's system user, sorted by email.
	if all.Total != 31 || !slices.IsSortedFunc(all.Users, func(x, y staas.StorageUser) int { return strings.Compare(x.Email, y.Email) }) {
		t.Fatalf("all users: total %d, sorted %v", all.Total, all.Users)
	}
	p, err := e.svc.Admin.ListUsers(ctx, e.admin, "", 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 31 || len(p.Users) != 10 || p.Users[0].Email != all.Users[10].Email {
		t.Fatalf("page 2 = total %d, %d rows, first %q", p.Total, len(p.Users), p.Users[0].Email)
	}
	p, _ = e.svc.Admin.ListUsers(ctx, e.admin, "USERAX", 1, 10)
	if p.Total != 1 || p.Users[0].Email != "userax@example.net" {
		t.Fatalf("search = %+v", p)
	}
	// Past the end (a huge page number included) is the last page.
	for _, page := range []int{99, math.MaxInt} {
		p, _ = e.svc.Admin.ListUsers(ctx, e.admin, "", page, 10)
		if p.Total != 31 || p.Page != 4 || len(p.Users) != 1 || p.Users[0].Email != all.Users[30].Email {
			t.Fatalf("page %d, past the end = %+v, want the last page (4)", page, p)
		}
	}
}

func TestRun_AuditsWithoutSecretsAndFlashes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.svc.Admin.Run(ctx, e.admin, provision.Action{Name: "delete-user", Change: true, Audit: true, Params: map[string]string{"confirm": "yes"}},
		func(ctx context.Context) (string, error) {
			_, err := e.svc.Admin.DeleteUser(ctx, e.admin)
			return "", err
		})
	wantCode(t, err, staas.ENOTFOUND, "")
	if _, err := e.svc.Admin.Run(ctx, e.admin, provision.Action{Name: "quota-set", Change: true, Audit: true, Params: map[string]string{"quota-gb": "5"}},
		func(context.Context) (string, error) { return "Quota set.", nil }); err != nil {
		t.Fatal(err)
	}
	rows, err := e.Store.Audit(ctx, store.AuditFilter{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Result != staas.ENOTFOUND || rows[0].Result != "ok" || rows[0].AdminID != 7 || rows[0].Params["quota-gb"] != "5" {
		t.Fatalf("audit = %+v", rows)
	}
	flashes, _ := e.Store.TakeFlashes(ctx, 7, 1)
	if len(flashes) != 2 || flashes[0].Kind != staas.FlashError || flashes[1].Message != "Quota set." {
		t.Fatalf("flashes = %+v", flashes)
	}
}

func TestStats_ShowAndDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Admin.CreateUser(ctx, e.admin); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	if err := e.Sim.AddTraffic(ostorsim.Traffic{Email: "alice@example.com", Bucket: "alice-data", Put: 3, Uploaded: 300}); err != nil {
		t.Fatal(err)
	}
	e.Sim.Advance(2 * time.Hour)
	l, err := e.svc.Admin.StatsPage(ctx, e.admin, "")
	if err != nil || len(l.Items) == 0 {
		t.Fatalf("stats = %+v, %v", l, err)
	}
	o, err := e.svc.Admin.StatsObject(ctx, e.admin, l.Items[0])
	if err != nil || len(o.Items) == 0 {
		t.Fatalf("object = %+v, %v", o, err)
	}
	if _, err := e.svc.Admin.StatsObject(ctx, e.admin, "../etc/passwd"); provision.Fields(err)["object"] == "" {
		t.Fatalf("a bad name: %v", err)
	}
	if err := e.svc.Admin.DeleteStatsObject(ctx, e.admin, l.Items[0]); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Admin.StatsObject(ctx, e.admin, l.Items[0])
	wantCode(t, err, staas.ENOTFOUND, "")
}
