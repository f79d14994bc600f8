package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"staas"
	"staas/internal/ecs"
	"staas/standin/ecssim"
)

// BenchmarkECSHourOf10000Services reads one hour of ECS billing samples
// for 10,000 services (a namespace, an object user and a bucket each, as
// staas makes them) from the ECS simulator over loopback HTTP: what one
// collector run of an ECS cluster costs per hour billed, before the
// ledger. The README gives the figure.
func BenchmarkECSHourOf10000Services(b *testing.B) {
	const services = 10000
	e, err := ecssim.New(ecssim.Options{Username: "root", Password: "bench-secret"})
	if err != nil {
		b.Fatal(err)
	}
	hour := e.Now().Truncate(time.Hour)
	for i := range services {
		email := fmt.Sprintf("svc%05d@example.com", i)
		ns := ecs.NamespaceFor(email)
		if err := e.CreateNamespace(ns); err != nil {
			b.Fatal(err)
		}
		if err := e.CreateUser(ns, email); err != nil {
			b.Fatal(err)
		}
		if err := e.CreateBucket(ns, "data", email); err != nil {
			b.Fatal(err)
		}
		if err := e.RecordTraffic(ns, "data", ecssim.Traffic{At: hour.Add(time.Duration(i%60) * time.Minute), Ingress: int64(i + 1), Egress: 7}); err != nil {
			b.Fatal(err)
		}
	}
	e.Advance(2 * time.Hour)
	srv := e.NewTestServer()
	b.Cleanup(srv.Close)
	c, err := ecs.New(ecs.Config{Endpoint: srv.URL, Username: "root", Password: "bench-secret", Now: e.Now, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	name := ecs.UsageName(hour)
	b.ResetTimer()
	for b.Loop() {
		var items, ingress uint64
		if _, err := c.StreamUsageObject(ctx, name, func(it staas.UsageItem) error {
			items++
			ingress += it.Uploaded
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if items != services || ingress != services*(services+1)/2 {
			b.Fatalf("%d items, %d bytes in: want %d and %d", items, ingress, services, services*(services+1)/2)
		}
	}
}
