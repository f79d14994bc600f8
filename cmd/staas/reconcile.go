package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"staas"
	"staas/internal/cluster"
	"staas/internal/config"
	"staas/internal/reconcile"
	"staas/internal/store"
	"staas/internal/whmcs"
)

// reconcileCmd runs the reconciler once on every cluster (or the one
// -cluster names) and prints each drift item as a line an admin reads.
// It needs WHMCS's database (STAAS_WHMCS_MODE=mysql): WHMCS's API has no
// bulk read of service statuses. Something that could not be checked
// or an action that failed (a disable the gateway refused) makes the exit
// status 1.
func reconcileCmd(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "compare and report only: change nothing")
	only := fs.String("cluster", "", "run on this cluster alone (default: every cluster)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("reconcile takes no arguments besides -dry-run and -cluster; it is configured by STAAS_* environment variables")
	}
	cfg, err := config.Load(lookup)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	st, reg, names, err := openClusters(ctx, "reconcile", cfg, lookup, *only)
	if err != nil {
		return err
	}
	defer st.Close()
	bridge, err := whmcs.Open(whmcsConfig(cfg.WHMCS))
	if err != nil {
		return fmt.Errorf("WHMCS (STAAS_WHMCS_MODE=%s): %w", cfg.WHMCS.Mode, err)
	}
	defer bridge.Close()
	statuses, ok := bridge.(reconcile.WHMCS)
	if !ok {
		return fmt.Errorf("reconcile reads WHMCS's database: set STAAS_WHMCS_MODE=mysql (it is %q)", cfg.WHMCS.Mode)
	}
	var failed []error
	for _, name := range names {
		rep, err := runReconcile(ctx, reg, st, statuses, log, name, *dry)
		for _, line := range reconcileLines(rep) {
			fmt.Fprintln(stdout, line)
		}
		if err != nil {
			fmt.Fprintf(stdout, "cluster %s: could not be checked: %v\n", name, err)
			failed = append(failed, fmt.Errorf("cluster %s: %w", name, err))
		} else if len(rep.Unchecked) > 0 {
			failed = append(failed, fmt.Errorf("cluster %s: %d thing(s) could not be checked", name, len(rep.Unchecked)))
		}
		if n := rep.Failed(); n > 0 {
			failed = append(failed, fmt.Errorf("cluster %s: %d action(s) failed", name, n))
		}
	}
	return errors.Join(failed...)
}

// runReconcile runs one cluster's reconciler once: serve's hourly loop
// and the command share it.
func runReconcile(ctx context.Context, reg *cluster.Registry, st *store.Store, w reconcile.WHMCS, log *slog.Logger, name string, dry bool) (reconcile.Report, error) {
	return newReconciler(reg, st, w, log, name).Run(ctx, dry)
}

// newReconciler is the reconciler of one registered cluster; its backend
// is resolved at each call, as the usage jobs' is.
func newReconciler(reg *cluster.Registry, st *store.Store, w reconcile.WHMCS, log *slog.Logger, name string) *reconcile.Reconciler {
	return &reconcile.Reconciler{Cluster: name, IsDefault: name == reg.Default(), Backend: lazyReconcile{reg, name}, WHMCS: w,
		Mappings: st, Audit: st, Leases: st, Log: log.With("cluster", name)}
}

// lazyReconcile is a cluster's backend for the reconciler, resolved at
// each call.
type lazyReconcile struct {
	reg  *cluster.Registry
	name string
}

func (l lazyReconcile) Users(ctx context.Context) ([]staas.StorageUser, error) {
	b, err := l.reg.Client(l.name)
	if err != nil {
		return nil, err
	}
	return b.Users(ctx)
}

func (l lazyReconcile) DisableUser(ctx context.Context, email string) error {
	b, err := l.reg.Client(l.name)
	if err != nil {
		return err
	}
	return b.DisableUser(ctx, email)
}

func (l lazyReconcile) EnableUser(ctx context.Context, email string) error {
	b, err := l.reg.Client(l.name)
	if err != nil {
		return err
	}
	return b.EnableUser(ctx, email)
}

func (l lazyReconcile) Quota(ctx context.Context, subject staas.QuotaSubject) (*staas.Quota, error) {
	b, err := l.reg.Client(l.name)
	if err != nil {
		return nil, err
	}
	return b.Quota(ctx, subject)
}

func (l lazyReconcile) SetQuota(ctx context.Context, subject staas.QuotaSubject, gb uint64) error {
	b, err := l.reg.Client(l.name)
	if err != nil {
		return err
	}
	return b.SetQuota(ctx, subject, gb)
}

func (l lazyReconcile) DeleteQuota(ctx context.Context, subject staas.QuotaSubject) error {
	b, err := l.reg.Client(l.name)
	if err != nil {
		return err
	}
	return b.DeleteQuota(ctx, subject)
}

func (l lazyReconcile) BucketsOf(ctx context.Context, ref staas.UserRef) ([]staas.Bucket, error) {
	b, err := l.reg.Client(l.name)
	if err != nil {
		return nil, err
	}
	return b.BucketsOf(ctx, ref)
}

// reconcileLines are a report as an admin reads it.
func reconcileLines(rep reconcile.Report) []string {
	if rep.Held != "" {
		return []string{fmt.Sprintf("cluster %s: another staas (%s) is reconciling it; nothing done", rep.Cluster, rep.Held)}
	}
	var lines []string
	for _, it := range rep.Items {
		lines = append(lines, it.Line())
	}
	for _, u := range rep.Unchecked {
		lines = append(lines, fmt.Sprintf("cluster %s: not checked: %s", rep.Cluster, u))
	}
	mode := ""
	if rep.DryRun {
		mode = " (dry run)"
	}
	lines = append(lines, fmt.Sprintf("cluster %s%s: %d mapped user(s) checked, %d drift item(s), %d disabled or enabled again", rep.Cluster, mode, rep.Checked, len(rep.Items), rep.Converged()))
	return lines
}

// reconcileSummary is what the hourly loop logs of a run.
func reconcileSummary(rep reconcile.Report) map[string]any {
	return map[string]any{"checked": rep.Checked, "drift": len(rep.Items), "disabled": rep.Converged(), "failed": rep.Failed(), "unchecked": len(rep.Unchecked), "held_by": rep.Held}
}
