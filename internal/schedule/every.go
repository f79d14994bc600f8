package schedule

import (
	"context"
	"log/slog"
	"time"
)

// Every runs job at once and then every interval until ctx ends, logging
// what each run returns. A run that fails is not retried early: the next
// tick runs it again, and nothing is lost meanwhile (objects stay on the
// gateway, and a missed sample only widens the gap between two).
func Every(ctx context.Context, interval time.Duration, log *slog.Logger, name string, job func(context.Context) (any, error)) {
	loop(ctx, interval, func(ctx context.Context) {
		res, err := job(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Error(name+" failed; trying again at the next interval", "err", err, "result", res, "interval", interval.String())
		default:
			log.Info(name+" done", "result", res)
		}
	})
}

// EveryQuiet is Every for a job that runs often and mostly finds nothing
// to do (the note outbox, every minute): it logs only runs that failed or
// whose result idle says did something. A line a minute would bury the
// log.
func EveryQuiet(ctx context.Context, interval time.Duration, log *slog.Logger, name string, job func(context.Context) (any, error), idle func(any) bool) {
	loop(ctx, interval, func(ctx context.Context) {
		res, err := job(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Error(name+" failed; trying again at the next interval", "err", err, "interval", interval.String())
		case !idle(res):
			log.Info(name+" done", "result", res)
		}
	})
}

// loop runs run at once and then every interval until ctx ends.
func loop(ctx context.Context, interval time.Duration, run func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		run(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
