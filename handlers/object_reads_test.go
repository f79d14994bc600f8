package handlers_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"staas/handlers"
	"staas/internal/ostor"
	"staas/internal/provision"
	"staas/standin/testworld"
)

// objectReads counts the gateway's statistics-object reads.
type objectReads struct {
	mu sync.Mutex
	n  int
}

func (c *objectReads) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.RawQuery, "ostor-usage&obj=") && r.Method == http.MethodGet {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (c *objectReads) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = 0
	return n
}

// Get on a statistics object, then the page it lands on, read the object
// from the gateway once: the render shows what the action read. A later
// page load reads it afresh, once.
func TestStatsGet_OneGatewayReadPerClickAndRender(t *testing.T) {
	reads := &objectReads{}
	a := newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		creds := w.Sim.SystemCredentials()
		gw, err := ostor.New(ostor.Config{Endpoint: w.URL, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey,
			Timeout: 5 * time.Second, HTTPClient: &http.Client{Transport: reads}})
		if err != nil {
			t.Fatal(err)
		}
		d.Provision = provision.New(provision.Config{Gateway: gw, Store: w.Store, WHMCS: w.Bridge})
	})
	a.act(fullAdmin, "create-user", nil)
	obj := putUsageObject(t, a, "someone")
	reads.take()

	if status, body := a.act(fullAdmin, "stats-get", map[string]string{"object": obj}); status != 200 {
		t.Fatalf("stats-get: %d %v", status, body)
	}
	doc := a.panels(fullAdmin)
	if doc.Find("#staas-panel-object").Length() != 1 {
		t.Fatal("the object's panel does not show")
	}
	if n := reads.take(); n != 1 {
		t.Errorf("Get and its page read the object %d times, want 1", n)
	}
	a.panels(fullAdmin)
	if n := reads.take(); n != 1 {
		t.Errorf("a page load read the object %d times, want 1", n)
	}
	// Switching the rows shown is a click like Get: one read.
	a.act(fullAdmin, "stats-get", map[string]string{"object": obj, "scope": "all"})
	a.panels(fullAdmin)
	if n := reads.take(); n != 1 {
		t.Errorf("switching to every client's rows read the object %d times, want 1", n)
	}
}
