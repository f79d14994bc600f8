package ecssim

import (
	"net/http"
	"strconv"
	"time"
)

type token struct {
	user   string
	issued time.Time
}

// expireTokens forgets tokens past their max age. Caller holds s.mu.
func (s *Server) expireTokens() {
	now := s.clock()
	for k, t := range s.tokens {
		if !now.Before(t.issued.Add(s.opt.TokenMaxAge)) {
			delete(s.tokens, k)
		}
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	u, p, ok := r.BasicAuth()
	if r.Method != http.MethodGet || !ok || u != s.opt.Username || p != s.opt.Password {
		writeError(w, r, s.stringNumbers, &apiError{status: 401, code: 4000, desc: "Invalid credentials or authentication token", details: "Invalid username or password"})
		return
	}
	s.mu.Lock()
	s.expireTokens()
	live := 0
	for _, t := range s.tokens {
		if t.user == u {
			live++
		}
	}
	if live >= s.opt.TokenCap {
		s.mu.Unlock()
		writeError(w, r, s.stringNumbers, &apiError{status: 401, code: 4000, desc: "Invalid credentials or authentication token", details: "Max number of tokens exceeded for this user"})
		return
	}
	tok := "BAAc" + randomHex(24)
	s.tokens[tok] = &token{user: u, issued: s.clock()}
	s.logins++
	s.mu.Unlock()
	w.Header().Set("X-SDS-AUTH-TOKEN", tok)
	w.Header().Set("X-SDS-AUTH-MAX-AGE", strconv.Itoa(int(s.opt.TokenMaxAge/time.Second)))
	w.Header().Set("X-SDS-AUTH-USERNAME", u)
	writeResult(w, r, s.stringNumbers, okDoc("loggedIn", obj{{"user", u}}))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, tok, user string) {
	s.mu.Lock()
	if r.URL.Query().Get("force") == "true" {
		for k, t := range s.tokens {
			if t.user == user {
				delete(s.tokens, k)
			}
		}
	} else {
		delete(s.tokens, tok)
	}
	s.mu.Unlock()
	writeResult(w, r, s.stringNumbers, okDoc("loggedOut", obj{{"user", user}}))
}

func (s *Server) whoami(r *http.Request) *result {
	u, _ := r.Context().Value(ctxKey{}).(string)
	return okDoc("user", obj{
		{"common_name", u},
		{"distinguished_name", ""},
		{"namespace", ""},
		{"roles", wrapped{item: "role", items: []any{"SYSTEM_ADMIN"}}},
	})
}
