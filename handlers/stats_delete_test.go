package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestMalformedStatsObjectIsRefusedBeforeAsking: Delete with a name that
// is no statistics object name at all ("nope") asked "Delete the
// statistics object nope from the gateway? It holds the usage of every
// client…" and refused only after the admin confirmed, while Get refused
// the same name at once. It is refused before asking, by the field, with
// the format the name must have.
func TestMalformedStatsObjectIsRefusedBeforeAsking(t *testing.T) {
	a := newApp(t)
	before := a.Sim.Requests()
	status, body := a.act(fullAdmin, "stats-delete", map[string]string{"object": "nope"})
	if status == http.StatusOK {
		t.Fatalf("stats-delete nope: %d %v, want a refusal", status, body)
	}
	if q := a.panels(fullAdmin).Find("#staas-confirm-question").Text(); q != "" {
		t.Errorf("stats-delete nope asks %q before refusing", q)
	}
	msg := a.links(fullAdmin).Find("#staas-o-object-error").Text()
	if !strings.Contains(msg, `"nope" is not a statistics object name`) {
		t.Errorf("the object field says %q, want that nope is not a statistics object name", msg)
	}
	if a.Sim.Requests() != before {
		t.Errorf("a malformed name reached the gateway")
	}
}
