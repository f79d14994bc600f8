package handlers_test

import (
	"net/http"
	"testing"
)

// TestFormsKeepTheSubjectTheyActedOn: after Get showed "S3 Limits for
// Bucket: alice-data", the form's bucket was back at "Choose a bucket…",
// so the natural next click, Delete, was refused with "Choose one of the
// client's buckets." — the same for the quota form after Set or Get. A
// form whose action worked keeps the bucket (or the quota's subject) it
// acted on chosen, the one its panel shows.
func TestFormsKeepTheSubjectTheyActedOn(t *testing.T) {
	a := newApp(t)
	a.act(fullAdmin, "create-user", nil)
	for _, b := range []string{"alice-data", "alice-logs"} {
		if err := a.Sim.CreateBucket("alice@example.com", b); err != nil {
			t.Fatal(err)
		}
	}
	if status, body := a.act(fullAdmin, "bucket-limits-get", map[string]string{"bucket": "alice-logs"}); status != http.StatusOK {
		t.Fatalf("bucket-limits-get: %d %v", status, body)
	}
	if got := a.links(fullAdmin).Find(`#staas-bl-bucket option[selected]`).AttrOr("value", ""); got != "alice-logs" {
		t.Errorf("after Get of alice-logs the bucket limits form has %q chosen, want alice-logs", got)
	}
	if status, body := a.act(fullAdmin, "bucket-limits-set", map[string]string{"bucket": "alice-data", "ops-name": "get", "ops-value": "5"}); status != http.StatusOK {
		t.Fatalf("bucket-limits-set: %d %v", status, body)
	}
	if got := a.links(fullAdmin).Find(`#staas-bl-bucket option[selected]`).AttrOr("value", ""); got != "alice-data" {
		t.Errorf("after Set on alice-data the bucket limits form has %q chosen, want alice-data", got)
	}
	if status, body := a.act(fullAdmin, "quota-set", map[string]string{"quota-of": "bucket:alice-data", "quota-gb": "5"}); status != http.StatusOK {
		t.Fatalf("quota-set: %d %v", status, body)
	}
	doc := a.links(fullAdmin)
	if got := doc.Find(`#staas-q-of option[selected]`).AttrOr("value", ""); got != "bucket:alice-data" {
		t.Errorf("after Set of alice-data's quota the quota form has %q chosen, want bucket:alice-data", got)
	}
	// The size typed is not kept: only what the form acts on.
	if got := doc.Find(`#staas-q-quota-gb`).AttrOr("value", ""); got != "" {
		t.Errorf("the quota size %q stayed in the form after it was set", got)
	}
	if status, body := a.act(fullAdmin, "quota-get", map[string]string{"quota-of": "user"}); status != http.StatusOK {
		t.Fatalf("quota-get: %d %v", status, body)
	}
	if got := a.links(fullAdmin).Find(`#staas-q-of option[selected]`).AttrOr("value", ""); got != "user" {
		t.Errorf("after Get of the user's quota the quota form has %q chosen, want user", got)
	}
}
