package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// A forged "Empty and delete" confirmation (confirm=yes) for a bucket the
// client does not own, or for none, with a wrong typed name, is refused
// for the bucket — as the first click is — and parks no question about
// that bucket on the client's page (it read "The name typed to confirm
// was not , so nothing was deleted." and asked "Empty and delete the
// bucket bob-data?" on Alice's page).
func TestPurgeBucket_ConfirmedForAForeignOrNoBucketIsRefusedForTheBucket(t *testing.T) {
	a := newPurgingApp(t)
	a.act(fullAdmin, "create-user", nil)
	if err := a.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Gateway.CreateUser(t.Context(), "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := a.Sim.CreateBucket("bob@example.com", "bob-data"); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{"", "bob-data", "../bob-data"} {
		status, body := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": bucket, "confirm": "yes", "confirm-name": "wrong"})
		msg, _ := body["message"].(string)
		if status != http.StatusBadRequest || !strings.Contains(msg, "Choose one of the client's buckets") {
			t.Errorf("bucket %q: %d %q, want 400 naming the bucket field", bucket, status, msg)
		}
		doc := a.panels(fullAdmin)
		if q := doc.Find(".staas-confirm").Text(); strings.Contains(q, "Empty and delete") {
			t.Errorf("bucket %q: a question is parked: %q", bucket, q)
		}
		if !a.Sim.HasBucket("bob-data") || !a.Sim.HasBucket("alice-data") {
			t.Fatalf("bucket %q: a bucket went", bucket)
		}
	}
}
