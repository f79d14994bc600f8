package staas_test

import (
	"errors"
	"fmt"
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
