package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// ReadinessCheck is one dependency that must answer before staas takes
// traffic.
type ReadinessCheck struct {
	Name string
	Ping func(ctx context.Context) error
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
// goes to the log, so the operator can still see why.
func readyzHandler(log *slog.Logger, checks []ReadinessCheck) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
		defer cancel()
		out := readiness{Status: "ready", Checks: map[string]string{}}
		code := http.StatusOK
		for _, chk := range checks {
			if err := chk.Ping(ctx); err != nil {
				if log != nil {
					log.Warn("readiness check failed", "check", chk.Name, "err", err)
				}
				out.Status = "not ready"
				out.Checks[chk.Name] = publicMessage(err)
				code = http.StatusServiceUnavailable
				continue
			}
			out.Checks[chk.Name] = "ok"
		}
		return c.JSON(code, out)
	}
}
