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

	"staas"
	"staas/handlers"
	"staas/internal/config"
	"staas/internal/metrics"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/s3data"
	"staas/internal/store"
	usagecol "staas/internal/usage"
	"staas/whmcsbridge"
)

// One ostor client is the backend of a cluster for provisioning and for
// usage collection alike.
var (
	_ provision.Backend = (*ostor.Client)(nil)
	_ usagecol.Backend  = (*ostor.Client)(nil)
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
	// Terminating a service whose product says purge empties its buckets
	// through the S3 data endpoint, as their owner.
	s3Endpoint := cfg.Ostor.S3Endpoint
	if s3Endpoint == "" {
		s3Endpoint = cfg.Ostor.Endpoint
	}
	purger, err := s3data.New(s3data.Config{Endpoint: s3Endpoint, Region: cfg.Ostor.Region})
	if err != nil {
		return fmt.Errorf("S3 data endpoint (STAAS_OSTOR_S3_ENDPOINT): %w", err)
	}
	svc := provision.New(provision.Config{Gateway: gateway, Store: st, WHMCS: bridge, Logger: log, Purger: purger,
		NotesWithoutSecret: !cfg.WHMCS.NotesWithSecret})
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

	reader := &usagecol.Reader{Store: st}
	e := handlers.New(handlers.Deps{
		Logger:    log,
		Metrics:   m,
		Checks:    []handlers.ReadinessCheck{{Name: "ostor", Ping: gateway.Ping}, {Name: "store", Ping: st.Ping}},
		Shim:      &whmcsbridge.Verifier{Secret: []byte(cfg.ShimSecret.Reveal()), Nonces: st},
		Provision: svc,
		Panels:    st,

		MonitorToken:   cfg.HTTP.MonitorToken.Reveal(),
		ReadyCache:     cfg.HTTP.ReadyCache,
		TrustedProxies: cfg.HTTP.TrustedProxies,

		Usage:         reader,
		UsageSchedule: handlers.UsageSchedule(cfg.Usage.Interval, cfg.Usage.SampleInterval),
		Audit:         st,

		Services:          st,
		ServiceUsage:      reader,
		Quotas:            gateway,
		CreateOnClientAdd: cfg.Hooks.CreateOnClientAdd,
		ClientDelete:      provision.DeletePolicy(cfg.Hooks.ClientDelete),
		Daily:             dailyWork(svc, collector, sampler, log),
	})

	srv := newHTTPServer(e, cfg.HTTP)
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

// dailyWork is what WHMCS's daily cron runs in staas (the daily-cron
// event): deliver the queued WHMCS notes, collect usage and sample bucket
// sizes once, now, so the day's figures are in before WHMCS's UsageUpdate
// reads them. Each part runs whatever the others did; each gives one line
// for WHMCS's Activity Log, a failure included.
func dailyWork(svc *provision.Service, collector *usagecol.Collector, sampler *usagecol.Sampler, log *slog.Logger) handlers.DailyFunc {
	return func(ctx context.Context) []string {
		var lines []string
		failed := func(part string, err error) {
			log.Error("daily cron: "+part+" failed", "err", err)
			lines = append(lines, fmt.Sprintf("staas: %s failed: %s", part, staas.ErrorMessage(err)))
		}
		if delivered, notYet, err := svc.DeliverNotes(ctx); err != nil {
			failed("delivering queued WHMCS notes", err)
		} else {
			lines = append(lines, fmt.Sprintf("staas: %d queued WHMCS note change(s) delivered, %d failed again and wait for the next try.", delivered, notYet))
		}
		if res, err := collector.Run(ctx); err != nil {
			failed("usage collection", err)
		} else if res.LeaseHeldBy != "" {
			lines = append(lines, "staas: usage collection is running elsewhere ("+res.LeaseHeldBy+"); not run again.")
		} else {
			lines = append(lines, fmt.Sprintf("staas: usage collection counted %d statistics object(s); %d left for the next run.", res.Collected, res.Failed))
		}
		if res, err := sampler.Run(ctx); err != nil {
			failed("storage sampling", err)
		} else if res.LeaseHeldBy != "" {
			lines = append(lines, "staas: storage sampling is running elsewhere ("+res.LeaseHeldBy+"); not run again.")
		} else {
			lines = append(lines, fmt.Sprintf("staas: storage sampling measured %d bucket(s).", res.Buckets))
		}
		return lines
	}
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
