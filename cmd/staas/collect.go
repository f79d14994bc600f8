package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"staas/internal/config"
	"staas/internal/daily"
	usagecol "staas/internal/usage"
)

// collect runs the usage collector once, then samples bucket sizes once,
// on every registered cluster (or the one -cluster names), and says what
// each did. serve does both on a schedule; this is for cron jobs, first
// runs and checks. Another staas collecting at the time is not an error:
// this run then does nothing and says so.
//
// The clusters run at once, so one slow or down cluster delays no other,
// and one failing stops no other: its failure is in the error returned
// (the exit status is then 1), each named by its cluster. With several
// clusters registered, every report line starts with "cluster NAME: ";
// with one, the lines are as they were before there were several.
func collect(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("collect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storage := fs.Bool("storage", true, "also sample every bucket's size")
	only := fs.String("cluster", "", "run on this cluster alone (staas cluster list names them; default: every cluster)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("collect takes no arguments besides -storage and -cluster; it is configured by STAAS_* environment variables")
	}
	cfg, err := config.LoadCollect(lookup)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	// The registry as serve loads it: seeded from STAAS_OSTOR_* when
	// empty, so an install with one cluster collects as it always did.
	st, reg, names, err := openClusters(ctx, "collect", cfg, lookup, *only)
	if err != nil {
		return err
	}
	defer st.Close()
	several := len(reg.Names()) > 1

	outs := make([]bytes.Buffer, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			ucfg := usagecol.Config{Gateway: lazyUsage{reg, name}, Store: st, Cluster: name, KeepObjects: !cfg.Usage.Delete, Logger: log.With("cluster", name)}
			errs[i] = collectCluster(ctx, ucfg, *storage, &outs[i])
		})
	}
	wg.Wait()

	var failed []error
	for i, name := range names {
		prefix := ""
		if several {
			prefix = "cluster " + name + ": "
		}
		for line := range strings.Lines(outs[i].String()) {
			fmt.Fprint(stdout, prefix+line)
		}
		if errs[i] != nil {
			if several {
				fmt.Fprintf(stdout, "%sfailed: %v\n", prefix, errs[i])
				errs[i] = fmt.Errorf("cluster %s: %w", name, errs[i])
			}
			failed = append(failed, errs[i])
		}
	}
	if len(failed) > 1 {
		return fmt.Errorf("%d of %d clusters failed: %w", len(failed), len(names), errors.Join(failed...))
	}
	if len(failed) == 1 {
		return failed[0]
	}
	return nil
}

// collectCluster collects one cluster's usage once and, with storage,
// samples its bucket sizes once, writing the report lines to out.
func collectCluster(ctx context.Context, ucfg usagecol.Config, storage bool, out io.Writer) error {
	c, err := usagecol.New(ucfg)
	if err != nil {
		return err
	}
	res, runErr := c.Run(ctx)
	for _, line := range daily.UsageReport(res) {
		fmt.Fprintln(out, line)
	}
	if storage {
		s, err := usagecol.NewSampler(ucfg)
		if err != nil {
			return joinErr(runErr, err)
		}
		sres, err := s.Run(ctx)
		switch {
		case err != nil:
			runErr = joinErr(runErr, fmt.Errorf("sampling bucket sizes: %w", err))
		default:
			fmt.Fprintln(out, daily.StorageReport(sres))
		}
	}
	return runErr
}

func joinErr(a, b error) error {
	if a == nil {
		return b
	}
	return fmt.Errorf("%w; %w", a, b)
}
