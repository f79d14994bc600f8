package usage

import "context"

// RunFunc adapts a Collector to schedule.Every.
func (c *Collector) RunFunc() func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) { return c.Run(ctx) }
}

// RunFunc adapts a Sampler to schedule.Every.
func (s *Sampler) RunFunc() func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) { return s.Run(ctx) }
}
