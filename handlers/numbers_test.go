package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestMessagesGroupBigNumbers: the flash and the field errors read numbers
// as the panels do, grouped by thousands. Setting a quota of 25000 GB
// flashed "is now 25000 GB" above a panel that said "25,000 GB", and an
// ops limit over the bound read "At most 1e+09 operations per second."
func TestMessagesGroupBigNumbers(t *testing.T) {
	a := newApp(t)
	if status, body := a.act(fullAdmin, "create-user", nil); status != http.StatusOK {
		t.Fatalf("create-user: %d %v", status, body)
	}
	status, body := a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "user", "quota-gb": "25000"})
	if status != http.StatusOK {
		t.Fatalf("quota-set: %d %v", status, body)
	}
	if msg, _ := body["message"].(string); msg != "The quota of the S3 user is now 25,000 GB." {
		t.Errorf("quota-set says %q, want the size grouped: \"… is now 25,000 GB.\"", msg)
	}
	status, body = a.act(fullAdmin, "user-limits-set", map[string]string{"ops-name": "get", "ops-value": "2000000000"})
	if status != http.StatusBadRequest {
		t.Fatalf("an ops limit over the bound: %d %v", status, body)
	}
	if msg, _ := body["message"].(string); !strings.Contains(msg, "At most 1,000,000,000 operations per second.") {
		t.Errorf("an ops limit over the bound says %q, want \"At most 1,000,000,000 operations per second.\"", msg)
	}
}
