package views

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"staas"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html from the current output")

// testForm is the Form of most fixtures.
var testForm = Form{ActionURL: "/admin/addonmodules.php?module=staas&a=action", Token: "0123abcd", ClientID: 42}

// render renders c or fails the test.
func render(t *testing.T, c templ.Component) string {
	t.Helper()
	s, err := RenderString(context.Background(), c)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return s
}

// renderLinks renders the groups or fails the test.
func renderLinks(t *testing.T, vm LinksVM) []string {
	t.Helper()
	groups, err := RenderLinks(context.Background(), vm)
	if err != nil {
		t.Fatalf("RenderLinks: %v", err)
	}
	return groups
}

// parse parses a fragment as a browser would parse WHMCS's page.
func parse(t *testing.T, html string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// linksDoc is the "Other Actions" list as WHMCS builds it: one list item
// per group.
func linksDoc(t *testing.T, vm LinksVM) *goquery.Document {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<ul id="other-actions">`)
	for _, g := range renderLinks(t, vm) {
		b.WriteString("<li>" + g + "</li>")
	}
	b.WriteString("</ul>")
	return parse(t, b.String())
}

func panelsDoc(t *testing.T, vm PanelsVM) *goquery.Document {
	t.Helper()
	return parse(t, render(t, Panels(vm)))
}

// text is the trimmed text of a selection with runs of white space as one
// space.
func text(s *goquery.Selection) string {
	return strings.Join(strings.Fields(s.Text()), " ")
}

// readable puts each tag that directly follows another on a line of its
// own, so a golden file reads as a page. It is the only change made to
// the output; breakTagsExact checks it can be undone.
func readable(s string) string { return strings.ReplaceAll(s, "><", ">\n<") }

// reversible fails the test when readable could not be undone on s.
func reversible(t *testing.T, s string) string {
	t.Helper()
	if strings.Contains(s, ">\n<") {
		t.Fatalf("the output has a newline between two tags, so a golden file would hide a change to it:\n%s", s)
	}
	return s
}

// checkGolden compares readable(got) with testdata/name.golden.html
// exactly, or rewrites the file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	got = readable(got)
	path := filepath.Join("testdata", name+".golden.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./views/... -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from %s at line %d:\n got: %q\nwant: %q\n(if the change is intended: go test ./views/... -update, then review git diff)", name, path, i+1, g, w)
			}
		}
	}
}

// fullLinks is a client with a user and every toggle on.
func fullLinks() LinksVM {
	return LinksVM{
		Form:      testForm,
		CanChange: true,
		HasUser:   true,
		UserState: "enabled",
		On: map[string]bool{
			PanelUser: true, PanelUsers: true, PanelBuckets: true, PanelStats: true, PanelUsage: true, PanelAudit: true,
		},
		Buckets: []string{"photos", "backups"},
	}
}

// fullPanels is every panel with representative data.
func fullPanels() PanelsVM {
	created := time.Date(2024, 3, 5, 14, 30, 0, 0, time.UTC)
	return PanelsVM{
		Form:      testForm,
		CanChange: true,
		Flashes: []staas.Flash{
			{Kind: staas.FlashSuccess, Message: "User 7f3a created."},
			{Kind: staas.FlashError, Message: "The gateway did not answer; nothing was changed."},
			{Kind: staas.FlashInfo, Message: "Limits are shown below."},
		},
		// Asked by the photos row's Empty and delete: it renders under
		// that row.
		Confirm: &ConfirmVM{
			Action:        ActPurgeBucket,
			Question:      "Empty and delete the bucket photos?",
			Params:        map[string]string{"bucket": "photos"},
			TypeToConfirm: "photos",
			At:            PanelAnchor(PanelBuckets),
		},
		Users: &UsersVM{
			Query: "example", Page: 2, PageSize: 2, Total: 5,
			Rows: []UserRow{
				{UserID: "a1b2", Email: "ann@example.com", State: "enabled"},
				{UserID: "c3d4", Email: "bob@example.com", State: "disabled"},
			},
		},
		User: &UserVM{
			UserID: "7f3a", Email: "ann@example.com", State: "enabled", Flags: []string{"system"},
			Keys: []KeyRow{
				{AccessKeyID: "AKIA1111", Secret: "••••••••wxyz"},
				{AccessKeyID: "AKIA2222", Secret: "s3cr3tK3yRev3al3d", Revealed: true},
			},
		},
		Buckets: &BucketsVM{
			Rows: []BucketRow{
				{Name: "photos", Bytes: 5 << 30, CreatedAt: created},
				{Name: "backups", Bytes: 1536},
			},
			TotalBytes: 5<<30 + 1536,
		},
		Stats: &StatsVM{
			After: "s3-usage-0001",
			Next:  "s3-usage-0003",
			Items: []string{"s3-usage-0002", "s3-usage-0003"},
		},
		UserLimits: &LimitsVM{Rows: []LimitRow{
			{Type: "ops", Name: "default", Value: "3,600 ops/s"},
			{Type: "bandwidth", Name: "out", Value: "100 KB/s"},
		}},
		BucketLimits: &LimitsVM{Bucket: "photos"},
		Object: &ObjectVM{
			Name: "s3-usage-0002", FmtVersion: 1, ServiceID: "svc-01", StartTS: 1700000000, Period: 3600,
			Rows: []ObjectRow{
				{Bucket: "photos", Epoch: 1, UserID: "7f3a", Tag: "", Put: 3, Get: 5, List: 1, Other: 0, Uploaded: 2048, Downloaded: 4096},
				{Bucket: "", Epoch: 1, UserID: "7f3a", Put: 1},
			},
			TotalRows: 3, All: true,
		},
		Quotas: &QuotasVM{
			User:    QuotaRow{SizeGB: 100, Set: true},
			Buckets: []QuotaRow{{Bucket: "photos", SizeGB: 10, Set: true}, {Bucket: "backups"}},
		},
		Usage: usageFixture(),
		Audit: auditFixture(),
	}
}

// auditFixture is a page of the audit log, not the newest, with an older
// page after it.
func auditFixture() *AuditVM {
	at := time.Date(2024, 3, 5, 14, 30, 7, 0, time.FixedZone("CET", 3600))
	return &AuditVM{
		Before: 120, Older: 98,
		Rows: []AuditRow{
			{ID: 119, At: at, AdminID: 1, Actor: "admin", Action: ActQuotaSet, Params: map[string]string{"quota-gb": "10", "bucket": "photos"},
				Result: "ok", Message: "The quota of bucket photos is now 10 GB."},
			{ID: 118, At: at.Add(-time.Minute), Actor: "whmcs", Action: "service-create", Params: map[string]string{"service_id": "1234"},
				Result: "ok", Message: "S3 user 6b2f0a9c1d3e4f50 (zoe+s3-1234@example.com) created for service 1234."},
			{ID: 117, At: at.Add(-2 * time.Minute), Actor: "client", Action: "service-reveal-secret", Params: map[string]string{"service_id": "1234", "access_key": "6b2f0a9c1d3e4f50ABCD"},
				Result: "ok", Message: "The secret of access key 6b2f0a9c1d3e4f50ABCD was shown."},
			{ID: 116, At: at.Add(-3 * time.Minute), AdminID: 7, Actor: "whmcs", Action: "service-suspend", Params: map[string]string{"service_id": "1234"},
				Result: "ok", Message: "S3 user 6b2f0a9c1d3e4f50 of service 1234 is disabled."},
			{ID: 98, At: at.Add(-time.Hour), AdminID: 2, Action: ActCreateUser, Params: map[string]string{},
				Result: "forbidden", Message: `Your WHMCS role lacks the permission "Perform Server Operations".`},
		},
	}
}

// usageFixture is three days of usage: a day before sampling began, a
// day with storage but no traffic, and today so far.
func usageFixture() *UsageVM {
	d0 := time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)
	const gib = 1 << 30
	return &UsageVM{
		UserID: "7f3a", Days: 30, From: d0, To: d0.Add(3 * 24 * time.Hour),
		Schedule: "staas collects usage every 1 h and samples bucket sizes every 1 h.",
		Rows: []UsageDay{
			{Date: d0, Traffic: Traffic{Put: 10, Get: 30, List: 5, Other: 1, Uploaded: 10 << 20, Downloaded: 30 << 20}},
			{Date: d0.Add(24 * time.Hour), Storage: StorageFigures{AverageBytes: 5 * gib, PeakBytes: 6 * gib,
				PeakAt: d0.Add(30 * time.Hour), Sampled: 12 * time.Hour, GBHours: 64.424509, GBMonths: 0.088253}},
			{Date: d0.Add(48 * time.Hour), Storage: StorageFigures{AverageBytes: 6 * gib, PeakBytes: 6 * gib,
				PeakAt: d0.Add(48 * time.Hour), Sampled: 90 * time.Minute, GBHours: 9.663676, GBMonths: 0.013238},
				Traffic: Traffic{Put: 1, Get: 2, List: 3, Other: 4, Uploaded: 1536, Downloaded: 1 << 40}},
		},
		Total: UsageTotal{
			Storage: StorageFigures{AverageBytes: 5*gib + gib/9, PeakBytes: 6 * gib, PeakAt: d0.Add(30 * time.Hour),
				Sampled: 13*time.Hour + 30*time.Minute, GBHours: 74.088185, GBMonths: 0.101491},
			Traffic: Traffic{Put: 11, Get: 32, List: 8, Other: 5, Uploaded: 10<<20 + 1536, Downloaded: 30<<20 + 1<<40},
		},
		Buckets: []UsageBucket{
			{Bucket: "", Traffic: Traffic{List: 3}},
			{Bucket: "photos", Storage: StorageFigures{PeakBytes: 6 * gib, Sampled: 13*time.Hour + 30*time.Minute, GBHours: 74.088185, GBMonths: 0.101491},
				Traffic: Traffic{Put: 11, Get: 32, List: 5, Other: 5, Uploaded: 10<<20 + 1536, Downloaded: 30<<20 + 1<<40}},
		},
	}
}

// knownActions are every action a button may post.
var knownActions = map[string]bool{
	ActCreateUser: true, ActDeleteUser: true, ActEnableUser: true, ActDisableUser: true,
	ActGenerateKey: true, ActRevokeKey: true, ActRevealSecret: true, ActToggleUser: true,
	ActToggleUsers: true, ActUsersPage: true, ActToggleBuckets: true, ActToggleStats: true,
	ActStatsPage: true, ActHidePanel: true, ActCancel: true,
	ActUserLimitsSet: true, ActUserLimitsGet: true, ActUserLimitsDelete: true,
	ActBucketLimitsSet: true, ActBucketLimitsGet: true, ActBucketLimitsDelete: true,
	ActQuotaSet: true, ActQuotaGet: true, ActQuotaDelete: true,
	ActStatsGet: true, ActStatsDelete: true,
	ActToggleUsage: true, ActUsageDays: true,
	ActToggleAudit: true, ActAuditPage: true, ActPurgeBucket: true,
}

// changeActions need "Perform Server Operations"; the others only read or
// change what the admin sees. Revealing a secret needs it too: the secret
// is a credential, not a figure a view-only admin needs.
var changeActions = map[string]bool{
	ActCreateUser: true, ActDeleteUser: true, ActEnableUser: true, ActDisableUser: true,
	ActGenerateKey: true, ActRevokeKey: true, ActRevealSecret: true,
	ActUserLimitsSet: true, ActUserLimitsDelete: true,
	ActBucketLimitsSet: true, ActBucketLimitsDelete: true,
	ActQuotaSet: true, ActQuotaDelete: true, ActStatsDelete: true, ActPurgeBucket: true,
}
