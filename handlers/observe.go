package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestMetrics records served requests; internal/metrics implements it.
type RequestMetrics interface {
	ObserveHTTP(method, route string, status int, elapsed time.Duration)
	Handler() http.Handler
}

// observeRequests logs one line per request and records it in metrics.
// It logs the path only, never the query string, because later endpoints
// carry tokens there; metrics use the route pattern so that a scan of
// random URLs cannot grow the label set.
func observeRequests(log *slog.Logger, m RequestMetrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				// Let the error handler write the response so the status
				// recorded is the one the client got.
				c.Error(err)
			}
			req, status, elapsed := c.Request(), c.Response().Status, time.Since(start)
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			if m != nil {
				m.ObserveHTTP(req.Method, route, status, elapsed)
			}
			if log != nil {
				log.LogAttrs(req.Context(), slog.LevelInfo, "request",
					slog.String("method", req.Method),
					slog.String("path", req.URL.Path),
					slog.Int("status", status),
					slog.Duration("duration", elapsed),
					slog.String("remote", c.RealIP()))
			}
			return nil
		}
	}
}
