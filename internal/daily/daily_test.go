package daily

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"staas"
	"staas/internal/reconcile"
	"staas/internal/usage"
)

type fakeNotes struct {
	delivered, failed int
	err               error
	calls             int
}

func (f *fakeNotes) Deliver(context.Context) (int, int, error) {
	f.calls++
	return f.delivered, f.failed, f.err
}

type fakeCollector struct {
	res   usage.Result
	err   error
	calls int
}

func (f *fakeCollector) Run(context.Context) (usage.Result, error) {
	f.calls++
	return f.res, f.err
}

type fakeSampler struct {
	res   usage.SampleResult
	err   error
	calls int
}

func (f *fakeSampler) Run(context.Context) (usage.SampleResult, error) {
	f.calls++
	return f.res, f.err
}

func TestDeliverNotes(t *testing.T) {
	line, err := deliverNotes(t.Context(), &fakeNotes{delivered: 3, failed: 1})
	if want := "staas: 3 queued WHMCS note change(s) delivered, 1 failed again and wait for the next try."; err != nil || line != want {
		t.Errorf("deliverNotes = %q, %v; want %q", line, err, want)
	}
	boom := errors.New("WHMCS unreachable")
	if _, err := deliverNotes(t.Context(), &fakeNotes{err: boom}); !errors.Is(err, boom) {
		t.Errorf("a failed delivery gave %v", err)
	}
}

func TestCollectUsage(t *testing.T) {
	cases := []struct {
		res  usage.Result
		want string
	}{
		{usage.Result{Collected: 4, Failed: 2}, "staas: usage collection counted 4 statistics object(s); 2 left for the next run."},
		{usage.Result{LeaseHeldBy: "web2-77-ab12cd34"}, "staas: usage collection is running elsewhere (web2-77-ab12cd34); not run again."},
	}
	for _, c := range cases {
		if line, err := collectUsage(t.Context(), &fakeCollector{res: c.res}, ""); err != nil || line != c.want {
			t.Errorf("collectUsage(%+v) = %q, %v; want %q", c.res, line, err, c.want)
		}
	}
	boom := errors.New("gateway down")
	if _, err := collectUsage(t.Context(), &fakeCollector{err: boom}, ""); !errors.Is(err, boom) {
		t.Errorf("a failed collection gave %v", err)
	}
}

func TestSampleStorage(t *testing.T) {
	cases := []struct {
		res  usage.SampleResult
		want string
	}{
		{usage.SampleResult{Buckets: 7}, "staas: storage sampling measured 7 bucket(s)."},
		{usage.SampleResult{LeaseHeldBy: "web2"}, "staas: storage sampling is running elsewhere (web2); not run again."},
	}
	for _, c := range cases {
		if line, err := sampleStorage(t.Context(), &fakeSampler{res: c.res}, ""); err != nil || line != c.want {
			t.Errorf("sampleStorage(%+v) = %q, %v; want %q", c.res, line, err, c.want)
		}
	}
	boom := errors.New("gateway down")
	if _, err := sampleStorage(t.Context(), &fakeSampler{err: boom}, ""); !errors.Is(err, boom) {
		t.Errorf("a failed sampling gave %v", err)
	}
}

// Every step runs whatever the others did; a failure is a line of its own
// (the error's message, not its internals) and a log entry.
func TestWorkRunsEveryStep(t *testing.T) {
	notes := &fakeNotes{err: staas.Errorf(staas.EUNAVAILABLE, "WHMCS did not answer.")}
	col := &fakeCollector{res: usage.Result{Collected: 1}}
	sam := &fakeSampler{err: errors.New("listing buckets: connection refused")}
	var log bytes.Buffer
	lines := Work{Notes: notes, Clusters: []Cluster{{Name: "default", Collector: col, Sampler: sam}}, Log: slog.New(slog.NewTextHandler(&log, nil))}.Run(t.Context())
	if notes.calls != 1 || col.calls != 1 || sam.calls != 1 {
		t.Fatalf("calls: notes %d, collector %d, sampler %d; want each once", notes.calls, col.calls, sam.calls)
	}
	want := []string{
		"staas: delivering queued WHMCS notes failed: WHMCS did not answer.",
		"staas: usage collection counted 1 statistics object(s); 0 left for the next run.",
		"staas: storage sampling failed: " + staas.ErrorMessage(sam.err),
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lines\n%q\nwant\n%q", lines, want)
	}
	for _, part := range []string{"daily cron: delivering queued WHMCS notes failed", "daily cron: storage sampling failed"} {
		if !strings.Contains(log.String(), part) {
			t.Errorf("log %q lacks %q", log.String(), part)
		}
	}
}

func TestWorkWithoutLogger(t *testing.T) {
	lines := Work{Notes: &fakeNotes{}, Clusters: []Cluster{{Name: "default", Collector: &fakeCollector{err: errors.New("x")}, Sampler: &fakeSampler{}}}}.Run(t.Context())
	if len(lines) != 3 {
		t.Errorf("%q", lines)
	}
}

func TestUsageReport(t *testing.T) {
	got := UsageReport(usage.Result{Listed: 5, Collected: 3, Skipped: 1, Deleted: 4, Failed: 1, Items: 9, UnknownItems: 2,
		Overflows: 1, Undated: 2, UndatedObjects: []string{"a", "b"}})
	want := []string{
		"usage: 5 objects listed, 3 collected, 1 already collected, 4 deleted, 1 failed; 9 items, 2 of users no client is mapped to",
		"usage: 1 objects refused because a ledger sum would exceed 2^64-1 (left on the gateway)",
		"usage: 2 objects have no real date in their name or start_ts (left on the gateway, not booked): a, b",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := UsageReport(usage.Result{}); len(got) != 1 {
		t.Errorf("a quiet run: %q; want the counts alone", got)
	}
	if got := UsageReport(usage.Result{LeaseHeldBy: "web2"}); !slices.Equal(got, []string{"usage: another staas (web2) is collecting; nothing done"}) {
		t.Errorf("held elsewhere: %q", got)
	}
}

func TestStorageReport(t *testing.T) {
	if got, want := StorageReport(usage.SampleResult{Buckets: 4, Gone: 1}), "storage: 4 buckets sampled, 1 gone since the last sample"; got != want {
		t.Errorf("%q; want %q", got, want)
	}
	if got, want := StorageReport(usage.SampleResult{LeaseHeldBy: "web2"}), "storage: another staas (web2) is sampling; nothing done"; got != want {
		t.Errorf("%q; want %q", got, want)
	}
}

// With several clusters each line names its cluster, and a cluster that
// fails leaves the other's figures in the Activity Log.
func TestWorkNamesEachCluster(t *testing.T) {
	down := &fakeCollector{err: staas.Errorf(staas.EUNAVAILABLE, "The S3 gateway did not answer.")}
	lines := Work{Notes: &fakeNotes{delivered: 1}, Clusters: []Cluster{
		{Name: "default", Collector: &fakeCollector{res: usage.Result{Collected: 2}}, Sampler: &fakeSampler{res: usage.SampleResult{Buckets: 3}}},
		{Name: "eu-2", Collector: down, Sampler: &fakeSampler{res: usage.SampleResult{LeaseHeldBy: "host-1"}}},
	}}.Run(t.Context())
	want := []string{
		"staas: 1 queued WHMCS note change(s) delivered, 0 failed again and wait for the next try.",
		"staas: usage collection on cluster default counted 2 statistics object(s); 0 left for the next run.",
		"staas: storage sampling on cluster default measured 3 bucket(s).",
		"staas: usage collection on cluster eu-2 failed: The S3 gateway did not answer.",
		"staas: storage sampling on cluster eu-2 is running elsewhere (host-1); not run again.",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("lines\n%q\nwant\n%q", lines, want)
	}
}

func TestDriftLine(t *testing.T) {
	rep := reconcile.Report{Cluster: "eu-1", Checked: 5, Counts: map[string]int{reconcile.KindSuspendedEnabled: 1, reconcile.KindUnknownUser: 2},
		Items: []reconcile.Item{{Kind: reconcile.KindSuspendedEnabled, Action: reconcile.ActionDisabled}, {Kind: reconcile.KindUnknownUser}, {Kind: reconcile.KindUnknownUser}}}
	got := DriftLine(rep, " on cluster eu-1")
	want := "staas: reconcile on cluster eu-1 checked 5 S3 user(s): 3 drift item(s) (1 suspended-but-enabled, 2 gateway-user-unmapped), 1 converged; staas reconcile -dry-run lists them."
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	// A disable the gateway refused is said, not counted as converged.
	rep.Items[0].Action = "failed: gateway down"
	if got := DriftLine(rep, ""); !strings.Contains(got, "0 converged") || !strings.Contains(got, " 1 action(s) failed.") {
		t.Fatal(got)
	}
	if got := DriftLine(reconcile.Report{Held: "other"}, ""); !strings.Contains(got, "running elsewhere (other)") {
		t.Fatal(got)
	}
}

// TestWorkRetriesQueuedClientEvents: the daily cron retries the queued
// client events after the notes, with its line; a failed retry is a line
// too, and the other steps still run.
func TestWorkRetriesQueuedClientEvents(t *testing.T) {
	ok := func(context.Context) (string, error) {
		return "staas: queued client events: 2 done, 0 still queued, 0 failed.", nil
	}
	lines := Work{Notes: &fakeNotes{}, Intents: ok, Clusters: []Cluster{{Name: "default", Collector: &fakeCollector{}, Sampler: &fakeSampler{}}}}.Run(t.Context())
	if len(lines) != 4 || lines[1] != "staas: queued client events: 2 done, 0 still queued, 0 failed." {
		t.Fatalf("lines %q: want the retry's line second", lines)
	}
	bad := func(context.Context) (string, error) {
		return "", staas.Errorf(staas.EUNAVAILABLE, "The store could not be reached.")
	}
	lines = Work{Notes: &fakeNotes{}, Intents: bad, Clusters: []Cluster{{Name: "default", Collector: &fakeCollector{}, Sampler: &fakeSampler{}}}}.Run(t.Context())
	if len(lines) != 4 || lines[1] != "staas: retrying queued client events failed: The store could not be reached." {
		t.Fatalf("lines %q: want the failure as the second line and the other steps run", lines)
	}
}
