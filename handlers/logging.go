package handlers

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

// requestLogger logs one line per request. It logs the path only, never
// the query string, because later endpoints carry tokens there.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				// Let the error handler write the response so the status
				// logged is the one the client got.
				c.Error(err)
			}
			req := c.Request()
			log.LogAttrs(req.Context(), slog.LevelInfo, "request",
				slog.String("method", req.Method),
				slog.String("path", req.URL.Path),
				slog.Int("status", c.Response().Status),
				slog.Duration("duration", time.Since(start)),
				slog.String("remote", c.RealIP()))
			return nil
		}
	}
}
