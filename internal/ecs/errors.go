package ecs

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"staas"
)

// apiBody is ECS's error body, JSON or XML (<error>…</error>).
type apiBody struct {
	XMLName     struct{} `xml:"error" json:"-"`
	Code        flexInt  `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
	Details     string   `json:"details" xml:"details"`
	Retryable   flexBool `json:"retryable" xml:"retryable"`
}

// APIError is ECS's own account of a failure, kept as the cause of the
// *staas.Error a call returns.
type APIError struct {
	Status      int
	Code        int64
	Description string
	Details     string
	Retryable   bool
	Op          string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("ECS %s: HTTP %d, code %d: %s", e.Op, e.Status, e.Code, e.text())
}

func (e *APIError) text() string {
	d := strings.Trim(strings.TrimSpace(e.Description), `"`)
	det := strings.TrimSpace(e.Details)
	switch {
	case d != "" && det != "" && det != d:
		return d + " (" + det + ")"
	case d != "":
		return d
	case det != "":
		return det
	}
	return http.StatusText(e.Status)
}

// apiError reads a non-2xx answer and maps it onto staas's codes. ECS
// answers HTTP 500 for a permission refusal (code 6401), so the body's
// retryable flag, not the status, says whether the failure is temporary.
func (c *Client) apiError(resp *http.Response, op string) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var b apiBody
	parsed := decodeBytes(resp.Header.Get("Content-Type"), data, &b, op) == nil && (b.Code != 0 || b.Description != "" || b.Details != "")
	e := &APIError{Status: resp.StatusCode, Code: int64(b.Code), Description: b.Description, Details: b.Details, Retryable: bool(b.Retryable), Op: op}
	if !parsed {
		e.Retryable = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	}
	code := mapCode(e, parsed)
	host := c.base.Host
	var msg string
	switch code {
	case staas.EUNAUTHORIZED:
		msg = fmt.Sprintf("ECS at %s refused the management credentials (%s): %s.", host, op, e.text())
	case staas.EFORBIDDEN:
		msg = fmt.Sprintf("ECS at %s refused %s: the management user lacks a permission (%s).", host, op, e.text())
	case staas.EUNAVAILABLE:
		msg = fmt.Sprintf("ECS at %s could not do %s for now (HTTP %d: %s); try again later.", host, op, e.Status, e.text())
	default:
		msg = fmt.Sprintf("ECS at %s refused %s: %s.", host, op, e.text())
	}
	return &staas.Error{Code: code, Message: msg, Err: e}
}

func mapCode(e *APIError, parsed bool) string {
	switch e.Code {
	case 4000:
		return staas.EUNAUTHORIZED
	case 3000, 6401:
		return staas.EFORBIDDEN
	case 1019:
		return staas.ENOTFOUND
	case 1015, 40008:
		return staas.ECONFLICT
	case 1004, 1005, 1008, 1013:
		return staas.EINVALID
	}
	if parsed && e.Retryable {
		return staas.EUNAVAILABLE
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		return staas.EUNAUTHORIZED
	case e.Status == http.StatusForbidden:
		return staas.EFORBIDDEN
	case e.Status == http.StatusNotFound:
		return staas.ENOTFOUND
	case e.Status == http.StatusConflict:
		return staas.ECONFLICT
	case e.Status >= 400 && e.Status < 500:
		return staas.EINVALID
	case e.Status >= 500 && parsed && !e.Retryable:
		// retryable:false from a 5xx: final, not temporary.
		return staas.EINTERNAL
	}
	return staas.EUNAVAILABLE
}

// Temporary reports whether err is a failure worth retrying later.
func Temporary(err error) bool { return staas.ErrorCode(err) == staas.EUNAVAILABLE }
