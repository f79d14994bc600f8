package phpshim

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"staas"
	"staas/internal/ostor"
	"staas/standin/ostorsim"
	"staas/standin/whmcssim"
	"staas/whmcsbridge"
)

// control is the PHP tests' window on the world staas runs in: it seeds
// WHMCS clients, makes buckets and objects on the gateway, injects gateway
// faults, and reads what the gateway and WHMCS hold, so the tests check
// outcomes where they land rather than what staas says about them.
//
//	POST   /clients                {email, firstname}        → {id}
//	POST   /clients/{id}           {email?, status?}         → {}
//	GET    /clients/{id}/notes                               → {notes: [text…]}
//	GET    /gateway/user?email=…                             → user state (exists, id, state, keys, limits, quota_gb, buckets)
//	GET    /gateway/users                                    → {users: [{email, id, state}…]}
//	POST   /gateway/buckets        {email, name, objects, bytes} → {}
//	GET    /gateway/bucket?name=…                            → {exists}
//	POST   /gateway/faults         {error_rate, drop_rate, latency_ms}
//	DELETE /gateway/faults
//	POST   /fake                   {status, body, delay_ms}  → how the fake staas answers
//	GET    /fake/last                                        → the fake's last request and its signature check
type control struct {
	sim     *ostorsim.Sim
	gateway *ostor.Client
	db      *sql.DB

	fake *fakeStaas

	mu     sync.Mutex
	nextID int64
}

func newControl(sim *ostorsim.Sim, gateway *ostor.Client, db *sql.DB, fake *fakeStaas) http.Handler {
	c := &control{sim: sim, gateway: gateway, db: db, fake: fake, nextID: 100}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /clients", c.addClient)
	mux.HandleFunc("POST /clients/{id}", c.editClient)
	mux.HandleFunc("GET /clients/{id}/notes", c.notes)
	mux.HandleFunc("GET /gateway/user", c.user)
	mux.HandleFunc("GET /gateway/users", c.users)
	mux.HandleFunc("POST /gateway/buckets", c.addBucket)
	mux.HandleFunc("GET /gateway/bucket", c.bucket)
	mux.HandleFunc("POST /gateway/faults", c.setFaults)
	mux.HandleFunc("DELETE /gateway/faults", c.clearFaults)
	mux.HandleFunc("POST /fake", c.setFake)
	mux.HandleFunc("GET /fake/last", c.fakeLast)
	return mux
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	reply(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := readAll(r.Body)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "bad JSON: %v", err)
		return false
	}
	return true
}

func (c *control) addClient(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email     string `json:"email"`
		FirstName string `json:"firstname"`
	}
	if !decode(w, r, &in) {
		return
	}
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.mu.Unlock()
	if err := whmcssim.SeedClients(r.Context(), c.db, []staas.Client{{ID: id, FirstName: in.FirstName, LastName: "Tester", Email: in.Email, Status: "Active"}}); err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	reply(w, http.StatusOK, map[string]int64{"id": id})
}

func (c *control) editClient(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "bad id")
		return
	}
	var in struct {
		Email  *string `json:"email"`
		Status *string `json:"status"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Email != nil {
		if _, err := c.db.ExecContext(r.Context(), `UPDATE tblclients SET email = ? WHERE id = ?`, *in.Email, id); err != nil {
			fail(w, http.StatusInternalServerError, "%v", err)
			return
		}
	}
	if in.Status != nil {
		if _, err := c.db.ExecContext(r.Context(), `UPDATE tblclients SET status = ? WHERE id = ?`, *in.Status, id); err != nil {
			fail(w, http.StatusInternalServerError, "%v", err)
			return
		}
	}
	reply(w, http.StatusOK, map[string]any{})
}

func (c *control) notes(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "bad id")
		return
	}
	rows, err := c.db.QueryContext(r.Context(), `SELECT note FROM tblnotes WHERE userid = ? ORDER BY id`, id)
	if err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	defer rows.Close()
	notes := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			fail(w, http.StatusInternalServerError, "%v", err)
			return
		}
		notes = append(notes, n)
	}
	if err := rows.Err(); err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	reply(w, http.StatusOK, map[string]any{"notes": notes})
}

type keyJSON struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

func (c *control) user(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	email := r.URL.Query().Get("email")
	ref := ostor.ByEmail(email)
	u, err := c.gateway.User(ctx, ref)
	if staas.ErrorCode(err) == staas.ENOTFOUND {
		reply(w, http.StatusOK, map[string]any{"exists": false, "email": email})
		return
	}
	if err != nil {
		fail(w, http.StatusBadGateway, "get user %s: %v", email, err)
		return
	}
	keys := []keyJSON{}
	for _, k := range u.Keys {
		keys = append(keys, keyJSON{AccessKey: k.AccessKeyID, SecretKey: k.SecretAccessKey})
	}
	lim, err := c.gateway.Limits(ctx, ostor.UserLimits(ref))
	if err != nil {
		fail(w, http.StatusBadGateway, "limits of %s: %v", email, err)
		return
	}
	q, err := c.gateway.Quota(ctx, ostor.UserQuota(ref))
	var quota uint64
	switch {
	case staas.ErrorCode(err) == staas.ENOTFOUND:
	case err != nil:
		fail(w, http.StatusBadGateway, "quota of %s: %v", email, err)
		return
	default:
		quota = q.SizeGB
	}
	bs, err := c.gateway.BucketsOf(ctx, ref)
	if err != nil {
		fail(w, http.StatusBadGateway, "buckets of %s: %v", email, err)
		return
	}
	buckets := []string{}
	for _, b := range bs {
		buckets = append(buckets, b.Name)
	}
	reply(w, http.StatusOK, map[string]any{
		"exists": true, "email": u.Email, "id": u.ID, "state": u.State, "keys": keys,
		"limits": map[string]any{
			"ops_default": lim.OpsDefault, "ops_get": lim.OpsGet, "ops_put": lim.OpsPut,
			"ops_list": lim.OpsList, "ops_delete": lim.OpsDelete, "bandwidth_out": lim.BandwidthOut,
		},
		"quota_gb": quota,
		"buckets":  buckets,
	})
}

func (c *control) users(w http.ResponseWriter, r *http.Request) {
	us, err := c.gateway.Users(r.Context())
	if err != nil {
		fail(w, http.StatusBadGateway, "%v", err)
		return
	}
	out := []map[string]string{}
	for _, u := range us {
		out = append(out, map[string]string{"email": u.Email, "id": u.ID, "state": u.State})
	}
	reply(w, http.StatusOK, map[string]any{"users": out})
}

func (c *control) addBucket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email   string `json:"email"`
		Name    string `json:"name"`
		Objects int    `json:"objects"`
		Bytes   uint64 `json:"bytes"`
	}
	if !decode(w, r, &in) {
		return
	}
	if err := c.sim.CreateBucket(in.Email, in.Name); err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	for i := 0; i < in.Objects; i++ {
		if _, err := c.sim.PutObject(in.Name, fmt.Sprintf("object-%03d", i), in.Bytes); err != nil {
			fail(w, http.StatusBadRequest, "%v", err)
			return
		}
	}
	reply(w, http.StatusOK, map[string]any{})
}

func (c *control) bucket(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, map[string]bool{"exists": c.sim.HasBucket(r.URL.Query().Get("name"))})
}

func (c *control) setFaults(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ErrorRate float64 `json:"error_rate"`
		DropRate  float64 `json:"drop_rate"`
		LatencyMS int     `json:"latency_ms"`
	}
	if !decode(w, r, &in) {
		return
	}
	c.sim.SetFaults(ostorsim.Faults{ErrorRate: in.ErrorRate, DropRate: in.DropRate, Latency: time.Duration(in.LatencyMS) * time.Millisecond})
	reply(w, http.StatusOK, map[string]any{})
}

func (c *control) clearFaults(w http.ResponseWriter, _ *http.Request) {
	c.sim.SetFaults(ostorsim.Faults{})
	reply(w, http.StatusOK, map[string]any{})
}

// fakeStaas answers every request as told, to show the shim answers that
// a real staas never gives (HTML from a proxy, a 404, silence), and checks
// the signature of what it receives with Go's verifier, apart from the
// PHP that made it.
type fakeStaas struct {
	secret []byte

	mu      sync.Mutex
	status  int
	body    string
	delay   time.Duration
	nonces  whmcsbridge.NonceCache
	last    map[string]any
	counter int
}

func (f *fakeStaas) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readAll(r.Body)
	v := whmcsbridge.Verifier{Secret: f.secret, Nonces: &f.nonces}
	verdict := "ok"
	if err := v.Verify(r.Context(), r.Method, r.RequestURI, r.Header, body); err != nil {
		verdict = staas.ErrorMessage(err)
	}
	f.mu.Lock()
	f.counter++
	f.last = map[string]any{
		"method": r.Method, "uri": r.RequestURI, "body": string(body), "signature": verdict,
		"content_type": r.Header.Get("Content-Type"), "user_agent": r.UserAgent(),
		"header_counts": map[string]int{
			whmcsbridge.HeaderTimestamp: len(r.Header.Values(whmcsbridge.HeaderTimestamp)),
			whmcsbridge.HeaderNonce:     len(r.Header.Values(whmcsbridge.HeaderNonce)),
			whmcsbridge.HeaderSignature: len(r.Header.Values(whmcsbridge.HeaderSignature)),
		},
		"requests": f.counter,
	}
	status, answer, delay := f.status, f.body, f.delay
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(answer))
}

func (c *control) setFake(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status  int    `json:"status"`
		Body    string `json:"body"`
		DelayMS int    `json:"delay_ms"`
		Repeat  int    `json:"repeat"`
	}
	if !decode(w, r, &in) {
		return
	}
	body := strings.Repeat(in.Body, max(in.Repeat, 1))
	c.fake.mu.Lock()
	c.fake.status, c.fake.body, c.fake.delay = in.Status, body, time.Duration(in.DelayMS)*time.Millisecond
	c.fake.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{})
}

func (c *control) fakeLast(w http.ResponseWriter, _ *http.Request) {
	c.fake.mu.Lock()
	defer c.fake.mu.Unlock()
	if c.fake.last == nil {
		reply(w, http.StatusOK, map[string]any{"requests": 0})
		return
	}
	reply(w, http.StatusOK, c.fake.last)
}
