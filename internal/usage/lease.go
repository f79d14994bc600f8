package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"staas/internal/store"
)

// errLeaseLost is the cause of a run's context when its lease could not
// be renewed: another replica may be working now, so this one stops.
var errLeaseLost = errors.New("usage: the lease was lost")

// holdLease takes a lease and keeps renewing it every third of ttl until
// release is called. When another owner holds it, release is nil and
// holder names that owner. The returned context ends when the lease is
// lost, with errLeaseLost as its cause.
func holdLease(ctx context.Context, st *store.Store, name, owner string, ttl time.Duration, now func() time.Time, log *slog.Logger) (context.Context, func(), string, error) {
	start := now()
	got, holder, err := st.AcquireLease(ctx, name, owner, start, ttl)
	if err != nil {
		return ctx, nil, "", fmt.Errorf("usage: taking the lease %q: %w", name, err)
	}
	if !got {
		log.Info("another staas holds the lease; not running", "lease", name, "holder", holder)
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
			ok, holder, err := st.AcquireLease(runCtx, name, owner, at, ttl)
			if err == nil && ok {
				validUntil = at.Add(ttl)
				continue
			}
			// A store that fails for a moment is tried again while the
			// lease still has time left; another owner means stop now.
			if err != nil && now().Add(ttl/3).Before(validUntil) {
				log.Warn("renewing the lease failed; trying again", "lease", name, "err", err)
				continue
			}
			{
				log.Error("lost the lease; stopping", "lease", name, "holder", holder, "err", err)
				cancel(errLeaseLost)
				return
			}
		}
	}()
	release := func() {
		close(stop)
		<-stopped
		cancel(nil)
		rctx, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer done()
		if err := st.ReleaseLease(rctx, name, owner); err != nil {
			log.Warn("releasing the lease; it expires by itself", "lease", name, "err", err)
		}
	}
	return runCtx, release, "", nil
}
