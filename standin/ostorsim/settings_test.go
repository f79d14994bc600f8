package ostorsim_test

import (
	"testing"

	"staas/standin/ostorsim"
)

// GET and PUT ?ostor-settings with the names, defaults and ranges of the
// API reference (7.0 get-, 7.1 put-service-ostor-settings).
func TestSettings(t *testing.T) {
	h := newHarness(t, ostorsim.Options{})
	const defaults = `{"OS.max_count":100,"OS.max_size":1000,"cfg.autosplit.enabled":1,"cfg.autosplit.max_active":1,"ostor.default_cors.enabled":1}`
	if got := h.must(200, "GET", "ostor-settings").body; got != defaults {
		t.Fatalf("defaults\n got %s\nwant %s", got, defaults)
	}
	// The reference's example.
	if res := h.must(200, "PUT", q("ostor-settings", "name", "ostor.default_cors.enabled", "value", "0")); res.body != "" {
		t.Errorf("PUT body %q", res.body)
	}
	h.must(200, "PUT", q("ostor-settings", "name", "cfg.autosplit.max_active", "value", "2147483648"))
	h.must(200, "PUT", q("ostor-settings", "name", "OS.max_count", "value", "65536"))
	want := `{"OS.max_count":65536,"OS.max_size":1000,"cfg.autosplit.enabled":1,"cfg.autosplit.max_active":2147483648,"ostor.default_cors.enabled":0}`
	if got := h.must(200, "GET", "ostor-settings").body; got != want {
		t.Fatalf("after PUT\n got %s\nwant %s", got, want)
	}
	for _, bad := range []string{
		q("ostor-settings", "name", "OS.max_count", "value", "0"),
		q("ostor-settings", "name", "OS.max_count", "value", "65537"),
		q("ostor-settings", "name", "OS.max_size", "value", "16001"),
		q("ostor-settings", "name", "cfg.autosplit.enabled", "value", "2"),
		q("ostor-settings", "name", "cfg.autosplit.max_active", "value", "2147483649"),
		q("ostor-settings", "name", "ostor.default_cors.enabled", "value", "-1"),
		q("ostor-settings", "name", "ostor.default_cors.enabled", "value", "yes"),
		q("ostor-settings", "name", "nope", "value", "1"),
		q("ostor-settings", "name", "OS.max_count"),
		q("ostor-settings", "value", "1"),
		q("ostor-settings", "name", "OS.max_count", "value", "5", "extra", "1"),
	} {
		h.mustErr(400, "", "PUT", bad)
	}
	h.mustErr(400, "", "GET", q("ostor-settings", "name", "OS.max_count"))
	h.mustErr(400, "", "DELETE", "ostor-settings")
	if got := h.must(200, "GET", "ostor-settings").body; got != want {
		t.Errorf("refused PUTs changed the settings: %s", got)
	}
}
