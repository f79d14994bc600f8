package ostorsim

import (
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Faults make the simulated gateway misbehave. They apply to every request,
// admin API and S3 data plane alike, before authentication, as a flaky
// network or an overloaded gateway would (except FailDeleteKeys, which acts
// inside DeleteObjects).
type Faults struct {
	// Latency delays every answer; a request whose context ends first gets
	// no answer.
	Latency time.Duration
	// ErrorRate is the probability (0..1) of answering 503 Slow Down.
	ErrorRate float64
	// Burst5xx answers the next N requests with 500.
	Burst5xx int
	// DropNext closes the connection of the next N requests without an
	// answer.
	DropNext int
	// DropRate is the probability (0..1) of closing the connection without
	// an answer.
	DropRate float64
	// LoseAnswerNext lets the next N requests take effect, then closes
	// their connections without an answer: the gateway acted and the
	// client cannot know.
	LoseAnswerNext int
	// LoseAnswerRate is the probability (0..1) of that.
	LoseAnswerRate float64
	// FailDeleteKeys makes the next N objects named in DeleteObjects
	// requests fail on their own with a per-key InternalError while the
	// request as a whole succeeds (S3 reports errors per key).
	FailDeleteKeys int
}

type faultState struct {
	f   Faults
	rng *mrand.Rand
}

// SetFaults replaces the fault settings (the zero Faults turns them off).
// Decisions are drawn from a stream of the seed, so a seeded simulator
// fails the same requests of the same sequence every run.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.f = f
}

// Faults returns the current settings, with the Burst5xx and DropNext
// counters as far as they are used up.
func (s *Sim) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.f
}

type faultKind int

const (
	faultNone faultKind = iota
	faultDrop
	faultBurst
	faultUnavailable
	faultLoseAnswer
)

// decideFault draws the fate of one request. Caller holds s.mu.
func (fs *faultState) decide() faultKind {
	f := &fs.f
	switch {
	case f.DropNext > 0:
		f.DropNext--
		return faultDrop
	case f.Burst5xx > 0:
		f.Burst5xx--
		return faultBurst
	case f.LoseAnswerNext > 0:
		f.LoseAnswerNext--
		return faultLoseAnswer
	}
	// Always draw every number so that changing one rate does not shift
	// the decisions the other rates make.
	drop, fail, lose := fs.rng.Float64(), fs.rng.Float64(), fs.rng.Float64()
	switch {
	case drop < f.DropRate:
		return faultDrop
	case fail < f.ErrorRate:
		return faultUnavailable
	case lose < f.LoseAnswerRate:
		return faultLoseAnswer
	}
	return faultNone
}

// injectFault applies the configured faults to one request and reports
// whether it has been dealt with, or whether its answer is to be lost
// after it has taken effect.
func (s *Sim) injectFault(w http.ResponseWriter, r *http.Request) (handled, loseAnswer bool) {
	s.mu.Lock()
	latency := s.faults.f.Latency
	kind := faultNone
	if f := s.faults.f; f != (Faults{FailDeleteKeys: f.FailDeleteKeys}) {
		kind = s.faults.decide()
	}
	s.mu.Unlock()

	if latency > 0 {
		timer := time.NewTimer(latency)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return true, false // the client is gone; nobody to answer
		}
	}
	requestID := w.Header().Get("x-amz-request-id")
	switch kind {
	case faultDrop:
		dropConnection(w)
		return true, false
	case faultBurst:
		writeError(w, requestID, &apiError{http.StatusInternalServerError, "InternalError", "injected fault: internal error"})
		return true, false
	case faultUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(1))
		writeError(w, requestID, &apiError{http.StatusServiceUnavailable, "SlowDown", "injected fault: service unavailable"})
		return true, false
	}
	return false, kind == faultLoseAnswer
}

// dropConnection closes the client's connection without writing anything.
// Where hijacking is impossible (HTTP/2, recorders) it aborts the handler,
// which net/http turns into a reset stream or closed connection.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// net/http recognises ErrAbortHandler by identity, not errors.Is.
	panic(http.ErrAbortHandler)
}
