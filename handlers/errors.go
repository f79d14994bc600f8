package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"staas"
)

// statusOf maps each error code to its HTTP status, in one place.
var statusOf = map[string]int{
	staas.EINVALID:      http.StatusBadRequest,
	staas.ENOTFOUND:     http.StatusNotFound,
	staas.ECONFLICT:     http.StatusConflict,
	staas.EKEYLIMIT:     http.StatusConflict,
	staas.ELIMITSOFF:    http.StatusConflict,
	staas.EFORBIDDEN:    http.StatusForbidden,
	staas.EUNAUTHORIZED: http.StatusBadGateway, // our credentials were refused upstream: not the caller's fault
	staas.EUNAVAILABLE:  http.StatusServiceUnavailable,
	staas.EINTERNAL:     http.StatusInternalServerError,
}

// publicMessage is what a caller may see of err.
func publicMessage(err error) string {
	return staas.ErrorMessage(err)
}

// errorBody is every error answer: the shim protocol's envelope
// ({"result":"error","message":…}), so the PHP shim can hand the message
// to WHMCS as it is, plus the code for programs.
type errorBody struct {
	Result  string `json:"result"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	// Anchor is, for an admin action, where on the client's page the
	// admin sees what went wrong (whmcsbridge.ActionResponse).
	Anchor string `json:"anchor,omitempty"`
}

// anchored is an admin action's error with the place of the page that
// shows it; the error answer carries the place as its anchor.
type anchored struct {
	err    error
	anchor string
}

func (e anchored) Error() string { return e.err.Error() }
func (e anchored) Unwrap() error { return e.err }

// errorHandler is echo's one error handler: it maps typed errors to a
// status and an admin-safe message, logs server-side failures with their
// cause, and never shows raw error text for internal errors.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var he *echo.HTTPError
		if errors.As(err, &he) {
			msg, _ := he.Message.(string)
			if msg == "" {
				msg = http.StatusText(he.Code)
			}
			_ = c.JSON(he.Code, errorBody{Result: "error", Message: msg})
			return
		}
		code := staas.ErrorCode(err)
		status, ok := statusOf[code]
		if !ok {
			status = http.StatusInternalServerError
		}
		if log != nil {
			level := slog.LevelWarn
			if status >= 500 {
				level = slog.LevelError
			}
			log.Log(c.Request().Context(), level, "request failed",
				"method", c.Request().Method, "path", c.Request().URL.Path,
				"status", status, "code", code, "err", staas.ErrorDetail(err))
		}
		body := errorBody{Result: "error", Message: publicMessage(err), Code: code}
		var an anchored
		if errors.As(err, &an) {
			body.Anchor = an.anchor
		}
		_ = c.JSON(status, body)
	}
}
