package store

import (
	"strings"
	"testing"
	"time"
)

// Failed logins counted in the store: the fifth within the window locks
// the key for the lock time, a lock ends on its own, a count older than
// the window is forgotten, a success clears it, and a second store over
// the same database (another replica) sees the same lock.
func testLoginFailures(t *testing.T, b backend) {
	dsn := b.dsn(t)
	s := open(t, b, dsn)
	ctx := ctxFor(t)
	const maxFailures, lockFor = 5, 15 * time.Minute
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	keys := []string{"email:a@acme.example", "ip:192.0.2.1"}
	locked := func(at time.Time, keys ...string) bool {
		t.Helper()
		l, err := s.LoginLocked(ctx, keys, at)
		mustNil(t, err)
		return l
	}
	for i := 0; i < maxFailures-1; i++ {
		mustNil(t, s.RecordLoginFailure(ctx, keys, now.Add(time.Duration(i)*time.Minute), maxFailures, lockFor))
	}
	if locked(now.Add(5*time.Minute), keys...) {
		t.Fatal("locked after four failures")
	}
	mustNil(t, s.RecordLoginFailure(ctx, keys, now.Add(5*time.Minute), maxFailures, lockFor))
	if !locked(now.Add(6*time.Minute), keys[0]) || !locked(now.Add(6*time.Minute), keys[1]) {
		t.Fatal("not locked after the fifth failure")
	}
	if !locked(now.Add(19*time.Minute), "email:someone@else.example", keys[1]) {
		t.Error("the address's lock does not hold for another email")
	}
	if locked(now.Add(20*time.Minute), keys...) {
		t.Error("still locked after the lock time")
	}

	// Four failures, then a quiet window: the count starts again.
	other := []string{"email:b@beta.example"}
	for i := 0; i < maxFailures-1; i++ {
		mustNil(t, s.RecordLoginFailure(ctx, other, now, maxFailures, lockFor))
	}
	mustNil(t, s.RecordLoginFailure(ctx, other, now.Add(lockFor+time.Minute), maxFailures, lockFor))
	if locked(now.Add(lockFor+time.Minute), other...) {
		t.Error("failures older than the window still counted")
	}
	// A success clears the email's count.
	for i := 0; i < maxFailures-1; i++ {
		mustNil(t, s.RecordLoginFailure(ctx, other, now.Add(lockFor+2*time.Minute), maxFailures, lockFor))
	}
	mustNil(t, s.ClearLoginFailures(ctx, other[0]))
	mustNil(t, s.RecordLoginFailure(ctx, other, now.Add(lockFor+3*time.Minute), maxFailures, lockFor))
	if locked(now.Add(lockFor+3*time.Minute), other...) {
		t.Error("a cleared count still locks")
	}

	// Another replica over the same database sees the lock.
	s2 := open(t, b, dsn)
	for i := 0; i < maxFailures; i++ {
		st := s
		if i%2 == 1 {
			st = s2
		}
		mustNil(t, st.RecordLoginFailure(ctx, []string{"ip:198.51.100.7"}, now, maxFailures, lockFor))
	}
	for _, st := range []*Store{s, s2} {
		l, err := st.LoginLocked(ctx, []string{"ip:198.51.100.7"}, now.Add(time.Minute))
		mustNil(t, err)
		if !l {
			t.Error("failures counted on two replicas did not lock")
		}
	}
	// A key longer than the column is cut, not refused.
	long := []string{"email:" + strings.Repeat("x", 400) + "@example.com"}
	mustNil(t, s.RecordLoginFailure(ctx, long, now, maxFailures, lockFor))
	// A long key of multibyte characters, and bytes that are not UTF-8 (a
	// login form can send any), are counted too, and lock.
	for _, k := range []string{"email:" + strings.Repeat("é", 200) + "@example.com", "email:\xff\xfe@example.com"} {
		for i := 0; i < maxFailures; i++ {
			mustNil(t, s.RecordLoginFailure(ctx, []string{k}, now, maxFailures, lockFor))
		}
		l, err := s.LoginLocked(ctx, []string{k}, now.Add(time.Minute))
		mustNil(t, err)
		if !l {
			t.Errorf("%d failures of %.20q did not lock", maxFailures, k)
		}
	}
}
