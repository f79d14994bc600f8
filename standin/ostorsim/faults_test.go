package ostorsim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"staas/standin/ostorsim"
)

// try sends a signed GET ?ostor-users and returns the status, or 0 if the
// connection failed.
func (h *harness) try(ctx context.Context) (int, error) {
	r := h.newRequest(http.MethodGet, "ostor-users").WithContext(ctx)
	testSignV2(r, h.creds.AccessKey, h.creds.SecretKey)
	res, err := h.srv.Client().Do(r)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func TestFaultBurstAndErrorRate(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.sim.SetFaults(ostorsim.Faults{Burst5xx: 2})
	for i, want := range []int{500, 500, 200} {
		if got, err := h.try(context.Background()); got != want {
			t.Fatalf("request %d: %d (%v), want %d", i, got, err, want)
		}
	}
	if f := h.sim.Faults(); f.Burst5xx != 0 {
		t.Errorf("burst not used up: %+v", f)
	}

	h.sim.SetFaults(ostorsim.Faults{ErrorRate: 1})
	res := h.do("GET", "ostor-users")
	if res.status != 503 || res.errMsg() == "" || !strings.Contains(res.body, "<Code>SlowDown</Code>") {
		t.Fatalf("error rate 1: %d %s", res.status, res.body)
	}
	h.sim.SetFaults(ostorsim.Faults{})
	h.must(200, "GET", "ostor-users")
}

func TestFaultDrop(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	before := h.sim.Requests()
	h.sim.SetFaults(ostorsim.Faults{DropNext: 1})
	if status, err := h.try(context.Background()); err == nil {
		t.Fatalf("dropped request answered %d", status)
	}
	if status, err := h.try(context.Background()); status != 200 {
		t.Fatalf("after the drop: %d %v", status, err)
	}
	if got := h.sim.Requests() - before; got < 2 {
		t.Errorf("dropped request not counted: %d", got)
	}

	// Without a hijackable writer the handler aborts instead.
	h.sim.SetFaults(ostorsim.Faults{DropNext: 1})
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.sim.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/?ostor-users", nil))
}

func TestFaultLatencyHonoursContext(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.sim.SetFaults(ostorsim.Faults{Latency: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := h.try(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("took %s", took)
	}

	h.sim.SetFaults(ostorsim.Faults{Latency: 30 * time.Millisecond})
	began = time.Now()
	if status, err := h.try(context.Background()); status != 200 || time.Since(began) < 30*time.Millisecond {
		t.Fatalf("status %d %v after %s", status, err, time.Since(began))
	}
}

func TestFaultsDeterministicWithSeed(t *testing.T) {
	run := func() string {
		h := newHarness(t, ostorsim.Options{Seed: 99})
		h.sim.SetFaults(ostorsim.Faults{ErrorRate: 0.5})
		var b strings.Builder
		for range 40 {
			status, _ := h.try(context.Background())
			if status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("rate 0.5 gave %s", a)
	}
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.sim.SetFaults(ostorsim.Faults{ErrorRate: 0.2, DropRate: 0.1})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_, _ = h.try(context.Background()) // faults fail some calls: this test is about races
				if err := h.sim.AddTraffic(ostorsim.Traffic{Email: h.creds.Email, Get: 1}); err != nil {
					t.Error(err)
				}
				h.sim.Advance(time.Minute)
			}
		}()
	}
	wg.Wait()
	if got := h.sim.UsageGroundTruth()[ostorsim.UsageKey{UserID: h.creds.UserID}]; got.Get != 160 {
		t.Fatalf("gets %d, want 160", got.Get)
	}
}

// A lost answer is the worst case for a client: the gateway acted, but the
// client saw only a broken connection.
func TestFaultLoseAnswer(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	h.sim.SetFaults(ostorsim.Faults{LoseAnswerNext: 1})
	r := h.newRequest(http.MethodPut, q("ostor-users", "emailAddress", "lost@example.com"))
	testSignV2(r, h.creds.AccessKey, h.creds.SecretKey)
	if res, err := h.srv.Client().Do(r); err == nil {
		res.Body.Close()
		t.Fatalf("the lost answer arrived: %d", res.StatusCode)
	}
	// ...and yet the user exists.
	res := h.must(200, http.MethodGet, q("ostor-users", "emailAddress", "lost@example.com"))
	if !strings.Contains(res.body, `"UserEmail":"lost@example.com"`) {
		t.Fatalf("user not created: %s", res.body)
	}
	if f := h.sim.Faults(); f.LoseAnswerNext != 0 {
		t.Errorf("LoseAnswerNext not used up: %+v", f)
	}
}
