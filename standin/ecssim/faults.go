package ecssim

import (
	"strings"
	"time"
)

// Faults make the simulated ECS misbehave. They apply before
// authentication, to every request.
type Faults struct {
	// Latency delays every answer.
	Latency time.Duration
	// ErrorRate is the probability (0..1) of answering 503 (code 6000).
	ErrorRate float64
	// DropNext closes the connection of the next N requests unanswered;
	// DropRate is the probability of that.
	DropNext int
	DropRate float64
	// LoseAnswerNext applies the next N requests and then closes their
	// connections unanswered; LoseAnswerRate is the probability of that.
	LoseAnswerNext int
	LoseAnswerRate float64
	// RefuseNext answers the next N requests (other than /login) with
	// HTTP 500 {"code":6401,"description":"Insufficient permissions"};
	// RefuseRate is the probability of that, RefusePrefix refuses every
	// request whose path starts with it (e.g. "/object/billing").
	RefuseNext   int
	RefuseRate   float64
	RefusePrefix string
	// MaxInFlight, if positive, answers 503 (code 6000) to a request that
	// arrives while that many are being served, as a loaded ECS does.
	MaxInFlight int
}

// SetFaults replaces the fault settings; the zero Faults turns them off.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Faults returns the current settings with the counters as far as used.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

type faultKind int

const (
	faultNone faultKind = iota
	faultDrop
	faultUnavailable
	faultLoseAnswer
	faultRefuse
)

// decideFault draws one request's fate. Caller holds s.mu.
func (s *Server) decideFault(path string) faultKind {
	f := &s.faults
	chance := func(p float64) bool { return p > 0 && s.rng.Float64() < p }
	switch {
	case f.DropNext > 0:
		f.DropNext--
		return faultDrop
	case chance(f.DropRate):
		return faultDrop
	case chance(f.ErrorRate):
		return faultUnavailable
	}
	if path != "/login" && path != "/logout" {
		switch {
		case f.RefusePrefix != "" && strings.HasPrefix(path, f.RefusePrefix):
			return faultRefuse
		case f.RefuseNext > 0:
			f.RefuseNext--
			return faultRefuse
		case chance(f.RefuseRate):
			return faultRefuse
		}
	}
	switch {
	case f.LoseAnswerNext > 0:
		f.LoseAnswerNext--
		return faultLoseAnswer
	case chance(f.LoseAnswerRate):
		return faultLoseAnswer
	}
	return faultNone
}
