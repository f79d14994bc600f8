package provision

import (
	"errors"
	"testing"
	"time"

	"staas"
)

// TestIntentBackoff: a queued event waits 1 minute after its first failed
// attempt, doubling, never more than an hour.
func TestIntentBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := intentBackoff(i + 1); got != w {
			t.Errorf("after %d attempts: %s, want %s", i+1, got, w)
		}
	}
	if got := intentBackoff(1000); got != time.Hour {
		t.Errorf("after 1000 attempts: %s", got)
	}
}

// TestTemporary: a gateway or store away is tried again; the gateway's
// refusal is final.
func TestTemporary(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{staas.Errorf(staas.EUNAVAILABLE, "down"), true},
		{staas.Errorf(staas.EUNAUTHORIZED, "keys being rotated"), true},
		{errors.New("driver: bad connection"), true},
		{staas.Errorf(staas.EINVALID, "no"), false},
		{staas.Errorf(staas.ECONFLICT, "owns buckets"), false},
		{staas.Errorf(staas.ENOTFOUND, "gone"), false},
	} {
		if got := temporary(c.err); got != c.want {
			t.Errorf("temporary(%v) = %t, want %t", c.err, got, c.want)
		}
	}
}
