package usage

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
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := job(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error(name+" failed; trying again at the next interval", "err", err, "result", res, "interval", interval.String())
		default:
			log.Info(name+" done", "result", res)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunFunc adapts a Collector to Every.
func (c *Collector) RunFunc() func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) { return c.Run(ctx) }
}

// RunFunc adapts a Sampler to Every.
func (s *Sampler) RunFunc() func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) { return s.Run(ctx) }
}
