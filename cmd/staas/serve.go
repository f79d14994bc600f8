package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"staas/handlers"
	"staas/internal/config"
	"staas/internal/metrics"
	"staas/internal/ostor"
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

	e := handlers.New(handlers.Deps{
		Logger:  log,
		Metrics: m,
		Checks:  []handlers.ReadinessCheck{{Name: "ostor", Ping: gateway.Ping}},
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

// readHeaderTimeout stops slow-loris clients from holding connections.
const readHeaderTimeout = 10 * time.Second
