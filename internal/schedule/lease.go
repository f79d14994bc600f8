package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Leases is what a lease needs from the store; *store.Store has it.
type Leases interface {
	// AcquireLease takes the lease name for owner until now+ttl, or
	// renews it when owner holds it already; false, with the holder,
	// when another owner holds it unexpired.
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, string, error)
	// ReleaseLease gives the lease up if owner holds it.
	ReleaseLease(ctx context.Context, name, owner string) error
}

// The names of staas's leases, one a job.
const (
	LeaseCollector = "usage-collector" // usage collection (internal/usage)
	LeaseSampler   = "storage-sampler" // bucket size sampling (internal/usage)
	LeaseNotes     = "note-outbox"     // delivery of queued WHMCS notes
	LeaseIntents   = "event-intents"   // retries of queued client events (internal/provision)
)

// maxOwner bounds an owner name well inside the store's 128 characters.
const maxOwner = 100

// Owner names this process on a lease: host, pid and a random part, so
// two jobs in one process (two collectors, a collector and the note
// outbox) are two owners, and an operator reading a lease row, or "another
// staas (…) is collecting", sees which machine holds it.
func Owner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	owner := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	if len(owner) > maxOwner {
		owner = owner[len(owner)-maxOwner:]
	}
	return owner
}

// ErrLeaseLost is the cause of a job's context when its lease could not be
// renewed: another replica may be working now, so this one stops.
var ErrLeaseLost = errors.New("schedule: the lease was lost")

// Lease is one job's lease: which, by whom, for how long.
type Lease struct {
	Store Leases
	Name  string
	Owner string
	// TTL is how long the lease lasts unless renewed; Hold renews it every
	// third of it.
	TTL time.Duration
	// Now replaces time.Now (tests); nil is time.Now.
	Now func() time.Time
	// Log is told when the lease is lost or not released; nil discards. A
	// lease held elsewhere is the caller's to report (Hold's holder).
	Log *slog.Logger
}

// Hold takes the lease and keeps renewing it every third of TTL until
// release is called. When another owner holds it, release is nil and
// holder names that owner. The returned context ends when the lease is
// lost, with ErrLeaseLost as its cause. A store that fails for a moment
// is tried again while the lease still has time left.
func (l Lease) Hold(ctx context.Context) (runCtx context.Context, release func(), holder string, err error) {
	now, log := l.Now, l.Log
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ttl := l.TTL
	start := now()
	got, holder, err := l.Store.AcquireLease(ctx, l.Name, l.Owner, start, ttl)
	if err != nil {
		return ctx, nil, "", fmt.Errorf("taking the lease %q: %w", l.Name, err)
	}
	if !got {
		return ctx, nil, holder, nil
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		validUntil := start.Add(ttl)
		for {
			select {
			case <-stop:
				return
			case <-runCtx.Done():
				return
			case <-t.C:
			}
			at := now()
			ok, holder, err := l.Store.AcquireLease(runCtx, l.Name, l.Owner, at, ttl)
			if err == nil && ok {
				validUntil = at.Add(ttl)
				continue
			}
			// A store that fails for a moment is tried again while the
			// lease still has time left; another owner means stop now.
			if err != nil && now().Add(ttl/3).Before(validUntil) {
				log.Warn("renewing the lease failed; trying again", "lease", l.Name, "err", err)
				continue
			}
			log.Error("lost the lease; stopping", "lease", l.Name, "holder", holder, "err", err)
			cancel(ErrLeaseLost)
			return
		}
	}()
	release = func() {
		close(stop)
		<-stopped
		cancel(nil)
		rctx, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer done()
		if err := l.Store.ReleaseLease(rctx, l.Name, l.Owner); err != nil {
			log.Warn("releasing the lease; it expires by itself", "lease", l.Name, "err", err)
		}
	}
	return runCtx, release, "", nil
}
