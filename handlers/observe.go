package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"staas"
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

// recoverPanics turns a panic in a handler into an EINTERNAL error, so the
// caller gets the shim's JSON envelope (and an audit-free 500) instead of
// a dropped connection, and the log keeps the panic with its stack. It
// sits inside observeRequests, so the request is still logged and
// counted. http.ErrAbortHandler keeps its meaning: the connection is
// dropped on purpose.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler {
					panic(r)
				}
				if log != nil {
					log.Error("handler panicked", "method", c.Request().Method, "path", c.Request().URL.Path,
						"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				}
				err = &staas.Error{Code: staas.EINTERNAL, Message: "staas failed on this request; the details are in its log.",
					Err: fmt.Errorf("panic: %v", r)}
			}()
			return next(c)
		}
	}
}
