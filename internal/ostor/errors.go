package ostor

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"staas"
)

// GatewayError is the gateway's own answer to a failed call. It is the Err
// of the *staas.Error the client returns, so a caller that needs the
// status can get it with errors.As.
type GatewayError struct {
	Op        string // what the client was doing: "create user"
	Status    int    // HTTP status
	Message   string // the gateway's message, see gatewayMessage
	RequestID string // x-amz-request-id, for the cluster's logs
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("ostor: %s: HTTP %d: %s", e.Op, e.Status, e.Message)
}

// classify maps a non-2xx answer to a *staas.Error by the table in
// docs/ostor-api.md. Its Message is Sentence's, for an admin; the
// gateway's own words and request id stay in the GatewayError beneath it,
// for the log (staas.ErrorDetail). The table is an assumption (no error statuses are
// documented per call), so it lives here and nowhere else.
func classify(r request, status int, header http.Header, body []byte) error {
	msg := gatewayMessage(header, body)
	if msg == "" {
		msg = http.StatusText(status)
	}
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", status)
	}
	var code string
	switch {
	case status == http.StatusBadRequest && r.on400 != "":
		code = r.on400
	case status == http.StatusBadRequest:
		code = staas.EINVALID
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		code = staas.EUNAUTHORIZED
	case status == http.StatusNotFound:
		code = staas.ENOTFOUND
	case status == http.StatusConflict && r.on409 != "":
		code = r.on409
	case status == http.StatusConflict:
		code = staas.ECONFLICT
	case status >= 500, status == http.StatusTooManyRequests:
		code = staas.EUNAVAILABLE
	default:
		// 3xx, 405, 1xx…: the gateway is not speaking the contract.
		code = staas.EINTERNAL
	}
	return &staas.Error{
		Code:    code,
		Message: Sentence(r.op, code),
		Err: &GatewayError{
			Op:        r.op,
			Status:    status,
			Message:   msg,
			RequestID: header.Get("X-Amz-Request-Id"),
		},
	}
}

// gatewayMessage finds the gateway's explanation: the X-Amz-Err-Message
// header (what ostor sends), else an S3 XML <Message>, else a JSON
// message field, else the start of the body. The result is one line of
// printable text, because it ends up in an admin's screen and in logs.
func gatewayMessage(header http.Header, body []byte) string {
	if m := clean(header.Get("X-Amz-Err-Message")); m != "" {
		return m
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ""
	}
	if trimmed[0] == '<' {
		var x struct {
			Message string `xml:"Message"`
			Code    string `xml:"Code"`
		}
		if xml.Unmarshal(trimmed, &x) == nil {
			if m := clean(x.Message); m != "" {
				return m
			}
			if m := clean(x.Code); m != "" {
				return m
			}
		}
	}
	if trimmed[0] == '{' {
		var j map[string]json.RawMessage
		if json.Unmarshal(trimmed, &j) == nil {
			for _, k := range []string{"message", "Message", "error", "Error"} {
				var s string
				if raw, ok := j[k]; ok && json.Unmarshal(raw, &s) == nil {
					if m := clean(s); m != "" {
						return m
					}
				}
			}
		}
	}
	if len(trimmed) > 200 {
		trimmed = trimmed[:200]
	}
	return clean(string(trimmed))
}

// clean makes s one line of printable UTF-8: control characters become
// spaces, invalid bytes are dropped, runs of spaces collapse, and the
// result is at most 200 bytes.
func clean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) {
			if r != utf8.RuneError && !space && b.Len() > 0 {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		if b.Len()+utf8.RuneLen(r) > 200 {
			break
		}
		b.WriteRune(r)
		space = false
	}
	return strings.TrimSpace(b.String())
}

// Sentence is what an admin reads when the gateway refused or failed op:
// what staas was doing and what kind of failure it was, in words, and
// nothing of the gateway's own text, status or request id (those are in
// the error's cause, which staas logs). It is the one place where a
// gateway failure becomes an admin sentence.
func Sentence(op, code string) string {
	what := opWords[op]
	if what == "" {
		what = "do what was asked"
	}
	switch code {
	case staas.ENOTFOUND:
		thing := opThing[op]
		if thing == "" {
			thing = "item"
		}
		return "The storage cluster could not " + what + ": it has no such " + thing + "."
	case staas.EINVALID:
		return "The storage cluster refused to " + what + ": it does not accept the request as sent."
	case staas.EUNAUTHORIZED:
		return "The storage cluster refused staas's system credentials while trying to " + what + ". Check the cluster's system user and keys in staas's configuration."
	case staas.ECONFLICT:
		return "The storage cluster could not " + what + " in its current state."
	case staas.EKEYLIMIT:
		return "The S3 user already has the two access key pairs the storage cluster allows: revoke one first."
	case staas.ELIMITSOFF:
		return "Limits are not enabled on the storage cluster for this user or bucket, so they cannot be read."
	case staas.EUNAVAILABLE:
		return "The storage cluster did not answer while trying to " + what + ". Try again in a moment."
	}
	return "The storage cluster gave an unexpected answer while trying to " + what + "; staas's log has the details."
}

// unexpected is an answer that broke the contract (no key pair, a paging
// cursor that does not move): the admin reads Sentence's EINTERNAL
// sentence, the log what exactly was wrong.
func unexpected(op, format string, args ...any) error {
	return &staas.Error{Code: staas.EINTERNAL, Message: Sentence(op, staas.EINTERNAL),
		Err: fmt.Errorf("ostor: "+op+": "+format, args...)}
}

// opWords says each gateway call's op as an admin would.
var opWords = map[string]string{
	"create account":        "create the account",
	"delete account":        "delete the account",
	"generate account key":  "generate the account's key",
	"revoke account key":    "revoke the account's key",
	"list user buckets":     "list the S3 user's buckets",
	"set ops limit":         "set the operations limit",
	"set bandwidth limit":   "set the bandwidth limit",
	"get limits":            "read the limits",
	"delete limits":         "delete the limits",
	"set quota":             "set the quota",
	"get quota":             "read the quota",
	"delete quota":          "delete the quota",
	"list usage":            "list the statistics objects",
	"get usage object":      "read the statistics object",
	"delete usage object":   "delete the statistics object",
	"create user":           "create the S3 user",
	"get user":              "read the S3 user",
	"list users":            "list the S3 users",
	"list users with space": "list the S3 users",
	"enable user":           "enable the S3 user",
	"disable user":          "disable the S3 user",
	"delete user":           "delete the S3 user",
	"generate key":          "generate an access key",
	"revoke key":            "revoke the access key",
	"ping":                  "reach its admin API",
	"get settings":          "read the cluster settings",
	"set setting":           "change the cluster setting",
	"set replication":       "set the bucket's replication",
	"get replication":       "read the bucket's replication",
	"delete replication":    "delete the bucket's replication",
}

// opThing is what a not-found op looked for.
var opThing = map[string]string{
	"delete account":       "account",
	"generate account key": "account",
	"revoke account key":   "account key",
	"list user buckets":    "S3 user",
	"get limits":           "user or bucket",
	"delete limits":        "user or bucket",
	"set ops limit":        "user or bucket",
	"set bandwidth limit":  "user or bucket",
	"set quota":            "user or bucket",
	"get quota":            "user or bucket",
	"delete quota":         "user or bucket",
	"get usage object":     "statistics object",
	"delete usage object":  "statistics object",
	"get user":             "S3 user",
	"enable user":          "S3 user",
	"disable user":         "S3 user",
	"delete user":          "S3 user",
	"generate key":         "S3 user",
	"revoke key":           "access key",
	"set replication":      "bucket",
	"get replication":      "bucket or replication configuration",
	"delete replication":   "bucket",
}
