package ostorsim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// call is one parsed admin request: the method, the service keyword that
// comes first in the query, and the remaining parameters.
type call struct {
	method  string
	service string
	params  map[string]param
}

type param struct {
	value    string
	hasValue bool // written as name=value rather than as a bare flag
}

// parseCall splits the raw query by hand instead of using url.ParseQuery,
// because the first element is significant (the service), flags come without
// '=', and a repeated parameter must be refused rather than merged.
func parseCall(method, rawQuery string) (*call, error) {
	var elems []string
	for _, e := range strings.Split(rawQuery, "&") {
		if e != "" { // a stray '&' separates nothing; tolerate it
			elems = append(elems, e)
		}
	}
	if len(elems) == 0 {
		return nil, badRequest("missing service: the query must start with ostor-<service>")
	}
	c := &call{method: method, params: map[string]param{}}
	for i, e := range elems {
		rawName, rawValue, hasValue := strings.Cut(e, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, badRequest(fmt.Sprintf("bad percent-encoding in parameter name %q", rawName))
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, badRequest(fmt.Sprintf("bad percent-encoding in the value of %q", name))
		}
		if i == 0 {
			if !strings.HasPrefix(name, "ostor-") || value != "" {
				return nil, badRequest(fmt.Sprintf("the query must start with ostor-<service>, not %q", name))
			}
			c.service = name
			continue
		}
		if name == c.service {
			return nil, badRequest(fmt.Sprintf("parameter %q repeated", name))
		}
		if _, dup := c.params[name]; dup {
			return nil, badRequest(fmt.Sprintf("parameter %q repeated", name))
		}
		c.params[name] = param{value: value, hasValue: hasValue}
	}
	return c, nil
}

func (c *call) has(name string) bool {
	_, ok := c.params[name]
	return ok
}

func (c *call) value(name string) (string, bool) {
	p, ok := c.params[name]
	return p.value, ok
}

// only refuses any parameter not listed, a value parameter without '=' and a
// flag with a value ("genKey=" is tolerated: some signers append '=').
func (c *call) only(values, flags []string) error {
	names := make([]string, 0, len(c.params))
	for name := range c.params {
		names = append(names, name)
	}
	slices.Sort(names) // the first offender reported is stable
	for _, name := range names {
		p := c.params[name]
		switch {
		case slices.Contains(values, name):
			if !p.hasValue {
				return badRequest(fmt.Sprintf("parameter %q needs a value", name))
			}
		case slices.Contains(flags, name):
			if p.value != "" {
				return badRequest(fmt.Sprintf("flag %q takes no value", name))
			}
		default:
			return badRequest(fmt.Sprintf("unknown parameter %q for %s %s", name, c.method, c.service))
		}
	}
	return nil
}

// reply is a successful answer.
type reply struct {
	status int
	body   any    // encoded as JSON; nil: no body
	raw    []byte // sent verbatim instead of body (stored usage objects)
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }
func emptyOK() reply    { return reply{status: http.StatusOK} }
func noContent() reply  { return reply{status: http.StatusNoContent} }
func rawJSON(b []byte) reply {
	return reply{status: http.StatusOK, raw: append([]byte{}, b...)}
}

// apiError is a failed answer: HTTP status, S3-style error code, message.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

// The constructors return error, not *apiError, so that a nil check on the
// result of a function returning error can never see a typed nil.
func badRequest(msg string) error { return &apiError{http.StatusBadRequest, "InvalidArgument", msg} }
func notFound(code, msg string) error {
	return &apiError{http.StatusNotFound, code, msg}
}
func conflict(code, msg string) error { return &apiError{http.StatusConflict, code, msg} }
func forbidden(code, msg string) error {
	return &apiError{http.StatusForbidden, code, msg}
}
func methodNotAllowed(c *call) error {
	return badRequest(fmt.Sprintf("%s is not supported for %s", c.method, c.service))
}

type serviceHandler func(s *Sim, c *call) (reply, error)

var services = map[string]serviceHandler{
	"ostor-users":    (*Sim).handleUsers,
	"ostor-accounts": (*Sim).handleAccounts,
	"ostor-buckets":  (*Sim).handleBuckets,
	"ostor-limits":   (*Sim).handleLimits,
	"ostor-quotas":   (*Sim).handleQuotas,
	"ostor-usage":    (*Sim).handleUsage,
	"ostor-settings": (*Sim).handleSettings,
}

// ServeHTTP serves the admin API and the S3 data plane (s3plane.go): faults
// first (they model the network and the gateway's health), then
// authentication, then the service.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	requestID := strconv.FormatUint(s.reqSeq.Add(1), 16)
	w.Header().Set("x-amz-request-id", requestID)

	handled, loseAnswer := s.injectFault(w, r)
	if handled {
		return
	}
	if loseAnswer {
		// The gateway acts on the request, then the answer never arrives:
		// the case that tells a client which calls are safe to retry.
		s.serve(discardWriter{header: http.Header{}}, r, requestID)
		dropConnection(w)
		return
	}
	s.serve(w, r, requestID)
}

// serve authenticates r, runs its service (or hands it to the data plane)
// and writes the answer to w.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request, requestID string) {
	s.mu.Lock()
	s.followWallClock()
	s.mu.Unlock()

	// A bucket's ?replication (replication.go) is documented with the
	// admin API but addressed like S3: it is served before either.
	if bucket, resource, ok := replicationTarget(r); ok {
		s.serveReplication(w, r, requestID, bucket, resource)
		return
	}
	if !isAdminRequest(r) {
		s.serveS3(w, r, requestID)
		return
	}
	if err := s.authenticate(r); err != nil {
		writeError(w, requestID, err)
		return
	}
	if p := r.URL.EscapedPath(); p != "/" && p != "" {
		writeError(w, requestID, badRequest("only the admin API at / is simulated"))
		return
	}
	c, err := parseCall(r.Method, r.URL.RawQuery)
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	handler, known := services[c.service]
	if !known {
		writeError(w, requestID, badRequest(fmt.Sprintf("unknown service %q", c.service)))
		return
	}

	s.mu.Lock()
	rep, err := handler(s, c)
	body := rep.raw
	if err == nil && rep.body != nil {
		// Encoded under the lock: the reply may share slices with the state.
		body, err = encodeJSON(rep.body)
	}
	s.mu.Unlock()

	if err != nil {
		writeError(w, requestID, err)
		return
	}
	if body != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(rep.status)
	w.Write(body)
}

// discardWriter swallows an answer that is to be lost.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// encodeJSON writes compact JSON without HTML escaping, so that an email
// with '&' reads back as typed.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeError is the one place errors are written: the message goes into the
// X-Amz-Err-Message header (what ostor sends) and an S3 XML error body.
func writeError(w http.ResponseWriter, requestID string, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "InternalError", err.Error()}
	}
	w.Header().Set("X-Amz-Err-Message", headerSafe(ae.msg))
	w.Header().Set("Content-Type", "application/xml")
	var body bytes.Buffer
	body.WriteString(xml.Header)
	body.WriteString("<Error><Code>")
	_ = xml.EscapeText(&body, []byte(ae.code)) // a bytes.Buffer does not fail
	body.WriteString("</Code><Message>")
	_ = xml.EscapeText(&body, []byte(ae.msg))
	body.WriteString("</Message><RequestId>")
	_ = xml.EscapeText(&body, []byte(requestID))
	body.WriteString("</RequestId></Error>")
	w.Header().Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(ae.status)
	w.Write(body.Bytes())
}

// headerSafe keeps a message usable as a header value whatever input it
// quotes.
func headerSafe(msg string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
}
