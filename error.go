// Package staas holds the domain types shared by every part of staas: the
// error type and its codes, and the backend-neutral storage types
// (storage.go: users, keys, buckets, quotas, limits, usage records).
// Adapters (internal/ostor, internal/store, internal/whmcs) translate their
// failures into these codes; handlers map the
// codes to HTTP statuses and WHMCS messages in one place.
package staas

import (
	"errors"
	"fmt"
	"log/slog"
)

// Error codes. They say what kind of failure happened, not where.
const (
	ECONFLICT     = "conflict"     // the state forbids it (a user who owns buckets, an email in use)
	EINTERNAL     = "internal"     // a bug or an unexpected answer
	EINVALID      = "invalid"      // bad input; nothing was sent or written
	ENOTFOUND     = "not_found"    // no such user, bucket, key or object
	EUNAUTHORIZED = "unauthorized" // the gateway (or WHMCS) refused our credentials
	EFORBIDDEN    = "forbidden"    // the caller lacks a permission
	EUNAVAILABLE  = "unavailable"  // the gateway or WHMCS could not be reached or answered 5xx
	EKEYLIMIT     = "key_limit"    // the user already has the two key pairs ostor allows
	ELIMITSOFF    = "limits_off"   // limits are not enabled for this user or bucket
)

// Error is the one application error type. Message is safe to show to an
// admin: it never contains secrets.
type Error struct {
	Code    string
	Message string
	// Err is the underlying cause, kept for logs and errors.Is/As.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// LogValue makes slog write an *Error as ErrorDetail: a log line such as
// log.Error("…", "err", err) keeps the cause beneath the admin's sentence.
func (e *Error) LogValue() slog.Value { return slog.StringValue(ErrorDetail(e)) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorDetail is err for the log: its text and, beneath an *Error's
// admin message, the cause it carries (the gateway's own words, its
// status and request id, a driver's error). An admin reads ErrorMessage;
// the log keeps ErrorDetail.
func ErrorDetail(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var e *Error
	if errors.As(err, &e) && e.Err != nil && e.Message != "" {
		s += " [cause: " + ErrorDetail(e.Err) + "]"
	}
	return s
}

// ErrorMessage returns the admin-safe message of err. Errors that are not
// *Error may hold details from a driver or library, so they read only
// "Internal error.".
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
