package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"staas"
)

// The usage tables' suite, run on both backends like the rest.
func TestUsageStore(t *testing.T) {
	cases := []suiteCase{
		{"LedgerRoundTripAndOverflow", testLedger},
		{"ObjectRecordedOnce", testObjectOnce},
		{"Lease", testLease},
		{"LeaseConcurrent", testLeaseConcurrent},
		{"StorageSamples", testStorageSamples},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.fn(t, b) })
			}
		})
	}
}

func TestUsageCountersAdd(t *testing.T) {
	const max = ^uint64(0)
	c := UsageCounters{Put: max - 1, Downloaded: 5}
	mustNil(t, c.Add(UsageCounters{Put: 1, Downloaded: 1}))
	if c != (UsageCounters{Put: max, Downloaded: 6}) {
		t.Fatalf("%+v", c)
	}
	before := c
	if err := c.Add(UsageCounters{Downloaded: 1, Put: 1}); !errors.Is(err, ErrOverflow) {
		t.Fatalf("overflow: %v", err)
	}
	if c != before {
		t.Errorf("a refused sum changed the counters: %+v", c)
	}
}

func addObject(t *testing.T, s *Store, name string, cells map[UsageCell]UsageCounters) error {
	t.Helper()
	tx, err := s.BeginUsageObject(ctxFor(t), "default", name)
	mustNil(t, err)
	defer tx.Rollback()
	if err := tx.Add(ctxFor(t), cells); err != nil {
		return err
	}
	return tx.Commit(ctxFor(t), UsageObjectRecord{Name: name, ServiceID: "80000000000000065", StartTS: 1, Period: 1800, Items: uint64(len(cells))})
}

func testLedger(t *testing.T, b backend) {
	s := newStore(t, b)
	const max = ^uint64(0)
	cell := UsageCell{UserID: "u1", Bucket: "b", Hour: 480000}
	mustNil(t, addObject(t, s, "o1", map[UsageCell]UsageCounters{
		cell:                                     {Put: max - 1, Get: max, Uploaded: 1 << 63},
		{UserID: "u1", Bucket: "", Hour: 480000}: {List: 1},
	}))
	mustNil(t, addObject(t, s, "o2", map[UsageCell]UsageCounters{cell: {Put: 1, Uploaded: 1<<63 - 1}}))
	rows, err := s.UsageRows(ctxFor(t), "default", "u1", 480000, 480001)
	mustNil(t, err)
	if len(rows) != 2 || rows[1].UsageCounters != (UsageCounters{Put: max, Get: max, Uploaded: max}) || rows[0].List != 1 {
		t.Fatalf("rows %+v", rows)
	}
	err = addObject(t, s, "o3", map[UsageCell]UsageCounters{cell: {Get: 1}})
	if !errors.Is(err, ErrOverflow) || staas.ErrorCode(err) != staas.EINVALID {
		t.Fatalf("overflow: %v", err)
	}
	if done, _ := s.UsageObjectCollected(ctxFor(t), "default", "o3"); done {
		t.Error("the refused object is recorded")
	}
	rows2, _ := s.UsageRows(ctxFor(t), "default", "u1", 480000, 480001)
	if fmt.Sprint(rows2) != fmt.Sprint(rows) {
		t.Errorf("ledger changed by a refused object: %+v", rows2)
	}
	// Many cells: more than one statement's worth.
	many := map[UsageCell]UsageCounters{}
	for i := range 1234 {
		many[UsageCell{UserID: fmt.Sprintf("user%04d", i), Bucket: "b", Hour: 480001}] = UsageCounters{Get: uint64(i)}
	}
	mustNil(t, addObject(t, s, "o4", many))
	mustNil(t, addObject(t, s, "o5", many))
	r, err := s.UsageRows(ctxFor(t), "default", "user1233", 0, 1<<40)
	mustNil(t, err)
	if len(r) != 1 || r[0].Get != 2*1233 {
		t.Errorf("user1233: %+v", r)
	}
	// Invalid cells write nothing.
	tx, err := s.BeginUsageObject(ctxFor(t), "default", "bad")
	mustNil(t, err)
	wantCode(t, tx.Add(ctxFor(t), map[UsageCell]UsageCounters{{UserID: "", Hour: 1}: {Get: 1}}), staas.EINVALID)
	tx.Rollback()
}

func testObjectOnce(t *testing.T, b backend) {
	s := newStore(t, b)
	cell := map[UsageCell]UsageCounters{{UserID: "u", Bucket: "b", Hour: 1}: {Get: 1}}
	mustNil(t, addObject(t, s, "obj", cell))
	wantCode(t, addObject(t, s, "obj", cell), staas.ECONFLICT)
	r, err := s.UsageRows(ctxFor(t), "default", "u", 0, 2)
	mustNil(t, err)
	if len(r) != 1 || r[0].Get != 1 {
		t.Errorf("counted twice: %+v", r)
	}
	rec, err := s.UsageObject(ctxFor(t), "default", "obj")
	mustNil(t, err)
	if rec.ServiceID != "80000000000000065" || rec.Period != 1800 || rec.Items != 1 {
		t.Errorf("record %+v", rec)
	}
	_, err = s.UsageObject(ctxFor(t), "default", "other")
	wantCode(t, err, staas.ENOTFOUND)

	// Another cluster's gateway may name an object alike: it is another
	// object, collected on its own, and its counters land on its cluster.
	_, err = s.UsageObject(ctxFor(t), "eu-2", "obj")
	wantCode(t, err, staas.ENOTFOUND)
	if done, err := s.UsageObjectCollected(ctxFor(t), "eu-2", "obj"); err != nil || done {
		t.Errorf("eu-2's obj reads as collected (%v, %v) because default's was", done, err)
	}
	tx, err := s.BeginUsageObject(ctxFor(t), "eu-2", "obj")
	mustNil(t, err)
	mustNil(t, tx.Add(ctxFor(t), map[UsageCell]UsageCounters{{UserID: "u", Bucket: "b", Hour: 1}: {Get: 5}}))
	mustNil(t, tx.Commit(ctxFor(t), UsageObjectRecord{Name: "obj", ServiceID: "80000000000000065", StartTS: 1, Period: 1800, Items: 1}))
	if done, err := s.UsageObjectCollected(ctxFor(t), "eu-2", "obj"); err != nil || !done {
		t.Errorf("eu-2's obj, once collected, reads %v, %v", done, err)
	}
	r, err = s.UsageRows(ctxFor(t), "eu-2", "u", 0, 2)
	mustNil(t, err)
	if len(r) != 1 || r[0].Get != 5 {
		t.Errorf("eu-2's rows %+v", r)
	}
	r, err = s.UsageRows(ctxFor(t), "default", "u", 0, 2)
	mustNil(t, err)
	if len(r) != 1 || r[0].Get != 1 {
		t.Errorf("default's rows after eu-2's obj: %+v", r)
	}
}

func testLease(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	got, holder, err := s.AcquireLease(ctx, "job", "a", now, time.Minute)
	if err != nil || !got || holder != "a" {
		t.Fatalf("a: %v %q %v", got, holder, err)
	}
	got, holder, err = s.AcquireLease(ctx, "job", "b", now.Add(59*time.Second), time.Minute)
	if err != nil || got || holder != "a" {
		t.Fatalf("b while a holds it: %v %q %v", got, holder, err)
	}
	// a renews; b still waits.
	got, _, err = s.AcquireLease(ctx, "job", "a", now.Add(30*time.Second), time.Minute)
	if err != nil || !got {
		t.Fatalf("renew: %v %v", got, err)
	}
	if got, _, _ = s.AcquireLease(ctx, "job", "b", now.Add(80*time.Second), time.Minute); got {
		t.Fatal("b took a renewed lease")
	}
	// Expired: b takes it, and a cannot renew.
	if got, _, _ = s.AcquireLease(ctx, "job", "b", now.Add(91*time.Second), time.Minute); !got {
		t.Fatal("b could not take an expired lease")
	}
	if got, holder, _ = s.AcquireLease(ctx, "job", "a", now.Add(92*time.Second), time.Minute); got || holder != "b" {
		t.Fatalf("a renewed a lease b holds: %v %q", got, holder)
	}
	mustNil(t, s.ReleaseLease(ctx, "job", "a")) // not a's: nothing
	if owner, _, err := s.LeaseHolder(ctx, "job"); err != nil || owner != "b" {
		t.Fatalf("holder %q %v", owner, err)
	}
	mustNil(t, s.ReleaseLease(ctx, "job", "b"))
	_, _, err = s.LeaseHolder(ctx, "job")
	wantCode(t, err, staas.ENOTFOUND)
	_, _, err = s.AcquireLease(ctx, "Bad Name", "a", now, time.Minute)
	wantCode(t, err, staas.EINVALID)
}

// Many replicas try at the same moment: exactly one gets the lease.
func testLeaseConcurrent(t *testing.T, b backend) {
	dsn := b.dsn(t)
	now := time.Now()
	const n = 8
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = open(t, b, dsn)
	}
	var wg sync.WaitGroup
	wins := make(chan string, n)
	for i, s := range stores {
		wg.Go(func() {
			owner := fmt.Sprintf("owner-%d", i)
			got, _, err := s.AcquireLease(ctxFor(t), "race", owner, now, time.Minute)
			if err != nil {
				t.Errorf("%s: %v", owner, err)
			}
			if got {
				wins <- owner
			}
		})
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("winners %v, want exactly one", winners)
	}
}

func testStorageSamples(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	max := ^uint64(0)
	gone, err := s.RecordStorageSamples(ctx, "default", t0, []StorageSample{
		{UserID: "u", Bucket: "a", Current: max, HMax: max, HIntegral: max, LastTS: 1},
		{UserID: "u", Bucket: "b", Current: 5},
	})
	mustNil(t, err)
	if gone != 0 {
		t.Errorf("gone %d", gone)
	}
	gone, err = s.RecordStorageSamples(ctx, "default", t0.Add(time.Hour), []StorageSample{{UserID: "u", Bucket: "a", Current: 1}})
	mustNil(t, err)
	if gone != 1 {
		t.Errorf("gone %d, want b", gone)
	}
	got, err := s.StorageSamples(ctx, "default", "u", t0.Add(30*time.Minute), t0.Add(2*time.Hour))
	mustNil(t, err)
	want := "[{u a 2025-01-01 00:00:00 +0000 UTC 0 18446744073709551615 18446744073709551615 18446744073709551615 1} " +
		"{u a 2025-01-01 01:00:00 +0000 UTC 0 1 0 0 0} " +
		"{u b 2025-01-01 00:00:00 +0000 UTC 0 5 0 0 0} " +
		"{u b 2025-01-01 01:00:00 +0000 UTC 0 0 0 0 0}]"
	if fmt.Sprint(got) != want {
		t.Errorf("samples\n%v\nwant\n%s", got, want)
	}
	last, err := s.LastStorageSampleTime(ctx, "default")
	mustNil(t, err)
	if !last.Equal(t0.Add(time.Hour)) {
		t.Errorf("last %s", last)
	}
	// Gone once is gone: no second zero sample.
	gone, err = s.RecordStorageSamples(ctx, "default", t0.Add(2*time.Hour), []StorageSample{{UserID: "u", Bucket: "a", Current: 1}})
	mustNil(t, err)
	if gone != 0 {
		t.Errorf("gone again: %d", gone)
	}
}
