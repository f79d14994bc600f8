package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"staas/handlers"
	"staas/internal/config"
	"staas/internal/metrics"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	usagecol "staas/internal/usage"
	"staas/whmcsbridge"
)

// serve runs the HTTP server until ctx is cancelled (SIGINT/SIGTERM), then
// shuts down gracefully: requests in flight get STAAS_SHUTDOWN_TIMEOUT to
// finish.
func serve(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments; it is configured by STAAS_* environment variables")
	}
	cfg, err := config.Load(lookup)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)

	m := metrics.New()
	ocfg := ostorConfig(cfg.Ostor)
	ocfg.Observe = m.ObserveOstor
	gateway, err := ostor.New(ocfg)
	if err != nil {
		return fmt.Errorf("ostor client: %w", err)
	}

	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	bridge, err := whmcsbridge.FromConfig(cfg.WHMCS)
	if err != nil {
		return fmt.Errorf("WHMCS (STAAS_WHMCS_MODE=%s): %w", cfg.WHMCS.Mode, err)
	}
	defer bridge.Close()
	svc := provision.New(provision.Config{Gateway: gateway, Store: st, WHMCS: bridge, Logger: log})
	ucfg := usagecol.Config{Gateway: gateway, Store: st, KeepObjects: !cfg.Usage.Delete, Logger: log,
		Observe: func(r usagecol.Report) { m.ObserveUsageRun(usageRunMetrics(r)) }}
	collector, err := usagecol.New(ucfg)
	if err != nil {
		return err
	}
	sampler, err := usagecol.NewSampler(ucfg)
	if err != nil {
		return err
	}
	// Background jobs run until serve returns, for whatever reason: their
	// context is cancelled, then they are waited for, before the store
	// closes (deferred calls run last first).
	var jobs sync.WaitGroup
	defer jobs.Wait()
	jobCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	jobs.Go(func() { purgeNonces(jobCtx, st, log) })
	jobs.Go(func() { usagecol.Every(jobCtx, cfg.Usage.Interval, log, "usage collection", collector.RunFunc()) })
	jobs.Go(func() { usagecol.Every(jobCtx, cfg.Usage.SampleInterval, log, "storage sampling", sampler.RunFunc()) })
	jobs.Go(func() { deliverNotes(jobCtx, svc, log) })

	e := handlers.New(handlers.Deps{
		Logger:    log,
		Metrics:   m,
		Checks:    []handlers.ReadinessCheck{{Name: "ostor", Ping: gateway.Ping}, {Name: "store", Ping: st.Ping}},
		Shim:      &whmcsbridge.Verifier{Secret: []byte(cfg.ShimSecret.Reveal()), Nonces: st},
		Provision: svc,
		Panels:    st,

		Usage:         &usagecol.Reader{Store: st},
		UsageSchedule: handlers.UsageSchedule(cfg.Usage.Interval, cfg.Usage.SampleInterval),
		Audit:         st,
	})

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("STAAS_LISTEN_ADDR: %w", err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: readHeaderTimeout}
	log.Info("staas serving", "addr", ln.Addr().String(), "version", fullVersion(),
		"ostor_endpoint", cfg.Ostor.Endpoint, "ostor_signature", cfg.Ostor.Signature)
	fmt.Fprintf(stdout, "staas listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func ostorConfig(c config.Cluster) ostor.Config {
	return ostor.Config{
		Endpoint:              c.Endpoint,
		AccessKey:             c.AccessKey,
		SecretKey:             c.SecretKey.Reveal(),
		Signature:             c.Signature,
		Region:                c.Region,
		UnsignedPayloadHeader: c.UnsignedPayloadHeader,
		Timeout:               c.Timeout,
	}
}

// purgeNonces drops expired shim nonces every few minutes, so the replay
// cache stays as small as the 5-minute clock window allows.
func purgeNonces(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := st.PurgeNonces(ctx, time.Now()); err != nil {
				log.Warn("purging shim nonces", "err", err)
			}
		}
	}
}

// deliverNotes makes the WHMCS note changes queued while WHMCS was
// unreachable, at once and then every minute (provision.DeliverNotes).
// Unlike usage.Every it logs only runs that did something or failed: a
// line a minute would bury the log. Rows are logged by ids, never secrets.
func deliverNotes(ctx context.Context, svc *provision.Service, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		delivered, failed, err := svc.DeliverNotes(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("WHMCS note delivery failed; trying again in a minute", "err", err)
		case delivered > 0 || failed > 0:
			log.Info("WHMCS note delivery", "delivered", delivered, "failed", failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readHeaderTimeout stops slow-loris clients from holding connections.
const readHeaderTimeout = 10 * time.Second

// usageRunMetrics turns a collector's report into what the metrics take.
func usageRunMetrics(r usagecol.Report) metrics.UsageRun {
	return metrics.UsageRun{LeaseHeld: r.LeaseHeldBy != "", Collected: r.Collected, Items: r.Items,
		UnknownItems: r.UnknownItems, Overflows: r.Overflows, Err: r.Err,
		Ended: r.Started.Add(r.Elapsed), Elapsed: r.Elapsed}
}
