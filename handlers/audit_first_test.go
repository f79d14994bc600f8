package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"staas"
	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/internal/store"
	"staas/standin/testworld"
)

// padding is what a hostile form adds: 40 extra fields of 1024 control
// characters, which JSON escapes to six bytes each, about 240 KB in all,
// far more than the audit row's column holds.
func padding(p map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range p {
		out[k] = v
	}
	for i := range 40 {
		out["pad-"+strconv.Itoa(i)] = strings.Repeat("\x01", 1024)
	}
	return out
}

func lastAudit(t *testing.T, a *app, action string) staas.AuditEntry {
	t.Helper()
	entries, err := a.Store.Audit(context.Background(), store.AuditFilter{ClientID: 1, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no audit row for %s", action)
	return staas.AuditEntry{}
}

// Padding fields can neither keep an action out of the audit log nor
// reach it: each audited action's row holds only its own parameters.
// Before, the row was too long, silently dropped, and the action ran.
func TestAudit_PaddingCannotEvadeTheLog(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.act(fullAdmin, "create-user", nil)
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	key := u.Keys[0].AccessKeyID

	steps := []struct {
		action string
		params map[string]string
		want   map[string]string
	}{
		{"reveal-secret", map[string]string{"access_key": key}, map[string]string{"access_key": key}},
		{"disable-user", map[string]string{"confirm": "yes"}, map[string]string{"confirm": "yes"}},
		{"enable-user", nil, map[string]string{}},
		{"quota-set", map[string]string{"quota-of": "user", "quota-gb": "5"}, map[string]string{"quota-of": "user", "quota-gb": "5"}},
	}
	for _, s := range steps {
		status, body := a.act(fullAdmin, s.action, padding(s.params))
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", s.action, status, body)
		}
		e := lastAudit(t, a, s.action)
		if e.Result != "ok" || len(e.Params) != len(s.want) {
			t.Errorf("%s: audit row %+v, want result ok and params %v", s.action, e, s.want)
			continue
		}
		for k, v := range s.want {
			if e.Params[k] != v {
				t.Errorf("%s: audit param %s = %q, want %q", s.action, k, e.Params[k], v)
			}
		}
	}
}

// A parameter is kept in the audit log clipped, not whole.
func TestAudit_ParamsAreClipped(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	long := strings.Repeat("é", 500) // 1000 bytes
	a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "bucket:" + long, "quota-gb": "1"})
	e := lastAudit(t, a, "quota-set")
	if got := e.Params["quota-of"]; len(got) > 256 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "bucket:éé") {
		t.Errorf("quota-of kept as %d bytes %q, want at most 256 ending in …", len(got), got)
	}
}

// failingAudit is staas's store with an audit log that refuses rows.
type failingAudit struct{ *store.Store }

func (failingAudit) AddAudit(context.Context, staas.AuditEntry) (int64, error) {
	return 0, errors.New("disk full")
}

// A sensitive action whose audit row cannot be written does not run: the
// secret is not revealed, the user is not disabled or deleted. Before,
// the failure was logged and the action went ahead.
func TestAudit_ActionRefusedWhenItCannotBeRecorded(t *testing.T) {
	var svc *provision.Services
	a := newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		svc = provision.New(provision.Config{Gateway: w.Gateway, Store: failingAudit{w.Store}, WHMCS: w.Bridge})
		d.Provision = svc
	})
	ctx := context.Background()
	// The user exists; creating it went through another door.
	ok := provision.New(provision.Config{Gateway: a.Gateway, Store: a.Store, WHMCS: a.Bridge})
	if _, err := ok.Admin.CreateUser(ctx, provision.Actor{Admin: fullAdmin, ClientID: 1}); err != nil {
		t.Fatal(err)
	}
	u, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	key := u.Keys[0]

	status, body := a.act(fullAdmin, "reveal-secret", map[string]string{"access_key": key.AccessKeyID})
	if status != http.StatusServiceUnavailable || !strings.Contains(body["message"].(string), "audit") {
		t.Errorf("reveal without an audit log: %d %v, want 503 saying why", status, body)
	}
	if body["anchor"] != "staas-result" {
		t.Errorf("reveal without an audit log lands on %v, want staas-result (where the refusal shows)", body["anchor"])
	}
	if doc := a.panels(fullAdmin); strings.Contains(doc.Text(), key.SecretAccessKey) {
		t.Error("the secret was revealed although the reveal could not be recorded")
	}
	for _, action := range []string{"disable-user", "delete-user", "revoke-key"} {
		status, _ := a.act(fullAdmin, action, map[string]string{"confirm": "yes", "access_key": key.AccessKeyID})
		if status != http.StatusServiceUnavailable {
			t.Errorf("%s without an audit log: %d, want 503", action, status)
		}
	}
	after, err := a.Gateway.User(ctx, ostor.ByEmail("alice@example.com"))
	if err != nil {
		t.Fatalf("the user is gone: %v", err)
	}
	if after.State != "enabled" || len(after.Keys) != 1 {
		t.Errorf("user after refused actions: state %s, %d keys", after.State, len(after.Keys))
	}
}
