package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// ReadinessCheck is one dependency that must answer before staas takes
// traffic.
//
// Checks of one Group (the storage clusters, when there are several) are
// reported each, but make staas not ready only when all of them fail:
// one cluster down must not take staas, and every other cluster's
// clients, out of the load balancer.
type ReadinessCheck struct {
	Name  string
	Ping  func(ctx context.Context) error
	Group string
}

// readyTimeout bounds /readyz so a hung gateway cannot hang the probe.
const readyTimeout = 5 * time.Second

// handleHealthz answers GET /healthz: the process is up.
func handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyzHandler answers GET /readyz: 200 when every check passes, 503
// naming the ones that failed. The answer carries the admin-safe message,
// never the raw error, which could hold a URL with details; the raw error
// goes to the log, so the operator can still see why. An answer is reused
// for cache (0: never), and concurrent probes wait for one round of
// checks, so anonymous requests cannot turn into a gateway call each.
func readyzHandler(log *slog.Logger, checks []ReadinessCheck, cache time.Duration) echo.HandlerFunc {
	var (
		mu     sync.Mutex
		last   readiness
		lastAt time.Time // zero until the first round of checks
	)
	return func(c echo.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if lastAt.IsZero() || cache <= 0 || time.Since(lastAt) >= cache {
			// Checks outlive a probe that hangs up, so the next one gets
			// their answer.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), readyTimeout)
			last, lastAt = runChecks(ctx, log, checks), time.Now()
			cancel()
		}
		code := http.StatusOK
		if last.Status != "ready" {
			code = http.StatusServiceUnavailable
		}
		return c.JSON(code, last)
	}
}

func runChecks(ctx context.Context, log *slog.Logger, checks []ReadinessCheck) readiness {
	out := readiness{Status: "ready", Checks: map[string]string{}}
	// The checks run concurrently: a slow cluster holds up no other's.
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, chk := range checks {
		wg.Go(func() { errs[i] = chk.Ping(ctx) })
	}
	wg.Wait()
	groupUp := map[string]bool{}
	for i, chk := range checks {
		if errs[i] == nil && chk.Group != "" {
			groupUp[chk.Group] = true
		}
	}
	for i, chk := range checks {
		if err := errs[i]; err != nil {
			if log != nil {
				log.Warn("readiness check failed", "check", chk.Name, "err", err)
			}
			if chk.Group == "" || !groupUp[chk.Group] {
				out.Status = "not ready"
			}
			out.Checks[chk.Name] = publicMessage(err)
			continue
		}
		out.Checks[chk.Name] = "ok"
	}
	return out
}
