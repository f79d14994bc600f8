package staas_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"staas"
)

func TestErrorCodeAndMessage(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	wrapped := fmt.Errorf("provision: %w", &staas.Error{Code: staas.EUNAVAILABLE, Message: "ostor: gateway unreachable", Err: cause})

	tests := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"nil", nil, "", ""},
		{"typed", staas.Errorf(staas.ENOTFOUND, "user %s not found", "a@example.com"), staas.ENOTFOUND, "user a@example.com not found"},
		{"wrapped", wrapped, staas.EUNAVAILABLE, "ostor: gateway unreachable"},
		// A plain error may carry driver detail: its text never reaches an admin.
		{"plain", errors.New("Error 1045: Access denied for user 'whmcs'@'10.0.0.5'"), staas.EINTERNAL, "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := staas.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := staas.ErrorMessage(tt.err); got != tt.msg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.msg)
			}
		})
	}
	if !errors.Is(wrapped, cause) {
		t.Error("the cause is not reachable with errors.Is")
	}
}

func TestErrorDetailKeepsTheCause(t *testing.T) {
	cause := errors.New("ostor: get usage object: HTTP 404: Statistics object not found")
	err := fmt.Errorf("provision: %w", &staas.Error{Code: staas.ENOTFOUND, Message: "The storage cluster has no such statistics object.", Err: cause})
	if got := staas.ErrorMessage(err); got != "The storage cluster has no such statistics object." {
		t.Errorf("ErrorMessage = %q", got)
	}
	want := "provision: The storage cluster has no such statistics object. [cause: ostor: get usage object: HTTP 404: Statistics object not found]"
	if got := staas.ErrorDetail(err); got != want {
		t.Errorf("ErrorDetail = %q, want %q", got, want)
	}
	if staas.ErrorDetail(nil) != "" {
		t.Error("ErrorDetail(nil) is not empty")
	}
}

// A log line given the error itself (not ErrorDetail) still carries the
// cause beneath the admin's sentence.
func TestErrorLogsItsCause(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	err := fmt.Errorf("wrapped: %w", &staas.Error{Code: staas.EUNAVAILABLE, Message: "WHMCS did not answer.", Err: errors.New("dial tcp 10.0.0.5:443: connection refused")})
	var e *staas.Error
	errors.As(err, &e)
	log.Warn("x", "err", e)
	if !strings.Contains(buf.String(), "WHMCS did not answer. [cause: dial tcp 10.0.0.5:443: connection refused]") {
		t.Errorf("log line %q lacks the cause", buf.String())
	}
}
