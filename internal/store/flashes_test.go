package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"staas"
)

func testFlashes(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)

	none, err := s.TakeFlashes(ctx, 7, 1)
	mustNil(t, err)
	if none == nil || len(none) != 0 {
		t.Fatalf("TakeFlashes with none queued = %#v, want an empty slice", none)
	}

	want := []staas.Flash{
		{Kind: staas.FlashSuccess, Message: "User created."},
		{Kind: staas.FlashInfo, Message: "Key generated: copy the secret now."},
		{Kind: staas.FlashError, Message: "The gateway did not answer."},
		{Kind: staas.FlashSuccess, Message: "User created."}, // a repeat is kept
	}
	for _, f := range want {
		mustNil(t, s.AddFlash(ctx, 7, 1, f))
	}
	mustNil(t, s.AddFlash(ctx, 8, 1, staas.Flash{Kind: staas.FlashInfo, Message: "for admin 8"}))
	mustNil(t, s.AddFlash(ctx, 7, 2, staas.Flash{Kind: staas.FlashInfo, Message: "for client 2"}))

	got, err := s.TakeFlashes(ctx, 7, 1)
	mustNil(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TakeFlashes = %v, want %v in insertion order", got, want)
	}
	again, err := s.TakeFlashes(ctx, 7, 1)
	mustNil(t, err)
	if len(again) != 0 {
		t.Errorf("the second TakeFlashes returned %v; flashes are shown once", again)
	}
	// Other admins' and clients' flashes are still there.
	for _, c := range []struct {
		admin, client int64
		msg           string
	}{{8, 1, "for admin 8"}, {7, 2, "for client 2"}} {
		got, err := s.TakeFlashes(ctx, c.admin, c.client)
		mustNil(t, err)
		if len(got) != 1 || got[0].Message != c.msg {
			t.Errorf("TakeFlashes(%d, %d) = %v, want %q", c.admin, c.client, got, c.msg)
		}
	}
	// A flash added after a take is delivered by the next one.
	mustNil(t, s.AddFlash(ctx, 7, 1, staas.Flash{Kind: staas.FlashInfo, Message: "later"}))
	if got, _ := s.TakeFlashes(ctx, 7, 1); len(got) != 1 || got[0].Message != "later" {
		t.Errorf("TakeFlashes after a new flash = %v", got)
	}
	if n := rowCounts(t, s)["staas_flashes"]; n != 0 {
		t.Errorf("%d flash rows left after every flash was taken", n)
	}
}

// Several page views (tabs, replicas) take while actions add: every flash
// is delivered exactly once, and each take lists its flashes in the order
// they were added.
func testFlashesConcurrent(t *testing.T, b backend) {
	dsn := b.dsn(t)
	// Two stores on one database play two replicas (on SQLite, two
	// processes): the transaction, not the connection pool, must keep
	// the takers apart.
	s, other := open(t, b, dsn), open(t, b, dsn)
	ctx := ctxFor(t)
	const (
		admin, client = 3, 4
		queued        = 40 // before the takers start
		adders        = 4
		perAdder      = 20
		takers        = 8
	)
	for i := range queued {
		mustNil(t, s.AddFlash(ctx, admin, client, staas.Flash{Kind: staas.FlashInfo, Message: fmt.Sprintf("q %03d", i)}))
	}
	var (
		mu        sync.Mutex
		delivered = map[string]int{}
		addWG     sync.WaitGroup
		takeWG    sync.WaitGroup
		start     = make(chan struct{})
		addsDone  = make(chan struct{})
	)
	take := func(s *Store) {
		got, err := s.TakeFlashes(ctx, admin, client)
		if err != nil {
			t.Errorf("TakeFlashes: %v (%v)", err, errors.Unwrap(err))
			return
		}
		// Within one take, each adder's flashes keep their order.
		last := map[string]int{}
		for _, f := range got {
			var who string
			var n int
			if _, err := fmt.Sscanf(f.Message, "%s %d", &who, &n); err != nil {
				t.Errorf("unexpected flash %q", f.Message)
				continue
			}
			if prev, ok := last[who]; ok && n <= prev {
				t.Errorf("flash %q after %s %03d in one take: out of order", f.Message, who, prev)
			}
			last[who] = n
		}
		mu.Lock()
		for _, f := range got {
			delivered[f.Message]++
		}
		mu.Unlock()
	}
	for a := range adders {
		addWG.Go(func() {
			<-start
			for i := range perAdder {
				if err := []*Store{s, other}[a%2].AddFlash(ctx, admin, client, staas.Flash{Kind: staas.FlashSuccess, Message: fmt.Sprintf("a%d %03d", a, i)}); err != nil {
					t.Errorf("AddFlash: %v", err)
				}
			}
		})
	}
	for i := range takers {
		st := []*Store{s, other}[i%2]
		takeWG.Go(func() {
			<-start
			for {
				select {
				case <-addsDone:
					take(st)
					return
				default:
					take(st)
				}
			}
		})
	}
	close(start)
	addWG.Wait()
	close(addsDone)
	takeWG.Wait()
	take(s) // whatever the last takers raced past

	if want := queued + adders*perAdder; len(delivered) != want {
		t.Errorf("%d distinct flashes delivered, want %d", len(delivered), want)
	}
	for msg, n := range delivered {
		if n != 1 {
			t.Errorf("flash %q delivered %d times", msg, n)
		}
	}
}

func testFlashesInvalid(t *testing.T, b backend) {
	s := newStore(t, b)
	ctx := ctxFor(t)
	cases := []struct {
		name          string
		admin, client int64
		flash         staas.Flash
	}{
		{"no kind", 1, 1, staas.Flash{Message: "x"}},
		{"unknown kind", 1, 1, staas.Flash{Kind: "warning", Message: "x"}},
		{"kind in capitals", 1, 1, staas.Flash{Kind: "SUCCESS", Message: "x"}},
		{"no message", 1, 1, staas.Flash{Kind: staas.FlashInfo}},
		{"message too long", 1, 1, staas.Flash{Kind: staas.FlashInfo, Message: strings.Repeat("é", maxFlashLen+1)}},
		{"message not UTF-8", 1, 1, staas.Flash{Kind: staas.FlashInfo, Message: "\xfe\xff"}},
		{"negative admin", -1, 1, staas.Flash{Kind: staas.FlashInfo, Message: "x"}},
		{"negative client", 1, -1, staas.Flash{Kind: staas.FlashInfo, Message: "x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, s.AddFlash(ctx, c.admin, c.client, c.flash), staas.EINVALID)
		})
	}
	_, err := s.TakeFlashes(ctx, -1, 1)
	wantCode(t, err, staas.EINVALID)
	_, err = s.TakeFlashes(ctx, 1, -1)
	wantCode(t, err, staas.EINVALID)
	wantNothingWritten(t, s)

	// The longest message, in characters of several bytes, is kept whole.
	long := staas.Flash{Kind: staas.FlashError, Message: strings.Repeat("é", maxFlashLen-1) + "🪣"}
	mustNil(t, s.AddFlash(ctx, 0, 0, long))
	got, err := s.TakeFlashes(ctx, 0, 0)
	mustNil(t, err)
	if len(got) != 1 || got[0] != long {
		t.Errorf("the longest flash did not read back whole")
	}
}
