package ecssim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type env struct {
	t   *testing.T
	s   *Server
	srv *httptest.Server
	tok string
}

func newEnv(t *testing.T, opt Options) *env {
	t.Helper()
	s, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := s.NewTestServer()
	t.Cleanup(srv.Close)
	e := &env{t: t, s: s, srv: srv}
	e.tok = e.login()
	return e
}

func (e *env) login() string {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
	req.SetBasicAuth("root", "ChangeMe")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("login: %d", resp.StatusCode)
	}
	return resp.Header.Get("X-SDS-AUTH-TOKEN")
}

type answer struct {
	status int
	header http.Header
	body   string
}

// do sends one request; accept "json" asks for JSON, anything else XML.
// A body starting with '<' is sent as XML.
func (e *env) do(method, path, accept, reqBody string) answer {
	e.t.Helper()
	var rd io.Reader
	if reqBody != "" {
		rd = strings.NewReader(reqBody)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if e.tok != "" {
		req.Header.Set("X-SDS-AUTH-TOKEN", e.tok)
	}
	if accept == "json" {
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", "application/xml")
	}
	if strings.HasPrefix(reqBody, "<") {
		req.Header.Set("Content-Type", "application/xml")
	} else if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// json sends a JSON request and decodes the JSON answer.
func (e *env) json(method, path, reqBody string, wantStatus int) map[string]any {
	e.t.Helper()
	a := e.do(method, path, "json", reqBody)
	if a.status != wantStatus {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, a.status, wantStatus, a.body)
	}
	if a.body == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		e.t.Fatalf("%s %s: %v in %s", method, path, err, a.body)
	}
	return m
}

// errCode checks an error answer's status and ECS code.
func (e *env) errCode(method, path, reqBody string, status int, code string) map[string]any {
	e.t.Helper()
	m := e.json(method, path, reqBody, status)
	if fmt.Sprint(m["code"]) != code {
		e.t.Errorf("%s %s: code %v, want %s (%v)", method, path, m["code"], code, m)
	}
	return m
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
