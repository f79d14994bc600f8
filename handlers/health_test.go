package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"staas"
)

func get(t *testing.T, h http.Handler, path string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: body %q is not JSON: %v", path, rec.Body.String(), err)
	}
	return rec, body
}

func TestHealthz(t *testing.T) {
	rec, body := get(t, mustNew(t, Deps{}), "/healthz")
	if rec.Code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("GET /healthz = %d %v", rec.Code, body)
	}
}

func TestReadyz(t *testing.T) {
	ok := ReadinessCheck{Name: "store", Ping: func(context.Context) error { return nil }}
	down := ReadinessCheck{Name: "ostor", Ping: func(context.Context) error {
		return &staas.Error{Code: staas.EUNAVAILABLE, Message: "ostor: gateway unreachable",
			Err: errors.New("dial tcp 10.0.0.1:443: secret-detail")}
	}}
	broken := ReadinessCheck{Name: "other", Ping: func(context.Context) error {
		return errors.New("driver detail with password=hunter2")
	}}

	t.Run("OK", func(t *testing.T) {
		rec, body := get(t, mustNew(t, Deps{Checks: []ReadinessCheck{ok}}), "/readyz")
		if rec.Code != http.StatusOK || body["status"] != "ready" {
			t.Fatalf("GET /readyz = %d %v", rec.Code, body)
		}
	})
	t.Run("GatewayDown", func(t *testing.T) {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		rec, body := get(t, mustNew(t, Deps{Logger: log, Checks: []ReadinessCheck{ok, down, broken}}), "/readyz")
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503", rec.Code)
		}
		checks := body["checks"].(map[string]any)
		if checks["store"] != "ok" || checks["ostor"] != "ostor: gateway unreachable" || checks["other"] != "Internal error." {
			t.Fatalf("checks = %v", checks)
		}
		if s := rec.Body.String(); strings.Contains(s, "secret-detail") || strings.Contains(s, "hunter2") {
			t.Fatalf("readyz leaked an internal error: %s", s)
		}
		// The operator still learns the cause, from the log.
		if !strings.Contains(logs.String(), "check=other") || !strings.Contains(logs.String(), "driver detail") {
			t.Fatalf("the failed check's cause is not logged:\n%s", logs.String())
		}
	})
	// Several clusters: each is reported; one down leaves staas ready for
	// the others, all down does not.
	t.Run("Clusters", func(t *testing.T) {
		def, eu := down, ok
		def.Group, eu.Group, eu.Name = "clusters", "clusters", "ostor:eu-2"
		rec, body := get(t, mustNew(t, Deps{Checks: []ReadinessCheck{ok, def, eu}}), "/readyz")
		checks := body["checks"].(map[string]any)
		if rec.Code != http.StatusOK || checks["ostor"] != "ostor: gateway unreachable" || checks["ostor:eu-2"] != "ok" {
			t.Fatalf("one cluster down: %d %v", rec.Code, body)
		}
		eu.Ping = def.Ping
		if rec, body := get(t, mustNew(t, Deps{Checks: []ReadinessCheck{ok, def, eu}}), "/readyz"); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("every cluster down: %d %v", rec.Code, body)
		}
	})
}

func TestErrorHandler_MapsCodes(t *testing.T) {
	tests := []struct {
		err    error
		status int
		msg    string
	}{
		{staas.Errorf(staas.EINVALID, "email: not an address"), 400, "email: not an address"},
		{staas.Errorf(staas.ENOTFOUND, "no such user"), 404, "no such user"},
		{staas.Errorf(staas.ECONFLICT, "user owns buckets"), 409, "user owns buckets"},
		{staas.Errorf(staas.EFORBIDDEN, "needs permission"), 403, "needs permission"},
		{staas.Errorf(staas.EUNAVAILABLE, "gateway down"), 503, "gateway down"},
		{errors.New("raw driver text"), 500, "Internal error."},
	}
	for _, tt := range tests {
		e := mustNew(t, Deps{})
		e.GET("/boom", func(echo.Context) error { return tt.err })
		rec, body := get(t, e, "/boom")
		if rec.Code != tt.status || body["message"] != tt.msg {
			t.Errorf("%v: got %d %v, want %d %q", tt.err, rec.Code, body, tt.status, tt.msg)
		}
	}
}
