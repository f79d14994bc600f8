package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/s3data"
	"staas/internal/store"
	"staas/standin/ostorsim"
	"staas/standin/testworld"
)

// Bucket Limits with the bucket field left on its prompt (empty) or naming
// a bucket that is not the client's: Set, Get and Delete are each a field
// error on the bucket field, nothing changes on the gateway, Delete asks
// no question, and no panel shows the user's limits as a bucket's.
func TestBucketLimits_EmptyOrUnknownBucketIsAFieldError(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	if err := a.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	user := ostor.UserLimits(ostor.ByEmail("alice@example.com"))
	if err := a.Gateway.SetOpsLimit(ctx, user, "get", 7); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{"", "not-hers"} {
		for _, action := range []string{"bucket-limits-set", "bucket-limits-get", "bucket-limits-delete"} {
			status, body := a.act(fullAdmin, action, map[string]string{"bucket": bucket, "ops-name": "get", "ops-value": "1"})
			if status != http.StatusBadRequest {
				t.Errorf("%s with bucket %q: %d %v, want 400", action, bucket, status, body)
			}
			links := a.links(fullAdmin)
			msg := links.Find("#staas-bl-bucket-error").Text()
			if !strings.Contains(msg, "Choose one of the client's buckets") {
				t.Errorf("%s with bucket %q: the bucket field says %q", action, bucket, msg)
			}
			panels := a.panels(fullAdmin)
			if asks(links, panels) != 0 {
				t.Errorf("%s with bucket %q asks a question", action, bucket)
			}
			if panels.Find("#staas-panel-bucket-limits").Length() != 0 {
				t.Errorf("%s with bucket %q shows a bucket limits panel: %q", action, bucket, panels.Find("#staas-panel-bucket-limits").Text())
			}
		}
	}
	if l, err := a.Gateway.Limits(ctx, user); err != nil || l.OpsGet != 7 {
		t.Errorf("the user's limits = %+v, %v; want ops get 7 untouched", l, err)
	}
	if l, err := a.Gateway.Limits(ctx, ostor.BucketLimits("alice-data")); err != nil || *l != (ostor.Limits{}) {
		t.Errorf("alice-data's limits = %+v, %v; want none", l, err)
	}
}

// The quota form says whose quota outright: a select of "the S3 user" and
// the client's buckets, starting on a prompt. Nothing chosen is a field
// error, not the user's quota.
func TestQuotaForm_ChoiceIsExplicit(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	if err := a.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	doc := a.links(fullAdmin)
	var options []string
	doc.Find(`#staas-links-quota select[name="quota-of"] option`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		options = append(options, v+"="+strings.TrimSpace(s.Text()))
	})
	want := []string{"=Choose…", "user=the S3 user (all its buckets)", "bucket:alice-data=alice-data"}
	if strings.Join(options, "|") != strings.Join(want, "|") {
		t.Errorf("quota-of options = %q, want %q", options, want)
	}
	if doc.Find(`#staas-links-quota input[name="bucket"]`).Length() != 0 {
		t.Error("the quota form still has a free bucket field")
	}

	userQuota := ostor.UserQuota(ostor.ByEmail("alice@example.com"))
	for _, action := range []string{"quota-set", "quota-get", "quota-delete"} {
		for _, params := range []map[string]string{{"quota-gb": "5"}, {"quota-of": "", "quota-gb": "5"}, {"bucket": "", "quota-gb": "5"}} {
			if status, body := a.act(fullAdmin, action, params); status != http.StatusBadRequest {
				t.Errorf("%s %v: %d %v, want 400", action, params, status, body)
			}
			links := a.links(fullAdmin)
			if msg := links.Find("#staas-q-of-error").Text(); !strings.Contains(msg, "Choose the S3 user or one of the client's buckets") {
				t.Errorf("%s %v: the choice says %q", action, params, msg)
			}
			if asks(links, a.panels(fullAdmin)) != 0 {
				t.Errorf("%s %v asks a question", action, params)
			}
		}
	}
	if q, err := a.Gateway.Quota(ctx, userQuota); err == nil && q.SizeGB != 0 {
		t.Errorf("the user's quota became %d GB with nothing chosen", q.SizeGB)
	}

	if status, body := a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "user", "quota-gb": "50"}); status != 200 {
		t.Fatalf("user quota: %d %v", status, body)
	}
	if status, body := a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "bucket:alice-data", "quota-gb": "5"}); status != 200 {
		t.Fatalf("bucket quota: %d %v", status, body)
	}
	if q, err := a.Gateway.Quota(ctx, userQuota); err != nil || q.SizeGB != 50 {
		t.Errorf("user quota = %+v, %v", q, err)
	}
	if q, err := a.Gateway.Quota(ctx, ostor.BucketQuota("alice-data")); err != nil || q.SizeGB != 5 {
		t.Errorf("bucket quota = %+v, %v", q, err)
	}
	if status, _ := a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "bucket:not-hers", "quota-gb": "5"}); status != http.StatusBadRequest {
		t.Errorf("another bucket: %d", status)
	}
	if msg := a.links(fullAdmin).Find("#staas-q-of-error").Text(); !strings.Contains(msg, "not-hers") {
		t.Errorf("another bucket: the choice says %q", msg)
	}
	a.act(fullAdmin, "quota-delete", map[string]string{"quota-of": "bucket:alice-data"})
	if q := a.question(); !strings.Contains(q, "Delete the quota of bucket alice-data?") {
		t.Errorf("delete question = %q", q)
	}
}

// The other forms with a field that could be left empty: no key picked,
// no statistics object named. Each is refused at once with what to do,
// before any confirmation question, and never means "the first one".
func TestEmptyFieldsAreRefusedBeforeAsking(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	for _, c := range []struct {
		action string
		params map[string]string
		want   string
	}{
		{"revoke-key", map[string]string{"access_key": ""}, "No access key was picked"},
		{"revoke-key", map[string]string{"access_key": "NOTAKEY"}, "has no access key NOTAKEY"},
		{"reveal-secret", map[string]string{"access_key": ""}, "No access key was picked"},
		{"stats-delete", map[string]string{"object": ""}, "Please correct the marked fields."},
	} {
		status, body := a.act(fullAdmin, c.action, c.params)
		if status == http.StatusOK {
			t.Errorf("%s %v: %d %v, want a refusal", c.action, c.params, status, body)
		}
		doc, links := a.panels(fullAdmin), a.links(fullAdmin)
		if asks(doc, links) != 0 {
			t.Errorf("%s %v asks before refusing", c.action, c.params)
		}
		if doc.Find(".staas-secret-revealed").Length() != 0 {
			t.Errorf("%s %v revealed a secret", c.action, c.params)
		}
		msg := doc.Find(".alert-danger").Text()
		if c.action == "stats-delete" {
			msg += links.Find("#staas-o-object-error").Text()
			c.want = "Enter a statistics object name"
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s %v: the admin reads %q, want %q", c.action, c.params, msg, c.want)
		}
	}
	if u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com")); err != nil || len(u.Keys) != 1 {
		t.Errorf("the user's keys after the refusals: %+v, %v", u, err)
	}
}

// The cluster's user list carries no key pairs: the S3 Users List must not
// claim every user has none.
func TestUsersList_ShowsNoMadeUpKeyCount(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil) // a user with one key pair
	a.act(fullAdmin, "toggle-users", nil)
	doc := a.panels(fullAdmin)
	p := doc.Find("#staas-panel-users")
	var head []string
	p.Find("table tr").First().Find("th").Each(func(_ int, th *goquery.Selection) { head = append(head, strings.TrimSpace(th.Text())) })
	if strings.Join(head, "|") != "UserId|UserEmail|State" {
		t.Errorf("columns %q, want UserId, UserEmail, State", head)
	}
	p.Find("tr.altrow").Each(func(_ int, r *goquery.Selection) {
		if r.Find("td").Length() != 3 {
			t.Errorf("row %q has %d cells", r.Text(), r.Find("td").Length())
		}
	})
	if !strings.Contains(p.Text(), "alice@example.com") {
		t.Errorf("the list lacks Alice: %q", p.Text())
	}
}

// newPurgingApp is newApp whose service empties buckets through the real
// S3 data plane client (internal/s3data) against the simulator.
func newPurgingApp(t *testing.T) *app {
	return newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		purger, err := s3data.New(s3data.Config{Endpoint: w.URL, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		d.Provision = provision.New(provision.Config{Gateway: w.Gateway, Store: w.Store, WHMCS: w.Bridge, Purger: purger})
	})
}

// Delete User for a user with buckets is refused before any question,
// naming the buckets and the way forward, with the buckets panel open;
// "Empty and delete" of a bucket asks for its name typed out, refuses a
// wrong one (nothing deleted), empties and deletes it with the right one
// (audited); then Delete User asks and goes ahead.
func TestDeleteUser_RefusedBeforeAskingThenEmptyBucketsThenDelete(t *testing.T) {
	a := newPurgingApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	for _, b := range []string{"alice-data", "alice-logs"} {
		if err := a.Sim.CreateBucket("alice@example.com", b); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := a.Sim.PutObject(b, "obj-"+strconv.Itoa(i), 10); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := a.Gateway.CreateUser(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := a.Sim.CreateBucket("bob@example.com", "bob-data"); err != nil {
		t.Fatal(err)
	}

	status, body := a.act(fullAdmin, "delete-user", nil)
	if status != http.StatusConflict {
		t.Fatalf("delete-user with buckets: %d %v, want 409 at once", status, body)
	}
	doc := a.panels(fullAdmin)
	if asks(doc, a.links(fullAdmin)) != 0 {
		t.Error("Delete User asks although it would be refused")
	}
	msg := doc.Find(".alert-danger").Text()
	for _, want := range []string{"alice-data", "alice-logs", "Empty and delete"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal %q does not say %q", msg, want)
		}
	}
	if doc.Find(`#staas-panel-buckets button[value="purge-bucket"]`).Length() != 2 {
		t.Errorf("the buckets panel with Empty and delete is not shown: %q", doc.Find("#staas-panel-buckets").Text())
	}

	// Another client's bucket is refused before asking.
	if status, _ := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "bob-data"}); status != http.StatusBadRequest {
		t.Errorf("purge of bob-data: %d, want 400", status)
	}
	if a.asking() != 0 {
		t.Error("a purge of another client's bucket asks")
	}

	// The question, with the name to type.
	if status, _ := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "alice-data"}); status != 200 {
		t.Fatalf("purge-bucket: %d", status)
	}
	doc = a.panels(fullAdmin)
	if q := doc.Find("#staas-confirm-question").Text(); !strings.Contains(q, "alice-data") || !strings.Contains(q, "deleted for good") {
		t.Errorf("question %q", q)
	}
	if doc.Find(`.staas-confirm input[name="confirm-name"]`).Length() != 1 {
		t.Fatal("the confirmation has no field for the bucket's name")
	}
	// Confirm without the right name: nothing deleted, asked again.
	for _, typed := range []string{"", "alice-dat", "ALICE-DATA", "alice-logs"} {
		status, _ := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": typed})
		if status != http.StatusBadRequest {
			t.Errorf("typed %q: %d, want 400", typed, status)
		}
		doc = a.panels(fullAdmin)
		if e := doc.Find("#staas-confirm-name-error").Text(); !strings.Contains(e, "alice-data") {
			t.Errorf("typed %q: the confirmation says %q", typed, e)
		}
	}
	if objs, err := a.Sim.Objects("alice-data"); err != nil || len(objs) != 3 {
		t.Fatalf("alice-data after wrong names: %v, %v", objs, err)
	}
	// The right name.
	status, body = a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "alice-data"})
	if status != 200 || !strings.Contains(body["message"].(string), "alice-data emptied (3 objects deleted)") {
		t.Fatalf("purge: %d %v", status, body)
	}
	if a.Sim.HasBucket("alice-data") || !a.Sim.HasBucket("alice-logs") || !a.Sim.HasBucket("bob-data") {
		t.Fatalf("buckets after the purge: alice-data %v alice-logs %v bob-data %v", a.Sim.HasBucket("alice-data"), a.Sim.HasBucket("alice-logs"), a.Sim.HasBucket("bob-data"))
	}
	rows, err := a.Store.Audit(ctx, store.AuditFilter{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	var purges []string
	for _, r := range rows {
		if r.Action == "purge-bucket" {
			purges = append(purges, r.Result+":"+r.Params["bucket"]+":"+r.Params["confirm-name"])
		}
	}
	if len(purges) != 6 || purges[0] != "ok:alice-data:alice-data" {
		t.Errorf("purge audit rows (newest first) = %q, want the refusals and the purge", purges)
	}

	a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "alice-logs"})
	if status, body := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "alice-logs", "confirm": "yes", "confirm-name": "alice-logs"}); status != 200 {
		t.Fatalf("purge alice-logs: %d %v", status, body)
	}
	// Now Delete User asks, and goes ahead.
	if status, _ := a.act(fullAdmin, "delete-user", nil); status != 200 {
		t.Fatalf("delete-user without buckets: %d", status)
	}
	if a.asking() != 1 {
		t.Fatal("Delete User asks nothing")
	}
	if status, body := a.act(fullAdmin, "delete-user", map[string]string{"confirm": "yes"}); status != 200 {
		t.Fatalf("delete-user: %d %v", status, body)
	}
	if _, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com")); staas.ErrorCode(err) != staas.ENOTFOUND {
		t.Errorf("the user is still there: %v", err)
	}
	if !a.Sim.HasBucket("bob-data") {
		t.Error("Bob's bucket went too")
	}
}

// Generate Access Key at two pairs: the button is disabled with the
// reason, and the action is still refused if posted.
func TestGenerateKey_DisabledAtTwoPairs(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	b := button(a.links(fullAdmin), "generate-key")
	if _, dis := b.Attr("disabled"); dis {
		t.Fatal("Generate Access Key is disabled at one pair")
	}
	if status, body := a.act(fullAdmin, "generate-key", nil); status != 200 {
		t.Fatalf("generate: %d %v", status, body)
	}
	doc := a.links(fullAdmin)
	b = button(doc, "generate-key")
	if _, dis := b.Attr("disabled"); !dis {
		t.Error("Generate Access Key is enabled at two pairs")
	}
	if title := b.AttrOr("title", ""); !strings.Contains(title, "revoke one") {
		t.Errorf("title %q gives no reason", title)
	}
	if !strings.Contains(doc.Find("#staas-links-user").Text(), "the most the storage allows") {
		t.Error("the reason is not in words on the page")
	}
	if status, _ := a.act(fullAdmin, "generate-key", nil); status == 200 {
		t.Error("a third pair was generated")
	}
	if u, _ := a.Gateway.User(context.Background(), ostor.ByEmail("alice@example.com")); len(u.Keys) != 2 {
		t.Errorf("%d key pairs", len(u.Keys))
	}
}

// putUsageObject stores a statistics object holding one item per user id
// given, in the gateway's format, and returns its name.
func putUsageObject(t *testing.T, a *app, userIDs ...string) string {
	t.Helper()
	start := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	name := ostorsim.UsageObjectName("12345678901234567", start, time.Hour)
	var items []string
	for i, id := range userIDs {
		items = append(items, fmt.Sprintf(`{"key":{"bucket":"b%d","epoch":1,"user_id":%q,"tag":""},"counters":{"ops":{"put":%d,"get":0,"list":0,"other":0},"net_io":{"uploaded":%d,"downloaded":0}}}`, i, id, i+1, 100*(i+1)))
	}
	raw := fmt.Sprintf(`{"fmt_version":1,"service_id":12345678901234567,"start_ts":%d,"period":3600,"nr_items":%d,"items":[%s]}`,
		start.Unix(), len(items), strings.Join(items, ","))
	a.Sim.PutUsageObject(name, []byte(raw))
	return name
}

// Statistics objects are the whole cluster's: the panels say so, the
// object view shows this client's users' rows unless the admin switches to
// every client's, and Delete's question says it affects every client.
func TestStatistics_ClusterWideLabelledAndFilteredToTheClient(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	alice, err := a.Store.S3User(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := a.Gateway.CreateUser(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	obj := putUsageObject(t, a, alice.UserID, bob.ID, bob.ID)

	a.act(fullAdmin, "toggle-stats", nil)
	doc := a.panels(fullAdmin)
	if title := doc.Find("#staas-panel-stats .title").Text(); !strings.Contains(title, "whole cluster") {
		t.Errorf("statistics list title %q does not say it is the whole cluster's", title)
	}
	if !strings.Contains(a.links(fullAdmin).Find("#staas-links-stats").Text(), "whole cluster") {
		t.Error("the statistics links do not say they are the whole cluster's")
	}

	userIDs := func() []string {
		var ids []string
		a.panels(fullAdmin).Find("#staas-panel-object tr.altrow").Each(func(_ int, r *goquery.Selection) {
			ids = append(ids, strings.TrimSpace(r.Find("td").Eq(6).Text()))
		})
		return ids
	}
	if status, body := a.act(fullAdmin, "stats-get", map[string]string{"object": obj}); status != 200 {
		t.Fatalf("stats-get: %d %v", status, body)
	}
	if got := userIDs(); len(got) != 1 || got[0] != alice.UserID {
		t.Errorf("object rows by default = %q, want only Alice's %s", got, alice.UserID)
	}
	doc = a.panels(fullAdmin)
	if s := doc.Find("#staas-panel-object .staas-object-scope").Text(); !strings.Contains(s, "1 of the object's 3 items") {
		t.Errorf("the scope line says %q", s)
	}
	sw := doc.Find(`#staas-panel-object .staas-object-scope button[value="stats-get"]`)
	if sw.Length() != 1 || sw.Closest("form").Find(`input[name="scope"]`).AttrOr("value", "") != "all" {
		t.Fatalf("no switch to every client's rows: %q", doc.Find("#staas-panel-object .staas-object-scope").Text())
	}
	a.act(fullAdmin, "stats-get", map[string]string{"object": obj, "scope": "all"})
	if got := userIDs(); len(got) != 3 {
		t.Errorf("every client's rows = %q, want 3", got)
	}
	a.act(fullAdmin, "stats-get", map[string]string{"object": obj, "scope": "client"})
	if got := userIDs(); len(got) != 1 {
		t.Errorf("back to the client's rows = %q", got)
	}

	a.act(fullAdmin, "stats-delete", map[string]string{"object": obj})
	if q := a.question(); !strings.Contains(q, "every client") {
		t.Errorf("delete question %q does not say it affects every client", q)
	}
}
