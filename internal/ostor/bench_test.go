package ostor

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"staas/standin/ostorsim"
)

// BenchmarkRoundTrip measures each call end to end against the simulator
// over loopback HTTP: building, signing, sending, decoding. Calls that
// create something are paired with their undo (outside the timer where the
// undo is not the thing measured) so the state stays the same size.
func BenchmarkRoundTrip(b *testing.B) {
	ctx := context.Background()
	e := newSimEnv(b, ostorsim.Options{})
	u, err := e.c.CreateUser(ctx, customer)
	if err != nil {
		b.Fatal(err)
	}
	const bucket = "client-data"
	if err := e.sim.CreateBucket(customer, bucket); err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		if _, err := e.c.CreateUser(ctx, fmt.Sprintf("user%d@example.com", i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.sim.AddTraffic(ostorsim.Traffic{Email: customer, Bucket: bucket, Put: 1, Get: 3, Uploaded: 41258, Downloaded: 45511311}); err != nil {
		b.Fatal(err)
	}
	e.sim.Advance(ostorsim.DefaultUsagePeriod)
	object := e.sim.UsageObjectNames()[0]
	n := 0
	fresh := func() string { n++; return fmt.Sprintf("bench%d@example.com", n) }

	must := func(b *testing.B, err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, bm := range []struct {
		name string
		fn   func(b *testing.B)
	}{
		{"CreateUser", func(b *testing.B) {
			email := fresh()
			_, err := e.c.CreateUser(ctx, email)
			must(b, err)
			b.StopTimer()
			must(b, e.c.DeleteUser(ctx, ByEmail(email)))
			b.StartTimer()
		}},
		{"Users", func(b *testing.B) { _, err := e.c.Users(ctx); must(b, err) }},
		{"UsersWithSpace", func(b *testing.B) { _, err := e.c.UsersWithSpace(ctx); must(b, err) }},
		{"User", func(b *testing.B) { _, err := e.c.User(ctx, ByEmail(customer)); must(b, err) }},
		{"DisableUser", func(b *testing.B) { must(b, e.c.DisableUser(ctx, customer)) }},
		{"EnableUser", func(b *testing.B) { must(b, e.c.EnableUser(ctx, customer)) }},
		{"DeleteUser", func(b *testing.B) {
			b.StopTimer()
			email := fresh()
			_, err := e.c.CreateUser(ctx, email)
			must(b, err)
			b.StartTimer()
			must(b, e.c.DeleteUser(ctx, ByEmail(email)))
		}},
		{"GenerateKey", func(b *testing.B) {
			k, err := e.c.GenerateKey(ctx, customer)
			must(b, err)
			b.StopTimer()
			must(b, e.c.RevokeKey(ctx, customer, k.AccessKeyID))
			b.StartTimer()
		}},
		{"RevokeKey", func(b *testing.B) {
			b.StopTimer()
			k, err := e.c.GenerateKey(ctx, customer)
			must(b, err)
			b.StartTimer()
			must(b, e.c.RevokeKey(ctx, customer, k.AccessKeyID))
		}},
		{"CreateAccount", func(b *testing.B) {
			_, err := e.c.CreateAccount(ctx, customer, "account1")
			must(b, err)
			b.StopTimer()
			must(b, e.c.DeleteAccount(ctx, customer, "account1"))
			b.StartTimer()
		}},
		{"DeleteAccount", func(b *testing.B) {
			b.StopTimer()
			_, err := e.c.CreateAccount(ctx, customer, "account1")
			must(b, err)
			b.StartTimer()
			must(b, e.c.DeleteAccount(ctx, customer, "account1"))
		}},
		{"GenerateAccountKey", func(b *testing.B) {
			b.StopTimer()
			_, err := e.c.CreateAccount(ctx, customer, "account2")
			must(b, err)
			b.StartTimer()
			_, err = e.c.GenerateAccountKey(ctx, customer, "account2")
			must(b, err)
			b.StopTimer()
			must(b, e.c.DeleteAccount(ctx, customer, "account2"))
			b.StartTimer()
		}},
		{"RevokeAccountKey", func(b *testing.B) {
			b.StopTimer()
			a, err := e.c.CreateAccount(ctx, customer, "account3")
			must(b, err)
			b.StartTimer()
			must(b, e.c.RevokeAccountKey(ctx, customer, "account3", a.Keys[0].AccessKeyID))
			b.StopTimer()
			must(b, e.c.DeleteAccount(ctx, customer, "account3"))
			b.StartTimer()
		}},
		{"Buckets", func(b *testing.B) { _, err := e.c.Buckets(ctx); must(b, err) }},
		{"BucketsOf", func(b *testing.B) { _, err := e.c.BucketsOf(ctx, ByID(u.ID)); must(b, err) }},
		{"SetOpsLimit", func(b *testing.B) { must(b, e.c.SetOpsLimit(ctx, BucketLimits(bucket), "get", 3600)) }},
		{"SetBandwidthLimit", func(b *testing.B) { must(b, e.c.SetBandwidthLimit(ctx, UserLimits(ByEmail(customer)), 100)) }},
		{"Limits", func(b *testing.B) { _, err := e.c.Limits(ctx, UserLimits(ByEmail(customer))); must(b, err) }},
		{"DeleteLimits", func(b *testing.B) { must(b, e.c.DeleteLimits(ctx, BucketLimits(bucket))) }},
		{"SetQuota", func(b *testing.B) { must(b, e.c.SetQuota(ctx, UserQuota(ByEmail(customer)), 1024)) }},
		{"Quota", func(b *testing.B) { _, err := e.c.Quota(ctx, DefaultQuota("bucket")); must(b, err) }},
		{"DeleteQuota", func(b *testing.B) { must(b, e.c.DeleteQuota(ctx, BucketQuota(bucket))) }},
		{"UsagePage", func(b *testing.B) { _, err := e.c.UsagePage(ctx, "", 100); must(b, err) }},
		{"EachUsageObject", func(b *testing.B) { must(b, e.c.EachUsageObject(ctx, func(string) error { return nil })) }},
		{"UsageObject", func(b *testing.B) { _, err := e.c.UsageObject(ctx, object); must(b, err) }},
		{"StreamUsageObject", func(b *testing.B) {
			_, err := e.c.StreamUsageObject(ctx, object, func(UsageItem) error { return nil })
			must(b, err)
		}},
		{"DeleteUsageObject", func(b *testing.B) {
			b.StopTimer()
			name := fmt.Sprintf("s3-usage-1-2030-01-01T00:00:00.000Z-%d", n)
			n++
			e.sim.PutUsageObject(name, guide(b, "usage-object.json"))
			b.StartTimer()
			must(b, e.c.DeleteUsageObject(ctx, name))
		}},
		{"Ping", func(b *testing.B) { must(b, e.c.Ping(ctx)) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bm.fn(b)
			}
		})
	}
}

// BenchmarkDecodeUsageObject100k decodes a generated statistics object of
// 100,000 items (about 20 MB) whole and streamed; MB/s is per input byte.
func BenchmarkDecodeUsageObject100k(b *testing.B) {
	data := usageObjectJSON(100_000)
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			obj, err := DecodeUsageObject(bytes.NewReader(data))
			if err != nil || len(obj.Items) != 100_000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var n int
			if _, err := DecodeUsageStream(bytes.NewReader(data), func(UsageItem) error { n++; return nil }); err != nil || n != 100_000 {
				b.Fatal(err)
			}
		}
	})
}
