// Package daily is the work staas does once a day: on WHMCS's daily cron
// (the daily-cron event, which serve hands to the handlers as Work.Run)
// it delivers the queued WHMCS notes, collects usage and samples bucket
// sizes, so the day's figures are in before WHMCS's UsageUpdate reads
// them; `staas collect`, run by a system cron, does the last two. Each
// step says in one line what it did; Work delivers the notes, then runs
// every cluster's collection and sampling at once, each step whatever the
// others did, and says what failed.
//
// What the daily report tells the admin about orphans and the outbox
// backlog is provision's (DailyReport); this package only runs the jobs
// and words their results.
package daily

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"staas"
	"staas/internal/reconcile"
	"staas/internal/usage"
)

// NoteDeliverer delivers the queued WHMCS note changes
// (notes.Outbox).
type NoteDeliverer interface {
	Deliver(ctx context.Context) (delivered, failed int, err error)
}

// Collector collects usage once (usage.Collector).
type Collector interface {
	Run(ctx context.Context) (usage.Result, error)
}

// Sampler samples bucket sizes once (usage.Sampler).
type Sampler interface {
	Run(ctx context.Context) (usage.SampleResult, error)
}

// deliverNotes delivers the queued WHMCS note changes and says how many
// went and how many wait for the next try.
func deliverNotes(ctx context.Context, n NoteDeliverer) (string, error) {
	delivered, notYet, err := n.Deliver(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("staas: %d queued WHMCS note change(s) delivered, %d failed again and wait for the next try.", delivered, notYet), nil
}

// collectUsage collects usage once and says what it counted, or that
// another staas is collecting; on says where (" on cluster X", or "").
func collectUsage(ctx context.Context, c Collector, on string) (string, error) {
	res, err := c.Run(ctx)
	switch {
	case err != nil:
		return "", err
	case res.LeaseHeldBy != "":
		return "staas: usage collection" + on + " is running elsewhere (" + res.LeaseHeldBy + "); not run again.", nil
	}
	return fmt.Sprintf("staas: usage collection%s counted %d statistics object(s); %d left for the next run.", on, res.Collected, res.Failed), nil
}

// sampleStorage samples every bucket's size once and says how many it
// measured, or that another staas is sampling; on says where.
func sampleStorage(ctx context.Context, s Sampler, on string) (string, error) {
	res, err := s.Run(ctx)
	switch {
	case err != nil:
		return "", err
	case res.LeaseHeldBy != "":
		return "staas: storage sampling" + on + " is running elsewhere (" + res.LeaseHeldBy + "); not run again.", nil
	}
	return fmt.Sprintf("staas: storage sampling%s measured %d bucket(s).", on, res.Buckets), nil
}

// Reconciler compares WHMCS with a cluster once (reconcile.Reconciler).
type Reconciler interface {
	Run(ctx context.Context, dryRun bool) (reconcile.Report, error)
}

// Cluster is one storage cluster's usage jobs, and its reconciler when
// staas reads WHMCS's database (nil: no reconcile line).
type Cluster struct {
	Name       string
	Collector  Collector
	Sampler    Sampler
	Reconciler Reconciler
}

// DriftLine says what one reconciler run found, for the daily report:
// the drift items by kind and how many users it disabled.
func DriftLine(rep reconcile.Report, on string) string {
	if rep.Held != "" {
		return "staas: reconcile" + on + " is running elsewhere (" + rep.Held + "); not run again."
	}
	kinds := make([]string, 0, len(rep.Counts))
	for k, n := range rep.Counts {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	detail := ""
	if len(kinds) > 0 {
		detail = " (" + strings.Join(kinds, ", ") + ")"
	}
	line := fmt.Sprintf("staas: reconcile%s checked %d S3 user(s): %d drift item(s)%s, %d converged; staas reconcile -dry-run lists them.", on, rep.Checked, len(rep.Items), detail, rep.Converged())
	if n := rep.Failed(); n > 0 {
		line += fmt.Sprintf(" %d action(s) failed.", n)
	}
	if len(rep.Unchecked) > 0 {
		line += fmt.Sprintf(" %d thing(s) could not be checked.", len(rep.Unchecked))
	}
	return line
}

// Work is the daily cron's work in staas.
type Work struct {
	Notes NoteDeliverer
	// Intents retries the client events queued while a gateway was away
	// and says what it did (provision.ClientEvents.RetryIntents); nil
	// skips the step.
	Intents  func(ctx context.Context) (string, error)
	Clusters []Cluster
	Log      *slog.Logger // nil discards
}

// step is one part of the work and how it says what it did.
type step struct {
	part    string
	cluster string // "" for the notes
	run     func(context.Context) (string, error)
}

// Run delivers the notes, retries the queued client events, then collects and samples every cluster, the
// clusters at once (one slow or down cluster delays no other), each step
// whatever the others did. It gives one line a step for WHMCS's Activity
// Log, a failure included (and logged); with several clusters each line
// names its cluster.
func (w Work) Run(ctx context.Context) []string {
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lines := []string{w.run(ctx, log, step{"delivering queued WHMCS notes", "", func(ctx context.Context) (string, error) { return deliverNotes(ctx, w.Notes) }})}
	if w.Intents != nil {
		lines = append(lines, w.run(ctx, log, step{"retrying queued client events", "", w.Intents}))
	}
	perCluster := make([][]string, len(w.Clusters))
	var wg sync.WaitGroup
	for i, c := range w.Clusters {
		on := ""
		if len(w.Clusters) > 1 {
			on = " on cluster " + c.Name
		}
		wg.Go(func() {
			perCluster[i] = []string{
				w.run(ctx, log, step{"usage collection" + on, c.Name, func(ctx context.Context) (string, error) { return collectUsage(ctx, c.Collector, on) }}),
				w.run(ctx, log, step{"storage sampling" + on, c.Name, func(ctx context.Context) (string, error) { return sampleStorage(ctx, c.Sampler, on) }}),
			}
			if c.Reconciler != nil {
				perCluster[i] = append(perCluster[i], w.run(ctx, log, step{"reconcile" + on, c.Name, func(ctx context.Context) (string, error) {
					rep, err := c.Reconciler.Run(ctx, false)
					if err != nil {
						return "", err
					}
					return DriftLine(rep, on), nil
				}}))
			}
		})
	}
	wg.Wait()
	for _, l := range perCluster {
		lines = append(lines, l...)
	}
	return lines
}

func (w Work) run(ctx context.Context, log *slog.Logger, s step) string {
	line, err := s.run(ctx)
	if err != nil {
		log.Error("daily cron: "+s.part+" failed", "cluster", s.cluster, "err", err)
		line = fmt.Sprintf("staas: %s failed: %s", s.part, staas.ErrorMessage(err))
	}
	return line
}

// UsageReport says what one usage collection did, for `staas collect`:
// the counts, and the objects left on the gateway because a sum would
// overflow or they have no real date.
func UsageReport(res usage.Result) []string {
	if res.LeaseHeldBy != "" {
		return []string{fmt.Sprintf("usage: another staas (%s) is collecting; nothing done", res.LeaseHeldBy)}
	}
	lines := []string{fmt.Sprintf("usage: %d objects listed, %d collected, %d already collected, %d deleted, %d failed; %d items, %d of users no client is mapped to",
		res.Listed, res.Collected, res.Skipped, res.Deleted, res.Failed, res.Items, res.UnknownItems)}
	if res.Overflows > 0 {
		lines = append(lines, fmt.Sprintf("usage: %d objects refused because a ledger sum would exceed 2^64-1 (left on the gateway)", res.Overflows))
	}
	if res.Undated > 0 {
		lines = append(lines, fmt.Sprintf("usage: %d objects have no real date in their name or start_ts (left on the gateway, not booked): %s",
			res.Undated, strings.Join(res.UndatedObjects, ", ")))
	}
	return lines
}

// StorageReport says what one sampling of bucket sizes did, for `staas
// collect`.
func StorageReport(res usage.SampleResult) string {
	if res.LeaseHeldBy != "" {
		return fmt.Sprintf("storage: another staas (%s) is sampling; nothing done", res.LeaseHeldBy)
	}
	return fmt.Sprintf("storage: %d buckets sampled, %d gone since the last sample", res.Buckets, res.Gone)
}
