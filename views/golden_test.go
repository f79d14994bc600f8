package views

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"staas"
)

// goldenPage is what one fixture renders: the "Other Actions" groups and
// the panels, each under a comment naming it.
func goldenPage(t *testing.T, links LinksVM, panels PanelsVM) string {
	t.Helper()
	var b strings.Builder
	for i, g := range renderLinks(t, links) {
		b.WriteString("<!-- ActionLinks[" + strconv.Itoa(i) + "] -->" + reversible(t, g) + "\n")
	}
	b.WriteString("<!-- Panels -->" + reversible(t, render(t, Panels(panels))) + "\n")
	return b.String()
}

// TestGolden renders representative view models and compares them with
// testdata/*.golden.html exactly. Update with: go test ./views/... -update
func TestGolden(t *testing.T) {
	noPerm := func() (LinksVM, PanelsVM) {
		l, p := fullLinks(), fullPanels()
		l.CanChange, p.CanChange = false, false
		return l, p
	}
	withErrors := func() (LinksVM, PanelsVM) {
		l := fullLinks()
		l.On = nil
		l.UserLimits = LimitsForm{
			OpsName: "put", OpsValue: "-5", BandwidthName: "out", BandwidthValue: "fast",
			Errors: FieldErrors{
				fieldOpsValue:       "Enter a number of operations per second, 0 or more.",
				fieldBandwidthValue: "Enter a bandwidth in KB/s, 0 or more.",
			},
		}
		l.BucketLimits = LimitsForm{
			OpsName: "get", OpsValue: "10", Bucket: "No_Such!",
			Errors: FieldErrors{fieldBucket: "This client has no bucket named \"No_Such!\". Choose one of the client's buckets."},
		}
		l.Quota = QuotaForm{Of: QuotaOfBucket + "photos", SizeGB: "ten", Errors: FieldErrors{FieldQuotaGB: "Enter a whole number of GB."}}
		l.Object = ObjectForm{Object: "../etc", Errors: FieldErrors{fieldObject: "Not a statistics object name."}}
		p := PanelsVM{Form: testForm, CanChange: true}
		return l, p
	}
	cases := []struct {
		name  string
		build func() (LinksVM, PanelsVM)
	}{
		{"empty-client", func() (LinksVM, PanelsVM) {
			return LinksVM{Form: testForm, CanChange: true}, PanelsVM{Form: testForm, CanChange: true}
		}},
		{"full", func() (LinksVM, PanelsVM) { return fullLinks(), fullPanels() }},
		// Create User picks one of several clusters, the default chosen.
		{"clusters-no-user", func() (LinksVM, PanelsVM) {
			return LinksVM{Form: testForm, CanChange: true, Clusters: []string{"default", "eu-2"}, Create: CreateForm{Cluster: "default"}},
				PanelsVM{Form: testForm, CanChange: true}
		}},
		// A cluster without ops limits or statistics: the forms leave
		// them out and say why.
		{"unsupported", func() (LinksVM, PanelsVM) {
			l := fullLinks()
			l.Cluster, l.Unsupported = "eu-2", Unsupported{OpsLimits: true, Statistics: true}
			return l, PanelsVM{Form: testForm, CanChange: true}
		}},
		// A client on an ECS cluster: no rate limits or statistics, and
		// the bucket billing info panel, sizes in KB (KiB).
		{"ecs-billing", func() (LinksVM, PanelsVM) {
			l := fullLinks()
			l.Cluster, l.Unsupported, l.BucketBilling = "ecs-1", Unsupported{OpsLimits: true, BandwidthLimits: true, Statistics: true}, true
			l.On = map[string]bool{PanelBilling: true}
			sample := time.Date(2026, 10, 5, 14, 0, 0, 0, time.UTC)
			return l, PanelsVM{Form: testForm, CanChange: true, Billing: &BillingVM{Unit: "KB", Rows: []staas.BucketBilling{
				{Name: "photos", Namespace: "staas-1a2b3c", ReplicationGroup: "urn:storageos:ReplicationGroupInfo:rg1", TotalSize: 3072.5, Unit: "KB",
					Objects: 1234567, SampleTime: sample, UptodateTill: sample.Add(-10 * time.Minute), MPUSize: 512, MPUParts: 3,
					Tags: []staas.BucketTag{{Key: "project", Value: "<b>film</b>"}, {Key: "tier", Value: "hot"}}, SizeDeleted: 1.23456789, ObjectsDeleted: 2},
				{Name: "logs", Namespace: "staas-1a2b3c", ReplicationGroup: "urn:storageos:ReplicationGroupInfo:rg1", Unit: "KB"},
			}}}
		}},
		{"no-permission", noPerm},
		{"form-errors", withErrors},
		// A confirmation asked in an "Other Actions" group renders there,
		// not in the panels.
		{"confirm-in-links", func() (LinksVM, PanelsVM) {
			l, p := fullLinks(), PanelsVM{Form: testForm, CanChange: true}
			l.Confirm = &ConfirmVM{Action: ActBucketLimitsDelete, Question: "Delete every limit of the bucket photos?",
				Params: map[string]string{"bucket": "photos"}, At: LinksAnchor(PanelBucketLimits)}
			return l, p
		}},
		// Panels that could not be read render as their frames with the
		// reason; a confirmation asked in one renders at its top.
		{"failed-panels", func() (LinksVM, PanelsVM) {
			p := PanelsVM{Form: testForm, CanChange: true,
				Failed: map[string]FailedPanel{
					PanelUser:  {Title: "S3 Information for User", Message: "The storage gateway did not answer. Try again in a minute."},
					PanelUsage: {Title: "S3 Usage History", Message: "The usage ledger could not be read."},
				},
				Confirm: &ConfirmVM{Action: ActRevokeKey, Question: "Revoke the access key AKIA1111?",
					Params: map[string]string{"access_key": "AKIA1111"}, At: PanelAnchor(PanelUser)},
			}
			return LinksVM{Form: testForm, CanChange: true, HasUser: true}, p
		}},
		// Pending work: a client event queued while the gateway was away,
		// one refused for good, and a Module Queue entry; the queue's
		// error is WHMCS's text, escaped.
		{"pending-work", func() (LinksVM, PanelsVM) {
			at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
			p := PanelsVM{Form: testForm, CanChange: true, Pending: &PendingVM{
				Intents: []PendingIntent{
					{What: "disabling the S3 users of closed client 1", Since: at, Attempts: 3,
						LastError: "The storage gateway could not be reached.", NextTry: at.Add(8 * time.Minute)},
					{What: "applying the delete policy \"delete\" to the S3 users of deleted client 1", Since: at, Attempts: 1,
						LastError: "The gateway refused.", Failed: true},
				},
				Queue: []ModuleQueueRow{{ServiceID: 12, Action: "suspend", LastAttempt: at, Error: "<b>503</b> from the gateway", Attempts: 2}},
			}}
			return LinksVM{Form: testForm, CanChange: true, HasUser: true}, p
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, p := c.build()
			checkGolden(t, c.name, goldenPage(t, l, p))
		})
	}
}
