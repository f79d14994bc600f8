package store

import (
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
)

var farFuture = time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC)

func testNonces(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	mustNil(t, s.RememberNonce(ctx, "nonce-0000000001", now.Add(-time.Minute)))
	mustNil(t, s.RememberNonce(ctx, "nonce-0000000002", now))
	mustNil(t, s.RememberNonce(ctx, "nonce-0000000003", now.Add(time.Microsecond)))
	mustNil(t, s.RememberNonce(ctx, "nonce-0000000004", now.Add(5*time.Minute)))
	// Nonces differing in case only are different nonces.
	mustNil(t, s.RememberNonce(ctx, "NONCE-0000000004", now.Add(5*time.Minute)))

	err := s.RememberNonce(ctx, "nonce-0000000004", now.Add(time.Hour))
	wantCode(t, err, staas.ECONFLICT)
	if msg := staas.ErrorMessage(err); msg != "replayed request" {
		t.Errorf("message %q, want %q", msg, "replayed request")
	}
	// Expired but not yet purged: still a replay.
	wantCode(t, s.RememberNonce(ctx, "nonce-0000000001", now.Add(time.Hour)), staas.ECONFLICT)

	n, err := s.PurgeNonces(ctx, now)
	mustNil(t, err)
	if n != 2 {
		t.Errorf("PurgeNonces(now) = %d, want 2 (expired before and at now)", n)
	}
	n, err = s.PurgeNonces(ctx, now)
	mustNil(t, err)
	if n != 0 {
		t.Errorf("a second PurgeNonces(now) = %d, want 0", n)
	}
	// Purged nonces are forgotten; the others are still replays.
	mustNil(t, s.RememberNonce(ctx, "nonce-0000000001", now.Add(time.Hour)))
	wantCode(t, s.RememberNonce(ctx, "nonce-0000000003", now.Add(time.Hour)), staas.ECONFLICT)
	wantCode(t, s.RememberNonce(ctx, "NONCE-0000000004", now.Add(time.Hour)), staas.ECONFLICT)

	n, err = s.PurgeNonces(ctx, now.Add(5*time.Minute))
	mustNil(t, err)
	if n != 3 {
		t.Errorf("PurgeNonces(now+5m) = %d, want 3", n)
	}
	if left := rowCounts(t, s)["staas_nonces"]; left != 1 {
		t.Errorf("%d nonces left, want 1 (expiring in an hour)", left)
	}
}

// Replicas receiving the same request at once: exactly one accepts it.
func testNoncesConcurrent(t *testing.T, b backend) {
	dsn := b.dsn(t)
	// Two stores on one database play two replicas.
	replicas := []*Store{open(t, b, dsn), open(t, b, dsn)}
	ctx := ctxFor(t)
	const goroutines = 16
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, goroutines)
	)
	for round, nonce := range []string{"abcdefghijklmnop-0123456789_ABC", strings.Repeat("Z", 128)} {
		for i := range goroutines {
			wg.Go(func() {
				<-start
				errs[i] = replicas[i%2].RememberNonce(ctx, nonce, farFuture)
			})
		}
		close(start)
		wg.Wait()
		accepted := 0
		for i, err := range errs {
			switch staas.ErrorCode(err) {
			case "":
				accepted++
			case staas.ECONFLICT:
			default:
				t.Errorf("round %d, goroutine %d: %v; want nil or ECONFLICT", round, i, err)
			}
		}
		if accepted != 1 {
			t.Errorf("round %d: %d of %d accepted the same nonce, want exactly 1", round, accepted, goroutines)
		}
		start = make(chan struct{})
	}
}

func testNoncesInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	for name, c := range map[string]struct {
		nonce   string
		expires time.Time
	}{
		"too short":        {strings.Repeat("a", 15), farFuture},
		"too long":         {strings.Repeat("a", 129), farFuture},
		"space":            {"abcdefgh ijklmnop", farFuture},
		"plus":             {"abcdefgh+ijklmnop", farFuture},
		"quote":            {"abcdefgh'ijklmnop", farFuture},
		"non-ASCII":        {"abcdefghéijklmnop", farFuture},
		"no expiry":        {"abcdefghijklmnop", time.Time{}},
		"expiry too late":  {"abcdefghijklmnop", time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)},
		"expiry too early": {"abcdefghijklmnop", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			wantCode(t, s.RememberNonce(ctx, c.nonce, c.expires), staas.EINVALID)
		})
	}
	_, err := s.PurgeNonces(ctx, time.Time{})
	wantCode(t, err, staas.EINVALID)
	wantNothingWritten(t, s)
}
