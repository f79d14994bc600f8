package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"staas/internal/config"
	"staas/internal/daily"
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
	for _, line := range daily.UsageReport(res) {
		fmt.Fprintln(stdout, line)
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
		default:
			fmt.Fprintln(stdout, daily.StorageReport(sres))
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
