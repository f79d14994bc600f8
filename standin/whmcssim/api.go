package whmcssim

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIPath is where WHMCS serves its external API.
const APIPath = "/includes/api.php"

// Credentials are what the stand-in's API accepts: an API credential
// (identifier and secret) and, when AccessKey is set, WHMCS's
// $api_access_key, without which requests are refused as from an IP that
// is not allowed.
type Credentials struct {
	Identifier, Secret, AccessKey string
}

// Product is a client's service as GetClientsProducts lists it (a
// tblhosting row joined with its product and server).
type Product struct {
	ID         int64 // service id; AddProduct assigns the next when 0
	ClientID   int64
	PID        int64
	Name       string
	GroupName  string
	Domain     string
	ServerID   int64
	ServerName string
	Status     string // Pending, Active, Suspended, Terminated, Cancelled, Fraud, Completed
	Username   string
	Password   string
	RegDate    string // 2006-01-02
}

// Request is one request the API received: never its credentials.
type Request struct {
	Action string // as WHMCS reads it: lower case, letters and digits only
	Status int    // the HTTP status answered
	Result string // "success", "error", or "" when the answer was no envelope
}

// API is the stand-in's external API. It is an http.Handler serving
// APIPath; everything else is 404.
type API struct {
	db    *sql.DB
	creds Credentials

	// AdminID is the admin the API credential belongs to: WHMCS
	// attributes the notes it adds to that admin. Default 1.
	AdminID int64
	// Now stamps notes; time.Now when nil.
	Now func() time.Time

	mu       sync.Mutex
	down     bool
	products []Product
	requests []Request
}

// NewAPI serves WHMCS's API over db, which holds CreateSchema's tables.
func NewAPI(db *sql.DB, creds Credentials) *API {
	return &API{db: db, creds: creds, AdminID: 1}
}

// SetDown makes every request fail with 503 and an HTML page, as a WHMCS
// behind a proxy does during maintenance, until SetDown(false).
func (a *API) SetDown(down bool) {
	a.mu.Lock()
	a.down = down
	a.mu.Unlock()
}

// AddProduct adds a service for GetClientsProducts and returns it with
// its id.
func (a *API) AddProduct(p Product) Product {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.ID == 0 {
		for _, q := range a.products {
			p.ID = max(p.ID, q.ID)
		}
		p.ID++
	}
	if p.Status == "" {
		p.Status = "Active"
	}
	if p.RegDate == "" {
		p.RegDate = time.Now().UTC().Format(time.DateOnly)
	}
	a.products = append(a.products, p)
	return p
}

// Requests returns the requests received so far, oldest first.
func (a *API) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.requests)
}

// CountRequests says how many requests named action (any case) arrived.
func (a *API) CountRequests(action string) int {
	want := normalizeAction(action)
	n := 0
	for _, r := range a.Requests() {
		if r.Action == want {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests received so far.
func (a *API) ResetRequests() {
	a.mu.Lock()
	a.requests = nil
	a.mu.Unlock()
}

func (a *API) record(r Request) {
	a.mu.Lock()
	a.requests = append(a.requests, r)
	a.mu.Unlock()
}

// normalizeAction is WHMCS's action filter: lower case, only letters and
// digits.
func normalizeAction(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// result is an answer: its HTTP status and its JSON fields.
type result struct {
	status int
	fields map[string]any
}

func apiError(status int, message string) result {
	return result{status: status, fields: map[string]any{"result": "error", "message": message}}
}

func success(fields map[string]any) result {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["result"] = "success"
	return result{status: http.StatusOK, fields: fields}
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != APIPath {
		http.NotFound(w, r)
		return
	}
	a.mu.Lock()
	down := a.down
	a.mu.Unlock()
	if down {
		a.record(Request{Status: http.StatusServiceUnavailable})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body><h1>503 Service Unavailable</h1>WHMCS is down for maintenance.</body></html>"))
		return
	}
	if r.Method != http.MethodPost {
		a.record(Request{Status: http.StatusMethodNotAllowed, Result: "error"})
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, apiError(http.StatusMethodNotAllowed, "The WHMCS stand-in answers only POST requests"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		a.record(Request{Status: http.StatusBadRequest, Result: "error"})
		writeJSON(w, apiError(http.StatusBadRequest, "Invalid request body"))
		return
	}
	form := r.PostForm
	action := normalizeAction(form.Get("action"))
	res := a.handle(r.Context(), r, action)
	a.record(Request{Action: action, Status: res.status, Result: res.fields["result"].(string)})
	if form.Get("responsetype") != "json" {
		// WHMCS would answer NVP or XML; staas always asks for JSON.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(res.status)
		_, _ = w.Write([]byte("result=error;message=The WHMCS stand-in answers only responsetype=json;"))
		return
	}
	writeJSON(w, res)
}

// handle runs WHMCS's checks in its order: access control (IP or access
// key), then authentication, then the command.
func (a *API) handle(ctx context.Context, r *http.Request, action string) result {
	form := r.PostForm
	if a.creds.AccessKey != "" {
		key := form.Get("accesskey")
		switch {
		case key == "":
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			return apiError(http.StatusForbidden, "Invalid IP "+host)
		case !equal(key, a.creds.AccessKey):
			return apiError(http.StatusForbidden, "Invalid Access Key")
		}
	}
	identifier, secret := form.Get("identifier"), form.Get("secret")
	if identifier == "" && secret == "" {
		identifier, secret = form.Get("username"), form.Get("password")
	}
	if identifier == "" || secret == "" {
		return apiError(http.StatusForbidden, "Invalid or missing credentials")
	}
	if !equal(identifier, a.creds.Identifier) || !equal(secret, a.creds.Secret) {
		return apiError(http.StatusForbidden, "Authentication Failed")
	}
	switch action {
	case "getclientsdetails":
		return a.getClientsDetails(ctx, form.Get("clientid"), form.Get("email"))
	case "getclients":
		return a.getClients(ctx, clientQuery{search: form.Get("search"), status: form.Get("status"), orderBy: form.Get("orderby"),
			sorting: form.Get("sorting"), start: phpInt(form.Get("limitstart")), num: phpInt(form.Get("limitnum"))})
	case "addclientnote":
		return a.addClientNote(ctx, phpInt(form.Get("userid")), form.Get("notes"), phpBool(form.Get("sticky")))
	case "getclientsproducts":
		return a.getClientsProducts(ctx, form.Get("clientid"), form.Get("serviceid"), form.Get("pid"), form.Get("domain"), form.Get("username2"),
			phpInt(form.Get("limitstart")), phpInt(form.Get("limitnum")))
	case "getmodulequeue":
		return a.getModuleQueue(ctx, form.Get("relatedId"), form.Get("serviceType"), form.Get("moduleName"), form.Get("moduleAction"), form.Get("since"))
	}
	return apiError(http.StatusOK, "Command Not Found")
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// phpInt is PHP's (int) cast: leading digits, else 0.
func phpInt(s string) int64 {
	s = strings.TrimSpace(s)
	end := 0
	if end < len(s) && (s[0] == '-' || s[0] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 64)
	return n
}

// phpBool is PHP's (bool) cast of a form value.
func phpBool(s string) bool { return s != "" && s != "0" }

// phpEmpty is PHP's !$value for a string: "" and "0" are empty.
func phpEmpty(s string) bool { return s == "" || s == "0" }

func writeJSON(w http.ResponseWriter, res result) {
	b, err := json.Marshal(res.fields)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// PHP's json_encode escapes slashes; do the same so clients are
	// tested against the real thing.
	b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	_, _ = w.Write(b)
}

type client struct {
	ID                                           int64
	UUID, First, Last, Company, Email, Status    string
	Address1, Address2, City, State, Postcode    string
	Country, Phone, DateCreated, Notes, Language string
	Currency, GroupID                            int64
	Credit                                       string
}

const clientColumns = `id, uuid, firstname, lastname, companyname, email, address1, address2, city, state, postcode, country, phonenumber, currency, credit, datecreated, notes, groupid, status, language`

func scanClient(row interface{ Scan(...any) error }) (client, error) {
	var c client
	var credit, created any
	err := row.Scan(&c.ID, &c.UUID, &c.First, &c.Last, &c.Company, &c.Email, &c.Address1, &c.Address2, &c.City, &c.State,
		&c.Postcode, &c.Country, &c.Phone, &c.Currency, &credit, &created, &c.Notes, &c.GroupID, &c.Status, &c.Language)
	c.Credit = decimal(credit)
	c.DateCreated = date(created)
	return c, err
}

func decimal(v any) string {
	switch t := v.(type) {
	case []byte:
		return string(t)
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', 2, 64)
	case int64:
		return strconv.FormatInt(t, 10) + ".00"
	}
	return "0.00"
}

func date(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.Format(time.DateOnly)
	case []byte:
		return string(t)
	case string:
		return t
	}
	return "0000-00-00"
}

// getClientsDetails answers as WHMCS 8 does with responsetype=json: the
// client's fields at the top level (deprecated) and again under "client",
// numbers as strings like the documentation's example.
func (a *API) getClientsDetails(ctx context.Context, clientID, email string) result {
	if phpEmpty(clientID) && phpEmpty(email) {
		return apiError(http.StatusOK, "Either clientid Or email Is Required")
	}
	var row *sql.Row
	if !phpEmpty(clientID) {
		id, err := strconv.ParseInt(strings.TrimSpace(clientID), 10, 64)
		if err != nil {
			return apiError(http.StatusOK, "Client Not Found")
		}
		row = a.db.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM tblclients WHERE id = ?`, id)
	} else {
		row = a.db.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM tblclients WHERE email = ? ORDER BY id LIMIT 1`, email)
	}
	c, err := scanClient(row)
	if errors.Is(err, sql.ErrNoRows) {
		return apiError(http.StatusOK, "Client Not Found")
	}
	if err != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	custom, err := a.clientCustomFields(ctx, c.ID)
	if err != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	id := strconv.FormatInt(c.ID, 10)
	details := map[string]any{
		"userid": id, "client_id": id, "id": id, "uuid": c.UUID, "owner_user_id": id,
		"firstname": c.First, "lastname": c.Last, "fullname": strings.TrimSpace(c.First + " " + c.Last),
		"companyname": c.Company, "email": c.Email, "address1": c.Address1, "address2": c.Address2,
		"city": c.City, "state": c.State, "postcode": c.Postcode, "country": c.Country, "countrycode": c.Country,
		"phonenumber": c.Phone, "currency": strconv.FormatInt(c.Currency, 10), "credit": c.Credit,
		"groupid": strconv.FormatInt(c.GroupID, 10), "notes": c.Notes, "status": c.Status, "language": c.Language,
		"email_verified": false, "customfields": custom, "users": map[string]any{"user": []any{}},
		"currency_code": "USD",
	}
	fields := map[string]any{}
	for k, v := range details {
		fields[k] = v
	}
	fields["client"] = details
	return success(fields)
}

// clientQuery is GetClients's documented input.
type clientQuery struct {
	search, status   string
	orderBy, sorting string // orderby (WHMCS 8.2+) and sorting, ASC or DESC
	start, num       int64
}

// getClients lists clients as WHMCS does: filtered by status and by a
// prefix of email, first, last, full or company name (case-insensitive,
// like MySQL's collation), sorted by last name unless orderby names one
// of the documented columns (id, firstname, lastname, companyname,
// email, groupid, datecreated, status), ascending unless sorting is DESC.
func (a *API) getClients(ctx context.Context, q clientQuery) result {
	search, status, start, num := q.search, q.status, q.start, q.num
	if status != "" {
		status = strings.ToUpper(status[:1]) + strings.ToLower(status[1:])
		if status != "Active" && status != "Inactive" && status != "Closed" {
			return apiError(http.StatusOK, "Invalid client status supplied. Supported client statuses include: Active, Inactive, Closed")
		}
	}
	if start < 0 {
		start = 0
	}
	if num <= 0 {
		num = 25
	}
	rows, err := a.db.QueryContext(ctx, `SELECT `+clientColumns+` FROM tblclients ORDER BY id`)
	if err != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	defer rows.Close()
	var all []client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return apiError(http.StatusInternalServerError, "Database error")
		}
		all = append(all, c)
	}
	if rows.Err() != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	prefix := strings.ToLower(search)
	var match []client
	for _, c := range all {
		if status != "" && c.Status != status {
			continue
		}
		if strings.TrimSpace(search) != "" && !slices.ContainsFunc(
			[]string{c.Email, c.First, c.Last, c.Company, c.First + " " + c.Last},
			func(s string) bool { return strings.HasPrefix(strings.ToLower(s), prefix) }) {
			continue
		}
		match = append(match, c)
	}
	key := func(c client) string { return strings.ToLower(c.Last) }
	byID := false
	switch strings.ToLower(q.orderBy) {
	case "id":
		byID = true
	case "firstname":
		key = func(c client) string { return strings.ToLower(c.First) }
	case "companyname":
		key = func(c client) string { return strings.ToLower(c.Company) }
	case "email":
		key = func(c client) string { return strings.ToLower(c.Email) }
	case "groupid":
		key = func(c client) string { return fmt.Sprintf("%020d", c.GroupID) }
	case "datecreated":
		key = func(c client) string { return c.DateCreated }
	case "status":
		key = func(c client) string { return c.Status }
	}
	desc := strings.EqualFold(q.sorting, "DESC")
	slices.SortStableFunc(match, func(x, y client) int {
		c := strings.Compare(key(x), key(y))
		if byID {
			c = cmp.Compare(x.ID, y.ID)
		}
		if desc {
			return -c
		}
		return c
	})
	fields := map[string]any{
		"totalresults": strconv.Itoa(len(match)),
		"startnumber":  strconv.FormatInt(start, 10),
	}
	var page []any
	for i := start; i < int64(len(match)) && i < start+num; i++ {
		c := match[i]
		page = append(page, map[string]any{
			"id": strconv.FormatInt(c.ID, 10), "firstname": c.First, "lastname": c.Last, "companyname": c.Company,
			"email": c.Email, "datecreated": c.DateCreated, "groupid": strconv.FormatInt(c.GroupID, 10), "status": c.Status,
		})
	}
	fields["numreturned"] = strconv.Itoa(len(page))
	if len(page) > 0 { // WHMCS leaves "clients" out when there are none
		fields["clients"] = map[string]any{"client": page}
	}
	return success(fields)
}

// addClientNote adds a note as WHMCS does: to an existing client,
// attributed to the credential's admin, stamped with the current time.
func (a *API) addClientNote(ctx context.Context, userID int64, notes string, sticky bool) result {
	var one int
	err := a.db.QueryRowContext(ctx, `SELECT 1 FROM tblclients WHERE id = ?`, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return apiError(http.StatusOK, "Client ID not found")
	}
	if err != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	if phpEmpty(notes) {
		return apiError(http.StatusOK, "Notes can not be empty")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	stamp := now().UTC().Format(time.DateTime)
	flag := 0
	if sticky {
		flag = 1
	}
	res, err := a.db.ExecContext(ctx,
		`INSERT INTO tblnotes (userid, adminid, created, modified, note, sticky) VALUES (?, ?, ?, ?, ?, ?)`,
		userID, a.AdminID, stamp, stamp, notes, flag)
	if err != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	return success(map[string]any{"noteid": strconv.FormatInt(id, 10)})
}

// getClientsProducts lists services as WHMCS does: filtered by the given
// fields, all of them unless limitnum is set, "products": "" when none
// match, mixing numbers and strings like the documentation's example.
func (a *API) getClientsProducts(ctx context.Context, clientID, serviceID, pid, domain, username string, start, num int64) result {
	a.mu.Lock()
	all := slices.Clone(a.products)
	a.mu.Unlock()
	stored, err := a.storedProducts(ctx)
	if err != nil {
		return apiError(http.StatusInternalServerError, "Database error")
	}
	for _, p := range stored {
		if !slices.ContainsFunc(all, func(q Product) bool { return q.ID == p.ID }) {
			all = append(all, p)
		}
	}
	var match []Product
	for _, p := range all {
		switch {
		case !phpEmpty(clientID) && phpInt(clientID) != p.ClientID,
			!phpEmpty(serviceID) && phpInt(serviceID) != p.ID,
			!phpEmpty(pid) && phpInt(pid) != p.PID,
			domain != "" && domain != p.Domain,
			username != "" && username != p.Username:
			continue
		}
		match = append(match, p)
	}
	slices.SortFunc(match, func(x, y Product) int { return int(x.ID - y.ID) })
	if start < 0 {
		start = 0
	}
	if num <= 0 {
		num = 999999
	}
	null := func(s string) any {
		if phpEmpty(s) {
			return nil
		}
		return s
	}
	fields := map[string]any{
		"clientid": null(clientID), "serviceid": null(serviceID), "pid": null(pid), "domain": null(domain),
		"totalresults": strconv.Itoa(len(match)), "startnumber": start,
	}
	var page []any
	for i := start; i < int64(len(match)) && i < start+num; i++ {
		p := match[i]
		page = append(page, map[string]any{
			"id": strconv.FormatInt(p.ID, 10), "qty": "1", "clientid": strconv.FormatInt(p.ClientID, 10),
			"orderid": "0", "ordernumber": "", "pid": strconv.FormatInt(p.PID, 10), "regdate": p.RegDate,
			"name": p.Name, "translated_name": p.Name, "groupname": p.GroupName, "translated_groupname": p.GroupName,
			"domain": p.Domain, "dedicatedip": "", "serverid": strconv.FormatInt(p.ServerID, 10),
			"servername": p.ServerName, "serverip": "", "serverhostname": "", "suspensionreason": "",
			"firstpaymentamount": "0.00", "recurringamount": "0.00", "paymentmethod": "", "paymentmethodname": "",
			"billingcycle": "Free Account", "nextduedate": "0000-00-00", "status": p.Status,
			"username": p.Username, "password": p.Password, "subscriptionid": "", "promoid": "0",
			"overideautosuspend": "", "overidesuspenduntil": "0000-00-00", "ns1": "", "ns2": "", "assignedips": "",
			"notes": "", "diskusage": "0", "disklimit": "0", "bwusage": "0", "bwlimit": "0",
			"lastupdate":    "0000-00-00 00:00:00",
			"customfields":  map[string]any{"customfield": []any{}},
			"configoptions": map[string]any{"configoption": []any{}},
		})
	}
	fields["numreturned"] = len(page)
	if len(match) == 0 {
		fields["products"] = ""
	} else {
		fields["products"] = map[string]any{"product": page}
	}
	return success(fields)
}

// getModuleQueue answers GetModuleQueue: the Module Queue's entries not
// completed, filtered by the documented optional parameters (relatedId,
// serviceType, moduleName, moduleAction, since), as {count, queue: [...]}
// with the documented camelCase fields, numbers as strings.
func (a *API) getModuleQueue(ctx context.Context, relatedID, serviceType, module, action, since string) result {
	q := `SELECT id, service_type, service_id, module_name, module_action, COALESCE(last_attempt, ''), last_attempt_error,
		num_retries, completed, COALESCE(created_at, ''), COALESCE(updated_at, '') FROM tblmodulequeue WHERE completed = 0`
	var args []any
	if !phpEmpty(relatedID) {
		q += ` AND service_id = ?`
		args = append(args, phpInt(relatedID))
	}
	for col, v := range map[string]string{"service_type": serviceType, "module_name": module, "module_action": action} {
		if v != "" {
			q += ` AND ` + col + ` = ?`
			args = append(args, v)
		}
	}
	if since != "" {
		q += ` AND last_attempt >= ?`
		args = append(args, since)
	}
	rows, err := a.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return apiError(http.StatusInternalServerError, "database error")
	}
	defer rows.Close()
	queue := []any{}
	for rows.Next() {
		var id, serviceID, retries, completed int64
		var typ, name, act, last, lastErr, created, updated string
		if err := rows.Scan(&id, &typ, &serviceID, &name, &act, &last, &lastErr, &retries, &completed, &created, &updated); err != nil {
			return apiError(http.StatusInternalServerError, "database error")
		}
		queue = append(queue, map[string]any{
			"id": strconv.FormatInt(id, 10), "serviceType": typ, "serviceId": strconv.FormatInt(serviceID, 10),
			"moduleName": name, "moduleAction": act, "lastAttempt": last, "lastAttemptError": lastErr,
			"numRetries": strconv.FormatInt(retries, 10), "completed": strconv.FormatInt(completed, 10),
			"createdAt": created, "updatedAt": updated,
		})
	}
	if rows.Err() != nil {
		return apiError(http.StatusInternalServerError, "database error")
	}
	return success(map[string]any{"count": len(queue), "queue": queue})
}

// clientCustomFields is GetClientsDetails's customfields: the client's
// custom field values as [{id, value}], ids as strings, in field order.
func (a *API) clientCustomFields(ctx context.Context, clientID int64) ([]any, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT f.id, v.value FROM tblcustomfieldsvalues v
		JOIN tblcustomfields f ON f.id = v.fieldid WHERE f.type = 'client' AND v.relid = ? ORDER BY f.id`, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []any{}
	for rows.Next() {
		var id int64
		var value string
		if err := rows.Scan(&id, &value); err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"id": strconv.FormatInt(id, 10), "value": value})
	}
	return out, rows.Err()
}

// storedProducts are the services in tblhosting (SetService,
// SetProductQuota, SetProductName), each named by its product, so the
// API lists what the database mode reads; a service AddProduct added
// with the same id wins.
func (a *API) storedProducts(ctx context.Context) ([]Product, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT h.id, h.userid, h.packageid, h.domain, h.username, h.domainstatus, COALESCE(p.name, '')
		FROM tblhosting h LEFT JOIN tblproducts p ON p.id = h.packageid ORDER BY h.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		var p Product
		if err := rows.Scan(&p.ID, &p.ClientID, &p.PID, &p.Domain, &p.Username, &p.Status, &p.Name); err != nil {
			return nil, err
		}
		p.RegDate = "0000-00-00"
		out = append(out, p)
	}
	return out, rows.Err()
}
