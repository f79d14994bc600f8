package usage

import (
	"testing"
	"time"

	"staas/standin/ostorsim"
)

func TestPeriodAt(t *testing.T) {
	d := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now, from, to, collected string
		final                    bool
	}{
		// The first day of a month reports the month just ended, dated
		// its last second so WHMCS files it there.
		{"2026-12-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-11-30T23:59:59Z", true},
		{"2026-12-01T23:59:59Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-11-30T23:59:59Z", true},
		{"2027-01-01T06:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-12-31T23:59:59Z", true},
		// From the second day on, the running month up to now.
		{"2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", "2026-12-02T00:00:00Z", false},
		{"2026-11-22T13:14:15Z", "2026-11-01T00:00:00Z", "2026-11-22T13:14:15Z", "2026-11-22T13:14:15Z", false},
		// Other zones are read as the instant they are.
		{"2026-12-01T01:30:00+02:00", "2026-11-01T00:00:00Z", "2026-11-30T23:30:00Z", "2026-11-30T23:30:00Z", false},
		{"2026-12-02T01:30:00+02:00", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-11-30T23:59:59Z", true},
	} {
		p := PeriodAt(d(c.now))
		if !p.From.Equal(d(c.from)) || !p.To.Equal(d(c.to)) || !p.CollectedAt.Equal(d(c.collected)) || p.Final != c.final {
			t.Errorf("PeriodAt(%s) = %s..%s at %s final %v; want %s..%s at %s final %v", c.now,
				p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), p.CollectedAt.Format(time.RFC3339), p.Final,
				c.from, c.to, c.collected, c.final)
		}
	}
}

// TestBilling_MonthEnd runs traffic across a month's end: during the first
// day of the new month WHMCS is told the finished month's totals, to the
// byte, and the day after the new month's; storage is the latest sample
// (a deleted bucket counts no more).
func TestBilling_MonthEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		start := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
		e := newEnv(t, b, ostorsim.Options{Start: start})
		ctx := ctxFor(t)
		const email = "bill@example.com"
		id := e.user(email, 1, true)
		for _, bk := range []string{"keep", "drop"} {
			if err := e.sim.CreateBucket(email, bk); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.sim.SetBucketSize("keep", 3*gb); err != nil {
			t.Fatal(err)
		}
		if err := e.sim.SetBucketSize("drop", 2*gb); err != nil {
			t.Fatal(err)
		}
		sampler, err := NewSampler(Config{Gateway: e.gw, Store: e.st, Now: e.sim.Now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sampler.Run(ctx); err != nil {
			t.Fatal(err)
		}
		// 24 hours of October, then 24 of November, 1 GiB down and 10 GETs an hour.
		for h := 0; h < 48; h++ {
			if err := e.sim.AddTraffic(ostorsim.Traffic{Email: email, Bucket: "keep", Get: 10, Downloaded: 1 << 30}); err != nil {
				t.Fatal(err)
			}
			e.sim.Advance(time.Hour)
		}
		if err := e.sim.DeleteBucket("drop"); err != nil {
			t.Fatal(err)
		}
		if _, err := sampler.Run(ctx); err != nil {
			t.Fatal(err)
		}
		e.runUntilDone(5)
		r := &Reader{Store: e.st}

		oct := PeriodAt(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
		got, err := r.Billing(ctx, id, oct)
		if err != nil {
			t.Fatal(err)
		}
		if !oct.Final || got.Traffic.Get != 240 || got.Traffic.Downloaded != 24<<30 {
			t.Errorf("October, asked on 1 November: final %v, %d GETs, %d bytes down; want final, 240 and %d",
				oct.Final, got.Traffic.Get, got.Traffic.Downloaded, uint64(24<<30))
		}
		// 5 GB held for the 24 sampled hours of October.
		if !near(got.StorageGBMonths, 5*24.0/HoursPerMonth) {
			t.Errorf("October GB-months %v, want %v", got.StorageGBMonths, 5*24.0/HoursPerMonth)
		}
		if got.StorageBytes != 3*gb {
			t.Errorf("current storage %d, want %d (the deleted bucket no longer counts)", got.StorageBytes, uint64(3*gb))
		}

		nov := PeriodAt(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
		got, err = r.Billing(ctx, id, nov)
		if err != nil {
			t.Fatal(err)
		}
		if nov.Final || got.Traffic.Get != 240 || got.Traffic.Downloaded != 24<<30 {
			t.Errorf("November so far: final %v, %d GETs, %d bytes; want running, 240 and %d", nov.Final, got.Traffic.Get, got.Traffic.Downloaded, uint64(24<<30))
		}
	})
}

func TestCurrentStorage_NeverSampled(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{})
		n, at, err := (&Reader{Store: e.st}).CurrentStorage(ctxFor(t), "0123456789abcdef")
		if err != nil || n != 0 || !at.IsZero() {
			t.Errorf("CurrentStorage before any sampling = %d at %s, %v; want 0, zero time, nil", n, at, err)
		}
	})
}
