package usage

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"staas"
	"staas/internal/store"
	"staas/standin/ostorsim"
)

func TestCollectOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{ServiceIDs: []string{"80000000000000065", "80000000000000066"}})
		e.seedWorld(6)
		objects := len(e.sim.UsageObjectNames())
		if objects < 6 {
			t.Fatalf("only %d objects", objects)
		}
		res, err := e.collector().Run(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		if res.Listed != objects || res.Collected != objects || res.Deleted != objects || res.Skipped != 0 || res.Failed != 0 {
			t.Errorf("result %+v, want %d objects listed, collected and deleted", res, objects)
		}
		e.wantGroundTruth()
		// Nothing listed, nothing done.
		res, err = e.collector().Run(ctxFor(t))
		if err != nil || res.Listed != 0 || res.Collected != 0 {
			t.Errorf("second run: %+v, %v", res, err)
		}
		e.wantGroundTruth()
	})
}

// A crash at any point of any object, then a restart: every byte counts
// exactly once. "batched" writes each object in small batches in its own
// transaction (a group ends once it has written); "grouped" collects
// several objects per transaction, as by default.
func TestExactlyOnceWithCrashes(t *testing.T) {
	modes := []struct {
		name       string
		batchCells int
		points     []Point
	}{
		{"batched", 2, []Point{PointStreaming, PointFetched, PointCommitted, PointDeleted}},
		{"grouped", 0, []Point{PointFetched, PointCommitted, PointDeleted}},
	}
	eachBackend(t, func(t *testing.T, b backend) {
		for _, mode := range modes {
			for _, p := range mode.points {
				for _, nth := range []int{1, 3} {
					t.Run(fmt.Sprintf("%s-%s-%d", mode.name, p, nth), func(t *testing.T) {
						e := newEnv(t, b, ostorsim.Options{ServiceIDs: []string{"80000000000000065", "80000000000000066"}})
						e.seedWorld(4)
						crash := errors.New("crash")
						seen := 0
						first := e.collector(func(c *Config) {
							c.BatchCells = mode.batchCells // 2: several batches per object, so "streaming" happens mid-object
							c.Inject = func(at Point, object string) error {
								if at == p {
									seen++
									if seen == nth {
										return crash
									}
								}
								return nil
							}
						})
						res, err := first.Run(ctxFor(t))
						if !errors.Is(err, crash) {
							t.Fatalf("run: %v, want the injected crash", err)
						}
						e.reopen()
						total := e.runUntilDone(3)
						e.wantGroundTruth()
						if p != PointCommitted {
							return
						}
						// The object between commit and delete is only
						// deleted; so are those committed with it.
						if mode.batchCells == 2 && total.Skipped != 1 || total.Skipped < 1 || res.Collected+total.Collected != res.Listed {
							t.Errorf("after a crash between commit and delete: %d objects skipped, %d+%d collected of %d",
								total.Skipped, res.Collected, total.Collected, res.Listed)
						}
					})
				}
			}
		}
	})
}

func TestPagingThousandsOfObjects(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{UsagePeriod: time.Minute})
		id := e.user("p@example.com", 1, true)
		if err := e.sim.CreateBucket("p@example.com", "pages"); err != nil {
			t.Fatal(err)
		}
		const n = 1200 // more than two pages of 500
		for i := 0; i < n; i++ {
			if err := e.sim.AddTraffic(ostorsim.Traffic{UserID: id, Bucket: "pages", Get: uint64(i + 1), Downloaded: uint64(i) << 20}); err != nil {
				t.Fatal(err)
			}
			e.sim.Advance(time.Minute)
		}
		if got := len(e.sim.UsageObjectNames()); got != n {
			t.Fatalf("%d objects, want %d", got, n)
		}
		res, err := e.collector().Run(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		if res.Listed != n || res.Collected != n || res.Deleted != n {
			t.Errorf("result %+v, want %d", res, n)
		}
		e.wantGroundTruth()
	})
}

func TestGatewayFaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{ServiceIDs: []string{"80000000000000065", "80000000000000066"}})
		e.seedWorld(8)
		e.sim.SetFaults(ostorsim.Faults{Latency: time.Millisecond, ErrorRate: 0.1, Burst5xx: 2, DropNext: 1, DropRate: 0.05, LoseAnswerRate: 0.1})
		e.runUntilDone(30)
		e.sim.SetFaults(ostorsim.Faults{})
		e.wantGroundTruth()
	})
}

// objectJSON is a hand-made statistics object.
func objectJSON(serviceID string, start time.Time, items ...string) []byte {
	return fmt.Appendf(nil, `{"fmt_version":1,"service_id":%s,"start_ts":%d,"period":1800,"nr_items":%d,"items":[%s]}`,
		serviceID, start.Unix(), len(items), strings.Join(items, ","))
}

func itemJSON(bucket, user string, put, get, list, other, up, down uint64) string {
	return fmt.Sprintf(`{"key":{"bucket":%q,"epoch":1,"user_id":%q,"tag":""},"counters":{"ops":{"put":%d,"get":%d,"list":%d,"other":%d},"net_io":{"uploaded":%d,"downloaded":%d}}}`,
		bucket, user, put, get, list, other, up, down)
}

func TestPrecision(t *testing.T) {
	const max = ^uint64(0)
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{})
		ctx := ctxFor(t)
		start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		name := func(i int) string {
			return ostorsim.UsageObjectName("80000000000000065", start.Add(time.Duration(i)*time.Minute), 30*time.Minute)
		}
		const user = "00000000000000aa"
		e.sim.PutUsageObject(name(0), objectJSON("80000000000000065", start, itemJSON("big", user, max-1, max, 0, 0, max-2, 1)))
		e.sim.PutUsageObject(name(1), objectJSON("80000000000000065", start, itemJSON("big", user, 1, 0, 0, 0, 2, 0)))
		res, err := e.collector().Run(ctx)
		if err != nil || res.Collected != 2 {
			t.Fatalf("%+v, %v", res, err)
		}
		rec, err := e.st.UsageObject(ctx, "default", name(0))
		if err != nil || rec.ServiceID != "80000000000000065" {
			t.Fatalf("record %+v, %v: want service id 80000000000000065, every digit", rec, err)
		}
		want := ostorsim.Counters{Put: max, Get: max, Uploaded: max, Downloaded: 1}
		if got := e.ledger()[ostorsim.UsageKey{UserID: user, Bucket: "big"}]; got != want {
			t.Fatalf("ledger %+v, want %+v", got, want)
		}

		// One more byte would wrap: refused, kept on the gateway, ledger unchanged.
		e.sim.PutUsageObject(name(2), objectJSON("80000000000000065", start, itemJSON("big", user, 0, 0, 0, 0, 0, 0), itemJSON("big", user, 0, 0, 0, 0, 1, 0)))
		// Within one object, too.
		e.sim.PutUsageObject(name(3), objectJSON("80000000000000065", start.Add(time.Hour),
			itemJSON("other", user, max, 0, 0, 0, 0, 0), itemJSON("other", user, 1, 0, 0, 0, 0, 0)))
		var report Report
		res, err = e.collector(func(c *Config) { c.Observe = func(r Report) { report = r } }).Run(ctx)
		if report.Overflows != 2 || report.Err == nil || report.Failed != 2 || report.Started.IsZero() {
			t.Errorf("observed %+v, want the 2 overflows refused and the run's error", report)
		}
		if !errors.Is(err, store.ErrOverflow) || staas.ErrorCode(err) != staas.EINVALID {
			t.Fatalf("run: %v, want an overflow refused with EINVALID", err)
		}
		if res.Failed != 2 || res.Collected != 0 {
			t.Errorf("result %+v: want both objects failed", res)
		}
		if got := e.ledger(); got[ostorsim.UsageKey{UserID: user, Bucket: "big"}] != want || len(got) != 1 {
			t.Errorf("ledger changed after a refused overflow: %+v", got)
		}
		if left := e.sim.UsageObjectNames(); !slices.Equal(left, []string{name(2), name(3)}) {
			t.Errorf("left on the gateway %v, want the two refused objects", left)
		}
		if done, _ := e.st.UsageObjectCollected(ctx, "default", name(2)); done {
			t.Error("a refused object is recorded as collected")
		}
	})
}

func TestUnknownUsersKept(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{})
		known := e.user("known@example.com", 1, true)
		stranger := e.user("stranger@example.com", 0, false)
		if err := e.sim.AddTraffic(ostorsim.Traffic{UserID: known, Get: 1}); err != nil {
			t.Fatal(err)
		}
		if err := e.sim.AddTraffic(ostorsim.Traffic{UserID: stranger, Put: 3, Uploaded: 999}); err != nil {
			t.Fatal(err)
		}
		e.sim.Advance(time.Hour)
		res, err := e.collector().Run(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		if res.UnknownItems != 1 || !slices.Equal(res.UnknownUsers, []string{stranger}) || res.Items != 2 {
			t.Errorf("result %+v: want 1 unknown item of %s out of 2", res, stranger)
		}
		e.wantGroundTruth()
		r := &Reader{Store: e.st}
		from := ostorsim.DefaultStart
		got, err := r.Unmapped(ctxFor(t), from, from.Add(24*time.Hour))
		if err != nil || !slices.Equal(got, []string{stranger}) {
			t.Errorf("Unmapped = %v, %v; want [%s]", got, err, stranger)
		}
		tot, err := r.Totals(ctxFor(t), stranger, from, from.Add(24*time.Hour))
		if err != nil || tot.Traffic.Put != 3 || tot.Traffic.Uploaded != 999 {
			t.Errorf("Totals of the unknown user: %+v, %v", tot, err)
		}
	})
}

// Two collectors on one database: while one works, the other does nothing.
func TestOneCollectorAtATime(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{})
		e.seedWorld(3)
		inside := make(chan struct{})
		resume := make(chan struct{})
		var once sync.Once
		first := e.collector(func(c *Config) {
			c.Owner = "first"
			c.Inject = func(p Point, _ string) error {
				if p == PointCommitted {
					once.Do(func() {
						close(inside)
						<-resume
					})
				}
				return nil
			}
		})
		errc := make(chan error, 1)
		go func() {
			_, err := first.Run(ctxFor(t))
			errc <- err
		}()
		<-inside
		res, err := e.collector(func(c *Config) { c.Owner = "second" }).Run(ctxFor(t))
		if err != nil || res.LeaseHeldBy != "first" || res.Listed != 0 {
			t.Errorf("second collector while the first works: %+v, %v; want it to stand aside", res, err)
		}
		close(resume)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		e.wantGroundTruth()
		// The lease is released: the second may work now.
		res, err = e.collector(func(c *Config) { c.Owner = "second" }).Run(ctxFor(t))
		if err != nil || res.LeaseHeldBy != "" {
			t.Errorf("after the first finished: %+v, %v", res, err)
		}
	})
}

func TestKeepObjects(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{})
		e.seedWorld(2)
		n := len(e.sim.UsageObjectNames())
		keep := func(c *Config) { c.KeepObjects = true }
		res, err := e.collector(keep).Run(ctxFor(t))
		if err != nil || res.Collected != n || res.Deleted != 0 {
			t.Fatalf("%+v, %v", res, err)
		}
		res, err = e.collector(keep).Run(ctxFor(t))
		if err != nil || res.Skipped != n || res.Collected != 0 {
			t.Fatalf("second run %+v, %v: want every object skipped", res, err)
		}
		if len(e.sim.UsageObjectNames()) != n {
			t.Error("objects deleted though kept")
		}
		// Switching deletion on deletes them without counting them again.
		e.runUntilDone(2)
		e.wantGroundTruth()
	})
}

func TestObjectHour(t *testing.T) {
	cases := []struct {
		name string
		hour int64
		ok   bool
	}{
		{"s3-usage-80000000000000065-2017-02-01T16:31:54.000Z-1800", time.Date(2017, 2, 1, 16, 0, 0, 0, time.UTC).Unix() / 3600, true},
		{"s3-usage-800000000000006a-2025-01-01T00:00:00.000Z-1800", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 3600, true},
		{"s3-usage-x-2025-13-01T00:00:00.000Z-1800", 0, false},
		{"s3-usage-80000000000000065-2025-01-01T00:00:00Z-1800", 0, false},
		{"other", 0, false},
	}
	for _, c := range cases {
		h, err := objectHour(c.name)
		if (err == nil) != c.ok || h != c.hour {
			t.Errorf("objectHour(%q) = %d, %v; want %d, ok %v", c.name, h, err, c.hour, c.ok)
		}
	}
}

// Objects named with the Unix epoch (a gateway service that named them
// before it knew the time; a public client stops its listing at the first
// such name). One whose start_ts is real is booked in that hour; one
// without any real time is neither booked nor deleted, and the objects
// listed after it are still collected.
func TestUndatedObjects(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		e := newEnv(t, b, ostorsim.Options{ServiceIDs: []string{"80000000000000066"}})
		id := e.user("a@example.com", 1, true)
		if err := e.sim.CreateBucket("a@example.com", "data"); err != nil {
			t.Fatal(err)
		}
		if err := e.sim.AddTraffic(ostorsim.Traffic{Email: "a@example.com", Bucket: "data", Get: 7}); err != nil {
			t.Fatal(err)
		}
		e.sim.Advance(ostorsim.DefaultUsagePeriod) // a dated object of service …66
		object := func(startTS int64, get int) []byte {
			return fmt.Appendf(nil, `{"fmt_version":1,"service_id":80000000000000065,"start_ts":%d,"period":1800,"nr_items":1,"items":[`+
				`{"key":{"bucket":"data","epoch":0,"user_id":%q,"tag":""},"counters":{"ops":{"put":0,"get":%d,"list":0,"other":0},"net_io":{"uploaded":0,"downloaded":0}}}]}`,
				startTS, id, get)
		}
		real := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
		dated := "s3-usage-80000000000000065-1970-01-01T00:00:00.000Z-1800"
		undated := "s3-usage-80000000000000065-1970-01-01T00:00:30.000Z-1800"
		e.sim.PutUsageObject(dated, object(real.Unix(), 100))
		e.sim.PutUsageObject(undated, object(30, 1000))

		res, err := e.collector().Run(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		if res.Listed != 3 || res.Collected != 2 || res.Deleted != 2 || res.Undated != 1 || !slices.Equal(res.UndatedObjects, []string{undated}) || res.Failed != 0 {
			t.Errorf("result %+v", res)
		}
		hours := map[int64]uint64{}
		if err := e.st.EachUsageRow(ctxFor(t), "default", func(r store.UsageRow) error { hours[r.Hour] += r.Get; return nil }); err != nil {
			t.Fatal(err)
		}
		start := ostorsim.DefaultStart.Unix() / 3600
		if want := map[int64]uint64{start: 7, real.Unix() / 3600: 100}; !maps.Equal(hours, want) {
			t.Errorf("GET booked by hour %v, want %v (nothing in 1970)", hours, want)
		}
		if left := e.sim.UsageObjectNames(); !slices.Equal(left, []string{undated}) {
			t.Errorf("left on the gateway: %v, want only the undated object", left)
		}
		// The next run leaves it again and books nothing twice.
		res, err = e.collector().Run(ctxFor(t))
		if err != nil || res.Listed != 1 || res.Collected != 0 || res.Undated != 1 {
			t.Errorf("second run %+v, %v", res, err)
		}
	})
}
