package whmcs

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"staas"
	"staas/whmcsbridge"
)

// APIConfig tells NewAPIClient how to reach WHMCS's external API.
type APIConfig struct {
	// URL is WHMCS's API endpoint, e.g.
	// "https://billing.example.com/includes/api.php".
	URL string
	// Identifier and Secret are an API credential (Setup > Staff
	// Management > Manage API Credentials) whose role allows
	// GetClientsDetails, GetClients, GetClientsProducts and AddClientNote.
	Identifier, Secret string
	// AccessKey is WHMCS's optional $api_access_key; without it, WHMCS
	// must allow staas's IP address.
	AccessKey string
	// Timeout bounds each attempt (retries add up); default 15s.
	Timeout time.Duration
	// HTTPClient replaces the shared client (tests, proxies). The shared
	// one never follows redirects, so credentials are not posted to
	// another address.
	HTTPClient *http.Client
}

const redacted = "[redacted]"

// String never shows Secret or AccessKey, so an APIConfig can be printed.
func (c APIConfig) String() string {
	return fmt.Sprintf("whmcs.APIConfig{URL:%q Identifier:%q Secret:%s AccessKey:%s Timeout:%s}",
		redactURL(c.URL), c.Identifier, shown(c.Secret), shown(c.AccessKey), c.Timeout)
}

// GoString keeps %#v from printing the secrets field by field.
func (c APIConfig) GoString() string { return c.String() }

// LogValue keeps slog from printing the secrets.
func (c APIConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", redactURL(c.URL)),
		slog.String("identifier", c.Identifier),
		slog.String("secret", shown(c.Secret)),
		slog.String("access_key", shown(c.AccessKey)),
		slog.Duration("timeout", c.Timeout),
	)
}

func shown(secret string) string {
	if secret == "" {
		return `""`
	}
	return redacted
}

// redactURL drops credentials, query and fragment from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = redacted
	}
	u.Fragment = ""
	return u.String()
}

const (
	defaultAPITimeout = 15 * time.Second
	// readAttempts is how often a read call is tried in all.
	readAttempts = 3
	// maxAPIBody caps an answer; GetClientsProducts pages are the largest.
	maxAPIBody = 32 << 20
	// productsPage and productsMaxPages bound GetClientsProducts paging.
	productsPage     = 250
	productsMaxPages = 200
	maxNoteBytes     = 65535 // tblnotes.note is TEXT
	maxSearch        = 255
	maxClientsLimit  = 1000
)

// APIClient calls WHMCS's external API. It is safe for concurrent use.
type APIClient struct {
	url                     string
	shownURL                string
	identifier              string
	secret, accessKey       string
	timeout                 time.Duration
	hc                      *http.Client
	backoffBase, backoffMax time.Duration
}

// NewAPIClient validates cfg. Its errors are EINVALID and never contain
// the secrets.
func NewAPIClient(cfg APIConfig) (*APIClient, error) {
	bad := func(format string, args ...any) error {
		return staas.Errorf(staas.EINVALID, "WHMCS API: config: "+format, args...)
	}
	u, err := url.Parse(cfg.URL)
	switch {
	case cfg.URL == "":
		return nil, bad("URL is required (…/includes/api.php)")
	case err != nil:
		return nil, bad("URL is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, bad("URL must start with http:// or https://")
	case u.Host == "":
		return nil, bad("URL has no host")
	case u.User != nil:
		return nil, bad("URL must not carry credentials; use Identifier and Secret")
	case u.Fragment != "":
		return nil, bad("URL must not have a fragment")
	}
	if cfg.Identifier == "" || cfg.Secret == "" {
		return nil, bad("Identifier and Secret are required")
	}
	if cfg.Timeout < 0 {
		return nil, bad("Timeout must not be negative")
	}
	c := &APIClient{
		url:         cfg.URL,
		shownURL:    redactURL(cfg.URL),
		identifier:  cfg.Identifier,
		secret:      cfg.Secret,
		accessKey:   cfg.AccessKey,
		timeout:     cfg.Timeout,
		hc:          cfg.HTTPClient,
		backoffBase: 100 * time.Millisecond,
		backoffMax:  time.Second,
	}
	if c.timeout == 0 {
		c.timeout = defaultAPITimeout
	}
	if c.hc == nil {
		c.hc = sharedHTTPClient()
	}
	return c, nil
}

// String never shows the secrets.
func (c *APIClient) String() string {
	return fmt.Sprintf("whmcs.APIClient{URL:%q Identifier:%q}", c.shownURL, c.identifier)
}

var sharedHTTPClient = sync.OnceValue(func() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          16,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		// A 307/308 would repost identifier and secret to wherever it
		// points; a redirect is reported instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
})

// APIError is WHMCS's own answer to a failed call (or the transport
// failure), the Err of the *staas.Error the client returns: the detail
// for the log beneath the admin's sentence. It never holds a secret or the
// API URL's query.
type APIError struct {
	Action  string // "GetClientsDetails"
	URL     string // the API URL, its query redacted
	Status  int    // HTTP status; 0 when no answer arrived
	Note    string // what staas made of the answer ("the answer is not JSON")
	Message string // WHMCS's message or the transport failure, one line
	cause   error
}

func (e *APIError) Error() string {
	s := "WHMCS API " + e.Action
	if e.URL != "" {
		s += " at " + e.URL
	}
	if e.Status != 0 {
		s += ": HTTP " + strconv.Itoa(e.Status)
	}
	for _, part := range []string{e.Note, e.Message} {
		if part != "" {
			s += ": " + part
		}
	}
	return s
}

func (e *APIError) Unwrap() error { return e.cause }

// envelope is what every WHMCS API answer carries.
type envelope struct {
	Result  whmcsbridge.FlexString `json:"result"`
	Message whmcsbridge.FlexString `json:"message"`
}

// The envelope's result: WHMCS's API answers "success" or "error".
const (
	apiSuccess = "success"
	apiError   = "error"
)

var errBodyTooLarge = errors.New("the answer is larger than staas reads")

// classify turns one attempt's outcome into nil or a *staas.Error. It is
// the one place that decides codes:
//   - no answer (network, time-out, cancel)          → EUNAVAILABLE
//   - HTTP 401/403 (WHMCS's authentication failures) → EUNAUTHORIZED
//   - HTTP 5xx and 429, other non-2xx, non-JSON      → EUNAVAILABLE
//   - result=error "Client Not Found"/"Client ID not found" → ENOTFOUND
//   - any other result=error                         → EINVALID
//   - JSON without a result                          → EINTERNAL
func (c *APIClient) classify(action string, status int, body []byte, cause error) error {
	apiErr := &APIError{Action: action, URL: c.shownURL, Status: status}
	doing := apiDoing(action)
	fail := func(code, sentence, note string) error {
		apiErr.Note = note
		return &staas.Error{Code: code, Message: sentence, Err: apiErr}
	}
	if cause != nil {
		var ue *url.Error
		if errors.As(cause, &ue) {
			cause = ue.Err // *url.Error's text holds the URL, query and all
		}
		apiErr.cause = cause
		switch {
		case errors.Is(cause, context.DeadlineExceeded):
			apiErr.Message = "no answer in time"
		case errors.Is(cause, context.Canceled):
			apiErr.Message = "canceled"
		default:
			apiErr.Message = c.scrub(clean(cause.Error()))
		}
		return fail(staas.EUNAVAILABLE, "WHMCS did not answer when staas tried to "+doing+". Try again in a moment; if it keeps failing, check that staas can reach WHMCS's API (staas's log has the details).", "")
	}
	var env envelope
	jsonErr := json.Unmarshal(body, &env)
	apiErr.Message = c.scrub(clean(string(env.Message)))
	if apiErr.Message == "" && jsonErr != nil {
		apiErr.Message = c.scrub(clean(string(body)))
	}
	wrongURL := "WHMCS's API did not answer as expected when staas tried to " + doing + ". Check the WHMCS API URL in staas's configuration (…/includes/api.php); staas's log has the details."
	unexpected := "WHMCS gave an unexpected answer when staas tried to " + doing + "; staas's log has the details."
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fail(staas.EUNAUTHORIZED, "WHMCS refused staas's API credentials when staas tried to "+doing+". Check the API identifier, secret and access key in staas's configuration and WHMCS's API IP allow list; staas's log has WHMCS's reason.", "refused the credentials")
	case status >= 500 || status == http.StatusTooManyRequests:
		return fail(staas.EUNAVAILABLE, "WHMCS failed when staas tried to "+doing+". Try again in a moment; staas's log has the details.", "")
	case status < 200 || status > 299:
		return fail(staas.EUNAVAILABLE, wrongURL, "unexpected status (is the API URL right?)")
	case jsonErr != nil:
		return fail(staas.EUNAVAILABLE, wrongURL, "the answer is not JSON (is the API URL right?)")
	case env.Result == apiSuccess:
		return nil
	case env.Result == apiError:
		if apiErr.Message == "" {
			apiErr.Message = "no reason given"
		}
		if isNotFound(apiErr.Message) {
			return fail(staas.ENOTFOUND, "WHMCS has no such client.", "")
		}
		if strings.HasPrefix(strings.ToLower(apiErr.Message), "invalid permissions") {
			return fail(staas.EINVALID, "WHMCS refused to let staas "+doing+": the API role of staas's credentials lacks the "+action+" action. Allow it under Setup → Staff Management → Manage API Credentials → API Roles.", "refused")
		}
		return fail(staas.EINVALID, "WHMCS refused to "+doing+"; staas's log has WHMCS's reason.", "refused")
	default:
		return fail(staas.EINTERNAL, unexpected, "the answer has no result")
	}
}

// apiDoing says each API action as an admin would.
func apiDoing(action string) string {
	switch action {
	case "GetClientsDetails":
		return "read the client's details"
	case "AddClientNote":
		return "add the client note"
	case "GetClientsProducts":
		return "read the client's products"
	case "GetClients":
		return "search the clients"
	}
	return "call its API"
}

// unexpectedAnswer is an answer whose content breaks the contract: the
// admin reads a sentence, the log what was wrong with it.
func (c *APIClient) unexpectedAnswer(action, note string, err error) error {
	apiErr := &APIError{Action: action, URL: c.shownURL, Note: note, cause: err}
	if err != nil {
		apiErr.Message = c.scrub(clean(err.Error()))
	}
	return &staas.Error{Code: staas.EINTERNAL, Message: "WHMCS gave an unexpected answer when staas tried to " + apiDoing(action) + "; staas's log has the details.", Err: apiErr}
}

func isNotFound(msg string) bool {
	m := strings.ToLower(strings.TrimSpace(msg))
	return m == "client not found" || m == "client id not found"
}

// scrub replaces the secrets and the URL's query wherever they appear, in
// case WHMCS or a proxy ever echoes a request back.
func (c *APIClient) scrub(s string) string {
	for _, secret := range []string{c.secret, c.accessKey, url.QueryEscape(c.secret), url.QueryEscape(c.accessKey)} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	if u, err := url.Parse(c.url); err == nil && len(u.RawQuery) >= 4 {
		s = strings.ReplaceAll(s, u.RawQuery, redacted)
	}
	return s
}

// clean makes s one line of printable text of at most 200 bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// call runs action with fields and decodes a successful answer into out.
// Read calls are retried after EUNAVAILABLE; writes never are, because
// WHMCS may have acted on a request whose answer was lost.
func (c *APIClient) call(ctx context.Context, action string, fields url.Values, read bool, out any) error {
	attempts := 1
	if read {
		attempts = readAttempts
	}
	var body []byte
	var err error
	for n := 0; n < attempts; n++ {
		if n > 0 {
			if c.sleep(ctx, n-1) != nil {
				break // the caller gave up; report the last failure
			}
		}
		body, err = c.attempt(ctx, action, fields)
		if err == nil || staas.ErrorCode(err) != staas.EUNAVAILABLE || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return c.unexpectedAnswer(action, "unexpected answer", err)
	}
	return nil
}

func (c *APIClient) attempt(ctx context.Context, action string, fields url.Values) ([]byte, error) {
	form := url.Values{}
	for k, v := range fields {
		form[k] = v
	}
	form.Set("identifier", c.identifier)
	form.Set("secret", c.secret)
	if c.accessKey != "" {
		form.Set("accesskey", c.accessKey)
	}
	form.Set("action", action)
	form.Set("responsetype", "json")

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, c.unexpectedAnswer(action, "the request could not be built", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "staas")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.classify(action, 0, nil, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIBody+1))
	if err != nil {
		return nil, c.classify(action, 0, nil, err)
	}
	if len(body) > maxAPIBody {
		return nil, c.classify(action, 0, nil, errBodyTooLarge)
	}
	return body, c.classify(action, resp.StatusCode, body, nil)
}

// sleep waits before retry n: exponential from backoffBase, capped at
// backoffMax, with jitter so many callers do not retry in step.
func (c *APIClient) sleep(ctx context.Context, n int) error {
	d := c.backoffBase << n
	if d > c.backoffMax || d <= 0 {
		d = c.backoffMax
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// wireClient is a client in GetClientsDetails and GetClients answers.
type wireClient struct {
	ID          flexInt                `json:"id"`
	ClientID    flexInt                `json:"client_id"`
	UserID      flexInt                `json:"userid"`
	FirstName   whmcsbridge.FlexString `json:"firstname"`
	LastName    whmcsbridge.FlexString `json:"lastname"`
	CompanyName whmcsbridge.FlexString `json:"companyname"`
	Email       whmcsbridge.FlexString `json:"email"`
	Status      whmcsbridge.FlexString `json:"status"`
	GroupID     flexInt                `json:"groupid"`
	// CustomFields is GetClientsDetails's [{id, value}] of the client's
	// custom fields (GetClients's list has none).
	CustomFields json.RawMessage `json:"customfields"`
}

func (w wireClient) id() int64 {
	for _, id := range []flexInt{w.ID, w.ClientID, w.UserID} {
		if id > 0 {
			return int64(id)
		}
	}
	return 0
}

func (w wireClient) client() staas.Client {
	return staas.Client{
		ID:          w.id(),
		Email:       string(w.Email),
		FirstName:   string(w.FirstName),
		LastName:    string(w.LastName),
		CompanyName: string(w.CompanyName),
		Status:      string(w.Status),
	}
}

func checkID(what string, id int64) error {
	if id <= 0 {
		return staas.Errorf(staas.EINVALID, "WHMCS: the %s id must be positive, not %d", what, id)
	}
	return nil
}

// Client reads one client with GetClientsDetails: from the answer's
// "client" object, or from the deprecated top-level copy of its fields
// when an older WHMCS sends only that.
func (c *APIClient) Client(ctx context.Context, id int64) (*staas.Client, error) {
	w, err := c.details(ctx, id)
	if err != nil {
		return nil, err
	}
	cl := w.client()
	return &cl, nil
}

// details is GetClientsDetails's client, its id checked.
func (c *APIClient) details(ctx context.Context, id int64) (wireClient, error) {
	if err := checkID("client", id); err != nil {
		return wireClient{}, err
	}
	var resp struct {
		wireClient
		Client json.RawMessage `json:"client"`
	}
	fields := url.Values{"clientid": {strconv.FormatInt(id, 10)}, "stats": {"false"}}
	if err := c.call(ctx, "GetClientsDetails", fields, true, &resp); err != nil {
		return wireClient{}, err
	}
	w := resp.wireClient
	if t := bytes.TrimSpace(resp.Client); len(t) > 0 && t[0] == '{' {
		if err := json.Unmarshal(t, &w); err != nil {
			return wireClient{}, c.unexpectedAnswer("GetClientsDetails", "unexpected client object", err)
		}
	}
	switch w.id() {
	case 0:
		w.ID = flexInt(id)
	case id:
	default:
		return wireClient{}, c.unexpectedAnswer("GetClientsDetails", fmt.Sprintf("asked for client %d, got client %d", id, w.id()), nil)
	}
	return w, nil
}

// ClientCustomFields reads a client's custom field values by field id
// with GetClientsDetails (its client.customfields, a list of {id, value}:
// WHMCS's API names a custom field by id only). A field without a value
// is absent.
func (c *APIClient) ClientCustomFields(ctx context.Context, id int64) (map[int64]string, error) {
	w, err := c.details(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	raw := bytes.TrimSpace(w.CustomFields)
	if len(raw) == 0 || whmcsbridge.IsEmptyPHPArray(raw) {
		return out, nil
	}
	type field struct {
		ID    flexInt                `json:"id"`
		Value whmcsbridge.FlexString `json:"value"`
	}
	var list []field
	if raw[0] == '{' {
		// {"customfield": [...]}, the shape of WHMCS's other lists.
		list, err = decodeList[field](raw, "customfield")
	} else {
		err = json.Unmarshal(raw, &list)
	}
	if err != nil {
		return nil, c.unexpectedAnswer("GetClientsDetails", "unexpected custom fields", err)
	}
	for _, f := range list {
		if f.ID > 0 {
			out[int64(f.ID)] = string(f.Value)
		}
	}
	return out, nil
}

// AddClientNote adds a note to the client with AddClientNote and returns
// its id. It is never retried: WHMCS may have added the note even when
// the answer was lost, and a second try would add it twice.
func (c *APIClient) AddClientNote(ctx context.Context, clientID int64, note string) (int64, error) {
	if err := checkID("client", clientID); err != nil {
		return 0, err
	}
	if err := checkNote(note); err != nil {
		return 0, err
	}
	var resp struct {
		NoteID flexInt `json:"noteid"`
	}
	fields := url.Values{"userid": {strconv.FormatInt(clientID, 10)}, "notes": {note}}
	if err := c.call(ctx, "AddClientNote", fields, false, &resp); err != nil {
		return 0, err
	}
	return int64(resp.NoteID), nil
}

func checkNote(note string) error {
	switch {
	case strings.TrimSpace(note) == "":
		return staas.Errorf(staas.EINVALID, "WHMCS: a client note must not be empty")
	case len(note) > maxNoteBytes:
		return staas.Errorf(staas.EINVALID, "WHMCS: a client note holds at most %d bytes", maxNoteBytes)
	case !utf8.ValidString(note):
		return staas.Errorf(staas.EINVALID, "WHMCS: a client note must be valid UTF-8")
	}
	return nil
}

// Product is one of a client's services (WHMCS's tblhosting row) as
// GetClientsProducts reports it.
type Product struct {
	ID       int64  // service id (tblhosting.id)
	PID      int64  // product id (tblproducts.id)
	Name     string // product name
	Group    string // product group name
	Status   string // Pending, Active, Suspended, Terminated, Cancelled, Fraud, Completed
	ServerID int64
	Domain   string
	Username string
}

type wireProduct struct {
	ID       flexInt                `json:"id"`
	PID      flexInt                `json:"pid"`
	Name     whmcsbridge.FlexString `json:"name"`
	Group    whmcsbridge.FlexString `json:"groupname"`
	Status   whmcsbridge.FlexString `json:"status"`
	ServerID flexInt                `json:"serverid"`
	Domain   whmcsbridge.FlexString `json:"domain"`
	Username whmcsbridge.FlexString `json:"username"`
}

// decodeList reads WHMCS's {"<key>": [...]} lists, which PHP writes as ""
// or [] when empty, and as a single object in some versions' one-item
// lists.
func decodeList[T any](raw json.RawMessage, key string) ([]T, error) {
	if whmcsbridge.IsEmptyPHPArray(raw) {
		return nil, nil
	}
	var wrapper map[string]json.RawMessage
	if err := json.Unmarshal(raw, &wrapper); err != nil {
		return nil, err
	}
	inner := bytes.TrimSpace(wrapper[key])
	if whmcsbridge.IsEmptyPHPArray(inner) {
		return nil, nil
	}
	if inner[0] == '{' {
		var one T
		if err := json.Unmarshal(inner, &one); err != nil {
			return nil, err
		}
		return []T{one}, nil
	}
	var list []T
	err := json.Unmarshal(inner, &list)
	return list, err
}

// ClientsProducts lists all of a client's services with
// GetClientsProducts, page by page.
func (c *APIClient) ClientsProducts(ctx context.Context, clientID int64) ([]Product, error) {
	if err := checkID("client", clientID); err != nil {
		return nil, err
	}
	return c.products(ctx, url.Values{"clientid": {strconv.FormatInt(clientID, 10)}})
}

// ServiceProducts reads one service with GetClientsProducts's serviceid
// filter: none when WHMCS has no such service.
func (c *APIClient) ServiceProducts(ctx context.Context, serviceID int64) ([]Product, error) {
	if err := checkID("service", serviceID); err != nil {
		return nil, err
	}
	return c.products(ctx, url.Values{"serviceid": {strconv.FormatInt(serviceID, 10)}})
}

// AllProducts lists every service of every client with
// GetClientsProducts unfiltered, productsPage a page.
func (c *APIClient) AllProducts(ctx context.Context) ([]Product, error) {
	return c.products(ctx, url.Values{})
}

// products pages through GetClientsProducts with filter.
func (c *APIClient) products(ctx context.Context, filter url.Values) ([]Product, error) {
	var out []Product
	for page := 0; page < productsMaxPages; page++ {
		var resp struct {
			TotalResults flexInt         `json:"totalresults"`
			Products     json.RawMessage `json:"products"`
		}
		fields := url.Values{
			"limitstart": {strconv.Itoa(len(out))},
			"limitnum":   {strconv.Itoa(productsPage)},
		}
		for k, v := range filter {
			fields[k] = v
		}
		if err := c.call(ctx, "GetClientsProducts", fields, true, &resp); err != nil {
			return nil, err
		}
		batch, err := decodeList[wireProduct](resp.Products, "product")
		if err != nil {
			return nil, c.unexpectedAnswer("GetClientsProducts", "unexpected product list", err)
		}
		for _, p := range batch {
			out = append(out, Product{
				ID: int64(p.ID), PID: int64(p.PID), Name: string(p.Name), Group: string(p.Group), Status: string(p.Status),
				ServerID: int64(p.ServerID), Domain: string(p.Domain), Username: string(p.Username),
			})
		}
		if len(batch) == 0 || len(out) >= int(resp.TotalResults) {
			return out, nil
		}
	}
	return out, nil
}

// ClientRow is one client as GetClients lists it: with its client group
// (groupid) and status, without custom fields.
type ClientRow struct {
	ID, GroupID                              int64
	FirstName, LastName, CompanyName, Status string
}

// clientsPage and clientsMaxPages bound AllClients: 250 clients a
// GetClients call, at most 400 calls (100,000 clients).
const (
	clientsPage     = 250
	clientsMaxPages = 400
)

// AllClients lists every client with GetClients, clientsPage a call,
// ordered by id (orderby, WHMCS 8.2+; an older WHMCS orders by last
// name, and a client a shifted page repeats is kept once). More than
// clientsMaxPages pages is refused rather than read in part.
func (c *APIClient) AllClients(ctx context.Context) ([]ClientRow, error) {
	seen := map[int64]bool{}
	var out []ClientRow
	offset := 0
	for page := 0; page < clientsMaxPages; page++ {
		fields := url.Values{
			"limitstart": {strconv.Itoa(offset)},
			"limitnum":   {strconv.Itoa(clientsPage)},
			"orderby":    {"id"},
			"sorting":    {"ASC"},
		}
		var resp struct {
			TotalResults flexInt         `json:"totalresults"`
			Clients      json.RawMessage `json:"clients"`
		}
		if err := c.call(ctx, "GetClients", fields, true, &resp); err != nil {
			return nil, err
		}
		list, err := decodeList[wireClient](resp.Clients, "client")
		if err != nil {
			return nil, c.unexpectedAnswer("GetClients", "unexpected client list", err)
		}
		for _, w := range list {
			id := w.id()
			if id <= 0 || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, ClientRow{ID: id, GroupID: int64(w.GroupID), FirstName: string(w.FirstName),
				LastName: string(w.LastName), CompanyName: string(w.CompanyName), Status: string(w.Status)})
		}
		// The next page starts after what came, so a WHMCS that
		// answers fewer than asked (a cap of its own) is still read
		// to the end.
		offset += len(list)
		if len(list) == 0 || offset >= int(resp.TotalResults) {
			return out, nil
		}
	}
	return nil, staas.Errorf(staas.EINVALID, "WHMCS has more than %d clients: staas does not list them all over the API; reach WHMCS in mysql mode", clientsPage*clientsMaxPages)
}

// Clients lists clients with GetClients: those whose email, first, last,
// full or company name starts with search (all when it is ""), sorted as
// WHMCS sorts them (by last name), limit of them from offset. It also
// returns how many match in all.
func (c *APIClient) Clients(ctx context.Context, search string, offset, limit int) ([]staas.Client, int, error) {
	switch {
	case offset < 0:
		return nil, 0, staas.Errorf(staas.EINVALID, "WHMCS: the offset must not be negative")
	case limit < 1 || limit > maxClientsLimit:
		return nil, 0, staas.Errorf(staas.EINVALID, "WHMCS: the limit must be 1 to %d", maxClientsLimit)
	case len(search) > maxSearch || !whmcsbridge.Printable(search):
		return nil, 0, staas.Errorf(staas.EINVALID, "WHMCS: the search must be at most %d bytes of printable text", maxSearch)
	}
	fields := url.Values{"limitstart": {strconv.Itoa(offset)}, "limitnum": {strconv.Itoa(limit)}}
	if search = strings.TrimSpace(search); search != "" {
		fields.Set("search", search)
	}
	var resp struct {
		TotalResults flexInt         `json:"totalresults"`
		Clients      json.RawMessage `json:"clients"`
	}
	if err := c.call(ctx, "GetClients", fields, true, &resp); err != nil {
		return nil, 0, err
	}
	list, err := decodeList[wireClient](resp.Clients, "client")
	if err != nil {
		return nil, 0, c.unexpectedAnswer("GetClients", "unexpected client list", err)
	}
	out := make([]staas.Client, 0, len(list))
	for _, w := range list {
		out = append(out, w.client())
	}
	return out, int(resp.TotalResults), nil
}

// The reseller portal over the API (issue 12). WHMCS's API has no call
// for "the clients of group N" or "the clients whose custom field holds
// V", so the APIBridge reads them as follows; N is WHMCS's number of
// clients, S its number of services:
//   - a group source: one scan of every client with GetClients, whose
//     list carries each client's groupid: ceil(N/250) calls. 2,000
//     clients = 8 calls a refresh.
//   - a field source: that scan, then GetClientsDetails of every client
//     (only it has the custom fields), portalConcurrency at a time:
//     2,000 clients = 8 + 2,000 calls a refresh, some 25 s at 50 ms a
//     call. A group is the better source in api mode.
//   - client names: from the last scan, reused for portalTTL, so however
//     many pages resellers open, names cost at most one scan a minute.
//   - plans: GetClientsProducts with serviceid for up to planLookups
//     services, else one unfiltered GetClientsProducts scan of every
//     service (ceil(S/250) calls); each answer is reused for portalTTL.
//
// internal/reseller's Members asks for a reseller's clients only when its
// own 60-second set has expired, so the scans above run at most once a
// minute per reseller, and resellers refreshing at the same moment share
// one client scan. Each call has the APIClient's timeout and retries, and
// a whole refresh portalScanTimeout.
const (
	portalTTL         = 60 * time.Second // reseller.DefaultTTL
	portalConcurrency = 4
	portalScanTimeout = 2 * time.Minute
	planLookups       = 10
	// namesRetry is how long names wait after a failed client scan
	// before they try another.
	namesRetry = 10 * time.Second
	// maxFieldScan bounds a field source's GetClientsDetails calls.
	maxFieldScan = 20000
)

// clock is the portal reads' clock: b.now in tests, else time.Now.
func (b *APIBridge) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

// clientScan is the last GetClients scan and the one under way, shared
// by every caller that arrives while it runs.
type clientScan struct {
	mu       sync.Mutex
	byID     map[int64]ClientRow
	at       time.Time
	failedAt time.Time // the last scan that failed
	flight   *scanFlight
}

type scanFlight struct {
	done chan struct{}
	rows []ClientRow
	err  error
}

// scan lists every client afresh; callers arriving while a scan runs
// wait for it and share its answer rather than start another.
func (b *APIBridge) scan(ctx context.Context) ([]ClientRow, error) {
	s := &b.clients
	s.mu.Lock()
	if f := s.flight; f != nil {
		s.mu.Unlock()
		select {
		case <-f.done:
			return f.rows, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &scanFlight{done: make(chan struct{})}
	s.flight = f
	s.mu.Unlock()
	sctx, cancel := context.WithTimeout(ctx, portalScanTimeout)
	f.rows, f.err = b.api.AllClients(sctx)
	cancel()
	s.mu.Lock()
	s.flight = nil
	if f.err == nil {
		s.byID = make(map[int64]ClientRow, len(f.rows))
		for _, r := range f.rows {
			s.byID[r.ID] = r
		}
		s.at = b.clock()
	} else {
		s.failedAt = b.clock()
	}
	s.mu.Unlock()
	close(f.done)
	return f.rows, f.err
}

// ClientsInGroup returns the ids of the clients in client group groupID,
// in order, from a fresh GetClients scan (their groupid).
func (b *APIBridge) ClientsInGroup(ctx context.Context, groupID int64) ([]int64, error) {
	if groupID <= 0 {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS: client group id must be positive (got %d)", groupID)
	}
	rows, err := b.scan(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range rows {
		if r.GroupID == groupID {
			ids = append(ids, r.ID)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// ClientsWithField returns the ids of the clients whose client custom
// field holds value (ignoring case, as WHMCS's database collation
// does), in order. WHMCS's API names custom fields by id only, so field
// must be the field's id (Setup > Custom Client Fields): field:7=acme.
// It reads every client's details (see the cost above).
func (b *APIBridge) ClientsWithField(ctx context.Context, field, value string) ([]int64, error) {
	fieldID, perr := strconv.ParseInt(field, 10, 64)
	if perr != nil || fieldID <= 0 {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS's API names client custom fields by id only: give the reseller the source field:ID=%s, with the id of the field %q (Setup > Custom Client Fields), or reach WHMCS in mysql mode", value, field)
	}
	if value == "" {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS: a custom field source needs a value")
	}
	rows, err := b.scan(ctx)
	if err != nil {
		return nil, err
	}
	if len(rows) > maxFieldScan {
		return nil, staas.Errorf(staas.EINVALID, "WHMCS has %d clients: too many to read one by one over the API for a custom field source (at most %d); use a client group source, or reach WHMCS in mysql mode", len(rows), maxFieldScan)
	}
	sctx, cancel := context.WithTimeout(ctx, portalScanTimeout)
	defer cancel()
	var (
		mu       sync.Mutex
		ids      []int64
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, portalConcurrency)
	for _, r := range rows {
		select {
		case sem <- struct{}{}:
		case <-sctx.Done():
		}
		if sctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			vals, err := b.api.ClientCustomFields(sctx, r.ID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case staas.ErrorCode(err) == staas.ENOTFOUND: // deleted since the scan
			case err != nil:
				if firstErr == nil {
					firstErr = err
					cancel()
				}
			case strings.EqualFold(vals[fieldID], value):
				ids = append(ids, r.ID)
			}
		})
	}
	wg.Wait()
	if firstErr == nil && sctx.Err() != nil {
		firstErr = staas.Errorf(staas.EUNAVAILABLE, "WHMCS did not list the clients of a custom field in time; try again in a moment")
	}
	if firstErr != nil {
		return nil, firstErr
	}
	slices.Sort(ids)
	return ids, nil
}

// PortalNames answers the reseller portal's client names from the last
// client scan (at most portalTTL old, else scanned again), not with a
// GetClientsDetails call per client and page.
func (b *APIBridge) PortalNames() *APINames { return &APINames{b: b} }

// APINames is the reseller portal's client names over the API.
type APINames struct{ b *APIBridge }

// Client returns the client's names and status as the last client scan
// listed them; ENOTFOUND for a client it did not list. While WHMCS
// fails, the names of the last scan serve (they label rows, they decide
// nothing), and a failed scan is not tried again for namesRetry: a page
// of 2,000 rows makes at most one attempt, not one per row.
func (n *APINames) Client(ctx context.Context, id int64) (*staas.Client, error) {
	b := n.b
	s := &b.clients
	s.mu.Lock()
	byID, at, failedAt := s.byID, s.at, s.failedAt
	s.mu.Unlock()
	if byID == nil || b.clock().Sub(at) >= portalTTL {
		if b.clock().Sub(failedAt) >= namesRetry {
			_, err := b.scan(ctx)
			s.mu.Lock()
			byID = s.byID
			s.mu.Unlock()
			if err != nil && byID == nil {
				return nil, err
			}
		}
		if byID == nil {
			return nil, staas.Errorf(staas.EUNAVAILABLE, "WHMCS could not list its clients just now")
		}
	}
	r, ok := byID[id]
	if !ok {
		return nil, staas.Errorf(staas.ENOTFOUND, "WHMCS: no client %d", id)
	}
	return &staas.Client{ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, CompanyName: r.CompanyName, Status: r.Status}, nil
}

// planCache keeps each service's product name, as GetClientsProducts
// said it, for portalTTL.
type planCache struct {
	mu    sync.Mutex
	names map[int64]planEntry
}

type planEntry struct {
	name  string
	found bool // false: WHMCS has no such service
	at    time.Time
}

// ServicePlans reads each service's WHMCS product name with
// GetClientsProducts: one call per service for up to planLookups
// services not cached, else one scan of every service. A service WHMCS
// does not list is absent from the map.
func (b *APIBridge) ServicePlans(ctx context.Context, ids []int64) (map[int64]string, error) {
	now := b.clock()
	out := map[int64]string{}
	var missing []int64
	b.plans.mu.Lock()
	for _, id := range ids {
		e, ok := b.plans.names[id]
		switch {
		case ok && now.Sub(e.at) < portalTTL:
			if e.found {
				out[id] = e.name
			}
		case id > 0:
			missing = append(missing, id)
		}
	}
	b.plans.mu.Unlock()
	slices.Sort(missing)
	missing = slices.Compact(missing)
	if len(missing) == 0 {
		return out, nil
	}
	var products []Product
	if len(missing) <= planLookups {
		var mu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		sem := make(chan struct{}, portalConcurrency)
		for _, id := range missing {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				ps, err := b.api.ServiceProducts(ctx, id)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					firstErr = cmp.Or(firstErr, err)
					return
				}
				products = append(products, ps...)
			})
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	} else {
		sctx, cancel := context.WithTimeout(ctx, portalScanTimeout)
		defer cancel()
		var err error
		if products, err = b.api.AllProducts(sctx); err != nil {
			return nil, err
		}
	}
	b.plans.mu.Lock()
	defer b.plans.mu.Unlock()
	if b.plans.names == nil || len(missing) > planLookups {
		b.plans.names = map[int64]planEntry{} // a full scan replaces every entry
	}
	for _, id := range missing {
		b.plans.names[id] = planEntry{at: now}
	}
	for _, p := range products {
		b.plans.names[p.ID] = planEntry{name: p.Name, found: true, at: now}
	}
	for _, id := range missing {
		if e := b.plans.names[id]; e.found {
			out[id] = e.name
		}
	}
	return out, nil
}
