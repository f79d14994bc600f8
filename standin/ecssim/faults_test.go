package ecssim

import (
	"net/http"
	"testing"
	"time"
)

func TestFaultRefusalAnswers500Code6401(t *testing.T) {
	e := newEnv(t, Options{})
	mustOK(t, e.s.CreateNamespace("ns"))
	e.s.SetFaults(Faults{RefusePrefix: "/object/billing"})
	m := e.json("GET", "/object/billing/namespace/ns/info", "", 500)
	if m["code"] != float64(6401) || m["description"] != "Insufficient permissions" || m["retryable"] != false {
		t.Errorf("refusal %v", m)
	}
	if a := e.do("GET", "/object/billing/namespace/ns/info", "json", ""); a.body != `{"code":6401,"description":"Insufficient permissions","details":"","retryable":false}` {
		t.Errorf("refusal body %s", a.body)
	}
	e.json("GET", "/object/namespaces", "", 200) // other paths answer
	e.s.SetFaults(Faults{RefuseNext: 1})
	e.json("GET", "/object/namespaces", "", 500)
	e.json("GET", "/object/namespaces", "", 200)
	if e.s.Requests("/object/namespaces") != 3 {
		t.Errorf("requests counted %v", e.s.RequestCounts())
	}
}

func TestFaultErrorRateAnswers503(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.SetFaults(Faults{ErrorRate: 1})
	e.errCode("GET", "/object/namespaces", "", 503, "6000")
}

func TestFaultDropAndLoseAnswer(t *testing.T) {
	e := newEnv(t, Options{})
	// A fresh connection each time: the transport would retry an
	// idempotent request that failed on a reused one.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	e.s.SetFaults(Faults{DropNext: 1})
	req, _ := http.NewRequest("GET", e.srv.URL+"/object/namespaces", nil)
	req.Header.Set("X-SDS-AUTH-TOKEN", e.tok)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	e.s.SetFaults(Faults{LoseAnswerNext: 1})
	req, _ = http.NewRequest("POST", e.srv.URL+"/object/namespaces/namespace", stringsReader(`{"namespace":"lost"}`))
	req.Header.Set("X-SDS-AUTH-TOKEN", e.tok)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("lost answer arrived: %d", resp.StatusCode)
	}
	e.json("GET", "/object/namespaces/namespace/lost", "", 200) // it took effect
	if f := e.s.Faults(); f.DropNext != 0 || f.LoseAnswerNext != 0 {
		t.Errorf("counters not used up %+v", f)
	}
}

func TestFaultLatency(t *testing.T) {
	e := newEnv(t, Options{Faults: Faults{Latency: 50 * time.Millisecond}})
	start := time.Now()
	e.json("GET", "/object/namespaces", "", 200)
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("answered in %v", time.Since(start))
	}
}

func TestNewRefusesBadRates(t *testing.T) {
	if _, err := New(Options{Faults: Faults{ErrorRate: 2}}); err == nil {
		t.Error("rate 2 accepted")
	}
}

func TestFaultMaxInFlightAnswers503(t *testing.T) {
	e := newEnv(t, Options{Faults: Faults{MaxInFlight: 1, Latency: 200 * time.Millisecond}})
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("GET", e.srv.URL+"/object/namespaces", nil)
		req.Header.Set("X-SDS-AUTH-TOKEN", e.tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	e.errCode("GET", "/object/namespaces", "", 503, "6000")
	if st := <-done; st != 200 {
		t.Errorf("first request %d", st)
	}
}
