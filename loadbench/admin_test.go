package loadbench_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// clientEmail is the S3 user the admin's create-user makes for client 1
// (Alice) in testworld.
func (w *world) clientEmail(b *testing.B) string {
	b.Helper()
	u, err := w.st.S3User(context.Background(), 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	return u.Email
}

// BenchmarkAdminPanelBuckets: the admin's panels for a client whose S3
// user has 1,000 buckets, the "Buckets" panel open on its first page of
// 50 (names and sizes from the gateway, the totals of all 1,000). p50-ms
// is a render end to end through the signed protocol, the simulator
// answering at once; p50-own-ms the same less the time a gateway request
// was being answered (staas's own: the handler, the store, the template,
// the gateway client's signing and decoding).
//
//	go test -run '^$' -bench 'AdminPanel|AdminLinks' -benchtime 200x ./loadbench/
func BenchmarkAdminPanelBuckets(b *testing.B) {
	w := bucketsWorld(b)
	if err := w.act("toggle-buckets", nil); err != nil {
		b.Fatal(err)
	}
	html, err := w.panels()
	if err != nil || !strings.Contains(html, "bucket-0049") || strings.Contains(html, "bucket-0050") || !strings.Contains(html, "1,000 buckets") {
		b.Fatalf("the buckets panel's first page: %v\n%.2000s", err, html)
	}
	timed(b, w, w.timedPanels)
}

// BenchmarkAdminLinksBuckets: the "Other Actions" links of the same
// client, whose bucket limits and quota forms offer each of the 1,000
// buckets in a select (the links hook renders on the same page as the
// panels, so a page load costs both).
func BenchmarkAdminLinksBuckets(b *testing.B) {
	w := bucketsWorld(b)
	html, _, err := w.timedLinks()
	if err != nil || !strings.Contains(html, `value="bucket-0999"`) {
		b.Fatalf("the links: %v\n%.2000s", err, html)
	}
	timed(b, w, w.timedLinks)
}

// bucketsWorld is a world whose client 1 has an S3 user with 1,000
// buckets, bucket i of (i+1) MB.
func bucketsWorld(b *testing.B) *world {
	w := newWorld(b, "sqlite")
	if err := w.act("create-user", nil); err != nil {
		b.Fatal(err)
	}
	owner := w.clientEmail(b)
	for i := range 1000 {
		name := fmt.Sprintf("bucket-%04d", i)
		if err := w.Sim.CreateBucket(owner, name); err != nil {
			b.Fatal(err)
		}
		if err := w.Sim.SetBucketSize(name, uint64(i+1)*1_000_000); err != nil {
			b.Fatal(err)
		}
	}
	return w
}

// timed runs render b.N times and reports its p50 end to end, its p50 of
// staas's own time and the size of its HTML.
func timed(b *testing.B, w *world, render func() (string, time.Duration, error)) {
	var total, own []time.Duration
	size := 0
	w.meter.take()
	for b.Loop() {
		html, d, err := render()
		if err != nil {
			b.Fatal(err)
		}
		size = len(html)
		total = append(total, d)
		own = append(own, d-w.meter.take())
	}
	b.ReportMetric(ms(quantile(total, 0.5)), "p50-ms")
	b.ReportMetric(ms(quantile(own, 0.5)), "p50-own-ms")
	b.ReportMetric(float64(size)/1024, "html-KiB")
}

// BenchmarkOverhead: staas's overhead on an admin action. In the same
// run and alternately: "direct", the ostor client's EnableUser straight
// to the simulator; "staas", the admin's enable-user action through the
// signed protocol, which checks the signature and nonce, the permission
// and the mapping, calls the same EnableUser, writes the audit row and a
// flash. ratio is staas's p50 over direct's. On SQLite and on MariaDB:
// the action's three commits (nonce, audit row, flash) are three fsyncs
// on SQLite.
//
//	go test -run '^$' -bench Overhead -benchtime 2000x ./loadbench/
func BenchmarkOverhead(b *testing.B) {
	for _, backend := range []string{"sqlite", "mariadb"} {
		b.Run(backend, func(b *testing.B) { overhead(b, backend) })
	}
}

func overhead(b *testing.B, backend string) {
	w := newWorld(b, backend)
	if err := w.act("create-user", nil); err != nil {
		b.Fatal(err)
	}
	owner := w.clientEmail(b)
	ctx := context.Background()
	var direct, staas []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := w.gw.EnableUser(ctx, owner); err != nil {
			b.Fatal(err)
		}
		direct = append(direct, time.Since(t0))
		t0 = time.Now()
		if err := w.act("enable-user", nil); err != nil {
			b.Fatal(err)
		}
		staas = append(staas, time.Since(t0))
	}
	d, s := quantile(direct, 0.5), quantile(staas, 0.5)
	b.ReportMetric(float64(d)/1e3, "direct-p50-us")
	b.ReportMetric(float64(s)/1e3, "staas-p50-us")
	b.ReportMetric(float64(s)/float64(d), "ratio")
	b.ReportMetric(0, "ns/op")
}
