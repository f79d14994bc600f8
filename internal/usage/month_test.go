package usage

import (
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"staas/internal/store"
	"staas/standin/ostorsim"
)

// TestMonth_TotalsMatchTheSimulation runs a month of simulated traffic and
// storage through the collector (every 6 hours) and the sampler (every 6
// hours, when sizes change), then asks the Reader for the month's figures,
// as billing will: traffic must equal the simulator's ground truth to the
// byte, and storage the GB-hours the buckets really held.
func TestMonth_TotalsMatchTheSimulation(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		e := newEnv(t, b, ostorsim.Options{Start: start})
		ctx := ctxFor(t)
		const email = "month@example.com"
		userID := e.user(email, 1, true)
		for _, name := range []string{"steady", "growing"} {
			if err := e.sim.CreateBucket(email, name); err != nil {
				t.Fatal(err)
			}
		}
		sampler, err := NewSampler(Config{Gateway: e.gw, Store: e.st, Now: e.sim.Now})
		if err != nil {
			t.Fatal(err)
		}
		collector := e.collector()
		rng := rand.New(rand.NewPCG(3, 4))

		const days, step = 30, 6 // hours between runs
		steady := uint64(10 * BytesPerGB)
		wantByteHours := new(big.Int)
		var growingPeak uint64
		for h := 0; h < days*24; h++ {
			if h%step == 0 {
				// Sizes change only here, right before a sample, so the
				// sampled step function is the truth.
				growing := uint64(h/24+1)*BytesPerGB + uint64(h%24)*1_000_000
				growingPeak = max(growingPeak, growing)
				if err := e.sim.SetBucketSize("steady", steady); err != nil {
					t.Fatal(err)
				}
				if err := e.sim.SetBucketSize("growing", growing); err != nil {
					t.Fatal(err)
				}
				if _, err := sampler.Run(ctx); err != nil {
					t.Fatal(err)
				}
				wantByteHours.Add(wantByteHours, new(big.Int).Mul(new(big.Int).SetUint64(steady+growing), big.NewInt(step)))
			}
			for _, bucket := range []string{"", "steady", "growing"} {
				tr := ostorsim.Traffic{Email: email, Bucket: bucket, Put: rng.Uint64N(100), Get: rng.Uint64N(1000),
					List: rng.Uint64N(50), Other: rng.Uint64N(10), Uploaded: rng.Uint64N(1 << 30), Downloaded: rng.Uint64N(1 << 33)}
				if err := e.sim.AddTraffic(tr); err != nil {
					t.Fatal(err)
				}
			}
			e.sim.Advance(time.Hour)
			if h%step == step-1 {
				if _, err := collector.Run(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := sampler.Run(ctx); err != nil { // closes the last step
			t.Fatal(err)
		}
		e.runUntilDone(5)
		e.wantGroundTruth()

		end := start.Add(days * 24 * time.Hour)
		tot, err := (&Reader{Store: e.st}).Totals(ctx, userID, start, end)
		if err != nil {
			t.Fatal(err)
		}
		var want store.UsageCounters
		for k, c := range e.sim.UsageGroundTruth() {
			if k.UserID == userID {
				if err := want.Add(store.UsageCounters{Put: c.Put, Get: c.Get, List: c.List, Other: c.Other, Uploaded: c.Uploaded, Downloaded: c.Downloaded}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if tot.Traffic != want {
			t.Errorf("the month's traffic = %+v, the simulation made %+v", tot.Traffic, want)
		}
		gotByteHours := new(big.Int).Quo(tot.Storage.ByteSeconds, big.NewInt(3600))
		if gotByteHours.Cmp(wantByteHours) != 0 {
			t.Errorf("storage = %s byte-hours, the buckets held %s", gotByteHours, wantByteHours)
		}
		wantGBMonths, _ := new(big.Float).Quo(new(big.Float).SetInt(wantByteHours), big.NewFloat(BytesPerGB*HoursPerMonth)).Float64()
		if diff := tot.Storage.GBMonths - wantGBMonths; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("GB-months = %v, want %v", tot.Storage.GBMonths, wantGBMonths)
		}
		if tot.Storage.Covered != end.Sub(start) {
			t.Errorf("samples cover %v of the month", tot.Storage.Covered)
		}
		for _, bt := range tot.Buckets {
			if bt.Bucket == "growing" && bt.Storage.PeakBytes != growingPeak {
				t.Errorf("growing's peak = %d, want %d", bt.Storage.PeakBytes, growingPeak)
			}
			if bt.Bucket == "steady" && bt.Storage.PeakBytes != steady {
				t.Errorf("steady's peak = %d, want %d", bt.Storage.PeakBytes, steady)
			}
		}
	})
}
