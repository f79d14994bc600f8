package schedule

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeLeases is a store of leases in memory; fail makes AcquireLease fail
// from then on.
type fakeLeases struct {
	mu       sync.Mutex
	owner    map[string]string
	until    map[string]time.Time
	acquired int
	released int
	fail     error
}

func newFake() *fakeLeases {
	return &fakeLeases{owner: map[string]string{}, until: map[string]time.Time{}}
}

func (f *fakeLeases) AcquireLease(_ context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return false, "", f.fail
	}
	if h := f.owner[name]; h != "" && h != owner && now.Before(f.until[name]) {
		return false, h, nil
	}
	f.owner[name], f.until[name] = owner, now.Add(ttl)
	f.acquired++
	return true, owner, nil
}

func (f *fakeLeases) ReleaseLease(_ context.Context, name, owner string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.owner[name] == owner {
		f.owner[name] = ""
	}
	f.released++
	return nil
}

func (f *fakeLeases) set(fn func(f *fakeLeases)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func TestOwner(t *testing.T) {
	a, b := Owner(), Owner()
	if a == b {
		t.Errorf("two owners share the name %q", a)
	}
	if a == "" || len(a) > maxOwner {
		t.Errorf("owner %q: want 1 to %d characters", a, maxOwner)
	}
}

func TestHoldTakesAndReleases(t *testing.T) {
	f := newFake()
	l := Lease{Store: f, Name: "job", Owner: "a", TTL: time.Minute}
	ctx, release, holder, err := l.Hold(t.Context())
	if err != nil || release == nil || holder != "" {
		t.Fatalf("Hold = %v, %q, %v; want it taken", release != nil, holder, err)
	}
	// Another owner stands aside and learns who works.
	_, r2, holder, err := Lease{Store: f, Name: "job", Owner: "b", TTL: time.Minute}.Hold(t.Context())
	if err != nil || r2 != nil || holder != "a" {
		t.Fatalf("second Hold = %v, %q, %v; want it held by a", r2 != nil, holder, err)
	}
	release()
	if ctx.Err() == nil {
		t.Error("the job's context lives on after release")
	}
	if context.Cause(ctx) == ErrLeaseLost {
		t.Error("a released lease reads as lost")
	}
	if f.owner["job"] != "" || f.released != 1 {
		t.Errorf("after release: owner %q, %d releases", f.owner["job"], f.released)
	}
	// Released, it is free for the other.
	if _, r3, _, _ := (Lease{Store: f, Name: "job", Owner: "b", TTL: time.Minute}).Hold(t.Context()); r3 == nil {
		t.Error("b cannot take a released lease")
	} else {
		r3()
	}
}

func TestHoldStoreError(t *testing.T) {
	f := newFake()
	f.fail = errors.New("database down")
	_, release, _, err := Lease{Store: f, Name: "job", Owner: "a", TTL: time.Minute}.Hold(t.Context())
	if release != nil || err == nil || !strings.Contains(err.Error(), `"job"`) || !strings.Contains(err.Error(), "database down") {
		t.Fatalf("Hold on a failing store = %v, %v; want the lease named and the cause", release != nil, err)
	}
}

// A lease renewed every third of its TTL: lost to another owner, the job's
// context ends with ErrLeaseLost.
func TestHoldRenewsAndStopsWhenLost(t *testing.T) {
	f := newFake()
	l := Lease{Store: f, Name: "job", Owner: "a", TTL: 30 * time.Millisecond}
	ctx, release, _, err := l.Hold(t.Context())
	if err != nil || release == nil {
		t.Fatal(release != nil, err)
	}
	defer release()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		n := f.acquired
		f.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("renewed %d times in 5 s", n-1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatal("a renewed lease's job was stopped")
	}
	f.set(func(f *fakeLeases) { f.owner["job"], f.until["job"] = "b", time.Now().Add(time.Hour) })
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the job goes on after its lease was lost")
	}
	if !errors.Is(context.Cause(ctx), ErrLeaseLost) {
		t.Errorf("cause %v; want ErrLeaseLost", context.Cause(ctx))
	}
}

func TestEveryRunsAtOnceAndOnEachTick(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	runs := 0
	Every(ctx, time.Millisecond, slog.New(slog.DiscardHandler), "job", func(context.Context) (any, error) {
		runs++
		if runs == 3 {
			cancel()
		}
		return nil, nil
	})
	if runs != 3 {
		t.Errorf("%d runs; want 3 (at once, then each tick until ctx ends)", runs)
	}
}

// logLines collects what a logger was told.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

func TestEveryLogsFailures(t *testing.T) {
	var out logLines
	ctx, cancel := context.WithCancel(t.Context())
	runs := 0
	Every(ctx, time.Millisecond, slog.New(slog.NewTextHandler(&out, nil)), "usage collection", func(context.Context) (any, error) {
		runs++
		if runs == 2 {
			cancel()
			return nil, nil
		}
		return "half", errors.New("gateway down")
	})
	got := strings.Join(out.lines, "")
	if !strings.Contains(got, "usage collection failed; trying again at the next interval") || !strings.Contains(got, "gateway down") {
		t.Errorf("log %q: want the failure", got)
	}
}

func TestEveryQuietLogsOnlyWork(t *testing.T) {
	var out logLines
	ctx, cancel := context.WithCancel(t.Context())
	runs := 0
	EveryQuiet(ctx, time.Millisecond, slog.New(slog.NewTextHandler(&out, nil)), "WHMCS note delivery", func(context.Context) (any, error) {
		runs++
		switch runs {
		case 1, 2:
			return 0, nil
		case 3:
			return 2, nil
		case 4:
			return 0, errors.New("WHMCS unreachable")
		}
		cancel()
		return 0, nil
	}, func(res any) bool { return res == 0 })
	if len(out.lines) != 2 {
		t.Fatalf("log %q: want one line for the run that did something and one for the failure", out.lines)
	}
	if !strings.Contains(out.lines[0], "result=2") || !strings.Contains(out.lines[1], "WHMCS unreachable") {
		t.Errorf("log %q", out.lines)
	}
}
