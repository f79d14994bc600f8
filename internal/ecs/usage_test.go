package ecs_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"staas"
	"staas/internal/ecs"
)

func TestMisalignedWindowRefused(t *testing.T) {
	f := newFake(t)
	c := f.client(t)
	ctx := context.Background()
	base := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	for _, w := range [][2]time.Time{
		{base.Add(3 * time.Minute), base.Add(time.Hour)},
		{base, base.Add(time.Hour + 30*time.Second)},
		{base.Add(time.Hour), base},
	} {
		if _, err := c.NamespaceSample(ctx, "ns", w[0], w[1]); staas.ErrorCode(err) != staas.EINVALID {
			t.Fatalf("%v: %v", w, err)
		}
	}
	if _, err := c.StreamUsageObject(ctx, "s3-usage-ecs-2026-12-06T01:30:00.000Z-3600", nil); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatal(err)
	}
	if _, err := c.BucketBillingInfo(ctx, "ns", "b", "TB"); staas.ErrorCode(err) != staas.EINVALID {
		t.Fatal(err)
	}
	if n := f.requests.Load(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

// usageFake serves one shared namespace "shared" with two buckets.
func usageFake(t *testing.T, till string, bucketTill string) (*fakeECS, *ecs.Client) {
	f := newFake(t)
	f.route("GET /object/billing/namespace/shared/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"namespace": "shared", "total_size": "1.0", "total_size_unit": "GB", "uptodate_till": till, "sample_time": till})
	})
	f.route("GET /object/bucket", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("namespace") != "shared" {
			t.Errorf("bucket list of %q", r.URL.Query().Get("namespace"))
		}
		writeJSON(w, 200, map[string]any{"object_bucket": []map[string]any{
			{"name": "alpha", "owner": "a@example.com", "namespace": "shared"},
			{"name": "beta", "owner": "b@example.com", "namespace": "shared"},
		}})
	})
	f.route("GET /object/billing/namespace/shared/sample", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("start_time") != "2026-12-06T01:00Z" || q.Get("end_time") != "2026-12-06T02:00Z" || q.Get("include_bucket_detail") != "true" {
			t.Errorf("query %v", q)
		}
		if q.Get("marker") == "" {
			writeJSON(w, 200, map[string]any{"namespace": "shared", "uptodate_till": till, "next_marker": "m1",
				"bucket_billing_sample": []map[string]any{{"name": "alpha", "ingress": "1000", "egress": 20, "uptodate_till": bucketTill}}})
			return
		}
		writeJSON(w, 200, map[string]any{"namespace": "shared", "uptodate_till": till, "next_marker": "",
			"bucket_billing_sample": []map[string]any{{"name": "beta", "ingress": 5, "egress": "6000000000", "uptodate_till": till}}})
	})
	c := f.client(t, func(c *ecs.Config) {
		c.Namespace = "shared"
		c.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 42, 0, 0, time.UTC) }
		c.UsageLookback = 6 * time.Hour
	})
	return f, c
}

func TestOnlyWindowsEndingByUptodateTill(t *testing.T) {
	_, c := usageFake(t, "2026-12-06T03:20:00Z", "2026-12-06T03:20:00Z")
	var names []string
	if err := c.EachUsageObject(context.Background(), func(n string) error { names = append(names, n); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"s3-usage-ecs-2026-12-05T23:00:00.000Z-3600",
		"s3-usage-ecs-2026-12-06T00:00:00.000Z-3600",
		"s3-usage-ecs-2026-12-06T01:00:00.000Z-3600",
		"s3-usage-ecs-2026-12-06T02:00:00.000Z-3600",
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v\nwant %v", names, want)
	}
	for _, n := range names {
		if err := c.CheckUsageObjectName(n); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.UsagePage(context.Background(), want[0], 2)
	if err != nil || len(page.Items) != 2 || !page.Truncated || page.Items[0] != want[1] {
		t.Fatalf("%+v %v", page, err)
	}
}

func TestStreamUsageObject(t *testing.T) {
	_, c := usageFake(t, "2026-12-06T03:20:00Z", "2026-12-06T03:20:00Z")
	var items []staas.UsageItem
	h, err := c.StreamUsageObject(context.Background(), "s3-usage-ecs-2026-12-06T01:00:00.000Z-3600", func(it staas.UsageItem) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.ServiceID != "ecs" || h.Period != 3600 || h.Count != 2 || h.Start() != time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC) {
		t.Fatalf("%+v", h)
	}
	want := []staas.UsageItem{
		{Key: staas.UsageKey{Bucket: "alpha", UserID: "a@example.com"}, Uploaded: 1000, Downloaded: 20},
		{Key: staas.UsageKey{Bucket: "beta", UserID: "b@example.com"}, Uploaded: 5, Downloaded: 6000000000},
	}
	if len(items) != 2 || items[0] != want[0] || items[1] != want[1] {
		t.Fatalf("%+v", items)
	}
	if err := c.DeleteUsageObject(context.Background(), "s3-usage-ecs-2026-12-06T01:00:00.000Z-3600"); err != nil {
		t.Fatal(err)
	}
}

func TestStreamUsageObjectNotYetConsistent(t *testing.T) {
	_, c := usageFake(t, "2026-12-06T03:20:00Z", "2026-12-06T01:55:00Z")
	called := false
	_, err := c.StreamUsageObject(context.Background(), "s3-usage-ecs-2026-12-06T01:00:00.000Z-3600", func(staas.UsageItem) error { called = true; return nil })
	if !ecs.Temporary(err) || called {
		t.Fatalf("err = %v, called = %v", err, called)
	}
}

func TestBucketsSizesFallBackToKB(t *testing.T) {
	f, c := usageFake(t, "2026-12-06T03:20:00Z", "2026-12-06T03:20:00Z")
	var units atomic.Int64
	f.route("GET /object/billing/namespace/shared/info", func(w http.ResponseWriter, r *http.Request) {
		units.Add(1)
		if r.URL.Query().Get("sizeunit") == "BYTE" {
			writeJSON(w, 400, map[string]any{"code": 1008, "description": "Parameter was provided but invalid", "details": "sizeunit", "retryable": false})
			return
		}
		writeJSON(w, 200, map[string]any{"namespace": "shared", "bucket_billing_info": []map[string]any{
			{"name": "alpha", "total_size": "1.5", "total_size_unit": "KB"},
			{"name": "beta", "total_size": 2, "total_size_unit": "KB"},
		}})
	})
	bs, err := c.Buckets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Size.Current != 1536 || bs[1].Size.Current != 2048 || bs[0].OwnerID != "a@example.com" {
		t.Fatalf("%+v", bs)
	}
	if units.Load() != 2 {
		t.Fatalf("%d billing calls", units.Load())
	}
}

func perUserUsageFake(t *testing.T, bulk bool) (*fakeECS, *ecs.Client) {
	f := newFake(t)
	a, b := ecs.NamespaceFor("a@example.com"), ecs.NamespaceFor("b@example.com")
	tills := map[string]string{a: "2026-12-06T04:10:00Z", b: "2026-12-06T02:05:00Z"}
	f.route("GET /object/namespaces", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"namespace": []map[string]any{{"name": a}, {"name": "s3"}, {"name": b}}})
	})
	if bulk {
		f.route("POST /object/billing/namespace/info", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"namespace_billing_info": []map[string]any{
				{"namespace": a, "uptodate_till": tills[a]}, {"namespace": b, "uptodate_till": tills[b]}}})
		})
	}
	for ns, till := range tills {
		f.route("GET /object/billing/namespace/"+ns+"/info", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"namespace": ns, "uptodate_till": till})
		})
	}
	c := f.client(t, func(c *ecs.Config) {
		c.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 42, 0, 0, time.UTC) }
		c.UsageLookback = 4 * time.Hour
	})
	return f, c
}

func TestWindowsPerUserNamespacesBulkAndFallback(t *testing.T) {
	for _, bulk := range []bool{true, false} {
		f, c := perUserUsageFake(t, bulk)
		var names []string
		if err := c.EachUsageObject(context.Background(), func(n string) error { names = append(names, n); return nil }); err != nil {
			t.Fatal(err)
		}
		// The laggard namespace is consistent to 02:05: of the windows from 01:00 only 01:00-02:00 ends by then.
		want := "s3-usage-ecs-2026-12-06T01:00:00.000Z-3600"
		if len(names) != 1 || names[0] != want {
			t.Fatalf("bulk=%v: %v", bulk, names)
		}
		gets := 0
		for _, call := range f.calls() {
			if strings.HasPrefix(call, "GET /object/billing/namespace/") {
				gets++
			}
		}
		if bulk && gets != 0 || !bulk && gets != 2 {
			t.Fatalf("bulk=%v: %d single namespace reads", bulk, gets)
		}
	}
}
