package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"staas/internal/config"
	"staas/internal/ostor"
	usagecol "staas/internal/usage"
)

// collect runs the usage collector once, then samples bucket sizes once,
// and says what each did. serve does both on a schedule; this is for cron
// jobs, first runs and checks. Another staas collecting at the time is
// not an error: this run then does nothing and says so.
func collect(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("collect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storage := fs.Bool("storage", true, "also sample every bucket's size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("collect takes no arguments besides -storage; it is configured by STAAS_* environment variables")
	}
	cfg, err := config.LoadCollect(lookup)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	gateway, err := ostor.New(ostorConfig(cfg.Ostor))
	if err != nil {
		return fmt.Errorf("ostor client: %w", err)
	}
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	ucfg := usagecol.Config{Gateway: gateway, Store: st, KeepObjects: !cfg.Usage.Delete, Logger: log}
	c, err := usagecol.New(ucfg)
	if err != nil {
		return err
	}
	res, runErr := c.Run(ctx)
	if res.LeaseHeldBy != "" {
		fmt.Fprintf(stdout, "usage: another staas (%s) is collecting; nothing done\n", res.LeaseHeldBy)
	} else {
		fmt.Fprintf(stdout, "usage: %d objects listed, %d collected, %d already collected, %d deleted, %d failed; %d items, %d of users no client is mapped to\n",
			res.Listed, res.Collected, res.Skipped, res.Deleted, res.Failed, res.Items, res.UnknownItems)
		if res.Overflows > 0 {
			fmt.Fprintf(stdout, "usage: %d objects refused because a ledger sum would exceed 2^64-1 (left on the gateway)\n", res.Overflows)
		}
		if res.Undated > 0 {
			fmt.Fprintf(stdout, "usage: %d objects have no real date in their name or start_ts (left on the gateway, not booked): %s\n",
				res.Undated, strings.Join(res.UndatedObjects, ", "))
		}
	}
	if *storage {
		s, err := usagecol.NewSampler(ucfg)
		if err != nil {
			return err
		}
		sres, err := s.Run(ctx)
		switch {
		case err != nil:
			runErr = joinErr(runErr, fmt.Errorf("sampling bucket sizes: %w", err))
		case sres.LeaseHeldBy != "":
			fmt.Fprintf(stdout, "storage: another staas (%s) is sampling; nothing done\n", sres.LeaseHeldBy)
		default:
			fmt.Fprintf(stdout, "storage: %d buckets sampled, %d gone since the last sample\n", sres.Buckets, sres.Gone)
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
