package loadbench_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"staas"
	"staas/internal/store"
	"staas/whmcsbridge"
)

// scaleServices is how many WHMCS services and S3 users BenchmarkScale
// has on one cluster.
const scaleServices = 100_000

// BenchmarkScale: a cluster with 100,000 S3 users, each a WHMCS service
// (ids 1..100,000) with a 100 GB quota, a month's first three hours of
// ledger rows and three sampling runs. Its parts:
//
//   - usage-update: WHMCS's daily UsageUpdate for all 100,000 services in
//     one signed call (ledger and samples from the store, each quota from
//     the gateway);
//
//   - metrics: WHMCS's usage billing (MetricProvider) for all of them;
//
//   - panel-users: the admin's "List Users" panel over the 100,000 users
//     (p50 of 50 renders after the first; cold-ms the first, which reads
//     the whole list from the gateway), staas's own time apart from the
//     gateway's.
//
//     go test -run '^$' -bench Scale -benchtime 1x -timeout 30m ./loadbench/
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	w := newWorld(b, "sqlite")
	t0 := time.Now()
	users := seedUsers(b, w.gw, scaleServices)
	b.Logf("%d users on the gateway in %v", len(users), time.Since(t0))
	t0 = time.Now()
	next := make(chan int)
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			var first error
			for i := range next {
				if first == nil {
					first = w.gw.SetQuota(ctx, staas.UserQuota(staas.ByID(users[i])), 100)
				}
			}
			errs <- first
		}()
	}
	for i := range users {
		next <- i
	}
	close(next)
	for range 16 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("quotas set in %v", time.Since(t0))
	t0 = time.Now()
	seedMappings(b, w, users)
	b.Logf("mappings in %v", time.Since(t0))
	t0 = time.Now()
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	tx, err := w.st.BeginUsageObjects(ctx, "default")
	if err != nil {
		b.Fatal(err)
	}
	add := make(map[store.UsageCell]store.UsageCounters, 3*len(users))
	for i, id := range users {
		for h := range 3 {
			add[store.UsageCell{UserID: id, Bucket: "data", Hour: month.Unix()/3600 + int64(h)}] = store.UsageCounters{
				Get: uint64(i%100 + 1), Put: 3, Downloaded: uint64(i) * 1000, Uploaded: 4096}
		}
	}
	if err := tx.Add(ctx, add); err != nil {
		b.Fatal(err)
	}
	if err := tx.CommitObjects(ctx, []store.UsageObjectRecord{{Name: "seed", ServiceID: "1"}}); err != nil {
		b.Fatal(err)
	}
	for h := range 3 {
		samples := make([]store.StorageSample, len(users))
		for i, id := range users {
			samples[i] = store.StorageSample{UserID: id, Bucket: "data", Current: uint64(i+h) * 1_000_000}
		}
		if _, err := w.st.RecordStorageSamples(ctx, "default", month.Add(time.Duration(h)*time.Hour), samples); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("ledger and samples in %v", time.Since(t0))
	ids := make([]int64, scaleServices)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	req := whmcsbridge.UsageRequest{ServerID: 1, ServiceIDs: ids}

	b.Run("usage-update", func(b *testing.B) {
		for b.Loop() {
			raw, err := w.post(whmcsbridge.ModulePath(whmcsbridge.FuncUsageUpdate), req)
			if err != nil {
				b.Fatal(err)
			}
			var res whmcsbridge.UsageResponse
			if err := json.Unmarshal(raw, &res); err != nil || len(res.Services) != scaleServices || res.Services[7].DiskLimitMB == 0 {
				b.Fatalf("%d services answered, %v", len(res.Services), err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/call")
	})
	b.Run("metrics", func(b *testing.B) {
		for b.Loop() {
			raw, err := w.post(whmcsbridge.ModulePath(whmcsbridge.FuncMetrics), req)
			if err != nil {
				b.Fatal(err)
			}
			var res whmcsbridge.MetricsResponse
			if err := json.Unmarshal(raw, &res); err != nil || len(res.Services) != scaleServices {
				b.Fatalf("%d services answered, %v", len(res.Services), err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/call")
	})
	b.Run("panel-users", func(b *testing.B) {
		if err := w.act("create-user", nil); err != nil {
			b.Fatal(err)
		}
		if err := w.act("toggle-users", nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			w.meter.take()
			html, cold, err := w.timedPanels()
			coldGW := w.meter.take()
			if err != nil || !strings.Contains(html, email(0)) {
				b.Fatalf("the users panel: %v\n%.2000s", err, html)
			}
			var total, own []time.Duration
			for range 50 {
				_, d, err := w.timedPanels()
				if err != nil {
					b.Fatal(err)
				}
				total = append(total, d)
				own = append(own, d-w.meter.take())
			}
			b.ReportMetric(ms(cold), "cold-ms")
			b.ReportMetric(ms(cold-coldGW), "cold-own-ms")
			b.ReportMetric(ms(quantile(total, 0.5)), "p50-ms")
			b.ReportMetric(ms(quantile(own, 0.5)), "p50-own-ms")
		}
		b.ReportMetric(0, "ns/op")
	})
}

// seedMappings maps user i to service i+1 of client i/10+1. SaveS3User is
// one transaction (one fsync) a mapping: 100,000 of them took minutes, so
// the rows go in through one transaction on the store's SQLite file; one
// is saved by SaveS3User and read back to check they agree.
func seedMappings(b *testing.B, w *world, users []string) {
	b.Helper()
	ctx := context.Background()
	if err := w.st.SaveS3User(ctx, staas.S3User{ClientID: 1, ServiceID: 1, Cluster: "default", UserID: users[0], Email: email(0)}); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+w.StoreDSN+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO staas_s3_users (client_id, service_id, cluster, user_id, email, created_at, updated_at)
		VALUES (?, ?, 'default', ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()
	now := time.Now().UTC().Truncate(time.Microsecond).UnixNano()
	for i, id := range users[1:] {
		i++
		if _, err := ins.ExecContext(ctx, int64(i/10+1), int64(i+1), id, email(i), now, now); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	u, err := w.st.S3UserByService(ctx, int64(len(users)))
	if err != nil || u.UserID != users[len(users)-1] || u.Email != email(len(users)-1) {
		b.Fatalf("the seeded mapping reads back as %+v, %v", u, err)
	}
}
