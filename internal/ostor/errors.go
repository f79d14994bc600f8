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
// docs/ostor-api.md. The table is an assumption (no error statuses are
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
		Message: "ostor: " + r.op + ": " + msg,
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
