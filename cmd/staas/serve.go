package main

import (
	"context"
	"encoding/hex"
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
	"staas/internal/schedule"
	"staas/internal/store"
	usagecol "staas/internal/usage"
	"staas/internal/whmcs"
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
	// The address first: a busy port (a second staas, a leftover demo) must
	// fail alone, before this process migrates the store or starts jobs that
	// call the gateway, and before they log errors of their own as they are
	// stopped.
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("STAAS_LISTEN_ADDR: %w", err)
	}
	defer ln.Close()

	m := metrics.New()
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := loadClusters(ctx, st, cfg, lookup, m.ObserveOstor)
	if err != nil {
		return err
	}
	bridge, err := whmcs.Open(whmcsConfig(cfg.WHMCS))
	if err != nil {
		return fmt.Errorf("WHMCS (STAAS_WHMCS_MODE=%s): %w", cfg.WHMCS.Mode, err)
	}
	defer bridge.Close()
	p, err := buildProduct(wiring{
		Log: log, Metrics: m, Store: st, WHMCS: bridge, Clusters: reg,
		ShimSecret:         []byte(cfg.ShimSecret.Reveal()),
		NotesWithoutSecret: !cfg.WHMCS.NotesWithSecret,
		KeepObjects:        !cfg.Usage.Delete,
		UsageSchedule:      handlers.UsageSchedule(cfg.Usage.Interval, cfg.Usage.SampleInterval),
		MonitorToken:       cfg.HTTP.MonitorToken.Reveal(),
		ReadyCache:         cfg.HTTP.ReadyCache,
		TrustedProxies:     cfg.HTTP.TrustedProxies,
		CreateOnClientAdd:  cfg.Hooks.CreateOnClientAdd,
		ClientDelete:       provision.DeletePolicy(cfg.Hooks.ClientDelete),
		Daily:              true,
		ResellerKey:        resellerKey(cfg.Reseller.SessionKey),
		ResellerTTL:        cfg.Reseller.CacheTTL,
	})
	if err != nil {
		return err
	}
	// Background jobs run until serve returns, for whatever reason: their
	// context is cancelled, then they are waited for, before the store
	// closes (deferred calls run last first). Each cluster has its own
	// collection and sampling loops, so a slow or unreachable cluster
	// delays no other.
	var jobs sync.WaitGroup
	defer jobs.Wait()
	jobCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	jobs.Go(func() { purgeNonces(jobCtx, st, log) })
	for _, c := range p.Clusters {
		jobs.Go(func() {
			schedule.Every(jobCtx, cfg.Usage.Interval, log, "usage collection ("+c.Name+")", c.Collector.RunFunc())
		})
		jobs.Go(func() {
			schedule.Every(jobCtx, cfg.Usage.SampleInterval, log, "storage sampling ("+c.Name+")", c.Sampler.RunFunc())
		})
	}
	jobs.Go(func() { deliverNotes(jobCtx, p.Provision, log) })
	jobs.Go(func() {
		retryIntents(jobCtx, p.Provision, log, func(ctx context.Context) {
			if queued, _, failed, err := st.IntentBacklog(ctx); err == nil {
				m.SetClientEvents(queued, failed)
			}
		})
	})
	// The reconciler (issue 14), hourly per cluster, under a lease per
	// cluster; it reads WHMCS's database, so API mode goes without it.
	for _, c := range p.Clusters {
		if c.Reconciler == nil {
			log.Info("the reconciler is off: it reads WHMCS's database (STAAS_WHMCS_MODE=mysql)", "cluster", c.Name)
			continue
		}
		jobs.Go(func() {
			schedule.Every(jobCtx, time.Hour, log, "reconcile ("+c.Name+")", func(ctx context.Context) (any, error) {
				rep, err := c.Reconciler.Run(ctx, false)
				if err == nil && rep.Held == "" {
					m.SetDrift(c.Name, len(rep.Items))
				}
				return reconcileSummary(rep), err
			})
		})
	}
	e := p.Handler

	srv := newHTTPServer(e, cfg.HTTP)
	log.Info("staas serving", "addr", ln.Addr().String(), "version", fullVersion(),
		"clusters", reg.Names(), "default_cluster", reg.Default())
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

// whmcsConfig maps staas's WHMCS settings onto the adapter's own Config.
func whmcsConfig(c config.WHMCS) whmcs.Config {
	return whmcs.Config{
		Mode: c.Mode,
		API: whmcs.APIConfig{
			URL:        c.APIURL,
			Identifier: c.APIIdentifier,
			Secret:     c.APISecret.Reveal(),
			AccessKey:  c.APIAccessKey.Reveal(),
		},
		DSN:     c.DBDSN.Reveal(),
		Timeout: c.Timeout,
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
// unreachable, at once and then every minute (notes.Outbox.Deliver),
// logging only runs that did something or failed (schedule.EveryQuiet).
// Rows are logged by ids, never secrets.
func deliverNotes(ctx context.Context, svc *provision.Services, log *slog.Logger) {
	type notesRun struct{ Delivered, Failed int }
	schedule.EveryQuiet(ctx, time.Minute, log, "WHMCS note delivery", func(ctx context.Context) (any, error) {
		delivered, failed, err := svc.Notes.Deliver(ctx)
		return notesRun{delivered, failed}, err
	}, func(res any) bool { return res == notesRun{} })
}

// retryIntents retries the client events queued while a gateway was away
// (provision.ClientEvents.RetryIntents), at once and then every minute;
// each intent waits its own growing delay (1 minute to 1 hour) between
// attempts. Only runs that did something or failed are logged; after each
// run observe sets the metrics of what still waits.
func retryIntents(ctx context.Context, svc *provision.Services, log *slog.Logger, observe func(context.Context)) {
	schedule.EveryQuiet(ctx, time.Minute, log, "queued client events", func(ctx context.Context) (any, error) {
		run, err := svc.Events.RetryIntents(ctx)
		observe(ctx)
		return run, err
	}, func(res any) bool { return res == provision.IntentRun{} })
}

// readHeaderTimeout stops slow-loris clients from holding connections
// with headers sent a byte at a time.
const readHeaderTimeout = 10 * time.Second

// newHTTPServer is serve's HTTP server: every phase of a connection has a
// time limit, so a client sending its body a byte every few seconds, or
// keeping idle connections open, is cut off instead of holding memory.
// The shim's signature headers are checked before a body is read
// (handlers' shimAuth), so an unsigned client cannot even make staas wait
// for its body.
func newHTTPServer(h http.Handler, c config.HTTP) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(readHeaderTimeout, c.ReadTimeout),
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// usageRunMetrics turns a collector's report into what the metrics take.
func usageRunMetrics(r usagecol.Report) metrics.UsageRun {
	return metrics.UsageRun{LeaseHeld: r.LeaseHeldBy != "", Collected: r.Collected, Items: r.Items,
		UnknownItems: r.UnknownItems, Overflows: r.Overflows, Err: r.Err,
		Ended: r.Started.Add(r.Elapsed), Elapsed: r.Elapsed}
}

// resellerKey decodes STAAS_RESELLER_SESSION_KEY (checked by config):
// nil when unset.
func resellerKey(s config.Secret) []byte {
	if s == "" {
		return nil
	}
	b, _ := hex.DecodeString(s.Reveal())
	return b
}
