package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"staas/handlers"
	"staas/internal/provision"
	"staas/internal/s3data"
	"staas/internal/store"
	"staas/standin/testworld"
)

// "Empty and delete" whose S3 endpoint does not answer: the admin's
// answer, flash and audit row read a sentence (what failed, what to do)
// without the purge code's "s3: purge bucket …", the endpoint's address
// or the SDK's words; staas's log keeps those.
func TestPurgeBucketFailure_AdminReadsASentenceTheLogTheDetail(t *testing.T) {
	logs := &syncBuffer{}
	a := newAppWith(t, func(w *testworld.World, d *handlers.Deps) {
		purger, err := s3data.New(s3data.Config{Endpoint: "http://127.0.0.1:1", Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		d.Provision = provision.New(provision.Config{Gateway: w.Gateway, Store: w.Store, WHMCS: w.Bridge, Purger: purger,
			Logger: slog.New(slog.NewTextHandler(logs, nil))})
	})
	a.act(fullAdmin, "create-user", nil)
	if err := a.Sim.CreateBucket("alice@example.com", "alice-data"); err != nil {
		t.Fatal(err)
	}
	status, body := a.act(fullAdmin, "purge-bucket", map[string]string{"bucket": "alice-data", "confirm": "yes", "confirm-name": "alice-data"})
	if status == http.StatusOK {
		t.Fatalf("a purge through a dead endpoint succeeded: %v", body)
	}
	msg, _ := body["message"].(string)
	doc := a.panels(fullAdmin)
	flash := doc.Find(".alert").Text()
	rows, err := a.Store.Audit(context.Background(), store.AuditFilter{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	var audited string
	for _, r := range rows {
		if r.Action == "purge-bucket" {
			audited = r.Message
			break
		}
	}
	for where, text := range map[string]string{"answer": msg, "flash": flash, "audit row": audited} {
		if !strings.Contains(text, `S3 endpoint did not answer while emptying bucket "alice-data"`) {
			t.Errorf("the %s %q does not say what failed", where, text)
		}
		for _, internal := range []string{"s3:", "127.0.0.1", "http://", "HTTP ", "dial tcp", "operation error", "connection refused"} {
			if strings.Contains(text, internal) {
				t.Errorf("the %s %q shows %q", where, text, internal)
			}
		}
	}
	if l := logs.String(); !strings.Contains(l, `s3: purge bucket \"alice-data\": the gateway did not answer`) || !strings.Contains(l, "connection refused") {
		t.Errorf("the log lacks the detail:\n%s", l)
	}
}
