package handlers_test

import (
	"net/http"
	"testing"
)

// TestFailedActionLandsOnItsOwnForm: with another form still kept from an
// earlier refusal, a failed action lands on the form it kept itself, and
// one that keeps no form on its flash — not on whichever kept form a map
// gave first.
func TestFailedActionLandsOnItsOwnForm(t *testing.T) {
	a := newApp(t)
	if status, body := a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "", "quota-gb": "lots"}); status != http.StatusBadRequest || body["anchor"] != "staas-links-quota" {
		t.Fatalf("quota-set: HTTP %d, anchor %v", status, body["anchor"])
	}
	for i := 0; i < 20; i++ {
		status, body := a.act(fullAdmin, "user-limits-set", map[string]string{"ops-name": "get", "ops-value": "12abc"})
		if status != http.StatusBadRequest || body["anchor"] != "staas-links-user-limits" {
			t.Fatalf("user-limits-set with the quota form kept: HTTP %d, anchor %v, want staas-links-user-limits", status, body["anchor"])
		}
		status, body = a.act(fullAdmin, "revoke-key", map[string]string{"access_key": "NOT-THE-CLIENTS"})
		if status < 400 || body["anchor"] != "staas-result" {
			t.Fatalf("revoke-key of a foreign key with forms kept: HTTP %d, anchor %v, want staas-result", status, body["anchor"])
		}
	}
}
