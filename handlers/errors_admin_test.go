package handlers_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"staas/handlers"
	"staas/standin/testworld"
)

// TestGatewayErrorsReadAsSentences: when the gateway refuses, the admin
// reads a sentence (in the answer, the flash, the field error and the
// audit log), never the gateway's own text or staas's internals; staas's
// log keeps those.
func TestGatewayErrorsReadAsSentences(t *testing.T) {
	var logs syncBuffer
	a := newAppWith(t, func(_ *testworld.World, d *handlers.Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	a.act(fullAdmin, "create-user", nil)
	a.panels(fullAdmin) // the create's flash is read

	const object = "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800"
	status, body := a.act(fullAdmin, "stats-get", map[string]string{"object": object})
	if status != http.StatusNotFound {
		t.Fatalf("stats-get of a missing object: %d %v", status, body)
	}
	msg, _ := body["message"].(string)
	seen := []string{"answer: " + msg}
	seen = append(seen, "flash: "+a.panels(fullAdmin).Find(".alert").Text())
	status, body = a.act(fullAdmin, "stats-delete", map[string]string{"object": object, "confirm": "yes"})
	if status != http.StatusNotFound {
		t.Fatalf("stats-delete of a missing object: %d %v", status, body)
	}
	seen = append(seen, "flash: "+a.panels(fullAdmin).Find(".alert").Text())
	a.act(fullAdmin, "toggle-audit", nil)
	seen = append(seen, "audit log: "+a.panels(fullAdmin).Find("#staas-panel-audit").Text())

	for _, s := range seen {
		for _, leak := range []string{"ostor:", "get usage object", "HTTP 404", "not found", "Not Found"} {
			if strings.Contains(s, leak) {
				t.Errorf("an admin reads %q, which holds %q", s, leak)
			}
		}
	}
	if want := "The storage cluster could not read the statistics object: it has no such statistics object."; !strings.Contains(seen[0], want) {
		t.Errorf("the answer reads %q, want %q", seen[0], want)
	}
	if !strings.Contains(seen[1], "no such statistics object") {
		t.Errorf("the flash reads %q", seen[1])
	}
	// A name the client refuses before calling the gateway reads as a
	// sentence too, by the field and in the flash.
	if status, body := a.act(fullAdmin, "stats-get", map[string]string{"object": "s3-usage-nonexistent"}); status != http.StatusBadRequest {
		t.Fatalf("stats-get of a malformed name: %d %v", status, body)
	}
	field := a.links(fullAdmin).Find("#staas-links-stats .has-error").Text()
	flash := a.panels(fullAdmin).Find(".alert").Text()
	for _, s := range []string{field, flash} {
		if !strings.Contains(s, "is not a statistics object name") || strings.Contains(s, "ostor:") || strings.Contains(s, "get usage object") {
			t.Errorf("a malformed name reads %q", s)
		}
	}

	// The log has what the admin does not read: the gateway's own words.
	log := logs.String()
	if !strings.Contains(log, "ostor: get usage object: HTTP 404") {
		t.Errorf("staas's log lacks the gateway's detail:\n%s", log)
	}
}
