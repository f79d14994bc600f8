package ostor

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"staas"
)

// TestAdminMessagesAreSentences: whatever the gateway does, the message an
// admin reads is a sentence without staas's internals (the "ostor: op:"
// prefix, an HTTP status, the gateway's own words), and the detail for
// the log holds them.
func TestAdminMessagesAreSentences(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		h      http.HandlerFunc
		call   func(c *Client) error
		want   string // in the admin's message
		detail string // in the log's detail
	}{
		{"not found", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Amz-Err-Message", "Statistics object not found")
			w.WriteHeader(http.StatusNotFound)
		}, func(c *Client) error {
			_, err := c.UsageObject(ctx, "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800")
			return err
		}, "The storage cluster could not read the statistics object: it has no such statistics object.", "HTTP 404: Statistics object not found"},
		{"credentials refused", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Amz-Err-Message", "SignatureDoesNotMatch for AK")
			w.WriteHeader(http.StatusForbidden)
		}, func(c *Client) error { _, err := c.Users(ctx); return err },
			"The storage cluster refused staas's system credentials while trying to list the S3 users.", "SignatureDoesNotMatch"},
		{"create user unanswered, not created", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		}, func(c *Client) error { _, err := c.CreateUser(ctx, "new@example.com"); return err },
			"The storage cluster did not answer while trying to create the S3 user. Try again in a moment. The user was not created.", "HTTP 503"},
		{"a key answer without a key", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"UserEmail":"a@example.com","UserId":"0123456789abcdef","AWSAccessKeys":[]}`))
		}, func(c *Client) error { _, err := c.GenerateKey(ctx, "a@example.com"); return err },
			"The storage cluster gave an unexpected answer while trying to generate an access key; staas's log has the details.", "the answer holds no new key pair"},
		{"refused input", nil, func(c *Client) error {
			_, err := c.UsageObject(ctx, "not-an-object")
			return err
		}, `"not-an-object" is not a statistics object name`, "ostor: get usage object: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			if h == nil {
				h = func(w http.ResponseWriter, _ *http.Request) { t.Error("a refused input reached the gateway") }
			}
			c := testClient(t, h, func(c *Config) { c.MaxRetries = 1 })
			err := tc.call(c)
			msg, detail := staas.ErrorMessage(err), staas.ErrorDetail(err)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want %q", msg, tc.want)
			}
			for _, leak := range []string{"ostor:", "HTTP ", "Statistics object not found", "SignatureDoesNotMatch"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q holds %q", msg, leak)
				}
			}
			if !strings.Contains(detail, tc.detail) {
				t.Errorf("detail %q lacks %q", detail, tc.detail)
			}
			if strings.Contains(detail, testSecret) {
				t.Errorf("detail %q holds the secret key", detail)
			}
		})
	}
}

// TestReplicationAndSettingsOpsHaveWords: the settings and replication
// calls have their words in opWords, as the other calls do, so no
// admin reads Sentence's fallback "do what was asked".
func TestReplicationAndSettingsOpsHaveWords(t *testing.T) {
	for _, op := range []string{"get settings", "set setting", "set replication", "get replication", "delete replication"} {
		if got := Sentence(op, staas.EUNAVAILABLE); strings.Contains(got, "do what was asked") {
			t.Errorf("%s: %q", op, got)
		}
	}
	if got := Sentence("get replication", staas.ENOTFOUND); strings.Contains(got, "no such item") {
		t.Errorf("get replication not found: %q", got)
	}
}
