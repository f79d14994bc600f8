package store

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"staas"
)

// Every method checks its input before it touches the database: an
// EINVALID error from the store means nothing was written. The limits
// match the columns of both backends, so a value that passes here is never
// truncated or refused by one backend and kept by the other.

func invalid(op, format string, args ...any) error {
	return staas.Errorf(staas.EINVALID, "store: "+op+": "+format, args...)
}

const (
	maxClusterLen  = 128  // characters
	maxUserIDLen   = 128  // characters
	maxEmailLen    = 255  // characters
	maxPanelParams = 4096 // bytes
	maxFlashLen    = 2000 // characters
	maxActionLen   = 64   // characters
	maxResultLen   = 64   // characters
	maxTextBytes   = 65535
	defaultAudit   = 50
	maxAudit       = 500
)

var (
	panelPattern = regexp.MustCompile(`^[a-z0-9_:-]{1,64}$`)
	noncePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)
)

// The range of times both backends hold: SQLite keeps int64 nanoseconds
// (until 2262), MySQL's DATETIME starts in year 1000. No time staas records
// is outside it.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func checkID(op, name string, id int64) error {
	if id < 0 {
		return invalid(op, "%s must not be negative (got %d)", name, id)
	}
	return nil
}

// checkText checks that s is UTF-8 of lo..hi characters.
func checkText(op, name, s string, lo, hi int) error {
	if !utf8.ValidString(s) {
		return invalid(op, "%s is not valid UTF-8", name)
	}
	n := utf8.RuneCountInString(s)
	if n < lo {
		if lo == 1 {
			return invalid(op, "%s is required", name)
		}
		return invalid(op, "%s must be at least %d characters", name, lo)
	}
	if n > hi {
		return invalid(op, "%s must be at most %d characters (got %d)", name, hi, n)
	}
	return nil
}

// checkKey checks a string the store looks rows up by. Besides checkText,
// it refuses surrounding spaces and control characters: MySQL ignores
// trailing spaces when it compares, SQLite does not, and neither belongs
// in an id.
func checkKey(op, name, s string, hi int) error {
	if err := checkText(op, name, s, 1, hi); err != nil {
		return err
	}
	if strings.TrimSpace(s) != s {
		return invalid(op, "%s must not begin or end with a space", name)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return invalid(op, "%s contains a control character", name)
	}
	return nil
}

func checkTime(op, name string, t time.Time) error {
	if t.Before(minTime) || !t.Before(maxTime) {
		return invalid(op, "%s %s is outside %d..%d", name, t.UTC().Format(time.RFC3339), minTime.Year(), maxTime.Year()-1)
	}
	return nil
}

func checkS3UserKey(op string, clientID, serviceID int64) error {
	if clientID <= 0 {
		return invalid(op, "client id must be positive (got %d)", clientID)
	}
	return checkID(op, "service id", serviceID)
}

func checkS3User(op string, u staas.S3User) error {
	if err := checkS3UserKey(op, u.ClientID, u.ServiceID); err != nil {
		return err
	}
	if err := checkKey(op, "cluster", u.Cluster, maxClusterLen); err != nil {
		return err
	}
	if err := checkKey(op, "user id", u.UserID, maxUserIDLen); err != nil {
		return err
	}
	if err := checkText(op, "email", u.Email, 1, maxEmailLen); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		t    time.Time
	}{{"created at", u.CreatedAt}, {"updated at", u.UpdatedAt}} {
		if !t.t.IsZero() {
			if err := checkTime(op, t.name, t.t); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkOwner(op string, adminID, clientID int64) error {
	if err := checkID(op, "admin id", adminID); err != nil {
		return err
	}
	return checkID(op, "client id", clientID)
}

func checkPanel(op, panel string) error {
	if !panelPattern.MatchString(panel) {
		return invalid(op, "panel name %q must be 1 to 64 characters of a-z, 0-9, '_', '-' and ':'", truncate(panel))
	}
	return nil
}

func checkPanelParams(op, params string) error {
	if len(params) > maxPanelParams {
		return invalid(op, "panel parameters are %d bytes; at most %d are kept", len(params), maxPanelParams)
	}
	if !utf8.ValidString(params) {
		return invalid(op, "panel parameters are not valid UTF-8")
	}
	return nil
}

func checkFlash(op string, f staas.Flash) error {
	switch f.Kind {
	case staas.FlashSuccess, staas.FlashError, staas.FlashInfo:
	default:
		return invalid(op, "flash kind %q must be %q, %q or %q", truncate(f.Kind), staas.FlashSuccess, staas.FlashError, staas.FlashInfo)
	}
	return checkText(op, "flash message", f.Message, 1, maxFlashLen)
}

func checkNonce(op, nonce string) error {
	if !noncePattern.MatchString(nonce) {
		return invalid(op, "nonce must be 16 to 128 characters of A-Z, a-z, 0-9, '_' and '-'")
	}
	return nil
}

// checkAuditMessage checks an audit row's message, as AddAudit writes it
// and FinishAudit completes it.
func checkAuditMessage(op, message string) error {
	if !utf8.ValidString(message) {
		return invalid(op, "message is not valid UTF-8")
	}
	if len(message) > maxTextBytes {
		return invalid(op, "message is %d bytes; at most %d are kept", len(message), maxTextBytes)
	}
	return nil
}

func checkAudit(op string, e staas.AuditEntry) error {
	if err := checkOwner(op, e.AdminID, e.ClientID); err != nil {
		return err
	}
	if err := checkText(op, "action", e.Action, 1, maxActionLen); err != nil {
		return err
	}
	switch e.Actor {
	case "", staas.AuditActorAdmin, staas.AuditActorClient, staas.AuditActorWHMCS:
	default:
		return invalid(op, "actor %q must be %q, %q or %q", truncate(e.Actor), staas.AuditActorAdmin, staas.AuditActorClient, staas.AuditActorWHMCS)
	}
	if err := checkText(op, "result", e.Result, 0, maxResultLen); err != nil {
		return err
	}
	if err := checkText(op, "admin name", e.AdminName, 0, staas.MaxAdminName); err != nil {
		return err
	}
	if err := checkAuditMessage(op, e.Message); err != nil {
		return err
	}
	for k, v := range e.Params {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return invalid(op, "parameter %q is not valid UTF-8", truncate(k))
		}
	}
	if !e.At.IsZero() {
		return checkTime(op, "time", e.At)
	}
	return nil
}

// truncate shortens a bad value quoted in an error message.
func truncate(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
